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
    say(emu, ADMIN, "/event_add 开会", contains="/event_add 2026-12-20 09:30")
    say(emu, ADMIN, "/event_add 明天3点 开会", contains="凌晨还是下午")

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
    preview = say(emu, ADMIN, f"/event_del {other}", contains="请确认删除")
    emu.press(ADMIN, preview, preview.button("确认")[1])
    emu.wait_for(chat_id=ADMIN, contains="已删除", edited=True)
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
    assert "龙城镇" in push.plain and "/checkin" in push.plain and "2026年12月25日（周五）23:59" in push.plain
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


# --- dates as people type them, events that move (FakeClock; sweeps called as the job would) ---

WED = datetime(2026, 12, 2, 10, 0, tzinfo=SH)  # a Wednesday morning


def _sweep(bot) -> None:  # noqa: ANN001
    bot.call(event_handlers.sweep(bot.app))


def _id(msg) -> int:  # noqa: ANN001
    return int(re.search(r"#(\d+)", msg.plain).group(1))


def _no_generic_errors(emu) -> None:  # noqa: ANN001
    assert not [m for m in emu.sent if "出了点问题" in m.plain]
    # a second press on a preview whose buttons are already gone makes handlers/pending.py take
    # them off again, which Telegram answers "message is not modified" (harmless, nothing shown)
    assert not emu.rejected


def test_natural_dates_preview_confirm_once_and_survive_a_restart(emu, start_bot):
    clock = FakeClock(WED)
    bot = start_bot(clock=clock)
    bind(emu, 7, "龙城镇", name="张三")

    preview = say(emu, ADMIN, "/event_add 明天下午3点 座谈会", contains="请确认")
    assert "2026年12月3日（周四）15:00" in preview.plain and "北京时间" in preview.plain
    assert [label for row in preview.buttons for label, _ in row] == ["✅ 确认", "取消"]
    assert all(len(d.encode()) <= 64 for d in preview.callback_data)
    assert not [e for e in bot.services.events.upcoming() if e.title == "座谈会"]  # nothing before 确认
    ok = preview.button("确认")[1]  # (the message is edited in place: keep the button's data)
    emu.press(ADMIN, preview, ok)
    added = emu.wait_for(chat_id=ADMIN, contains="已添加", edited=True)
    assert "2026年12月3日（周四）15:00" in added.plain
    # 29 h ahead: the 7d reminder's time has passed, so the member hears of it at once
    soon = emu.wait_for(chat_id=7, contains="活动提醒")
    assert "座谈会" in soon.plain and "2026年12月3日（周四）15:00" in soon.plain
    emu.press(ADMIN, preview, ok)  # the same button again (a double tap, another device)
    emu.wait_for(chat_id=ADMIN, contains="已经确认过")
    assert len([e for e in bot.services.events.upcoming() if e.title == "座谈会"]) == 1

    cancel = say(emu, ADMIN, "/event_add 12月20日 9:30 慰问活动", contains="请确认")
    assert "2026年12月20日（周日）09:30" in cancel.plain and "未写年份" in cancel.plain
    emu.press(ADMIN, cancel, cancel.button("取消")[1])
    emu.wait_for(chat_id=ADMIN, contains="没有做任何改动")
    several = say(emu, ADMIN, "/event_add 12月21日-22日 9:30 走访慰问", contains="请确认")
    assert "2026年12月21日（周一）09:30" in several.plain and "多日活动按第一天" in several.plain
    assert "走访慰问" in several.plain and "22日 走访慰问" not in several.plain  # the title is only the title
    emu.press(ADMIN, several, several.button("取消")[1])
    emu.wait_for(chat_id=ADMIN, contains="没有做任何改动")
    r = say(emu, ADMIN, "/event_add 2026-12-20 09:30 表彰会", contains="已添加")  # fully written: at once
    assert "2026年12月20日（周日）09:30" in r.plain and "表彰会" in r.plain

    pending = say(emu, ADMIN, "/event_add 下周五上午10点 老兵座谈", contains="2026年12月11日（周五）10:00")
    bot.stop()
    bot = start_bot(clock=clock)  # a restart between the preview and 确认
    emu.press(ADMIN, pending, pending.button("确认")[1])
    emu.wait_for(chat_id=ADMIN, contains="已添加", edited=True)
    lst = say(emu, 7, "/events", contains="近期活动")
    assert "老兵座谈" in lst.plain and "慰问活动" not in lst.plain and lst.plain.count("座谈会") == 1
    _sweep(bot)
    emu.wait_idle(quiet=0.5, timeout=5)
    assert len([m for m in reminders(emu, 7) if "座谈会" in m.plain]) == 1  # the notice at once, never again
    _no_generic_errors(emu)


