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
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.services.updates import UpdateLog

log = logging.getLogger(__name__)


class InboxQueue(asyncio.Queue):
    """``ApplicationBuilder.update_queue``: an update put in is stored first (``attach`` gives the
    database once the services exist; until then updates pass as in a plain queue)."""

    def __init__(self) -> None:
        super().__init__()
        self.log: UpdateLog | None = None
        self._handled: list[int] = []
        self._flush: asyncio.Handle | None = None

    def attach(self, updates: UpdateLog) -> None:
        self.log = updates

    async def put(self, item: Any) -> None:
        if isinstance(item, Update) and self.log is not None:
            payload = json.dumps(item.to_dict(), ensure_ascii=False)
            if not self.log.receive(item.update_id, payload):
                log.info("update %s received again (re-delivered after a restart); handled once", item.update_id)
                return
        await super().put(item)

    def handled(self, update: object) -> None:
        """The processor has started ``update``'s handlers (or dropped it): no replay."""
        if not isinstance(update, Update) or self.log is None:
            return
        self._handled.append(update.update_id)
        if self._flush is None:
            # written once this turn of the event loop is over: the updates finished together
            # share one statement, and none waits longer than that
            self._flush = asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        self._flush = None
        done, self._handled = self._handled, []
        if done and self.log is not None:
            try:
                self.log.handled(done)
            except Exception:  # noqa: BLE001 - a lost mark only means a replay after a crash
                log.warning("could not mark %d updates handled", len(done), exc_info=True)

    async def replay(self, app: Application) -> int:
        """Queue again every update received and never handled (start-up, before polling)."""
        if self.log is None:
            return 0
        rows = self.log.unhandled()
        for update_id, payload in rows:
            update = Update.de_json(json.loads(payload), app.bot)
            if update is None:
                self.log.handled([update_id])
                continue
            await super().put(update)
        if rows:
            log.info("%d updates received before a restart and not handled: handling them now", len(rows))
        return len(rows)
