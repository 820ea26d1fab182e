"""Dates and times as a Chinese office types them, resolved against "now" in BOT_TIMEZONE.

Telegram-free and database-free: ``resolve(text, now=…, tz=…)`` reads a date and time at the start
of ``text`` (or, failing that, at its end) and returns a :class:`When` (an aware datetime in ``tz``,
the rest of the text as the title, and what had to be assumed) or raises
:class:`bot.errors.DateError` carrying the reason and the values involved.

Forms (after NFKC, so full-width digits and punctuation count as ASCII):

- absolute: ``2026-12-20 09:30``, ``2026/12/20 9:30``, ``2026.12.20``, ``2026-12-20T09:30``,
  ``2026年12月20日 9点半``, ``二〇二六年十二月二十日``; a weekday in brackets after a date
  (``2026年12月20日（周日）``, the bot's own echo, or ``2026年12月20日星期日``) is checked against the date;
- month-day without a year: ``12月20日``, ``12月20号``, ``12/20``, ``12-20``, ``12.20``, ``十二月二十日``
  = the next such date (today's date counts as this year's while its time is still ahead);
  a day of the month alone, ``20号``, is the next such day;
- relative: ``今天/今日/明天/明日/后天/后日/大后天`` (``今晚/明晚/今早/明早`` too), ``本月25号/下个月5号``
  (that month's day; never rolled on when past), ``本周五/这周五`` (this Monday-to-Sunday
  week), ``下周五/下星期五/下个礼拜五``, ``下下周一``, and a bare ``周五/星期五/礼拜五`` = the next one
  (today counts while the time is still ahead);
- times: ``9:30``, ``9：30``, ``15时``, ``3点``, ``3点半``, ``3点15分``, ``3点一刻``, ``9点整``, Chinese
  numerals (``三点``, ``三点四十五``), after a part of day ``上午/早上/早晨/凌晨/中午/下午/午后/傍晚/晚上/夜里``
  (``早9点``, ``晚7点``), am/pm (``PM3``, ``3:30pm``); the end of a range (``下午3点半到5点``, ``9:30-11:30``) is read and dropped.

Decisions (documented for users in the help texts):

- a date with no time at all means :data:`DEFAULT_TIME` (09:00); ``assumed`` says so, so the
  echo can show it and a preview asks to confirm;
- an hour from 1 to 6 written without 上午/下午 and without a leading zero (``3点``, ``3:30``) is
  ambiguous in an office (03:00 or 15:00?) and refused with the two readings; ``03:30`` and
  ``15:30`` are not ambiguous;
- a part of day without an hour (``明天下午``) is refused, except ``中午`` (12:00);
- a time alone (``下午3点``) is today's; 本周X already past is refused, never rolled to next week.

Why our own rules rather than a library: benchmarks/bench_dates.py measures the candidates on the
50 forms in tests/data/date_forms.tsv. The best, jionlp's ``parse_time``, gets most forms but
reads ``1月5日`` in December as last January, ``明天3点`` as 03:00, returns no trace of what it
assumed (needed to decide between adding at once and asking to confirm), prints a banner on
stdout at import (our CLI prints JSON on stdout) and installs 200 MB; dateparser reads few
Chinese forms. Rules of a page each, tested on every form, cost nothing to import.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.errors import DateError
from knowledge.numerals import cn_to_int

DEFAULT_TIME = time(9, 0)
MAX_YEARS = 2  # a date further ahead than this many calendar years is a typo
WEEKDAYS = "一二三四五六日"

# --- numerals ------------------------------------------------------------------------------------

_NUM = r"(?:\d{1,2}|[〇零一二两兩三四五六七八九十]{1,3})"  # 0-99 in digits or Chinese numerals
_YEAR = r"(?:\d{4}|[〇零○一二三四五六七八九]{4})"


def cn_int(text: str) -> int | None:
    """``"20"``, ``"二十"``, ``"三十一"``, ``"二〇二六"`` -> int (years read digit by digit); None if
    not a numeral. knowledge.numerals.cn_to_int, the project's one numeral reader."""
    return cn_to_int(text, positional=True)