def test_bad_values_get_clear_messages(emu, start_bot):
    start_bot(clock=FakeClock(WED))
    for typed, needle in [("/event_add 0001-01-01 00:00 x", "已经过去"),
                          ("/event_add 2030-01-01 09:00 x", "两年以后"),
                          ("/event_add 2月30日 9:00 x", "日期不存在"),
                          ("/event_add 12月20日 25:00 x", "时间不存在"),
                          ("/event_add 明天下午 座谈会", "几点"),
                          ("/event_del 99999999999999999999", "找不到"),
                          ("/event_del 12345", "找不到"),
                          ("/event_del", "/event_del 3"),
                          ("/event_edit abc", "/event_edit 编号"),
                          ("/event_edit", "/event_edit 编号"),
                          ("/event_edit 99999999999999999999 明天9点", "找不到"),
                          ("/event_edit 12345 2026-12-20 09:30", "找不到")]:
        say(emu, ADMIN, typed, contains=needle)
    _no_generic_errors(emu)


@pytest.fixture(params=["sqlite", "postgresql"])
def both_db(request, sqlite_url):  # noqa: ANN001
    return sqlite_url if request.param == "sqlite" else request.getfixturevalue("pg_url")


def test_edit_after_a_reminder_then_delete(emu, start_bot, both_db):
    clock = FakeClock(WED)
    bot = start_bot(clock=clock, database_url=both_db)
    bind(emu, 7, "龙城镇", name="张三")
    bind(emu, 8, "名山街道", name="李四")
    event_id = _id(say(emu, ADMIN, "/event_add 2026-12-20 09:30 表彰大会", contains="已添加"))

    clock.set(datetime(2026, 12, 13, 9, 30, 5, tzinfo=SH))
    _sweep(bot)
    for chat in (7, 8):
        emu.wait_for(chat_id=chat, contains="活动提醒", after=0)
    bind(emu, 9, "三合街道", name="王五")  # joins after the 7d reminder: never reminded

    r = say(emu, ADMIN, f"/event_edit {event_id} 2026-12-22 14:00", contains="已修改")
    assert "2026年12月20日（周日）09:30 → 2026年12月22日（周二）14:00" in r.plain and "时间变更" in r.plain
    for chat in (7, 8):
        n = emu.wait_for(chat_id=chat, contains="时间变更")
        assert "2026年12月20日（周日）09:30" in n.plain and "2026年12月22日（周二）14:00" in n.plain
    _sweep(bot)  # at the same moment: neither the 7d reminder nor the notice again
    clock.set(datetime(2026, 12, 19, 9, 31, tzinfo=SH))  # the old 1d time: nothing
    _sweep(bot)
    emu.wait_idle(quiet=0.5, timeout=5)
    assert [len(reminders(emu, c, "时间变更")) for c in (7, 8, 9)] == [1, 1, 0]
    assert [len(reminders(emu, c)) for c in (7, 8, 9)] == [1, 1, 0]

    clock.set(datetime(2026, 12, 21, 14, 0, 5, tzinfo=SH))  # the new 1d time
    _sweep(bot)
    for chat in (7, 8, 9):
        emu.wait_for(chat_id=chat, contains="2026年12月22日（周二）14:00", after=0)
    emu.wait_idle(quiet=0.5, timeout=5)
    assert [len(reminders(emu, c)) for c in (7, 8, 9)] == [2, 2, 1]

    preview = say(emu, ADMIN, f"/event_del {event_id}", contains="请确认删除")
    assert "3 人" in preview.plain and "已取消" in preview.plain
    emu.press(ADMIN, preview, preview.button("确认")[1])
    emu.wait_for(chat_id=ADMIN, contains="已删除", edited=True)
    for chat in (7, 8, 9):
        emu.wait_for(chat_id=chat, contains="活动已取消", after=0)
    clock.set(datetime(2026, 12, 22, 12, 0, 5, tzinfo=SH))  # the 2h time of a deleted event
    _sweep(bot)
    emu.wait_idle(quiet=0.5, timeout=5)
    assert [len(reminders(emu, c, "活动已取消")) for c in (7, 8, 9)] == [1, 1, 1]
    assert [len(reminders(emu, c)) for c in (7, 8, 9)] == [2, 2, 1]
    _no_generic_errors(emu)


