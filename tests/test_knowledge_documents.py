"""Documents as the plans service hands them: read_document (.txt/.docx/.pdf, refusals with a
reason), parse warnings, year, to_dict/from_dict, KnowledgeBase.from_document."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from knowledge import DocumentError, KnowledgeBase, ParsedDocument, parse_paragraphs, read_document
from knowledge.base import DEFAULT_DOC

DATA = Path(__file__).parent / "data"


def make_pdf(lines: list[str], *, width: int = 36, text: bool = True) -> bytes:
    """A Chinese PDF drawn with matplotlib (TrueType fonts with a ToUnicode map), lines wrapped
    at ``width`` characters as a page would; ``text=False``: only shapes (a scan)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    from bot.fonts import chinese_font_path

    prop = FontProperties(fname=str(chinese_font_path()))
    wrapped: list[str] = []
    for line in lines:
        while len(line) > width:
            wrapped.append(line[:width])
            line = line[width:]
        wrapped.append(line)
    buf = io.BytesIO()
    with matplotlib.rc_context({"pdf.fonttype": 42}), PdfPages(buf) as pdf:
        for p in range(0, max(1, len(wrapped)), 40):
            fig = Figure(figsize=(8.27, 11.69))
            for k, line in enumerate(wrapped[p:p + 40]):
                if text:
                    fig.text(0.08, 0.95 - k * 0.022, line, fontproperties=prop, fontsize=11)
                else:
                    fig.patches.append(matplotlib.patches.Rectangle(
                        (0.08, 0.95 - k * 0.022), 0.8, 0.01, transform=fig.transFigure, figure=fig))
            pdf.savefig(fig)
    return buf.getvalue()


SEED_LINES = DEFAULT_DOC.read_text(encoding="utf-8").splitlines()


# --- reading -------------------------------------------------------------------------------------

def test_pdf_with_a_text_layer_parses_like_the_text(tmp_path):
    pytest.importorskip("pypdf")
    path = tmp_path / "plan.pdf"
    path.write_bytes(make_pdf(SEED_LINES))
    from_pdf = KnowledgeBase.load(path)
    from_txt = KnowledgeBase.load()
    assert list(from_pdf.clauses) == list(from_txt.clauses)
    for cid, c in from_txt.clauses.items():
        assert from_pdf.clauses[cid].title == c.title, cid
        if c.kind in ("item", "section", "preamble"):  # wrapped lines joined back, no line breaks
            assert from_pdf.clauses[cid].text == c.text, cid
    assert from_pdf.ask("光荣牌怎么挂").hits[0].clause.id == "1.2"


def test_scanned_pdf_is_refused_with_a_reason():
    with pytest.raises(DocumentError) as e:
        read_document(make_pdf(["x"] * 5, text=False), "scan.pdf")
    assert e.value.reason == "no_text"


@pytest.mark.parametrize("data,name,reason", [
    (b"", "a.txt", "empty"), (b"  \n\r\n ", "a.txt", "empty"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "old.doc", "doc_format"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "photo.png", "unsupported"),
    (b"%PDF-1.4\nnot really a pdf", "broken.pdf", "unreadable"),
])
def test_refusals(data, name, reason):
    with pytest.raises(DocumentError) as e:
        read_document(data, name)
    assert e.value.reason == reason


def test_spreadsheet_and_damaged_docx_are_refused(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["事项", "责任单位"])
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(DocumentError) as e:
        read_document(buf.getvalue(), "plan.docx")  # renamed: the bytes decide
    assert e.value.reason == "unsupported"
    with pytest.raises(DocumentError) as e:
        read_document(b"PK\x03\x04 truncated", "plan.docx")
    assert e.value.reason == "unsupported"


def test_missing_file_and_a_text_that_is_not_a_plan(tmp_path):
    with pytest.raises(DocumentError) as e:
        KnowledgeBase.load(tmp_path / "missing.docx")
    assert e.value.reason == "missing"
    p = tmp_path / "note.txt"
    p.write_text("今天开会。\n请大家准时参加。\n", encoding="utf-8")
    with pytest.raises(DocumentError) as e:
        KnowledgeBase.load(p)
    assert e.value.reason == "not_a_plan"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_text_encodings(encoding):
    text = "\n".join(SEED_LINES)
    lines = read_document(text.encode(encoding), "plan.txt")
    assert lines[0] == "丰都双拥办发〔2020〕3号" and "" in lines


def test_docx_bytes():
    docx = pytest.importorskip("docx")
    d = docx.Document()
    for line in SEED_LINES:
        d.add_paragraph(line)
    buf = io.BytesIO()
    d.save(buf)
    doc = parse_paragraphs(read_document(buf.getvalue(), "要点.docx"))
    assert [c.id for c in doc.items()][-1] == "4.3" and doc.year == 2020


# --- parsing: warnings, year, broken lines, attachments -------------------------------------------

PLAN_2026 = """某县双拥办〔2026〕2号
某县双拥工作领导小组办公室
关于印发《2026年某县双拥工作要点》的通知
各乡镇：
现将要点印发给你们。
某县双拥工作领导小组办公室
2026年1月10日
2026年某县双拥工作要点
今年要坚持服务大局。
一、宣传教育
（一）开展国防教育。组织国防教育进校园，做好学生军训工作，将国防教育纳入年度
培训计划。
（二）营造氛围。在车站设置拥军标语。
二、服务部队
1.帮助解决困难。协调解决官兵子女入学问题。
2、开展走访慰问。节日期间走访慰问驻地部队。

三、保障民生
统筹做好退役军人就业创业工作，举办专场招聘会。
组织领导
（一）健全机制。定期召开双拥联席会议。
（二）加强督查。将双拥工作纳入考核。
附件：1.双拥工作任务分解表
2.重点活动安排表
"""