# --- the grammar ---------------------------------------------------------------------------------
# Each piece is matched where the previous one ended, with optional spaces between.

_SP = re.compile(r"[\s,，]*")
_T = re.compile(r"[Tt](?=\d)")
_YMD = re.compile(rf"(?P<y>{_YEAR})\s*(?:年\s*|[-/.](?=\s*\d))(?P<m>{_NUM})\s*(?:月\s*|[-/.](?=\s*\d))"
                  rf"(?P<d>{_NUM})(?!\d)\s*[日号號]?")
_MD = re.compile(rf"(?P<m>{_NUM})\s*月\s*(?P<d>{_NUM})\s*[日号號]|(?P<m2>\d{{1,2}})\s*[-/.]\s*(?P<d2>\d{{1,2}})(?![\d:：.])")
_DAY_OF_MONTH = re.compile(rf"(?P<d>{_NUM})\s*[号號]|(?P<d2>\d{{1,2}})\s*日(?!\d)")
_RELATIVE = re.compile(r"(?P<rel>大后天|大後天|今天|今日|今晚|今早|明天|明日|明晚|明早|后天|後天|后日|後日"
                       r"|昨天|昨日|昨晚|前天)")
_REL_DAYS = {"今天": 0, "今日": 0, "今晚": 0, "今早": 0, "明天": 1, "明日": 1, "明晚": 1, "明早": 1,
             "后天": 2, "後天": 2, "后日": 2, "後日": 2, "大后天": 3, "大後天": 3, "昨天": -1, "昨日": -1,
             "昨晚": -1, "前天": -2}
# 本月25号, 这个月25日, 下个月5号, 下下月1日: a day of this or a following month
_MONTH_REL = re.compile(rf"(?P<which>下下个?|下下個?|下个?|下個?|本|这个?|這個?)\s*月(?:份)?\s*(?P<d>{_NUM})\s*[日号號]")
_WEEK = r"(?:周|週|星期|礼拜|禮拜)"
_WEEKDAY = re.compile(rf"(?P<which>下下个?|下下個?|下个?|下個?|本|这个?|這個?|上个?|上個?)?\s*{_WEEK}\s*"
                      r"(?P<w>[一二三四五六日天1-7])")
# a weekday after a date, in brackets (the bot's own echo) or not (「2026年12月20日星期日」): checked
_BRACKET_WEEKDAY = re.compile(rf"[(（]\s*{_WEEK}(?P<w>[一二三四五六日天1-7])\s*[)）]"
                              rf"|{_WEEK}(?P<w2>[一二三四五六日天1-7])")
_PART = re.compile(r"(?P<part>上午|早上|早晨|清晨|凌晨|中午|下午|午后|傍晚|晚上|夜里|夜间|晚间"
                   rf"|[早晚](?=\s*(?:{_NUM}\s*[点點时時]|\d{{1,2}}\s*[:：])))")
# the short and other names of a part of day, read as the one the rules below know
_PART_ALIAS = {"早": "早上", "晚": "晚上", "午后": "下午"}
_CLOCK = re.compile(r"(?P<h>\d{1,2})\s*[:：]\s*(?P<mi>\d{2})(?!\d)")
_DOT_CLOCK = re.compile(r"(?P<h>\d{1,2})\.(?P<mi>\d{2})(?![\d.])")
_HOUR = re.compile(rf"(?P<h>{_NUM})\s*[点點时時](?:\s*(?:(?P<half>半)|(?P<q1>一刻)|(?P<q3>三刻)|(?P<whole>整)"
                   rf"|(?P<mi>{_NUM})\s*分(?:钟)?|(?P<mi2>\d{{1,2}})(?![\d号號日月])"
                   r"|(?P<mi3>[一二三四五]?十[一二三四五六七八九]?|[零〇][一二三四五六七八九])"
                   r"(?![〇零一二两兩三四五六七八九十号號日月个個人楼樓层層天周年]))|(?![\d]))")
