"""Check-in additions over loopback HTTP: evidence at the note step, /evidence for the unit and
admins only, 代填 marked everywhere it shows, everyday status words, /checkin 2.2 at the status
step, /cancel of an admin's broadcast preview. On SQLite and PostgreSQL."""

from __future__ import annotations

import io

import openpyxl
import pytest

from tests.conftest import bind, say
from tests.harness import ADMIN
from tests.test_e2e_checkin import button, to_note_step


@pytest.fixture
def db_url(any_db_url):
    return any_db_url


def test_evidence_photos_and_documents_at_the_note_step(emu, bot):
    bind(emu, 7, "龙城镇", name="张三")
    bind(emu, 8, "三合街道", name="李四")
    to_note_step(emu, 7, "2.2")
    emu.user_photo(7)
    assert "1/5" in emu.wait_for(chat_id=7, contains="已收到附件").plain
    emu.user_document(7, file_name="走访名单.pdf")
    emu.wait_for(chat_id=7, contains="2/5")
    summary = say(emu, 7, "已走访12户", contains="请确认")
    assert "附件：2" in summary.plain
    emu.user_photo(7)  # still possible before 确认
    summary = emu.wait_for(chat_id=7, contains="附件：3")
    emu.press(7, summary, button(summary, "确认"))
    done = emu.wait_for(chat_id=7, contains="已记录")
    assert "附件：3" in done.plain
    checkin_id = done.plain.split("/evidence ")[1].split()[0]

    mine = say(emu, 7, "/mine", contains="📎3")
    assert f"/evidence {checkin_id}" in mine.plain
    mark = emu.mark()
    say(emu, 7, f"/evidence {checkin_id}", contains="附件共 3 个")
    resent = emu.replies(mark, chat_id=7)
    assert [m.method for m in resent].count("sendPhoto") == 2 and [m.method for m in resent].count("sendDocument") == 1
    say(emu, 8, f"/evidence {checkin_id}", contains="找不到")  # another unit's member
    say(emu, 9, f"/evidence {checkin_id}", contains="找不到")  # a guest
    say(emu, ADMIN, f"/evidence {checkin_id}", contains="附件共 3 个")

    emu.user_message(ADMIN, "/export")
    doc = emu.wait_for(lambda m: (m.filename or "").endswith(".xlsx"), chat_id=ADMIN, timeout=30)
    ws = openpyxl.load_workbook(io.BytesIO(doc.document))["明细"]
    header = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2, values_only=True) if r[1] == "龙城镇")
    assert row[header.index("附件")] == 3
    assert not emu.rejected


def test_at_most_five_files_and_a_caption_is_the_note(emu, bot):
    bind(emu, 7, "龙城镇")
    to_note_step(emu, 7, "1.1")
    for n in range(1, 6):
        emu.user_photo(7)
        emu.wait_for(chat_id=7, contains=f"{n}/5")
    emu.user_photo(7)
    assert "最多 5 个" in emu.wait_for(chat_id=7, contains="附件").plain
    say(emu, 7, "/cancel", contains="取消")  # the files of a cancelled flow are not kept
    to_note_step(emu, 7, "1.1")
    emu.user_photo(7, caption="宣传栏照片，已更新")
    summary = emu.wait_for(chat_id=7, contains="请确认")
    assert "宣传栏照片，已更新" in summary.plain and "附件：1" in summary.plain


def test_checkin_for_is_marked_everywhere(emu, bot):
    bind(emu, 7, "龙城镇", name="张三")
    emu.user_message(ADMIN, "/checkin_for 龙城镇 2.2 已完成 电话报告已走访12户", first_name="王主任")
    done = emu.wait_for(chat_id=ADMIN, contains="已代填")
    assert "龙城镇" in done.plain and "王主任" in done.plain
    notice = emu.wait_for(chat_id=7, contains="代填")
    assert "2.2" in notice.plain
    assert "代填·王主任" in say(emu, 7, "/mine", contains="龙城镇").plain
    assert "代填·王主任" in say(emu, ADMIN, "/progress", contains="进度").plain
    emu.user_message(ADMIN, "/export")
    doc = emu.wait_for(lambda m: (m.filename or "").endswith(".xlsx"), chat_id=ADMIN, timeout=30)
    ws = openpyxl.load_workbook(io.BytesIO(doc.document))["明细"]
    header = [c.value for c in ws[1]]
    row = next(ws.iter_rows(min_row=2, values_only=True))
    assert row[header.index("代填")] == "代填·王主任"
    say(emu, ADMIN, "/checkin_for 不存在的镇 2.2 已完成", contains="没有「不存在的镇」")
    say(emu, 7, "/checkin_for 龙城镇 2.2 已完成", contains="管理员")  # members may not


@pytest.mark.parametrize(("word", "status"), [("完成了", "已完成"), ("做完了", "已完成"), ("已办结", "已完成"),
                                              ("正在做", "进行中"), ("推进中", "进行中"), ("在办", "进行中"),
                                              ("还没开始", "未开始"), ("未启动", "未开始")])