@pytest.fixture(scope="module")
def doc2026() -> ParsedDocument:
    return parse_paragraphs(PLAN_2026.splitlines())


def test_mixed_numbering_and_shapes(doc2026):
    assert doc2026.title == "2026年某县双拥工作要点" and doc2026.year == 2026
    assert [c.id for c in doc2026.sections()] == ["1", "2", "3", "4"]
    assert doc2026.clauses["2"].children == ("2.1", "2.2")  # "1." and "2、"
    assert doc2026.clauses["3"].children == ()
    assert doc2026.clauses["4"].title == "组织领导"  # a heading without a numeral
    assert doc2026.clauses["4.2"].title == "加强督查"


def test_a_line_broken_without_punctuation_is_joined_without_a_newline(doc2026):
    t = doc2026.clauses["1.1"].text
    assert "纳入年度培训计划。" in t and "\n" not in t


def test_trailing_attachment_belongs_to_no_item(doc2026):
    assert "附件" not in doc2026.clauses["4.2"].text and "分解表" not in doc2026.clauses["4.2"].text
    assert "附件：1.双拥工作任务分解表" in doc2026.clauses["header"].text
    assert "4.3" not in doc2026.clauses  # "2.重点活动安排表" is not an item


def test_warnings(doc2026):
    codes = {(w.code, w.data.get("section")) for w in doc2026.warnings}
    assert ("section_without_items", 3) in codes
    assert ("heading_without_numeral", 4) in codes
    assert any(w.code == "joined_broken_line" for w in doc2026.warnings)
    assert sum(w.code == "trailing_attachment" for w in doc2026.warnings) == 2
    seed = KnowledgeBase.load()
    codes = {w.code for w in seed.warnings}
    assert {"joined_across_blank", "items_unnumbered", "heading_without_numeral"} <= codes
    unnumbered = next(w for w in seed.warnings if w.code == "items_unnumbered")
    assert unnumbered.data == {"section": 3, "items": ["3.2", "3.3", "3.4"]}


def test_year_from_the_document_number_when_the_title_has_none():
    doc = parse_paragraphs(["某县双拥办〔2025〕1号", "双拥工作要点", "一、宣传", "（一）宣传教育。开展宣传。"])
    assert doc.year == 2025
    assert parse_paragraphs(["双拥工作要点", "一、宣传", "（一）宣传教育。开展宣传。"]).year is None


def test_round_trip_through_json_without_parsing(doc2026):
    data = json.loads(json.dumps(doc2026.to_dict(), ensure_ascii=False))
    back = ParsedDocument.from_dict(data)
    assert back.clauses == doc2026.clauses and back.year == 2026 and back.title == doc2026.title
    assert back.warnings == doc2026.warnings and back.meta == doc2026.meta
    kb = KnowledgeBase.from_document(back)
    assert kb.ask("联席会议").hits[0].clause.id == "4.1"
    assert kb.ask("最后一部分最后一条").hits[0].clause.id == "4.2"


def test_stored_ids_survive_a_parser_change(doc2026):
    """A stored plan is rebuilt from its clauses, not re-parsed: ids stay what was stored."""
    data = doc2026.to_dict()
    for c in data["clauses"]:
        c["text"] = c["text"].replace("国防教育", "国防 教育")  # as if a future parser differed
    kb = KnowledgeBase.from_document(ParsedDocument.from_dict(data))
    assert list(kb.clauses) == list(doc2026.clauses)


@pytest.mark.parametrize("bad", [{}, {"title": "x"}, {"title": "x", "clauses": [{"id": "1"}]},
                                 {"title": "x", "clauses": [{"id": "1", "label": "一", "title": "t", "text": "t",
                                                             "kind": "section", "children": ["1.9"]}]},
                                 {"schema": 99, "title": "x", "clauses": []}])
def test_from_dict_refuses_malformed(bad):
    with pytest.raises(ValueError):
        ParsedDocument.from_dict(bad)


def test_the_independent_2026_document_parses_as_expected():
    """The helper's 2026 document (.txt and .docx) against the outline it wrote by hand."""
    expected = json.loads((DATA / "docs" / "2026-shizhu-expected-outline.json").read_text(encoding="utf-8"))
    for name in ("2026-shizhu-workpoints.txt", "2026-shizhu-workpoints.docx"):
        kb = KnowledgeBase.load(DATA / "docs" / name)
        got = [(c.id, c.title) for c in kb.clauses.values()]
        want = _flatten(expected)
        assert [i for i, _ in got] == [i for i, _ in want], name
        assert kb.year == 2026


def _flatten(tree) -> list[tuple[str, str]]:  # noqa: ANN001
    nodes = tree if isinstance(tree, list) else tree.get("outline", tree.get("clauses", []))
    out = []
    for n in nodes:
        out.append((n["id"], n.get("title", "")))
        out += _flatten(n.get("children", []))
    return out
