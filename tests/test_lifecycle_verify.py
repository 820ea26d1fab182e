"""Issue 12 verified end to end by a skeptical reviewer: the inputs of test_lifecycle*.py's kinds
that those files do not try — many chats at once, a button press and the text typed right after
it, edits of a check-in note and of old messages (a pasted invite among them), the bot added and
removed the way Telegram does it, the full upgrade to a supergroup, automatic forwards from a
linked channel, failures of Telegram's (5xx, timeouts) on replies, a restart in the middle of a
burst, and text that is invisible, zero-width or very long."""

from __future__ import annotations

import time

import pytest

from tests.conftest import bind, say
from tests.harness import ADMIN, BotProcess
from tests.test_lifecycle import QUESTIONS, button, eventually

BOT = "shuangyong_test_bot"


def sent_after(emu, mark: int, chat_id: int | None = None) -> list:  # noqa: ANN001
    return [ev.msg for ev in emu.events[mark:] if ev.kind == "sent"
            and (chat_id is None or ev.msg.chat_id == chat_id)]


def asked(msgs) -> list[str]:  # noqa: ANN001
    return [q for m in msgs for q in QUESTIONS if f"「{q}」" in m.plain]


def code_of(reply) -> str:  # noqa: ANN001
    return reply.plain.split("start=")[1].split()[0]


# --- 1. order, many chats at once -------------------------------------------------------------------

def test_many_chats_each_in_order_and_concurrently(emu, bot):
    """Six chats type ten questions each, interleaved; every answer is slow (0.1 s at the API).
    Each chat's answers come in the order asked, and the chats are served side by side (the
    whole takes far less than 60 answers one after another)."""
    chats = list(range(501, 507))
    for uid in chats:
        say(emu, uid, "/start", contains="双拥助手")
    emu.delay(0.1, "sendMessage")
    mark = emu.mark()
    t0 = time.monotonic()
    for q in QUESTIONS:
        for uid in chats:
            emu.user_message(uid, q)
    eventually(lambda: all(len(asked(sent_after(emu, mark, uid))) == len(QUESTIONS) for uid in chats), 30)
    took = time.monotonic() - t0
    emu.delay(0)
    for uid in chats:
        assert asked(sent_after(emu, mark, uid)) == QUESTIONS, uid
    assert took < 60 * 0.1 / 2, took  # concurrently: not one chat after another


def test_text_typed_right_after_a_button_press_waits_for_the_press(emu, bot):
    """The status button and the note are sent together: the note must meet the draft the press
    moved to the note step (order), not be answered as a question."""
    bind(emu, 7, "龙城镇")
    status = say(emu, 7, "/checkin 2.2", contains="状态")
    emu.delay(0.3, "answerCallbackQuery")  # the press takes a while to handle
    emu.press(7, status, button(status, "✅"))
    emu.user_message(7, "按时完成ZQN")
    summary = emu.wait_for(chat_id=7, contains="ZQN", timeout=10)
    emu.delay(0)
    assert "确认" in str(summary.buttons), summary.plain


# --- 2. edits ---------------------------------------------------------------------------------------

def edit(emu, update: dict, text: str) -> dict:  # noqa: ANN001
    msg = update["message"]
    return emu.edited_message(msg["from"]["id"], text, msg["message_id"], chat_id=msg["chat"]["id"])


def test_an_edited_check_in_note_records_nothing_twice_and_no_error(emu, bot):
    bind(emu, 7, "龙城镇")
    status = say(emu, 7, "/checkin 2.2", contains="状态")
    emu.press(7, status, button(status, "✅"))
    emu.wait_for(chat_id=7, contains="说明")
    note = emu.user_message(7, "第一稿ZQ")
    summary = emu.wait_for(chat_id=7, contains="第一稿ZQ")
    edit(emu, note, "第二稿ZQ")  # the note edited at the summary
    emu.wait_idle(quiet=0.5)
    emu.press(7, summary, button(summary, "确认"))
    emu.wait_for(chat_id=7, contains="已记录")
    edit(emu, note, "第三稿ZQ")  # and again after the record
    emu.wait_idle(quiet=0.5)
    mine = say(emu, 7, "/mine", contains="龙城镇").plain
    assert mine.count("ZQ") == 1, mine
    assert not [m for m in emu.to(7) if "出了点问题" in m.plain]
    # each edit was told that it changes nothing, and how to correct: not 「未找到」 a question
    told = [m.plain for m in emu.to(7) if "修改已发出的消息不会改动" in m.plain]
    assert len(told) == 2 and all("/mine" in t for t in told)
    assert not [m for m in emu.to(7) if "未找到" in m.plain]
    assert "ZQ" not in say(emu, ADMIN, "/unanswered").plain  # the office's list stays questions