def test_an_event_one_hour_ahead_is_announced_at_once(emu, start_bot):
    clock = FakeClock(WED)
    bot = start_bot(clock=clock)
    bind(emu, 7, "龙城镇")
    say(emu, 8, "/start")  # registered, not bound: not a member
    r = say(emu, ADMIN, "/event_add 2026-12-02 11:00 紧急协调会", contains="已添加")
    assert "现在就通知" in r.plain
    n = emu.wait_for(chat_id=7, contains="紧急协调会", after=0)
    assert "距开始只有 1小时" in n.plain
    _sweep(bot)
    clock.set(datetime(2026, 12, 2, 10, 59, tzinfo=SH))
    _sweep(bot)
    emu.wait_idle(quiet=0.5, timeout=5)
    assert len(reminders(emu, 7, "紧急协调会")) == 1
    assert not reminders(emu, 8, "紧急协调会")


def test_the_tentative_conference_gets_its_date(emu, start_bot):
    clock = FakeClock(WED)
    bot = start_bot(clock=clock)
    bind(emu, 7, "龙城镇")
    lst = say(emu, ADMIN, "/events", contains="日期待定")
    line = next(ln for ln in lst.plain.splitlines() if "表彰大会" in ln)
    event_id = int(re.search(r"#(\d+)", line).group(1))
    clock.set(datetime(2027, 1, 8, 9, 30, 5, tzinfo=SH))  # the placeholder's 7d time: silence
    _sweep(bot)
    emu.wait_idle(quiet=0.5, timeout=5)
    assert not reminders(emu, 7)

    clock.set(WED)
    preview = say(emu, ADMIN, f"/event_edit {event_id} 1月20日 上午9点半", contains="请确认活动改期")
    assert "日期待定" in preview.plain and "2027年1月20日（周三）09:30" in preview.plain
    emu.press(ADMIN, preview, preview.button("确认")[1])
    done = emu.wait_for(chat_id=ADMIN, contains="已修改", edited=True)
    assert "日期待定 → 2027年1月20日（周三）09:30" in done.plain
    assert "日期待定" not in say(emu, 7, "/events", contains="近期活动").plain
    clock.set(datetime(2027, 1, 13, 9, 30, 5, tzinfo=SH))
    _sweep(bot)
    msg = emu.wait_for(chat_id=7, contains="活动提醒", after=0)
    assert "县级双拥模范命名表彰大会" in msg.plain and "2027年1月20日" in msg.plain
    bot.stop()
    bot = start_bot(clock=clock)  # the seed file still says tentative: the admin's date stays
    assert "2027年1月20日（周三）09:30" in say(emu, 7, "/events", contains="近期活动").plain


# --- previews on the one stored-preview mechanism; moves that come back; the bot's own clock ---

def _upcoming(bot, title: str) -> list:  # noqa: ANN001
    return [e for e in bot.services.events.upcoming() if e.title == title]


def test_a_crash_between_the_claim_and_the_change_leaves_the_preview_confirmable(emu, start_bot, both_db):
    """确认 claims the preview and adds the event in one transaction: when the process fails between
    the two (here the INSERT of the event fails), nothing is marked done and 确认 works again."""
    import sqlalchemy as sa

    bot = start_bot(clock=FakeClock(WED), database_url=both_db)
    preview = say(emu, ADMIN, "/event_add 明天下午3点 座谈会", contains="请确认")
    ok = preview.button("确认")[1]
    engine = bot.services.events.engine
    failures = []

    def fail_once(conn, cursor, statement, params, context, executemany):  # noqa: ANN001, ANN202
        if statement.lstrip().upper().startswith("INSERT INTO EVENT ") and not failures:
            failures.append(statement)
            raise RuntimeError("simulated crash between the claim and the change")

    sa.event.listen(engine, "before_cursor_execute", fail_once)
    try:
        emu.press(ADMIN, preview, ok)
        emu.wait_for(chat_id=ADMIN, contains="出了点问题")
    finally:
        sa.event.remove(engine, "before_cursor_execute", fail_once)
    assert failures and _upcoming(bot, "座谈会") == []
    emu.press(ADMIN, preview, ok)  # the admin tries again
    added = emu.wait_for(chat_id=ADMIN, contains="已添加")
    assert "2026年12月3日（周四）15:00" in added.plain
    assert len(_upcoming(bot, "座谈会")) == 1


