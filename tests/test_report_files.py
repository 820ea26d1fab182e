"""Tests for the report-file renderers (xlsx workbook + PNG chart)."""

from __future__ import annotations

import io
import random
import site
import sys
import sysconfig
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.fonts import chinese_font_path
from bot.services.report_files import (
    DETAIL_HEADERS,
    HEATMAP_MAX_UNITS,
    DetailRow,
    ProgressMatrix,
    build_workbook,
    render_chart,
)

openpyxl = pytest.importorskip("openpyxl")
Image = pytest.importorskip("PIL.Image")

CST = timezone(timedelta(hours=8))
PERIOD = "2026-11"

TOWNS = [
    ("名山街道", "街道"), ("三合街道", "街道"), ("兴义镇", "乡镇"), ("双路镇", "乡镇"),
    ("龙城镇", "乡镇"), ("许明寺镇", "乡镇"), ("董家镇", "乡镇"), ("树人镇", "乡镇"),
    ("十直镇", "乡镇"), ("高家镇", "乡镇"), ("兴龙镇", "乡镇"), ("社坛镇", "乡镇"),
    ("三元镇", "乡镇"), ("虎威镇", "乡镇"), ("仁沙镇", "乡镇"), ("包鸾镇", "乡镇"),
    ("湛普镇", "乡镇"), ("南天湖镇", "乡镇"), ("保合镇", "乡镇"), ("三建乡", "乡镇"),
    ("都督乡", "乡镇"), ("栗子乡", "乡镇"), ("武平镇", "乡镇"), ("太平坝乡", "乡镇"),
]
MEMBERS = [
    ("县退役军人事务局", "成员单位"), ("县人武部", "成员单位"), ("县委宣传部", "成员单位"),
    ("县教委", "成员单位"), ("县卫生健康委", "成员单位"), ("县人力社保局", "成员单位"),
]
UNITS = TOWNS + MEMBERS
ITEMS = [
    ("1.1", "加强双拥工作组织领导"), ("1.2", "完善双拥工作制度机制"),
    ("2.1", "开展国防教育和双拥宣传"), ("2.2", "组织“八一”走访慰问"),
    ("3.1", "落实军人军属优待政策"), ("3.2", "做好随军家属就业安置"),
    ("3.3", "解决军人子女入学入托"), ("4.1", "支持部队练兵备战"),
    ("4.2", "推进军民融合发展"), ("5.1", "退役军人就业创业服务"),
    ("5.2", "烈士纪念设施保护管理"), ("6.1", "创建双拥模范单位"),
    ("6.2", "总结报送年度双拥工作"),
]
STATUSES = ("未开始", "进行中", "已完成")


def _matrix(units, seed: int = 7, report_rate: float = 0.8) -> ProgressMatrix:
    rng = random.Random(seed)
    status = {}
    for i, (unit, _) in enumerate(units):
        if i % 7 == 3:  # some units did not report at all
            continue
        for item_id, _ in ITEMS:
            if rng.random() < report_rate:
                status[(unit, item_id)] = rng.choice(STATUSES)
    return ProgressMatrix(period=PERIOD, units=list(units), items=list(ITEMS), status=status)


def _detail(matrix: ProgressMatrix) -> list[DetailRow]:
    titles = dict(matrix.items)
    kinds = dict(matrix.units)
    base = datetime(2026, 11, 3, 9, 15, tzinfo=CST)
    rows = []
    for n, ((unit, item_id), status) in enumerate(sorted(matrix.status.items())):
        rows.append(DetailRow(
            period=matrix.period, unit=unit, unit_kind=kinds[unit], item_id=item_id,
            item_title=titles[item_id], status=status, note=f"已按要求推进第{n}项工作",
            reporter="张三", created_at=base + timedelta(minutes=n),
        ))
    return rows


@pytest.fixture(scope="module")
def sample():
    matrix = _matrix(UNITS)
    detail = _detail(matrix)
    t0 = datetime(2026, 11, 2, 8, 30, tzinfo=CST)
    extra = [
        DetailRow(PERIOD, "名山街道", "街道", "2.2", "组织“八一”走访慰问", "进行中",
                  "=1+1", "李四", t0, superseded=True),
        DetailRow(PERIOD, "名山街道", "街道", "2.2", "组织“八一”走访慰问", "已完成",
                  "+86 138 0000 0000", "李四", t0 + timedelta(hours=26, minutes=5)),
        DetailRow(PERIOD, "三合街道", "街道", "1.1", "加强双拥工作组织领导", "未开始",
                  "@SUM(A1)\x07控制字符", "-王五", t0),
    ]
    wb_bytes = build_workbook(detail=extra + detail, matrix=matrix)
    return matrix, extra + detail, openpyxl.load_workbook(io.BytesIO(wb_bytes))


