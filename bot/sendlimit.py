"""Bulk sends make room for replies: python-telegram-bot's ``BaseRateLimiter``
(``ApplicationBuilder.rate_limiter``), through which every Bot API call goes.

Telegram's limits (Bot FAQ, "My bot is hitting limits, how do I avoid this?"): about 30 messages a
second overall; in one chat about one a second ("we may allow short bursts"). Beyond them it
answers 429 with ``retry_after`` in whole seconds. When members answer a broadcast while it is
still going out, the broadcast's 25/s and their replies together pass 30/s: without this, replies
meet 429s and wait a second or two each time.

So replies come first. A send to the chat whose update is being handled is a reply (someone is
waiting for it; ``mark_reply_target``, a handler run before all others, notes that chat in the
handling task's context). Replies are never held back for the overall budget; every other send
— broadcasts, reminders, 催办, deadline pushes, from jobs or to other chats — is bulk, and goes
only while the sends of the last second, with the replies counted twice, are fewer than
``per_second``: the replies of the next second are kept room for as many as the last one had, so
the more people are answering, the slower the broadcast. Within one chat, a bulk send and any
other send are ``chat_gap`` apart (a reply typed the instant a broadcast arrived waits the rest
of that second instead of meeting a 429); replies following one another in a conversation are
the short bursts Telegram allows, and are not spaced. PTB's docs for ``process_request`` name this
very case ("messages that are direct replies to a user input" before broadcasts).

Only sends count (sendMessage, sendPhoto, …, copy, forward); edits, callback answers and
getUpdates pass at once. A 429 that still happens is not retried here: it reaches the caller,
whose own handling (waiting ``retry_after``) is unchanged.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from typing import Any

from telegram import Update
from telegram.ext import BaseRateLimiter

__all__ = ["SendLimiter", "mark_reply_target"]

SEND_ENDPOINTS = frozenset({
    "sendMessage", "sendPhoto", "sendDocument", "sendAudio", "sendVideo", "sendVoice", "sendAnimation",
    "sendSticker", "sendVideoNote", "sendMediaGroup", "sendLocation", "sendVenue", "sendContact", "sendPoll",
    "sendDice", "sendPaidMedia", "copyMessage", "copyMessages", "forwardMessage", "forwardMessages",
})
_reply_target: ContextVar[int | None] = ContextVar("reply_target", default=None)


async def mark_reply_target(update: object, context: object) -> None:
    """Handler (the first group): sends to this update's chat, from the task handling it, are
    replies (``SendLimiter``). Never stops the update."""
    if isinstance(update, Update) and update.effective_chat is not None:
        _reply_target.set(update.effective_chat.id)


def _chat(data: dict[str, Any]) -> int | str | None:
    chat = data.get("chat_id")
    if isinstance(chat, str) and chat.lstrip("-").isdigit():
        return int(chat)
    return chat


class SendLimiter(BaseRateLimiter[None]):
    """Bulk sends wait while the last second's sends plus its replies (replies count twice) reach
    ``per_second`` (default 28: Telegram's ~30 less a margin for the network's jitter), and
    ``chat_gap`` seconds (1.05: a margin again) after the last send to their chat, counted from
    when it was answered; a reply waits only for the rest of ``chat_gap`` after a bulk send to its
    chat. ``monotonic`` and ``sleep`` are injectable."""

    def __init__(self, per_second: float = 28, chat_gap: float = 1.05, *,
                 monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Coroutine[Any, Any, None]] = asyncio.sleep) -> None:
        self.per_second = per_second
        self.chat_gap = chat_gap
        self._mono = monotonic
        self._sleep = sleep
        self._sent: collections.deque[float] = collections.deque()  # send times, the last second
        self._replies: collections.deque[float] = collections.deque()  # the replies among them
        self._last: dict[int | str, tuple[float, bool]] = {}  # chat -> (its last send, was bulk)

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    def _wait(self, chat: int | str | None, reply: bool) -> float:
        """Seconds until this send may go (0: now, and it is counted)."""
        now = self._mono()
        sent, replies = self._sent, self._replies
        while sent and now - sent[0] >= 1.0:
            sent.popleft()
        while replies and now - replies[0] >= 1.0:
            replies.popleft()
        wait = 0.0
        if not reply and len(sent) + len(replies) >= self.per_second:
            # until the oldest send of the window leaves it (then look again)
            wait = min(sent[0], replies[0] if replies else sent[0]) + 1.0 - now
        if chat is not None:
            last = self._last.get(chat)
            if last is not None and (last[1] or not reply):  # a bulk send on either side: spaced
                wait = max(wait, last[0] + self.chat_gap - now)
        if wait > 0:
            return wait
        sent.append(now)
        if reply:
            replies.append(now)
        if chat is not None:
            self._last[chat] = (now, not reply)
            if len(self._last) > 20_000:  # forget chats not written to lately
                self._last = {c: t for c, t in self._last.items() if now - t[0] < self.chat_gap}
        return 0.0

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Hold a bulk send until replies leave it room (and its chat's gap), then make it."""
        if endpoint in SEND_ENDPOINTS:
            chat = _chat(data)
            reply = chat is not None and chat == _reply_target.get()
            while (wait := self._wait(chat, reply)) > 0:
                await self._sleep(wait)
            try:
                return await callback(*args, **kwargs)
            finally:
                if chat is not None:  # the send reached Telegram by now: the gap counts from here
                    self._last[chat] = (self._mono(), not reply)
        return await callback(*args, **kwargs)
