"""The file door's Telegram-free half: what a file is (by content), and the rows of a table under
its header — merged title rows, blank rows, Excel's CSV encodings — and the one name rule."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
from PIL import Image

from bot.errors import FileRefused
from bot.services.intake import (
    MAX_DOWNLOAD,
    OLE2_MAGIC,
    ROSTER_TABLE,
    check_size,
    csv_rows,
    intake,
    read_table,
    sniff,
)
from bot.services.unit_names import clean_unit_name, kind_from_word, split_name_list


def xlsx(rows: list[list[object]], *, title: str | None = None, merge: str | None = None,
         sheets: list[str] | None = None) -> bytes:
    """A workbook as Excel saves it: an optional merged title row, then ``rows`` as given (None =
    a blank row)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    for extra in sheets or []:
        wb.create_sheet(extra)
    if title is not None:
        ws.append([title])
        if merge:
            ws.merge_cells(merge)
    for r in rows:
        ws.append(r if r is not None else [])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def docx_bytes(text: str) -> bytes:
    import docx

    d = docx.Document()
    d.add_paragraph(text)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


# --- the name rule ---------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, clean", [
    ("龙城镇", "龙城镇"),
    ("龙城镇\u200b", "龙城镇"),
    ("\ufeff龙城镇", "龙城镇"),
    ("龙\u200d城\u2060镇", "龙城镇"),
    ("  龙城镇\u3000", "龙城镇"),
    ("县 人武部", "县人武部"),
    ("县委宣传部 （文明办）", "县委宣传部(文明办)"),
    ("ＡＢＣ镇", "ABC镇"),
    ("Fengdu   Office", "Fengdu Office"),
    ("\u200b", ""),
    ("\x00\x07", ""),
    ("", ""),
])
def test_one_name_rule(raw, clean):
    assert clean_unit_name(raw) == clean


def test_kind_words_and_lists():
    assert kind_from_word("镇") == "乡镇" and kind_from_word("街道办事处") == "街道"
    assert kind_from_word("部门") == "成员单位" and kind_from_word("") == ""
    assert kind_from_word("局") is None
    assert split_name_list("龙城镇、三合街道，县人武部;县民政局\n名山街道") == [
        "龙城镇", "三合街道", "县人武部", "县民政局", "名山街道"]
    assert split_name_list("县 人武部") == ["县 人武部"]  # spaces are not separators


# --- sniffing ----------------------------------------------------------------------------------------

def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "PNG")
    return buf.getvalue()


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "JPEG")
    return buf.getvalue()


def test_sniff_by_content_not_name():
    assert sniff(xlsx([["单位名称"], ["龙城镇"]]), "名单.docx").kind == "xlsx"  # a wrong extension
    assert sniff(docx_bytes("一、总体要求"), "x.xlsx").kind == "docx"
    assert sniff(b"%PDF-1.7\n...", "plan.txt").kind == "pdf"
    t = sniff("一、总体要求\n（一）宣传".encode("gb18030"), "plan.txt")
    assert (t.kind, t.encoding) == ("text", "gb18030") and t.text.startswith("一、")
    t = sniff("\ufeff单位名称\n龙城镇".encode(), "a.csv")
    assert (t.kind, t.encoding, t.text[:4]) == ("text", "utf-8", "单位名称")  # the BOM is gone
    t = sniff("单位名称\t类型\n龙城镇\t乡镇".encode("utf-16"), "a.txt")
    assert t.kind == "text" and "龙城镇" in t.text


@pytest.mark.parametrize("data, name, reason", [
    (b"", "a.xlsx", "empty"),
    (b"  \r\n\t ", "a.csv", "empty"),
    (b"\xef\xbb\xbf", "a.csv", "empty"),
    (_png(), "名单.xlsx", "image"),
    (_jpeg(), "scan.pdf", "image"),
    (OLE2_MAGIC + b"\x00" * 504 + "WordDocument".encode("utf-16-le") + b"\x00" * 100, "要点.doc", "legacy_doc"),
    (OLE2_MAGIC + b"\x00" * 504 + "Workbook".encode("utf-16-le") + b"\x00" * 100, "名单.xls", "legacy_xls"),
    (OLE2_MAGIC + b"\x00" * 600, "名单.xls", "legacy_xls"),  # no stream names: the name decides
    (b"{\\rtf1\\ansi hello}", "a.rtf", "legacy_doc"),
    (b"\x7fELF\x02\x01\x01" + b"\x00" * 100, "a.bin", "unknown"),
    (bytes(range(256)) * 4, "a.dat", "unknown"),
])
def test_sniff_refusals(data, name, reason):
    with pytest.raises(FileRefused) as exc:
        sniff(data, name)
    assert exc.value.reason == reason


def test_sniff_archives_and_opendocument():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.txt", "x")
    with pytest.raises(FileRefused) as exc:
        sniff(buf.getvalue(), "files.zip")
    assert exc.value.reason == "archive"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<x/>")
    with pytest.raises(FileRefused) as exc:
        sniff(buf.getvalue(), "名单.ods")
    assert (exc.value.reason, exc.value.data["what"]) == ("opendocument", "ods")
    with pytest.raises(FileRefused) as exc:
        sniff(b"PK\x03\x04 broken", "a.xlsx")
    assert exc.value.reason == "unreadable"


def test_size_limit_is_telegrams_20_mb():
    check_size(None)
    check_size(MAX_DOWNLOAD)
    with pytest.raises(FileRefused) as exc:
        check_size(30 * 1024 * 1024)
    assert exc.value.reason == "too_big" and exc.value.data["size"] == 30 * 1024 * 1024


# --- tables ------------------------------------------------------------------------------------------

