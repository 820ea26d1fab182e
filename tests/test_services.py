"""Roster and check-in services on a real SQLite database, time driven by a FakeClock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FakeClock
from bot.config import ConfigError, load_settings, parse_offsets
from bot.db import init_db, make_engine
from bot.errors import BadInput, DraftExpired, InviteInvalid, NotBound
from bot.services.checkins import CheckinService
from bot.services.duties import DutyService
from bot.services.plans import PlanService
from bot.services.roster import RosterService, unit_kind_for


@pytest.fixture
def clock():
    return FakeClock(datetime(2026, 11, 10, 2, 0, tzinfo=UTC))


def test_sqlite_folder_is_created(tmp_path):
    e = make_engine(f"sqlite:///{tmp_path / 'new' / 'dir' / 'bot.db'}")
    init_db(e)
    assert (tmp_path / "new" / "dir" / "bot.db").exists()


@pytest.fixture
def roster(engine, clock):
    return RosterService(engine, clock, timedelta(days=7))


@pytest.fixture
def checkins(engine, clock):
    from zoneinfo import ZoneInfo

    return CheckinService(engine, clock, plans=PlanService(engine, clock), duties=DutyService(engine, clock),
                          tz=ZoneInfo("Asia/Shanghai"))


def test_unit_kind_from_name():
    assert unit_kind_for("龙城镇") == "乡镇"
    assert unit_kind_for("名山街道") == "街道"
    assert unit_kind_for("县退役军人事务局") == "成员单位"


def test_invite_is_single_use_and_expires(roster, clock):
    unit, inv, state = roster.create_invite(unit_name=" 龙城镇 ", created_by=42)
    assert state == "new" and unit.name == "龙城镇" and len(inv.code) >= 16
    _, inv2, state2 = roster.create_invite(unit_name="龙城镇", created_by=42)
    assert state2 == "existing" and inv2.code != inv.code
    assert roster.redeem(code=inv.code, user_id=7, chat_id=7, name="张三")[0].name == "龙城镇"
    assert roster.redeem(code=inv.code, user_id=7, chat_id=7, name="张三")[0].name == "龙城镇"  # same person again
    with pytest.raises(InviteInvalid) as e:
        roster.redeem(code=inv.code, user_id=8, chat_id=8, name="李四")
    assert e.value.reason == "used"
    clock.advance(timedelta(days=7, seconds=1))
    with pytest.raises(InviteInvalid) as e:
        roster.redeem(code=inv2.code, user_id=8, chat_id=8, name="李四")
    assert e.value.reason == "expired"
    with pytest.raises(InviteInvalid):
        roster.redeem(code="forged", user_id=8, chat_id=8, name="李四")
    assert roster.membership(7)[1].name == "龙城镇"
    assert roster.membership(8) is None


def test_roster_lists_unbound_units(roster):
    roster.create_invite(unit_name="龙城镇", created_by=42)
    _, inv, _ = roster.create_invite(unit_name="名山街道", created_by=42)
    roster.redeem(code=inv.code, user_id=7, chat_id=7, name="张三")
    rows = {r.unit.name: r for r in roster.roster()}
    assert rows["名山街道"].members == ["张三"]
    assert rows["龙城镇"].members == [] and rows["龙城镇"].open_invites == 1


def test_resolve_item_forms(checkins):
    for text in ("2.2", "二（二）", "二(二)", "2-2", " 2．2 "):
        assert checkins.resolve_item(text) == "2.2", text
    assert checkins.resolve_item("5.1") is None
    assert checkins.resolve_item("abc") is None


def test_oneline_parsing(checkins):
    assert checkins.parse_oneline(["2.2", "已完成", "慰问", "30户"]) == ("2.2", "已完成", "慰问 30户")
    assert checkins.parse_oneline(["3.1", "完成"])[1] == "已完成"
    with pytest.raises(BadInput):
        checkins.parse_oneline(["9.9", "已完成"])
    with pytest.raises(BadInput):
        checkins.parse_oneline(["2.2", "快好了"])
    with pytest.raises(BadInput):
        checkins.parse_oneline(["2.2", "已完成", "长" * 501])


def _bind(roster, user_id, unit):  # noqa: ANN001
    _, inv, _ = roster.create_invite(unit_name=unit, created_by=42)
    roster.redeem(code=inv.code, user_id=user_id, chat_id=user_id, name=f"u{user_id}")


def test_record_requires_binding(checkins):
    with pytest.raises(NotBound):
        checkins.record(user_id=99, item_id="1.1", status="已完成", note="")


def test_latest_status_per_period_and_corrections(roster, checkins, clock):
    _bind(roster, 7, "龙城镇")
    _bind(roster, 8, "名山街道")
    roster.create_invite(unit_name="三合街道", created_by=42)
    first = checkins.record(user_id=7, item_id="1.1", status="进行中", note="a")
    assert first.period == "2026-11"
    checkins.record(user_id=7, item_id="1.1", status="已完成", note="b")
    p = checkins.progress()
    assert p.counts["1.1"]["已完成"] == 1 and p.counts["1.1"]["进行中"] == 0
    assert [u.name for u in p.missing] == [u.name for u in checkins.units() if u.name in ("三合街道", "名山街道")]
    # a correction supersedes, keeps history
    latest = checkins.latest_correctable(first.unit_id)
    fix = checkins.record(user_id=7, item_id="1.1", status="未开始", note="填错了", corrects_id=latest.id)
    assert fix.corrects_id == latest.id
    assert checkins.progress().counts["1.1"]["未开始"] == 1
    assert len(checkins.recent(first.unit_id)) == 3
    # next month is a new period: nobody has reported yet
    clock.advance(timedelta(days=25))
    assert checkins.period_now() == "2026-12"
    assert len(checkins.progress().missing) == 3


def test_draft_steps_and_timeout(roster, checkins, clock):
    _bind(roster, 7, "龙城镇")
    checkins.start_draft(user_id=7, chat_id=7)
    with pytest.raises(BadInput):
        checkins.choose_status(7, "已完成")  # a stale button from another step
    checkins.choose_item(7, "2.1")
    checkins.choose_status(7, "已完成")
    with pytest.raises(BadInput):
        checkins.give_note(7, "长" * 501)
    assert checkins.draft(7).step == "note"  # second chance
    checkins.give_note(7, "好")
    c = checkins.confirm_draft(7)
    assert (c.item_id, c.status, c.note) == ("2.1", "已完成", "好")
    assert checkins.draft(7) is None
    checkins.start_draft(user_id=7, chat_id=7)
    clock.advance(timedelta(minutes=31))
    with pytest.raises(DraftExpired):
        checkins.draft(7)
    checkins.start_draft(user_id=7, chat_id=7)
    clock.advance(timedelta(minutes=31))
    assert [d.user_id for d in checkins.expire_drafts()] == [7]


def test_settings_validation(monkeypatch):
    assert parse_offsets("7d,1d,2h,1m") == [timedelta(days=7), timedelta(days=1), timedelta(hours=2),
                                           timedelta(minutes=1)]
    with pytest.raises(ValueError):
        parse_offsets("7x")
    with pytest.raises(ConfigError) as e:
        load_settings(_env_file=None, admin_ids="12,abc")
    assert "ADMIN_IDS" in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(ConfigError):
        load_settings(_env_file=None, bot_timezone="Mars/Base")
    s = load_settings(_env_file=None, admin_ids="1, 2", telegram_bot_token="1:abc")
    assert s.admin_ids == {1, 2} and "abc" not in repr(s)


def test_roster_shows_last_checkin_time(roster, checkins, clock):
    _bind(roster, 7, "龙城镇")
    checkins.record(user_id=7, item_id="1.1", status="已完成", note="")
    row = {r.unit.name: r for r in roster.roster()}["龙城镇"]
    assert row.last_checkin == clock.now() and row.last_checkin.tzinfo is not None
