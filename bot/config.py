"""Settings, loaded once in ``main`` from the environment or ``.env`` (never at import time)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_OFFSET = re.compile(r"^\s*(\d{1,7})\s*([dhm])\s*$", re.IGNORECASE)
_UNIT = {"d": "days", "h": "hours", "m": "minutes"}
# A reminder further ahead than a quarter is a plan, not a reminder; the bound also keeps every
# "event time - offset" computation far from datetime's limits (999999d overflowed at each sweep).
MAX_OFFSET = timedelta(days=90)


def parse_offsets(raw: str) -> list[timedelta]:
    """Parse ``7d,1d,2h`` into timedeltas, longest first; each between 1 minute and MAX_OFFSET
    (90 days). Raises ValueError with a one-line reason on bad input."""
    out: set[timedelta] = set()
    for part in raw.split(","):
        if not part.strip():
            continue
        m = _OFFSET.match(part)
        if not m or int(m.group(1)) == 0:
            raise ValueError(f"bad reminder offset {part.strip()!r}: use e.g. 7d, 2h or 30m")
        delta = timedelta(**{_UNIT[m.group(2).lower()]: int(m.group(1))})
        if delta > MAX_OFFSET:
            raise ValueError(f"reminder offset {part.strip()!r} is more than 90 days before the event: "
                             "use at most 90d")
        out.add(delta)
    if not out:
        raise ValueError("REMINDER_OFFSETS is empty: use e.g. 7d,1d,2h")
    return sorted(out, reverse=True)


def format_offset(delta: timedelta) -> str:
    """``timedelta(days=7)`` -> ``7d`` (the inverse of parse_offsets, used as a stable key)."""
    minutes = int(delta.total_seconds() // 60)
    if minutes % 1440 == 0:
        return f"{minutes // 1440}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


class Settings(BaseSettings):
    """Every setting of the bot; see .env.example."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    database_url: str = "sqlite:///data/bot.db"
    bot_timezone: str = "Asia/Shanghai"
    reminder_offsets: str = "7d,1d,2h"
    log_level: str = "INFO"
    checkin_period: str = "monthly"
    checkin_deadline_day: int = Field(default=25, ge=1, le=28)
    invite_ttl_days: int = Field(default=7, ge=1, le=365)
    broadcast_rate: float = Field(default=25.0, gt=0, le=30)
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    checkin_timeout_minutes: int = Field(default=30, ge=1)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _admin_ids(cls, v: object) -> frozenset[int]:
        if v is None or v == "":
            return frozenset()
        if isinstance(v, str):
            parts = [p.strip() for p in re.split(r"[,\s]+", v) if p.strip()]
            try:
                return frozenset(int(p) for p in parts)
            except ValueError:
                raise ValueError(f"ADMIN_IDS must be comma-separated numbers, got {v!r}") from None
        return frozenset(int(x) for x in v)  # type: ignore[union-attr]

    @field_validator("bot_timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"BOT_TIMEZONE {v!r} is not a known timezone (e.g. Asia/Shanghai)") from None
        return v

    @field_validator("reminder_offsets")
    @classmethod
    def _offsets(cls, v: str) -> str:
        parse_offsets(v)
        return v

    @field_validator("telegram_base_url")
    @classmethod
    def _base_url(cls, v: str) -> str:
        """The token is appended to this URL (``…/bot`` + ``TOKEN/getMe``): anything but an http(s)
        URL whose path ends in ``/bot`` glues the token to the host or port. The value is never
        echoed whole (an operator may have pasted the token into it)."""
        v = v.strip().rstrip("/")
        try:
            parts = urlsplit(v)
            parts.port  # noqa: B018 - raises ValueError on a malformed port
        except ValueError:
            raise ValueError("is not a valid URL: use e.g. https://api.telegram.org/bot") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http(s) URL, e.g. https://api.telegram.org/bot") from None
        if not parts.path.endswith("/bot") or parts.query or parts.fragment:
            shown = f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"
            raise ValueError(f"must end with /bot (the token is appended to it), e.g. {shown}/bot")
        return v

    @field_validator("checkin_period")
    @classmethod
    def _period(cls, v: str) -> str:
        v = v.strip().lower()
        if v not in ("monthly", "quarterly"):
            raise ValueError("CHECKIN_PERIOD must be monthly or quarterly")
        return v

    @field_validator("log_level")
    @classmethod
    def _level(cls, v: str) -> str:
        v = v.strip().upper()
        if v not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR")
        return v

    @field_validator("telegram_bot_token", "webhook_secret", "webhook_url", mode="before")
    @classmethod
    def _empty_is_none(cls, v: object) -> object:
        return None if isinstance(v, str) and not v.strip() else v

    @field_validator("webhook_secret")
    @classmethod
    def _secret(cls, v: SecretStr | None) -> SecretStr | None:
        """Telegram's secret_token: 1-256 characters A-Z a-z 0-9 _ - (Bot API, setWebhook)."""
        if v is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", v.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's secret_token)")
        return v

    @property
    def telegram_base_file_url(self) -> str:
        """Where files are downloaded: the base URL with its final ``/bot`` made ``/file/bot``."""
        return self.telegram_base_url.removesuffix("/bot") + "/file/bot"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.bot_timezone)

    @property
    def offsets(self) -> list[timedelta]:
        return parse_offsets(self.reminder_offsets)

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.admin_ids


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line for the operator."""


def load_settings(**overrides: object) -> Settings:
    """Read settings; turn pydantic's report into one clear line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        parts = []
        for err in exc.errors():
            name = ".".join(str(x) for x in err["loc"]).upper() or "settings"
            msg = str(err["msg"]).removeprefix("Value error, ")
            parts.append(f"{name}: {msg}")
        raise ConfigError("配置错误 / bad configuration: " + "; ".join(parts)) from None