def test_an_edit_of_an_old_message_is_not_taken_as_the_note(emu, bot):
    bind(emu, 7, "龙城镇")
    old = emu.user_message(7, "光荣牌怎么挂")
    emu.wait_for(chat_id=7, contains="光荣牌")
    status = say(emu, 7, "/checkin 2.2", contains="状态")
    emu.press(7, status, button(status, "✅"))
    emu.wait_for(chat_id=7, contains="说明")
    edit(emu, old, "旧消息改过ZQ")
    emu.wait_idle(quiet=0.5)
    summary = say(emu, 7, "真正的说明ZQ", contains="真正的说明ZQ")
    assert "旧消息改过ZQ" not in summary.plain
    emu.press(7, summary, button(summary, "确认"))
    emu.wait_for(chat_id=7, contains="已记录")
    mine = say(emu, 7, "/mine", contains="龙城镇").plain
    assert "真正的说明ZQ" in mine and "旧消息改过ZQ" not in mine


def test_an_edited_pasted_invite_binds_nobody_again(emu, bot):
    """A member pasted unit A's invite as text, then moved to unit B by its link; editing the old
    pasted message (a typo fixed) must not move them back to A."""
    a = code_of(say(emu, ADMIN, "/invite 龙城镇", contains="start="))
    b = code_of(say(emu, ADMIN, "/invite 名山街道", contains="start="))
    pasted = emu.user_message(7, a)
    emu.wait_for(chat_id=7, contains="龙城镇")
    say(emu, 7, f"/start {b}", contains="名山街道")
    before = say(emu, 7, "/mine", contains="名山街道").plain
    edit(emu, pasted, f"{a} ")
    emu.wait_idle(quiet=0.5)
    after = say(emu, 7, "/mine", contains="名山街道").plain
    assert "龙城镇" not in after and after == before


def test_a_message_edited_into_a_fresh_invite_or_a_check_in_is_only_answered(emu, bot):
    """Edited text is a question asked again, and nothing else: editing a message to hold a fresh
    invite code binds nobody, and editing one into 「2.2已完成」 offers no check-in."""
    fresh = code_of(say(emu, ADMIN, "/invite 龙城镇", contains="start="))
    first = emu.user_message(7, "你好呀ZQ")
    emu.wait_for(chat_id=7)
    mark = emu.mark()
    edit(emu, first, fresh)
    emu.wait_idle(quiet=0.5)
    assert not [m for m in sent_after(emu, mark) if "绑定成功" in m.plain]
    say(emu, 7, f"/start {fresh}", contains="绑定成功")  # the code was not spent by the edit
    second = emu.user_message(7, "光荣牌怎么挂")
    emu.wait_for(chat_id=7, contains="光荣牌")
    mark = emu.mark()
    edit(emu, second, "我镇2.2已完成，走访了12户")
    emu.wait_idle(quiet=0.5)
    assert not [m for m in sent_after(emu, mark) if "请确认" in m.plain]


def test_an_edit_of_a_long_ago_command_is_not_run(emu, bot):
    """An edit of a message the bot never saw (sent before it started) that holds a command."""
    mark = emu.mark()
    emu.edited_message(ADMIN, "/remind_missing", 1)
    emu.wait_idle(quiet=0.5)
    assert all("催办" not in m.plain or "不会再执行" in m.plain for m in sent_after(emu, mark))


# --- 3/4. the bot added to and removed from groups as Telegram does it --------------------------------

def test_group_kicked_then_re_added_with_the_service_message(emu, bot):
    say(emu, ADMIN, "/start", contains="双拥助手")
    group = emu.add_bot_to_group(7, title="双拥工作群")
    emu.user_message(7, "/start", chat_id=group)
    emu.wait_for(chat_id=group, contains="双拥助手")
    eventually(lambda: bot.services.roster.chat(group) is not None and bot.services.roster.chat(group).active)
    emu.remove_bot_from_group(7, group)
    eventually(lambda: not bot.services.roster.chat(group).active)
    mark = emu.mark()
    emu.add_bot_to_group(7, group)
    eventually(lambda: bot.services.roster.chat(group).active)
    emu.wait_idle(quiet=0.5)
    assert not [m for m in sent_after(emu, mark) if "出了点问题" in m.plain]
    preview = say(emu, ADMIN, "/broadcast 回到群里ZQ", contains="群发预览")
    emu.press(ADMIN, preview, preview.button("确认")[1])
    emu.wait_for(chat_id=group, contains="回到群里ZQ", timeout=20)


