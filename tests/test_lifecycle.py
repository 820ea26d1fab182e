"""Telegram's update lifecycle over the loopback Bot API: order per chat, edits, failed button
acknowledgements, blocks and groups (membership, migration, private-only, non-person senders,
exact mentions), floods and 429s, batch isolation, control characters and bad values.

Unusual updates are injected in the shapes Telegram sends (core.telegram.org/bots/api#update)."""

from __future__ import annotations

import logging
import time
from datetime import date, timedelta

import pytest

from tests.conftest import bind, say
from tests.harness import ADMIN

BOT = "shuangyong_test_bot"
TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"


class Logs(logging.Handler):
    """Every record at WARNING and above, from every thread (the bot runs in one)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def logs():
    h = Logs()
    logging.getLogger().addHandler(h)
    yield h
    logging.getLogger().removeHandler(h)


def button(msg, startswith: str) -> str:  # noqa: ANN001
    for row in msg.buttons:
        for label, data in row:
            if label.startswith(startswith):
                return data
    raise AssertionError(f"no button starting with {startswith!r} in {msg.buttons}")


def bot_user(emu) -> dict:  # noqa: ANN001
    return {"id": emu.bot_id, "is_bot": True, "first_name": "双拥助手", "username": emu.bot_username}


def person(uid: int, name: str = "用户") -> dict:
    return {"id": uid, "is_bot": False, "first_name": name}


def my_chat_member(emu, chat: dict, by: dict, old: dict, new: dict) -> dict:  # noqa: ANN001
    return emu.inject({"my_chat_member": {"chat": chat, "from": by, "date": int(time.time()),
                                          "old_chat_member": {"user": bot_user(emu), **old},
                                          "new_chat_member": {"user": bot_user(emu), **new}}})


def private_chat(uid: int) -> dict:
    return {"id": uid, "type": "private", "first_name": "用户"}


def block(emu, uid: int) -> None:  # noqa: ANN001
    """The user blocks the bot: Telegram sends ChatMemberBanned (until_date 0 = forever)."""
    my_chat_member(emu, private_chat(uid), person(uid), {"status": "member"}, {"status": "kicked", "until_date": 0})


def unblock(emu, uid: int) -> None:  # noqa: ANN001
    my_chat_member(emu, private_chat(uid), person(uid), {"status": "kicked", "until_date": 0}, {"status": "member"})


def recipients(emu, text: str = "测试收件人") -> int:  # noqa: ANN001
    """The number the broadcast preview shows; the draft is then cancelled."""
    preview = say(emu, ADMIN, f"/broadcast {text}", contains="群发预览")
    n = int(preview.plain.split("收件人：")[1].split(" 人")[0])
    emu.press(ADMIN, preview, preview.button("取消")[1])
    emu.wait_for(chat_id=ADMIN, contains="已取消")
    return n


def eventually(predicate, timeout: float = 10.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


# --- 1. order ---------------------------------------------------------------------------------------

QUESTIONS = [f"ZQX{i:02d}" for i in range(10)]  # answered 未找到, each reply quoting its question


def answer_order(emu, chat_id: int, n: int, after: int) -> list[str]:  # noqa: ANN001
    got: list[str] = []
    deadline = time.monotonic() + 30
    while len(got) < n and time.monotonic() < deadline:
        got = [q for ev in emu.events[after:] if ev.kind == "sent" and ev.msg.chat_id == chat_id
               for q in QUESTIONS if f"「{q}」" in ev.plain]
        time.sleep(0.05)
    return got


def test_ten_quick_questions_are_answered_in_order_while_other_chats_go_on(emu, bot):
    """The first answer meets a 429: the nine after it wait for it (order), another chat does not."""
    say(emu, 7, "/start", contains="双拥助手")
    say(emu, 8, "/start", contains="双拥助手")
    emu.fail_next("sendMessage", 1, error_code=429, retry_after=2, chat_id=7)
    mark = emu.mark()
    for q in QUESTIONS:
        emu.user_message(7, q)
    emu.user_message(8, "光荣牌怎么挂")
    other = emu.wait_for(chat_id=8, contains="光荣牌", after=mark, timeout=10)
    assert answer_order(emu, 7, len(QUESTIONS), mark) == QUESTIONS
    first_to_7 = next(ev for ev in emu.events[mark:] if ev.kind == "sent" and ev.msg.chat_id == 7)
    other_ev = next(ev for ev in emu.events[mark:] if ev.msg is other)
    assert other_ev.index < first_to_7.index  # chat 8 did not wait for chat 7's retry_after


def test_a_429_frees_the_worker_slot_for_other_chats(emu, bot):
    """Twenty chats (more than the 16 workers) all wait out a 3 s retry_after; a twenty-first chat
    is answered before any of them: only what must wait is held back."""
    waiting = list(range(300, 320))
    for uid in waiting:
        emu.fail_next("sendMessage", 1, error_code=429, retry_after=3, chat_id=uid)
    mark = emu.mark()
    for uid in waiting:
        emu.user_message(uid, "ZQX00")
    eventually(lambda: len([r for r in emu.rejected if r[1].get("chat_id") in waiting]) == len(waiting))
    emu.user_message(99, "光荣牌怎么挂")  # every one of the twenty is now asleep in its retry_after
    answered = emu.wait_for(chat_id=99, contains="光荣牌", after=mark, timeout=15)
    for uid in waiting:  # the waiting ones get their answer afterwards
        emu.wait_for(chat_id=uid, contains="ZQX00", after=mark, timeout=15)
    sent = [ev for ev in emu.events[mark:] if ev.kind == "sent"]
    assert sent[0].msg is answered, [ev.msg.chat_id for ev in sent[:3]]


# --- 2. edits -------------------------------------------------------------------------------------------

def edit(emu, update: dict, text: str) -> dict:  # noqa: ANN001
    msg = update["message"]
    return emu.edited_message(msg["from"]["id"], text, msg["message_id"], chat_id=msg["chat"]["id"])


def day(offset: int) -> str:
    return (date.today() + timedelta(days=offset)).isoformat()


def test_an_edited_event_add_adds_no_second_event(emu, bot):
    sent = emu.user_message(ADMIN, f"/event_add {day(40)} 09:30 表彰大会ZQ")
    emu.wait_for(chat_id=ADMIN, contains="表彰大会ZQ")
    mark = emu.mark()
    edit(emu, sent, f"/event_add {day(41)} 09:30 表彰大会ZQ")
    notice = emu.wait_for(chat_id=ADMIN, contains="不会再执行", after=mark)
    edit(emu, sent, f"/event_add {day(42)} 09:30 表彰大会ZQ")  # a second edit: told only once
    lst = say(emu, ADMIN, "/events", contains="表彰大会ZQ")
    assert lst.plain.count("表彰大会ZQ") == 1
    told = [ev for ev in emu.events[mark:] if ev.kind == "sent" and "不会再执行" in ev.plain]
    assert told == [next(ev for ev in emu.events if ev.msg is notice)]


def test_an_edited_remind_missing_pushes_nothing_again(emu, bot):
    bind(emu, 7, "龙城镇")
    sent = emu.user_message(ADMIN, "/remind_missing")
    emu.wait_for(chat_id=ADMIN, contains="龙城镇")
    pushes = len(emu.to(7))
    edit(emu, sent, "/remind_missing ")
    emu.wait_for(chat_id=ADMIN, contains="不会再执行")
    emu.wait_idle(quiet=0.5)
    assert len(emu.to(7)) == pushes


def test_an_edited_one_line_checkin_records_once(emu, bot):
    bind(emu, 7, "龙城镇")
    sent = emu.user_message(7, "/checkin 2.2 已完成 第一次")
    emu.wait_for(chat_id=7, contains="已记录")
    edit(emu, sent, "/checkin 2.2 已完成 第二次")
    emu.wait_for(chat_id=7, contains="不会再执行")
    mine = say(emu, 7, "/mine", contains="龙城镇")
    assert "第一次" in mine.plain and "第二次" not in mine.plain


def test_an_edited_question_is_answered_again(emu, bot):
    sent = emu.user_message(7, "光荣牌怎么挂")
    emu.wait_for(chat_id=7, contains="光荣牌")
    mark = emu.mark()
    edit(emu, sent, "双拥模范城创建")
    r = emu.wait_for(chat_id=7, after=mark)
    assert "双拥" in r.plain and "不会再执行" not in r.plain


def test_an_edited_caption_does_nothing(emu, bot):
    upd = emu.user_photo(7, caption="/checkin 2.2 已完成 图")
    emu.wait_idle(quiet=0.5)
    mark = emu.mark()
    msg = dict(upd["message"], caption="/checkin 2.2 已完成 改", edit_date=int(time.time()))
    emu.inject({"edited_message": msg})
    emu.wait_idle(quiet=0.5)
    assert not [ev for ev in emu.events[mark:] if ev.kind == "sent"]


# --- 3. a refused acknowledgement never stops the press -------------------------------------------------

@pytest.mark.parametrize("failure", [dict(error_code=400, description=TOO_OLD), dict(error_code=500)])
def test_outline_button_works_when_the_answer_is_refused(emu, bot, logs, failure):
    outline = say(emu, 7, "/outline", contains="目录")
    emu.fail_next("answerCallbackQuery", 1, **failure)
    emu.press(7, outline, button(outline, "二"))
    r = emu.wait_for(chat_id=7, contains="二")
    assert "出了点问题" not in r.plain
    emu.wait_idle(quiet=0.3)
    assert not [m for m in emu.to(7) if "出了点问题" in m.plain]
    assert not [r for r in logs.records if r.levelno >= logging.ERROR]


def test_checkin_press_shows_the_next_keyboard_when_the_answer_is_refused(emu, bot):
    bind(emu, 7, "龙城镇")
    items = say(emu, 7, "/checkin", contains="选择")
    emu.fail_next("answerCallbackQuery", 1, error_code=400, description=TOO_OLD)
    emu.press(7, items, button(items, "2.2"))
    status = emu.wait_for(chat_id=7, contains="状态")
    emu.fail_next("answerCallbackQuery", 1, error_code=400, description=TOO_OLD)
    emu.press(7, status, button(status, "✅"))
    emu.wait_for(chat_id=7, contains="说明")
    summary = say(emu, 7, "按时完成", contains="确认")
    emu.fail_next("answerCallbackQuery", 1, error_code=400, description=TOO_OLD)
    emu.press(7, summary, button(summary, "确认"))
    emu.wait_for(chat_id=7, contains="已记录")


def test_broadcast_confirm_sends_and_reports_when_the_answer_is_refused(emu, bot):
    say(emu, 7, "/start", contains="双拥助手")
    preview = say(emu, ADMIN, "/broadcast 明天上午开会ZQ", contains="群发预览")
    emu.fail_next("answerCallbackQuery", 1, error_code=400, description=TOO_OLD)
    mark = emu.mark()
    emu.press(ADMIN, preview, preview.button("确认")[1])
    emu.wait_for(chat_id=7, contains="明天上午开会ZQ", after=mark, timeout=20)
    emu.wait_for(chat_id=ADMIN, contains="群发完成", after=mark, timeout=20)
    assert not [m for m in emu.to(ADMIN) if "出了点问题" in m.plain]


# --- 6. private-only, non-person senders, exact mentions ---------------------------------------------------

GROUP = -100300


def in_group(emu, uid: int, text: str) -> dict:  # noqa: ANN001
    return emu.user_message(uid, text, chat_id=GROUP, chat_type="supergroup", title="双拥工作群")


PRIVATE_IN_GROUP = [
    "/checkin", "/checkin 2.2 已完成 在群里", "/checkin 2.2", "/mine", "/units", "/progress", "/export",
    "/chart", "/unanswered", "/invite 龙城镇", "/remind_missing", "/broadcast 群里发的", "/broadcasts",
    f"/progress@{BOT}", "/EXPORT", "/plans", "/assign 1.2 乡镇", "/unbind 名山街道", "/evidence 1",
    "/checkin_for 名山街道 2.2 已完成 代填",
]


def test_private_only_commands_in_a_group_say_so_and_nothing_else(emu, bot):
    bind(emu, 7, "名山街道")
    say(emu, 7, "/checkin 1.1 进行中 私密说明ZQ", contains="已记录")
    for command in PRIVATE_IN_GROUP:
        for uid in (ADMIN, 7):
            mark = emu.mark()
            in_group(emu, uid, command)
            r = emu.wait_for(chat_id=GROUP, contains="私聊", after=mark)
            emu.wait_idle(quiet=0.3)
            to_group = [ev.msg for ev in emu.events[mark:] if ev.kind == "sent" and ev.msg.chat_id == GROUP]
            assert to_group == [r], (command, [m.plain for m in to_group])
            assert "私密说明ZQ" not in r.plain and "名山街道" not in r.plain and not r.buttons
            assert not [ev for ev in emu.events[mark:] if ev.kind == "sent" and ev.msg.chat_id != GROUP], command
    assert not any(m.document or m.photo for m in emu.to(GROUP))
    mine = say(emu, 7, "/mine", contains="名山街道").plain
    assert "在群里" not in mine and "代填" not in mine  # nothing was recorded
    assert "龙城镇" not in say(emu, ADMIN, "/units", contains="名山街道").plain  # nothing was created


def test_start_code_in_a_group_binds_nobody_and_keeps_the_code(emu, bot):
    link = say(emu, ADMIN, "/invite 龙城镇", contains="start=")
    code = link.plain.split("start=")[1].split()[0]
    in_group(emu, 7, f"/start {code}")
    r = emu.wait_for(chat_id=GROUP, contains="私聊")
    assert "龙城镇" not in r.plain
    assert "绑定" in say(emu, 7, "/checkin", contains="绑定").plain  # not bound
    say(emu, 7, f"/start {code}", contains="龙城镇")  # the code still works in private


def test_a_bare_start_in_a_group_still_greets(emu, bot):
    in_group(emu, 7, "/start")
    emu.wait_for(chat_id=GROUP, contains="双拥助手")


ANONYMOUS_ADMIN = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}


def test_anonymous_admins_channels_and_bots_never_bind(emu, bot):
    link = say(emu, ADMIN, "/invite 龙城镇", contains="start=")
    code = link.plain.split("start=")[1].split()[0]
    group = {"id": GROUP, "type": "supergroup", "title": "双拥工作群"}
    now = int(time.time())
    entity = [{"type": "bot_command", "offset": 0, "length": 6}]
    mark = emu.mark()
    emu.inject({"message": {"message_id": 900, "from": ANONYMOUS_ADMIN, "sender_chat": group, "chat": group,
                            "date": now, "text": f"/start {code}", "entities": entity}})
    r = emu.wait_for(chat_id=GROUP, contains="私聊", after=mark)
    assert "龙城镇" not in r.plain
    channel = {"id": -1009999, "type": "channel", "title": "双拥频道"}
    emu.inject({"channel_post": {"message_id": 5, "sender_chat": channel, "chat": channel, "date": now,
                                 "text": f"/start {code}", "entities": entity}})
    other_bot = {"id": 4242, "is_bot": True, "first_name": "别的机器人", "username": "other_helper_bot"}
    emu.inject({"message": {"message_id": 901, "from": other_bot, "chat": group, "date": now,
                            "text": f"/start {code}", "entities": entity}})
    emu.inject({"message": {"message_id": 902, "from": other_bot, "chat": group, "date": now,
                            "text": f"@{BOT} 光荣牌怎么挂",
                            "entities": [{"type": "mention", "offset": 0, "length": len(BOT) + 1}]}})
    emu.wait_idle(quiet=0.6)
    sent = [ev.msg for ev in emu.events[mark:] if ev.kind == "sent"]
    assert sent == [r]  # one line to the anonymous admin; nothing to the channel or the bot
    say(emu, 7, f"/start {code}", contains="龙城镇")  # the code was never spent


def test_a_mention_of_another_bot_with_our_name_as_prefix_is_not_answered(emu, bot):
    mark = emu.mark()
    in_group(emu, 7, f"@{BOT}x 光荣牌怎么挂")
    in_group(emu, 7, f"/help@{BOT}x")
    in_group(emu, 7, f"/outline@{BOT}x")
    in_group(emu, 7, "@SHUANGYONG_TEST_BOT 光荣牌怎么挂")  # ours, in capitals: answered
    r = emu.wait_for(chat_id=GROUP, contains="光荣牌", after=mark)
    emu.wait_idle(quiet=0.5)
    assert [ev.msg for ev in emu.events[mark:] if ev.kind == "sent"] == [r]


# --- 7. flood -------------------------------------------------------------------------------------------

def test_a_flood_gets_one_notice_and_delays_nobody_else(emu, bot, logs):
    emu.rate_limit(global_per_second=30, per_chat_per_second=1)
    say(emu, 8, "/start", contains="双拥助手")
    time.sleep(1.1)
    mark = emu.mark()
    for i in range(200):
        emu.user_message(7, f"ZQF{i:03d}")
    emu.user_message(8, "光荣牌怎么挂")
    other = emu.wait_for(chat_id=8, contains="光荣牌", after=mark, timeout=10)
    notice = emu.wait_for(chat_id=7, contains="太快", after=mark, timeout=10)
    emu.wait_idle(quiet=2.0, timeout=40)
    to_flooder = [ev.msg for ev in emu.events[mark:] if ev.kind == "sent" and ev.msg.chat_id == 7]
    answered = [m for m in to_flooder if "ZQF" in m.plain]
    assert [m for m in to_flooder if "太快" in m.plain] == [notice]
    assert 5 <= len(answered) <= 20  # the burst allowance, not 200
    assert [m.plain.split("「")[1][:6] for m in answered] == sorted(m.plain.split("「")[1][:6] for m in answered)
    # the other user's answer did not queue behind the flood: the flooder's answers leave at 1/s,
    # and it came before the second of them
    other_at = next(ev.index for ev in emu.events[mark:] if ev.msg is other)
    assert other_at < next(ev.index for ev in emu.events[mark:] if ev.msg is answered[1])
    assert emu.self_inflicted_429 > 0  # the per-chat limit was met and waited out
    assert not [r for r in logs.records if r.levelno >= logging.ERROR]
    flood_waits = [r for r in logs.records if "429" in r.getMessage()]
    assert flood_waits and all(r.levelno == logging.WARNING and r.exc_info is None
                               and "\n" not in r.getMessage() for r in flood_waits)
    time.sleep(1.2)
    say(emu, 7, "光荣牌怎么挂", contains="光荣牌")  # slowing down is enough to be answered again


def test_a_user_who_waits_for_each_answer_is_never_throttled(emu, bot):
    for i in range(40):
        say(emu, ADMIN, f"/invite 单位{i:02d}", contains="start=")
    assert not [m for m in emu.to(ADMIN) if "太快" in m.plain]


# --- 8. batch isolation ----------------------------------------------------------------------------------

def test_check_in_timeout_notices_go_past_a_blocked_and_a_failing_user(emu, start_bot):
    from datetime import UTC, datetime, timedelta

    from bot.clock import FakeClock

    clock = FakeClock(datetime.now(UTC))
    running = start_bot(clock=clock)
    users = [7, 8, 9]
    for uid, unit in zip(users, ("龙城镇", "名山街道", "三合街道"), strict=True):
        bind(emu, uid, unit)
        items = say(emu, uid, "/checkin", contains="选择")
        emu.press(uid, items, button(items, "1.1"))
        emu.wait_for(chat_id=uid, contains="状态")
    emu.block(7)
    emu.fail_next("sendMessage", 1, error_code=500, chat_id=8)
    mark = emu.mark()
    clock.advance(timedelta(minutes=31))
    job = running.app.job_queue.get_jobs_by_name("expire-checkin-drafts")[0]
    running.call(job.run(running.app), timeout=30)
    emu.wait_for(chat_id=9, contains="超时", after=mark)
    emu.wait_for(chat_id=8, contains="超时", after=mark)  # the 500 was retried
    assert not running.services.roster.chat(7).active


def test_remind_missing_goes_past_blocked_and_vanished_chats(emu, bot):
    bind(emu, 7, "龙城镇")
    bind(emu, 8, "名山街道")
    emu.block(7)
    emu.fail_next("sendMessage", 1, error_code=400, description="Bad Request: chat not found", chat_id=8)
    bind(emu, 9, "三合街道")
    r = say(emu, ADMIN, "/remind_missing", contains="催办")
    assert any("三合街道" in m.plain for m in emu.to(9)[-1:])
    assert "出了点问题" not in r.plain




# --- the pure parts, with a clock of our own ----------------------------------------------------------------

def test_flood_gate_episode_notice_once_and_reset_after_a_pause():
    from handlers.lifecycle.flood import DROP, NOTICE, PASS, FloodGate

    now = [0.0]
    gate = FloodGate(burst=3, rate=1.0, monotonic=lambda: now[0])
    verdicts = [gate.admit(7, waiting=i) for i in range(8)]  # eight at once, queued behind each other
    assert verdicts == [PASS, PASS, PASS, NOTICE, DROP, DROP, DROP, DROP]
    assert gate.admit(8, waiting=1) == PASS  # another sender has a bucket of its own
    assert gate.admit(7, waiting=0) == PASS  # nothing of theirs queued: never dropped
    assert gate.admit(7, waiting=1) == PASS  # the last token
    assert gate.admit(7, waiting=1) == DROP  # empty bucket, the episode's notice already given
    now[0] += 1.0
    assert gate.admit(7, waiting=1) == PASS  # a token back
    assert gate.admit(7, waiting=3) == DROP  # never more than a burst queued
    now[0] += 10.0  # a pause: full bucket, a new episode may be told again
    assert [gate.admit(7, waiting=1) for _ in range(4)] == [PASS, PASS, PASS, NOTICE]
    assert (gate.notices, gate.dropped) == (2, 8)


def test_cleaning_moves_entities_with_the_removed_characters(emu):
    from telegram import Bot, Update

    from handlers.lifecycle.cleaning import clean_update

    text = "\x00/checkin\x00 😀\x07 @someone 说明\x1b"
    raw = {"update_id": 1, "message": {
        "message_id": 1, "date": 0, "chat": {"id": 7, "type": "private"}, "from": person(7, "张\x00三"),
        "text": text, "entities": [{"type": "mention", "offset": 15, "length": 8}]}}
    upd = Update.de_json(raw, Bot(emu.token, base_url=emu.base_url))
    assert upd.message.parse_entities() == {upd.message.entities[0]: "@someone"}
    clean = clean_update(upd)
    assert clean.message.text == "/checkin 😀 @someone 说明"
    assert list(clean.message.parse_entities().values()) == ["@someone"]
    assert clean.effective_user.first_name == "张三"
    plain = Update.de_json({**raw, "message": {**raw["message"], "text": "干净的", "entities": [],
                                               "from": person(7, "张三")}},
                           Bot(emu.token, base_url=emu.base_url))
    assert clean_update(plain) is plain  # nothing to clean: no copy


def test_one_refused_command_menu_does_not_cost_the_others_theirs(emu, start_bot):
    emu.fail_next("setMyCommands", 1, error_code=400, description="Bad Request: chat not found")
    start_bot(admin_ids=f"{ADMIN},43")
    say(emu, 43, "/help", contains="/broadcast")
    for admin in (ADMIN, 43):
        admins = [c["command"] for c in emu.current_commands({"type": "chat", "chat_id": admin}) or []]
        assert "broadcast" in admins, admin
