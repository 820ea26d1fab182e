"""Worker slots of the update processor (handlers/lifecycle/ordering.py), and the one way to give
a slot back while waiting: ``outside_update_slot()``. Kept apart so that handlers.common can use it
without importing the processor.

Why a 429 is waited out this way (handlers/common.py ``deliver``) rather than with PTB's
AIORateLimiter or a per-chat send gate: AIORateLimiter halts *every* request of the bot for any
RetryAfter and retries inside the handler, so one flooded chat holds back all chats and all update
slots (its own docs say so), and it paces groups only, never a private chat; a proactive 1/s gate
per chat would slow every multi-part answer (a /progress in five parts) to five seconds on real
Telegram, where a private chat may take a short burst. Here the reply that met the 429 waits the
retry_after Telegram gave — its chat's later updates wait behind it, which keeps their order —
while its slot serves other chats; a 429 met by a bulk send pauses the shared Pacer instead
(handlers/push.py), since there it means the overall limit."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextvars import ContextVar


class Slot:
    """One worker slot, held by the task handling one update."""

    __slots__ = ("held", "owner", "sem")

    def __init__(self, sem: asyncio.Semaphore) -> None:
        self.sem = sem
        self.held = False
        self.owner: asyncio.Task | None = None

    async def __aenter__(self) -> Slot:
        await self.sem.acquire()
        self.held, self.owner = True, asyncio.current_task()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.held:
            self.held = False
            self.sem.release()


current_slot: ContextVar[Slot | None] = ContextVar("update_slot", default=None)


@contextlib.asynccontextmanager
async def outside_update_slot() -> AsyncIterator[None]:
    """Give the current update's worker slot to other chats while the body waits (a retry_after
    sleep); the chat's own later updates still wait, so order is kept. A no-op outside an update."""
    slot = current_slot.get()
    if slot is None or not slot.held or slot.owner is not asyncio.current_task():
        yield
        return
    slot.held = False
    slot.sem.release()
    try:
        yield
    finally:
        await slot.sem.acquire()
        slot.held = True