def test_blocked_with_notice_then_unblocked_with_notice(emu, bot):
    say(emu, 7, "/start", contains="双拥助手")
    emu.block(7, notify=True)
    eventually(lambda: not bot.services.roster.chat(7).active)
    emu.unblock(7, notify=True)
    eventually(lambda: bot.services.roster.chat(7).active)


# --- 5. migration: the whole upgrade as Telegram sends it ------------------------------------------

def test_full_upgrade_to_a_supergroup(emu, bot):
    say(emu, ADMIN, "/start", contains="双拥助手")
    group = emu.add_bot_to_group(7, title="乡镇联络群")
    emu.user_message(7, "/start", chat_id=group)
    emu.wait_for(chat_id=group, contains="双拥助手")
    mark = emu.mark()
    new = emu.migrate_to_supergroup(group, 7)
    eventually(lambda: bot.services.roster.chat(new) is not None)
    emu.wait_idle(quiet=0.5)
    assert bot.services.roster.chat(group) is None
    assert not sent_after(emu, mark)  # the service messages get no answer
    preview = say(emu, ADMIN, "/broadcast 升级之后ZQ", contains="群发预览")
    emu.press(ADMIN, preview, preview.button("确认")[1])
    emu.wait_for(chat_id=new, contains="升级之后ZQ", timeout=20)
    emu.user_message(7, f"@{BOT} 光荣牌怎么挂", chat_id=new)
    emu.wait_for(chat_id=new, contains="光荣牌")


# --- senders that are not a person ----------------------------------------------------------------

def test_an_automatic_forward_from_a_linked_channel_binds_nobody(emu, bot):
    code = code_of(say(emu, ADMIN, "/invite 龙城镇", contains="start="))
    group = {"id": -1007001, "type": "supergroup", "title": "讨论组"}
    channel = {"id": -1007002, "type": "channel", "title": "双拥频道"}
    telegram = {"id": 777000, "is_bot": False, "first_name": "Telegram"}
    mark = emu.mark()
    emu.inject({"message": {"message_id": 3, "from": telegram, "sender_chat": channel, "chat": group,
                            "date": int(time.time()), "is_automatic_forward": True,
                            "text": f"/start {code}", "entities": [{"type": "bot_command", "offset": 0,
                                                                    "length": 6}]}})
    emu.inject({"edited_channel_post": {"message_id": 4, "sender_chat": channel, "chat": channel,
                                        "date": int(time.time()), "edit_date": int(time.time()),
                                        "text": f"@{BOT} 光荣牌怎么挂",
                                        "entities": [{"type": "mention", "offset": 0, "length": len(BOT) + 1}]}})
    emu.wait_idle(quiet=0.6)
    assert not sent_after(emu, mark)
    say(emu, 7, f"/start {code}", contains="龙城镇")  # the code was never spent


# --- 7. Telegram's failures on replies ----------------------------------------------------------------

@pytest.mark.parametrize("failure", [dict(error_code=502), dict(error_code=500),
                                     dict(error_code=429, retry_after=1)])
def test_a_reply_refused_once_still_arrives_once(emu, bot, failure):
    say(emu, 7, "/start", contains="双拥助手")
    emu.fail_next("sendMessage", 1, chat_id=7, **failure)
    mark = emu.mark()
    emu.user_message(7, "光荣牌怎么挂")
    emu.wait_for(chat_id=7, contains="光荣牌", after=mark, timeout=15)
    emu.wait_idle(quiet=0.5)
    got = sent_after(emu, mark, 7)
    assert len(got) == 1 and "出了点问题" not in got[0].plain, [m.plain[:40] for m in got]


def test_a_slow_api_does_not_lose_the_answer_or_stall_other_chats(emu, bot):
    """The Bot API takes longer than the read timeout to answer one send: the reply is lost or
    sent (Telegram may have it), never twice, and the bot goes on answering."""
    say(emu, 7, "/start", contains="双拥助手")
    emu.delay(7.0, "sendMessage")
    emu.user_message(7, "光荣牌怎么挂")
    time.sleep(0.5)
    emu.delay(0)
    mark = emu.mark()
    say(emu, 8, "双拥模范城创建", contains="双拥", timeout=15)
    emu.wait_idle(quiet=1.0, timeout=30)
    answers = [m for m in emu.to(7) if "光荣牌" in m.plain]
    assert len(answers) <= 1
    assert not [m for m in sent_after(emu, mark) if "出了点问题" in m.plain]


