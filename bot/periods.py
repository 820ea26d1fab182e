"""Check-in periods: monthly ``2026-11`` or quarterly ``2026-Q4``, and their deadlines."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)


def period_of(moment: datetime, kind: str, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz)
    if kind == "quarterly":
        return f"{local.year}-Q{(local.month - 1) // 3 + 1}"
    return f"{local.year}-{local.month:02d}"


def normalise_period(text: str, kind: str) -> str | None:
    """``2026-11`` / ``2026-1`` / ``2026-Q4`` -> canonical form, or None when not a period."""
    text = text.strip()
    if m := _MONTH.match(text):
        year, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            return None
        if kind == "quarterly":
            return f"{year}-Q{(month - 1) // 3 + 1}"
        return f"{year}-{month:02d}"
    if m := _QUARTER.match(text):
        return f"{m.group(1)}-Q{m.group(2)}"
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
