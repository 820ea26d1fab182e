"""Telegram's update lifecycle where storage is involved, on SQLite and PostgreSQL: blocks and
unblocks (my_chat_member), groups removed and re-added, groups upgraded to supergroups (every stored
chat id follows), and text with NUL or other control characters (PostgreSQL refuses NUL)."""

from __future__ import annotations

import logging
import time
from datetime import date, timedelta

import pytest

from tests.conftest import say
from tests.harness import ADMIN
from tests.test_lifecycle import (
    BOT,
    GROUP,
    Logs,
    block,
    eventually,
    in_group,
    my_chat_member,
    person,
    recipients,
    unblock,
)


@pytest.fixture
def db_url(any_db_url):
    """Every test here runs on both backends."""
    return any_db_url


@pytest.fixture
def logs():
    h = Logs()
    logging.getLogger().addHandler(h)
    yield h
    logging.getLogger().removeHandler(h)


# --- block / unblock, removed / re-added ---------------------------------------------------------------

def test_block_and_unblock_change_the_audience_at_once(emu, bot):
    say(emu, ADMIN, "/start", contains="双拥助手")
    say(emu, 7, "/start", contains="双拥助手")
    assert recipients(emu) == 2
    block(emu, 7)
    eventually(lambda: not bot.services.roster.chat(7).active)
    assert recipients(emu) == 1
    unblock(emu, 7)
    eventually(lambda: bot.services.roster.chat(7).active)
    assert recipients(emu) == 2
    mark = emu.mark()
    preview = say(emu, ADMIN, "/broadcast 解除屏蔽后ZQ", contains="群发预览")
    emu.press(ADMIN, preview, preview.button("确认")[1])
    emu.wait_for(chat_id=7, contains="解除屏蔽后ZQ", after=mark, timeout=20)


def test_any_private_message_reactivates_a_chat_marked_blocked(emu, bot):
    say(emu, ADMIN, "/start", contains="双拥助手")
    say(emu, 7, "/start", contains="双拥助手")
    say(emu, 7, "光荣牌怎么挂", contains="光荣牌")  # the bot has seen the chat active just now
    emu.block(7)  # a send fails with 403: the chat is marked inactive (no my_chat_member this time)
    preview = say(emu, ADMIN, "/broadcast 第一次ZQ", contains="群发预览")
    emu.press(ADMIN, preview, preview.button("确认")[1])
    emu.wait_for(chat_id=ADMIN, contains="群发完成", timeout=20)
    assert recipients(emu) == 1
    emu.unblock(7)
    say(emu, 7, "双拥模范城创建", contains="双拥")  # not /start: any private message
    assert recipients(emu) == 2


def test_group_removed_and_re_added(emu, bot):
    group = {"id": -100200, "type": "group", "title": "双拥工作群"}
    say(emu, ADMIN, "/start", contains="双拥助手")
    emu.user_message(7, "/start", chat_id=-100200, chat_type="group", title="双拥工作群")
    emu.wait_for(chat_id=-100200, contains="双拥助手")
    assert recipients(emu) == 2
    my_chat_member(emu, group, person(7), {"status": "member"}, {"status": "left"})
    eventually(lambda: not bot.services.roster.chat(-100200).active)
    assert recipients(emu) == 1
    my_chat_member(emu, group, person(7), {"status": "left"}, {"status": "member"})
    eventually(lambda: bot.services.roster.chat(-100200).active)
    assert recipients(emu) == 2


def test_membership_of_an_unknown_chat_and_a_rights_change_do_nothing_visible(emu, bot, logs):
    block(emu, 5555)  # never registered
    supergroup = {"id": -1005556, "type": "supergroup", "title": "别的群"}
    my_chat_member(emu, supergroup, person(5556), {"status": "member"},
                   {"status": "restricted", "is_member": True, "until_date": 0,
                    **{k: False for k in ("can_send_messages", "can_send_audios", "can_send_documents",
                                          "can_send_photos", "can_send_videos", "can_send_video_notes",
                                          "can_send_voice_notes", "can_send_polls", "can_send_other_messages",
                                          "can_add_web_page_previews", "can_change_info", "can_invite_users",
                                          "can_pin_messages", "can_manage_topics", "can_edit_tag",
                                          "can_react_to_messages")}})
    emu.wait_idle(quiet=0.5)
    assert not emu.to(5555) and not emu.to(-1005556)
    assert not [r for r in logs.records if r.levelno >= logging.ERROR]
    say(emu, 7, "/start", contains="双拥助手")  # polling goes on


# --- migration ------------------------------------------------------------------------------------

OLD_GROUP, NEW_GROUP = -4001, -1004001


def register_group(emu) -> None:  # noqa: ANN001
    emu.user_message(7, "/start", chat_id=OLD_GROUP, chat_type="group", title="乡镇联络群")
    emu.wait_for(chat_id=OLD_GROUP, contains="双拥助手")


def moved(emu) -> None:  # noqa: ANN001
    """From now on a send to OLD_GROUP is answered 400 with migrate_to_chat_id, as Telegram does
    after an upgrade whose service messages the bot never saw."""
    emu.upgraded_unseen(OLD_GROUP, NEW_GROUP)