# the end of a range after the start time (「下午3点半到5点」, 「9:30-11:30」): read and left out of the
# title; an event has one start time, which is what the echo shows
_UNTIL = re.compile(rf"(?:到|至|[-~—～])\s*(?:上午|下午|中午|晚上)?\s*(?:\d{{1,2}}\s*[:：]\s*\d{{2}}(?!\d)"
                    rf"|{_NUM}\s*[点點时時](?:\s*(?:半|一刻|三刻|整|{_NUM}\s*分(?:钟)?|\d{{1,2}}(?![\d号號日月])))?)")
# English am/pm as office software and phones write it: 「PM3」「3pm」「3:30 PM」「a.m. 9」
_AMPM = re.compile(r"(?i)(?:(?P<p1>[ap]\.?m\.?)\s*(?P<h1>\d{1,2})(?:\s*[:：]\s*(?P<m1>\d{2}))?(?!\d)"
                   r"|(?P<h2>\d{1,2})(?:\s*[:：]\s*(?P<m2>\d{2}))?\s*(?P<p2>[ap]\.?m\.?)(?![a-z]))")
# the last day of a several-day event after its first (「12月20日-21日」「12月20日至12月22日」): read
# and left out of the title; reminders count from the first day, and the echo says so
_DATE_UNTIL = re.compile(rf"(?:到|至|[-~—～])\s*(?:\d{{4}}\s*年\s*)?(?:{_NUM}\s*月\s*)?{_NUM}\s*[日号號]")
_BOUNDARY = re.compile(r"[\s,，、:：;；\-—]")
_LEAD = re.compile(r"^[\s,，、:：;；\-—]+")


@dataclass(frozen=True)
class When:
    """A resolved date and time.

    ``at``: aware datetime in the bot's timezone. ``rest``: the text left after the date and
    time (the title), spaces collapsed. ``typed``: the date and time as written. ``assumed``:
    what was not written and had to be inferred, any of ``"year"`` (a month-day or day without a
    year), ``"relative"`` (counted from today: 明天, 下周五, a time alone), ``"time"``
    (no time written: :data:`DEFAULT_TIME`), ``"first_day"`` (a several-day event, 12月20日-21日:
    its first day is the one scheduled). Empty means fully explicit."""

    at: datetime
    rest: str
    typed: str
    assumed: tuple[str, ...] = ()

    @property
    def explicit(self) -> bool:
        """Year, month, day and time all written out: nothing inferred."""
        return not self.assumed


@dataclass
class _Parsed:
    """What was read, before it is resolved against now."""

    start: int = 0
    end: int = 0
    kind: str | None = None  # ymd | md | dom | mrel | rel | weekday | None (time alone)
    y: int | None = None
    m: int | None = None
    d: int | None = None
    rel: int = 0
    week: int = 0  # weeks ahead for 本/下/下下 (0, 1, 2; -1 for 上); months ahead for 本月/下个月
    bare_weekday: bool = False
    weekday: int | None = None  # 0 = Monday
    check_weekday: int | None = None  # a weekday in brackets after a date
    part: str | None = None
    hour: int | None = None
    minute: int = 0
    leading_zero: bool = False
    colon: bool = False
    several_days: bool = False  # a last day was written after the first (「12月20日-21日」)


def _match(rx: re.Pattern[str], text: str, pos: int) -> re.Match[str] | None:
    return rx.match(text, _SP.match(text, pos).end())  # type: ignore[union-attr]


def _weekday_index(ch: str) -> int:
    if ch in "日天7":
        return 6
    if ch.isdigit():
        return int(ch) - 1
    return WEEKDAYS.index(ch)


