"""Work plans and 任务分解 through the chat, over the loopback Bot API, on SQLite and PostgreSQL:
a document sent to the bot is previewed and changes nothing until 「启用」; refusals; a kill -9
between preview and 启用; a 任务分解表 and /assign, and what they change in /progress, /checkin,
the export and 催办."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import bind, say
from tests.harness import ADMIN, BotProcess
from tests.test_intake import docx_bytes, xlsx
from tests.test_knowledge_documents import make_pdf

DOCS = Path(__file__).parent / "data" / "docs"
DOCX_2026 = (DOCS / "2026-shizhu-workpoints.docx").read_bytes()


@pytest.fixture
def db_url(any_db_url):
    return any_db_url


def upload(emu, name: str, content: bytes, *, contains=None, caption=None):  # noqa: ANN001, ANN201
    emu.user_document(ADMIN, file_name=name, content=content, caption=caption)
    return emu.wait_for(chat_id=ADMIN, contains=contains, timeout=20)


def test_upload_preview_then_enable(emu, bot):
    preview = upload(emu, "石柱2026要点.docx", DOCX_2026, contains="预览")
    p = preview.plain
    assert "2026年石柱土家族自治县双拥工作要点" in p and "石柱双拥办发〔2026〕2号" in p and "2026年" in p
    assert "6 个部分、18 个事项" in p and "5.3 推进“双拥在基层”活动" in p and "6.3 加强队伍建设" in p
    assert "识别提示" in p and "整部分作为事项 4 填报" in p  # section 四 has no items: it is one
    assert [label for row in preview.buttons for label, _ in row] == ["启用", "取消"]
    # nothing changes until 启用
    assert "聚焦实现强军目标" in say(emu, 7, "第二部分讲什么", contains="二").plain
    emu.press(ADMIN, preview, preview.button("启用")[1])
    done = emu.wait_for(chat_id=ADMIN, contains="已启用")
    assert "2026年" in done.plain and "18 个事项" in done.plain
    assert "聚焦备战打仗" in say(emu, 7, "第二部分讲什么", contains="二").plain
    # a section without items is one item: checked in, assigned and counted like the others
    bind(emu, 8, "龙城镇")
    assert "乡村振兴" in say(emu, 8, "/checkin 四 进行中 结对帮扶", contains="已记录").plain
    assert "整部分" not in say(emu, ADMIN, "/assign 4 乡镇", contains="已设置").plain
    listing = say(emu, ADMIN, "/plans", contains="工作要点")
    assert "✅ 2026年" in listing.plain and "▫️ 2020年" in listing.plain
    assert not emu.rejected


def test_a_pdf_with_text_is_a_plan_and_refusals_change_nothing(emu, bot):
    text = (DOCS / "2026-shizhu-workpoints.txt").read_text(encoding="utf-8").splitlines()
    preview = upload(emu, "要点.pdf", make_pdf(text), contains="预览")
    assert "18 个事项" in preview.plain
    scanned = upload(emu, "扫描件.pdf", make_pdf(text[:20], text=False), contains="无法导入")
    assert "文字层" in scanned.plain
    notes = upload(emu, "会议纪要.docx", docx_bytes("会议纪要\n今天讨论了食堂的事情。"), contains="没有")
    assert "不是工作要点" in notes.plain and not notes.buttons
    assert "聚焦实现强军目标" in say(emu, 7, "第二部分讲什么", contains="二").plain  # still 2020


def test_same_year_is_replaced_only_after_the_same_preview(emu, bot):
    first = upload(emu, "a.docx", DOCX_2026, contains="预览")
    emu.press(ADMIN, first, first.button("启用")[1])
    emu.wait_for(chat_id=ADMIN, contains="已启用")
    again = upload(emu, "b.docx", DOCX_2026, contains="预览")
    assert "2026年已有一份工作要点" in again.plain
    emu.press(ADMIN, again, again.button("取消")[1])
    emu.wait_for(chat_id=ADMIN, contains="取消")
    assert "2026年" in say(emu, ADMIN, "/plans", contains="工作要点").plain


def test_kill_9_between_preview_and_enable(emu, tmp_path, db_url):
    bot = BotProcess(emu, db_url, tmp_path).wait_polling()
    try:
        preview = upload(emu, "石柱2026要点.docx", DOCX_2026, contains="预览")
        enable = preview.button("启用")[1]
    finally:
        bot.kill9()
    bot = BotProcess(emu, db_url, tmp_path).wait_polling()
    try:
        assert "聚焦实现强军目标" in say(emu, 7, "第二部分讲什么", contains="二", timeout=20).plain  # old plan active
        emu.press(ADMIN, preview, enable)  # the stored preview is still usable
        assert "2026年" in emu.wait_for(chat_id=ADMIN, contains="已启用", timeout=20).plain
        assert "聚焦备战打仗" in say(emu, 7, "第二部分讲什么", contains="二").plain
    finally:
        bot.stop()


def test_assignment_table_and_assign_change_what_is_due(emu, bot):
    bind(emu, 7, "龙城镇")        # 乡镇
    bind(emu, 8, "县人武部")      # 成员单位
    table = xlsx([["事项", "责任单位"],
                  ["一（二）", "各乡镇（街道）"],
                  ["1.3", "县人武部、县不存在局"],
                  ["（三）组织开展多种形式拥军活动", "各成员单位"],
                  ["九（九）", "全部"],
                  ["四（一）", "县假想局、县虚构委"]], title="2020年任务分解表", merge="A1:B1")
    preview = upload(emu, "任务分解表.xlsx", table, contains="任务分解表预览")
    p = preview.plain
    assert "1.2" in p and "各乡镇" in p and "县不存在局" in p and "九(九)" in p
    # a row none of whose units is on the roster: its item is said to stay unassigned
    assert "单位都不在名册里" in p and "第7行：事项 4.1" in p
    emu.press(ADMIN, preview, preview.button("确认")[1])
    assert "3 个事项" in emu.wait_for(chat_id=ADMIN, contains="任务分解已生效").plain
    shown = say(emu, ADMIN, "/assign 1.2", contains="1.2")
    assert "乡镇" in shown.plain and "街道" in shown.plain
    # /checkin lists the unit's assigned items first
    items = say(emu, 8, "/checkin", contains="选择")
    first = [row[0][0] for row in items.buttons if row[0][1].startswith("ci:i:")][:2]
    assert [f.split()[0] for f in first] == ["1.3", "2.3"]
    say(emu, 8, "/cancel", contains="取消")
    # 县人武部 reports only 1.2 (assigned to 乡镇 and 街道, not its duty): still missing;
    # 龙城镇 reports its duty 1.2: done
    say(emu, 8, "/checkin 1.2 已完成", contains="已记录")
    say(emu, 7, "/checkin 1.2 已完成", contains="已记录")
    progress = say(emu, ADMIN, "/progress", contains="进度")
    assert "应报" in progress.plain
    missing = progress.plain.split("未填报")[1]
    assert "县人武部" in missing and "龙城镇" not in missing
    # what 县人武部 reported is shown, marked as not its duty and counted nowhere
    lines = progress.plain.splitlines()
    assert next(ln for ln in lines if ln.startswith("县人武部：")).endswith("1.2＊")
    assert next(ln for ln in lines if ln.startswith("龙城镇：")).endswith("1.2")
    assert "＊非该单位应报事项" in progress.plain
    assert next(ln for ln in lines if ln.startswith("1.2 ")).count("✅1 ") == 1
    # the same rule for 催办
    r = say(emu, ADMIN, "/remind_missing", contains="催办")
    assert "县人武部" in r.plain and "龙城镇" not in r.plain
    emu.wait_for(chat_id=8, contains="催办")
    # the export's summary marks cells nobody owes
    emu.user_message(ADMIN, "/export")
    doc = emu.wait_for(lambda m: (m.filename or "").endswith(".xlsx"), chat_id=ADMIN, timeout=30)
    summary = openpyxl.load_workbook(io.BytesIO(doc.document)).worksheets[1]
    rows = {r[0]: r for r in summary.iter_rows(values_only=True) if r and r[0] in ("龙城镇", "县人武部")}
    header = next(r for r in summary.iter_rows(values_only=True) if r and r[0] == "单位")
    col = header.index("1.2")
    assert rows["县人武部"][col] == "—（已完成）" and rows["龙城镇"][col] == "已完成"
    assert rows["县人武部"][header.index("1.3")] == "未报" and rows["龙城镇"][header.index("1.3")] == "—"


def test_assign_command(emu, bot):
    bind(emu, 7, "龙城镇")
    bind(emu, 8, "县人武部")
    say(emu, ADMIN, "/invite 县民政局", contains="start=")
    r = say(emu, ADMIN, "/assign 3.1 县人武部、县民政局", contains="3.1")
    assert "已设置" in r.plain and "应报单位 2 个" in r.plain
    r = say(emu, ADMIN, "/assign 1.2 乡镇 街道", contains="1.2")
    assert "应报单位 1 个" in r.plain
    bad = say(emu, ADMIN, "/assign 2.1 县人武部 县不存在局", contains="没有")
    assert "县不存在局" in bad.plain
    assert "未分解" in say(emu, ADMIN, "/assign 2.1", contains="2.1").plain  # nothing changed
    assert "没有事项" in say(emu, ADMIN, "/assign 9.9 乡镇", contains="9.9").plain
    overview = say(emu, ADMIN, "/assign", contains="任务分解")
    assert "3.1" in overview.plain and "1.2" in overview.plain
    r = say(emu, ADMIN, "/assign 1.2 全部", contains="1.2")
    assert "已清除" in r.plain
    assert "管理员" in say(emu, 7, "/assign 1.2 乡镇", contains="管理员").plain


def test_the_document_s_own_year_wins_over_a_caption_and_a_caption_fills_a_missing_one(emu, bot):
    p = upload(emu, "要点.docx", DOCX_2026, contains="预览", caption="2025年总结及2026年要点")
    assert "年度：2026年" in p.plain
    text = (DOCS / "2026-shizhu-workpoints.txt").read_text(encoding="utf-8").replace("2026", "")
    p = upload(emu, "要点.txt", text.encode("utf-8"), contains="预览", caption="这是2027的")
    assert "年度：2027年" in p.plain
    p = upload(emu, "要点2.txt", text.encode("utf-8"), contains="年份")  # no year anywhere: asked for
    assert not p.buttons


def test_a_utf16_text_plan_is_read(emu, bot):
    text = (DOCS / "2026-shizhu-workpoints.txt").read_text(encoding="utf-8")
    p = upload(emu, "要点.txt", text.encode("utf-16"), contains="预览")
    assert "18 个事项" in p.plain
