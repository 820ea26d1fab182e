"""Questions about the bot's own data rather than the document: recognised here, answered by the
caller from its data (the knowledge layer has none).

    detect("填报截止是哪天")        -> Intent("deadline", …)
    detect("表彰大会什么时候开")    -> Intent("events", words=("表彰大会",), rest="表彰大会")
    detect("怎么填报进度")          -> Intent("howto_checkin", …)
    detect("怎么绑定单位")          -> Intent("howto_bind", …)
    detect("光荣牌怎么挂")          -> None

Kinds:

* ``deadline`` — when the period's check-in (进度填报) is due: 截止, 最晚, 什么时候交/报, deadline;
* ``events`` — when an event takes place: 什么时候开 / 哪天举行 / 几号召开 / when is … with the
  event's words in ``words`` (to match an event title; English words come with their Chinese
  glossary translation); or which events are coming (最近有什么活动, upcoming events: no words);
* ``howto_checkin`` — how to report progress: 怎么填报, 如何上报进度, how do I report;
* ``howto_bind`` — how to join one's unit: 怎么绑定, 邀请码, 如何加入单位, how do I register.

``rest`` is the question without the intent's words (ask the document with it, to quote a clause
beside the data). Only the shapes of questions are used, never a list of questions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .textnorm import clean, normalize

_WHEN = r"(?:什么时候|啥时候|何时|哪天|哪一天|几号|几月几[号日]|几点钟?|几时|什么日子|什么时间|多会儿|时间是|日期是|时间|日期)"
# reporting progress to the county office: the bot's check-in (a document question may say 报告 or
# 情况 about anything: 如何报告军人家属的困难情况 is a question for the document, not a how-to)
_REPORT = r"(?:填报|上报|报送|提交|登记)"
_REPORT_LOOSE = r"(?:填报|上报|报送|提交|登记|汇报|报告|填写|报|交)"
_PROGRESS = r"(?:进度|进展|工作进度|工作情况|落实情况|完成情况|月报|季报)"
_HOW = r"(?:怎么|怎样|如何|咋|在哪里?|在哪儿|去哪里?|哪里|用什么|通过什么|步骤|流程|方法)"
# what one binds or joins: one's unit, this bot (加入民兵组织 or 优待证怎么注册 are not about the bot)
_UNIT = r"(?:单位|乡镇|街道|机器人|助手|本系统|系统|账号|帐号)"

_DEADLINE = [
    # 填报截止是哪天 / 进度最晚什么时候交 / 截止日期: a deadline word with the reporting around it, or
    # a short question that is nothing but the deadline (证件过期, 有效期限 are not: no such word here)
    re.compile(rf"(?:{_REPORT_LOOSE}|{_PROGRESS}).{{0,8}}(?:截[止至]|最晚|最迟)|(?:截[止至]|最晚|最迟).{{0,8}}"
               rf"(?:{_REPORT_LOOSE}|{_PROGRESS})"),
    re.compile(r"^(?:本期|这期|本月|这个月|个?月|本季度?|这季度|季度|下期|下个?月)?\s*(?:的)?\s*截[止至](?:日期|时间|日)?\s*(?:是)?\s*"
               rf"(?:{_WHEN}|几号|哪天)?\s*$"),
    re.compile(r"deadline|\bdue\b"),
    re.compile(rf"{_WHEN}\s*(?:之前|以前|前)?\s*(?:要|得|需要|必须|应该|应当)?\s*(?:交|报|{_REPORT})"
               rf"\s*(?:{_PROGRESS}|$)"),
    re.compile(rf"(?:交|{_REPORT})\s*(?:{_PROGRESS})?\s*(?:要|得)?\s*(?:在)?\s*{_WHEN}"),
    re.compile(r"when\s+(?:is|are|do|should|must)\s+(?:i\s+|we\s+)?(?:the\s+)?(?:report|check-?in|progress)"),
]
_EVENT_VERB = r"(?:召开|开会|开|举行|举办|进行|开始|办|搞)"
_EVENTS = [
    # 表彰大会什么时候开 / 座谈会哪天举行 / 慰问活动几号开始
    re.compile(rf"^(?P<what>.+?)\s*(?:是|在|定在|安排在)?\s*{_WHEN}\s*(?:{_EVENT_VERB})?"),
    # 什么时候开表彰大会 / 哪天召开座谈会
    re.compile(rf"{_WHEN}\s*{_EVENT_VERB}\s*(?P<what>.+)$"),
    # when is the commendation meeting
    re.compile(r"^when\s+(?:is|are|will|does|do)\s+(?:the\s+)?(?P<what>.+?)(?:\s+(?:be\s+)?(?:held|take place|start|begin|open))?\s*\??$"),
    re.compile(r"^what\s+(?:date|day|time)\s+is\s+(?:the\s+)?(?P<what>.+?)\s*\??$"),
]
# words that make a "when" question an event: a gathering, not the document or a deadline
_EVENT_NOUN = re.compile(r"会|活动|典礼|仪式|慰问|表彰|座谈|培训|演练|比赛|竞赛|展览|讲座|走访|纪念|"
                         r"meeting|conference|ceremony|event|visit|training|drill|exercise|celebration|commendation")
# 最近有什么活动 / 近期有哪些会议安排 / upcoming events: the list, no particular event
_EVENT_LIST = [
    re.compile(r"(?:最近|近期|近来|接下来|下周|下个月|本月|这个月|本周|这周|今后|未来)\s*(?:都|还)?\s*(?:有|安排了?)\s*"
               r"(?:什么|哪些|啥|几个)?\s*(?:活动|会议|会|安排|日程)"),
    re.compile(r"(?:活动|会议)\s*(?:安排|日程|计划)\s*(?:有哪些|是什么|有什么)?$"),
    re.compile(r"\b(?:upcoming|next|coming)\s+(?:events?|meetings?|activities)|\bwhat\s+events\b"),
]
_CHECKIN = [
    re.compile(rf"^(?:我要|我想|要)?\s*{_REPORT}\s*(?:工作)?\s*{_PROGRESS}?$"),  # 填报 / 我要填报进度, alone
    re.compile(rf"{_HOW}\s*(?:去|来|才能|可以|能)?\s*{_REPORT}\s*(?:工作)?\s*(?:{_PROGRESS}|$)"),
    re.compile(rf"{_HOW}\s*(?:去|来|才能|可以|能)?\s*{_REPORT_LOOSE}\s*(?:工作)?\s*{_PROGRESS}"),
    re.compile(rf"{_REPORT}\s*(?:工作)?\s*{_PROGRESS}?\s*(?:要|得|应该)?\s*{_HOW}"),
    re.compile(rf"{_PROGRESS}\s*(?:要|得)?\s*{_HOW}\s*(?:{_REPORT_LOOSE})"),
    re.compile(r"how\s+(?:do|can|should)\s+(?:i|we)\s+(?:report|check\s*-?\s*in|submit)"),
]
_BIND = [
    re.compile(rf"{_HOW}\s*(?:才能|可以|能)?\s*(?:绑定|关联)"),
    re.compile(rf"{_HOW}\s*(?:才能|可以|能)?\s*(?:加入|注册|认证|登录|进入)\s*(?:我的|本|我们的?)?\s*{_UNIT}"),
    re.compile(rf"(?:绑定|关联)\s*(?:我的|本|我们的?)?\s*{_UNIT}|(?:加入|进入)\s*(?:我的|本|我们的?)\s*单位"
               r"|邀请码|邀请链接|invite\s*(?:code|link)"),
    re.compile(r"绑定\s*(?:要|得)?\s*" + _HOW),
    re.compile(rf"(?:联络员|成员单位|{_UNIT}).{{0,8}}{_HOW}\s*(?:才能|可以|能)?\s*(?:注册|加入|登录|绑定)\s*$"),
    re.compile(r"how\s+(?:do|can)\s+(?:i|we)\s+(?:bind|join|register|link)\s+(?:to\s+)?(?:my|our|the)\s+(?:unit|bot)"),
]
_FILLER = re.compile(r"^(?:请问|请|问一下|想问|想知道|我想知道|您好|你好|那个|这个)+|[?？!！。,，\s]+$")


@dataclass(frozen=True)
class Intent:
    """``kind``: 'deadline' | 'events' | 'howto_checkin' | 'howto_bind'; ``words``: for
    'events', the words naming the event (Chinese, English glossary words translated);
    ``rest``: the question without the intent's words."""

    kind: str
    words: tuple[str, ...] = ()
    rest: str = ""


