"""Report-file renderers: the .xlsx workbook and the PNG progress chart.

Pure functions over plain dataclasses: no telegram, no database.  openpyxl and
matplotlib are imported lazily inside the functions so importing this module is
cheap (handlers can import it at start-up without paying for matplotlib).

Chart layout choice: up to ``HEATMAP_MAX_UNITS`` (80) units the chart is a
units x items heatmap (one row per unit, status text in every cell; the figure
grows with the number of units and stays under ~3,500 px high).  Above that a
heatmap would be illegible, so the chart switches to a per-item stacked bar
chart that counts units per status (已完成 / 进行中 / 未开始 / 未报).
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

__all__ = [
    "DetailRow",
    "ProgressMatrix",
    "STATUS_DONE",
    "STATUS_IN_PROGRESS",
    "STATUS_NOT_STARTED",
    "STATUS_NOT_REPORTED",
    "HEATMAP_MAX_UNITS",
    "build_workbook",
    "render_chart",
]

STATUS_NOT_STARTED = "未开始"
STATUS_IN_PROGRESS = "进行中"
STATUS_DONE = "已完成"
STATUS_NOT_REPORTED = "未报"

HEATMAP_MAX_UNITS = 80

DETAIL_SHEET = "明细"
SUMMARY_SHEET = "汇总"
DETAIL_HEADERS = (
    "期间", "单位", "单位类型", "事项编号", "事项名称",
    "状态", "说明", "填报人", "填报时间", "是否已更正",
)
DONE_COUNT_HEADER = "已完成数"
TIME_FORMAT = "yyyy-mm-dd hh:mm"


@dataclass(frozen=True)
class DetailRow:
    period: str          # '2026-11'
    unit: str            # '名山街道'
    unit_kind: str       # '乡镇' | '街道' | '成员单位'
    item_id: str         # '2.2'
    item_title: str
    status: str          # '未开始' | '进行中' | '已完成'
    note: str
    reporter: str        # display name of the member
    created_at: datetime  # timezone-aware, already converted to the display timezone
    superseded: bool = False  # True for an earlier version later corrected


@dataclass(frozen=True)
class ProgressMatrix:
    period: str
    units: list[tuple[str, str]]        # (unit name, unit kind), display order, ALL units
    items: list[tuple[str, str]]        # (item id, item title), in order
    status: dict[tuple[str, str], str]  # (unit name, item id) -> latest status; missing = 未报


# --------------------------------------------------------------------------- helpers

# (fill, font colour) per status — Excel's "Good / Neutral / Bad" palette.
_XLSX_COLOURS = {
    STATUS_DONE: ("C6EFCE", "006100"),
    STATUS_IN_PROGRESS: ("FFEB9C", "9C5700"),
    STATUS_NOT_STARTED: ("FFC7CE", "9C0006"),
    STATUS_NOT_REPORTED: ("F2F2F2", "808080"),
}

# Characters that make a spreadsheet treat a typed value as a formula/DDE.
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
_NOTE_WRAP_CHARS = 25  # 说明 column shows ~25 CJK characters per line; longer notes wrap
_MAX_CELL_CHARS = 32_767  # Excel's hard limit per cell
_ILLEGAL_XML_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _clean_text(value: object) -> str:
    """str() a value, drop characters XML cannot carry, respect Excel's cell limit."""
    text = "" if value is None else str(value)
    text = _ILLEGAL_XML_RE.sub("", text)
    if len(text) > _MAX_CELL_CHARS:
        text = text[: _MAX_CELL_CHARS - 1] + "…"
    return text


def _is_formula_like(text: str) -> bool:
    return text.startswith(_FORMULA_TRIGGERS)


def _display_width(text: str, limit: int = 120) -> int:
    """Width in Excel character units; wide (CJK) characters count double."""
    width = 0
    for ch in text[:limit]:
        width += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
    return width


def _excel_naive(dt: datetime) -> datetime:
    """Excel has no time zones: keep the wall-clock time of the display timezone."""
    return dt.replace(tzinfo=None, microsecond=0)


# --------------------------------------------------------------------------- workbook


