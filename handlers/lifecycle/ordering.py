"""Ordering: each chat's updates are handled one after another in the order Telegram sent them,
different chats concurrently (at most ``workers`` at once) — a ``BaseUpdateProcessor`` keyed by chat.

PTB's own processor runs every update as soon as a slot is free, so two messages typed quickly in
one chat race (python-telegram-bot #3509, #3575). Here each chat (a user, when the update has no
chat) has a queue; an update waits for the one before it in its chat *without* holding a worker
slot, so a chat with 200 queued updates occupies one slot, never sixteen. A handler that must wait
for Telegram (a 429's retry_after) does so with ``outside_update_slot()``: its chat stays held back
— order is kept — while its slot serves other chats.

The flood gate (handlers/lifecycle/flood.py) is consulted as each update arrives, before it queues:
arrival time is what tells a flood from a user who waits for each answer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import BaseUpdateProcessor

from handlers.lifecycle.flood import DROP, NOTICE, FloodGate
from handlers.lifecycle.slots import Slot, current_slot

log = logging.getLogger(__name__)

Notify = Callable[[Update], Awaitable[None]]
Claim = Callable[[object], Awaitable[bool]]
Check = Callable[[object], bool]


def order_key(update: object) -> int | None:
    """The chat whose order an update belongs to (its user when it has no chat), None for
    updates of nobody (polls): those run unordered."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None


def sender_key(update: object) -> int | None:
    """Whose sending rate the flood gate counts: the person (or chat) behind a message, an edit or
    a button press; None for updates nobody typed (membership, polls), which are never gated."""
    if not isinstance(update, Update):
        return None
    if update.message is None and update.edited_message is None and update.callback_query is None:
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    return update.effective_chat.id if update.effective_chat is not None else None


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Per-chat FIFO, ``workers`` updates handled at once across chats, a flood gate at arrival.

    ``backlog`` is PTB's own bound (updates admitted into the processor, waiting ones included);
    ``workers`` bounds the updates actually running (matched to the HTTP connection pool).
    ``on_flood(update)`` sends the one notice of a flood episode (handlers/lifecycle/flood.py);
    ``claim(update)`` is awaited as an update's handlers are about to start (False: skip it,
    another process took it) and as the flood gate drops it; not for one a shutdown cancelled while
    it waited, which a restart hands over again. ``exempt(update)``: an update the gate lets
    through (one replayed after a restart: a backlog is no flood). Both: handlers/lifecycle/inbox.py.
    """

    def __init__(self, workers: int = 16, *, backlog: int = 10_000, gate: FloodGate | None = None,
                 on_flood: Notify | None = None, claim: Claim | None = None,
                 exempt: Check | None = None) -> None:
        super().__init__(max(backlog, workers))
        self.workers = workers
        self.gate = gate
        self.on_flood = on_flood
        self.claim = claim
        self.exempt = exempt
        self._work = asyncio.Semaphore(workers)
        self._tails: dict[int, asyncio.Future[None]] = {}
        self._queued: dict[int, int] = {}  # per sender: admitted, waiting for their turn

    async def initialize(self) -> None:
        """Nothing to open; the queues live as long as their updates."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Gate, then wait for the chat's previous update, then run with a worker slot. The
        update is done (``on_done``) when its handlers start, or when the gate drops it; one
        cancelled before it started is not, and the inbox hands it over again after a restart."""
        await self._process(update, coroutine)

    async def _claim(self, update: object) -> bool:
        return True if self.claim is None else await self.claim(update)

    async def _process(self, update: object, coroutine: Awaitable[Any]) -> None:
        sender = sender_key(update)
        if self.gate is not None and sender is not None and not (self.exempt is not None and self.exempt(update)):
            verdict = self.gate.admit(sender, waiting=self._queued.get(sender, 0))
            if verdict in (DROP, NOTICE):
                _close(coroutine)
                await self._claim(update)  # dropped for good: not handed over after a restart
                if verdict == NOTICE and self.on_flood is not None and isinstance(update, Update):
                    await self._run(self._notice(update))
                return
        key = order_key(update)
        if key is None:
            await self._run(coroutine, update)
            return
        await self._in_order(key, sender, coroutine, update)

    async def _notice(self, update: Update) -> None:
        assert self.on_flood is not None
        try:
            await self.on_flood(update)
        except TelegramError as exc:  # a notice is a courtesy: never an error of the update
            log.warning("flood notice to %s not sent: %s", order_key(update), exc)

    def _queue(self, sender: int | None, delta: int) -> None:
        if sender is None:
            return
        left = self._queued.get(sender, 0) + delta
        if left > 0:
            self._queued[sender] = left
        else:
            self._queued.pop(sender, None)

    async def _in_order(self, key: int, sender: int | None, coroutine: Awaitable[Any], update: object) -> None:
        loop = asyncio.get_running_loop()
        previous = self._tails.get(key)
        mine: asyncio.Future[None] = loop.create_future()
        self._tails[key] = mine

        def done(_: object = None) -> None:
            if not mine.done():
                mine.set_result(None)
            if self._tails.get(key) is mine:
                del self._tails[key]

        self._queue(sender, +1)  # queued: counted by the flood gate until its turn comes
        started = False
        try:
            if previous is not None and not previous.done():
                try:
                    # shielded: cancelling this update must not cancel the previous one's marker
                    await asyncio.shield(previous)
                except BaseException:
                    _close(coroutine)
                    raise
            started = True
            self._queue(sender, -1)
            await self._run(coroutine, update)
        finally:
            if not started:
                self._queue(sender, -1)
            if previous is not None and not previous.done():
                previous.add_done_callback(done)  # cancelled early: still release after the previous
            else:
                done()

    async def _run(self, coroutine: Awaitable[Any], update: object = None) -> None:
        slot = Slot(self._work)
        try:
            await slot.__aenter__()
        except BaseException:  # cancelled while waiting for a slot
            _close(coroutine)
            raise
        try:
            try:
                taken = update is None or await self._claim(update)
            except BaseException:  # cancelled while claiming
                _close(coroutine)
                raise
            if not taken:  # another process took it
                _close(coroutine)
                return
            token = current_slot.set(slot)
            try:
                await coroutine
            finally:
                current_slot.reset(token)
        finally:
            await slot.__aexit__()


def _close(coroutine: Awaitable[Any]) -> None:
    """A coroutine that will never run: closed, so Python does not warn that it was never awaited."""
    close = getattr(coroutine, "close", None)
    if close is not None:
        close()
