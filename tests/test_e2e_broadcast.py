"""Broadcast end to end over the loopback Bot API with Telegram's limits switched on (30/s overall,
1/s per chat): 300 recipients with injected 429s and 403s, forged and replayed buttons, audience
narrowing, long texts, and kill -9 in the middle of a broadcast."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from sqlmodel import Session, select

from bot.db import init_db, make_engine
from bot.models import BroadcastDelivery, Chat
from bot.services.roster import RosterService
from tests.conftest import bind, say
from tests.harness import ADMIN, BotProcess

N = 300
FIRST = 100_000


def register_many(engine_or_roster, n: int = N) -> list[int]:
    """n chats as /start would leave them (fast: straight through the roster service)."""
    roster = engine_or_roster
    if not isinstance(roster, RosterService):
        from datetime import timedelta

        from bot.clock import Clock

        roster = RosterService(engine_or_roster, Clock(), timedelta(days=7))
    ids = [FIRST + i for i in range(n)]
    for cid in ids:
        roster.register_chat(chat_id=cid, user_id=cid, name=f"联络员{cid}", username=None)
    return ids


def copies(emu, chat_id: int, marker: str) -> int:
    """Broadcast messages received (not the admin's preview, which quotes the text)."""
    return sum(1 for m in emu.to(chat_id) if m.plain.startswith("📢 县双拥办通知") and marker in m.plain)


def test_broadcast_300_with_limits_429_and_403(emu, bot):
    say(emu, ADMIN, "/start", contains="双拥助手")  # the admin is a recipient too
    ids = register_many(bot.services.roster)
    blocked = ids[10:15]
    for cid in blocked:
        emu.block(cid)
    emu.rate_limit(global_per_second=30, per_chat_per_second=1)
    text = "各单位：\n请于11月25日前完成填报，<b>逾期</b>将通报！（县双拥办）"
    preview = say(emu, ADMIN, f"/broadcast {text}", contains="群发预览")
    assert f"收件人：{N + 1} 人" in preview.plain  # default audience: every active chat
    assert "<b>逾期</b>" in preview.plain  # the admin's markup shows literally, exactly as sent
    emu.fail_next("sendMessage", 2, error_code=429, retry_after=1)
    emu.fail_next("sendMessage", 1, error_code=429, retry_after=1, chat_id=ids[200])
    mark = emu.mark()
    t0 = time.monotonic()
    emu.press(ADMIN, preview, preview.button("确认")[1])
    report = emu.wait_for(chat_id=ADMIN, contains="群发完成", timeout=60, after=mark)
    elapsed = time.monotonic() - t0

    marker = "逾期</b>将通报"  # visible text: the escaped tag is shown, not parsed
    for cid in [ADMIN] + ids:
        assert copies(emu, cid, marker) == (0 if cid in blocked else 1), cid
    with Session(bot.services.engine) as s:
        assert all(s.get(Chat, c).active is False for c in blocked)
        statuses = Counter(r.status for r in s.exec(select(BroadcastDelivery)))
    assert statuses == Counter({"sent": N + 1 - 5, "blocked": 5})
    assert f"「送达」 {N + 1 - 5} 人" in report.plain and "失败 0 人" in report.plain
    assert "已屏蔽 5 人" in report.plain
    assert emu.self_inflicted_429 == 0
    injected = [r for r in emu.rejected if r[0] == "sendMessage"]
    assert len(injected) == 3 + 5  # the three injected 429s and the five blocked chats, nothing else
    assert not [r for r in emu.rejected if r[0] != "sendMessage"], emu.rejected  # no refused edit
    # progress: the preview edited, never twice with the same text, about every 2 s
    edits = [e for e in emu.events[mark:] if e.kind == "edit" and e.msg.message_id == preview.message_id]
    progress = [e for e in edits if "已发送" in e.plain]
    assert len(progress) >= 3 and all(a.plain != b.plain for a, b in zip(edits, edits[1:], strict=False))
    assert all(b.time - a.time >= 1.9 for a, b in zip(progress[1:], progress[2:], strict=False))
    sends = sorted(e.time for e in emu.events[mark:] if e.kind == "sent" and marker in e.plain)
    rate = (len(sends) - 1) / (sends[-1] - sends[0])
    print(f"\nbroadcast to {N + 1}: {elapsed:.1f}s end to end, {rate:.1f} msg/s while sending")
    assert rate >= 20
    # the failures, on request
    emu.press(ADMIN, report, report.button("查看失败")[1])
    lst = emu.wait_for(chat_id=ADMIN, contains="未送达名单")
    assert all(str(c) in lst.plain for c in blocked) and "已屏蔽" in lst.plain
    time.sleep(1.1)  # a person does not type within a second of the bot's reply (1/s per chat is on)
    hist = say(emu, ADMIN, "/broadcasts", contains="最近的群发")
    assert f"送达 {N + 1 - 5}" in hist.plain


def test_refusals_forged_replayed_audiences_and_long_text(emu, bot):
    say(emu, ADMIN, "/start", contains="双拥助手")
    bind(emu, 7, "龙城镇", name="张三")
    bind(emu, 8, "县退役军人事务局", name="李四")
    for i in range(9):  # more units than one page of buttons
        say(emu, ADMIN, f"/invite 测试单位{i}", contains="start=")
    bot.services.roster.register_chat(chat_id=9, user_id=9, name="游客", username=None)
    emu.rate_limit(global_per_second=30, per_chat_per_second=1)

    # a guest can neither compose nor confirm
    r = say(emu, 9, "/broadcast 假通知", contains="管理员")
    assert "仅限" in r.plain and bot.services.broadcasts.recent() == []
    preview = say(emu, ADMIN, "/broadcast 第一行\n第二行：请按时填报。", contains="群发预览")
    assert "收件人：4 人" in preview.plain and "第一行\n第二行" in preview.plain
    mark = emu.mark()
    emu.press(9, preview, preview.button("确认")[1])
    emu.wait_idle(quiet=0.5, after=mark)
    assert emu.answered_callbacks[-1]["text"] and "管理员" in emu.answered_callbacks[-1]["text"]
    # forged data: nothing happens but an answer that says so
    for forged in ("bc:ok:999", "bc:ok:abc", "bc:a:1:everyone", "bc:u:1:99999"):
        n = len(emu.answered_callbacks)
        emu.press(ADMIN, preview, forged)
        deadline = time.monotonic() + 5
        while len(emu.answered_callbacks) == n and time.monotonic() < deadline:
            time.sleep(0.02)
        assert emu.answered_callbacks[-1].get("text"), forged
    assert copies(emu, 7, "第二行") == 0 and copies(emu, 9, "第二行") == 0

    # narrow: members only, then townships/streets, then one unit picked from a paginated list
    emu.press(ADMIN, preview, preview.button("仅已绑定成员")[1])
    m = emu.wait_for(chat_id=ADMIN, contains="收件人：2 人", edited=True)
    emu.press(ADMIN, m, m.button("乡镇+街道")[1])
    m = emu.wait_for(chat_id=ADMIN, contains="收件人：1 人", edited=True)
    emu.press(ADMIN, m, m.button("指定单位")[1])
    page = emu.wait_for(chat_id=ADMIN, contains="第 1/2 页", edited=True)
    first = str(page.buttons)  # the message is edited in place: keep what page 1 showed
    page1_data = list(page.callback_data)
    emu.press(ADMIN, page, page.button("下一页")[1])
    page = emu.wait_for(chat_id=ADMIN, contains="第 2/2 页", edited=True)
    assert str(page.buttons) != first and "上一页" in str(page.buttons)
    if "县退役军人事务局" not in str(page.buttons):
        emu.press(ADMIN, page, page.button("上一页")[1])
        page = emu.wait_for(chat_id=ADMIN, contains="第 1/2 页", edited=True)
    emu.press(ADMIN, page, page.button("县退役军人事务局")[1])
    m = emu.wait_for(chat_id=ADMIN, contains=["收件人：1 人", "县退役军人事务局"], edited=True)
    assert all(len(d.encode()) <= 64 for d in m.callback_data + page1_data)
    confirm = m.button("确认")[1]
    mark = emu.mark()
    emu.press(ADMIN, m, confirm)
    emu.wait_for(chat_id=ADMIN, contains="群发完成", timeout=20, after=mark)
    assert copies(emu, 8, "第二行") == 1 and copies(emu, 7, "第二行") == 0 and copies(emu, ADMIN, "第二行") == 0
    # replayed confirm: said so, not resent
    emu.press(ADMIN, m, confirm)
    emu.wait_idle(quiet=0.5)
    assert "不会重复发送" in emu.answered_callbacks[-1]["text"]
    assert copies(emu, 8, "第二行") == 1

    # cancel, then a late confirm of the cancelled draft
    p2 = say(emu, ADMIN, "/broadcast 作废的通知", contains="群发预览")
    stale_confirm = p2.button("确认")[1]
    emu.press(ADMIN, p2, p2.button("取消")[1])
    emu.wait_for(chat_id=ADMIN, contains="已取消", edited=True)
    emu.press(ADMIN, p2, stale_confirm)
    emu.wait_idle(quiet=0.5)
    assert "已取消" in emu.answered_callbacks[-1]["text"]
    assert not any("作废的通知" in x.plain for c in (7, 8, 9) for x in emu.to(c))

    # a text over 4096 characters: previewed in full, delivered in parts a second apart
    long_text = "\n".join(f"第{i}条：请各单位认真落实双拥工作要点。" for i in range(300))
    time.sleep(1.1)
    p3 = say(emu, ADMIN, f"/broadcast {long_text}", contains="群发预览", timeout=20)
    emu.press(ADMIN, p3, p3.button("仅已绑定成员")[1])
    m3 = emu.wait_for(chat_id=ADMIN, contains="收件人：2 人", edited=True)
    mark = emu.mark()
    emu.press(ADMIN, m3, m3.button("确认")[1])
    emu.wait_for(chat_id=ADMIN, contains="群发完成", timeout=30, after=mark)
    for cid in (7, 8):
        got = [x for x in emu.to(cid) if "认真落实" in x.plain]
        assert len(got) >= 2 and "第0条" in got[0].plain and "第299条" in got[-1].plain
        assert all(len(x.plain) <= 4096 for x in got)
    assert emu.self_inflicted_429 == 0
    assert not emu.rejected, emu.rejected


@pytest.mark.slow
@pytest.mark.parametrize("latency", [0.0, 0.2], ids=["loopback", "slow-api"])
def test_kill9_mid_broadcast_resumes_without_loss(emu, db_url, tmp_path, latency):
    """Nobody is lost. Duplicates are at most the sends in flight at the crash: one when the API
    answers within 1/rate (loopback), up to MAX_IN_FLIGHT when each call takes 200 ms."""
    from handlers.broadcast import MAX_IN_FLIGHT

    engine = make_engine(db_url)
    init_db(engine)
    ids = register_many(engine)
    p = BotProcess(emu, db_url, tmp_path).wait_polling()
    try:
        emu.rate_limit(global_per_second=30, per_chat_per_second=1)
        emu.delay(latency, "sendMessage")
        preview = say(emu, ADMIN, "/broadcast 重启测试：请核对名单。", contains="群发预览", timeout=15)
        emu.press(ADMIN, preview, preview.button("确认")[1])
        marker = "请核对名单"
        deadline = time.monotonic() + 30
        while sum(copies(emu, c, marker) for c in ids) < 100 and time.monotonic() < deadline:
            time.sleep(0.01)
        p.kill9()
        time.sleep(latency + 0.3)  # requests the dead process had in flight may still land
        before = sum(copies(emu, c, marker) for c in ids)
        with Session(engine) as s:
            ledger = Counter(r.status for r in s.exec(select(BroadcastDelivery)))
        assert 100 <= before < N and ledger["pending"] > 0
        in_flight = ledger["sending"]
        p = BotProcess(emu, db_url, tmp_path).wait_polling()
        emu.wait_for(chat_id=ADMIN, contains="群发完成", timeout=60)
    finally:
        p.stop()
    counts = {cid: copies(emu, cid, marker) for cid in ids}
    lost = [c for c, n in counts.items() if n == 0]
    dups = [c for c, n in counts.items() if n > 1]
    print(f"\nkill -9 ({latency * 1000:.0f} ms API) after {before} sends, {in_flight} in flight: "
          f"lost {len(lost)}, duplicated {len(dups)}")
    assert not lost
    assert len(dups) <= in_flight <= MAX_IN_FLIGHT and all(counts[c] == 2 for c in dups)
    if latency == 0:
        assert len(dups) <= 1
    assert emu.self_inflicted_429 == 0
    with Session(engine) as s:
        assert Counter(r.status for r in s.exec(select(BroadcastDelivery))) == Counter({"sent": N})
    engine.dispose()


def test_a_notice_the_admins_app_sends_in_two_messages_is_one_broadcast(emu, bot):
    """Telegram apps cut a message over 4,096 characters into several: the rest joins the draft and
    the new preview covers the whole notice (the cut preview's buttons are gone)."""
    bind(emu, 7, "龙城镇")
    notice = "各乡镇（街道）、各成员单位：\n" + "请按时报送双拥工作进度。" * 380 + "\n【完】"
    assert len(notice) > 4096
    emu.user_message(ADMIN, "/broadcast " + notice, split=True)
    emu.wait_idle(quiet=1.5, timeout=20)
    preview = emu.last_with_buttons(ADMIN)
    assert "群发预览" in preview.plain and not any("光荣" in m.plain for m in emu.to(ADMIN))  # no answer to a part
    emu.press(ADMIN, preview, preview.button("确认")[1])
    emu.wait_for(chat_id=ADMIN, contains="群发完成", timeout=30)
    got = "".join(m.plain for m in emu.to(7) if "县双拥办通知" in m.plain or "请按时报送" in m.plain)
    assert "【完】" in got and got.count("请按时报送双拥工作进度。") == 380
