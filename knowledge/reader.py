"""Read a plan document into paragraphs: .txt, .docx, .pdf (with a text layer).

    read_document("plan.docx")                       -> ["丰都双拥办发〔2020〕3号", "", …]
    read_document(data_bytes, "2026年工作要点.pdf")   -> […]

One paragraph a line, stripped; blank lines kept as "" (the parser reports a sentence joined
across one). Libraries: python-docx for .docx; pypdf for .pdf (pure Python, well kept, gives
Chinese characters back exactly on PDFs whose fonts carry a ToUnicode map — measured in
benchmarks/bench_knowledge.py — one text line per layout line; the parser joins wrapped lines).
The type is sniffed from the bytes, the file name only breaks ties, so a renamed file is still
read for what it is. Every failure is a ``DocumentError`` with a reason code:

``missing`` (no such file), ``unreadable`` (damaged, encrypted), ``doc_format`` (a legacy .doc),
``unsupported`` (a spreadsheet, an image, an archive …), ``no_text`` (a PDF without a text
layer: a scan), ``empty``.
"""

from __future__ import annotations

import io
import logging
import zipfile
from pathlib import Path

from .errors import DocumentError

log = logging.getLogger(__name__)

_WS = " \t\r\n\u3000\xa0\u2002\u2003\u2009\ufeff\u200b"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc / .xls / .ppt (Office 97-2003)
_IMAGES = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00", b"MM\x00*", b"RIFF")
MIN_PDF_CHARS = 20  # fewer visible characters than this in a whole PDF: a scan


def sniff(data: bytes, filename: str = "") -> str:
    """'txt' | 'docx' | 'pdf' | 'doc' | 'unsupported' for the bytes of a file."""
    head = data[:8]
    if data.lstrip()[:5] == b"%PDF-":
        return "pdf"
    if head.startswith(_OLE2):
        return "doc" if filename.lower().endswith((".doc", ".wps", ".dot")) or not filename else "unsupported"
    if head.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except zipfile.BadZipFile:
            return "unsupported"
        return "docx" if "word/document.xml" in names else "unsupported"
    if head.startswith(_IMAGES) or head[4:8] == b"ftyp":
        return "unsupported"
    if b"\x00" in data[:4096]:  # binary (UTF-16 text is not a format offices send)
        return "unsupported"
    return "txt"


def _decode(raw: bytes) -> str:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", errors="replace")


def _docx(data: bytes) -> list[str]:
    import docx  # lazy: python-docx (lxml) costs ~0.15 s to import

    try:
        d = docx.Document(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - python-docx raises its own and lxml's types
        raise DocumentError("unreadable", f"{type(exc).__name__}: {exc}") from None
    lines: list[str] = []
    for para in d.paragraphs:
        lines.extend(para.text.splitlines() or [""])
    for table in d.tables:  # rare in this genre, but do not lose text
        for row in table.rows:
            lines.append("".join(cell.text for cell in row.cells))
    return lines


def _pdf(data: bytes) -> list[str]:
    import pypdf  # lazy

    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            reader.decrypt("")  # many PDFs are "encrypted" with an empty user password
        pages = [page.extract_text() or "" for page in reader.pages]
    except Exception as exc:  # noqa: BLE001 - pypdf raises many types on damaged files
        raise DocumentError("unreadable", f"{type(exc).__name__}: {exc}") from None
    text = "\n".join(pages)
    if sum(1 for ch in text if not ch.isspace()) < MIN_PDF_CHARS:
        raise DocumentError("no_text", f"{len(pages)} page(s)")
    return text.splitlines()


def read_document(source: str | Path | bytes, filename: str | None = None) -> list[str]:
    """Paragraphs of a .txt (UTF-8 with or without BOM, or GB18030), .docx or .pdf document.

    ``source``: a path, or the file's bytes (then ``filename`` helps only to tell a .doc).
    Returns the lines stripped of surrounding whitespace, blank lines as "". Raises
    ``DocumentError`` (reasons in the module docstring)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        name = filename or ""
    else:
        path = Path(source)
        name = filename or path.name
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise DocumentError("missing", str(path)) from None
        except IsADirectoryError:
            raise DocumentError("unreadable", f"{path} is a directory") from None
        except OSError as exc:
            raise DocumentError("unreadable", f"{type(exc).__name__}: {exc}") from None
    if not data.strip():
        raise DocumentError("empty", name)
    kind = sniff(data, name)
    if kind == "doc":
        raise DocumentError("doc_format", name)
    if kind == "unsupported":
        raise DocumentError("unsupported", name)
    if kind == "docx":
        lines = _docx(data)
    elif kind == "pdf":
        lines = _pdf(data)
    else:
        lines = _decode(data).splitlines()
    out = [ln.strip(_WS) for ln in lines]
    if not any(out):
        raise DocumentError("empty", name)
    return out