def _width(ws, letter: str) -> float:
    """Column width, also when the file stores a <col min..max> range (openpyxl
    then only keys the range under its first letter)."""
    from openpyxl.utils import column_index_from_string

    idx = column_index_from_string(letter)
    for dim in ws.column_dimensions.values():
        if dim.customWidth and dim.min <= idx <= dim.max:
            return dim.width
    raise AssertionError(f"no width set for column {letter}")


def _rgb(colour) -> str:
    return colour.rgb[-6:]


def test_sheets_and_headers(sample):
    _, detail, wb = sample
    assert wb.sheetnames == ["明细", "汇总"]
    ws = wb["明细"]
    assert tuple(c.value for c in ws[1]) == DETAIL_HEADERS
    assert ws[1][0].font.bold
    assert all(c.font.bold and _rgb(c.fill.fgColor) == "D9E1F2" for c in ws[1])
    assert ws[1][0].border.left.style == "thin"
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref.startswith(f"A1:{chr(64 + len(DETAIL_HEADERS))}")
    assert ws.auto_filter.ref == f"A1:{chr(64 + len(DETAIL_HEADERS))}{len(detail) + 1}"
    assert ws.print_title_rows.replace("$", "") == "1:1"
    # CJK-aware widths: 说明 column wider than 期间.
    assert ws.column_dimensions["G"].width > ws.column_dimensions["A"].width
    assert ws.column_dimensions["E"].width >= 2 * len("加强双拥工作组织领导")
    assert _width(ws, "G") > _width(ws, "A")
    assert _width(ws, "E") >= 2 * len("加强双拥工作组织领导")
    assert _width(ws, "I") >= len("2026-11-30 23:59")
    assert wb.properties.title == f"{PERIOD} 双拥工作要点进度"
    assert wb.properties.creator == "双拥助手"


def test_detail_values_and_formula_guard(sample):
    _, detail, wb = sample
    ws = wb["明细"]
    assert ws.max_row == len(detail) + 1
    first = [c.value for c in ws[2]]
    assert first[:6] == [PERIOD, "名山街道", "街道", "2.2", "组织“八一”走访慰问", "进行中"]
    assert first[8] == datetime(2026, 11, 2, 8, 30)  # display-timezone wall clock
    assert ws.cell(2, 9).number_format == "yyyy-mm-dd hh:mm"
    assert first[9] == "是"
    assert ws.cell(3, 10).value in (None, "")
    # Formula injection: stored as text, never as a formula.
    note = ws.cell(2, 7)
    assert note.value == "=1+1" and note.data_type == "s"
    assert ws.cell(3, 7).value == "+86 138 0000 0000" and ws.cell(3, 7).data_type == "s"
    assert ws.cell(4, 7).value == "@SUM(A1)控制字符"  # control character stripped
    assert ws.cell(4, 8).value == "-王五"
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)
    # Formula-like text also carries Excel's quotePrefix (stays text when edited).
    assert note.quotePrefix and ws.cell(3, 7).quotePrefix and ws.cell(4, 8).quotePrefix
    assert not ws.cell(2, 2).quotePrefix
    # Status colour on the detail sheet.
    assert ws.cell(3, 6).fill.fgColor.rgb.endswith("C6EFCE")
    assert _rgb(ws.cell(3, 6).font.color) == "006100"
    assert _rgb(ws.cell(2, 6).fill.fgColor) == "FFEB9C"  # 进行中, even when superseded
    # Superseded version: grey, italic, struck through (text, time and flag cells).
    for col in (1, 2, 5, 7, 8, 9, 10):
        font = ws.cell(2, col).font
        assert font.strike and font.italic and _rgb(font.color) == "808080", col
    assert ws.cell(2, 9).number_format == "yyyy-mm-dd hh:mm"
    assert not ws.cell(3, 2).font.strike and not ws.cell(3, 9).font.strike
    assert ws.cell(3, 9).value == datetime(2026, 11, 3, 10, 35)


