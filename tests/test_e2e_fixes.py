"""Fixes for what a reviewer found using the bot: capitalised commands, /remind_missing after the
deadline, typed periods, rebinding, invite links, the outline's item buttons, small talk and the
full-width slash."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.clock import FakeClock
from bot.periods import parse_period
from tests.conftest import bind, say
from tests.harness import ADMIN


def _code(reply) -> str:  # noqa: ANN001
    return reply.plain.split("start=")[1].split()[0]


# --- 1. /Help, /START, /Checkin: one reply, not also 「没有这个命令」 -----------------------------

@pytest.mark.parametrize("command, expect", [("/Help", "/checkin"), ("/START", "双拥助手"),
                                             ("/Checkin", "绑定")])
def test_capitalised_command_gets_one_reply(emu, bot, command, expect):
    emu.user_message(7, command)
    got = emu.replies(chat_id=7, quiet=0.8)
    assert any(expect in m.plain for m in got), got
    assert not [m for m in got if "没有这个命令" in m.plain], got


def test_unknown_command_still_answered(emu, bot):
    say(emu, 7, "/Nonsense", contains="没有这个命令")


# --- 2. /remind_missing ------------------------------------------------------------------------

def test_remind_missing_after_deadline_says_so(emu, start_bot):
    start_bot(clock=FakeClock(datetime(2026, 11, 27, 2, 0, tzinfo=UTC)))  # deadline 2026-11-25 23:59
    bind(emu, 7, "龙城镇")
    say(emu, ADMIN, "/remind_missing", contains="催办")
    push = emu.wait_for(chat_id=7, contains="尚未填报")
    assert "已过" in push.plain and "尽快" in push.plain
    assert "前发送" not in push.plain


def test_remind_missing_before_deadline_names_it(emu, start_bot):
    start_bot(clock=FakeClock(datetime(2026, 11, 10, 2, 0, tzinfo=UTC)))
    bind(emu, 7, "龙城镇")
    say(emu, ADMIN, "/remind_missing", contains="催办")
    push = emu.wait_for(chat_id=7, contains="尚未填报")
    assert "2026-11-25 23:59 前" in push.plain and "已过" not in push.plain


def test_remind_missing_takes_a_period(emu, start_bot):
    start_bot(clock=FakeClock(datetime(2026, 11, 10, 2, 0, tzinfo=UTC)))
    bind(emu, 7, "龙城镇")
    r = say(emu, ADMIN, "/remind_missing 2026-10", contains="催办")
    assert "2026-10" in r.plain and "2026-11" not in r.plain
    push = emu.wait_for(chat_id=7, contains="尚未填报")
    assert "2026-10 期" in push.plain and "已过" in push.plain
    say(emu, ADMIN, "/remind_missing 2026-Q4", contains="按月")


def test_remind_missing_replayed_update_pushes_nothing(emu, bot):
    bind(emu, 7, "龙城镇")
    say(emu, ADMIN, "/remind_missing", contains="催办")
    emu.wait_for(chat_id=7, contains="尚未填报")
    # Telegram re-delivers an update the bot already acted on (crash before the offset was confirmed)
    msg = emu._user_message_dict(ADMIN, chat_id=None, chat_type="private", first_name=None, username=None,
                                 reply_to=None)
    msg.update(text="/remind_missing", entities=[{"type": "bot_command", "offset": 0, "length": 15}])
    update_id = emu.last_update["update_id"] + 1000  # above every id so far: the bot will fetch it
    assert bot.services.updates.claim(update_id)  # as if processed before the crash
    mark = emu.mark()
    emu.inject({"update_id": update_id, "message": msg})
    emu.wait_idle(quiet=1.0, timeout=5, after=None)
    assert emu.delivered(update_id)
    again = [ev.msg for ev in emu.events_after(mark) if ev.msg is not None]
    assert not again, again


# --- 3. periods ----------------------------------------------------------------------------------

def test_periods_typed_forms():
    today = date(2026, 11, 30)
    for text in ("2026-11", "2026-11 ", "２０２６－１１", "2026年11月", "2026年11月份", "2026 年 11 月", "2026/11",
                 "11月", "１１月份"):
        assert parse_period(text, "monthly", today) == "2026-11", text
    assert parse_period("11", "monthly", today) is None  # a bare number is not a period
    for text in ("2026-Q4", "2026Q4", "２０２６－Ｑ４", "2026年第四季度"):
        assert parse_period(text, "monthly", today) is None, text  # a quarter is not a monthly period
        assert parse_period(text, "quarterly", today) == "2026-Q4", text
    assert parse_period("2026年11月", "quarterly", today) == "2026-Q4"


def test_progress_monthly_refuses_a_quarter(emu, bot):
    r = say(emu, ADMIN, "/progress 2026-Q4", contains="格式")
    assert "按月" in r.plain and "2026-11" in r.plain and "2026-Q4" not in r.plain


def test_progress_quarterly_suggests_only_quarters(emu, start_bot):
    start_bot(checkin_period="quarterly")
    r = say(emu, ADMIN, "/progress 2026-13", contains="格式")
    assert "2026-Q4" in r.plain and "按季度" in r.plain
    assert "<code>2026-11</code>" not in r.text and "（按月）" not in r.plain


def test_progress_accepts_chinese_and_fullwidth_months(emu, start_bot):
    start_bot(clock=FakeClock(datetime(2026, 11, 10, 2, 0, tzinfo=UTC)))
    bind(emu, 7, "龙城镇")
    say(emu, 7, "/checkin 2.2 已完成 慰问", contains="已记录")
    for typed in ("2026年11月", "2026年11月份", "２０２６－１１"):
        r = say(emu, ADMIN, f"/progress {typed}", contains="期进度")
        assert "2026-11 期" in r.plain and "已填报 1/1" in r.plain, typed


def test_progress_accepts_a_bare_month(emu, start_bot):
    start_bot(clock=FakeClock(datetime(2026, 11, 10, 2, 0, tzinfo=UTC)))
    r = say(emu, ADMIN, "/progress 10月", contains="期进度")
    assert "2026-10 期" in r.plain


# --- 4. rebinding says so ------------------------------------------------------------------------

def test_rebinding_names_the_previous_unit(emu, bot):
    bind(emu, 7, "三合街道")
    code = _code(say(emu, ADMIN, "/invite 龙城镇", contains="start="))
    r = say(emu, 7, f"/start {code}", contains="龙城镇")
    assert "已从 三合街道 改为 龙城镇" in r.plain
    first = say(emu, ADMIN, "/invite 名山街道", contains="start=")
    r = say(emu, 8, f"/start {_code(first)}", contains="名山街道")
    assert "改为" not in r.plain  # a first binding is not a change


def test_redeem_returns_the_previous_unit(engine):
    from datetime import timedelta

    from bot.services.roster import RosterService

    roster = RosterService(engine, FakeClock(datetime(2026, 11, 10, tzinfo=UTC)), timedelta(days=7))
    _, a, _ = roster.create_invite(unit_name="三合街道", created_by=ADMIN)
    _, b, _ = roster.create_invite(unit_name="龙城镇", created_by=ADMIN)
    _, c, _ = roster.create_invite(unit_name="龙城镇", created_by=ADMIN)
    assert roster.redeem(code=a.code, user_id=7, chat_id=7, name="张三")[1] is None
    unit, previous = roster.redeem(code=b.code, user_id=7, chat_id=7, name="张三")
    assert (unit.name, previous) == ("龙城镇", "三合街道")
    assert roster.redeem(code=c.code, user_id=7, chat_id=7, name="张三")[1] is None  # same unit again


# --- 5. invite links -----------------------------------------------------------------------------

def test_invite_refused_in_groups(emu, bot):
    emu.user_message(ADMIN, "/invite 龙城镇", chat_id=-100, chat_type="group")
    r = emu.wait_for(chat_id=-100, contains="私聊")
    assert "start=" not in r.plain and "/invite" in r.plain
    units = say(emu, ADMIN, "/units", contains="单位")
    assert "龙城镇" not in units.plain  # nothing was created


def test_admin_opening_an_invite_does_not_spend_it(emu, bot):
    code = _code(say(emu, ADMIN, "/invite 龙城镇", contains="start="))
    r = say(emu, ADMIN, f"/start {code}", contains="龙城镇")
    assert "未被使用" in r.plain and "绑定成功" not in r.plain
    assert "龙城镇" not in say(emu, ADMIN, "/start", contains="双拥助手").plain  # admin not bound
    say(emu, 7, f"/start {code}", contains="绑定成功")  # the liaison can still use it


# --- 6. /outline: buttons for every section and item --------------------------------------------

def test_outline_has_item_buttons(emu, bot):
    r = say(emu, 7, "/outline", contains="目录")
    data = r.callback_data
    for cid in ("1", "4", "1.1", "2.3", "3.4", "4.3"):
        assert f"c:{cid}" in data, data
    assert all(len(d.encode()) <= 64 for d in data)
    item_rows = [row for row in r.buttons if all("." in d for _, d in row)]
    # two to a row (half a phone's width each), labels cut by meaning and all distinct (issue 15)
    assert sum(len(row) for row in item_rows) == 13 and max(len(row) for row in item_rows) == 2
    labels = [b for row in item_rows for b, _ in row]
    assert len({lbl[4:] for lbl in labels}) == 13, labels
    label = r.button("二（三）")[0]
    assert len(label) <= 12 and "拥军活动" in label
    emu.press(7, r, r.button("二（三）")[1])
    item = emu.wait_for(chat_id=7, contains="组织开展多种形式拥军活动")
    assert "二（三）" in item.plain


# --- 7. wording ----------------------------------------------------------------------------------

def test_second_invite_says_the_unit_exists(emu, bot):
    first = say(emu, ADMIN, "/invite 三合街道", contains="start=")
    assert "已新建单位" in first.plain
    again = say(emu, ADMIN, "/invite 三合街道", contains="start=")
    assert "单位 三合街道（街道）已存在，新的邀请链接：" in again.plain
    assert "已新建" not in again.plain


@pytest.mark.parametrize("text, expect", [("你好", "您好"), ("您好！", "您好"), ("在吗？", "您好"),
                                          ("谢谢", "不客气"), ("多谢了", "不客气"), ("Hello", "您好"),
                                          ("hi", "您好"), ("Thanks!", "不客气"), ("thank you", "不客气")])
def test_greetings_and_thanks_answered_politely(emu, bot, text, expect):
    r = say(emu, 7, text, contains=expect)
    assert "未找到" not in r.plain and "第二部分讲什么" in r.plain and "/outline" in r.plain
    assert "没有" in say(emu, ADMIN, "/unanswered", contains="问题").plain  # not recorded


def test_greeting_inside_a_question_is_still_a_question(emu, bot):
    say(emu, 7, "你好，光荣牌怎么挂", contains="光荣牌")
    assert "不客气" not in emu.last(7).plain


# --- 8. full-width slash -------------------------------------------------------------------------

def test_fullwidth_slash_gets_a_hint(emu, bot):
    bind(emu, 7, "龙城镇")
    emu.user_message(7, "／checkin 2.2 已完成")
    got = emu.replies(chat_id=7, quiet=0.8)
    assert len(got) == 1, got
    assert "命令要用半角斜杠，例如 /checkin 2.2 已完成" in got[0].plain
    r = say(emu, 7, "／checkin <b>2.2</b> 已完成", contains="半角斜杠")
    assert "/checkin <b>2.2</b> 已完成" in r.plain  # escaped, shown literally
    assert "半角斜杠" in say(emu, 7, "、Help", contains="半角").plain
    assert "已记录" not in " ".join(m.plain for m in emu.to(7))  # nothing was checked in
    r = say(emu, 7, "／光荣牌怎么挂", contains="光荣牌")  # not a command word: still a question
    assert "半角" not in r.plain
