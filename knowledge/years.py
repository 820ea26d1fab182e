"""The plan year a question names: 「2020年的第二部分」, 「2020年要点里光荣牌怎么说」,
"in the 2020 plan", 「〔2020〕3号文件」. Works on raw or normalised text."""

from __future__ import annotations

import re
import unicodedata

_CN_DIGIT = {"〇": "0", "零": "0", "○": "0", "一": "1", "二": "2", "三": "3", "四": "4", "五": "5",
             "六": "6", "七": "7", "八": "8", "九": "9"}
_Y = r"((?:19|20)\d{2}|二[〇零○][〇零○一二三四五六七八九]{2})"
_PLAN_CN = r"(?:双拥)?(?:工作)?(?:要点|文件|方案|计划|通知|版本?|那份|那个|的那份)"
_JOIN_CN = r"(?:里面的|里的|中的|里面|里|中|的)"
_PATTERNS = [
    # 〔2020〕3号(文件)
    re.compile(rf"[〔\[［(（]\s*{_Y}\s*[〕\]］)）]\s*\d{{1,4}}\s*号\s*(?:文件|文)?\s*{_JOIN_CN}?"),
    # 2020年(度)(的)(双拥工作)要点(里) / 2020年的… / 2020版
    re.compile(rf"(?<!\d){_Y}\s*(?:年度?|版)\s*(?:的\s*)?(?:{_PLAN_CN})?\s*{_JOIN_CN}?(?![月号日])"),
    # English: in the 2020 plan / 2020 work points / the plan of 2020 / plan 2020
    re.compile(rf"(?:(?:in|from|of)\s+)?(?:the\s+)?{_Y}(?:'s)?\s+(?:plan|document|work\s*points?|version|notice)",
               re.IGNORECASE),
    re.compile(rf"(?:(?:in|from)\s+)?the\s+(?:plan|document|work\s*points?)\s+(?:of|for|from)\s+{_Y}",
               re.IGNORECASE),
    re.compile(rf"\b(?:plan|year)\s+{_Y}\b", re.IGNORECASE),
]
# 2020年 followed by these is a date or a statement about the year, not the name of a plan
_NOT_A_PLAN = re.compile(r"^\s*(?:\d|[〇零一二三四五六七八九十]+\s*月|是|底|初|末|前|后|以来|以前|以后|上半年|下半年)")


def _to_int(y: str) -> int:
    return int("".join(_CN_DIGIT.get(c, c) for c in y))


def find_year(question: str) -> tuple[int | None, str]:
    """``(year, question without the year phrase)``; ``(None, question)`` when no plan year is
    named. A date (2020年6月8日) or a statement (2020年是…) is not a plan year."""
    q = unicodedata.normalize("NFKC", question)
    for pat in _PATTERNS:
        for m in pat.finditer(q):
            if _NOT_A_PLAN.match(q[m.end():]) and not re.search(r"(要点|文件|方案|计划|通知|plan|document)", m.group(0)):
                continue
            rest = (q[:m.start()] + " " + q[m.end():]).strip()
            rest = re.sub(r"^[\s,，、:：的]+", "", " ".join(rest.split()))
            return _to_int(m.group(1)), rest
    return None, question