def test_summary_matrix(sample):
    matrix, _, wb = sample
    ws = wb["汇总"]
    ids = [i for i, _ in ITEMS]
    assert ws["A1"].value.startswith(f"汇总：{PERIOD} 期") and ws["A1"].font.bold  # what it summarises
    assert [c.value for c in ws[2]] == ["单位", "单位类型", *ids, "已完成数"]
    assert [c.value for c in ws[3]][2:-1] == [t for _, t in ITEMS]
    assert ws.freeze_panes == "C4"
    assert ws.auto_filter.ref == f"A3:P{3 + len(UNITS)}"
    assert ws.print_title_rows.replace("$", "") == "1:3"
    assert ws.row_dimensions[3].height == 60
    assert ws.cell(3, 3).font.sz == 9 and ws.cell(3, 3).alignment.wrap_text
    assert ws.cell(2, 3).font.bold and ws.cell(4, 3).border.left.style == "thin"
    assert ws.cell(4, 3).alignment.horizontal == "center"
    for r, (unit, kind) in enumerate(UNITS, start=4):
        row = [c.value for c in ws[r]]
        assert row[:2] == [unit, kind]
        expected = [matrix.status.get((unit, i), "未报") for i in ids]
        assert row[2:-1] == expected
        assert row[-1] == expected.count("已完成")
    # A unit that did not report at all shows 未报 everywhere, lightly filled.
    silent = 4 + 3
    assert [c.value for c in ws[silent]][2:-1] == ["未报"] * len(ids)
    assert ws.cell(silent, 3).fill.fgColor.rgb.endswith("F2F2F2")
    done_cell = next(c for c in ws[4][2:-1] if c.value == "已完成") if "已完成" in [
        c.value for c in ws[4]] else None
    if done_cell is not None:
        assert done_cell.fill.fgColor.rgb.endswith("C6EFCE")
    totals = [c.value for c in ws[4 + len(UNITS)]]
    assert totals[0] == "已完成单位数"
    assert totals[-1] == sum(
        1 for v in matrix.status.values() if v == "已完成"
    )
    assert totals[1] == f"共 {len(UNITS)} 个单位"
    assert totals[2:-1] == [
        sum(1 for u, _ in UNITS if matrix.status.get((u, i)) == "已完成") for i in ids
    ]
    assert all(c.font.bold for c in ws[4 + len(UNITS)][2:])


def test_summary_complete_unit_highlighted():
    units = [("全完成镇", "乡镇"), ("半完成镇", "乡镇")]
    status = {("全完成镇", i): "已完成" for i, _ in ITEMS}
    status[("半完成镇", "1.1")] = "已完成"
    wb = openpyxl.load_workbook(io.BytesIO(build_workbook(
        detail=[], matrix=ProgressMatrix(PERIOD, units, list(ITEMS), status))))
    ws = wb["汇总"]
    full, half = ws.cell(4, 3 + len(ITEMS)), ws.cell(5, 3 + len(ITEMS))
    assert (full.value, half.value) == (len(ITEMS), 1)
    assert full.font.bold and _rgb(full.fill.fgColor) == "C6EFCE"
    assert not half.font.bold and half.fill.fill_type is None
    assert ws.cell(5, 4).value == "未报" and _rgb(ws.cell(5, 4).font.color) == "808080"


def test_text_never_converted_or_too_long():
    """Numbers, URLs and formulas typed by users stay verbatim text."""
    texts = ["123", "1e5", "TRUE", "http://example.com", "=HYPERLINK(\"http://x\")",
             "－1", "＝1", "\t=1"]
    t0 = datetime(2026, 11, 5, 14, 0, tzinfo=CST)
    rows = [DetailRow(PERIOD, t, "乡镇", "1.1", t, "已完成", t, t, t0) for t in texts]
    rows.append(DetailRow(PERIOD, "龙城镇\x00\x1f", "乡镇", "1.1", "标题\x0b", "进行中",
                          "长" * 40_000, "赵六", t0))
    wb = openpyxl.load_workbook(io.BytesIO(build_workbook(
        detail=rows, matrix=ProgressMatrix(PERIOD, [], list(ITEMS), {}))))
    ws = wb["明细"]
    for r, text in enumerate(texts, start=2):
        for col in (2, 5, 7, 8):
            cell = ws.cell(r, col)
            assert cell.value == text and cell.data_type == "s", (text, col)
    assert not any(c.hyperlink for row in ws.iter_rows() for c in row)
    last = 2 + len(texts)
    assert ws.cell(last, 2).value == "龙城镇" and ws.cell(last, 5).value == "标题"
    note = ws.cell(last, 7).value
    assert len(note) == 32_767 and note.endswith("…")
    assert ws.cell(last, 7).alignment.wrap_text


