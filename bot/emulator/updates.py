"""The update queue and long polling, as the Bot API's getUpdates behaves:

* an update stays queued until a later getUpdates confirms it with ``offset`` > its id, so a bot
  that crashed before confirming gets it again ("re-delivery");
* a negative ``offset`` keeps only the last ``-offset`` updates; ``limit`` is 1-100;
* a long poll (``timeout`` seconds) returns as soon as an update arrives;
* a second getUpdates while one is waiting ends the first with 409 "Conflict: terminated by other
  getUpdates request" (two bot processes on one token);
* while a webhook is set, getUpdates is refused with 409;
* ``allowed_updates`` (getUpdates or setWebhook) filters the updates created after it, and is
  remembered; by default every kind but chat_member, message_reaction and
  message_reaction_count.  A filtered update is never delivered (see ``dropped``).

Update ids increase from ``first_update_id``; Telegram's "start from a certain positive number and
increase sequentially".
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from typing import Any

from bot.emulator.refusals import ApiError

__all__ = ["UpdateQueue"]

# Bot API getUpdates, allowed_updates: "Specify an empty list to receive all update types except
# chat_member, message_reaction, and message_reaction_count (default)."
NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

CONFLICT_POLL = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is "
    "running"
)
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
    "the webhook first"
)


class UpdateQueue:
    """Pending updates, their ids, and getUpdates."""

    def __init__(
        self, cond: threading.Condition, mark: Callable[[], int], first_update_id: int = 1000
    ) -> None:
        self.cond = cond
        self._mark = mark
        self._pending: list[dict[str, Any]] = []  # delivered or not, not yet confirmed
        self._ids = itertools.count(first_update_id)
        self._poll_gen = 0
        self.delivered_max = -1  # highest update_id ever handed to the bot
        self.last_update: dict[str, Any] | None = None
        self.last_inject_mark = 0  # the bot's event count when the last update was queued
        self.stopping = False
        self.webhook_active = False
        self.allowed: frozenset[str] | None = None  # None: Telegram's default
        self.dropped: list[dict[str, Any]] = []  # updates allowed_updates kept from the bot

    def inject(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw update (``update_id`` assigned when missing); returns it.  An update of a
        kind the bot's ``allowed_updates`` excludes is kept in ``dropped`` instead, as Telegram
        never sends it."""
        with self.cond:
            if "update_id" not in update:
                update = {"update_id": next(self._ids), **update}
            self.last_inject_mark = self._mark()
            self.last_update = update
            if not self._wanted(update):
                self.dropped.append(update)
                return update
            self._pending.append(update)
            self.cond.notify_all()
        return update

    def _wanted(self, update: dict[str, Any]) -> bool:
        kind = next((k for k in update if k != "update_id"), "")
        if self.allowed is None:
            return kind not in NOT_BY_DEFAULT
        return kind in self.allowed

    def set_allowed(self, allowed: Any) -> None:
        """Remember ``allowed_updates`` (a list; empty means Telegram's default)."""
        if isinstance(allowed, str):
            try:
                allowed = json.loads(allowed)
            except ValueError:
                return
        if isinstance(allowed, list):
            with self.cond:
                self.allowed = frozenset(allowed) if allowed else None

    def pending(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by a getUpdates offset (delivered or not)."""
        with self.cond:
            return list(self._pending)

    def delivered(self, update: dict[str, Any] | int) -> bool:
        """Whether getUpdates (or the webhook) has handed this update to the bot."""
        uid = update if isinstance(update, int) else update["update_id"]
        with self.cond:
            return uid <= self.delivered_max

    def get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """The Bot API ``getUpdates`` (offset, limit, timeout); blocks up to ``timeout`` s."""
        offset = params.get("offset")
        limit = max(1, min(100, int(params.get("limit") or 100)))
        deadline = time.monotonic() + max(0.0, float(params.get("timeout") or 0))
        with self.cond:
            if self.webhook_active:
                raise ApiError(409, CONFLICT_WEBHOOK)
            if "allowed_updates" in params:
                self.set_allowed(params["allowed_updates"])
            if isinstance(offset, int) and offset > 0:
                self._pending = [u for u in self._pending if u["update_id"] >= offset]
            elif isinstance(offset, int) and offset < 0:
                self._pending = self._pending[offset:]
            self._poll_gen += 1
            gen = self._poll_gen
            self.cond.notify_all()
            while True:
                if self._pending:
                    batch = [dict(u) for u in self._pending[:limit]]
                    self.delivered_max = max(self.delivered_max, batch[-1]["update_id"])
                    return batch
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.stopping:
                    return []
                self.cond.wait(remaining)
                if self._poll_gen != gen:
                    raise ApiError(409, CONFLICT_POLL)

    def cut_long_polls(self) -> None:
        """End every waiting getUpdates (with 409, as a webhook being set does)."""
        with self.cond:
            self._poll_gen += 1
            self.cond.notify_all()

    def drop_pending(self) -> None:
        """Forget every queued update (``drop_pending_updates``)."""
        with self.cond:
            self._pending.clear()

    def head(self) -> dict[str, Any] | None:
        """The oldest pending update, for webhook delivery."""
        with self.cond:
            return self._pending[0] if self._pending else None

    def confirm(self, update: dict[str, Any]) -> None:
        """The webhook accepted ``update``: it is delivered and leaves the queue."""
        with self.cond:
            if self._pending and self._pending[0] is update:
                self._pending.pop(0)
            self.delivered_max = max(self.delivered_max, update["update_id"])

    def stop(self) -> None:
        """Release every waiting long poll (they answer an empty list)."""
        with self.cond:
            self.stopping = True
            self.cond.notify_all()

    def restart(self) -> None:
        with self.cond:
            self.stopping = False
