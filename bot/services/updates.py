"""Processed update ids: Telegram re-delivers updates a crashed bot fetched but never confirmed;
a command with side effects claims its update id first and does nothing if it was claimed."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from bot.clock import Clock
from bot.models import ProcessedUpdate


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

    def prune(self, older_than: timedelta = timedelta(days=7)) -> int:
        cutoff = self.clock.now() - older_than
        with Session(self.engine) as s:
            res = s.execute(sa.delete(ProcessedUpdate).where(col(ProcessedUpdate.processed_at) < cutoff))
            s.commit()
            return res.rowcount or 0
