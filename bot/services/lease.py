"""A leader lease in the database: when several bot processes share one database, only the
holder sends scheduled reminders and broadcasts. A conditional UPDATE takes or renews it
atomically on SQLite and PostgreSQL alike; a holder that dies loses it after ``ttl``."""

from __future__ import annotations

import logging
import os
import secrets
import socket
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from bot.clock import Clock
from bot.models import Lease

log = logging.getLogger(__name__)


class LeaseService:
    def __init__(self, engine: Engine, clock: Clock, *, name: str = "sender",
                 ttl: timedelta = timedelta(seconds=30)) -> None:
        self.engine = engine
        self.clock = clock
        self.name = name
        self.ttl = ttl
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self._valid_until = None

    def renew(self) -> bool:
        """Take the lease if free or expired, extend it if ours. True while we hold it."""
        now = self.clock.now()
        expires = now + self.ttl
        with self.engine.begin() as conn:
            res = conn.execute(
                sa.update(Lease)
                .where(col(Lease.name) == self.name,
                       sa.or_(col(Lease.holder) == self.holder, col(Lease.expires_at) < now))
                .values(holder=self.holder, expires_at=expires)
            )
            ok = res.rowcount == 1
        if not ok:
            ok = self._take_from_dead_local_holder(now, expires)
        if not ok:
            try:
                with self.engine.begin() as conn:
                    conn.execute(sa.insert(Lease).values(name=self.name, holder=self.holder, expires_at=expires))
                ok = True
            except IntegrityError:
                ok = False
        was = self.is_leader
        self._valid_until = expires - self.ttl / 3 if ok else None  # stop a margin before it lapses
        if ok != was:
            log.info("%s the %r lease (%s)", "took" if ok else "lost", self.name, self.holder)
        return ok

    def _take_from_dead_local_holder(self, now, expires) -> bool:  # noqa: ANN001
        """A holder on this host whose process is gone (kill -9, then a restart) need not be waited
        out: take the lease at once. Holders on other hosts are only taken over after ttl."""
        with self.engine.begin() as conn:
            holder = conn.execute(sa.select(Lease.holder).where(col(Lease.name) == self.name)).scalar()
            if holder is None:
                return False
            host, _, rest = holder.partition(":")
            pid = rest.partition(":")[0]
            if host != socket.gethostname() or not pid.isdigit() or _alive(int(pid)):
                return False
            res = conn.execute(sa.update(Lease).where(col(Lease.name) == self.name, col(Lease.holder) == holder)
                               .values(holder=self.holder, expires_at=expires))
            if res.rowcount == 1:
                log.info("took the %r lease from %s, whose process is gone", self.name, holder)
            return res.rowcount == 1

    @property
    def is_leader(self) -> bool:
        return self._valid_until is not None and self.clock.now() < self._valid_until

    def release(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.delete(Lease).where(col(Lease.name) == self.name, col(Lease.holder) == self.holder))
        self._valid_until = None


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
