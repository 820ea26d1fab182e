"""Structural references in a question: 第二部分, 第2部分第3条, 二（三）, 3.2, section 2.3,
item 3 of section 1, 第三部分第一项, 第二部分最后一条, 倒数第二条, 最后一部分, last item of part 2 …
Works on the normalised (NFKC, lower-case) question.

A number counted from the end is negative: 最后一条 = -1, 倒数第二条 = -2 (``Ref.item``), and the
same for sections (最后一部分 = section -1). ``KnowledgeBase`` resolves them against the document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .numerals import cn_to_int

_CNN = r"[一二三四五六七八九十两]{1,3}"
_NUM = rf"(\d{{1,3}}|{_CNN})"
_ENN = (r"(\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|first|second|"
        r"third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|1st|2nd|3rd|[4-9]th|10th)")
_SEC_WORD = r"(?:大部分|部分|章|篇|大项|大条|大点|板块|节)"
_ITEM_WORD = r"(?:小项|小条|小点|条|项|点|款|个小标题|个方面|小节)"
_EN_SEC = r"(?:section|part|chapter|sec\.?|§)"
_EN_ITEM = r"(?:item|point|clause|paragraph|para\.?|subsection|article|no\.?)"
_JOIN = r"(?:的|中的|里的|里面的|之|中|里|里面)?"

# a section / an item, counted from the start or from the end; each one named group
_SEC = (rf"(?:第\s*(?P<s>\d{{1,3}}|{_CNN})\s*{_SEC_WORD}"
        rf"|(?P<slast>最后|最末|末尾)\s*[一1]?\s*个?\s*{_SEC_WORD}"
        rf"|倒数\s*第?\s*(?P<sback>\d{{1,2}}|{_CNN})\s*个?\s*{_SEC_WORD})")
_ITEM = (rf"(?:第\s*(?P<i>\d{{1,3}}|{_CNN})\s*{_ITEM_WORD}?"
         rf"|(?P<ilast>最后|最末|末尾)\s*[一1]?\s*个?\s*{_ITEM_WORD}"
         rf"|倒数\s*第?\s*(?P<iback>\d{{1,2}}|{_CNN})\s*个?\s*{_ITEM_WORD}"
         rf"|\(\s*(?P<ip>\d{{1,3}}|{_CNN})\s*\)|(?P<iw>\d{{1,3}})\s*{_ITEM_WORD})")
_CN_SEC_ITEM = re.compile(rf"{_SEC}\s*{_JOIN}\s*(?:{_ITEM})?")
_EN_LAST = r"(?:last|final)"
_EN_SEC_LAST = re.compile(
    rf"(?:(?:the\s+)?{_EN_LAST}\s+{_EN_ITEM}\s*(?:of|in|from|under)\s*(?:the\s+)?"
    rf"(?:{_EN_SEC}\s*#?\s*(?P<s>{_ENN[1:-1]})|(?P<slast>{_EN_LAST})\s+{_EN_SEC}))"
    rf"|(?:the\s+)?(?P<slast2>{_EN_LAST})\s+{_EN_SEC}")


@dataclass(frozen=True)
class Ref:
    section: int  # 1-based; negative counts from the end (-1 = the last section)
    item: int | None  # None: the section itself; negative counts from the end
    text: str  # the reference as written (normalised)
    counted: bool = True  # in words (第一条, 最后一项, item 1 of part 2); False: an id (二（三）, 3.2)


_PATTERNS: list[tuple[re.Pattern[str], tuple[int, int | None]]] = [
    # 第一条 of section 2 / 第三项 in part 1
    (re.compile(rf"第\s*{_NUM}\s*{_ITEM_WORD}\s*(?:of|in)\s*(?:the\s+)?{_EN_SEC}\s*{_ENN}"), (2, 1)),
    # item 3 of section 1 / third item in part 2
    (re.compile(rf"{_EN_ITEM}\s*#?\s*{_ENN}\s*(?:of|in|from|under)\s*(?:the\s+)?{_EN_SEC}\s*#?\s*{_ENN}"), (2, 1)),
    (re.compile(rf"(?:the\s+)?{_ENN}\s+{_EN_ITEM}\s*(?:of|in|from|under)\s*(?:the\s+)?{_EN_SEC}\s*#?\s*{_ENN}"), (2, 1)),
    # section 2.3 / section 2 item 3 / part 2, point 3
    (re.compile(rf"{_EN_SEC}\s*#?\s*{_ENN}\s*(?:[.\-]\s*(\d{{1,2}})|,?\s*{_EN_ITEM}\s*#?\s*{_ENN})?"), (1, 0)),
    (re.compile(rf"(?:the\s+)?{_ENN}\s+{_EN_SEC}"), (1, None)),
    # 二（三） / 二、（三） / 二(3)
    (re.compile(rf"(?<![\d一二三四五六七八九十两第])({_CNN})\s*[、.,]?\s*\(\s*{_NUM}\s*\)"), (1, 2)),
    # 3.2 / 3．2 (NFKC) but not 2020.6 or 3.2.1
    (re.compile(r"(?<![\d.])(\d{1,2})\s*\.\s*(\d{1,2})(?![\d.]|\s*[万亿%元])"), (1, 2)),
    # 3-2 (one-digit section), but not a date 2020-6-8 or a phone number 63-12
    (re.compile(r"(?<![\d.\-])(\d)\s*-\s*(\d{1,2})(?![\d.\-]|\s*[万亿%元])"), (1, 2)),
    # bare labels: "二", "第二", "3"
    (re.compile(rf"^\s*第?\s*({_CNN})\s*[、.]?\s*$"), (1, None)),
    (re.compile(r"^\s*(\d{1,2})\s*$"), (1, None)),
]


def _num(s: str | None) -> int | None:
    return cn_to_int(s) if s else None


def _cn_ref(q: str) -> Ref | None:
    """第2部分第3条, 第三部分的第一项, 第二部分（三）, 第二部分最后一条, 倒数第二部分, 最后一部分的第一条."""
    for m in _CN_SEC_ITEM.finditer(q):
        g = m.groupdict()
        if g["s"]:
            sec = _num(g["s"])
        elif g["slast"]:
            sec = -1
        else:
            back = _num(g["sback"])
            sec = -back if back else None
        if not sec:
            continue
        item: int | None = None
        if g["i"] or g["ip"] or g["iw"]:
            item = _num(g["i"] or g["ip"] or g["iw"])
        elif g["ilast"]:
            item = -1
        elif g["iback"]:
            back = _num(g["iback"])
            item = -back if back else None
        # 第四部分（一） names item (一) by its label, as 四（一） does: an id, not a count
        return Ref(section=sec, item=item, text=m.group(0).strip(), counted=not g["ip"])
    return None


def _en_last(q: str) -> Ref | None:
    m = _EN_SEC_LAST.search(q)
    if not m:
        return None
    g = m.groupdict()
    if g["slast2"]:
        return Ref(section=-1, item=None, text=m.group(0).strip())
    sec = -1 if g["slast"] else _num(g["s"])
    if not sec:
        return None
    return Ref(section=sec, item=-1, text=m.group(0).strip())


def find_ref(q: str) -> Ref | None:
    """The first structural reference in a normalised question, or None."""
    ref = _en_last(q)
    if ref is not None:
        return ref
    for k, (pat, (si, ii)) in enumerate(_PATTERNS):
        if k == 5:  # Chinese 第…部分 forms take precedence over 二（三） and 3.2 inside them
            ref = _cn_ref(q)
            if ref is not None:
                return ref
        m = pat.search(q)
        if not m:
            continue
        groups = m.groups()
        sec = cn_to_int(groups[si - 1]) if groups[si - 1] else None
        if sec is None:
            continue
        item = None
        if ii == 0:  # the first non-empty group after the section number
            for g in groups[si:]:
                if g:
                    item = cn_to_int(g)
                    break
        elif ii is not None and groups[ii - 1]:
            item = cn_to_int(groups[ii - 1])
        # ids: 二（三）, 3.2, 3-2 (k >= 5) and section 2.3 (k == 3 with its dotted number)
        counted = k < 5 and not (k == 3 and groups[1])
        return Ref(section=sec, item=item, text=m.group(0).strip(), counted=counted)
    return _cn_ref(q)