class _Styles:
    """Shared style objects plus a cache of ready-made style arrays.

    Assigning ``cell.font = ...`` hashes the style object on every call, which
    dominates run time for 100k+ cells; instead each distinct combination is
    resolved once on a template cell and its style array is copied.
    """

    def __init__(self, ws) -> None:
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

        self._ws = ws  # any sheet of the workbook: style tables are workbook-wide
        self._cache: dict[tuple, object] = {}
        thin = Side(style="thin", color="BFBFBF")
        self.border = Border(left=thin, right=thin, top=thin, bottom=thin)
        self.header_font = Font(bold=True)
        self.header_fill = PatternFill("solid", fgColor="D9E1F2")
        self.header_align = Alignment(horizontal="center", vertical="center", wrap_text=True)
        self.title_font = Font(bold=True, size=9, color="404040")
        self.center = Alignment(horizontal="center", vertical="center")
        self.wrap = Alignment(vertical="top", wrap_text=True)
        self.top = Alignment(vertical="top")
        self.superseded_font = Font(color="808080", italic=True, strike=True)
        self.bold = Font(bold=True)
        self.status_fill = {
            s: PatternFill("solid", fgColor=fill) for s, (fill, _) in _XLSX_COLOURS.items()
        }
        self.status_font = {s: Font(color=fg) for s, (_, fg) in _XLSX_COLOURS.items()}
        self.status_font_bold = {
            s: Font(color=fg, bold=True) for s, (_, fg) in _XLSX_COLOURS.items()
        }

    def cell(self, value: object, *, font=None, fill=None, alignment=None, border=None,
             number_format: str | None = None, cleaned: bool = False):
        """A write-only cell with the given style (a bare value when unstyled).

        Text is cleaned and always stored as a string (data type 's'), so a
        value such as ``=1+1`` can never become a formula; formula-like text also
        gets Excel's quotePrefix flag (the leading-apostrophe) so it stays text
        when a clerk edits the cell.
        """
        from copy import copy

        from openpyxl.cell import WriteOnlyCell

        plain = font is None and fill is None and alignment is None and border is None \
            and number_format is None
        if isinstance(value, (int, float, datetime)):
            if plain:
                return value
            quote = False
            cell = WriteOnlyCell(self._ws, value=value)
        else:
            text = value if cleaned else _clean_text(value)
            quote = _is_formula_like(text)
            if plain and not quote:
                return text or None  # fast path: openpyxl writes plain str as text
            cell = WriteOnlyCell(self._ws)
            cell._value = text       # bypass openpyxl's "starts with '=' => formula" rule
            cell.data_type = "s"
        key = (id(font), id(fill), id(alignment), id(border), number_format, quote)
        array = self._cache.get(key)
        if array is None:
            template = WriteOnlyCell(self._ws)
            if font is not None:
                template.font = font
            if fill is not None:
                template.fill = fill
            if alignment is not None:
                template.alignment = alignment
            if border is not None:
                template.border = border
            if number_format is not None:
                template.number_format = number_format
            if quote:
                template.quotePrefix = True
            array = self._cache[key] = template._style
        cell._style = copy(array)
        return cell

    def status_style(self, status: str, *, bold: bool = False) -> dict:
        if status not in self.status_fill:
            return {}
        fonts = self.status_font_bold if bold else self.status_font
        return {"fill": self.status_fill[status], "font": fonts[status]}


def _header_cells(styles: _Styles, headers: Iterable[str]):
    return [
        styles.cell(h, font=styles.header_font, fill=styles.header_fill,
                    alignment=styles.header_align, border=styles.border)
        for h in headers
    ]


def _set_widths(ws, widths: list[int]) -> None:
    from openpyxl.utils import get_column_letter

    for idx, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(idx)].width = width


def _write_detail_sheet(wb, detail: list[DetailRow]) -> None:
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(DETAIL_SHEET)
    styles = _Styles(ws)
    # Widths, filter and freeze panes must be set before the first row is appended.
    widths = [_display_width(h) for h in DETAIL_HEADERS]
    rows: list[tuple[str, ...]] = []
    for row in detail:
        values = (
            _clean_text(row.period), _clean_text(row.unit), _clean_text(row.unit_kind),
            _clean_text(row.item_id), _clean_text(row.item_title), _clean_text(row.status),
            _clean_text(row.note), _clean_text(row.reporter),
        )
        rows.append(values)
        for idx, text in enumerate(values):
            if len(text) * 2 > widths[idx]:  # cheap pre-check before measuring
                w = _display_width(text)
                if w > widths[idx]:
                    widths[idx] = w
    widths[8] = max(widths[8], len("2026-11-30 23:59"))
    caps = (10, 24, 10, 10, 40, 8, 2 * _NOTE_WRAP_CHARS, 16, 18, 12)
    _set_widths(ws, [min(w, cap) + 2 for w, cap in zip(widths, caps, strict=True)])
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(DETAIL_HEADERS))}{len(detail) + 1}"
    ws.print_title_rows = "1:1"

    ws.append(_header_cells(styles, DETAIL_HEADERS))
    wrap = styles.wrap
    for row, values in zip(detail, rows, strict=True):
        # Unstyled cells are passed as bare values (much faster in openpyxl).
        font = styles.superseded_font if row.superseded else None
        cells = [styles.cell(v, font=font, cleaned=True) for v in values]
        if len(values[6]) > _NOTE_WRAP_CHARS or "\n" in values[6]:  # wrap long notes only
            cells[6] = styles.cell(values[6], font=font, alignment=wrap, cleaned=True)
        status_style = styles.status_style(values[5])
        if status_style:
            cells[5] = styles.cell(values[5], cleaned=True, **status_style)
        cells.insert(8, styles.cell(_excel_naive(row.created_at), font=font,
                                    number_format=TIME_FORMAT))
        cells.append(styles.cell("是" if row.superseded else "", font=font))
        ws.append(cells)