def test_everyday_status_words(emu, bot, word, status):
    bind(emu, 7, "龙城镇")
    r = say(emu, 7, f"/checkin 2.2 {word} 说明文字", contains="已记录")
    assert status in r.plain and "说明文字" in r.plain


def test_checkin_with_an_item_opens_the_status_step(emu, bot):
    bind(emu, 7, "龙城镇")
    st = say(emu, 7, "/checkin 三（二）", contains="状态")
    assert "3.2" in st.plain
    emu.press(7, st, button(st, "⏳"))
    emu.wait_for(chat_id=7, contains="说明")
    summary = say(emu, 7, "无", contains="请确认")
    emu.press(7, summary, button(summary, "确认"))
    assert "3.2" in emu.wait_for(chat_id=7, contains="已记录").plain


def test_cancel_also_cancels_a_broadcast_preview(emu, bot):
    say(emu, 7, "/start", contains="双拥助手")
    preview = say(emu, ADMIN, "/broadcast 请于本月25日前完成填报", contains="群发预览")
    confirm = button(preview, "确认")  # an old client may still show the button after the edit
    say(emu, ADMIN, "/cancel", contains="已取消这条群发")
    assert "已取消" in preview.plain and not preview.buttons  # the preview itself says so
    mark = emu.mark()
    emu.press(ADMIN, preview, confirm)
    emu.wait_idle(after=mark)
    assert not [m for m in emu.replies(mark, chat_id=7)]  # nothing sent


def test_a_one_line_checkin_during_a_flow_does_not_take_its_files(emu, bot):
    bind(emu, 7, "龙城镇")
    to_note_step(emu, 7, "1.1")
    emu.user_photo(7)
    emu.wait_for(chat_id=7, contains="1/5")
    say(emu, 7, "/checkin 3.2 进行中 另一件事", contains="已记录")
    mine = say(emu, 7, "/mine", contains="龙城镇")
    assert "3.2" in mine.plain and "📎" not in mine.plain
    to_note_step(emu, 7, "1.1")  # the dropped flow's photo is gone, not carried into a new flow
    summary = say(emu, 7, "无", contains="请确认")
    assert "附件：0" in summary.plain


def test_a_checkin_typed_as_plain_text_is_offered_for_confirmation(emu, bot):
    bind(emu, 7, "龙城镇")
    summary = say(emu, 7, "我镇2.2已完成，走访了驻地部队12户", contains="请确认")
    assert "看起来" in summary.plain and "2.2" in summary.plain and "走访了驻地部队12户" in summary.plain
    assert "还没有填报" in say(emu, 7, "/mine", contains="龙城镇").plain  # nothing until 确认
    emu.press(7, summary, button(summary, "确认"))
    done = emu.wait_for(chat_id=7, contains="已记录")
    assert "2.2" in done.plain and "已完成" in done.plain
    # somebody who is not bound gets an answer, not a check-in
    assert "请确认" not in say(emu, 8, "2.2已完成", contains="二").plain


@pytest.mark.parametrize(("typed", "status", "note"), [
    ("/checkin 2.2 已完成，走访了驻地部队", "已完成", "走访了驻地部队"),
    ("/checkin 2。2 已完成", "已完成", ""),
    ("/checkin 2.2 进行中：正在走访", "进行中", "正在走访"),
    ("/checkin 2.2 完成了。已挂牌126户", "已完成", "已挂牌126户"),
])
def test_one_line_checkins_with_chinese_punctuation(emu, bot, typed, status, note):
    bind(emu, 7, "龙城镇")
    r = say(emu, 7, typed, contains="已记录")
    assert "2.2" in r.plain and status in r.plain and note in r.plain


def test_an_open_flow_is_resumed_and_its_note_can_be_changed(emu, bot):
    bind(emu, 7, "龙城镇")
    to_note_step(emu, 7, "1.1")
    say(emu, 7, "第一稿", contains="请确认")
    mark = emu.mark()
    answer = say(emu, 7, "光荣牌怎么挂", contains="光荣牌")  # a question at the summary: answered…
    reminder = [m for m in emu.replies(mark, chat_id=7) if "等待确认" in m.plain]
    assert reminder and "1.1" in reminder[0].plain and answer.plain != reminder[0].plain  # …after a reminder
    resumed = say(emu, 7, "/checkin", contains="请确认")  # not a new flow: the waiting one
    assert "第一稿" in resumed.plain
    emu.press(7, resumed, button(resumed, "修改说明"))
    emu.wait_for(chat_id=7, contains="说明")
    summary = say(emu, 7, "第二稿", contains="请确认")
    emu.press(7, summary, button(summary, "确认"))
    assert "第二稿" in emu.wait_for(chat_id=7, contains="已记录").plain


