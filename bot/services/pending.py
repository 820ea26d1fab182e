"""Previews waiting for 「确认」: stored, so they survive a restart; confirmed at most once.

One mechanism for every "preview, then 确认/取消" that changes data: an uploaded roster, a
任务分解表, a work plan, ``/unbind``, ``/unit_del``, ``/event_add`` / ``/event_edit`` /
``/event_del``. A module creates a :class:`PendingAction`
with a kind and a JSON payload (``create``); the buttons carry its id and a random token
(``pa:ok:<id>:<token>``, well under Telegram's 64-byte callback data limit); on 确认 the module
calls :meth:`PendingService.confirm` with a function that applies the payload inside the same
database transaction that marks the preview done. So a second 确认 (a double tap, a replayed
update, a second bot process) finds it done and changes nothing, and a kill -9 before the commit
leaves it pending and re-usable. A newer preview of the same kind by the same admin supersedes
the older ones; a preview past its expiry answers as expired. Telegram-free.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.clock import Clock
from bot.errors import PendingGone
from bot.models import PendingAction

T = TypeVar("T")

DEFAULT_TTL = timedelta(hours=24)
KEEP_FINISHED = timedelta(days=30)  # finished previews are kept this long, then pruned
TOKEN_BYTES = 6  # -> 8 URL-safe characters


class PendingService:
    """Create, inspect, confirm and cancel previews (see the module docstring)."""

    def __init__(self, engine: Engine, clock: Clock, ttl: timedelta = DEFAULT_TTL) -> None:
        self.engine = engine
        self.clock = clock
        self.ttl = ttl

    def _session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def create(self, *, kind: str, admin_id: int, chat_id: int, payload: dict[str, Any],
               ttl: timedelta | None = None, supersede: bool = True) -> PendingAction:
        """Store a preview of ``kind`` (≤ 20 characters) for ``admin_id``; earlier pending previews
        of the same kind by the same admin become ``superseded`` — unless ``supersede`` is False,
        for kinds whose previews are independent of each other (two /event_add previews are two
        events). ``payload`` must be JSON-serialisable. Returns the stored action (id and token set)."""
        now = self.clock.now()
        with self._session() as s:
            if supersede:
                s.execute(sa.update(PendingAction)
                          .where(col(PendingAction.kind) == kind, col(PendingAction.admin_id) == admin_id,
                                 col(PendingAction.status) == "pending")
                          .values(status="superseded", finished_at=now))
            action = PendingAction(kind=kind, admin_id=admin_id, chat_id=chat_id,
                                   token=secrets.token_urlsafe(TOKEN_BYTES),
                                   payload=json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
                                   created_at=now, expires_at=now + (ttl or self.ttl))
            s.add(action)
            s.commit()
            return action

    def get(self, action_id: int) -> PendingAction | None:
        with self._session() as s:
            return s.get(PendingAction, action_id)

    @staticmethod
    def payload(action: PendingAction) -> dict[str, Any]:
        """The action's payload as a dict."""
        return json.loads(action.payload or "{}")

    def _why_not(self, action: PendingAction | None, token: str, user_id: int) -> PendingGone:
        if action is None or not secrets.compare_digest(action.token, token or ""):
            return PendingGone("unknown")
        if action.admin_id != user_id:
            return PendingGone("not_yours")
        if action.status != "pending":
            return PendingGone(action.status if action.status in ("done", "cancelled", "superseded") else "unknown")
        return PendingGone("expired")

    def check(self, *, action_id: int, token: str, user_id: int) -> PendingAction:
        """The action if ``user_id`` may still confirm or cancel it; else raises PendingGone
        (reason unknown / not_yours / done / cancelled / superseded / expired)."""
        a = self.get(action_id)
        if (a is None or not secrets.compare_digest(a.token, token or "") or a.admin_id != user_id
                or a.status != "pending" or a.expires_at <= self.clock.now()):
            raise self._why_not(a, token, user_id)
        return a

    def _claim(self, s: Session, action_id: int, token: str, user_id: int, status: str) -> bool:
        now = self.clock.now()
        res = s.execute(sa.update(PendingAction)
                        .where(col(PendingAction.id) == action_id, col(PendingAction.token) == token,
                               col(PendingAction.admin_id) == user_id, col(PendingAction.status) == "pending",
                               col(PendingAction.expires_at) > now)
                        .values(status=status, finished_at=now))
        return res.rowcount == 1

    def confirm(self, *, action_id: int, token: str, user_id: int,
                apply: Callable[[Session, dict[str, Any]], T]) -> T:
        """Mark the action done and run ``apply(session, payload)`` in one transaction; returns
        what ``apply`` returns. The claim is the transaction's first statement (an UPDATE that
        only a pending, unexpired action with this token and admin matches), so of two concurrent
        confirmations exactly one applies. When ``apply`` raises, nothing is committed and the
        action stays pending. Raises PendingGone when it cannot be confirmed."""
        with self._session() as s:
            if not self._claim(s, action_id, token, user_id, "done"):
                s.rollback()
                raise self._why_not(s.get(PendingAction, action_id), token, user_id)
            action = s.get(PendingAction, action_id)
            assert action is not None
            result = apply(s, self.payload(action))
            s.commit()
            return result

    def cancel(self, *, action_id: int, token: str, user_id: int) -> PendingAction:
        """Mark the action cancelled; returns it. Raises PendingGone when it is no longer pending."""
        with self._session() as s:
            if not self._claim(s, action_id, token, user_id, "cancelled"):
                s.rollback()
                raise self._why_not(s.get(PendingAction, action_id), token, user_id)
            s.commit()
            action = s.get(PendingAction, action_id)
            assert action is not None
            return action

    def cancel_all(self, *, user_id: int) -> int:
        """Cancel every pending preview of ``user_id`` (for /cancel); returns how many."""
        with self._session() as s:
            res = s.execute(sa.update(PendingAction)
                            .where(col(PendingAction.admin_id) == user_id, col(PendingAction.status) == "pending",
                                   col(PendingAction.expires_at) > self.clock.now())
                            .values(status="cancelled", finished_at=self.clock.now()))
            s.commit()
            return res.rowcount or 0

    def prune(self) -> int:
        """Delete previews finished or expired more than KEEP_FINISHED ago; returns how many."""
        cutoff = self.clock.now() - KEEP_FINISHED
        with self._session() as s:
            old = list(s.exec(select(PendingAction.id).where(col(PendingAction.expires_at) < cutoff)))
            if old:
                s.execute(sa.delete(PendingAction).where(col(PendingAction.id).in_(old)))
            s.commit()
            return len(old)