def broadcast(emu, text: str) -> None:  # noqa: ANN001
    preview = say(emu, ADMIN, f"/broadcast {text}", contains="群发预览")
    emu.press(ADMIN, preview, preview.button("确认")[1])
    emu.wait_for(chat_id=ADMIN, contains="群发完成", timeout=20)


def test_migration_service_message_moves_stored_ids(emu, bot):
    say(emu, ADMIN, "/start", contains="双拥助手")
    register_group(emu)
    emu.inject({"message": {"message_id": 50, "from": person(7), "date": int(time.time()),
                            "chat": {"id": OLD_GROUP, "type": "group", "title": "乡镇联络群"},
                            "migrate_to_chat_id": NEW_GROUP}})
    eventually(lambda: bot.services.roster.chat(NEW_GROUP) is not None)
    assert bot.services.roster.chat(OLD_GROUP) is None
    broadcast(emu, "迁移之后ZQ")
    assert any("迁移之后ZQ" in m.plain for m in emu.to(NEW_GROUP))
    assert not any("迁移之后ZQ" in m.plain for m in emu.to(OLD_GROUP))


def test_migrate_from_in_the_new_supergroup_also_moves_them(emu, bot):
    register_group(emu)
    emu.inject({"message": {"message_id": 1, "from": person(7), "date": int(time.time()),
                            "chat": {"id": NEW_GROUP, "type": "supergroup", "title": "乡镇联络群"},
                            "migrate_from_chat_id": OLD_GROUP}})
    eventually(lambda: bot.services.roster.chat(NEW_GROUP) is not None)
    assert bot.services.roster.chat(OLD_GROUP) is None


def test_a_send_answered_chat_migrated_follows_the_group(emu, bot, monkeypatch):
    """A broadcast meets the 400 with migrate_to_chat_id: that send goes to the new id, the
    recipients after it still get theirs, and the next broadcast goes straight to the new id."""
    say(emu, ADMIN, "/start", contains="双拥助手")
    register_group(emu)
    say(emu, 8, "/start", contains="双拥助手")
    moved(emu)
    broadcast(emu, "第一条ZQ")
    assert any("第一条ZQ" in m.plain for m in emu.to(NEW_GROUP))
    assert any("第一条ZQ" in m.plain for m in emu.to(8))
    assert bot.services.roster.chat(OLD_GROUP) is None and bot.services.roster.chat(NEW_GROUP).active
    refused = len([r for r in emu.rejected if r[1].get("chat_id") == OLD_GROUP])
    broadcast(emu, "第二条ZQ")
    assert any("第二条ZQ" in m.plain for m in emu.to(NEW_GROUP))
    assert len([r for r in emu.rejected if r[1].get("chat_id") == OLD_GROUP]) == refused


def test_a_reply_in_a_group_that_just_moved_reaches_the_supergroup(emu, bot, monkeypatch):
    register_group(emu)
    emu.delay(1.0, "sendMessage")  # the question was asked just before the upgrade; the answer leaves after it
    emu.user_message(7, f"@{BOT} 光荣牌怎么挂", chat_id=OLD_GROUP, chat_type="group")
    moved(emu)
    emu.delay(0)
    emu.wait_for(chat_id=NEW_GROUP, contains="光荣牌")
    assert bot.services.roster.chat(NEW_GROUP) is not None


# --- control characters and bad values ------------------------------------------------------------------

def test_nul_and_control_characters_are_removed_before_anything_is_stored(emu, bot):
    r = say(emu, ADMIN, "/invite 龙城\x00镇\x07", contains="start=")
    assert "龙城镇" in r.plain
    code = r.plain.split("start=")[1].split()[0]
    say(emu, 7, f"/start {code}", contains="龙城镇")
    say(emu, 7, "/checkin 2.2 已完成 说明\x00含\x1b控制字符", contains="已记录")
    assert "说明含控制字符" in say(emu, 7, "/mine", contains="龙城镇").plain
    say(emu, ADMIN, f"/event_add {(date.today() + timedelta(days=40)).isoformat()} 09:30 表彰\x00大会",
        contains="表彰大会")
    preview = say(emu, ADMIN, "/broadcast 通知\x00内容\x7f", contains="群发预览")
    assert "通知内容" in preview.plain
    emu.press(ADMIN, preview, preview.button("确认")[1])
    emu.wait_for(chat_id=7, contains="通知内容", timeout=20)
    say(emu, ADMIN, "/invite 龙城镇", contains="start=")  # the clean name finds the same unit
    assert len([u for u in bot.services.roster.units() if "龙城" in u.name]) == 1
    assert not [m for m in emu.sent if "出了点问题" in m.plain]


def test_a_mention_after_control_characters_still_reaches_the_bot(emu, bot):
    in_group(emu, 7, f"\x00\x00@{BOT} 光荣牌怎么挂")
    emu.wait_for(chat_id=GROUP, contains="光荣牌")


@pytest.mark.parametrize("period", ["0000-01", "9999-12", "2026-13", "abc"])
def test_bad_periods_get_a_clear_message(emu, bot, period):
    for command in ("/remind_missing", "/progress", "/export"):
        r = say(emu, ADMIN, f"{command} {period}", contains="期间")
        assert "出了点问题" not in r.plain