def test_a_correction_keeps_the_files_of_the_check_in_it_corrects(emu, bot):
    bind(emu, 7, "龙城镇")
    to_note_step(emu, 7, "1.3")
    emu.user_photo(7)
    emu.wait_for(chat_id=7, contains="1/5")
    summary = say(emu, 7, "宣传栏", contains="请确认")
    emu.press(7, summary, button(summary, "确认"))
    emu.wait_for(chat_id=7, contains="已记录")
    mine = say(emu, 7, "/mine", contains="更正")
    emu.press(7, mine, button(mine, "更正"))
    items = emu.wait_for(chat_id=7, contains="更正最新一条")
    emu.press(7, items, button(items, "1.3"))
    st = emu.wait_for(chat_id=7, contains="状态")
    emu.press(7, st, button(st, "⏳"))
    emu.wait_for(chat_id=7, contains="说明")
    summary = say(emu, 7, "宣传栏已更新", contains="更正")
    emu.press(7, summary, button(summary, "确认"))
    assert "附件：1" in emu.wait_for(chat_id=7, contains="已更正").plain


@pytest.mark.parametrize("typed", ["收到", "好的👌", "👍", "嗯嗯", "OK"])
def test_acknowledgements_are_not_unanswered_questions(emu, bot, typed):
    r = say(emu, 7, typed, contains="好的")
    assert "未找到" not in r.plain


def test_help_typed_in_words(emu, bot):
    r = say(emu, 7, "帮助", contains="/checkin")
    assert "/ask" in r.plain and "未找到" not in r.plain
    assert "/checkin" in say(emu, 7, "菜单", contains="/checkin").plain


def test_an_invite_link_or_code_pasted_as_text_binds(emu, bot):
    link = say(emu, ADMIN, "/invite 龙城镇", contains="start=").plain.split()
    url = next(w for w in link if "start=" in w)
    assert "龙城镇" in say(emu, 7, url, contains="绑定成功").plain
    code = say(emu, ADMIN, "/invite 三合街道", contains="start=").plain.split("start=")[1].split()[0]
    assert "三合街道" in say(emu, 8, code, contains="绑定成功").plain
    r = say(emu, 9, "abcdefghijklmnop")  # 16 letters that are no invite code: just a question
    assert "绑定" not in r.plain


def test_a_checkin_after_the_deadline_is_marked_late(emu, start_bot):
    from datetime import UTC, datetime

    from bot.clock import FakeClock

    start_bot(clock=FakeClock(datetime(2026, 11, 27, 2, 0, tzinfo=UTC)))  # after the 25th
    bind(emu, 7, "龙城镇")
    r = say(emu, 7, "/checkin 2.2 已完成", contains="已记录")
    assert "补报" in r.plain
    assert "补报" in say(emu, 7, "填报截止是哪天", contains="截止").plain


def test_what_time_is_an_event(emu, bot):
    say(emu, ADMIN, "/event_add 2027-01-20 09:30 联络员培训会", contains="联络员培训会")
    r = say(emu, 7, "联络员培训会几点开始", contains="联络员培训会")
    assert "09:30" in r.plain


def test_remind_missing_twice_in_a_row_pushes_once(emu, bot):
    bind(emu, 7, "龙城镇")
    say(emu, ADMIN, "/remind_missing", contains="催办")
    emu.wait_for(chat_id=7, contains="尚未填报")
    mark = emu.mark()
    again = say(emu, ADMIN, "/remind_missing", contains="刚刚")
    assert "没有重复发送" in again.plain
    assert not emu.replies(mark, chat_id=7)


def test_checkin_for_a_unit_nobody_is_bound_to_says_nobody_was_told(emu, bot):
    say(emu, ADMIN, "/invite 三合街道", contains="start=")
    r = say(emu, ADMIN, "/checkin_for 三合街道 1.1 己完成 电话报送", contains="已代填")
    assert "没有人收到通知" in r.plain and "已完成" in r.plain


def test_an_old_used_invite_after_binding_elsewhere_keeps_the_new_unit(emu, bot):
    """Issue 15 point 7: the first link tapped again after binding to another unit says it was
    used and names the unit the user is bound to now — tapped or pasted, one reply, never
    「绑定成功」 with the old unit and never a 「未找到」 for the link read as a question."""
    old = say(emu, ADMIN, "/invite 龙城镇", contains="start=").plain.split("start=")[1].split()[0]
    new = say(emu, ADMIN, "/invite 三合街道", contains="start=").plain.split("start=")[1].split()[0]
    assert "龙城镇" in say(emu, 7, f"/start {old}", contains="绑定成功").plain
    assert "三合街道" in say(emu, 7, f"/start {new}", contains="绑定成功").plain
    for text in (f"/start {old}", f"https://t.me/shuangyong_bot?start={old}", old):
        emu.user_message(7, text)
        sent = emu.replies(chat_id=7)
        assert len(sent) == 1, [m.plain for m in sent]
        assert "用过" in sent[0].plain and "三合街道" in sent[0].plain and "绑定成功" not in sent[0].plain
    assert "三合街道" in say(emu, 7, "/start", contains="已绑定").plain
