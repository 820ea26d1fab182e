"""Restarts: no update lost while it waited — an inbox in the database between Telegram and the
handlers (the application's ``update_queue``).

python-telegram-bot confirms a batch of updates to Telegram (the next getUpdates ``offset``, or a
webhook's 200) as soon as it has *queued* them; a bot killed while they waited for their turn —
behind a chat's earlier updates, a slow answer, a 429 — lost them for good. Here every update is
stored as it enters the queue, which both the poller and the webhook fill before confirming; the
processor (handlers/lifecycle/ordering.py) marks it done when its handlers start, and at start-up
the updates that never started are queued again, oldest first, before any new one. A
re-delivery of an update already received (Telegram sending again what a killed bot had fetched
but not confirmed) is dropped at the door. The guarantee: an update that never started is handled
after the restart; one whose handlers had started when the bot died is not handled again (at most
once: its reply may be lost, never doubled — a preview is not made twice, a question not answered
twice), as before the inbox."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from telegram import Update
from telegram.ext import Application

from bot.services.updates import UpdateLog
from handlers.common import update_json

log = logging.getLogger(__name__)
T = TypeVar("T")


class InboxQueue(asyncio.Queue):
    """``ApplicationBuilder.update_queue``: an update put in is stored first (``attach`` gives the
    database once the services exist; until then updates pass as in a plain queue). The
    processor asks ``claim`` before an update's handlers start and ``replayed`` before its flood
    gate. On PostgreSQL the two statements run in a worker thread (a network round trip each); on
    SQLite on the event loop, where a thread hop would cost more than the write (~0.1 ms:
    benchmarks/bench_bot.py measured answers/s falling from 1.4x to 0.8x the echo bot) — a
    SQLite database locked by a long write then holds every chat until it is free. A failing
    database lets updates through unstored (logged) and never stops polling (PTB's poller dies
    on any error that is not a TelegramError)."""

    def __init__(self) -> None:
        super().__init__()
        self.log: UpdateLog | None = None
        self._stored: set[int] = set()  # ids stored by this process and not yet claimed
        self._replayed: set[int] = set()  # ids queued again at start-up, not yet past the gate
        self._offload = False  # run the database calls in a worker thread (PostgreSQL)

    def attach(self, updates: UpdateLog) -> None:
        self.log = updates
        self._offload = updates.engine.dialect.name != "sqlite"

    async def _db(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.to_thread(fn, *args) if self._offload else fn(*args)

    async def put(self, item: Any) -> None:
        if isinstance(item, Update) and self.log is not None:
            payload = update_json(item)
            try:
                new = await self._db(self.log.receive, item.update_id, payload)
            except Exception as exc:  # noqa: BLE001 - the update goes on, unprotected by the inbox
                log.warning("update %s not stored in the inbox (%s); handled without it",
                            item.update_id, type(exc).__name__)
                new = None
            if new is False:
                log.info("update %s received again (re-delivered after a restart); handled once", item.update_id)
                return
            if new:
                self._stored.add(item.update_id)
        await super().put(item)

    async def claim(self, update: object) -> bool:
        """Before ``update``'s handlers start (or as the flood gate drops it): take it from the
        inbox, so no restart hands it over again. False when another process sharing the
        database took it first (it replayed this process's update at its start-up): skip it."""
        if not isinstance(update, Update) or self.log is None or update.update_id not in self._stored:
            return True
        self._stored.discard(update.update_id)
        try:
            return await self._db(self.log.start, update.update_id)
        except Exception as exc:  # noqa: BLE001 - handled anyway; a restart may hand it over again
            log.warning("update %s not claimed in the inbox (%s)", update.update_id, type(exc).__name__)
            return True

    def replayed(self, update: object) -> bool:
        """Was ``update`` queued again at start-up? (The flood gate lets it pass: a backlog is not a
        flood.) Asked once per update."""
        if not isinstance(update, Update) or update.update_id not in self._replayed:
            return False
        self._replayed.discard(update.update_id)
        return True

    async def replay(self, app: Application) -> int:
        """Queue again every update received in the last day and never started (start-up, before
        polling), in the order they arrived."""
        if self.log is None:
            return 0
        rows = await asyncio.to_thread(self.log.unhandled)
        for update_id, payload in rows:
            update = Update.de_json(json.loads(payload), app.bot)
            if update is None:
                await asyncio.to_thread(self.log.start, update_id)
                continue
            self._stored.add(update_id)
            self._replayed.add(update_id)
            await super().put(update)
        if rows:
            log.info("%d updates received before a restart and never started: handling them now", len(rows))
        return len(rows)
