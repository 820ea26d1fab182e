"""End-to-end check-ins over loopback HTTP: the guided flow, the one-line form, refusals,
a kill -9 in the middle of the flow, /mine and corrections, and the office's views."""

from __future__ import annotations

import io
import time

import openpyxl
import pytest
from PIL import Image

from tests.conftest import bind, say
from tests.harness import ADMIN, BotProcess


@pytest.fixture
def db_url(any_db_url):
    """These suites run on SQLite and on PostgreSQL."""
    return any_db_url


def button(msg, startswith: str) -> str:
    for row in msg.buttons:
        for label, data in row:
            if label.startswith(startswith):
                return data
    raise AssertionError(f"no button starting with {startswith!r} in {msg.buttons}")


def to_note_step(emu, uid: int, item: str) -> None:  # noqa: ANN001
    """/checkin → item → ✅, up to the bot asking for the note."""
    items = say(emu, uid, "/checkin", contains="选择")
    emu.press(uid, items, button(items, item))
    st = emu.wait_for(chat_id=uid, contains="状态")
    emu.press(uid, st, button(st, "✅"))
    emu.wait_for(chat_id=uid, contains="说明")


def correct_latest(emu, uid: int, *, item: str, status: str, note: str) -> None:  # noqa: ANN001
    """/mine → 更正最新一条 → item → status → note → 确认, as the user taps and types."""
    mine = say(emu, uid, "/mine", contains="更正")
    emu.press(uid, mine, button(mine, "更正"))
    items = emu.wait_for(chat_id=uid, contains="更正最新一条")
    emu.press(uid, items, button(items, item))
    st = emu.wait_for(chat_id=uid, contains="状态")
    emu.press(uid, st, button(st, status))
    emu.wait_for(chat_id=uid, contains="说明")
    summary = say(emu, uid, note, contains="更正")
    emu.press(uid, summary, button(summary, "确认"))
    emu.wait_for(chat_id=uid, contains="已更正")


def test_guided_checkin_flow(emu, bot):
    bind(emu, 7, "龙城镇", name="张三")
    items = say(emu, 7, "/checkin", contains="选择")
    labels = [row[0][0] for row in items.buttons if row[0][1].startswith("ci:i:")]
    assert len(labels) == 13 and labels[1].startswith("1.2 ")
    emu.press(7, items, button(items, "2.2"))
    status = emu.wait_for(chat_id=7, contains="状态")
    emu.press(7, status, button(status, "⏳"))
    emu.wait_for(chat_id=7, contains="说明")
    summary = say(emu, 7, "已走访 12 户<军属>", contains="请确认")
    assert "<军属>" in summary.plain and "进行中" in summary.plain
    emu.press(7, summary, button(summary, "确认"))
    done = emu.wait_for(chat_id=7, contains="已记录")
    assert "2.2" in done.plain
    mine = say(emu, 7, "/mine", contains="龙城镇")
    assert "2.2" in mine.plain and "进行中" in mine.plain
    assert not emu.rejected


def test_note_too_long_gets_second_chance_and_nothing_else(emu, bot):
    bind(emu, 7, "龙城镇")
    to_note_step(emu, 7, "1.1")
    mark = emu.mark()
    r = say(emu, 7, "光荣牌" + "长" * 501, contains="500")  # looks like a question, too: not answered
    assert "超过" in r.plain
    assert [m.plain for m in emu.replies(mark, chat_id=7)] == [r.plain]
    emu.user_sticker(7)
    emu.wait_for(chat_id=7, contains="文字")
    summary = say(emu, 7, "已开展宣传", contains="请确认")
    emu.press(7, summary, button(summary, "确认"))
    emu.wait_for(chat_id=7, contains="已记录")


def test_cancel_records_nothing(emu, bot):
    bind(emu, 7, "龙城镇")
    items = say(emu, 7, "/checkin", contains="选择")
    emu.press(7, items, button(items, "1.1"))
    emu.wait_for(chat_id=7, contains="状态")
    say(emu, 7, "/cancel", contains="取消")
    r = say(emu, 7, "/mine", contains="龙城镇")
    assert "还没有填报" in r.plain