def _without(q: str, m: re.Match[str]) -> str:
    return " ".join((q[:m.start()] + " " + q[m.end():]).split())


def _event_words(what: str) -> tuple[str, ...]:
    what = _FILLER.sub("", what).strip()
    if not what:
        return ()
    if re.search(r"[a-z]", what):
        from .resources import glossary, match_glossary

        gl = glossary()
        words: list[str] = []
        for phrase, _a, _b in match_glossary(what):
            words += [t for t, _w in gl[phrase]]
        return tuple(dict.fromkeys(words)) or tuple(w for w in what.split() if len(w) > 3)
    return (what,)


@lru_cache(maxsize=2048)  # a pure function of the text, an immutable answer: the same question costs once
def detect(question: str) -> Intent | None:
    """The intent of a question about the bot's own data, or None (a question for the document)."""
    q = normalize(clean(str(question))[:500])
    q = _FILLER.sub("", q)
    if not q:
        return None
    # the first kind whose pattern matches, in this order; the rest of the question may still
    # name a clause
    for kind, patterns in (("howto_bind", _BIND), ("deadline", _DEADLINE), ("howto_checkin", _CHECKIN),
                           ("events", _EVENT_LIST)):
        for pat in patterns:
            if m := pat.search(q):
                return Intent(kind, rest=_without(q, m))
    for pat in _EVENTS:
        m = pat.search(q)
        if m and _EVENT_NOUN.search(m.group("what") or ""):
            words = _event_words(m.group("what"))
            if words:
                return Intent("events", words=words, rest=" ".join(words) if q.isascii() else m.group("what"))
    return None