# --- 8. restarts --------------------------------------------------------------------------------------

def test_a_graceful_restart_mid_burst_loses_and_repeats_nothing(emu, db_url, tmp_path):
    proc = BotProcess(emu, db_url, tmp_path).wait_polling()
    try:
        say(emu, 7, "/start", contains="双拥助手")
        emu.delay(0.2, "sendMessage")
        mark = emu.mark()
        for q in QUESTIONS:
            emu.user_message(7, q)
        eventually(lambda: len(asked(sent_after(emu, mark, 7))) >= 2, 15)
    finally:
        proc.stop()
    emu.delay(0)
    proc = BotProcess(emu, db_url, tmp_path).wait_polling()
    try:
        eventually(lambda: len(asked(sent_after(emu, mark, 7))) >= len(QUESTIONS), 20)
        emu.wait_idle(quiet=1.0)
        assert asked(sent_after(emu, mark, 7)) == QUESTIONS
    finally:
        proc.stop()


def test_a_kill_9_mid_burst_loses_no_update(emu, db_url, tmp_path):
    """The bot had fetched (and, by its next poll, confirmed) ten questions and answered two when
    it was killed: the other eight are still answered after the restart."""
    proc = BotProcess(emu, db_url, tmp_path).wait_polling()
    try:
        say(emu, 7, "/start", contains="双拥助手")
        emu.delay(0.5, "sendMessage")
        mark = emu.mark()
        last = None
        for q in QUESTIONS:
            last = emu.user_message(7, q)
        eventually(lambda: emu.delivered(last) and not emu.pending_updates(), 10)  # fetched and confirmed
        eventually(lambda: len(asked(sent_after(emu, mark, 7))) >= 2, 15)
    finally:
        proc.kill9()
    emu.delay(0)
    proc = BotProcess(emu, db_url, tmp_path).wait_polling()
    try:
        # every question that had not started is answered after the restart; the one in flight
        # when the bot died may be lost (at most once), and none is answered twice
        eventually(lambda: len(set(asked(sent_after(emu, mark, 7)))) >= len(QUESTIONS) - 1, 20)
        emu.wait_idle(quiet=1.0, timeout=20)
        got = asked(sent_after(emu, mark, 7))
        assert len(got) == len(set(got)) >= len(QUESTIONS) - 1, got
    finally:
        proc.stop()


# --- 9. input cleaning ------------------------------------------------------------------------------

ZW = "\u200b\u200c\u200d\u2060\ufeff"


def test_zero_width_characters_do_not_change_a_question_or_a_check_in(emu, bot):
    plain = say(emu, 7, "光荣牌怎么挂", contains="光荣牌").plain
    hidden = say(emu, 7, f"光{ZW}荣牌{ZW[0]}怎么挂", contains="光荣牌").plain
    assert hidden.split("\n")[0] == plain.split("\n")[0]
    bind(emu, 8, "龙城镇")
    say(emu, 8, f"/checkin 2{ZW[0]}.2 已{ZW[2]}完成 说明{ZW[1]}文字", contains="已记录")
    mine = say(emu, 8, "/mine", contains="龙城镇").plain
    assert "2.2" in mine and "已完成" in mine
    assert not any(c in mine for c in ZW)


def test_bidi_overrides_are_not_stored_in_names(emu, bot):
    r = say(emu, ADMIN, "/invite 龙城\u202e镇", contains="start=")
    assert "\u202e" not in r.plain
    say(emu, ADMIN, "/invite 龙城镇", contains="start=")
    assert len([u for u in bot.services.roster.units() if "龙城" in u.name]) == 1


LONG = "光荣牌" * 1400  # 4,200 characters: more than a message may hold


@pytest.mark.parametrize("text", [LONG, "ZQL" + "无" * 4090, "/ask " + LONG, f"/invite {'长' * 4000}",
                                  f"/event_add 2027-03-01 09:00 {'会' * 4000}", f"/broadcast {'通' * 4080}",
                                  "/checkin 2.2 已完成 " + "说" * 4000])
def test_very_long_inputs_get_a_valid_reply(emu, bot, text):
    bind(emu, 7, "龙城镇")
    uid = ADMIN if text.startswith(("/invite", "/event_add", "/broadcast")) else 7
    mark = emu.mark()
    emu.user_message(uid, text)
    emu.wait_for(chat_id=uid, after=mark, timeout=15)
    emu.wait_idle(quiet=0.5)
    got = sent_after(emu, mark, uid)
    assert got and not [m for m in got if "出了点问题" in m.plain], [m.plain[:80] for m in got]
    refused = [r for r in emu.rejected[-5:] if r[1].get("chat_id") == uid]
    assert not refused, refused


