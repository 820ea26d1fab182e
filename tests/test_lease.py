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