def _read(text: str, pos: int) -> _Parsed | None:
    """Read date, part of day and time starting at ``pos``; None when nothing of a date is there."""
    p = _Parsed(start=pos, end=pos)
    cur = pos
    if m := _match(_YMD, text, cur):
        y, mo, d = cn_int(m["y"]), cn_int(m["m"]), cn_int(m["d"])
        if y is None or mo is None or d is None:
            return None
        p.kind, p.y, p.m, p.d, cur = "ymd", y, mo, d, m.end()
    elif m := _match(_MD, text, cur):
        mo, d = cn_int(m["m"] or m["m2"]), cn_int(m["d"] or m["d2"])
        if mo is None or d is None:
            return None
        p.kind, p.m, p.d, cur = "md", mo, d, m.end()
    elif m := _match(_MONTH_REL, text, cur):
        d = cn_int(m["d"])
        if d is None:
            return None
        which = m["which"].rstrip("个個")
        p.kind, p.d, cur = "mrel", d, m.end()
        p.week = {"下下": 2, "下": 1, "本": 0, "这": 0, "這": 0}[which]  # months ahead
    elif m := _match(_RELATIVE, text, cur):
        p.kind, p.rel, cur = "rel", _REL_DAYS[m["rel"]], m.end()
        if m["rel"].endswith("晚"):
            p.part = "晚上"
        elif m["rel"].endswith("早"):
            p.part = "早上"
    elif m := _match(_WEEKDAY, text, cur):
        which = (m["which"] or "").rstrip("个個")
        p.kind, p.weekday, cur = "weekday", _weekday_index(m["w"]), m.end()
        if not which:
            p.bare_weekday = True
        else:
            p.week = {"下下": 2, "下": 1, "本": 0, "这": 0, "這": 0, "上": -1}[which]
    elif m := _match(_DAY_OF_MONTH, text, cur):
        d = cn_int(m["d"] or m["d2"])
        if d is None:
            return None
        p.kind, p.d, cur = "dom", d, m.end()
    if p.kind in ("ymd", "md") and (m := _match(_BRACKET_WEEKDAY, text, cur)):
        p.check_weekday, cur = _weekday_index(m["w"] or m["w2"]), m.end()
    if p.kind in ("ymd", "md", "dom") and (m := _match(_DATE_UNTIL, text, cur)):
        p.several_days, cur = True, m.end()
    if p.kind in ("ymd", "md", "dom", "mrel") and (m := _match(_T, text, cur)):
        cur = m.end()
    if p.part is None and (m := _match(_PART, text, cur)):
        p.part, cur = _PART_ALIAS.get(m["part"], m["part"]), m.end()
    if p.part is None and (m := _match(_AMPM, text, cur)):
        p.part = "上午" if (m["p1"] or m["p2"]).lower().startswith("a") else "下午"
        p.hour, p.minute, cur = int(m["h1"] or m["h2"]), int(m["m1"] or m["m2"] or 0), m.end()
    elif m := _match(_CLOCK, text, cur):
        p.hour, p.minute, p.colon, cur = int(m["h"]), int(m["mi"]), True, m.end()
        p.leading_zero = m["h"].startswith("0") or len(m["h"]) == 2
    elif p.kind in ("ymd", "md", "dom", "mrel", "rel", "weekday") and (m := _match(_DOT_CLOCK, text, cur)):
        p.hour, p.minute, p.colon, cur = int(m["h"]), int(m["mi"]), True, m.end()
        p.leading_zero = m["h"].startswith("0") or len(m["h"]) == 2
    elif m := _match(_HOUR, text, cur):
        h = cn_int(m["h"])
        mi_raw = m["mi"] or m["mi2"] or m["mi3"]
        mi = cn_int(mi_raw) if mi_raw else (30 if m["half"] else 15 if m["q1"] else 45 if m["q3"] else 0)
        if h is None or mi is None:
            return None
        p.hour, p.minute, cur = h, mi, m.end()
        p.leading_zero = m["h"].isdigit() and (m["h"].startswith("0") or len(m["h"]) == 2)
    if p.hour is not None and (m := _match(_UNTIL, text, cur)):
        cur = m.end()
    if p.kind is None and p.hour is None and p.part is None:
        return None
    if p.kind == "dom" and p.hour is None and p.part is None and cur < len(text) \
            and not _BOUNDARY.match(text, cur):
        return None  # "3号楼会议" is a title, not the 3rd
    p.end = cur
    return p


