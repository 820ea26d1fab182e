"""The plan year a question names: 「2020年的第二部分」, 「2020年要点里光荣牌怎么说」,
"in the 2020 plan", 「〔2020〕3号文件」. Works on raw or normalised text."""

from __future__ import annotations

import re
import unicodedata

_CN_DIGIT = {"〇": "0", "零": "0", "○": "0", "一": "1", "二": "2", "三": "3", "四": "4", "五": "5",
             "六": "6", "七": "7", "八": "8", "九": "9"}
# 2020, 二〇二〇, and the two mixed as people type them (二0二0)
_Y = r"((?:19|20)\d{2}|[二2][〇零○0][〇零○一二三四五六七八九0-9]{2})"
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
    # a bare year opening the question before a clause reference: 「2020 3.3」, 「2020 第二部分」
    re.compile(rf"^\s*{_Y}(?:\s+|[:：,，、])(?=\s*(?:[0-9一二三四五六七八九十]|第|section|part|item))", re.IGNORECASE),
]
# 去年的要点 / 今年的文件 / 前年要点里…: a year named relative to this one (needs this year)
_RELATIVE = re.compile(rf"(今年|本年|去年|上一?年|前年)\s*(?:度)?\s*(?:的\s*)?(?:{_PLAN_CN})\s*{_JOIN_CN}?")
_RELATIVE_STEP = {"今年": 0, "本年": 0, "去年": -1, "上年": -1, "上一年": -1, "前年": -2}
# 2020年 followed by these is a date or a statement about the year, not the name of a plan
# (2020年3.3 names item 3.3 of the 2020 plan; 2020年3月, 2020年3-5 are dates)
_NOT_A_PLAN = re.compile(r"^\s*(?:\d+(?!\s*[.．]\s*\d)|[〇零一二三四五六七八九十]+\s*月|是|底|初|末|前|后|以来|以前|以后|"
                         r"上半年|下半年)")


def _to_int(y: str) -> int:
    return int("".join(_CN_DIGIT.get(c, c) for c in y))


def find_year(question: str, this_year: int | None = None) -> tuple[int | None, str]:
    """``(year, question without the year phrase)``; ``(None, question)`` when no plan year is
    named. A date (2020年6月8日) or a statement (2020年是…) is not a plan year. With
    ``this_year``, 今年/去年/前年的要点 name a year too (the knowledge layer has no clock)."""
    q = unicodedata.normalize("NFKC", question)
    if this_year is not None and (m := _RELATIVE.search(q)):
        rest = re.sub(r"^[\s,，、:：的]+", "", " ".join((q[:m.start()] + " " + q[m.end():]).split()))
        return this_year + _RELATIVE_STEP[m.group(1)], rest
    for pat in _PATTERNS:
        for m in pat.finditer(q):
            if _NOT_A_PLAN.match(q[m.end():]) and not re.search(r"(要点|文件|方案|计划|通知|plan|document)", m.group(0)):
                continue
            rest = (q[:m.start()] + " " + q[m.end():]).strip()
            rest = re.sub(r"^[\s,，、:：的]+", "", " ".join(rest.split()))
            return _to_int(m.group(1)), rest
    return None, question
