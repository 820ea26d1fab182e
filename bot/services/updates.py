"""Processed update ids: Telegram re-delivers updates a crashed bot fetched but never confirmed;
a command with side effects claims its update id first and does nothing if it was claimed.
The inbox: every update is stored as it arrives and cleared once handled, so one the bot had
confirmed but not handled when it died is handled after the restart (handlers/lifecycle/inbox.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from bot.clock import Clock
from bot.models import InboxUpdate, ProcessedUpdate
from bot.services.quickread import QuickRead


def _digest(payload: str) -> str:
    """SHA-256 of an update's JSON, hex: what tells a re-delivery from a new update reusing an id."""
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class UpdateLog:
    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock
        self._insert: QuickRead | None = None  # the inbox's per-update statements (_fast)
        self._mark: QuickRead | None = None
        self._bind_at: Callable[[datetime], Any] | None = None

    def claim(self, update_id: int, payload: str = "") -> bool:
        """True the first time an update is acted on, False for a replay of it (same id and,
        when ``payload`` — the update's JSON — is given, the same digest). A new update reusing
        the id (Telegram's ids restart after a week of silence, and with a new token) takes
        the claim over and is True."""
        digest, now = _digest(payload) if payload else "", self.clock.now()
        with Session(self.engine) as s:
            s.add(ProcessedUpdate(update_id=update_id, processed_at=now, digest=digest))
            try:
                s.commit()
                return True
            except IntegrityError:
                pass
        return self._taken_over(ProcessedUpdate, update_id, digest, processed_at=now)

    def _taken_over(self, model: type[InboxUpdate] | type[ProcessedUpdate], update_id: int, digest: str,
                    **changes: Any) -> bool:
        """``update_id`` is stored already: True — and the row now holds the new update — when its
        digest differs (a new update reusing the id); False for the same update, one whose
        digest is unknown, or an inbox row still waiting to start."""
        with Session(self.engine) as s:
            old = s.get(model, update_id)
            if old is None or not digest or not old.digest or old.digest == digest \
                    or getattr(old, "payload", None) is not None:
                return False
            for name, value in {"digest": digest, **changes}.items():
                setattr(old, name, value)
            s.add(old)
            s.commit()
            return True

    def _fast(self) -> tuple[QuickRead, QuickRead, Callable[[datetime], Any]]:
        """(insert-if-new, take-if-waiting) statements compiled once, and the received_at binder."""
        if self._insert is None:
            table = InboxUpdate.__table__
            if self.engine.dialect.name == "sqlite":  # each dialect's own ON CONFLICT (and only its module)
                from sqlalchemy.dialects.sqlite import insert as dialect_insert
            else:
                from sqlalchemy.dialects.postgresql import insert as dialect_insert
            insert = dialect_insert(table).on_conflict_do_nothing()
            self._insert = QuickRead(self.engine, insert.values(
                update_id=sa.bindparam("uid"), payload=sa.bindparam("payload"),
                digest=sa.bindparam("digest"), received_at=sa.bindparam("at")))
            self._mark = QuickRead(self.engine, sa.update(table).where(
                table.c.update_id == sa.bindparam("uid"), table.c.payload.is_not(None)).values(payload=sa.null()))
            bind = table.c.received_at.type.bind_processor(self.engine.dialect)
            self._bind_at = bind or (lambda v: v)
        assert self._mark is not None and self._bind_at is not None
        return self._insert, self._mark, self._bind_at

    def receive(self, update_id: int, payload: str) -> bool:
        """Store an arriving update (its JSON); False when it arrived before — Telegram
        re-delivering what a killed bot had fetched but not confirmed: the inbox holds it still,
        or handled it (same digest). An id stored with another update's digest is a new update
        reusing the id (ids restart at random after a week of silence, and with a new token): it
        replaces the old receipt and is True. Made for every update: one compiled INSERT … ON
        CONFLICT DO NOTHING (bot/services/quickread.py, ~0.1 ms on SQLite against ~0.6 ms through
        an ORM session), the ORM only when the id is already there."""
        digest, now = _digest(payload), self.clock.now()
        insert, _mark, bind_at = self._fast()
        if insert.write([{"uid": update_id, "payload": payload, "digest": digest, "at": bind_at(now)}]) == 1:
            return True
        return self._taken_over(InboxUpdate, update_id, digest, payload=payload, received_at=now)

    def start(self, update_id: int) -> bool:
        """Take an update out of the inbox as its handlers start: True for the one caller that
        does (False: another process sharing the database took it, or it was never stored)."""
        return self._fast()[1].write([{"uid": update_id}]) == 1

    def unhandled(self, within: timedelta = timedelta(days=1)) -> list[tuple[int, str]]:
        """(update id, JSON) of every update received in the last ``within`` (Telegram keeps an
        update a day) and never started, in the order they arrived."""
        since = self.clock.now() - within
        with Session(self.engine) as s:
            rows = s.execute(sa.select(InboxUpdate.update_id, InboxUpdate.payload)
                             .where(col(InboxUpdate.payload).is_not(None), col(InboxUpdate.received_at) >= since)
                             .order_by(col(InboxUpdate.received_at), col(InboxUpdate.update_id))).all()
        return [(int(i), str(p)) for i, p in rows]

    def prune(self, older_than: timedelta = timedelta(days=7)) -> int:
        """Forget claims and handled receipts older than a week (Telegram keeps an update a day)."""
        cutoff = self.clock.now() - older_than
        with Session(self.engine) as s:
            res = s.execute(sa.delete(ProcessedUpdate).where(col(ProcessedUpdate.processed_at) < cutoff))
            # receipts, and updates never started that are too old to replay
            inbox = s.execute(sa.delete(InboxUpdate).where(col(InboxUpdate.received_at) < cutoff))
            s.commit()
            return (res.rowcount or 0) + (inbox.rowcount or 0)