def test_only_the_admin_who_asked_may_confirm_an_event_preview(emu, start_bot):
    bot = start_bot(clock=FakeClock(WED), admin_ids=f"{ADMIN},43")
    preview = say(emu, ADMIN, "/event_add 明天下午3点 座谈会", contains="请确认")
    emu.press(43, preview, preview.button("确认")[1])  # another admin (a shared screen, a group)
    emu.wait_for(chat_id=ADMIN, contains="另一位管理员")
    assert _upcoming(bot, "座谈会") == []
    emu.press(ADMIN, preview, preview.button("确认")[1])
    emu.wait_for(chat_id=ADMIN, contains="已添加")
    assert len(_upcoming(bot, "座谈会")) == 1


def test_cancel_drops_an_open_event_preview(emu, start_bot):
    bot = start_bot(clock=FakeClock(WED))
    event_id = _id(say(emu, ADMIN, "/event_add 2026-12-20 09:30 表彰会", contains="已添加"))
    add = say(emu, ADMIN, "/event_add 明天下午3点 座谈会", contains="请确认")
    delete = say(emu, ADMIN, f"/event_del {event_id}", contains="请确认删除")
    r = say(emu, ADMIN, "/cancel", contains="已取消")
    assert "当前没有" not in r.plain
    for preview in (add, delete):
        mark = emu.mark()
        emu.press(ADMIN, preview, preview.button("确认")[1])
        emu.wait_for(chat_id=ADMIN, contains="已经取消", after=mark)
    assert _upcoming(bot, "座谈会") == [] and bot.services.events.get(event_id) is not None
    say(emu, ADMIN, "/cancel", contains="当前没有")
    _no_generic_errors(emu)


def test_a_reminder_skipped_by_one_move_is_sent_after_a_later_move(emu, start_bot, both_db):
    clock = FakeClock(WED)
    bot = start_bot(clock=clock, database_url=both_db)
    bind(emu, 7, "龙城镇", name="张三")
    event_id = _id(say(emu, ADMIN, "/event_add 2026-12-12 10:00 慰问座谈", contains="已添加"))
    # +3 days: the 7d reminder's time has passed (skipped); the member hears of it once, at once
    r = say(emu, ADMIN, f"/event_edit {event_id} 2026-12-05 10:00", contains="已修改")
    assert "不再推送" in r.plain
    emu.wait_for(chat_id=7, contains="距开始只有", after=0)
    # +30 days: every reminder not yet sent follows the new time, the 7d one included
    r = say(emu, ADMIN, f"/event_edit {event_id} 2027-01-01 10:00", contains="已修改")
    assert "不再推送" not in r.plain and "2026年12月25日（周五）10:00" in r.plain
    emu.wait_for(chat_id=7, contains="时间变更")
    clock.set(datetime(2026, 12, 25, 10, 0, 5, tzinfo=SH))
    _sweep(bot)
    msg = emu.wait_for(chat_id=7, contains="距开始还有 6天23小时", after=0)  # the 7d reminder
    assert "慰问座谈" in msg.plain and "2027年1月1日（周五）10:00" in msg.plain
    _sweep(bot)
    clock.set(datetime(2026, 12, 25, 18, 0, tzinfo=SH))
    _sweep(bot)
    emu.wait_idle(quiet=0.5, timeout=5)
    assert len([m for m in emu.to(7) if "距开始还有" in m.plain and "⏰" in m.plain]) == 1
    _no_generic_errors(emu)


