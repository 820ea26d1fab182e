"""The sender lease: one holder at a time, taken over only after it lapses, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.clock import FakeClock
from bot.db import init_db, make_engine
from bot.services.lease import LeaseService


def test_one_holder_and_takeover(any_db_url):
    engine = make_engine(any_db_url)
    init_db(engine)
    clock = FakeClock(datetime(2026, 11, 29, tzinfo=UTC))
    a = LeaseService(engine, clock, ttl=timedelta(seconds=30))
    b = LeaseService(engine, clock, ttl=timedelta(seconds=30))
    assert a.renew() and a.is_leader
    assert not b.renew() and not b.is_leader
    clock.advance(timedelta(seconds=15))
    assert a.renew()  # renewing keeps it
    clock.advance(timedelta(seconds=25))
    assert not b.renew()  # a renewed 25 s ago: still a's
    assert not a.is_leader or a.renew()
    clock.advance(timedelta(seconds=31))  # a died: no renewals for longer than the ttl
    assert b.renew() and b.is_leader
    assert not a.renew() and not a.is_leader
    b.release()
    assert a.renew()
    engine.dispose()


def test_leader_stops_before_lapse(any_db_url):
    engine = make_engine(any_db_url)
    init_db(engine)
    clock = FakeClock(datetime(2026, 11, 29, tzinfo=UTC))
    a = LeaseService(engine, clock, ttl=timedelta(seconds=30))
    assert a.renew()
    clock.advance(timedelta(seconds=21))
    assert not a.is_leader  # two thirds of the ttl without renewal: stop sending before another may start
    engine.dispose()


def test_restart_on_same_host_takes_over_from_dead_process(tmp_path):
    import subprocess
    import sys

    from sqlmodel import Session

    from bot.models import Lease

    engine = make_engine(f"sqlite:///{tmp_path / 'l.db'}")
    init_db(engine)
    clock = FakeClock(datetime(2026, 11, 29, tzinfo=UTC))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    import socket

    with Session(engine) as s:  # a holder on this host whose process has exited (kill -9)
        s.add(Lease(name="sender", holder=f"{socket.gethostname()}:{dead.stdout.strip()}:abcd",
                    expires_at=clock.now() + timedelta(seconds=30)))
        s.commit()
    fresh = LeaseService(engine, clock)
    assert fresh.renew(), "a restarted bot must not wait out the dead process's lease"
    live = LeaseService(engine, clock)
    assert not live.renew()  # but a live holder (this process) keeps it
    engine.dispose()
