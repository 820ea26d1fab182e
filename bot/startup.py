"""Start-up checks of ``python -m bot run``: each failure is one line naming its cause, never the
token, and the process exits non-zero — instead of a 100-200-line traceback (or a token printed
in clear by ``InvalidToken: The token … was rejected``).

Checked before the bot starts, in this order: the database (the URL parses, its folder can be
made, the server answers, the schema is migrated, a write succeeds), then the Bot API (getMe with
the token: refused, unreachable, or not a Bot API at that URL). Webhook mode needs
WEBHOOK_SECRET (Telegram's secret_token header is then checked on every request)."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from bot.config import Settings

CONFIG, ENVIRONMENT = 2, 1  # exit codes: fix a setting / fix what the setting points at


class StartupError(Exception):
    """One line for the operator (already redacted) and the exit code."""

    def __init__(self, message: str, code: int = ENVIRONMENT) -> None:
        super().__init__(message)
        self.code = code


def _first_line(text: str, secrets: list[str]) -> str:
    line = next((ln.strip() for ln in str(text).splitlines() if ln.strip()), "")
    for secret in secrets:
        if secret:
            line = line.replace(secret, "<redacted>")
    return line[:300]


def _where(url: str) -> str:
    """A database URL as it may be shown: no password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unparsable)"


def check_database(settings: Settings) -> Engine:
    """The engine, migrated and writable; raises StartupError naming what is wrong."""
    from bot.db import init_db, make_engine

    url = settings.database_url
    try:
        engine = make_engine(url)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise StartupError(f"DATABASE_URL 无效 / is not a usable database URL ({type(exc).__name__}: "
                           f"{_first_line(str(exc), [])}); e.g. sqlite:///data/bot.db or "
                           "postgresql+psycopg://user:pass@host:5432/db", CONFIG) from None
    except OSError as exc:
        raise StartupError(f"数据目录无法创建 / cannot create the database folder "
                           f"{exc.filename or ''}: {exc.strerror or exc}") from None
    try:
        init_db(engine)
        _write_probe(engine)
    except DBAPIError as exc:
        engine.dispose()
        raise StartupError(_database_failure(url, exc)) from None
    except (SQLAlchemyError, OSError) as exc:
        engine.dispose()
        raise StartupError(f"数据库不可用 / database unusable at {_where(url)}: "
                           f"{type(exc).__name__}: {_first_line(str(exc), [])}") from None
    return engine


def _write_probe(engine: Engine) -> None:
    """A write that changes nothing, rolled back: a read-only file or folder fails here, at start,
    not at the first check-in."""
    from bot.models import ProcessedUpdate

    with engine.connect() as conn:
        trans = conn.begin()
        try:
            conn.execute(sa.delete(ProcessedUpdate).where(ProcessedUpdate.update_id == -1))
        finally:
            trans.rollback()


def _database_failure(url: str, exc: DBAPIError) -> str:
    detail = _first_line(str(exc.orig), [])
    low = detail.lower()
    where = _where(url)
    if "readonly" in low or "read-only" in low or "unable to open database file" in low:
        folder = make_url(url).database or ""
        return (f"数据库不可写 / the database cannot be written ({detail}): check that the folder of "
                f"{folder} exists and is writable by this user")
    if "does not exist" in low:
        return f"数据库不存在 / the database does not exist at {where}: {detail}"
    if "authentication" in low or "password" in low:
        return f"数据库拒绝登录 / the database refused the login at {where}: {detail}"
    if any(k in low for k in ("connection refused", "could not connect", "connection failed", "timeout",
                              "name or service not known", "no route", "could not translate")):
        return f"无法连接数据库 / cannot reach the database at {where}: {detail}"
    return f"数据库不可用 / database unusable at {where}: {detail}"


def check_bot_api(settings: Settings) -> str:
    """getMe with the token; the bot's username. Raises StartupError (no token in its text)."""
    from telegram import Bot
    from telegram.error import EndPointNotFound, InvalidToken, NetworkError, TelegramError, TimedOut

    assert settings.telegram_bot_token is not None
    token = settings.telegram_bot_token.get_secret_value()
    secrets = sorted({token, token.split(":", 1)[-1]}, key=len, reverse=True)
    parts = urlsplit(settings.telegram_base_url)
    where = f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"

    async def get_me() -> str:
        # the client the bot itself uses (no second one loaded)
        from bot.request import AiohttpRequest

        async with Bot(token, base_url=settings.telegram_base_url, request=AiohttpRequest(1)) as bot:
            return bot.username

    try:
        return asyncio.run(get_me())
    except InvalidToken:
        raise StartupError("Telegram 拒绝了 TELEGRAM_BOT_TOKEN / the Bot API refused the token "
                           f"(401 Unauthorized at {where}): copy it again from @BotFather", CONFIG) from None
    except EndPointNotFound:
        raise StartupError(f"TELEGRAM_BASE_URL 不是 Bot API / no Bot API answers at {where} "
                           "(404 for getMe): check TELEGRAM_BASE_URL", CONFIG) from None
    except TimedOut:
        raise StartupError(f"无法连接 Telegram / the Bot API at {where} did not answer in time") from None
    except NetworkError as exc:
        raise StartupError(f"无法连接 Telegram / cannot reach the Bot API at {where}: "
                           f"{_first_line(exc.message, secrets)}") from None
    except TelegramError as exc:
        raise StartupError(f"Telegram 拒绝启动 / the Bot API at {where} refused getMe: "
                           f"{_first_line(exc.message, secrets)}") from None
    except OSError as exc:
        raise StartupError(f"无法连接 Telegram / cannot reach the Bot API at {where}: "
                           f"{_first_line(str(exc), secrets)}") from None


def check_webhook(settings: Settings) -> None:
    """Webhook mode needs the public URL and a secret Telegram presents with every request."""
    if not settings.webhook_url:
        raise StartupError("WEBHOOK_URL 未设置 / is not set: webhook mode needs the public HTTPS URL.", CONFIG)
    if settings.webhook_secret is None:
        raise StartupError("WEBHOOK_SECRET 未设置 / is not set: without it anyone who finds the webhook URL "
                           "can post fake updates; set 1-256 characters of A-Z a-z 0-9 _ -.", CONFIG)
