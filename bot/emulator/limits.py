"""Refusals that depend on time and state rather than on the call itself: Telegram's flood limits,
chats the bot may no longer write to (blocked, kicked, migrated), and failures a test injects.

Flood limits follow the Bot FAQ ("My bot is hitting limits, how do I avoid this?"): in one chat
no more than one message per second, in a group no more than 20 messages per minute, in bulk no
more than about 30 messages per second.  A refused send gets 429 "Too Many Requests: retry after
N" with ``parameters.retry_after`` = N, the whole seconds until a slot frees.
"""

from __future__ import annotations

import collections
import math
import threading
import time
from dataclasses import dataclass
from typing import Any

from bot.emulator.refusals import DEFAULT_DESCRIPTIONS, MIGRATED, ApiError

__all__ = ["CHAT_METHODS", "Faults", "RateLimiter"]

SEND_METHODS = {
    "sendmessage": None,
    "senddocument": "document",
    "sendphoto": "photo",
    "sendaudio": "audio",
    "sendvideo": "video",
    "sendvoice": "voice",
    "sendanimation": "animation",
    "sendsticker": "sticker",
}
# methods that write to a chat: refused for blocked, kicked and migrated chats
CHAT_METHODS = set(SEND_METHODS) | {
    "editmessagetext",
    "editmessagecaption",
    "editmessagereplymarkup",
    "deletemessage",
    "sendchataction",
}


@dataclass
class _Failure:
    method: str | None
    count: int
    error_code: int
    description: str
    retry_after: int | None
    chat_id: int | str | None


class Faults:
    """Chats closed to the bot and failures injected by tests, checked before every call."""

    def __init__(self, cond: threading.Condition) -> None:
        self.cond = cond
        self.closed: dict[Any, str] = {}  # chat id -> 403 description (blocked, kicked, left)
        self.migrated: dict[Any, int] = {}  # old group id -> supergroup id
        self.failures: list[_Failure] = []
        self.delay_seconds = 0.0
        self.delay_method: str | None = None
        self.unknown_chat_error = False  # sends to chats never seen answer "chat not found"

    def fail_next(
        self,
        method: str | None = "sendMessage",
        count: int = 1,
        *,
        error_code: int = 429,
        retry_after: int = 1,
        chat_id: int | str | None = None,
        description: str | None = None,
    ) -> None:
        """The next ``count`` calls of ``method`` (None: any method but getUpdates/getMe),
        optionally only to ``chat_id``, fail with ``error_code`` and ``description`` (a 429 carries
        ``parameters.retry_after``; the default descriptions are Telegram's)."""
        if description is None:
            description = (
                f"Too Many Requests: retry after {retry_after}"
                if error_code == 429
                else DEFAULT_DESCRIPTIONS.get(error_code, f"Error {error_code}")
            )
        with self.cond:
            self.failures.append(
                _Failure(
                    method.lower() if method else None,
                    count,
                    error_code,
                    description,
                    retry_after if error_code == 429 else None,
                    chat_id,
                )
            )

    def close(self, chat_id: Any, description: str) -> None:
        """Writes to ``chat_id`` fail with 403 ``description`` until :meth:`reopen`."""
        with self.cond:
            self.closed[chat_id] = description

    def reopen(self, chat_id: Any) -> None:
        with self.cond:
            self.closed.pop(chat_id, None)

    def migrate(self, old_chat_id: Any, new_chat_id: int) -> None:
        """Writes to ``old_chat_id`` fail with 400 and ``migrate_to_chat_id``."""
        with self.cond:
            self.migrated[old_chat_id] = new_chat_id

    def set_delay(self, seconds: float, method: str | None = None) -> None:
        with self.cond:
            self.delay_seconds, self.delay_method = seconds, (method.lower() if method else None)

    def delay_for(self, lname: str) -> float:
        """Seconds to hold the answer to a call of ``lname`` (lower-case method name)."""
        with self.cond:
            if self.delay_method is None or self.delay_method == lname:
                return self.delay_seconds
        return 0.0

    def check(self, lname: str, chat_id: Any, *, known_chat: bool) -> None:
        """Raise the injected failure, the migration, or the 403 that applies to this call."""
        with self.cond:
            for f in self.failures:
                if f.method is None and lname in ("getupdates", "getme"):
                    continue
                if f.method is not None and f.method != lname:
                    continue
                if f.chat_id is not None and f.chat_id != chat_id:
                    continue
                f.count -= 1
                self.failures = [x for x in self.failures if x.count > 0]
                params = {"retry_after": f.retry_after} if f.retry_after else None
                raise ApiError(f.error_code, f.description, params)
            if lname not in CHAT_METHODS:
                return
            if chat_id in self.migrated:
                raise ApiError(400, MIGRATED, {"migrate_to_chat_id": self.migrated[chat_id]})
            if chat_id in self.closed:
                raise ApiError(403, self.closed[chat_id])
            if self.unknown_chat_error and not known_chat:
                raise ApiError(400, "Bad Request: chat not found")


class RateLimiter:
    """Sliding-window flood limits on sends; all off until :meth:`configure` switches them on.
    ``refused`` counts the 429s it answered (the bot's own flooding)."""

    def __init__(self, cond: threading.Condition) -> None:
        self.cond = cond
        self.per_second: float | None = None
        self.per_chat_per_second: float | None = None
        self.group_per_minute: float | None = None
        self.refused = 0
        self._all: collections.deque[float] = collections.deque()
        self._chat: dict[Any, collections.deque[float]] = {}
        self._group: dict[Any, collections.deque[float]] = {}

    def configure(
        self,
        per_second: float | None = None,
        per_chat_per_second: float | None = None,
        group_per_minute: float | None = None,
    ) -> None:
        """Set the limits (None: no limit) and forget earlier sends."""
        with self.cond:
            self.per_second = per_second
            self.per_chat_per_second = per_chat_per_second
            self.group_per_minute = group_per_minute
            self._all.clear()
            self._chat.clear()
            self._group.clear()

    def check(self, chat_id: Any, *, group: bool) -> None:
        """Count one send to ``chat_id`` or raise 429 with the seconds until it would pass."""
        with self.cond:
            if (self.per_second, self.per_chat_per_second, self.group_per_minute) == (None,) * 3:
                return
            now = time.monotonic()
            windows = [(self._all, 1.0, self.per_second)]
            windows.append((self._chat.setdefault(chat_id, collections.deque()), 1.0,
                            self.per_chat_per_second))
            if group:
                windows.append((self._group.setdefault(chat_id, collections.deque()), 60.0,
                                self.group_per_minute))
            wait = 0.0
            for dq, span, limit in windows:
                while dq and now - dq[0] >= span:
                    dq.popleft()
                if limit is not None and len(dq) >= limit:
                    # the send that must leave the window before one more fits
                    wait = max(wait, span - (now - dq[-max(1, int(limit))]))
            if wait > 0:
                self.refused += 1
                retry = max(1, math.ceil(wait))
                raise ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})
            for dq, _span, _limit in windows:
                dq.append(now)
