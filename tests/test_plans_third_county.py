"""A plan nobody tuned for (彭水 2027: six sections, （一）/1./1、 numbering, a section without
items, a heading without a numeral, a line broken across a blank line, a trailing 附件), checked
the way a new admin meets it: as .docx and as a PDF over the loopback Bot API, with a 任务分解表
that names the item-less section, check-ins against ids the plan lacks. SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.parser import parse_text
from tests.conftest import bind, say
from tests.harness import ADMIN
from tests.test_intake import docx_bytes, xlsx
from tests.test_knowledge_documents import make_pdf

TEXT = (Path(__file__).parent / "data" / "docs" / "2027-pengshui-workpoints.txt").read_text(encoding="utf-8")


@pytest.fixture
def db_url(any_db_url):
    return any_db_url


def upload(emu, name: str, content: bytes, *, contains: str):  # noqa: ANN001, ANN201
    emu.user_document(ADMIN, file_name=name, content=content)
    return emu.wait_for(chat_id=ADMIN, contains=contains, timeout=20)


def enable(emu, preview) -> None:  # noqa: ANN001
    emu.press(ADMIN, preview, preview.button("启用")[1])
    emu.wait_for(chat_id=ADMIN, contains="已启用", timeout=20)


def test_a_pdf_line_wrapped_before_an_unpunctuated_sentence_end_stays_in_its_item():
    # a PDF wraps 「…确保完成年」 / 「度征兵任务」 (the sentence has no full stop) before item 3.:
    # a short line between items 2. and 3. of one list is the end of 2., not a heading
    lines = TEXT.replace("确保完成年度征兵任务", "确保完成年\n度征兵任务")
    doc = parse_text(lines)
    by_id = doc.clauses
    assert by_id["2.2"].text.endswith("确保完成年度征兵任务")
    assert "\n" not in by_id["2.2"].text
    assert [cid for cid in doc.clauses if cid.startswith("2.")] == ["2.1", "2.2", "2.3"]


def test_third_county_plan_table_and_ids_it_lacks(emu, bot):
    pdf = upload(emu, "彭水2027要点.pdf", make_pdf(TEXT.splitlines()), contains="预览")
    assert "6 个部分、15 个事项" in pdf.plain and "2.2 抓好兵员征集" in pdf.plain
    # every wrapped line of the PDF is a join: two are shown, the rest counted, and the warnings
    # that matter (附件, a heading without a numeral) are not buried under them
    assert pdf.plain.count("已合并") == 2 and "另有 " in pdf.plain and "同样的合并" in pdf.plain
    assert "「加强双拥组织建设」没有序号" in pdf.plain and "附件" in pdf.plain
    emu.press(ADMIN, pdf, pdf.button("取消")[1])
    emu.wait_for(chat_id=ADMIN, contains="取消")
    p = upload(emu, "彭水2027要点.docx", docx_bytes(TEXT), contains="预览")
    assert "6 个部分、15 个事项" in p.plain and "年度：2027年" in p.plain
    assert "「加强双拥组织建设」没有序号" in p.plain and "附件" in p.plain and "整部分作为事项 4" in p.plain
    enable(emu, p)
    bind(emu, 7, "郁山镇")
    bind(emu, 8, "县退役军人事务局")
    # the table names the item-less section (四) with the others; 「确认」 applies every listed item
    table = xlsx([["序号", "事项", "责任单位"],
                  [1, "一（二）", "各乡镇（街道）、县委宣传部"],
                  [2, "（三）解决军人“三后”问题", "县退役军人事务局、县教委"],
                  [3, "四", "各乡镇（街道）"]], title="彭水县2027年双拥工作任务分解表", merge="A1:C1")
    t = upload(emu, "任务分解表.xlsx", table, contains="任务分解表预览")
    assert "4 开展军民共建" in t.plain and "县教委" in t.plain and "县委宣传部" in t.plain
    emu.press(ADMIN, t, t.button("确认")[1])
    assert "3 个事项" in emu.wait_for(chat_id=ADMIN, contains="任务分解已生效").plain
    assert "各乡镇" in say(emu, ADMIN, "/assign 4", contains="4").plain
    items = say(emu, 7, "/checkin", contains="选择")
    ids = [row[0][0].split()[0] for row in items.buttons if row[0][1].startswith("ci:i:")]
    assert ids[:2] == ["1.2", "4"]
    say(emu, 7, "/cancel", contains="取消")
    # 4.3 is not item 4 with a stray 「.3」; an id the plan lacks is said to be one
    assert "没有这个事项" in say(emu, 7, "/checkin 4.3 已完成 说明", contains="❌").plain
    assert "没有这个事项" in say(emu, ADMIN, "/checkin_for 郁山镇 7.3 已完成 电话", contains="❌").plain
    assert "已记录" in say(emu, 7, "/checkin 四 进行中 结对共建", contains="已记录").plain
    progress = say(emu, ADMIN, "/progress", contains="进度").plain
    assert "4 开展军民共建，助力乡村振兴：✅0 ⏳1 ⭕0 ／应报1" in progress
    assert not emu.rejected


def test_a_csv_table_assign_by_names_and_deadline_pushes_count_only_assigned_cells(emu, start_bot):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from bot.clock import FakeClock
    from handlers import events as event_handlers

    sh = ZoneInfo("Asia/Shanghai")
    clock = FakeClock(datetime(2026, 12, 22, 8, 0, tzinfo=sh))  # d3 of 2026-12 is 12-22 09:00
    bot = start_bot(clock=clock)
    enable(emu, upload(emu, "彭水2027要点.docx", docx_bytes(TEXT), contains="预览"))
    bind(emu, 7, "郁山镇")
    bind(emu, 8, "县退役军人事务局")
    bind(emu, 9, "汉葭街道")
    # a GBK .csv as Excel saves it in China: items by id, by 一（二） and by （二）+title; units by
    # kind phrase, name, and names the roster lacks, separated by ；、 and spaces
    csv = ("事项,责任单位\n"
           "1.2,各乡镇（街道）；县委宣传部\n"
           "（二）抓好兵员征集,各乡镇（街道） 县人武部\n"
           "三（三）,县退役军人事务局、县教委\n").encode("gb18030")
    t = upload(emu, "任务分解表.csv", csv, contains="任务分解表预览")
    assert "1.2 广泛营造双拥宣传氛围：各乡镇、各街道" in t.plain
    assert "2.2 抓好兵员征集：各乡镇、各街道" in t.plain and "3.3 解决军人“三后”问题：县退役军人事务局" in t.plain
    assert all(n in t.plain for n in ("县委宣传部", "县人武部", "县教委"))
    emu.press(ADMIN, t, t.button("确认")[1])
    emu.wait_for(chat_id=ADMIN, contains="任务分解已生效")
    bad = say(emu, ADMIN, "/assign 6.1 县退役军人事务局 县双拥办", contains="没有")
    assert "县双拥办" in bad.plain and "未分解" in say(emu, ADMIN, "/assign 6.1", contains="6.1").plain
    assert "应报单位 1 个" in say(emu, ADMIN, "/assign 加强督查通报 街道", contains="6.2").plain
    # every item is now assigned or due from everyone; 县退役军人事务局 reports an item that is
    # not its duty (1.2): it is still missing, and so is 汉葭街道; 郁山镇 reported its 2.2
    say(emu, 8, "/checkin 1.2 已完成 帮忙宣传", contains="已记录")
    say(emu, 7, "/checkin 2.2 进行中 征兵宣传", contains="已记录")
    missing = say(emu, ADMIN, "/progress", contains="进度").plain.split("未填报")[1]
    assert "县退役军人事务局" in missing and "汉葭街道" in missing and "郁山镇" not in missing
    clock.set(datetime(2026, 12, 22, 9, 0, 30, tzinfo=sh))
    mark = emu.mark()
    bot.call(event_handlers.sweep(bot.app))
    emu.wait_for(chat_id=8, contains="填报截止提醒", after=mark)
    emu.wait_for(chat_id=9, contains="填报截止提醒", after=mark)
    emu.wait_idle(quiet=0.5, timeout=3)
    assert not [m for m in emu.sent if m.chat_id == 7 and "填报截止提醒" in m.plain]
    assert not emu.rejected
