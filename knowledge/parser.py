"""Parse a Chinese work-plan document (工作要点 / 实施方案 / 通知 genre) into clauses.

The rules are about the *shape* of paragraphs, never about this particular file:

* front matter before the first section heading: the notice (文号, issuer, title, addressees,
  body, signature, date) and, after the document title, the preamble (总体要求);
* section headings: ``一、…`` / ``第一部分 …``, or an unnumbered short line without final
  punctuation that is followed by an item numbered ``（一）``/``1.`` (numbering restarts);
* items: ``（一）`` / ``(一)`` / ``1.`` / ``1、`` — whichever style a section uses first; other
  numbered styles inside an item are sub-points and stay in the item's text;
* an unnumbered paragraph after a numbered item that opens with a short lead phrase
  (``支援地方经济社会发展。…``) is the next item, when the section's items use lead phrases;
* a paragraph not ending in terminal punctuation that is not a heading is joined to the next
  one (page breaks in the middle of a sentence);
* a sentence repeated within a clause (exactly, or adjacent and differing by a character or
  two) is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import DocumentError
from .model import Clause
from .numerals import cn_to_int, int_to_cn
from .textnorm import join_cjk

_WS = " \t\r\n\u3000\xa0\u2002\u2003\u2009\ufeff\u200b"
TERMINAL = set("。！？!?；;：:…")
CLOSERS = set("”’\"'）)】」』》")
CONTINUATION = set("，,、—-－（(“‘《【「")

_CN = "一二三四五六七八九十"
SECTION_RE = re.compile(
    rf"^(?:第\s*([{_CN}]+|\d+)\s*(?:部分|章|篇)[\s、，,.．：:]*|([{_CN}]+)\s*[、.．，]\s*)(.*)$")
ITEM_CN_RE = re.compile(rf"^[（(]\s*([{_CN}]+)\s*[）)]\s*[、.．，]?\s*(.*)$")
ITEM_AR_RE = re.compile(r"^(\d{1,2})\s*(?:[.．](?!\d)|、)\s*(.*)$")
SUB_AR_RE = re.compile(r"^[（(]\s*(\d{1,2})\s*[）)]\s*(.*)$")
DOCNO_RE = re.compile(r"[\u4e00-\u9fff]{1,20}[〔\[［(（]\s*\d{4}\s*[〕\]］)）]\s*\d{1,4}\s*号")
DATE_RE = re.compile(r"(\d{4}|[〇零一二三四五六七八九]{4})\s*年\s*(\d{1,2}|[一二三四五六七八九十]{1,3})\s*月"
                     r"\s*(\d{1,2}|[一二三四五六七八九十]{1,3})\s*日")
SENTENCE_RE = re.compile(r"[^。！？!?；;]*[。！？!?；;]+[”’\"'）)」』》]*|[^。！？!?；;]+$")
HEADING_MAX = 60
LEAD_MAX = 30


@dataclass
class Meta:
    """Fields recognised in the notice (all optional)."""

    doc_number: str | None = None
    issuer: str | None = None
    notice_title: str | None = None
    addressees: str | None = None
    date: str | None = None
    title: str | None = None


@dataclass
class _Node:
    number: int
    heading: str
    paras: list[str] = field(default_factory=list)
    items: list[_Node] = field(default_factory=list)
    style: str | None = None  # item numbering style used in this section
    lead_style: bool = False  # numbered items open with a lead phrase
    numbered: bool = True  # the heading carries a numeral (一、 / 第一部分)
    unnumbered: list[int] = field(default_factory=list)  # items recognised by their lead phrase


# --------------------------------------------------------------------------- reading

def read_paragraphs(path: str | Path) -> list[str]:
    """Paragraph texts of a .txt, .docx or .pdf file (see ``reader.read_document``)."""
    from .reader import read_document

    return read_document(path)


# --------------------------------------------------------------------------- shapes

def _last_char(p: str) -> str:
    p = p.rstrip(_WS)
    while p and p[-1] in CLOSERS:
        p = p[:-1]
    return p[-1] if p else ""


def ends_terminal(p: str) -> bool:
    return _last_char(p) in TERMINAL


def ends_continuation(p: str) -> bool:
    p = p.rstrip(_WS)
    return bool(p) and p[-1] in CONTINUATION


def is_heading_shape(p: str) -> bool:
    """Short line with no final punctuation (a title, heading, date, signature)."""
    return 0 < len(p) <= HEADING_MAX and not ends_terminal(p) and not ends_continuation(p)


def item_marker(p: str) -> tuple[str, int, str] | None:
    """('cn'|'ar'|'sub', number, rest) when the paragraph starts with an item number."""
    m = ITEM_CN_RE.match(p)
    if m:
        n = cn_to_int(m.group(1))
        if n:
            return "cn", n, m.group(2)
    m = ITEM_AR_RE.match(p)
    if m and not DATE_RE.match(p):
        return "ar", int(m.group(1)), m.group(2)
    m = SUB_AR_RE.match(p)
    if m:
        return "sub", int(m.group(1)), m.group(2)
    return None


def section_marker(p: str) -> tuple[int, str] | None:
    m = SECTION_RE.match(p)
    if not m:
        return None
    n = cn_to_int(m.group(1) or m.group(2) or "")
    if not n:
        return None
    rest = m.group(3).strip(_WS)
    if not rest and not m.group(1):
        return None
    return n, rest


def is_numbered(p: str) -> bool:
    return section_marker(p) is not None or item_marker(p) is not None


def split_lead(text: str) -> tuple[str, str]:
    """('lead phrase', 'rest') split at the first sentence end."""
    m = re.match(r"^(.*?)([。！？!?；;])(.*)$", text, re.S)
    if not m:
        return text, ""
    return m.group(1), m.group(3)


def has_lead_phrase(text: str) -> bool:
    lead, rest = split_lead(text)
    lead = lead.strip(_WS)
    return 2 <= len(lead) <= LEAD_MAX and not re.search(r"[，,、：:]", lead) and bool(rest.strip())


# --------------------------------------------------------------------------- cleaning

_INNER_MARK = re.compile(r"[。！？!?；;，,、：:]")


def _needs_join(p: str, nxt: str) -> bool:
    """Is ``p`` a line broken mid-sentence, to be continued by ``nxt``?

    Yes when ``p`` has no final punctuation, ``nxt`` is not numbered, and either ``p`` ends in a
    mark that continues a sentence (，、（ …), or is long (a wrapped line), or is prose (a
    punctuation mark inside) followed by a line that is not a title (short, no punctuation at
    all). A short line without any punctuation is a heading, never joined."""
    if not p or not nxt or ends_terminal(p) or is_numbered(nxt):
        return False
    if ends_continuation(p):
        return True
    if section_marker(p) is not None and len(p) <= HEADING_MAX:
        return False
    if len(p) > HEADING_MAX - 10:
        return True
    return bool(_INNER_MARK.search(p)) and not (is_heading_shape(nxt) and not _INNER_MARK.search(nxt))


def _inside_numbered_list(p: str, paras: list[str], j: int) -> bool:
    """Is ``paras[j]`` — a short line without final punctuation after the unfinished item ``p`` —
    the end of ``p``'s sentence rather than a heading? Yes when the next line goes on with the same
    list (``2.…`` / [j] / ``3.…``): a heading never sits between two items of one list. (A PDF
    line wrapped just before the end of a sentence that has no full stop.)"""
    nxt = paras[j]
    if not nxt or ends_terminal(p) or is_numbered(nxt) or section_marker(p) is not None:
        return False
    k = j + 1
    while k < len(paras) and not paras[k]:
        k += 1
    here = item_marker(p)
    after = item_marker(paras[k]) if k < len(paras) else None
    return here is not None and after is not None and after[0] == here[0] and after[1] == here[1] + 1


def _joined(p: str, nxt: str) -> str:
    sep = " " if p[-1:].isascii() and p[-1:].isalnum() and nxt[:1].isascii() and nxt[:1].isalnum() else ""
    return p + sep + nxt


def join_broken(paras: list[str], warnings: list[ParseWarning] | None = None) -> list[str]:
    """Join paragraphs broken mid-sentence (no final punctuation, not a heading) without a line
    break; blank lines ("") between the pieces are skipped (a page break), and dropped elsewhere.
    Each join is recorded in ``warnings`` (``joined_broken_line`` / ``joined_across_blank``)."""
    out: list[str] = []
    i, n = 0, len(paras)
    while i < n:
        p = paras[i]
        i += 1
        if not p:
            continue
        while True:
            j = i
            while j < n and not paras[j]:
                j += 1
            if j >= n or not (_needs_join(p, paras[j]) or _inside_numbered_list(p, paras, j)):
                break
            if warnings is not None:
                code = "joined_across_blank" if j > i else "joined_broken_line"
                warnings.append(ParseWarning(code, {"end": p[-12:], "start": paras[j][:12]}))
            p = _joined(p, paras[j])
            i = j + 1
        out.append(p)
    return out


def _sent_key(s: str) -> str:
    return re.sub(r"[\W_]+", "", s)


def dedupe_sentences(text: str) -> str:
    """Drop a sentence repeated within a text (exact, or adjacent near-identical)."""
    from rapidfuzz import fuzz

    out: list[str] = []
    seen: set[str] = set()
    for para in text.split("\n"):
        kept: list[str] = []
        prev = ""
        for s in SENTENCE_RE.findall(para):
            key = _sent_key(s)
            if len(key) >= 4 and key in seen:
                continue
            if (len(key) >= 6 and prev and abs(len(key) - len(prev)) <= 2
                    and fuzz.ratio(key, prev) >= 88):
                continue
            if key:
                seen.add(key)
            prev = key
            kept.append(s)
        out.append("".join(kept))
    return "\n".join(out)


# --------------------------------------------------------------------------- front matter

def parse_front(paras: list[str], warnings: list[ParseWarning] | None = None,
                ) -> tuple[Meta, list[str], list[str]]:
    """Split the paragraphs before the first section into (meta, header paras, preamble paras).
    Lines broken mid-sentence are joined first (a wrapped preamble is not a title)."""
    paras = join_broken(paras, warnings)
    meta = Meta()
    # the document title is the last heading-shaped line that is not a date / 文号
    title_idx = None
    for i in range(len(paras) - 1, -1, -1):
        p = paras[i]
        if is_heading_shape(p) and not DATE_RE.fullmatch(p) and not DOCNO_RE.fullmatch(p):
            title_idx = i
            break
        if is_heading_shape(p):  # a date or 文号 line closes the notice: no title after it
            break
    if title_idx is None:
        header, preamble = [], list(paras)
        # a notice whose last line is its date: everything is header
        if paras and any(DATE_RE.fullmatch(p) or DOCNO_RE.search(p) for p in paras):
            header, preamble = list(paras), []
    else:
        meta.title = paras[title_idx]
        header, preamble = paras[:title_idx], paras[title_idx + 1:]
        # the addressees (「各乡镇人民政府、街道办事处，…各成员单位：」) under the title belong to the
        # notice, not to the preamble they precede
        if preamble and _last_char(preamble[0]) in "：:" and len(preamble[0]) <= 120 and len(preamble) > 1:
            header.append(preamble.pop(0))
    _fill_meta(meta, header)
    if meta.title is None and meta.notice_title:
        m = re.search(r"《(.+?)》", meta.notice_title)
        meta.title = m.group(1) if m else meta.notice_title
    return meta, header, preamble


def _fill_meta(meta: Meta, header: list[str]) -> None:
    for i, p in enumerate(header):
        if meta.doc_number is None and (m := DOCNO_RE.search(p)):
            meta.doc_number = m.group(0)
            continue
        if meta.date is None and DATE_RE.search(p) and len(p) <= 20:
            meta.date = DATE_RE.search(p).group(0)
            # the signature right before the date is the issuer
            if i > 0 and is_heading_shape(header[i - 1]) and not DOCNO_RE.search(header[i - 1]):
                meta.issuer = header[i - 1]
            continue
        if meta.notice_title is None and is_heading_shape(p) and (
                p.startswith("关于") or re.search(r"(通知|通报|意见|决定|函|方案|要点|计划)$", p)):
            meta.notice_title = p
            if meta.issuer is None and i > 0 and is_heading_shape(header[i - 1]) \
                    and not DOCNO_RE.search(header[i - 1]):
                meta.issuer = header[i - 1]
            continue
        if meta.addressees is None and _last_char(p) in "：:" and len(p) <= 120:
            meta.addressees = p.rstrip("：: ")


# --------------------------------------------------------------------------- body

ATTACHMENT_RE = re.compile(r"^附\s*件\s*[\d一二三四五六七八九十]*\s*[:：]?")


def _new_item(sec: _Node, text: str, *, unnumbered: bool = False) -> None:
    sec.items.append(_Node(number=len(sec.items) + 1, heading="", paras=[text]))
    if unnumbered:
        sec.unnumbered.append(len(sec.items))


def _trailer(paras: list[str], warnings: list[ParseWarning]) -> list[str]:
    """Pop the lines after the last item that belong to the notice, not to the item: the
    signature + date block, and an attachment list (附件：1. …) before or after it."""
    trailing: list[str] = []

    def signature() -> None:
        while paras and is_heading_shape(paras[-1]) and (
                DATE_RE.search(paras[-1]) or (trailing and len(paras[-1]) <= 30)):
            trailing.insert(0, paras.pop())

    signature()
    # an attachment block: a 附件 line, then only short lines (attachment names, numbered or not)
    for k in range(len(paras) - 1, max(-1, len(paras) - 12), -1):
        if ATTACHMENT_RE.match(paras[k]):
            tail = paras[k + 1:]
            if all(len(x) <= HEADING_MAX and (is_heading_shape(x) or _last_char(x) in "。；;")
                   for x in tail) and k > 0:
                for x in paras[k:]:
                    warnings.append(ParseWarning("trailing_attachment", {"text": x[:40]}))
                trailing[:0] = paras[k:]
                del paras[k:]
                signature()
            break
    return trailing


def parse_body(paras: list[str], warnings: list[ParseWarning] | None = None,
               ) -> tuple[list[_Node], list[str]]:
    """Sections with their items (``paras`` already joined, no blank lines); also returns the
    trailing lines that belong to the notice (signature, date, attachments)."""
    warnings = warnings if warnings is not None else []
    paras = list(paras)
    trailing = _trailer(paras, warnings)
    sections: list[_Node] = []
    for idx, p in enumerate(paras):
        nxt = paras[idx + 1] if idx + 1 < len(paras) else ""
        sm = section_marker(p)
        im = item_marker(p)
        sec = sections[-1] if sections else None
        if sm and (len(p) <= HEADING_MAX or not ends_terminal(p) or "。" in sm[1]):
            heading, rest = sm[1], ""
            if not is_heading_shape(sm[1]):  # "一、指导思想。正文…" on one line
                heading, rest = split_lead(sm[1])
            sections.append(_Node(number=len(sections) + 1, heading=heading.strip(_WS)))
            if rest.strip(_WS):
                sections[-1].paras.append(rest.strip(_WS))
            continue
        if im and sec is not None:
            style, num, rest = im
            if sec.style is None and style != "sub":
                sec.style = style
            if style == sec.style:
                if not sec.items:
                    sec.lead_style = has_lead_phrase(rest)
                _new_item(sec, rest)
                continue
            # a sub-point of the current item (or of the section body)
            (sec.items[-1].paras if sec.items else sec.paras).append(p)
            continue
        nim = item_marker(nxt)
        if sec is not None and is_heading_shape(p) and nim and nim[0] != "sub" and nim[1] == 1:
            # unnumbered heading: numbering of items restarts right after it
            sections.append(_Node(number=len(sections) + 1, heading=p, numbered=False))
            continue
        if sec is None:  # unreachable: the body starts at a section heading
            trailing.append(p)
            continue
        if sec.items and sec.lead_style and has_lead_phrase(p):
            _new_item(sec, p, unnumbered=True)
            continue
        (sec.items[-1].paras if sec.items else sec.paras).append(p)
    for sec in sections:
        if not sec.numbered:
            warnings.append(ParseWarning("heading_without_numeral", {"section": sec.number,
                                                                     "heading": sec.heading[:40]}))
        if not sec.items:
            warnings.append(ParseWarning("section_without_items", {"section": sec.number}))
        if sec.unnumbered:
            warnings.append(ParseWarning("items_unnumbered", {
                "section": sec.number, "items": [f"{sec.number}.{k}" for k in sec.unnumbered]}))
    return sections, trailing


# --------------------------------------------------------------------------- assemble

def _title_of(text: str, limit: int = 40) -> str:
    lead, _ = split_lead(text)
    lead = lead.strip(_WS)
    if len(lead) > limit:
        lead = lead[:limit].rstrip("，,、") + "…"
    return lead


def _strip_end(p: str) -> str:
    return p.rstrip(_WS).rstrip("。；;，,：:")


@dataclass(frozen=True)
class ParseWarning:
    """Something the parser had to guess, for a preview (codes, not prose; callers word them).

    ``code`` / ``data``:
    ``items_unnumbered`` {section, items: [ids]} — items recognised by their lead phrase, without
    numbering; ``section_without_items`` {section}; ``heading_without_numeral`` {section, heading};
    ``joined_broken_line`` {end, start} — a line without final punctuation joined to the next;
    ``joined_across_blank`` {end, start} — the same across a blank line (a page break);
    ``trailing_attachment`` {text} — a 附件 line after the last item, kept with the notice.
    """

    code: str
    data: dict = field(default_factory=dict)


_YEAR_TITLE = re.compile(r"((?:19|20)\d{2}|[二][〇零○O0][一二三四五六七八九〇零○][〇零○一二三四五六七八九])\s*年")
_YEAR_DOCNO = re.compile(r"[〔\[［(（]\s*((?:19|20)\d{2})\s*[〕\]］)）]")
_CN_YEAR_DIGITS = {"〇": 0, "零": 0, "○": 0, "O": 0, "0": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5,
                   "六": 6, "七": 7, "八": 8, "九": 9}


def year_of(title: str | None, doc_number: str | None = None) -> int | None:
    """The year a plan is for: from its title (``2026年…要点``, ``二〇二六年…``), else from its
    文号 (``〔2026〕3号``); None when neither names one."""
    if title and (m := _YEAR_TITLE.search(title)):
        y = m.group(1)
        return int(y) if y.isdigit() else int("".join(str(_CN_YEAR_DIGITS[c]) for c in y))
    if doc_number and (m := _YEAR_DOCNO.search(doc_number)):
        return int(m.group(1))
    return None


SCHEMA = 1  # version of ``ParsedDocument.to_dict``


@dataclass
class ParsedDocument:
    """A parsed plan: ``title``, ``meta`` (notice fields), ``clauses`` (id -> Clause, in document
    order: header, preamble, then each section followed by its items), ``year`` (see
    ``year_of``) and ``warnings``. ``to_dict``/``from_dict`` round-trip it through JSON without
    parsing again, so stored clause ids never change when the parser does."""

    title: str
    meta: Meta
    clauses: dict[str, Clause]
    year: int | None = None
    warnings: list[ParseWarning] = field(default_factory=list)

    def sections(self) -> list[Clause]:
        return [c for c in self.clauses.values() if c.kind == "section"]

    def items(self) -> list[Clause]:
        return [c for c in self.clauses.values() if c.kind == "item"]

    def to_dict(self) -> dict:
        """JSON-safe: ``{"schema", "title", "year", "meta": {…}, "warnings": [{"code", "data"}],
        "clauses": [{"id", "label", "title", "text", "kind", "parent_id", "children"}]}``."""
        return {
            "schema": SCHEMA,
            "title": self.title,
            "year": self.year,
            "meta": {k: getattr(self.meta, k) for k in Meta.__dataclass_fields__},
            "warnings": [{"code": w.code, "data": dict(w.data)} for w in self.warnings],
            "clauses": [{"id": c.id, "label": c.label, "title": c.title, "text": c.text, "kind": c.kind,
                         "parent_id": c.parent_id, "children": list(c.children)}
                        for c in self.clauses.values()],
        }

    @classmethod
    def from_dict(cls, d: dict) -> ParsedDocument:
        """Inverse of ``to_dict``. Raises ``ValueError`` on a malformed dict (missing keys, a
        child or parent id that is not a clause, a schema newer than this code)."""
        try:
            if int(d.get("schema", 1)) > SCHEMA:
                raise ValueError(f"schema {d.get('schema')} is newer than {SCHEMA}")
            meta = Meta(**{k: d.get("meta", {}).get(k) for k in Meta.__dataclass_fields__})
            clauses: dict[str, Clause] = {}
            for c in d["clauses"]:
                clauses[str(c["id"])] = Clause(
                    id=str(c["id"]), label=str(c["label"]), title=str(c["title"]), text=str(c["text"]),
                    kind=str(c["kind"]), parent_id=None if c.get("parent_id") is None else str(c["parent_id"]),
                    children=tuple(str(x) for x in c.get("children", ())))
            for c in clauses.values():
                if (c.parent_id is not None and c.parent_id not in clauses) or \
                        any(x not in clauses for x in c.children):
                    raise ValueError(f"clause {c.id}: parent or child missing")
            warnings = [ParseWarning(str(w["code"]), dict(w.get("data", {}))) for w in d.get("warnings", [])]
            year = d.get("year")
            return cls(title=str(d["title"]), meta=meta, clauses=clauses,
                       year=int(year) if year is not None else None, warnings=warnings)
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a parsed document: {exc}") from None


def parse_paragraphs(paras: list[str], default_title: str = "") -> ParsedDocument:
    """Parse paragraphs (one per line; blank lines allowed and meaningful: a line joined across
    one is reported) into a ``ParsedDocument``."""
    paras = [join_cjk(x.strip(_WS)) for x in paras]
    warnings: list[ParseWarning] = []
    first = next((i for i, p in enumerate(paras) if p and section_marker(p) and len(p) <= 200), None)
    if first is None:
        first = len(paras)
    meta, header, preamble = parse_front(paras[:first], warnings)
    sections, trailing = parse_body(join_broken(paras[first:], warnings), warnings)
    if trailing:
        extra = Meta()
        _fill_meta(extra, trailing)
        meta.date = meta.date or extra.date
        meta.issuer = meta.issuer or extra.issuer
        header = header + trailing
    title = meta.title or default_title
    clauses: dict[str, Clause] = {}
    if header:
        if meta.notice_title:
            label = "通知" if meta.notice_title.endswith("通知") else "文件"
        else:
            label = "发文信息"
        sign = " ".join(x for x in (meta.issuer, meta.date) if x)
        clauses["header"] = Clause(
            id="header", label=label,
            title=meta.notice_title or meta.doc_number or sign or title,
            text="\n".join(header), kind="header")
    if preamble:
        text = dedupe_sentences("\n".join(preamble))
        clauses["preamble"] = Clause(id="preamble", label="总体要求", title=_title_of(text),
                                     text=text, kind="preamble")
    for sec in sections:
        sid = str(sec.number)
        heading = _strip_end(sec.heading)
        body = dedupe_sentences("\n".join(sec.paras)) if sec.paras else ""
        children = tuple(f"{sid}.{it.number}" for it in sec.items)
        clauses[sid] = Clause(id=sid, label=int_to_cn(sec.number), title=heading,
                              text=heading + ("\n" + body if body else ""), kind="section",
                              children=children)
        for it in sec.items:
            iid = f"{sid}.{it.number}"
            text = dedupe_sentences("\n".join(it.paras))
            clauses[iid] = Clause(id=iid, label=f"{int_to_cn(sec.number)}（{int_to_cn(it.number)}）",
                                  title=_strip_end(_title_of(text)), text=text, kind="item",
                                  parent_id=sid)
    return ParsedDocument(title=title, meta=meta, clauses=clauses,
                          year=year_of(title, meta.doc_number), warnings=warnings)


def parse_file(path: str | Path) -> ParsedDocument:
    """Read and parse a .txt / .docx / .pdf file; raises ``DocumentError`` (see ``reader``)."""
    from .reader import read_document

    doc = parse_paragraphs(read_document(path), default_title=Path(path).stem)
    if not doc.sections():
        raise DocumentError("not_a_plan")
    return doc


def parse_text(text: str) -> ParsedDocument:
    return parse_paragraphs(text.splitlines())
