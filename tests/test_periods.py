"""Periods as people type them: bot/periods.py parse_period, and /progress, /export over the loopback Bot API."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.clock import FakeClock
from bot.periods import parse_period
from tests.conftest import bind, say
from tests.harness import ADMIN

NOV = date(2026, 11, 30)
JAN = date(2027, 1, 15)


@pytest.mark.parametrize(("typed", "monthly", "quarterly"), [
    ("2026-11", "2026-11", "2026-Q4"),
    ("2026年11月", "2026-11", "2026-Q4"),
    ("２０２６－１１", "2026-11", "2026-Q4"),
    ("十一月", "2026-11", "2026-Q4"),
    ("十一月份", "2026-11", "2026-Q4"),
    ("11月", "2026-11", "2026-Q4"),
    ("二〇二六年十一月", "2026-11", "2026-Q4"),
    ("2026 年 11 月", "2026-11", "2026-Q4"),
    ("本月", "2026-11", "2026-Q4"),
    ("这个月", "2026-11", "2026-Q4"),
    ("上个月", "2026-10", "2026-Q4"),
    ("上月", "2026-10", "2026-Q4"),
    ("上上个月", "2026-09", "2026-Q3"),
    ("12月", "2025-12", "2025-Q4"),  # no year: the most recent December
    ("本季度", None, "2026-Q4"),
    ("上季度", None, "2026-Q3"),
    ("第四季度", None, "2026-Q4"),
    ("四季度", None, "2026-Q4"),
    ("Q4", None, "2026-Q4"),
    ("2026年第四季度", None, "2026-Q4"),
    ("去年12月", "2025-12", "2025-Q4"),  # the year by its name
    ("去年十二月份", "2025-12", "2025-Q4"),
    ("今年十一月", "2026-11", "2026-Q4"),
    ("前年3月", "2024-03", "2024-Q1"),
    ("今年第三季度", None, "2026-Q3"),
    ("去年", None, None),
    ("11", None, None),
    ("4", None, None),
    ("0000-01", None, None),
    ("1999-12", None, None),
    ("2026-13", None, None),
    ("十三月", None, None),
    ("abc", None, None),
])
def test_parse_period(typed, monthly, quarterly):
    assert parse_period(typed, "monthly", NOV) == monthly
    assert parse_period(typed, "quarterly", NOV) == quarterly


def test_month_names_look_back_across_new_year():
    assert parse_period("十一月", "monthly", JAN) == "2026-11"
    assert parse_period("一月", "monthly", JAN) == "2027-01"
    assert parse_period("上个月", "monthly", JAN) == "2026-12"
    assert parse_period("上季度", "quarterly", JAN) == "2026-Q4"


def test_progress_and_export_take_typed_periods(emu, start_bot):
    start_bot(clock=FakeClock(datetime(2026, 12, 10, 2, 0, tzinfo=UTC)))
    r = say(emu, ADMIN, "/progress 十一月", contains="期进度")
    assert "2026-11 期" in r.plain
    r = say(emu, ADMIN, "/progress 上个月", contains="期进度")
    assert "2026-11 期" in r.plain
    r = say(emu, ADMIN, "/progress 本月", contains="期进度")
    assert "2026-12 期" in r.plain
    r = say(emu, ADMIN, "/remind_missing 0000-01", contains="格式")
    assert "出了点问题" not in r.plain and "上个月" in r.plain
    r = say(emu, ADMIN, "/export 第四季度", contains="格式")
    assert "按月" in r.plain
    bind(emu, 7, "龙城镇")
    say(emu, 7, "/checkin 1.1 进行中 在办", contains="已记录")  # a period without check-ins is not exported
    mark = emu.mark()
    emu.user_message(ADMIN, "/export 十二月")
    doc = emu.wait_for(lambda m: m.chat_id == ADMIN and m.document is not None, after=mark)
    assert "2026-12" in (doc.filename or ""), doc.filename