def test_xlsx_header_below_a_merged_title_and_blank_rows():
    data = xlsx([None, ["填报说明：每行一个单位"], None, ["序号", "单位名称", "类型", "联络员"],
                 [1, "龙城镇", "乡镇", "张三"], None, None, [2, "名山街道", None, None], [3, "县人武部", "成员单位", 13800138000]],
                title="2026年丰都县双拥工作单位名册", merge="A1:D1")
    up = intake(data, "名册.xlsx")
    assert (up.kind, up.route) == ("xlsx", "roster")
    t = up.table
    assert t.header_row == 5 and t.columns == {"name": 1, "kind": 2, "liaison": 3}
    assert [(n, t.get(c, "name")) for n, c in t.rows] == [(6, "龙城镇"), (9, "名山街道"), (10, "县人武部")]
    assert t.get(t.rows[0][1], "kind") == "乡镇" and t.get(t.rows[2][1], "liaison") == "13800138000"


def test_xlsx_table_on_a_later_sheet():
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active.append(["本表用于批量导入"])
    ws = wb.create_sheet("名单")
    ws.append(["名称"])
    ws.append(["龙城镇"])
    buf = io.BytesIO()
    wb.save(buf)
    up = intake(buf.getvalue(), "x.xlsx")
    assert up.table.sheet == "名单" and up.table.rows == [(2, ["龙城镇"])]


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8"])
def test_csv_encodings_excel_writes(encoding):
    text = "丰都县双拥单位名单,,\r\n,,\r\n单位名称,类型,联络员\r\n龙城镇,乡镇,张三\r\n\r\n三合街道,,李四\r\n"
    up = intake(text.encode(encoding), "名单.csv")
    assert up.route == "roster" and up.table.header_row == 3
    assert [up.table.get(c, "name") for _, c in up.table.rows] == ["龙城镇", "三合街道"]


@pytest.mark.parametrize("sep", [",", "\t", ";"])
def test_csv_delimiter_is_sniffed(sep):
    text = sep.join(["单位名称", "类型"]) + "\n" + sep.join(["龙城镇", "乡镇"]) + "\n" + sep.join(["名山街道", "街道"]) + "\n"
    rows = csv_rows(text)
    assert rows[0] == (1, ["单位名称", "类型"]) and rows[2] == (3, ["名山街道", "街道"])


def test_quoted_cells_keep_commas_and_line_breaks():
    text = '事项,责任单位\n1.2,"县民政局,县财政局\n县人社局"\n'
    up = intake(text.encode("utf-8"), "分解表.csv")
    assert up.route == "assignment"
    assert up.table.get(up.table.rows[0][1], "units") == "县民政局,县财政局\n县人社局"


def test_header_words_with_notes_and_stars():
    up = intake("*单位名称（必填）,类型：\n龙城镇,乡镇\n".encode(), "a.csv")
    assert up.table.columns == {"name": 0, "kind": 1}


def test_route_by_header_and_refusal_naming_columns():
    assert intake(xlsx([["事项", "责任单位"], ["1.2", "各乡镇（街道）"]]), "a.xlsx").route == "assignment"
    assert intake(xlsx([["序号", "工作事项", "牵头单位"], [1, "一（二）", "县民政局"]]), "a.xlsx").route == "assignment"
    with pytest.raises(FileRefused) as exc:
        intake(xlsx([["姓名", "电话"], ["张三", "138"]]), "通讯录.xlsx")
    assert exc.value.reason == "no_header"
    assert exc.value.data["expected"]["roster"][0] == "单位名称"
    assert exc.value.data["expected"]["assignment"][:2] == ["事项", "责任单位"]
    with pytest.raises(FileRefused) as exc:
        intake("姓名,电话\n张三,138\n".encode("gbk"), "a.csv")
    assert exc.value.reason == "no_header"


def test_text_files_are_documents_unless_they_hold_a_known_table():
    up = intake("2026年某县双拥工作要点\n一、总体要求\n（一）加强宣传".encode("gbk"), "要点.txt")
    assert (up.kind, up.route) == ("txt", "plan") and up.text.startswith("2026")
    up = intake("单位名称\n龙城镇\n".encode(), "名单.txt")
    assert (up.kind, up.route) == ("csv", "roster")
    assert intake(docx_bytes("一、总体要求"), "要点.docx").route == "plan"
    assert intake(b"%PDF-1.4\n", "要点.pdf").route == "plan"


def test_read_table_restricted_to_one_kind():
    data = xlsx([["事项", "责任单位"], ["1.2", "各乡镇"]])
    with pytest.raises(FileRefused) as exc:
        read_table(data, sniff(data), specs=[ROSTER_TABLE])
    assert list(exc.value.data["expected"]) == ["roster"]


def test_a_damaged_workbook_is_refused_not_a_crash():
    good = xlsx([["单位名称"], ["龙城镇"]])
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(buf, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = data[: len(data) // 2]
            dst.writestr(item, data)
    with pytest.raises(FileRefused) as exc:
        intake(buf.getvalue(), "a.xlsx")
    assert exc.value.reason in ("unreadable", "no_header")


def test_a_wrong_dimension_record_does_not_hide_rows():
    """WPS and some report generators write <dimension ref="A1"/>; openpyxl's read-only mode would
    then see one cell (its docs: reset_dimensions)."""
    import re

    good = xlsx([None, ["序号", "单位名称"], [1, "龙城镇"], None, [2, "三合街道"]], title="名册")
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(buf, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1"', data)
            dst.writestr(item, data)
    up = intake(buf.getvalue(), "x.xlsx")
    assert [up.table.get(c, "name") for _, c in up.table.rows] == ["龙城镇", "三合街道"]
