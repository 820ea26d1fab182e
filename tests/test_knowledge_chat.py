"""Answers in the chat, over the loopback Bot API: bold answering sentences, sections, the
contents button, section + topic, and questions about the bot's own data (deadline, events,
how to report, how to bind)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.clock import FakeClock
from bot.periods import deadline_of
from tests.conftest import say
from tests.harness import ADMIN

TZ = ZoneInfo("Asia/Shanghai")


def test_answer_bolds_the_sentence_that_answers(emu, bot):
    r = say(emu, 7, "光荣牌怎么挂", contains="光荣牌")
    bold = [e for e in r.entities if e["type"] == "bold"]
    quoted = [r.plain[e["offset"]:e["offset"] + e["length"]] for e in bold]
    assert any("悬挂光荣牌" in q for q in quoted), quoted
    assert "outline" in r.callback_data  # one tap back to the table of contents
    assert "相关条目" not in r.plain


def test_a_topic_asked_of_the_wrong_section_says_where_it_is(emu, bot):
    r = say(emu, 7, "第一部分里地质灾害那条", contains="地质灾害")
    assert "第一部分中没有相关内容" in r.plain and "在第一部分中查找" not in r.plain
    r = say(emu, 7, "第一部分里宣传片的要求", contains="宣传")
    assert "在第一部分中查找" in r.plain and "没有相关内容" not in r.plain


def test_a_typo_does_not_bring_unrelated_clauses(emu, bot):
    r = say(emu, 7, "光荣排怎么挂", contains="光荣牌")
    assert "相关条目" not in r.plain


def test_section_heading_once_and_its_items(emu, bot):
    r = say(emu, 7, "第二部分", contains="本部分包括")
    assert r.plain.count("聚焦实现强军目标") == 1
    for label in ("二（一）", "二（二）", "二（三）"):
        assert label in r.plain


def test_section_and_topic(emu, bot):
    r = say(emu, 7, "第三部分里地质灾害那条", contains="三（四）")
    assert "地质灾害" in r.plain and "本部分包括" not in r.plain


def test_last_item_of_a_section(emu, bot):
    say(emu, 7, "第二部分最后一条", contains="组织开展多种形式拥军活动")


def test_everyday_word_only_is_not_found(emu, bot):
    say(emu, 7, "疫情期间快递能送吗", contains="未找到")


def test_pdf_spaces_do_not_matter(emu, bot):
    say(emu, 7, "光 荣 牌", contains="悬挂光荣牌")


def test_long_clause_shows_its_answer_first_and_the_whole_clause_a_tap_away(emu, bot, monkeypatch):
    import bot.texts.knowledge as kt

    monkeypatch.setattr(kt, "LONG_CLAUSE", 150)  # the seed's clauses are short: make 1.2 "long"
    r = say(emu, 7, "光荣牌怎么挂", contains="光荣牌")
    assert "汽车站、火车站" not in r.plain  # only the answering sentence
    assert "悬挂光荣牌" in r.plain
    emu.press(7, r, r.button("全文")[1])
    full = emu.wait_for(chat_id=7, contains="汽车站、火车站")
    assert "悬挂光荣牌" in full.plain


def test_outline_buttons_are_readable_and_distinct(emu, bot):
    r = say(emu, 7, "/outline", contains="目录")
    three = r.button("三（三）")[0]
    four = r.button("三（四）")[0]
    assert three[4:] != four[4:] and "成渝" in three and "平安" in four


# --- the bot's own data ---------------------------------------------------------------------------

def test_deadline_is_the_periods_not_the_notices(emu, start_bot):
    clock = FakeClock(datetime(2026, 11, 30, 10, 0, tzinfo=TZ))
    b = start_bot(clock=clock)
    period = b.services.checkins.period_now()
    due = deadline_of(period, b.settings.checkin_deadline_day, TZ)
    r = say(emu, 7, "填报截止是哪天", contains="截止")
    assert "2020年6月8日" not in r.plain
    if clock.now() <= due:
        assert f"{due.year}年{due.month}月{due.day}日" in r.plain
    else:  # the 30th is after the 25th: this period's is past, the next one is named
        assert "已于" in r.plain and "下一期" in r.plain
        nxt = deadline_of("2026-12", b.settings.checkin_deadline_day, TZ)
        assert f"{nxt.year}年{nxt.month}月{nxt.day}日" in r.plain
    assert "/checkin" in r.plain


def test_deadline_before_it_passes(emu, start_bot):
    start_bot(clock=FakeClock(datetime(2026, 12, 3, 9, 0, tzinfo=TZ)))
    r = say(emu, 7, "这个月进度最晚几号报", contains="截止")
    assert "2026年12月25日" in r.plain and "还有 22 天" in r.plain


def test_events_question_gives_the_date_or_tentative(emu, start_bot):
    start_bot(clock=FakeClock(datetime(2026, 11, 30, 10, 0, tzinfo=TZ)))
    r = say(emu, 7, "表彰大会什么时候开", contains="表彰大会")
    assert "日期待定" in r.plain  # the seeded conference has no fixed date yet
    assert "四（一）" in r.plain  # ... and the clause about it, beside the data
    starts = datetime(2026, 12, 20, 9, 30, tzinfo=TZ)
    say(emu, ADMIN, f"/event_add {starts:%Y-%m-%d %H:%M} 春节走访慰问座谈会", contains="座谈会")
    r = say(emu, 7, "慰问座谈会哪天举行", contains="座谈会")
    assert "2026年12月20日" in r.plain and "09:30" in r.plain


def test_events_english(emu, start_bot):
    start_bot(clock=FakeClock(datetime(2026, 11, 30, 10, 0, tzinfo=TZ)))
    r = say(emu, 7, "When is the commendation meeting?", contains="表彰大会")
    assert "日期待定" in r.plain


@pytest.mark.parametrize("q,expect", [("怎么填报进度", "/checkin 2.2 已完成"), ("进度在哪里报", "/checkin"),
                                      ("怎么绑定单位", "邀请链接"), ("我没有邀请码怎么办", "邀请链接")])
def test_how_to(emu, bot, q, expect):
    r = say(emu, 7, q, contains=expect)
    assert "未找到" not in r.plain
    assert "没有" in say(emu, ADMIN, "/unanswered", contains="问题").plain  # answered, not recorded


def test_greeting_names_the_active_document(emu, bot):
    r = say(emu, 7, "你好", contains="您好")
    assert "2020年丰都县双拥工作要点" in r.plain


def test_a_deadline_a_week_later_counts_days(emu, start_bot):
    clock = FakeClock(datetime(2026, 12, 18, 9, 0, tzinfo=TZ))
    start_bot(clock=clock)
    r = say(emu, 7, "截止时间", contains="截止")
    assert "还有 7 天" in r.plain
    clock.advance(timedelta(days=7))
    r = say(emu, 7, "截止时间", contains="今天截止")