def _hour_of_day(p: _Parsed, typed: str) -> tuple[int, int, int]:
    """(hour 0-23, minute, extra days) from the part of day and the hour; raises DateError."""
    part, h, mi = p.part, p.hour, p.minute
    if h is None:
        if part == "中午":
            return 12, 0, 0
        raise DateError("need_hour", typed=typed, part=part)
    if not 0 <= mi <= 59 or h > 24 or (h == 24 and mi):
        raise DateError("no_time", typed=typed, hour=h, minute=mi)
    if part is None:
        if h == 24:
            raise DateError("no_time", typed=typed, hour=h, minute=mi)
        if 1 <= h <= 6 and not p.leading_zero:
            raise DateError("ambiguous", typed=typed, hour=h, minute=mi)
        return h, mi, 0
    if part in ("上午", "早上", "早晨", "清晨"):
        if h > 12:
            raise DateError("no_time", typed=typed, hour=h, minute=mi, part=part)
        return h, mi, 0
    if part == "凌晨":
        if h > 6 and h != 12:
            raise DateError("no_time", typed=typed, hour=h, minute=mi, part=part)
        return (0 if h == 12 else h), mi, 0
    if part == "中午":
        if h in (11, 12):
            return h, mi, 0
        if 1 <= h <= 2:
            return h + 12, mi, 0
        if 13 <= h <= 14:
            return h, mi, 0
        raise DateError("no_time", typed=typed, hour=h, minute=mi, part=part)
    # 下午, 傍晚, 晚上, 夜里 …
    if h == 12 and part in ("晚上", "夜里", "夜间", "晚间"):
        return 0, mi, 1  # 晚上12点 is midnight, the start of the next day
    if 1 <= h <= 11:
        return h + 12, mi, 0
    if h == 12 or 13 <= h <= 23:
        return h, mi, 0
    raise DateError("no_time", typed=typed, hour=h, minute=mi, part=part)


