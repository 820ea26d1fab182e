"""Structural references in a question: 第二部分, 第2部分第3条, 二（三）, 3.2, section 2.3,
item 3 of section 1, 第三部分第一项 … Works on the normalised (NFKC, lower-case) question."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .numerals import cn_to_int

_CNN = r"[一二三四五六七八九十两]{1,3}"
_NUM = rf"(\d{{1,3}}|{_CNN})"
_ENN = (r"(\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|first|second|"
        r"third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|1st|2nd|3rd|[4-9]th|10th)")
_SEC_WORD = r"(?:部分|大部分|章|篇|大项|大条|大点|板块|节)"
_ITEM_WORD = r"(?:条|项|点|小项|小条|小点|款|个小标题|个方面|小节)"
_EN_SEC = r"(?:section|part|chapter|sec\.?|§)"
_EN_ITEM = r"(?:item|point|clause|paragraph|para\.?|subsection|article|no\.?)"


@dataclass(frozen=True)
class Ref:
    section: int
    item: int | None
    text: str  # the reference as written (normalised)


_PATTERNS: list[tuple[re.Pattern[str], tuple[int, int | None]]] = [
    # 第一条 of section 2 / 第三项 in part 1
    (re.compile(rf"第\s*{_NUM}\s*{_ITEM_WORD}\s*(?:of|in)\s*(?:the\s+)?{_EN_SEC}\s*{_ENN}"), (2, 1)),
    # item 3 of section 1 / third item in part 2
    (re.compile(rf"{_EN_ITEM}\s*#?\s*{_ENN}\s*(?:of|in|from|under)\s*(?:the\s+)?{_EN_SEC}\s*#?\s*{_ENN}"), (2, 1)),
    (re.compile(rf"(?:the\s+)?{_ENN}\s+{_EN_ITEM}\s*(?:of|in|from|under)\s*(?:the\s+)?{_EN_SEC}\s*#?\s*{_ENN}"), (2, 1)),
    # section 2.3 / section 2 item 3 / part 2, point 3
    (re.compile(rf"{_EN_SEC}\s*#?\s*{_ENN}\s*(?:[.\-]\s*(\d{{1,2}})|,?\s*{_EN_ITEM}\s*#?\s*{_ENN})?"), (1, 0)),
    (re.compile(rf"(?:the\s+)?{_ENN}\s+{_EN_SEC}"), (1, None)),
    # 第2部分第3条 / 第三部分的第一项 / 第二部分（三） / 第二部分3
    (re.compile(rf"第\s*{_NUM}\s*{_SEC_WORD}\s*(?:的|中的|里的|里面的|之|中|里)?\s*"
                rf"(?:第\s*{_NUM}\s*{_ITEM_WORD}?|\(\s*{_NUM}\s*\)|{_NUM}\s*{_ITEM_WORD})?"), (1, 0)),
    # 二（三） / 二、（三） / 二(3)
    (re.compile(rf"(?<![\d一二三四五六七八九十两第])({_CNN})\s*[、.,]?\s*\(\s*{_NUM}\s*\)"), (1, 2)),
    # 3.2 / 3．2 (NFKC) but not 2020.6 or 3.2.1
    (re.compile(r"(?<![\d.])(\d{1,2})\s*\.\s*(\d{1,2})(?![\d.]|\s*[万亿%元])"), (1, 2)),
    # 3-2 (one-digit section), but not a date 2020-6-8 or a phone number 63-12
    (re.compile(r"(?<![\d.\-])(\d)\s*-\s*(\d{1,2})(?![\d.\-]|\s*[万亿%元])"), (1, 2)),
    # bare labels: "二", "第二", "section", "3"
    (re.compile(rf"^\s*第?\s*({_CNN})\s*[、.]?\s*$"), (1, None)),
    (re.compile(r"^\s*(\d{1,2})\s*$"), (1, None)),
]


def find_ref(q: str) -> Ref | None:
    """The first structural reference in a normalised question, or None."""
    for pat, (si, ii) in _PATTERNS:
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
        return Ref(section=sec, item=item, text=m.group(0).strip())
    return None
