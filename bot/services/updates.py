"""Processed update ids: Telegram re-delivers updates a crashed bot fetched but never confirmed;
a command with side effects claims its update id first and does nothing if it was claimed.
The inbox: every update is stored as it arrives and cleared once handled, so one the bot had
confirmed but not handled when it died is handled after the restart (handlers/lifecycle/inbox.py)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from bot.clock import Clock
from bot.models import InboxUpdate, ProcessedUpdate


class UpdateLog:
    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock

    def claim(self, update_id: int) -> bool:
        """True the first time an update id is seen, False for a replay."""
        with Session(self.engine) as s:
            s.add(ProcessedUpdate(update_id=update_id, processed_at=self.clock.now()))
            try:
                s.commit()
            except IntegrityError:
                return False
            return True

    def receive(self, update_id: int, payload: str) -> bool:
        """Store an arriving update (its JSON); False when it arrived before — Telegram
        re-delivering what a killed bot had fetched but not confirmed: the inbox holds it still,
        or handled it (same digest). An id stored with another update's digest is a new update
        reusing the id (ids restart at random after a week of silence, and with a new token): it
        replaces the old receipt and is True."""
        digest = hashlib.sha256(payload.encode("utf-8")).hexdigest()
        now = self.clock.now()
        with Session(self.engine) as s:
            s.add(InboxUpdate(update_id=update_id, payload=payload, digest=digest, received_at=now))
            try:
                s.commit()
                return True
            except IntegrityError:
                s.rollback()
            old = s.get(InboxUpdate, update_id)
            if old is None or old.payload is not None or old.digest == digest:
                return False
            old.payload, old.digest, old.received_at = payload, digest, now
            s.add(old)
            s.commit()
            return True

    def handled(self, update_ids: list[int]) -> None:
        """These updates need no replay any more (their rows stay, as receipts, until pruned)."""
        if not update_ids:
            return
        with Session(self.engine) as s:
            s.execute(sa.update(InboxUpdate).where(col(InboxUpdate.update_id).in_(update_ids))
                      .values(payload=None))
            s.commit()

    def unhandled(self) -> list[tuple[int, str]]:
        """(update id, JSON) of every update received and not handled, oldest first."""
        with Session(self.engine) as s:
            rows = s.execute(sa.select(InboxUpdate.update_id, InboxUpdate.payload)
                             .where(col(InboxUpdate.payload).is_not(None))
                             .order_by(col(InboxUpdate.update_id))).all()
        return [(int(i), str(p)) for i, p in rows]

    def prune(self, older_than: timedelta = timedelta(days=7)) -> int:
        """Forget claims and handled receipts older than a week (Telegram keeps an update a day)."""
        cutoff = self.clock.now() - older_than
        with Session(self.engine) as s:
            res = s.execute(sa.delete(ProcessedUpdate).where(col(ProcessedUpdate.processed_at) < cutoff))
            inbox = s.execute(sa.delete(InboxUpdate).where(col(InboxUpdate.received_at) < cutoff,
                                                           col(InboxUpdate.payload).is_(None)))
            s.commit()
            return (res.rowcount or 0) + (inbox.rowcount or 0)
