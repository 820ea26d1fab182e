"""EventService on a real database (SQLite and PostgreSQL), time driven by a FakeClock."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot import texts
from bot.clock import FakeClock
from bot.config import parse_offsets
from bot.db import init_db, make_engine, session
from bot.errors import AppError, EventError, PendingGone
from bot.models import Chat, CheckIn, Member, Plan, ReminderDelivery, Unit
from bot.services.events import MARKER, EventService
from bot.services.pending import PendingService

SH = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 29, 9, 0, tzinfo=SH)  # a Sunday morning in Fengdu


def local(*args: int, tz: ZoneInfo = SH) -> datetime:
    return datetime(*args, tzinfo=tz)


@pytest.fixture
def clock():
    return FakeClock(START)


def service(engine, clock, offsets: str = "7d,1d,2h", **kw) -> EventService:  # noqa: ANN001
    return EventService(engine, clock, tz=kw.pop("tz", SH), offsets=parse_offsets(offsets),
                        admin_ids=kw.pop("admin_ids", [42]), **kw)


@pytest.fixture
def svc(engine, clock):
    return service(engine, clock)


def unit(engine, name: str, created_at: datetime = START - timedelta(days=60)) -> int:  # noqa: ANN001
    with session(engine) as s:
        u = Unit(name=name, created_at=created_at)
        s.add(u)
        s.commit()
        return u.id


def member(engine, user_id: int, unit_id: int, *, bound_at: datetime = START - timedelta(days=30),  # noqa: ANN001
           chat: bool = True, active: bool = True, muted: bool = False) -> None:
    with session(engine) as s:
        s.add(Member(user_id=user_id, chat_id=user_id, unit_id=unit_id, bound_at=bound_at))
        if chat:
            s.add(Chat(chat_id=user_id, user_id=user_id, active=active, muted=muted))
        s.commit()


def report(engine, unit_id: int, period: str, *, superseded: bool = False) -> None:  # noqa: ANN001
    with session(engine) as s:
        plan_id = s.exec(select(Plan.id).where(Plan.active)).one()  # the shipped plan (migration 0005)
        s.add(CheckIn(period=period, plan_id=plan_id, unit_id=unit_id, user_id=1, item_id="1.1", status="进行中",
                      superseded=superseded))
        s.commit()


def keys(dues) -> list[tuple[int, str]]:  # noqa: ANN001
    return [(d.event_id, d.offset_key) for d in dues]


def add_typed(svc: EventService, text: str, **kw):  # noqa: ANN003, ANN201
    """What /event_add does with a fully written date: read, then add (checked)."""
    when = svc.read(text)
    return svc.add_checked(title=when.rest, starts_at=when.at, **kw)


def deliveries(engine, event_id: int) -> list[ReminderDelivery]:  # noqa: ANN001
    with session(engine) as s:
        return list(s.exec(select(ReminderDelivery).where(ReminderDelivery.event_id == event_id)
                           .order_by(ReminderDelivery.id)))


# --- parsing ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "2026-12-20 09:30 县级双拥模范命名表彰大会",
    "2026/12/20 09:30 县级双拥模范命名表彰大会",
    "2026-12-20 09：30 县级双拥模范命名表彰大会",
    "2026.12.20 9:30 县级双拥模范命名表彰大会",
    "2026年12月20日 9点30分 县级双拥模范命名表彰大会",
    "2026年12月20日9点半 县级双拥模范命名表彰大会",
    "２０２６－１２－２０　０９：３０　县级双拥模范命名表彰大会",
])
def test_read_accepts_the_usual_ways_of_writing_a_time(svc, text):
    when = svc.read(text)
    assert when.at == local(2026, 12, 20, 9, 30) and when.explicit
    assert when.at.tzinfo is not None
    assert when.rest == "县级双拥模范命名表彰大会"


@pytest.mark.parametrize(("text", "needle"), [
    ("2026-02-30 09:30 大会", "日期不存在"),
    ("2026-13-01 09:30 大会", "日期不存在"),
    ("2026-12-20 24:10 大会", "时间不存在"),
    ("2026-12-20 09:75 大会", "时间不存在"),
    ("2026-11-01 09:30 大会", "已经过去"),
    ("2026-11-29 08:59 大会", "已经过去"),
    ("2029-12-20 09:30 大会", "两年以后"),
    ("2026-12-20 下午 大会", "几点"),
    ("2026-12-20 09:30", "标题"),
    ("明天上午开会", "几点"),
    ("明天3点 开会", "下午3点"),
    ("开会", "/event_add"),
    ("", "/event_add"),
    ("2026-12-20 09:30 " + "长" * 101, "上限"),
])
def test_read_errors_say_what_is_wrong(svc, text, needle):
    with pytest.raises(AppError) as exc:  # the service raises data; texts says it in Chinese
        svc.read(text)
    assert needle in texts.error_text(exc.value)


def test_read_refuses_a_time_in_a_dst_gap(engine, clock):
    berlin = service(engine, clock, tz=ZoneInfo("Europe/Berlin"))
    with pytest.raises(AppError) as exc:
        berlin.read("2027-03-28 02:30 Sommerzeit")
    assert "时间不存在" in texts.error_text(exc.value)
    assert berlin.read("2027-03-28 03:30 ok").at == local(2027, 3, 28, 3, 30, tz=ZoneInfo("Europe/Berlin"))


# --- planning and due work -------------------------------------------------------------------

def test_plan_lists_each_offset_and_skips_those_already_past(svc, clock):
    ev, plans = add_typed(svc, "2026-12-02 10:00 慰问活动", created_by=42)  # 3 days + 1 h ahead
    assert [(p.offset_key, p.skipped) for p in plans] == [("7d", True), ("1d", False), ("2h", False)]
    assert [p.due_at for p in plans] == [local(2026, 11, 25, 10), local(2026, 12, 1, 10), local(2026, 12, 2, 8)]
    assert ev.id and ev.created_by == 42 and ev.title == "慰问活动"


def test_reminders_fall_due_at_each_offset_and_only_once(engine, svc, clock):
    u = unit(engine, "龙城镇")
    member(engine, 7, u)
    ev, _ = add_typed(svc, "2026-12-20 09:30 表彰大会")
    assert svc.due_reminders() == []
    clock.set(local(2026, 12, 13, 9, 29, 59))
    assert svc.due_reminders() == []
    assert keys(svc.pending_reminders(until=local(2026, 12, 14))) == [(ev.id, "7d")]
    clock.set(local(2026, 12, 13, 9, 30))
    due = svc.due_reminders()
    assert keys(due) == [(ev.id, "7d")] and due[0].due_at == local(2026, 12, 13, 9, 30)
    assert svc.due_reminder(ev.id, "7d") == due[0]
    assert svc.recipients(at=due[0].due_at) == [7]
    assert svc.claim(ev.id, "7d", 7) is True
    assert svc.claim(ev.id, "7d", 7) is False  # claim-then-send: a second claim never succeeds
    svc.record(ev.id, "7d", 7, "sent")
    assert svc.settle(ev.id, "7d") is True
    assert svc.settle(ev.id, "7d") is False
    assert svc.due_reminders() == [] and svc.due_reminder(ev.id, "7d") is None
    clock.set(local(2026, 12, 20, 7, 30))  # 1d and 2h both due (the bot slept through 1d)
    assert keys(svc.due_reminders()) == [(ev.id, "1d"), (ev.id, "2h")]
    statuses = {(d.offset_key, d.chat_id): d.status for d in deliveries(engine, ev.id)}
    assert statuses == {("7d", 7): "sent", ("7d", MARKER): "done"}


def test_one_minute_offset(engine, clock):
    svc = service(engine, clock, "1m")
    ev = svc.add(title="马上开始", starts_at=clock.now() + timedelta(minutes=2))
    assert [p.offset_key for p in svc.plan(ev)] == ["1m"]
    clock.advance(timedelta(seconds=59))
    assert svc.due_reminders() == []
    clock.advance(timedelta(seconds=1))
    assert keys(svc.due_reminders()) == [(ev.id, "1m")]


def test_naive_time_means_bot_timezone(svc):
    ev = svc.add(title="本地时间", starts_at=datetime(2026, 12, 20, 9, 30))
    assert ev.starts_at == local(2026, 12, 20, 9, 30)


def test_day_offsets_keep_the_wall_clock_across_dst(engine):
    berlin = ZoneInfo("Europe/Berlin")
    clock = FakeClock(local(2027, 3, 1, 9, 0, tz=berlin))
    svc = service(engine, clock, "7d,2h", tz=berlin)
    ev = svc.add(title="Frühjahr", starts_at=local(2027, 3, 30, 9, 30, tz=berlin))
    d7, h2 = svc.plan(ev)
    assert d7.due_at.astimezone(berlin).hour == 9 and d7.due_at.astimezone(berlin).day == 23
    assert ev.starts_at - d7.due_at == timedelta(days=7, hours=-1)  # the DST hour is absorbed
    assert ev.starts_at - h2.due_at == timedelta(hours=2)


def test_catch_up_after_downtime_sends_if_the_event_has_not_started(svc, clock):
    ev, _ = add_typed(svc, "2026-12-03 09:30 座谈会")
    clock.set(local(2026, 12, 3, 9, 0))  # the bot was down from before 12-02 09:30 until now
    assert keys(svc.due_reminders()) == [(ev.id, "1d"), (ev.id, "2h")]
    assert svc.skip_expired(full=True) == []


def test_reminders_missed_until_the_event_started_are_skipped_once(engine, svc, clock, caplog):
    ev, _ = add_typed(svc, "2026-12-03 09:30 座谈会")
    clock.set(local(2026, 12, 3, 9, 31))
    assert svc.due_reminders() == []
    with caplog.at_level(logging.WARNING, logger="bot.services.events"):
        skipped = svc.skip_expired(full=True)
    assert keys(skipped) == [(ev.id, "1d"), (ev.id, "2h")]
    assert "skipped" in caplog.text and "座谈会" in caplog.text
    assert svc.skip_expired(full=True) == []  # settled: never reconsidered
    assert {(d.offset_key, d.chat_id, d.status) for d in deliveries(engine, ev.id)} == {
        ("1d", MARKER, "skipped"), ("2h", MARKER, "skipped")}


def test_offsets_past_at_creation_are_neither_due_nor_skipped(engine, svc, clock):
    ev = svc.add(title="临时会议", starts_at=clock.now() + timedelta(minutes=90))
    assert svc.due_reminders() == [] and svc.pending_reminders() == []
    clock.advance(timedelta(hours=2))
    assert svc.skip_expired(full=True) == [] and deliveries(engine, ev.id) == []


def test_recipients_honour_mute_blocked_and_binding_time(engine, svc, clock):
    u = unit(engine, "龙城镇")
    member(engine, 1, u)
    member(engine, 2, u, muted=True)
    member(engine, 3, u, active=False)  # blocked the bot
    member(engine, 4, u, chat=False)  # bound, no Chat row: active and unmuted by default
    member(engine, 5, u, bound_at=START + timedelta(hours=1))
    with session(engine) as s:
        s.add(Chat(chat_id=6, user_id=6))  # sent /start but never bound
        s.commit()
    assert sorted(svc.recipients(at=START)) == [1, 4]
    assert sorted(svc.recipients()) == [1, 4, 5]


def test_deleted_events_are_gone_from_lists_and_due_work(svc, clock):
    a, _ = add_typed(svc, "2026-12-20 09:30 甲")
    b, _ = add_typed(svc, "2026-12-10 09:30 乙")
    assert [e.id for e in svc.upcoming()] == [b.id, a.id]
    assert svc.delete(a.id).title == "甲"
    with pytest.raises(EventError, match="not_found"):
        svc.delete(a.id)
    with pytest.raises(EventError, match="not_found"):
        svc.delete(999)
    assert [e.id for e in svc.upcoming()] == [b.id] and svc.get(a.id) is None
    clock.set(local(2026, 12, 19, 9, 30))  # a's 7d and 1d are due, but a is deleted
    assert svc.due_reminders() == [] and svc.due_reminder(a.id, "1d") is None
    assert {d.event_id for d in svc.skip_expired(full=True)} == {b.id}


def test_pending_reminders_window(svc, clock):
    a, _ = add_typed(svc, "2026-12-20 09:30 甲")
    b, _ = add_typed(svc, "2026-11-30 12:00 乙")
    assert keys(svc.pending_reminders(until=clock.now() + timedelta(hours=2))) == []
    assert keys(svc.pending_reminders(until=clock.now() + timedelta(days=1))) == [(b.id, "1d")]
    assert len(svc.pending_reminders()) == 5  # a: 7d,1d,2h; b: 1d,2h (its 7d was past)


# --- seeding ---------------------------------------------------------------------------------

def _seed_file(tmp_path, starts_at: str, title: str = "县级双拥模范命名表彰大会"):  # noqa: ANN001, ANN202
    path = tmp_path / "seed.json"
    path.write_text(json.dumps({"events": [{"key": "conf", "title": title, "starts_at": starts_at}]},
                               ensure_ascii=False), encoding="utf-8")
    return path


def test_seed_is_idempotent_follows_edits_and_respects_deletion(svc, tmp_path, caplog):
    path = _seed_file(tmp_path, "2027-01-15 09:30")
    assert svc.seed(path) == 1 and svc.seed(path) == 0
    [ev] = svc.upcoming()
    assert ev.starts_at == local(2027, 1, 15, 9, 30) and ev.seed_key == "conf"
    assert svc.seed(_seed_file(tmp_path, "2027-01-20 10:00")) == 1  # the office edited the date
    [ev] = svc.upcoming()
    assert ev.starts_at == local(2027, 1, 20, 10, 0)
    svc.delete(ev.id)
    assert svc.seed(path) == 0 and svc.upcoming() == []
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    assert svc.seed(tmp_path / "bad.json") == 0 and "not loaded" in caplog.text
    assert svc.seed(tmp_path / "missing.json") == 0


def test_seed_skips_past_dates_and_the_shipped_file_loads(svc, tmp_path):
    assert svc.seed(_seed_file(tmp_path, "2026-01-15 09:30")) == 0
    assert svc.seed() == 1  # bot/data/events_seed.json
    assert any("表彰大会" in e.title for e in svc.upcoming())


# --- deadline pushes -------------------------------------------------------------------------
# 2026-11 (monthly, day 25): d3 = 11-22 09:00, d1 = 11-24 09:00, deadline 11-25 23:59, digest 11-26 09:00

@pytest.fixture
def deadline_world(engine):
    a, b, c, d = (unit(engine, n) for n in ("甲镇", "乙街道", "丙局", "丁镇"))
    report(engine, a, "2026-11")
    report(engine, d, "2026-11", superseded=True)  # a superseded report alone does not count
    member(engine, 1, a)
    member(engine, 2, b)
    member(engine, 3, c, muted=True)  # muting event reminders does not mute 催办
    member(engine, 4, d, bound_at=local(2026, 11, 23, 8))  # joined between d3 and d1
    member(engine, 5, b, active=False)  # blocked
    return a, b, c, d


def test_deadline_d3_d1_and_digest(engine, clock, deadline_world):
    svc = service(engine, clock)
    clock.set(local(2026, 11, 22, 8, 59))
    assert svc.deadline_work() == []
    clock.set(local(2026, 11, 22, 9, 0))
    [w] = svc.deadline_work()
    assert (w.period, w.kind, w.deadline) == ("2026-11", "d3", local(2026, 11, 25, 23, 59))
    assert sorted(w.units) == sorted([("丙局", [3]), ("乙街道", [2])])
    assert sorted(w.chat_ids) == [2, 3]
    assert svc.claim_deadline(w.period, "d3", 2) and not svc.claim_deadline(w.period, "d3", 2)
    svc.settle_deadline(w.period, "d3")
    assert svc.deadline_work() == []
    clock.set(local(2026, 11, 24, 9, 0))
    [w] = svc.deadline_work()
    assert w.kind == "d1" and sorted(w.chat_ids) == [2, 3, 4]
    report(engine, deadline_world[1], "2026-11")  # 乙 reports before the d1 push goes out
    [w] = svc.deadline_work()
    assert sorted(w.chat_ids) == [3, 4]
    svc.settle_deadline(w.period, "d1")
    clock.set(local(2026, 11, 26, 9, 0))
    [w] = svc.deadline_work()
    assert w.kind == "digest" and w.admins == [42]
    assert sorted(w.missing) == ["丁镇", "丙局"] and w.total_units == 4


def test_deadline_catch_up_sends_only_the_latest_and_skips_what_is_too_late(engine, clock, deadline_world, caplog):
    svc = service(engine, clock)
    clock.set(local(2026, 11, 25, 20, 0))  # down since before d3; the deadline is tonight
    caplog.set_level(logging.INFO, logger="bot.services.events")
    [w] = svc.deadline_work()
    assert w.kind == "d1" and "overtaken by d1" in caplog.text
    clock.set(local(2026, 11, 26, 0, 5))  # still down when the deadline passed: d1 skipped
    assert [x.kind for x in svc.deadline_work()] == []
    assert "the deadline has passed" in caplog.text
    clock.set(local(2026, 11, 29, 8, 59))  # digest 3 days minus a minute late: still sent
    assert [x.kind for x in svc.deadline_work()] == ["digest"]


def test_late_digest_is_skipped(engine, deadline_world):
    clock = FakeClock(local(2026, 11, 29, 9, 1))
    svc = service(engine, clock)
    assert [x.kind for x in svc.deadline_work()] == []  # more than 3 days late


def test_previous_period_digest_is_caught_up_next_month(engine, deadline_world):
    clock2 = FakeClock(local(2026, 12, 1, 10, 0))
    svc28 = service(engine, clock2, deadline_day=28)  # digest of 2026-11 falls on 11-29 09:00
    assert [(x.period, x.kind) for x in svc28.deadline_work()] == [("2026-11", "digest")]


def test_quarterly_previous_period(engine):
    unit(engine, "甲镇")
    clock = FakeClock(local(2027, 1, 1, 8, 0))
    svc = service(engine, clock, period_kind="quarterly", deadline_day=28)  # 2026-Q4 digest 12-29
    assert [(x.period, x.kind) for x in svc.deadline_work()] == [("2026-Q4", "digest")]


def test_no_digest_when_no_unit_existed_and_nobody_to_tell(engine, clock):
    svc = service(engine, clock)  # START is 11-29 09:00, the 2026-11 digest is within its grace
    unit(engine, "新单位", created_at=START)  # created after the deadline (a test, a new office)
    assert svc.deadline_work() == []
    clock.set(local(2026, 12, 22, 9, 0))  # d3 of 2026-12, but no member was bound by then
    member(engine, 9, unit(engine, "某镇"), bound_at=local(2026, 12, 22, 9, 1))
    assert svc.deadline_work() == []


def test_the_same_event_typed_twice_is_refused(tmp_path):
    from datetime import UTC, datetime

    from bot.clock import FakeClock
    from bot.config import Settings
    from bot.services.events import EventService

    engine = make_engine(f"sqlite:///{tmp_path / 'e.db'}")
    init_db(engine)
    svc = EventService.from_settings(engine, FakeClock(datetime(2026, 11, 29, tzinfo=UTC)),
                                     Settings(_env_file=None))  # type: ignore[call-arg]
    ev, _ = add_typed(svc, "2026-12-20 09:30 县级双拥模范命名表彰大会")
    with pytest.raises(EventError) as e:
        add_typed(svc, "2026-12-20 09:30 县级双拥模范命名表彰大会")
    assert e.value.reason == "duplicate" and e.value.event_id == ev.id
    assert f"#{ev.id}" in texts.error_text(e.value)
    add_typed(svc, "2026-12-21 09:30 县级双拥模范命名表彰大会")  # another day is another event


def test_a_tentative_seeded_event_is_listed_but_never_reminded(engine, tmp_path):
    import json
    from datetime import UTC, datetime, timedelta

    from bot.clock import FakeClock
    from bot.config import Settings
    from bot.services.events import EventService

    clock = FakeClock(datetime(2026, 11, 29, tzinfo=UTC))
    svc = EventService.from_settings(engine, clock, Settings(_env_file=None))  # type: ignore[call-arg]
    path = tmp_path / "seed.json"

    def write(tentative: bool) -> None:
        path.write_text(json.dumps({"events": [{"key": "conf", "title": "表彰大会", "tentative": tentative,
                                                "starts_at": "2026-12-10 09:30"}]}), encoding="utf-8")

    write(True)
    assert svc.seed(path) == 1
    assert [e.tentative for e in svc.upcoming()] == [True]
    clock.advance(timedelta(days=10, hours=23))  # past every offset's due time
    assert svc.due_reminders() == []
    write(False)  # the office fixed the date
    assert svc.seed(path) == 1
    assert svc.due_reminders(), "once confirmed, the reminders still due are sent"


# --- events that move, previews, notices ---------------------------------------------------------

def _send(svc, event_id: int, key: str, chats) -> None:  # noqa: ANN001
    """What the handler does for a due reminder: claim, (send), record, settle."""
    for c in chats:
        assert svc.claim(event_id, key, c)
        svc.record(event_id, key, c, "sent")
    svc.settle(event_id, key)


def test_a_move_never_repeats_a_sent_reminder_and_owes_one_notice(engine, svc, clock):
    u = unit(engine, "龙城镇")
    member(engine, 7, u)
    ev, _ = add_typed(svc, "2026-12-20 09:30 表彰大会")
    clock.set(local(2026, 12, 13, 9, 30))
    _send(svc, ev.id, "7d", [7])
    member(engine, 8, u, bound_at=local(2026, 12, 13, 10, 0))  # joined after the 7d reminder
    clock.set(local(2026, 12, 13, 11, 0))
    moved = svc.move(ev.id, starts_at=local(2026, 12, 22, 14, 0))
    assert (moved.old_starts_at, moved.reminded, moved.skipped) == (local(2026, 12, 20, 9, 30), 1, [])
    assert moved.event.revision == 1 and moved.event.notice == "m1"
    [work] = svc.notice_work()
    assert (work.kind, work.key, work.changed, work.others) == ("moved", "m1", [7], [])
    assert work.moved_from == local(2026, 12, 20, 9, 30) and work.starts_at == local(2026, 12, 22, 14, 0)
    assert svc.due_reminders() == []  # the 7d is settled: its new time (12-15 14:00) is never used
    assert [(d.offset_key, d.due_at) for d in svc.pending_reminders()] == [
        ("1d", local(2026, 12, 21, 14, 0)), ("2h", local(2026, 12, 22, 12, 0))]
    assert svc.claim(ev.id, "m1", 7) and not svc.claim(ev.id, "m1", 7)
    svc.settle_notice(ev.id, "m1")
    assert svc.notice_work() == [] and svc.get(ev.id).notice is None
    clock.set(local(2026, 12, 15, 14, 0))
    assert svc.due_reminders() == []


def test_a_move_closer_skips_past_offsets_and_tells_everyone_once(engine, svc, clock):
    u = unit(engine, "龙城镇")
    member(engine, 7, u)
    member(engine, 8, u, muted=True)
    ev, _ = add_typed(svc, "2026-12-20 09:30 表彰大会")
    clock.set(local(2026, 12, 13, 9, 30))
    _send(svc, ev.id, "7d", [7])
    member(engine, 9, u, bound_at=local(2026, 12, 13, 9, 40))
    clock.set(local(2026, 12, 13, 10, 0))
    moved = svc.move(ev.id, starts_at=local(2026, 12, 14, 8, 0), title="表彰大会（提前）")
    assert moved.skipped == ["1d"] and moved.event.notice == "n1" and moved.old_title == "表彰大会"
    [work] = svc.notice_work()
    assert (work.kind, work.changed, work.others, work.title) == ("moved", [7], [9], "表彰大会（提前）")
    assert svc.due_reminders() == []
    assert [d.offset_key for d in svc.pending_reminders()] == ["2h"]
    plans = {p.offset_key: p.skipped for p in svc.plan_now(moved.event)}
    assert plans == {"7d": True, "1d": True, "2h": False}


def test_an_event_added_inside_its_offsets_owes_one_notice_at_once(engine, svc, clock):
    member(engine, 7, unit(engine, "龙城镇"))
    ev, plans = svc.add_checked(title="紧急会议", starts_at=clock.now() + timedelta(hours=1))
    assert all(p.skipped for p in plans) and ev.notice == "n0"
    [work] = svc.notice_work()
    assert (work.kind, work.changed, work.others) == ("new", [], [7])
    far, _ = svc.add_checked(title="远期会议", starts_at=clock.now() + timedelta(days=30))
    assert far.notice is None  # every offset still ahead: the reminders do the work
    seeded = svc.add(title="导入的活动", starts_at=clock.now() + timedelta(hours=1))
    assert seeded.notice is None  # seeds and imports never announce themselves
    clock.advance(timedelta(hours=2))  # never sent, and the event has started: settled as skipped
    assert svc.notice_work() == [] and svc.get(ev.id).notice is None


def test_delete_owes_a_cancel_notice_only_to_those_reminded(engine, svc, clock):
    u = unit(engine, "龙城镇")
    member(engine, 7, u)
    member(engine, 8, u)
    a, _ = add_typed(svc, "2026-12-20 09:30 甲")
    b, _ = add_typed(svc, "2026-12-21 09:30 乙")
    clock.set(local(2026, 12, 13, 9, 30))
    _send(svc, a.id, "7d", [7])
    assert svc.delete(b.id).notice is None  # nobody heard of it
    assert svc.delete(a.id).notice == "del"
    [work] = svc.notice_work()
    assert (work.kind, work.key, work.changed, work.others) == ("cancelled", "del", [7], [])
    svc.settle_notice(a.id, "del")
    assert svc.notice_work() == []


def test_previews_are_confirmed_once_by_their_admin_and_refused_when_stale(engine, svc, clock):
    """Event previews are PendingActions: 确认 (PendingService.confirm with EventService.apply_in)
    marks the preview done and makes the change in one transaction."""
    pending = PendingService(engine, clock)

    def preview(payload, admin: int = 42):  # noqa: ANN001, ANN202 - what the handler stores
        return pending.create(kind=f"event_{payload['op']}", admin_id=admin, chat_id=admin, payload=payload,
                              supersede=False)

    def confirm(action, user: int = 42):  # noqa: ANN001, ANN202
        return pending.confirm(action_id=action.id, token=action.token, user_id=user, apply=svc.apply_in)

    add = preview(svc.preview_add(title="座谈会", starts_at=local(2026, 12, 3, 15), created_by=42))
    other = preview(svc.preview_add(title="慰问", starts_at=local(2026, 12, 4, 9), created_by=42))
    assert svc.upcoming() == []
    with pytest.raises(PendingGone) as gone:
        confirm(add, user=43)  # another admin
    assert gone.value.reason == "not_yours" and svc.upcoming() == []
    done = confirm(add)
    assert (done.op, done.event.title, done.event.created_by) == ("add", "座谈会", 42)
    assert done.event.starts_at == local(2026, 12, 3, 15) and [p.offset_key for p in done.plans] == ["7d", "1d", "2h"]
    with pytest.raises(PendingGone, match="done"):
        confirm(add)
    assert confirm(other).event.title == "慰问"  # two previews open at once: both stand
    assert [e.title for e in svc.upcoming()] == ["座谈会", "慰问"]

    ev, payload = svc.preview_edit(done.event.id, starts_at=local(2026, 12, 4, 15), title="座谈会")
    assert ev.revision == 0
    edit = preview(payload)
    svc.move(done.event.id, starts_at=local(2026, 12, 5, 15))  # changed meanwhile by another command
    with pytest.raises(EventError, match="stale"):
        confirm(edit)
    assert pending.get(edit.id).status == "pending"  # nothing committed: the claim went with the change
    assert svc.get(done.event.id).starts_at == local(2026, 12, 5, 15)

    _, payload = svc.preview_del(done.event.id)
    delete = preview(payload)
    pending.cancel(action_id=delete.id, token=delete.token, user_id=42)
    with pytest.raises(PendingGone, match="cancelled"):
        confirm(delete)
    assert svc.get(done.event.id) is not None
    _, payload = svc.preview_del(done.event.id)
    gone_ev = confirm(preview(payload)).event
    assert gone_ev.deleted_at is not None and svc.get(done.event.id) is None

    late = preview(svc.preview_add(title="马上的会", starts_at=local(2026, 11, 29, 10), created_by=42))
    clock.set(local(2026, 11, 29, 10, 30))  # 确认 pressed after the time shown
    with pytest.raises(AppError) as exc:
        confirm(late)
    assert exc.value.reason == "past" and "马上的会" not in [e.title for e in svc.upcoming()]
    with pytest.raises(EventError, match="duplicate"):
        svc.preview_add(title="慰问", starts_at=local(2026, 12, 4, 9), created_by=42)
    with pytest.raises(EventError, match="not_found"):
        svc.preview_del(99999)
    with pytest.raises(EventError, match="not_found"):
        svc.preview_edit(10**20, starts_at=local(2026, 12, 29, 10), title="x")


def test_eventaction_rows_pending_at_upgrade_are_dropped_with_the_table(any_db_url):
    """Migration 0011: previews are PendingActions now; an old pending one is dropped, said in the log."""
    import sqlalchemy as sa

    from bot.migrate import upgrade

    engine = make_engine(any_db_url)
    upgrade(engine, "0010")
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO eventaction (id, kind, revision, title, chat_id, created_by, created_at) "
                          "VALUES (1, 'add', 0, '座谈会', 42, 42, :t)"), {"t": START})
    init_db(engine)
    assert "eventaction" not in sa.inspect(engine).get_table_names()
    assert "pendingaction" in sa.inspect(engine).get_table_names()
    engine.dispose()


def test_move_refusals(svc, clock):
    ev, _ = add_typed(svc, "2026-11-29 10:00 马上开始的会")
    with pytest.raises(EventError, match="unchanged"):
        svc.move(ev.id, starts_at=local(2026, 11, 29, 10))
    with pytest.raises(EventError, match="not_found"):
        svc.move(12345, starts_at=local(2026, 12, 29, 10))
    with pytest.raises(EventError, match="not_found"):
        svc.move(10**20, starts_at=local(2026, 12, 29, 10))
    with pytest.raises(AppError, match="past"):
        svc.move(ev.id, starts_at=local(2026, 11, 29, 8))
    renamed = svc.move(ev.id, starts_at=local(2026, 11, 29, 10), title="改名的会")
    assert not renamed.time_changed and renamed.event.title == "改名的会"
    assert renamed.event.notice == "n0"  # a rename owes nothing new; the notice owed at creation stays
    assert svc.notice_work()[0].kind == "new"
    clock.set(local(2026, 11, 29, 10, 1))
    with pytest.raises(EventError, match="started"):
        svc.move(ev.id, starts_at=local(2026, 12, 29, 10))


@pytest.mark.parametrize(("typed", "expected"), [("12 x", (12, "x")), ("#12", (12, "")), ("１２　改名", (12, "改名")),
                                                 ("# 7 明天9点", (7, "明天9点"))])
def test_event_id(typed, expected):
    assert EventService.event_id(typed, usage="del_usage") == expected


def test_event_id_refusals():
    with pytest.raises(EventError, match="del_usage"):
        EventService.event_id("abc", usage="del_usage")
    with pytest.raises(EventError, match="edit_usage"):
        EventService.event_id("", usage="edit_usage")
    with pytest.raises(EventError) as exc:
        EventService.event_id("99999999999999999999", usage="del_usage")
    assert exc.value.reason == "not_found" and exc.value.event_id == 99999999999999999999


def test_a_tentative_event_gets_its_date_and_the_seed_file_leaves_it_alone(engine, svc, clock, tmp_path):
    member(engine, 7, unit(engine, "龙城镇"))
    path = tmp_path / "seed.json"
    path.write_text(json.dumps({"events": [{"key": "conf", "title": "表彰大会", "tentative": True,
                                            "starts_at": "2027-01-15 09:30"}]}), encoding="utf-8")
    assert svc.seed(path) == 1
    [ev] = svc.upcoming()
    moved = svc.move(ev.id, starts_at=local(2027, 1, 20, 9, 30))
    assert moved.old_starts_at is None and moved.event.tentative is False and moved.event.notice is None
    assert [d.offset_key for d in svc.pending_reminders()] == ["7d", "1d", "2h"]
    assert svc.seed(path) == 0  # the file still says tentative, 01-15: the admin's date stays
    assert svc.get(ev.id).starts_at == local(2027, 1, 20, 9, 30) and not svc.get(ev.id).tentative


# --- moves that come back, deadlines early in the month ---------------------------------------------

def test_an_offset_skipped_by_a_move_follows_a_later_move_but_a_sent_one_never_repeats(engine, svc, clock):
    member(engine, 7, unit(engine, "龙城镇"))
    ev, _ = svc.add_checked(title="慰问座谈", starts_at=local(2026, 12, 9, 9, 0))  # +10 days
    clock.set(local(2026, 12, 2, 9, 0, 30))  # the 7d time: sent
    _send(svc, ev.id, "7d", [7])
    svc.move(ev.id, starts_at=local(2026, 12, 3, 8, 30))  # +1 day: 1d's time has passed, skipped
    assert [p.offset_key for p in svc.plan_now(svc.get(ev.id)) if p.skipped] == ["7d", "1d"]
    svc.move(ev.id, starts_at=local(2026, 12, 31, 9, 0))  # +29 days: 1d and 2h follow, 7d was sent
    assert [p.offset_key for p in svc.plan_now(svc.get(ev.id)) if p.skipped] == ["7d"]
    assert [(d.offset_key, d.due_at) for d in svc.pending_reminders()] == [
        ("1d", local(2026, 12, 30, 9, 0)), ("2h", local(2026, 12, 31, 7, 0))]
    clock.set(local(2026, 12, 24, 9, 0, 1))  # the new 7d time: the one already sent is not repeated
    assert svc.due_reminders() == []
    clock.set(local(2026, 12, 30, 9, 0, 1))
    assert keys(svc.due_reminders()) == [(ev.id, "1d")]


def test_deadline_pushes_of_an_early_deadline_day_go_out_at_nine_the_month_before(engine, deadline_world):
    clock = FakeClock(local(2026, 11, 29, 8, 59))
    svc = service(engine, clock, deadline_day=2)  # 2026-12: d3 = 11-29 09:00, d1 = 12-01 09:00
    assert svc.deadline_work() == []
    clock.set(local(2026, 11, 29, 9, 0, 15))
    [w] = svc.deadline_work()
    assert (w.period, w.kind, w.deadline) == ("2026-12", "d3", local(2026, 12, 2, 23, 59))
    assert sorted(w.chat_ids) == [1, 2, 3, 4]  # nobody has reported December yet
    svc.settle_deadline(w.period, w.kind)
    clock.set(local(2026, 12, 1, 0, 0, 15))  # midnight on the 1st: nothing new is due
    assert svc.deadline_work() == []
    clock.set(local(2026, 12, 1, 9, 0, 15))
    assert [(x.period, x.kind) for x in svc.deadline_work()] == [("2026-12", "d1")]