def _write_summary_sheet(wb, matrix: ProgressMatrix) -> None:
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(SUMMARY_SHEET)
    styles = _Styles(ws)
    item_ids = [_clean_text(item_id) for item_id, _ in matrix.items]
    n_items = len(item_ids)
    n_cols = 2 + n_items + 1

    name_w = max([_display_width("单位")]
                 + [_display_width(_clean_text(u)) for u, _ in matrix.units])
    kind_w = max([_display_width("单位类型")]
                 + [_display_width(_clean_text(k)) for _, k in matrix.units])
    item_w = max([8] + [_display_width(i) + 2 for i in item_ids])
    _set_widths(ws, [min(name_w, 30) + 2, min(kind_w, 12) + 2]
                + [min(item_w, 14)] * n_items + [_display_width(DONE_COUNT_HEADER) + 2])
    ws.freeze_panes = "C3"
    ws.print_title_rows = "1:2"
    if matrix.units:
        ws.auto_filter.ref = f"A2:{get_column_letter(n_cols)}{2 + len(matrix.units)}"
    ws.row_dimensions[2].height = 15 * 4  # room for the wrapped item titles

    # Row 1: item ids; row 2: item titles (also the autofilter row).
    ws.append(_header_cells(styles, ["单位", "单位类型", *item_ids, DONE_COUNT_HEADER]))
    titles = _header_cells(styles, ["", "", *(t for _, t in matrix.items), ""])
    for idx in range(2, 2 + n_items):
        titles[idx] = styles.cell(matrix.items[idx - 2][1], font=styles.title_font,
                                  fill=styles.header_fill, alignment=styles.header_align,
                                  border=styles.border)
    ws.append(titles)

    done_per_item = [0] * n_items
    center, border = styles.center, styles.border
    for unit, kind in matrix.units:
        cells = [styles.cell(unit), styles.cell(kind)]
        done = 0
        for idx, (item_id, _) in enumerate(matrix.items):
            status = matrix.status.get((unit, item_id))
            shown = STATUS_NOT_REPORTED if status is None else status
            cells.append(styles.cell(shown, alignment=center, border=border,
                                     **styles.status_style(shown)))
            if shown == STATUS_DONE:
                done += 1
                done_per_item[idx] += 1
        complete = bool(n_items) and done == n_items
        cells.append(styles.cell(done, alignment=center, border=border,
                                 **(styles.status_style(STATUS_DONE, bold=True)
                                    if complete else {})))
        ws.append(cells)

    # Totals row (outside the autofilter range so sorting/filtering leaves it in place).
    bold = styles.bold
    totals = [styles.cell("已完成单位数", font=bold),
              styles.cell(f"共 {len(matrix.units)} 个单位")]
    totals += [styles.cell(v, font=bold, alignment=center, border=border)
               for v in done_per_item]
    totals.append(styles.cell(sum(done_per_item), font=bold, alignment=center, border=border))
    ws.append(totals)


def build_workbook(*, detail: list[DetailRow], matrix: ProgressMatrix) -> bytes:
    """Render the report workbook: sheet 「明细」 (every check-in) and 「汇总」 (matrix).

    Uses openpyxl write-only mode (fast for 10k+ rows) while keeping frozen
    headers, column widths, autofilter and status colours.
    """
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    _write_detail_sheet(wb, detail)
    _write_summary_sheet(wb, matrix)
    wb.properties.title = f"{matrix.period} 双拥工作要点进度"
    wb.properties.creator = "双拥助手"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------- chart

# Order = colour-map index.  (label, face colour, text colour)
_CHART_STATUSES = (
    (STATUS_NOT_REPORTED, "#E6E6E6", "#7F7F7F"),
    (STATUS_NOT_STARTED, "#E57373", "#FFFFFF"),
    (STATUS_IN_PROGRESS, "#FFB300", "#3E2723"),
    (STATUS_DONE, "#43A047", "#FFFFFF"),
)
_STATUS_CODE = {label: code for code, (label, _, _) in enumerate(_CHART_STATUSES)}
_DPI = 120


