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

from .model import Clause
from .numerals import cn_to_int, int_to_cn

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


# --------------------------------------------------------------------------- reading

def read_paragraphs(path: str | Path) -> list[str]:
    """Paragraph texts of a .txt (one paragraph a line) or .docx file."""
    p = Path(path)
    if p.suffix.lower() == ".docx":
        import docx  # lazy: python-docx is slow-ish to import

        d = docx.Document(str(p))
        lines: list[str] = []
        for para in d.paragraphs:
            lines.extend(para.text.splitlines() or [""])
        for table in d.tables:  # rare in this genre, but do not lose text
            for row in table.rows:
                lines.append("".join(cell.text for cell in row.cells))
    else:
        raw = p.read_bytes()
        text = None
        for enc in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(enc)
                break
            except UnicodeDecodeError:
                continue
        if text is None:
            text = raw.decode("utf-8", errors="replace")
        lines = text.splitlines()
    return [ln.strip(_WS) for ln in lines]


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

def _needs_join(p: str, nxt: str) -> bool:
    if not p or ends_terminal(p) or is_numbered(nxt):
        return False
    if ends_continuation(p):
        return True
    if section_marker(p) is not None and len(p) <= HEADING_MAX:
        return False
    return len(p) > HEADING_MAX - 10


def join_broken(paras: list[str]) -> list[str]:
    """Join paragraphs broken mid-sentence (no terminal punctuation, not a heading)."""
    out: list[str] = []
    i = 0
    while i < len(paras):
        p = paras[i]
        while i + 1 < len(paras) and _needs_join(p, paras[i + 1]):
            nxt = paras[i + 1]
            sep = " " if p[-1:].isascii() and p[-1:].isalnum() and nxt[:1].isascii() else ""
            p = p + sep + nxt
            i += 1
        out.append(p)
        i += 1
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

def parse_front(paras: list[str]) -> tuple[Meta, list[str], list[str]]:
    """Split the paragraphs before the first section into (meta, header paras, preamble paras)."""
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
    _fill_meta(meta, header)
    if meta.title is None and meta.notice_title:
        m = re.search(r"《(.+?)》", meta.notice_title)
        meta.title = m.group(1) if m else meta.notice_title
    return meta, header, join_broken(preamble)


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

def _new_item(sec: _Node, text: str) -> None:
    sec.items.append(_Node(number=len(sec.items) + 1, heading="", paras=[text]))


def parse_body(paras: list[str]) -> tuple[list[_Node], list[str]]:
    """Sections with their items; also returns trailing signature/date lines."""
    paras = join_broken(paras)
    trailing: list[str] = []
    # a signature + date block at the very end belongs to the notice, not to the last item
    while paras and is_heading_shape(paras[-1]) and (
            DATE_RE.search(paras[-1]) or (trailing and len(paras[-1]) <= 30)):
        trailing.insert(0, paras.pop())
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
            sections.append(_Node(number=len(sections) + 1, heading=p))
            continue
        if sec is None:  # unreachable: the body starts at a section heading
            trailing.append(p)
            continue
        if sec.items and sec.lead_style and has_lead_phrase(p):
            _new_item(sec, p)
            continue
        (sec.items[-1].paras if sec.items else sec.paras).append(p)
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


@dataclass
class ParsedDocument:
    title: str
    meta: Meta
    clauses: dict[str, Clause]

    def to_dict(self) -> dict:
        """JSON-safe form: ``{"title", "meta": {...}, "clauses": [{id, label, title, text, kind,
        parent_id, children}, ...]}`` in document order; ``from_dict`` rebuilds it exactly."""
        from dataclasses import asdict

        return {"title": self.title, "meta": asdict(self.meta),
                "clauses": [{**asdict(c), "children": list(c.children)} for c in self.clauses.values()]}

    @classmethod
    def from_dict(cls, data: dict) -> ParsedDocument:
        """The inverse of ``to_dict``; raises KeyError/TypeError on a malformed dict."""
        clauses = {c["id"]: Clause(**{**c, "children": tuple(c.get("children", ()))}) for c in data["clauses"]}
        return cls(title=data["title"], meta=Meta(**data.get("meta", {})), clauses=clauses)


def parse_paragraphs(paras: list[str], default_title: str = "") -> ParsedDocument:
    paras = [p for p in (x.strip(_WS) for x in paras) if p]
    first = next((i for i, p in enumerate(paras) if section_marker(p) and len(p) <= 200), None)
    if first is None:
        first = len(paras)
    meta, header, preamble = parse_front(paras[:first])
    sections, trailing = parse_body(paras[first:])
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
    return ParsedDocument(title=title, meta=meta, clauses=clauses)


def parse_file(path: str | Path) -> ParsedDocument:
    return parse_paragraphs(read_paragraphs(path), default_title=Path(path).stem)


def parse_text(text: str) -> ParsedDocument:
    return parse_paragraphs(text.splitlines())