def test_event_texts_name_the_bot_timezone(emu, start_bot):
    tokyo = ZoneInfo("Asia/Tokyo")
    clock = FakeClock(datetime(2026, 12, 2, 10, 0, tzinfo=tokyo))
    bot = start_bot(clock=clock, bot_timezone="Asia/Tokyo")
    bind(emu, 7, "龙城镇")
    past = say(emu, ADMIN, "/event_add 2026-12-01 09:30 x", contains="已经过去")
    assert "2026年12月2日（周三）10:00" in past.plain and "Asia/Tokyo" in past.plain
    preview = say(emu, ADMIN, "/event_add 明天下午3点 座谈会", contains="请确认")
    assert "2026年12月3日（周四）15:00" in preview.plain
    emu.press(ADMIN, preview, preview.button("确认")[1])
    added = emu.wait_for(chat_id=ADMIN, contains="已添加")
    soon = emu.wait_for(chat_id=7, contains="座谈会")  # 29 h ahead: one notice at once
    event_id = _id(say(emu, ADMIN, "/event_add 2026-12-20 09:30 表彰会", contains="已添加"))
    clock.set(datetime(2026, 12, 13, 9, 30, 5, tzinfo=tokyo))
    _sweep(bot)
    reminder = emu.wait_for(chat_id=7, contains="表彰会", after=0)
    moved = say(emu, ADMIN, f"/event_edit {event_id} 2026-12-22 14:00", contains="已修改")
    changed = emu.wait_for(chat_id=7, contains="时间变更")
    shown = [past, preview, added, soon, reminder, moved, changed]
    for m in shown:
        assert "北京时间" not in m.plain, m.plain
    for m in (preview, added, soon, reminder, moved, changed):
        assert "Asia/Tokyo 时间" in m.plain, m.plain
    assert "2026年12月20日（周日）09:30" in reminder.plain
    _no_generic_errors(emu)


def test_a_preview_confirmed_too_late_is_refused_and_closed(emu, start_bot):
    clock = FakeClock(WED)
    bot = start_bot(clock=clock)
    preview = say(emu, ADMIN, "/event_add 今天下午3点 协调会", contains="请确认")
    ok = preview.button("确认")[1]
    clock.set(datetime(2026, 12, 2, 15, 30, tzinfo=SH))  # 确认 pressed after the time shown
    emu.press(ADMIN, preview, ok)
    refused = emu.wait_for(chat_id=ADMIN, contains="已经过去", edited=True)
    assert "2026年12月2日（周三）15:00" in refused.plain and "北京时间" in refused.plain
    emu.press(ADMIN, preview, ok)
    emu.wait_for(chat_id=ADMIN, contains="已经取消")
    assert _upcoming(bot, "协调会") == []
    # a button of a preview stored before the upgrade (the old ev: buttons): answered, nothing done
    emu.press(ADMIN, preview, "ev:ok:1")
    emu.wait_idle(quiet=0.5, timeout=5)
    assert any(c.get("text") and "失效" in c["text"] for c in emu.calls_to("answerCallbackQuery"))
    _no_generic_errors(emu)


def test_a_liaison_who_left_is_not_counted_among_those_told_of_a_change(emu, start_bot, both_db):
    """Three were reminded, one has since been unbound: the edit and the delete say 2 will be
    told — the number of notices that really go out — and the one who left gets neither."""
    clock = FakeClock(WED)
    bot = start_bot(clock=clock, database_url=both_db)
    for uid, unit in ((7, "龙城镇"), (8, "名山街道"), (9, "三合街道")):
        bind(emu, uid, unit)
    event_id = _id(say(emu, ADMIN, "/event_add 2026-12-20 09:30 全县双拥工作推进会", contains="已添加"))
    clock.set(datetime(2026, 12, 13, 9, 30, 5, tzinfo=SH))
    _sweep(bot)
    for chat in (7, 8, 9):
        emu.wait_for(chat_id=chat, contains="活动提醒", after=0)
    preview = say(emu, ADMIN, "/unbind 三合街道", contains="确认")
    emu.press(ADMIN, preview, preview.button("确认")[1])
    emu.wait_for(chat_id=9, contains="解除")

    r = say(emu, ADMIN, f"/event_edit {event_id} 2026-12-22 14:00", contains="已修改")
    assert "已收到提醒的 2 人" in r.plain, r.plain
    preview = say(emu, ADMIN, f"/event_del {event_id}", contains="请确认删除")
    assert "2 人" in preview.plain and "3 人" not in preview.plain, preview.plain
    emu.press(ADMIN, preview, preview.button("确认")[1])
    for chat in (7, 8):
        emu.wait_for(chat_id=chat, contains="活动已取消", after=0)
    emu.wait_idle(quiet=0.5, timeout=5)
    assert not reminders(emu, 9, "时间变更") and not reminders(emu, 9, "活动已取消")
