"""Check-in periods: monthly ``2026-11`` or quarterly ``2026-Q4``, and their deadlines."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
# typed forms, after NFKC (full-width digits, "－", "／", "Ｑ" become ASCII) and with spaces removed
_TYPED_MONTH = re.compile(r"^(?:(\d{4})(?:[-/.]|年))?(\d{1,2})(?:月份?)?$")
_TYPED_QUARTER = re.compile(r"^(?:(\d{4})(?:[-/.]|年)?)?(?:Q|第)([1-4一二三四])(?:季度?)?$", re.IGNORECASE)
_CN_DIGIT = {"一": 1, "二": 2, "三": 3, "四": 4}
# years a period may name: the bot's records start long after 2000, and a year past 2099 is a typo
# (``0000-01`` used to reach date(0, 1, 25) and end in 出了点问题)
YEARS = range(2000, 2100)


def period_of(moment: datetime, kind: str, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz)
    if kind == "quarterly":
        return f"{local.year}-Q{(local.month - 1) // 3 + 1}"
    return f"{local.year}-{local.month:02d}"


def normalise_period(text: str, kind: str, year: int | None = None) -> str | None:
    """``2026-11``, ``2026-1``, ``２０２６－１１``, ``2026年11月(份)``, ``2026/11``, ``2026-Q4``,
    ``2026年第四季度`` -> canonical form, or None when not a period of this ``kind``.

    ``11月`` (month only) and ``第四季度`` / ``Q4`` (quarter only) need ``year``, the current year.
    A month with quarterly periods becomes its quarter; a quarter with monthly periods is refused
    (it is not one period)."""
    t = "".join(unicodedata.normalize("NFKC", text).split())
    if m := _TYPED_MONTH.match(t):
        y, month = m.group(1), int(m.group(2))
        if y is None and (year is None or "月" not in t):  # a bare "11" is not a period
            return None
        y_int = int(y) if y is not None else year
        if not 1 <= month <= 12 or y_int is None or y_int not in YEARS:
            return None
        if kind == "quarterly":
            return f"{y_int}-Q{(month - 1) // 3 + 1}"
        return f"{y_int}-{month:02d}"
    if m := _TYPED_QUARTER.match(t):
        if kind != "quarterly":
            return None
        y = m.group(1)
        if y is None and year is None:
            return None
        q = m.group(2)
        y_int = int(y) if y is not None else year
        if y_int not in YEARS:
            return None
        return f"{y_int}-Q{_CN_DIGIT.get(q) or int(q)}"
    return None


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
