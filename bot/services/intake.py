"""Files sent to the bot: what they are (by content, not by name) and, for tables, their rows.

``intake(data, filename)`` is the one entry point: it sniffs the bytes, reads a spreadsheet into
rows under its detected header, and names the route the file goes to — ``roster`` (a list of
units), ``assignment`` (a 任务分解表) or ``plan`` (a work-plan document: .docx, .pdf, .txt).
Anything else raises :class:`bot.errors.FileRefused` with the reason and data for the message.

Libraries: ``filetype`` recognises images, audio, video, archives and old Office files by their
magic bytes (a pure-Python, dependency-free table of ~80 formats); the standard ``zipfile``
tells .docx from .xlsx by their parts (``word/document.xml`` / ``xl/workbook.xml``, ECMA-376
Part 2); ``openpyxl`` (read-only mode) reads .xlsx; the standard ``csv`` module sniffs a CSV's
delimiter. Telegram-free.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time

import filetype

from bot.errors import FileRefused
from bot.services.unit_names import clean_unit_name

#: Telegram bots cannot download files over 20 MB (Bot API, getFile: "bots can download files of
#: up to 20MB in size"); a file over that is refused from its announced size, before any download.
MAX_DOWNLOAD = 20 * 1024 * 1024
#: body rows read from one table; a roster or 任务分解表 is tens to a few thousand rows
MAX_TABLE_ROWS = 10_000
#: how far down a sheet the header may sit (title rows, notes and blank rows above it)
HEADER_SCAN_ROWS = 30

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ROUTES = ("roster", "assignment", "plan")

Row = tuple[int, list[str]]  # (row number as the spreadsheet shows it, 1-based; cell texts)


# --- sniffing ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sniffed:
    """What a file is. ``kind``: ``xlsx``, ``docx``, ``pdf`` or ``text`` (then ``text`` holds the
    decoded content and ``encoding`` the codec that decoded it: utf-8, utf-16 or gb18030)."""

    kind: str
    text: str | None = None
    encoding: str | None = None


def check_size(size: int | None) -> None:
    """Refuse a file Telegram would not let the bot download. ``size`` in bytes (None = unknown,
    accepted: the download itself is then checked). Raises FileRefused('too_big')."""
    if size is not None and size > MAX_DOWNLOAD:
        raise FileRefused("too_big", size=size, limit=MAX_DOWNLOAD)


def _ext(filename: str | None) -> str:
    name = (filename or "").lower()
    return name.rsplit(".", 1)[-1] if "." in name else ""


def _zip_kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
            mimetype = z.read("mimetype")[:100].decode("ascii", "replace") if "mimetype" in names else ""
    except (zipfile.BadZipFile, OSError, ValueError, KeyError):
        raise FileRefused("unreadable", what="zip") from None
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "opendocument" in mimetype:
        raise FileRefused("opendocument", what="ods" if "spreadsheet" in mimetype else "odt")
    if any(n.startswith("ppt/") for n in names):
        raise FileRefused("unknown", what="pptx")
    raise FileRefused("archive", what="zip")


def _legacy(data: bytes, filename: str | None) -> FileRefused:
    """An OLE2 compound file: a .doc, .xls (or WPS .wps/.et) from before Office 2007."""
    guess = filetype.guess(data[:8192])
    ext = guess.extension if guess else _ext(filename)
    if ext in ("doc", "wps", "dot"):
        return FileRefused("legacy_doc", ext=_ext(filename) or "doc")
    if ext in ("xls", "et", "xlt"):
        return FileRefused("legacy_xls", ext=_ext(filename) or "xls")
    # the directory names the streams (UTF-16LE): WordDocument for Word, Workbook/Book for Excel
    head = data[:2_000_000]
    if "WordDocument".encode("utf-16-le") in head:
        return FileRefused("legacy_doc", ext="doc")
    if "Workbook".encode("utf-16-le") in head or "Book".encode("utf-16-le") in head:
        return FileRefused("legacy_xls", ext="xls")
    return FileRefused("legacy_office", ext=_ext(filename))


def _decode_text(data: bytes) -> tuple[str, str] | None:
    """(text, encoding) when ``data`` is text in UTF-8 (with or without BOM), UTF-16 with a BOM
    (Excel's "Unicode text") or GB18030/GBK (what Excel writes for a CSV on Chinese Windows)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            return None
    if b"\x00" in data:
        return None
    for codec, name in (("utf-8-sig", "utf-8"), ("gb18030", "gb18030")):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for ch in text[:20000] if ord(ch) < 32 and ch not in "\t\n\r\f\v")
        if controls > max(2, len(text[:20000]) // 200):
            return None
        return text, name
    return None


def sniff(data: bytes, filename: str | None = None) -> Sniffed:
    """Tell what ``data`` is from its content; ``filename`` only breaks ties between old Office
    formats. Returns Sniffed for what the bot can read; raises FileRefused for the rest:
    ``empty`` (no bytes, or only whitespace), ``image``, ``legacy_doc``/``legacy_xls``/
    ``legacy_office``, ``opendocument``, ``archive``, ``unknown``, ``unreadable``."""
    if not data or not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise FileRefused("empty")
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return Sniffed(_zip_kind(data))
    if b"%PDF-" in data[:1024]:  # the PDF spec tolerates bytes before the header
        return Sniffed("pdf")
    if data.startswith(OLE2_MAGIC):
        raise _legacy(data, filename)
    if data.lstrip()[:5] == b"{\\rtf":
        raise FileRefused("legacy_doc", ext="rtf")
    guess = filetype.guess(data[:8192])
    if guess is not None:
        if guess.mime.startswith("image/"):
            raise FileRefused("image", what=guess.extension)
        if guess.extension in ("zip", "rar", "7z", "gz", "bz2", "xz", "tar", "zst", "lz", "lzo", "Z", "cab"):
            raise FileRefused("archive", what=guess.extension)
        raise FileRefused("unknown", what=guess.extension)
    decoded = _decode_text(data)
    if decoded is None:
        raise FileRefused("unknown", what=_ext(filename) or "binary")
    text, encoding = decoded
    if not text.strip():
        raise FileRefused("empty")
    return Sniffed("text", text=text, encoding=encoding)


# --- tables ----------------------------------------------------------------------------------------

def _cell_text(v: object) -> str:
    """A cell as the person sees it: integral numbers without ``.0`` (事项 1 not 1.0; a phone
    number typed as a number), 1.2 as ``1.2``, dates as YYYY-MM-DD."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M") if (v.hour, v.minute) != (0, 0) else v.strftime("%Y-%m-%d")
    if isinstance(v, date | time):
        return v.isoformat()
    return str(v).replace("\r\n", "\n").strip()


def xlsx_sheets(data: bytes) -> list[tuple[str, list[Row]]]:
    """Every worksheet of an .xlsx as (title, rows). Rows keep the numbers Excel shows; blank
    rows are skipped; merged cells give their value in their first cell (openpyxl read-only
    mode, which streams the sheet instead of building it in memory). Raises FileRefused
    ('unreadable') for a damaged file and ('too_many_rows') past MAX_TABLE_ROWS."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
        raise FileRefused("unreadable", what="xlsx", detail=type(exc).__name__) from None
    out = []
    try:
        for ws in wb.worksheets:
            if not hasattr(ws, "iter_rows"):
                continue  # a chart sheet
            # some writers (WPS, report generators) store a wrong <dimension>, e.g. A1: read it all
            ws.reset_dimensions()
            rows: list[Row] = []
            for n, values in enumerate(ws.iter_rows(values_only=True), start=1):
                cells = [_cell_text(v) for v in values]
                if any(cells):
                    rows.append((n, cells))
                    if len(rows) > MAX_TABLE_ROWS + HEADER_SCAN_ROWS:
                        raise FileRefused("too_many_rows", limit=MAX_TABLE_ROWS)
            out.append((ws.title, rows))
    except FileRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged sheet part
        raise FileRefused("unreadable", what="xlsx", detail=type(exc).__name__) from None
    finally:
        wb.close()
    return out


def csv_rows(text: str) -> list[Row]:
    """A CSV (or tab-separated) text as rows, numbered as its lines' records (1-based); blank
    rows skipped. The delimiter (, tab ; |) is sniffed by ``csv.Sniffer`` from the first lines,
    falling back to a comma."""
    text = text.lstrip("\ufeff")
    sample = "\n".join(text.splitlines()[:50])
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",\t;|")
    except csv.Error:
        dialect = csv.excel
    rows: list[Row] = []
    for n, record in enumerate(csv.reader(io.StringIO(text, newline=""), dialect), start=1):
        cells = [c.replace("\r\n", "\n").strip() for c in record]
        if any(cells):
            rows.append((n, cells))
            if len(rows) > MAX_TABLE_ROWS + HEADER_SCAN_ROWS:
                raise FileRefused("too_many_rows", limit=MAX_TABLE_ROWS)
    return rows


