"""End-to-end over loopback HTTP: onboarding, answering, outline, help, refusals."""

from __future__ import annotations

import pytest

from tests.conftest import bind, say
from tests.harness import ADMIN


@pytest.fixture
def db_url(any_db_url):
    """These suites run on SQLite and on PostgreSQL."""
    return any_db_url


def test_start_help_and_command_menus(emu, bot):
    r = say(emu, 7, "/start", contains="双拥助手")
    assert "邀请链接" in r.plain  # unbound users learn how to bind
    users = [c["command"] for c in emu.current_commands({"type": "default"}) or []]
    admins = [c["command"] for c in emu.current_commands({"type": "chat", "chat_id": ADMIN}) or []]
    assert "checkin" in users and "broadcast" not in users
    assert {"broadcast", "invite", "progress", "checkin"} <= set(admins)
    h = say(emu, 7, "/help", contains="/checkin")
    assert "/broadcast" not in h.plain
    ha = say(emu, ADMIN, "/help", contains="/broadcast")
    assert "/invite" in ha.plain


def test_invite_and_bind_then_units(emu, bot):
    bind(emu, 7, "龙城镇", name="张三")
    r = say(emu, ADMIN, "/units", contains="龙城镇")
    assert "张三" in r.plain
    assert "乡镇" in r.plain or "🏘" in r.plain


def test_forged_and_reused_invite(emu, bot):
    r = say(emu, 8, "/start not-a-real-code", contains="邀请")
    assert "无效" in r.plain
    reply = say(emu, ADMIN, "/invite 名山街道", contains="start=")
    code = reply.plain.split("start=")[1].split()[0]
    say(emu, 8, f"/start {code}", contains="名山街道")
    r = say(emu, 9, f"/start {code}", contains="邀请")
    assert "已被使用" in r.plain


def test_non_admin_refused(emu, bot):
    r = say(emu, 7, "/invite 龙城镇", contains="管理员")
    assert "仅限" in r.plain
    r = say(emu, 7, "/units", contains="管理员")


def test_question_answered_with_clause_and_buttons(emu, bot):
    r = say(emu, 7, "光荣牌怎么挂", contains="光荣牌")
    assert r.buttons, "answers carry buttons to related clauses"
    data = r.buttons[0][0][1]
    emu.press(7, r, data)
    r2 = emu.wait_for(chat_id=7, contains="丰都")
    assert r2.message_id != r.message_id


def test_off_topic_says_not_found(emu, bot):
    r = say(emu, 7, "明天天气怎么样", contains="未找到")
    assert "/outline" in r.plain
    r = say(emu, ADMIN, "/unanswered", contains="天气")


def test_outline_buttons_open_sections(emu, bot):
    r = say(emu, 7, "/outline", contains="目录")
    labels = [b[0] for row in r.buttons for b in row]
    assert any(lbl.startswith("二") for lbl in labels)
    data = next(b[1] for row in r.buttons for b in row if b[0].startswith("二"))
    emu.press(7, r, data)
    sec = emu.wait_for(chat_id=7, contains="本部分包括")
    assert "二（一）" in sec.plain


def test_missing_section_lists_existing(emu, bot):
    r = say(emu, 7, "第五部分讲什么", contains="没有")
    assert "一" in r.plain and "四" in r.plain


def test_group_messages_need_a_mention(emu, bot):
    emu.user_message(7, "光荣牌怎么挂", chat_id=-100, chat_type="group")
    emu.user_message(7, "@shuangyong_test_bot 光荣牌怎么挂", chat_id=-100, chat_type="group")
    r = emu.wait_for(chat_id=-100, contains="光荣牌")
    replies = emu.replies(chat_id=-100)
    assert len([m for m in emu.to(-100)]) == 1, replies
    assert r


def test_no_message_was_refused(emu, bot):
    say(emu, 7, "/start", contains="双拥助手")
    say(emu, 7, "x" * 5000, contains="未找到")
    assert not emu.rejected, emu.rejected


def test_question_about_the_whole_document_gets_the_outline(emu, bot):
    r = say(emu, 7, "今年双拥工作有哪些任务", contains="目录")
    assert any(b[0].startswith("二") for row in r.buttons for b in row)


def test_a_reply_waits_out_a_429_instead_of_failing(emu, bot):
    emu.fail_next("sendMessage", 1, error_code=429, retry_after=1, chat_id=ADMIN)
    for i in range(3):
        say(emu, ADMIN, f"/invite 单位{i}", contains="start=", timeout=15)
    r = say(emu, ADMIN, "/units", contains="单位名册", timeout=15)
    assert "单位2" in r.plain