def test_one_line_checkin_and_errors(emu, bot):
    bind(emu, 7, "名山街道")
    r = say(emu, 7, "/checkin 二（二） 已完成 慰问了 30 户", contains="已记录")
    assert "2.2" in r.plain
    r = say(emu, 7, "/checkin 9.9 已完成", contains="没有这个事项")
    assert "4.3" in r.plain
    r = say(emu, 7, "/checkin 2.2 差不多了", contains="状态只能是")
    p = say(emu, ADMIN, "/progress", contains="进度")
    assert "名山街道" in p.plain and "✅2.2" in p.plain


def test_unbound_user_is_told_to_get_an_invite(emu, bot):
    r = say(emu, 8, "/checkin", contains="绑定")
    assert "邀请" in r.plain
    r = say(emu, 8, "/checkin 2.2 已完成 好", contains="绑定")
    say(emu, ADMIN, "/invite 龙城镇", contains="start=")
    p = say(emu, ADMIN, "/progress", contains="进度")
    assert "已填报 0/1" in p.plain


def test_correct_latest_keeps_history(emu, bot):
    bind(emu, 7, "龙城镇")
    say(emu, 7, "/checkin 3.1 进行中 在推进", contains="已记录")
    correct_latest(emu, 7, item="3.1", status="✅", note="已完成帮扶")
    mine = say(emu, 7, "/mine", contains="龙城镇")
    assert "已更正" in mine.plain and "已完成" in mine.plain
    p = say(emu, ADMIN, "/progress", contains="进度")
    assert "✅3.1" in p.plain and "⏳3.1" not in p.plain