def _plain(text: object) -> str:
    """Neutralise matplotlib mathtext ('$...$') in user-supplied labels."""
    return str(text).replace("$", r"\$")


def _font_family() -> str:
    """Register the bundled CJK font with matplotlib once; return its family name."""
    from matplotlib import font_manager

    from bot.fonts import chinese_font_path

    path = str(chinese_font_path())
    if path not in _registered_fonts:
        font_manager.fontManager.addfont(path)
        _registered_fonts[path] = font_manager.FontProperties(fname=path).get_name()
    return _registered_fonts[path]


_registered_fonts: dict[str, str] = {}


def _label_width_in(labels: Iterable[str], font_pt: float) -> float:
    widest = max((_display_width(label, limit=60) for label in labels), default=4)
    return widest * 0.5 * font_pt / 72 * 1.05


def _new_figure(width_in: float, height_in: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), dpi=_DPI, facecolor="white")
    FigureCanvasAgg(fig)
    return fig


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI, facecolor="white")
    return buf.getvalue()


def _codes(matrix: ProgressMatrix) -> list[list[int]]:
    return [
        [_STATUS_CODE.get(matrix.status.get((unit, item_id), STATUS_NOT_REPORTED), 0)
         for item_id, _ in matrix.items]
        for unit, _ in matrix.units
    ]


def _legend_handles():
    from matplotlib.patches import Patch

    return [Patch(facecolor=face, edgecolor="#9E9E9E", label=label)
            for label, face, _ in reversed(_CHART_STATUSES)]


def _summary_line(matrix: ProgressMatrix, codes: list[list[int]]) -> str:
    n_units = len(matrix.units)
    reported = sum(1 for row in codes if any(code != 0 for code in row))
    cells = n_units * len(matrix.items)
    done = sum(row.count(_STATUS_CODE[STATUS_DONE]) for row in codes)
    pct = f"{done / cells:.0%}" if cells else "—"
    return f"共 {n_units} 个单位，已填报 {reported} 个；已完成 {done}/{cells} 项次（{pct}）"


def _render_empty(period: str) -> bytes:
    fig = _new_figure(8, 4)
    fig.suptitle(_plain(f"{period} 双拥工作要点进度"), fontsize=16)
    fig.text(0.5, 0.45, "暂无数据", ha="center", va="center", fontsize=28, color="#757575")
    return _png(fig)


def _render_heatmap(matrix: ProgressMatrix, codes: list[list[int]]) -> bytes:
    from matplotlib.colors import BoundaryNorm, ListedColormap

    n_units, n_items = len(matrix.units), len(matrix.items)
    unit_labels = [_plain(unit) for unit, _ in matrix.units]
    item_labels = [_plain(item_id) for item_id, _ in matrix.items]
    label_pt = 10 if n_units <= 60 else 9
    cell_pt = 7.5 if n_units <= 60 else 7

    row_h = 0.32 if n_units <= 60 else 0.28           # inches per unit row
    col_w = 0.62                                       # inches per item column
    left = _label_width_in(unit_labels, label_pt) + 0.25
    right = 0.95                                       # room for the per-unit 已完成 count
    top, bottom = 1.35, 0.95                           # title + ids / ids + legend
    grid_w, grid_h = n_items * col_w, n_units * row_h
    width = max(left + grid_w + right, 7.0)
    height = top + grid_h + bottom
    extra = width - (left + grid_w + right)            # centre narrow grids
    left += extra / 2

    fig = _new_figure(width, height)
    ax = fig.add_axes((left / width, bottom / height, grid_w / width, grid_h / height))
    cmap = ListedColormap([face for _, face, _ in _CHART_STATUSES])
    norm = BoundaryNorm([-0.5, 0.5, 1.5, 2.5, 3.5], cmap.N)
    ax.imshow(codes, cmap=cmap, norm=norm, aspect="auto", interpolation="nearest")

    # White grid lines between cells.
    ax.set_xticks([x - 0.5 for x in range(1, n_items)], minor=True)
    ax.set_yticks([y - 0.5 for y in range(1, n_units)], minor=True)
    ax.grid(which="minor", color="white", linewidth=1.5)
    ax.tick_params(which="minor", length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)

    ax.set_xticks(range(n_items), item_labels, fontsize=label_pt)
    ax.set_yticks(range(n_units), unit_labels, fontsize=label_pt)
    ax.tick_params(which="major", length=0, labeltop=True, labelbottom=n_units > 15)

    # Separate unit kinds (乡镇 / 街道 / 成员单位) with a dark line where the kind changes.
    kinds = [kind for _, kind in matrix.units]
    for idx in range(1, n_units):
        if kinds[idx] != kinds[idx - 1]:
            ax.axhline(idx - 0.5, color="#424242", linewidth=1.6)

    for y, row in enumerate(codes):
        for x, code in enumerate(row):
            label, _, text_colour = _CHART_STATUSES[code]
            ax.text(x, y, label, ha="center", va="center", fontsize=cell_pt, color=text_colour)
        done = row.count(_STATUS_CODE[STATUS_DONE])
        ax.text(n_items - 0.5 + 0.15, y, f"{done}/{n_items}", ha="left", va="center",
                fontsize=label_pt - 1, color="#424242")
    ax.text(n_items - 0.5 + 0.15, -0.5 - 0.15, "已完成", ha="left", va="bottom",
            fontsize=label_pt - 1, color="#424242")

    fig.suptitle(_plain(f"{matrix.period} 双拥工作要点进度"), fontsize=16,
                 y=1 - 0.18 / height, va="top")
    fig.text(0.5, 1 - 0.62 / height, _summary_line(matrix, codes), ha="center", va="top",
             fontsize=10, color="#424242")
    fig.legend(handles=_legend_handles(), loc="lower center", ncol=4, frameon=False,
               fontsize=10, bbox_to_anchor=(0.5, 0.06 / height))
    return _png(fig)


