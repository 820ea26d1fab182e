"""bot/dates.py: the 50 forms of tests/data/date_forms.tsv and their siblings, with a fixed "now"."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.dates import cn_int, resolve
from bot.errors import DateError

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=SH)  # a Wednesday, as in the data file
FORMS = [tuple(line.split("\t")[:2])
         for line in (Path(__file__).parent / "data" / "date_forms.tsv").read_text(encoding="utf-8").splitlines()
         if line.strip() and not line.startswith("#")]


def at(text: str, now: datetime = NOW, tz: ZoneInfo = SH) -> str:
    w = resolve(text, now=now, tz=tz)
    return f"{w.at:%Y-%m-%d %H:%M}"


def reason(text: str, now: datetime = NOW) -> str:
    with pytest.raises(DateError) as exc:
        resolve(text, now=now, tz=SH)
    return exc.value.reason


def test_the_data_file_has_fifty_forms():
    assert len(FORMS) == 50


@pytest.mark.parametrize(("form", "expected"), FORMS, ids=[f for f, _ in FORMS])
@pytest.mark.parametrize("title", ["县级双拥模范命名表彰大会", ""])
def test_each_form_with_and_without_a_title(form, expected, title):
    text = f"{form} {title}".strip()
    if expected.startswith("!"):
        kind, _, literal = expected[1:].partition(" ")
        with pytest.raises(DateError) as exc:
            resolve(text, now=NOW, tz=SH)
        assert exc.value.reason == kind
        if literal:
            a = exc.value.at
            assert f"{a.year:04d}-{a.month:02d}-{a.day:02d} {a.hour:02d}:{a.minute:02d}" == literal
        return
    w = resolve(text, now=NOW, tz=SH)
    assert w.at.tzinfo is not None and w.at.utcoffset() == timedelta(hours=8)
    assert w.rest == title
    if len(expected) == 10:  # no time typed: 09:00, and the resolver says it assumed it
        assert f"{w.at:%Y-%m-%d %H:%M}" == expected + " 09:00" and "time" in w.assumed
    else:
        assert f"{w.at:%Y-%m-%d %H:%M}" == expected and "time" not in w.assumed


@pytest.mark.parametrize(("form", "expected"), [(f, e) for f, e in FORMS if not e.startswith("!")
                                                   and not f.startswith(("下午", "12-20", "12.20", "12/20"))])
def test_the_title_may_come_first(form, expected):
    w = resolve(f"慰问老兵座谈会 {form}", now=NOW, tz=SH)
    assert w.rest == "慰问老兵座谈会" and f"{w.at:%Y-%m-%d}" == expected[:10]


def test_only_fully_written_dates_are_explicit():
    assert resolve("2026-12-20 09:30 大会", now=NOW, tz=SH).explicit
    assert resolve("2026年12月20日下午3点 大会", now=NOW, tz=SH).explicit
    assert resolve("12月20日 9:30 大会", now=NOW, tz=SH).assumed == ("year",)
    assert resolve("明天下午3点 大会", now=NOW, tz=SH).assumed == ("relative",)
    assert resolve("2026-12-20 大会", now=NOW, tz=SH).assumed == ("time",)
    assert resolve("2026年12月20日中午 大会", now=NOW, tz=SH).explicit  # 中午 is 12:00, not a guess


# --- year rollover, weeks, today ----------------------------------------------------------------

LATE_DEC = datetime(2026, 12, 30, 10, 0, tzinfo=SH)  # a Wednesday


@pytest.mark.parametrize(("text", "expected"), [
    ("1月2日 9:00", "2027-01-02 09:00"),
    ("12月31日 9:00", "2026-12-31 09:00"),
    ("12月30日 下午4点", "2026-12-30 16:00"),
    ("12月30日 9:00", "2027-12-30 09:00"),  # today, but 09:00 has passed: next year
    ("明天 9:00", "2026-12-31 09:00"),
    ("后天 9:00", "2027-01-01 09:00"),
    ("下周五上午10点", "2027-01-08 10:00"),
    ("周五 15:00", "2027-01-01 15:00"),
    ("20号 下午3点", "2027-01-20 15:00"),
    ("31号 下午3点", "2026-12-31 15:00"),
    ("一月五日 上午九点", "2027-01-05 09:00"),
])
def test_year_rollover_in_late_december(text, expected):
    assert at(text, LATE_DEC) == expected


FRIDAY = datetime(2026, 12, 4, 10, 0, tzinfo=SH)


def test_weeks_asked_on_a_friday():
    assert at("下周五 10:00", FRIDAY) == "2026-12-11 10:00"
    assert at("下下周五 10:00", FRIDAY) == "2026-12-18 10:00"
    assert at("周五 下午3点", FRIDAY) == "2026-12-04 15:00"  # today, still ahead
    assert at("周五 9:00", FRIDAY) == "2026-12-11 09:00"  # today's has passed: the next one
    assert at("本周日 9:00", FRIDAY) == "2026-12-06 09:00"
    assert at("下周一 9:00", FRIDAY) == "2026-12-07 09:00"
    assert reason("本周四 9:00", FRIDAY) == "past"  # never rolled silently to next week
    assert reason("上周五 9:00", FRIDAY) == "past"


def test_sunday_belongs_to_the_week_that_began_on_monday():
    sunday = datetime(2026, 12, 6, 8, 0, tzinfo=SH)
    assert at("下周五 10:00", sunday) == "2026-12-11 10:00"
    assert at("本周日 下午3点", sunday) == "2026-12-06 15:00"


@pytest.mark.parametrize(("text", "expected"), [
    ("明晚7点", "2026-12-03 19:00"),
    ("今晚8点半", "2026-12-02 20:30"),
    ("明天晚上12点", "2026-12-04 00:00"),
    ("明天中午", "2026-12-03 12:00"),
    ("明天中午1点", "2026-12-03 13:00"),
    ("明天 03:00", "2026-12-03 03:00"),  # a leading zero is 24-hour time, not ambiguous
    ("明天 3点一刻", None),
    ("明天下午3点一刻", "2026-12-03 15:15"),
    ("明天下午三点四十五分", "2026-12-03 15:45"),
    ("明天9点整", "2026-12-03 09:00"),
    ("明天 9.30", "2026-12-03 09:30"),
    ("下个星期一 9:00", "2026-12-07 09:00"),
    ("下个礼拜天 9:00", "2026-12-13 09:00"),
    ("2026年12月20日（周日）09:30", "2026-12-20 09:30"),  # the bot's own echo, typed back
    ("2026年12月20号", "2026-12-20 09:00"),
    ("12 月 20 日 9 点", "2026-12-20 09:00"),
    ("十二月二十日 两点", None),
    ("十二月二十日 下午两点", "2026-12-20 14:00"),
])
def test_siblings(text, expected):
    if expected is None:
        assert reason(text) == "ambiguous"
    else:
        assert at(text) == expected


@pytest.mark.parametrize(("text", "why"), [
    ("明天3点 座谈会", "ambiguous"),
    ("12月20日 3:30 座谈会", "ambiguous"),
    ("明天下午 座谈会", "need_hour"),
    ("上午 座谈会", "need_hour"),
    ("2026-02-29 09:00 座谈会", "no_date"),
    ("2027-02-29 09:00 座谈会", "no_date"),
    ("2026-13-01 09:00 座谈会", "no_date"),
    ("12月32日 9:00", "no_date"),
    ("32号 9:00", "no_date"),
    ("明天 24:30", "no_time"),
    ("明天 9:75", "no_time"),
    ("明天上午15点", "no_time"),
    ("2026年12月20日（周五）09:30", "weekday"),
    ("2020-01-01 09:30 大会", "past"),
    ("今天 9:00", "past"),
    ("下午3点", None),
    ("9999-12-31 23:59 x", "far"),
    ("2028-12-03 09:00 x", "far"),
    ("开会", "missing"),
    ("", "missing"),
    ("/event_add", "missing"),
])
def test_refusals_carry_their_reason(text, why):
    if why is None:
        assert at(text) == "2026-12-02 15:00"
        return
    assert reason(text) == why


def test_past_and_far_carry_the_times():
    with pytest.raises(DateError) as exc:
        resolve("0001-01-01 00:00 x", now=NOW, tz=SH)
    assert exc.value.at.year == 1 and exc.value.now == NOW
    with pytest.raises(DateError) as exc:
        resolve("2029-01-01 09:00 x", now=NOW, tz=SH)
    assert exc.value.reason == "far" and exc.value.at.year == 2029
    assert at("2028-12-01 09:00 x") == "2028-12-01 09:00"  # within two years


def test_a_title_beginning_with_a_number_is_not_a_date():
    w = resolve("3号楼会议室改造协调会 明天9点", now=NOW, tz=SH)
    assert w.rest == "3号楼会议室改造协调会" and f"{w.at:%Y-%m-%d %H:%M}" == "2026-12-03 09:00"


def test_dst_gap_is_refused():
    berlin = ZoneInfo("Europe/Berlin")
    now = datetime(2027, 3, 1, 9, 0, tzinfo=berlin)
    with pytest.raises(DateError) as exc:
        resolve("2027-03-28 02:30 x", now=now, tz=berlin)
    assert exc.value.reason == "dst_gap"
    assert at("2027-03-28 03:30 x", now, berlin) == "2027-03-28 03:30"


def test_control_characters_and_full_width_are_cleaned():
    w = resolve("明天\u200b下午３点\x00 座谈会", now=NOW, tz=SH)
    assert f"{w.at:%H:%M}" == "15:00" and w.rest == "座谈会"


@pytest.mark.parametrize(("text", "value"), [("九", 9), ("十", 10), ("十二", 12), ("二十", 20), ("二十三", 23),
                                             ("三十一", 31), ("两", 2), ("二〇二六", 2026), ("07", 7), ("十十", None),
                                             ("一百", 100), ("十百", None), ("", None)])
def test_cn_int(text, value):
    assert cn_int(text) == value


# --- forms a newcomer typed that were read wrongly or refused (issue 15, point 1) -----------------

@pytest.mark.parametrize(("text", "expected", "rest"), [
    ("明天下午三点四十五 座谈会", "2026-12-03 15:45", "座谈会"),  # minutes in Chinese numerals, no 分
    ("明天下午两点二十 座谈会", "2026-12-03 14:20", "座谈会"),
    ("明天下午3点十分 座谈会", "2026-12-03 15:10", "座谈会"),
    ("明天下午三点二十人座谈会", "2026-12-03 15:00", "二十人座谈会"),  # a count, not minutes
    ("2026年12月20日星期日 9:30 大会", "2026-12-20 09:30", "大会"),  # a weekday without brackets
    ("12月20日 周日 9:30 大会", "2026-12-20 09:30", "大会"),
    ("下个月5号 9:00 大会", "2027-01-05 09:00", "大会"),  # a day of a named month
    ("下月5日上午9点 大会", "2027-01-05 09:00", "大会"),
    ("本月25日 9:00 大会", "2026-12-25 09:00", "大会"),
    ("下下个月1号 上午10点 大会", "2027-02-01 10:00", "大会"),
    ("明早9点 大会", "2026-12-03 09:00", "大会"),
    ("后日上午10点 大会", "2026-12-04 10:00", "大会"),
    ("明天 晚7点 大会", "2026-12-03 19:00", "大会"),  # 早/晚 before an hour
    ("12月20日 早9点 大会", "2026-12-20 09:00", "大会"),
    ("12月20日 午后2点 大会", "2026-12-20 14:00", "大会"),
    ("明天下午3点半到5点 座谈会", "2026-12-03 15:30", "座谈会"),  # a range: its start, not a title
    ("明天 9:30-11:30 座谈会", "2026-12-03 09:30", "座谈会"),
    ("明天下午3点 至 5点半 座谈会", "2026-12-03 15:00", "座谈会"),
    ("晚会 明天下午3点", "2026-12-03 15:00", "晚会"),
    ("明天 PM3 座谈会", "2026-12-03 15:00", "座谈会"),  # am/pm as phones and office software write it
    ("明天 3pm 座谈会", "2026-12-03 15:00", "座谈会"),
    ("12月20日 3:30 PM 座谈会", "2026-12-20 15:30", "座谈会"),
    ("明天 9am 座谈会", "2026-12-03 09:00", "座谈会"),
])
def test_more_forms_people_type(text, expected, rest):
    w = resolve(text, now=NOW, tz=SH)
    assert (f"{w.at:%Y-%m-%d %H:%M}", w.rest) == (expected, rest)
    assert "time" not in w.assumed


def test_more_refusals():
    assert reason("12月20日 周五 9:30 大会") == "weekday"  # 20 December 2026 is a Sunday
    assert reason("这个月1号 9:00 大会") == "past"  # never rolled on to next month silently
    assert reason("下个月31号 9:00", datetime(2027, 1, 10, 10, 0, tzinfo=SH)) == "no_date"  # no 31 February


@pytest.mark.parametrize(("text", "expected", "rest"), [
    ("12月20日-21日 慰问活动", "2026-12-20 09:00", "慰问活动"),  # a several-day event: its first day
    ("12月20日至22日 9:30 慰问活动", "2026-12-20 09:30", "慰问活动"),
    ("12月20日到12月21日 座谈会", "2026-12-20 09:00", "座谈会"),
    ("20号-21号 座谈会", "2026-12-20 09:00", "座谈会"),
])
def test_the_last_day_of_a_several_day_event_is_no_title(text, expected, rest):
    w = resolve(text, now=NOW, tz=SH)
    assert (f"{w.at:%Y-%m-%d %H:%M}", w.rest) == (expected, rest)
    assert "first_day" in w.assumed  # never fully explicit: the preview says reminders follow day one
    assert "first_day" not in resolve("12月20日 3号楼会议", now=NOW, tz=SH).assumed