def test_export_and_chart(emu, bot):
    bind(emu, 7, "龙城镇")
    bind(emu, 8, "县退役军人事务局")
    say(emu, 7, "/checkin 1.2 已完成 =1+1", contains="已记录")
    say(emu, ADMIN, "/invite 三合街道", contains="start=")
    emu.user_message(ADMIN, "/export")
    doc = emu.wait_for(chat_id=ADMIN, predicate=lambda m: m.document is not None)
    assert doc.filename.endswith(".xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(doc.document))
    detail, summary = wb.worksheets[0], wb.worksheets[1]
    values = [[c.value for c in row] for row in detail.iter_rows()]
    assert any("龙城镇" in map(str, row) for row in values)
    assert any("=1+1" in str(v) for row in values for v in row)  # shown as text, not a formula
    flat = [str(c.value) for row in summary.iter_rows() for c in row]
    assert "三合街道" in flat and "县退役军人事务局" in flat
    emu.user_message(ADMIN, "/chart")
    photo = emu.wait_for(chat_id=ADMIN, predicate=lambda m: m.photo is not None)
    img = Image.open(io.BytesIO(photo.photo))
    assert img.format == "PNG" and img.width > 300


def test_remind_missing(emu, bot):
    bind(emu, 7, "龙城镇")
    bind(emu, 8, "名山街道")
    say(emu, 8, "/checkin 1.1 已完成", contains="已记录")
    r = say(emu, ADMIN, "/remind_missing", contains="催办")
    assert "1 个单位" in r.plain and "1 人" in r.plain
    push = emu.wait_for(chat_id=7, contains="尚未填报")
    assert "龙城镇" in push.plain
    assert not [m for m in emu.to(8) if "尚未填报" in (m.plain or "")]


@pytest.mark.parametrize("kill_after", ["item", "status", "note"])
def test_flow_survives_kill_9(emu, db_url, tmp_path, kill_after):
    """kill -9 after any step, restart, carry on from that step: the check-in completes, once."""
    proc = BotProcess(emu, db_url, tmp_path).wait_polling()
    pending = []  # the steps still to do after the restart
    try:
        bind(emu, 7, "龙城镇")
        items = say(emu, 7, "/checkin", contains="选择")
        emu.press(7, items, button(items, "4.1"))
        st = emu.wait_for(chat_id=7, contains="状态")
        if kill_after == "item":
            pending = ["status", "note", "confirm"]
        else:
            emu.press(7, st, button(st, "✅"))
            emu.wait_for(chat_id=7, contains="说明")
            if kill_after == "status":
                pending = ["note", "confirm"]
            else:
                summary = say(emu, 7, "表彰大会筹备完毕", contains="请确认")
                pending = ["confirm"]
        time.sleep(0.3)  # let PTB confirm the update offset
    finally:
        proc.kill9()
    proc = BotProcess(emu, db_url, tmp_path).wait_polling()
    try:
        if "status" in pending:  # the buttons sent before the crash still work
            emu.press(7, st, button(st, "✅"))
            emu.wait_for(chat_id=7, contains="说明", timeout=20)
        if "note" in pending:
            summary = say(emu, 7, "表彰大会筹备完毕", contains="请确认", timeout=20)
        emu.press(7, summary, button(summary, "确认"))
        done = emu.wait_for(chat_id=7, contains="已记录", timeout=20)
        assert "4.1" in done.plain
        mine = say(emu, 7, "/mine", contains="龙城镇")
        assert mine.plain.count("表彰大会筹备完毕") == 1
    finally:
        proc.stop()


def test_idle_flow_times_out(emu, start_bot):
    from datetime import UTC, datetime, timedelta

    from bot.clock import FakeClock

    clock = FakeClock(datetime.now(UTC))
    start_bot(clock=clock)
    bind(emu, 7, "龙城镇")
    to_note_step(emu, 7, "1.3")
    clock.advance(timedelta(minutes=31))
    r = say(emu, 7, "迟到的说明", contains="超时")
    assert "未记录" in r.plain
    assert "还没有填报" in say(emu, 7, "/mine", contains="龙城镇").plain


def test_correction_can_change_the_item(emu, bot):
    bind(emu, 7, "龙城镇")
    say(emu, 7, "/checkin 3.1 已完成 其实是3.2的工作", contains="已记录")
    correct_latest(emu, 7, item="3.2", status="✅", note="支援地方发展")
    p = say(emu, ADMIN, "/progress", contains="进度")
    assert "✅3.2" in p.plain and "3.1" not in p.plain.split("各单位")[1]


def test_buttons_of_an_abandoned_flow_are_stale(emu, bot):
    bind(emu, 7, "龙城镇")
    first = say(emu, 7, "/checkin", contains="选择")
    emu.press(7, first, button(first, "2.2"))
    old_status = emu.wait_for(chat_id=7, contains="状态")
    second = say(emu, 7, "/checkin", contains="选择")
    emu.press(7, second, button(second, "4.3"))
    emu.wait_for(chat_id=7, contains="状态")
    mark = emu.mark()
    emu.press(7, old_status, button(old_status, "✅"))  # a button of the first flow
    emu.wait_idle(quiet=0.5, timeout=5)
    toast = [c for c in emu.answered_callbacks if c.get("text")]
    assert toast and "失效" in toast[-1]["text"]
    assert not [ev for ev in emu.events_after(mark) if ev.kind in ("sent", "edit")]
    emu.press(7, old_status, button(old_status, "取消"))  # nor does its 取消 end the new flow
    emu.wait_idle(quiet=0.5, timeout=5)
    r = say(emu, 7, "进行中", contains="说明")  # typed, at the status step of the second flow
    assert "4.3" in r.plain


def test_typed_answers_and_one_line_end_the_flow(emu, bot):
    bind(emu, 7, "龙城镇")
    say(emu, 7, "/checkin", contains="选择")
    r = say(emu, 7, "２．２", contains="状态")  # full-width, typed instead of pressed
    assert "2.2" in r.plain
    say(emu, 7, "已完成", contains="说明")
    say(emu, 7, "/checkin 1.1已完成 一行填报", contains="已记录")  # status glued to the item
    r = say(emu, 7, "光荣牌怎么挂", contains="光荣牌")  # the open flow ended: this is a question
    assert "请确认" not in r.plain
    say(emu, 7, "/checkin", contains="选择")
    say(emu, 7, "取消", contains="取消")
    r = say(emu, 7, "/checkin 2.2 已完成 " + "长" * 501, contains="500")
    assert "没有记录" in r.plain