@dataclass(frozen=True)
class TableSpec:
    """A kind of table the bot takes: ``columns`` maps each field to the header words that name
    it (compared after :func:`header_word`); ``required`` fields must all be present."""

    kind: str
    columns: dict[str, tuple[str, ...]]
    required: tuple[str, ...]

    def expected(self) -> list[str]:
        """The column names to tell a person, required first (e.g. ['单位名称', '类型', '联络员'])."""
        return [self.columns[f][0] for f in self.required] + [
            self.columns[f][0] for f in self.columns if f not in self.required]


ROSTER_TABLE = TableSpec(
    kind="roster",
    columns={
        "name": ("单位名称", "名称", "单位", "单位全称", "单位名", "部门名称", "单位(部门)", "单位/部门"),
        "kind": ("类型", "单位类型", "类别", "单位类别"),
        "liaison": ("联络员", "联系人", "联络员姓名", "联络人"),
    },
    required=("name",),
)
ASSIGNMENT_TABLE = TableSpec(
    kind="assignment",
    columns={
        "item": ("事项", "工作事项", "任务", "工作任务", "重点任务", "任务事项", "事项编号", "条目", "工作要点"),
        "units": ("责任单位", "牵头单位", "责任部门", "负责单位", "承办单位", "牵头部门", "责任主体"),
    },
    required=("item", "units"),
)
TABLE_SPECS = (ASSIGNMENT_TABLE, ROSTER_TABLE)