def test_empty_workbook():
    import gc

    wb = openpyxl.load_workbook(io.BytesIO(build_workbook(
        detail=[], matrix=ProgressMatrix(PERIOD, [], list(ITEMS), {}))))
    assert wb["明细"].max_row == 1
    assert wb["汇总"]["A2"].value == "单位"
    assert gc.isenabled()  # build_workbook pauses the GC only while it runs


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(io.BytesIO(data)) as img:
        img.verify()
    with Image.open(io.BytesIO(data)) as img:
        return img.size


def test_chart_heatmap(tmp_path):
    data = render_chart(_matrix(UNITS))
    w, h = _png_size(data)
    assert 800 <= w <= 2000 and 1000 <= h <= 2000
    assert len(data) < 10 * 1024 * 1024
    (tmp_path / "heatmap.png").write_bytes(data)


@pytest.mark.parametrize("n_units", [1, 60, HEATMAP_MAX_UNITS, HEATMAP_MAX_UNITS + 1, 1000])
def test_chart_scales(n_units):
    units = [(f"单位{i:04d}", "乡镇") for i in range(n_units)]
    data = render_chart(_matrix(units))  # its time: benchmarks/bench_reports.py
    w, h = _png_size(data)
    assert h <= 4000 and w <= 4000
    assert len(data) < 10 * 1024 * 1024


def test_chart_empty():
    w, h = _png_size(render_chart(ProgressMatrix(PERIOD, [], list(ITEMS), {})))
    assert w > 100 and h > 100


def test_chart_mathtext_safe():
    units = [("$x$ 单位", "乡镇"), ("a$b", "乡镇")]
    _png_size(render_chart(ProgressMatrix("2026-$1$", units, list(ITEMS), {})))


def test_font_path_inside_site_packages():
    path = chinese_font_path()
    assert path.is_file() and path.suffix.lower() in {".otf", ".ttf", ".ttc"}
    assert path.stat().st_size > 1_000_000
    roots = {Path(p).resolve() for p in site.getsitepackages() + [sysconfig.get_path("purelib")]}
    assert any(root in path.resolve().parents for root in roots), path
    assert "site-packages" in path.parts or sys.prefix in str(path)


def test_font_missing_raises(monkeypatch):
    import importlib.util

    import bot.fonts as fonts

    fonts.chinese_font_path.cache_clear()
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    try:
        with pytest.raises(RuntimeError, match="cvttf"):
            fonts.chinese_font_path()
    finally:
        monkeypatch.undo()
        fonts.chinese_font_path.cache_clear()
    assert fonts.chinese_font_path().is_file()


def test_workbook_of_1000_units():
    """Its time is a figure of benchmarks/bench_reports.py, not asserted here."""
    units = [(f"测试乡镇{i:04d}", "乡镇") for i in range(1000)]
    matrix = _matrix(units, report_rate=1.0)
    detail = _detail(matrix)
    detail = (detail * 2)[:12_000]
    assert len(detail) == 12_000
    data = build_workbook(detail=detail, matrix=matrix)
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    assert sum(1 for _ in wb["汇总"].iter_rows()) == 1000 + 4  # caption, ids, titles, units, totals
    assert sum(1 for _ in wb["明细"].iter_rows()) == 12_000 + 1


def test_import_is_cheap_and_isolated():
    import subprocess

    # Load the module file directly: the package __init__ (owned by the service
    # layer) may import the database, this module itself must not.
    code = (
        "import sys, importlib.util, bot.fonts;"
        "spec = importlib.util.spec_from_file_location('rf', 'bot/services/report_files.py');"
        "mod = sys.modules['rf'] = importlib.util.module_from_spec(spec);"
        "spec.loader.exec_module(mod);"
        "heavy = {'matplotlib', 'openpyxl', 'telegram', 'sqlmodel', 'sqlalchemy'};"
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == "[]"


def test_long_note_wraps():
    row = DetailRow(PERIOD, "龙城镇", "乡镇", "1.1", "加强双拥工作组织领导", "已完成",
                    "多行说明\n" + "走访慰问现役军人家庭" * 10, "赵六",
                    datetime(2026, 11, 5, 14, 0, tzinfo=CST))
    wb = openpyxl.load_workbook(io.BytesIO(build_workbook(
        detail=[row], matrix=ProgressMatrix(PERIOD, [("龙城镇", "乡镇")], list(ITEMS), {}))))
    ws = wb["明细"]
    assert ws.cell(2, 7).alignment.wrap_text
    assert ws.cell(2, 7).alignment.vertical == "top"
    assert ws.column_dimensions["G"].width <= 52
    assert _width(ws, "G") == 52  # capped at 25 CJK characters + padding
    assert wb["汇总"].cell(4, 3).value == "未报"
