"""End-to-end over the loopback Bot API: events in chat, a reminder on time, catch-up and
exactly-once across kill -9, deadline pushes. About 100 s in all (two tests wait for real time)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.clock import Clock, FakeClock
from bot.config import parse_offsets
from bot.db import init_db, make_engine, session
from bot.models import Chat, Member, ReminderDelivery, Unit
from bot.services.events import MARKER, EventService
from handlers import events as event_handlers
from tests.conftest import bind, say
from tests.harness import ADMIN, BotProcess

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.slow


def reminders(emu, chat_id: int, needle: str = "⏰ 活动提醒") -> list:  # noqa: ANN001
    return [m for m in emu.to(chat_id) if needle in m.plain]


def test_event_commands_and_a_reminder_one_minute_before(emu, start_bot):
    start_bot(reminder_offsets="1m")
    bind(emu, 7, "龙城镇", name="张三")
    bind(emu, 8, "名山街道", name="李四")
    say(emu, 8, "/mute", contains="暂停")

    # refusals and validation
    say(emu, 7, "/event_add 2026-12-20 09:30 大会", contains="仅限")
    say(emu, ADMIN, "/event_add 2026-02-30 09:30 大会", contains="日期不存在")
    say(emu, ADMIN, "/event_add 2020-01-01 09:30 大会", contains="已经过去")
    say(emu, ADMIN, "/event_add 明天开会", contains="/event_add 2026-12-20 09:30")

    # an event whose one-minute reminder falls 15-75 s from now; written with / and a full-width colon
    now = datetime.now(SH)
    start = now.replace(second=0, microsecond=0) + timedelta(minutes=2)
    if (start - timedelta(minutes=1) - now).total_seconds() < 15:
        start += timedelta(minutes=1)
    due = start - timedelta(minutes=1)
    title = "座谈会<军属>&老兵"
    r = say(emu, ADMIN, f"/event_add {start:%Y/%m/%d} {start:%H}：{start:%M} {title}", contains="已添加")
    assert title in r.plain and "提前1分钟" in r.plain and f"{due:%H:%M}" in r.plain
    event_id = int(re.search(r"#(\d+)", r.plain).group(1))

    # a second event at the same time, deleted: its reminder never goes out
    r2 = say(emu, ADMIN, f"/event_add {start:%Y-%m-%d} {start:%H:%M} 取消的活动", contains="已添加")
    other = int(re.search(r"#(\d+)", r2.plain).group(1))
    say(emu, ADMIN, f"/event_del {other}", contains="已删除")
    say(emu, ADMIN, f"/event_del {other}", contains="找不到")
    say(emu, ADMIN, "/event_del abc", contains="/event_del 3")
    say(emu, 7, f"/event_del {event_id}", contains="仅限")

    lst = say(emu, 7, "/events", contains="近期活动")
    assert title in lst.plain and "取消的活动" not in lst.plain and "还有" in lst.plain
    assert f"#{event_id}" in lst.plain and "县级双拥模范命名表彰大会" in lst.plain  # the seeded event

    wait = (due - datetime.now(SH)).total_seconds() + 30
    msg = emu.wait_for(chat_id=7, contains="⏰ 活动提醒", timeout=wait, after=0)
    arrived = datetime.now(SH)
    assert title in msg.plain and "距开始还有" in msg.plain
    assert timedelta(seconds=-1) <= arrived - due <= timedelta(seconds=30), (arrived, due)
    emu.wait_idle(quiet=2.0, timeout=5)
    assert len(reminders(emu, 7)) == 1
    assert reminders(emu, 8) == []  # muted
    assert reminders(emu, ADMIN) == []  # not a bound member
    assert not [m for m in emu.sent if "取消的活动" in m.plain and "⏰" in m.plain]
    assert not emu.rejected


def _prepare(db_url: str) -> dict[str, int]:
    """Two bound members and a muted one; three events written straight into the database."""
    engine = make_engine(db_url)
    init_db(engine)
    now = datetime.now(UTC)
    with session(engine) as s:
        unit = Unit(name="龙城镇", kind="乡镇")
        s.add(unit)
        s.flush()
        for chat_id, muted in ((7, False), (8, False), (9, True)):
            s.add(Chat(chat_id=chat_id, user_id=chat_id, muted=muted))
            s.add(Member(user_id=chat_id, chat_id=chat_id, unit_id=unit.id, bound_at=now - timedelta(days=1)))
        s.commit()
    svc = EventService(engine, Clock(), tz=SH, offsets=parse_offsets("1h,1m"))
    ids = {
        # its 1h reminder fell due 30 min ago, while the bot was down: caught up at start
        "caught_up": svc.add(title="迟到的提醒", starts_at=now + timedelta(minutes=30),
                             created_at=now - timedelta(hours=2)).id,
        # started a minute ago: its reminders are skipped, with a log line
        "started": svc.add(title="已开始的活动", starts_at=now - timedelta(minutes=1),
                           created_at=now - timedelta(hours=2)).id,
        # its 1m reminder falls due 20 s from now: the bot is killed before and restarted after
        "killed": svc.add(title="重启前后的活动", starts_at=now + timedelta(seconds=80)).id,
    }
    engine.dispose()
    return ids


def test_kill9_before_a_reminder_then_restart_sends_it_exactly_once(emu, db_url, tmp_path):
    ids = _prepare(db_url)
    due = time.time() + 20
    env = {"REMINDER_OFFSETS": "1h,1m"}

    first = BotProcess(emu, db_url, tmp_path, **env).wait_polling()
    for chat in (7, 8):
        emu.wait_for(chat_id=chat, contains="迟到的提醒", timeout=30, after=0)
    assert time.time() < due - 2, "the first process must be killed before the reminder is due"
    first.kill9()
    log = first.log_path.read_text(encoding="utf-8")  # (log() flushes a handle kill9 closed)
    assert "已开始的活动" in log and "skipped" in log
    assert not reminders(emu, 7, "重启前后的活动")

    time.sleep(max(0.0, due - time.time() + 1))
    second = BotProcess(emu, db_url, tmp_path, **env).wait_polling()
    back = time.time()
    for chat in (7, 8):
        emu.wait_for(chat_id=chat, contains="重启前后的活动", timeout=30, after=0)
    assert time.time() - back < 30
    emu.wait_idle(quiet=1.5, timeout=5)
    second.kill9()

    mark = emu.mark()
    third = BotProcess(emu, db_url, tmp_path, **env).wait_polling()
    time.sleep(3)  # the catch-up sweep runs 0.5 s after start
    third.stop()
    assert [e for e in emu.events[mark:] if e.kind == "sent"] == []

    for chat in (7, 8):
        assert len(reminders(emu, chat, "迟到的提醒")) == 1
        assert len(reminders(emu, chat, "重启前后的活动")) == 1
    assert reminders(emu, 9) == []  # muted
    assert not [m for m in emu.sent if "已开始的活动" in m.plain]
    engine = make_engine(db_url)
    with session(engine) as s:
        rows = {(r.event_id, r.offset_key, r.chat_id): r.status for r in s.exec(select(ReminderDelivery))}
    engine.dispose()
    assert rows[(ids["killed"], "1m", 7)] == "sent" and rows[(ids["killed"], "1m", MARKER)] == "done"
    assert rows[(ids["started"], "1m", MARKER)] == "skipped"
    assert (ids["killed"], "1h", MARKER) not in rows  # past at creation: never planned


def test_deadline_pushes_and_digest(emu, start_bot):
    clock = FakeClock(datetime(2026, 12, 22, 8, 0, tzinfo=SH))  # 2026-12: d3 is 12-22 09:00
    bot = start_bot(clock=clock)
    bind(emu, 7, "龙城镇", name="张三")
    bind(emu, 9, "甲镇", name="王五")
    say(emu, 9, "/checkin 1.1 已完成 已组织慰问", contains="已记录")
    say(emu, 7, "/mute", contains="暂停")  # muting event reminders does not mute 催办

    clock.set(datetime(2026, 12, 22, 9, 0, 30, tzinfo=SH))
    mark = emu.mark()
    bot.call(event_handlers.sweep(bot.app))
    push = emu.wait_for(chat_id=7, contains="填报截止提醒", after=mark)
    assert "龙城镇" in push.plain and "/checkin" in push.plain and "2026-12-25 23:59" in push.plain
    bot.call(event_handlers.sweep(bot.app))  # again: nothing new
    emu.wait_idle(quiet=0.5, timeout=3)
    assert len(reminders(emu, 7, "填报截止提醒")) == 1
    assert reminders(emu, 9, "填报截止提醒") == []  # 甲镇 reported

    clock.set(datetime(2026, 12, 27, 10, 0, tzinfo=SH))  # d1 slept through (past the deadline); digest due
    mark = emu.mark()
    bot.call(event_handlers.sweep(bot.app))
    digest = emu.wait_for(chat_id=ADMIN, contains="截止汇总", after=mark)
    assert "龙城镇" in digest.plain and "甲镇" not in digest.plain.split("仍未填报")[1]
    emu.wait_idle(quiet=0.5, timeout=3)
    assert len(reminders(emu, 7, "填报截止提醒")) == 1  # no late d1