def test_an_update_id_used_again_by_a_new_update_is_answered(any_db_url):
    """Telegram numbers updates afresh after a week without any, and a new bot token starts its own
    sequence: an id the inbox has already handled may come back on a different update, which must
    be answered, while the same update delivered twice is handled once."""
    from bot.emulator import BotApiEmulator
    from tests.harness import RunningBot, make_settings

    # two Bot APIs, each numbering its updates from 1000: the same ids again, other messages
    # (a message's id counts on in its chat whatever the update id: other people, other messages)
    # (a command with side effects too: its claim is not mistaken for the earlier update's)
    for user, question, topic, unit in ((7, "光荣牌怎么挂", "光荣牌", "甲镇"), (9, "双拥模范怎么评", "双拥模范", "乙镇")):
        with BotApiEmulator(token="123456:TEST-token-for-tests", bot_username="shuangyong_test_bot") as emu:
            running = RunningBot(make_settings(emu, any_db_url)).start()
            try:
                say(emu, ADMIN, f"/invite {unit}", contains=unit)
                say(emu, user, question, contains=topic)
                say(emu, user + 1, "/help", contains="/checkin")
            finally:
                running.stop()


def test_the_same_update_received_twice_is_stored_once(engine):
    """A re-delivery (same update, same id) is refused at the door, before and after handling."""
    from bot.clock import Clock
    from bot.services.updates import UpdateLog

    log = UpdateLog(engine, Clock())
    first, other = '{"update_id": 5, "message": {"text": "a"}}', '{"update_id": 5, "message": {"text": "b"}}'
    assert log.receive(5, first) and not log.receive(5, first)  # waiting: the inbox replays it
    assert log.start(5) and not log.start(5)  # one taker only (two processes on one database)
    assert not log.receive(5, first)  # started already: Telegram re-delivering it
    assert log.receive(5, other)      # another update with the id: a new one
    assert log.unhandled() == [(5, other)]


def test_a_backlog_replayed_after_a_restart_is_no_flood(emu, any_db_url):
    """Sixteen questions one user sent while the bot was down (stored, never started) are all
    answered after the restart, once each, and nobody is told they type too fast."""
    import json

    from telegram import Update

    from bot.clock import Clock
    from bot.db import init_db, make_engine
    from bot.services.updates import UpdateLog
    from tests.harness import RunningBot, make_settings

    engine = make_engine(any_db_url)
    init_db(engine)
    inbox = UpdateLog(engine, Clock())
    questions = [f"ZQB{i:02d}" for i in range(16)]
    for q in questions:  # fetched by a bot that died before starting any: Telegram sends them again
        raw = emu.user_message(7, q)
        inbox.receive(raw["update_id"], json.dumps(Update.de_json(raw, None).to_dict(), ensure_ascii=False))
    engine.dispose()
    running = RunningBot(make_settings(emu, any_db_url)).start()
    try:
        eventually(lambda: sum(q in m.plain for m in emu.to(7) for q in questions) >= len(questions), 30)
        emu.wait_idle(quiet=1.0)
        replies = [m.plain for m in emu.to(7)]
        assert sorted(q for r in replies for q in questions if f"「{q}」" in r) == questions  # once each
        assert not [r for r in replies if "太快" in r]
    finally:
        running.stop()


def test_a_database_that_fails_for_a_moment_does_not_stop_polling(emu, tmp_path):
    """The inbox table missing for a moment (a locked or lost database): the update is answered
    without it, and so is every later one."""
    import sqlite3

    db = tmp_path / "bot.db"
    from tests.harness import RunningBot, make_settings

    running = RunningBot(make_settings(emu, f"sqlite:///{db}")).start()
    try:
        say(emu, 7, "光荣牌怎么挂", contains="光荣牌")
        with sqlite3.connect(db) as conn:
            conn.execute("ALTER TABLE inboxupdate RENAME TO inbox_away")
        say(emu, 8, "光荣牌怎么挂", contains="光荣牌")
        with sqlite3.connect(db) as conn:
            conn.execute("ALTER TABLE inbox_away RENAME TO inboxupdate")
        say(emu, 9, "光荣牌怎么挂", contains="光荣牌")
    finally:
        running.stop()