def _render_stacked(matrix: ProgressMatrix, codes: list[list[int]]) -> bytes:
    """Per-item stacked bars of unit counts per status (used for many units)."""
    n_units, n_items = len(matrix.units), len(matrix.items)
    counts = [[0] * n_items for _ in _CHART_STATUSES]
    for row in codes:
        for x, code in enumerate(row):
            counts[code][x] += 1

    width = max(7.0, 1.6 + n_items * 0.75)
    fig = _new_figure(width, 6.8)
    ax = fig.add_axes((1.0 / width, 0.16, 1 - 1.4 / width, 0.66))
    xs = list(range(n_items))
    base = [0] * n_items
    # Stack 已完成 at the bottom, 未报 on top.
    for code in reversed(range(len(_CHART_STATUSES))):
        label, face, text_colour = _CHART_STATUSES[code]
        values = counts[code]
        ax.bar(xs, values, bottom=base, color=face, edgecolor="white", linewidth=0.6,
               width=0.72, label=label)
        for x in xs:
            if values[x] >= n_units * 0.06:
                ax.text(x, base[x] + values[x] / 2, str(values[x]), ha="center", va="center",
                        fontsize=8, color=text_colour)
        base = [b + v for b, v in zip(base, values, strict=True)]
    ax.set_xticks(xs, [_plain(item_id) for item_id, _ in matrix.items], fontsize=10)
    ax.set_xlim(-0.6, n_items - 0.4)
    ax.set_ylim(0, n_units)
    ax.set_ylabel("单位数", fontsize=10)
    ax.set_xlabel("事项编号", fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#EEEEEE", linewidth=0.8)
    ax.set_axisbelow(True)

    fig.suptitle(_plain(f"{matrix.period} 双拥工作要点进度"), fontsize=16, y=0.975, va="top")
    fig.text(0.5, 0.905, f"单位较多，按事项汇总各状态单位数。{_summary_line(matrix, codes)}",
             ha="center", va="top", fontsize=10, color="#424242")
    fig.legend(handles=_legend_handles(), loc="lower center", ncol=4, frameon=False,
               fontsize=10, bbox_to_anchor=(0.5, 0.0))
    return _png(fig)


def render_chart(matrix: ProgressMatrix) -> bytes:
    """Render the progress chart as PNG bytes.

    <= HEATMAP_MAX_UNITS units: heatmap (units x items); more: per-item stacked
    bars of unit counts per status; no units or no items: a 「暂无数据」 card.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import rc_context

    family = _font_family()
    rc = {
        "font.family": "sans-serif",
        "font.sans-serif": [family, "DejaVu Sans"],
        "axes.unicode_minus": False,
        "svg.fonttype": "none",
    }
    with rc_context(rc):
        if not matrix.units or not matrix.items:
            return _render_empty(matrix.period)
        codes = _codes(matrix)
        if len(matrix.units) <= HEATMAP_MAX_UNITS:
            return _render_heatmap(matrix, codes)
        return _render_stacked(matrix, codes)
