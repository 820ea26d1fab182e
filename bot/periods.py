"""Check-in periods: monthly ``2026-11`` or quarterly ``2026-Q4``, and their deadlines; periods as
people type them (``十一月``, ``上个月``, ``2026年第四季度``) resolved against today."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
# typed forms, after NFKC (full-width digits, "－", "／", "Ｑ" become ASCII) and with spaces removed
_TYPED_MONTH = re.compile(r"^(?:(\d{4})(?:[-/.]|年))?(\d{1,2})(?:月份?)?$")
_TYPED_QUARTER = re.compile(r"^(?:(\d{4})(?:[-/.]|年)?)?(?:Q|第)([1-4一二三四])(?:季度?)?$", re.IGNORECASE)
_CN_DIGIT = {"一": 1, "二": 2, "三": 3, "四": 4}
# years a period may name: no 双拥 check-in period before 2000 ("0000-01" is a typo, not a period,
# and used to reach date(0, 1, 25)), and a year past 2099 is a typo too
YEARS = range(2000, 2100)
FIRST_YEAR = YEARS.start
_NUM = r"(\d{1,2}|[一二三四五六七八九十]{1,3})"
_YEAR = r"(\d{4}|[〇零○一二三四五六七八九]{4})"
_ANY_MONTH = re.compile(rf"^(?:{_YEAR}(?:[-/.]|年))?{_NUM}(?:月份?)?$")
_ANY_QUARTER = re.compile(rf"^(?:{_YEAR}(?:[-/.]|年)?)?(?:Q|第)?([1-4一二三四])(?:季度?)?$", re.IGNORECASE)
_REL = re.compile(r"^(本|这个?|這個?|当|當|上上个?|上一?个?|上一?個?|下一?个?|下一?個?)(月|季度?)(?:份)?$")
_YEAR_WORD = re.compile(r"^(今年|去年|前年|明年)(?:的)?(?=.)")
_YEAR_WORDS = {"今年": 0, "去年": -1, "前年": -2, "明年": 1}
_REL_STEP = {"本": 0, "这": 0, "這": 0, "当": 0, "當": 0, "上上": -2, "上": -1, "上一": -1, "下": 1, "下一": 1}


def period_of(moment: datetime, kind: str, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz)
    if kind == "quarterly":
        return f"{local.year}-Q{(local.month - 1) // 3 + 1}"
    return f"{local.year}-{local.month:02d}"


def parse_period(text: str, kind: str, today: date) -> str | None:
    """A period as people type it -> canonical ``2026-11`` / ``2026-Q4``, or None.

    ``2026-11``, ``2026/11``, ``２０２６－１１``, ``2026年11月(份)``, ``2026-Q4``, Chinese numerals (``十一月``,
    ``二〇二六年十一月``), ``本月/这个月/上个月/上上个月/下个月``, ``去年12月/今年三季度``, ``本季度/上季度/四季度/第四季度/Q4``.
    A month or quarter without a year is the most recent one not after ``today`` (in January,
    ``十一月`` is last November). Years from :data:`FIRST_YEAR` to next year. With quarterly
    periods a month names its quarter; with monthly periods a quarter is not one period (None)."""
    from bot.dates import cn_int, normalise

    t = "".join(normalise(text).split())
    if m := _YEAR_WORD.match(t):  # 去年12月, 今年第三季度: the year by its name
        t = f"{today.year + _YEAR_WORDS[m.group(1)]}年{t[m.end():]}"
    if m := _REL.match(t):
        step = _REL_STEP[m.group(1).rstrip("个個")]
        if m.group(2) == "月":
            index = today.year * 12 + today.month - 1 + step
            y, month = divmod(index, 12)
            return _month_period(y, month + 1, kind)
        if kind != "quarterly":
            return None
        index = today.year * 4 + (today.month - 1) // 3 + step
        y, q = divmod(index, 4)
        return f"{y}-Q{q + 1}"
    if (m := _ANY_MONTH.match(t)) and (m.group(1) is not None or "月" in t):
        month = cn_int(m.group(2))
        if month is None or not 1 <= month <= 12:
            return None
        if m.group(1) is None:
            y = today.year if month <= today.month else today.year - 1
        else:
            y = cn_int(m.group(1)) or 0
        return _month_period(y, month, kind) if FIRST_YEAR <= y <= today.year + 1 else None
    if m := _ANY_QUARTER.match(t):
        if kind != "quarterly" or not ("季" in t or "Q" in t.upper()):
            return None
        q = cn_int(m.group(2)) or 0
        if m.group(1) is None:
            y = today.year if q <= (today.month - 1) // 3 + 1 else today.year - 1
        else:
            y = cn_int(m.group(1)) or 0
        return f"{y}-Q{q}" if FIRST_YEAR <= y <= today.year + 1 else None
    return None


def _month_period(year: int, month: int, kind: str) -> str:
    if kind == "quarterly":
        return f"{year}-Q{(month - 1) // 3 + 1}"
    return f"{year}-{month:02d}"


def last_month(period: str) -> tuple[int, int]:
    if m := _QUARTER.match(period):
        return int(m.group(1)), int(m.group(2)) * 3
    m = _MONTH.match(period)
    if not m:
        raise ValueError(f"not a period: {period!r}")
    return int(m.group(1)), int(m.group(2))


def deadline_of(period: str, day: int, tz: ZoneInfo) -> datetime:
    """The moment a period's reports are due: the end (23:59) of ``day`` in its last month."""
    year, month = last_month(period)
    return datetime.combine(date(year, month, day), time(23, 59), tzinfo=tz)


def deadline_pushes(period: str, day: int, tz: ZoneInfo) -> list[tuple[str, datetime]]:
    """(kind, when) of the period's pushes: 3 and 1 days before the deadline day, and a digest the
    day after, each at 09:00 local time."""
    due = deadline_of(period, day, tz).date()
    at9 = lambda d: datetime.combine(d, time(9, 0), tzinfo=tz)  # noqa: E731
    return [
        ("d3", at9(due - timedelta(days=3))),
        ("d1", at9(due - timedelta(days=1))),
        ("digest", at9(due + timedelta(days=1))),
    ]