_NOTE = re.compile(r"[(\[【][^()\[\]【】]*[)\]】]")


def header_word(cell: str) -> str:
    """A header cell reduced for comparison: the name rule, no spaces, no bracketed note
    (「责任单位（多个用顿号隔开）」 → 责任单位), no required-field star or trailing colon."""
    w = clean_unit_name(cell).replace(" ", "")
    w = _NOTE.sub("", w) or w
    return w.strip("*:：#")


def _match_header(cells: Sequence[str], spec: TableSpec) -> dict[str, int] | None:
    words = [header_word(c) for c in cells]
    found: dict[str, int] = {}
    for fieldname, accepted in spec.columns.items():
        for i, w in enumerate(words):
            if w and w in {header_word(a) for a in accepted} and i not in found.values():
                found[fieldname] = i
                break
    return found if all(f in found for f in spec.required) else None


@dataclass
class Table:
    """Rows under a detected header. ``columns`` maps field -> column index; ``rows`` are the
    non-blank rows below the header with their sheet row numbers."""

    kind: str
    header_row: int
    columns: dict[str, int]
    rows: list[Row]
    sheet: str | None = None
    header: list[str] = field(default_factory=list)

    def get(self, cells: Sequence[str], fieldname: str) -> str:
        """The cell of ``fieldname`` in a row ("" when the column is absent or the row short)."""
        i = self.columns.get(fieldname)
        return cells[i] if i is not None and i < len(cells) else ""


def find_table(rows: Sequence[Row], specs: Iterable[TableSpec] = TABLE_SPECS,
               sheet: str | None = None) -> Table | None:
    """The first row (within HEADER_SCAN_ROWS non-blank rows) that is the header of one of
    ``specs`` — so merged title rows, notes and blank rows above the header are passed over —
    and the rows below it. None when no row is a header."""
    specs = list(specs)
    for idx, (n, cells) in enumerate(rows[:HEADER_SCAN_ROWS]):
        for spec in specs:
            columns = _match_header(cells, spec)
            if columns is not None:
                body = list(rows[idx + 1:])
                if len(body) > MAX_TABLE_ROWS:
                    raise FileRefused("too_many_rows", rows=len(body), limit=MAX_TABLE_ROWS)
                return Table(kind=spec.kind, header_row=n, columns=columns, rows=body, sheet=sheet,
                             header=list(cells))
    return None


def read_table(data: bytes, sniffed: Sniffed, specs: Iterable[TableSpec] = TABLE_SPECS) -> Table:
    """The table in an .xlsx (its first sheet with a known header) or a CSV text. Raises
    FileRefused('no_header', expected={kind: [columns]}) when no sheet has a known header."""
    specs = list(specs)
    if sniffed.kind == "xlsx":
        for title, rows in xlsx_sheets(data):
            table = find_table(rows, specs, sheet=title)
            if table is not None:
                return table
    elif sniffed.text is not None:
        table = find_table(csv_rows(sniffed.text), specs)
        if table is not None:
            return table
    raise FileRefused("no_header", expected={s.kind: s.expected() for s in specs})


# --- the one entry point -------------------------------------------------------------------------

@dataclass
class Upload:
    """A file the bot can take, and where it goes.

    ``route``: ``roster`` / ``assignment`` (then ``table`` is set) or ``plan`` (then ``kind`` is
    ``docx``, ``pdf`` or ``txt``, and ``text`` is set for .txt). ``kind``: ``xlsx``, ``csv``,
    ``docx``, ``pdf`` or ``txt``."""

    filename: str
    data: bytes
    kind: str
    route: str
    text: str | None = None
    encoding: str | None = None
    table: Table | None = None


def intake(data: bytes, filename: str | None = None) -> Upload:
    """Sniff ``data`` and decide its route. A text file is a table when its name ends in .csv or
    .tsv, or when one of its first lines is a known header; otherwise it is a document (.txt).
    Raises FileRefused (see :func:`sniff`, :func:`read_table`)."""
    name = filename or "file"
    check_size(len(data))
    s = sniff(data, filename)
    if s.kind in ("docx", "pdf"):
        return Upload(name, data, s.kind, "plan")
    if s.kind == "xlsx":
        table = read_table(data, s)
        return Upload(name, data, "xlsx", table.kind, table=table)
    assert s.text is not None
    if _ext(filename) in ("csv", "tsv"):
        table = read_table(data, s)
        return Upload(name, data, "csv", table.kind, text=s.text, encoding=s.encoding, table=table)
    try:
        table = find_table(csv_rows(s.text))
    except FileRefused:
        table = None
    if table is not None:
        return Upload(name, data, "csv", table.kind, text=s.text, encoding=s.encoding, table=table)
    return Upload(name, data, "txt", "plan", text=s.text, encoding=s.encoding)