def _valid(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _resolve(p: _Parsed, typed: str, now_local: datetime) -> tuple[datetime, tuple[str, ...]]:
    """A naive local datetime and the assumptions, per the rules in the module docstring."""
    today = now_local.date()
    naive_now = now_local.replace(tzinfo=None)
    assumed: list[str] = []
    time_given = p.hour is not None or p.part == "中午"
    if time_given:
        hh, mi, extra = _hour_of_day(p, typed)
        clock = time(hh, mi)
    else:
        if p.part is not None:
            raise DateError("need_hour", typed=typed, part=p.part)
        clock, extra = DEFAULT_TIME, 0
        assumed.append("time")

    def at(day: date) -> datetime:
        return datetime.combine(day + timedelta(days=extra), clock)

    def ahead(day: date) -> bool:  # today counts while its time (typed or default) is still ahead
        return at(day) > naive_now

    if p.kind == "ymd":
        assert p.y is not None and p.m is not None and p.d is not None
        day = _valid(p.y, p.m, p.d)
        if day is None:
            raise DateError("no_date", typed=typed, year=p.y, month=p.m, day=p.d)
    elif p.kind == "md":
        assert p.m is not None and p.d is not None
        if _valid(2024, p.m, p.d) is None:  # 2024 is a leap year: only impossible dates fail
            raise DateError("no_date", typed=typed, month=p.m, day=p.d)
        day = next(d for y in range(today.year, today.year + 9)
                   if (d := _valid(y, p.m, p.d)) is not None and ahead(d))
        assumed.append("year")
    elif p.kind == "dom":
        assert p.d is not None
        if not 1 <= p.d <= 31:
            raise DateError("no_date", typed=typed, day=p.d)
        y, mo, day = today.year, today.month, today
        for _ in range(13):
            d = _valid(y, mo, p.d)
            if d is not None and ahead(d):
                day = d
                break
            y, mo = (y + 1, 1) if mo == 12 else (y, mo + 1)
        assumed.append("year")
    elif p.kind == "mrel":  # 本月/下个月 X号: that month's day, never rolled on when past
        assert p.d is not None
        y, mo = today.year, today.month + p.week
        y, mo = y + (mo - 1) // 12, (mo - 1) % 12 + 1
        valid = _valid(y, mo, p.d)
        if valid is None:
            raise DateError("no_date", typed=typed, year=y, month=mo, day=p.d)
        day = valid
        assumed.append("relative")
    elif p.kind == "rel":
        day = today + timedelta(days=p.rel)
        assumed.append("relative")
    elif p.kind == "weekday":
        assert p.weekday is not None
        if p.bare_weekday:
            day = today + timedelta(days=(p.weekday - today.weekday()) % 7)
            if not ahead(day):
                day += timedelta(days=7)
        else:
            monday = today - timedelta(days=today.weekday())
            day = monday + timedelta(weeks=p.week, days=p.weekday)
        assumed.append("relative")
    else:  # a time alone: today
        day = today
        assumed.append("relative")
    if p.check_weekday is not None and day.weekday() != p.check_weekday:
        raise DateError("weekday", typed=typed, at=datetime.combine(day, clock), weekday=p.check_weekday)
    if p.several_days:
        assumed.append("first_day")
    return at(day), tuple(dict.fromkeys(assumed))


def years_ahead(moment: datetime, years: int) -> datetime:
    """The same wall-clock moment ``years`` calendar years later (29 February becomes the 28th)."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def _finish(text: str, p: _Parsed, now: datetime, tz: ZoneInfo, max_years: int, rest: str) -> When:
    typed = text[p.start:p.end].strip()
    now_local = now.astimezone(tz)
    naive, assumed = _resolve(p, typed, now_local)
    naive_now = now_local.replace(tzinfo=None)
    if naive <= naive_now:  # compared on the wall clock: year 1 cannot be converted to UTC
        raise DateError("past", typed=typed, at=naive.replace(tzinfo=tz), now=now_local)
    if naive > years_ahead(naive_now, max_years):
        raise DateError("far", typed=typed, at=naive.replace(tzinfo=tz), now=now_local)
    local = naive.replace(tzinfo=tz)
    if local.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive:
        raise DateError("dst_gap", typed=typed, at=local, hour=naive.hour, minute=naive.minute)
    return When(at=local, rest=" ".join(_LEAD.sub("", rest).split()), typed=typed, assumed=assumed)


def normalise(text: str) -> str:
    """NFKC (full-width digits, colons, slashes, spaces become ASCII), control characters dropped."""
    text = unicodedata.normalize("NFKC", text or "")
    return "".join(c for c in text if c in "\n\t" or unicodedata.category(c)[0] != "C")


def resolve(text: str, *, now: datetime, tz: ZoneInfo, max_years: int = MAX_YEARS) -> When:
    """The date and time at the start of ``text`` (else at its end) resolved against ``now``
    (aware) in ``tz``; the rest of the text is ``When.rest``.

    Raises DateError with ``reason``: ``missing`` (no date or time found), ``no_date`` (2月30日),
    ``no_time`` (25:00, 上午15点), ``ambiguous`` (3点 with no 上午/下午), ``need_hour`` (明天下午),
    ``weekday`` (a bracketed weekday that is not the date's), ``past``, ``far`` (more than
    ``max_years`` calendar years ahead), ``dst_gap`` (a wall-clock time that does not exist in ``tz``)."""
    text = normalise(text).strip()
    p = _read(text, 0)
    if p is not None:
        return _finish(text, p, now, tz, max_years, text[p.end:])
    # the title first and the date last: "座谈会 明天下午3点"
    for i in range(1, len(text)):
        p = _read(text, i)
        if p is not None and p.kind is not None and not text[p.end:].strip():
            return _finish(text, p, now, tz, max_years, text[:i])
    raise DateError("missing", typed=text)

