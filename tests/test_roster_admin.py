"""Roster administration below the chat, on SQLite and PostgreSQL: the import's preview and its
set-based apply, stored previews confirmed at most once, /unbind, /revoke, /unit_rename,
/unit_del, the name rule in lookups, and the migration that cleans older names."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from bot.clock import FakeClock
from bot.db import make_engine
from bot.errors import InviteInvalid, PendingGone, RosterError
from bot.migrate import upgrade
from bot.models import CheckIn, Invite, Member, PendingAction, Plan, Unit
from bot.services.checkins import CheckinService
from bot.services.duties import DutyService
from bot.services.intake import Table
from bot.services.pending import PendingService
from bot.services.plans import PlanService
from bot.services.roster import RosterService

T0 = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    return FakeClock(T0)


@pytest.fixture
def roster(engine, clock):
    return RosterService(engine, clock, timedelta(days=7))


@pytest.fixture
def pending(engine, clock):
    return PendingService(engine, clock)


def table(rows: list[list[str]], columns=None) -> Table:  # noqa: ANN001
    """A roster table as intake would give it: rows numbered from 2 (row 1 is the header)."""
    return Table(kind="roster", header_row=1, columns=columns or {"name": 0, "kind": 1, "liaison": 2},
                 rows=[(i + 2, r) for i, r in enumerate(rows)])


def count_statements(engine):  # noqa: ANN001, ANN201
    """A list that fills with every statement the engine sends (executemany counts once)."""
    seen: list[str] = []

    def on_exec(conn, cursor, statement, params, context, executemany):  # noqa: ANN001
        seen.append(statement.split()[0].upper())

    sa.event.listen(engine, "before_cursor_execute", on_exec)
    return seen, lambda: sa.event.remove(engine, "before_cursor_execute", on_exec)


# --- the import --------------------------------------------------------------------------------------

def test_preview_sorts_rows_and_gives_reasons(roster):
    roster.create_invite(unit_name="名山街道", created_by=42)
    p = roster.preview_import(table([
        ["龙城镇", "", "张三"],
        ["名山街道", "街道", ""],
        ["龙城镇\u200b", "", ""],          # invisible character: a repeat of row 2
        ["ＸＸ镇", "", ""],
        ["XX镇", "乡镇", ""],              # full width: a repeat of row 5
        ["", "乡镇", "王五"],              # no name
        ["县" * 61, "", ""],               # too long
        ["县人武部", "部队", ""],          # a kind nobody has
        ["合计", "", ""],
        ["县民政局", "成员单位", ""],
        ["县财政局、县人社局", "", ""],     # a list in one cell
        ["县财政局\n县人社局", "", ""],
    ]))
    assert [r.name for r in p.new] == ["龙城镇", "XX镇", "县民政局"]
    assert [r.name for r in p.existing] == ["名山街道"]
    assert p.new[0].kind == "乡镇" and p.new[0].liaison == "张三" and not p.new[0].kind_given
    reasons = {r.row: (r.reason, r.data) for r in p.rejected}
    assert reasons[4] == ("dup", {"first": 2, "variant": True})
    assert reasons[6] == ("dup", {"first": 5, "variant": True})
    assert reasons[7][0] == "empty" and reasons[8][0] == "long" and reasons[10][0] == "not_name"
    assert reasons[9] == ("bad_kind", {"word": "部队"})
    assert reasons[12][0] == reasons[13][0] == "several"
    assert len(roster.units()) == 1  # a preview writes nothing


def test_confirm_creates_units_and_a_fresh_invite_for_every_row(roster, pending, engine):
    _, old, _ = roster.create_invite(unit_name="名山街道", created_by=42)
    p = roster.preview_import(table([["龙城镇", "", "张三"], ["名山街道", "成员单位", ""], ["三合街道", "", ""]]))
    assert p.retyped == 1
    a = pending.create(kind="roster_import", admin_id=42, chat_id=42, payload=p.payload())
    issued = pending.confirm(action_id=a.id, token=a.token, user_id=42,
                             apply=lambda s, pl: roster.apply_import(s, pl, created_by=42))
    assert [(i.name, i.kind, i.created, i.liaison) for i in issued] == [
        ("龙城镇", "乡镇", True, "张三"), ("名山街道", "成员单位", False, ""), ("三合街道", "街道", True, "")]
    assert len({i.code for i in issued} | {old.code}) == 4
    for i in issued:
        assert roster.invite_unit(i.code).name == i.name
    assert roster.find_unit("名山街道").kind == "成员单位"  # the file said so
    with pytest.raises(PendingGone) as exc:  # a second 确认 changes nothing
        pending.confirm(action_id=a.id, token=a.token, user_id=42,
                        apply=lambda s, pl: roster.apply_import(s, pl, created_by=42))
    assert exc.value.reason == "done"
    with Session(engine) as s:
        assert len(s.exec(select(Invite)).all()) == 4


def test_two_confirmations_at_once_apply_once(roster, pending, engine):
    p = roster.preview_import(table([[f"单位{i}", "", ""] for i in range(50)]))
    a = pending.create(kind="roster_import", admin_id=42, chat_id=42, payload=p.payload())
    outcomes: list[object] = []

    def press() -> None:
        try:
            outcomes.append(len(pending.confirm(action_id=a.id, token=a.token, user_id=42,
                                                apply=lambda s, pl: roster.apply_import(s, pl, created_by=42))))
        except PendingGone as exc:
            outcomes.append(exc.reason)

    threads = [threading.Thread(target=press) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(map(str, outcomes)) == ["50", "done"]
    with Session(engine) as s:
        assert len(s.exec(select(Invite)).all()) == 50


def test_importing_1000_units_is_a_handful_of_statements(roster, pending, engine):
    p = roster.preview_import(table([[f"测试单位{i:04d}", "", ""] for i in range(1000)]))
    a = pending.create(kind="roster_import", admin_id=42, chat_id=42, payload=p.payload())
    seen, stop = count_statements(engine)
    try:
        issued = pending.confirm(action_id=a.id, token=a.token, user_id=42,
                                 apply=lambda s, pl: roster.apply_import(s, pl, created_by=42))
    finally:
        stop()
    assert len(issued) == 1000 and len(roster.units()) == 1000
    assert len(seen) <= 8, seen  # claim, read payload, select names, insert units, insert invites


def test_a_deleted_unit_named_again_comes_back_with_its_history(roster, pending, engine, clock):
    unit, inv, _ = roster.create_invite(unit_name="龙城镇", created_by=42)
    with Session(engine) as s:
        plan_id = s.exec(select(Plan.id).where(Plan.active)).one()
        s.add(CheckIn(period="2026-11", plan_id=plan_id, unit_id=unit.id, user_id=7, reporter="张三", item_id="1.1",
                      status="已完成", created_at=clock.now()))
        s.commit()
    a = pending.create(kind="unit_del", admin_id=42, chat_id=42, payload={"unit_id": unit.id, "unit": unit.name})
    pending.confirm(action_id=a.id, token=a.token, user_id=42, apply=roster.apply_delete)
    assert roster.find_unit("龙城镇") is None and roster.units() == []
    with pytest.raises(InviteInvalid) as exc:
        roster.invite_unit(inv.code)
    assert exc.value.reason == "revoked"
    p = roster.preview_import(table([["龙城镇", "", ""]]))
    assert [r.name for r in p.new] == ["龙城镇"]
    b = pending.create(kind="roster_import", admin_id=42, chat_id=42, payload=p.payload())
    issued = pending.confirm(action_id=b.id, token=b.token, user_id=42,
                             apply=lambda s, pl: roster.apply_import(s, pl, created_by=42))
    assert issued[0].created and roster.find_unit("龙城镇").id == unit.id
    assert roster.checkin_count(unit.id) == 1


# --- stored previews -----------------------------------------------------------------------------------

def test_pending_superseded_expired_cancelled_and_not_yours(pending, clock):
    a = pending.create(kind="roster_import", admin_id=42, chat_id=42, payload={"rows": []})
    b = pending.create(kind="roster_import", admin_id=42, chat_id=42, payload={"rows": []})
    c = pending.create(kind="unbind", admin_id=42, chat_id=42, payload={})  # another kind: untouched

    def reason(action, token=None, user=42):  # noqa: ANN001, ANN202
        with pytest.raises(PendingGone) as exc:
            pending.confirm(action_id=action.id, token=token or action.token, user_id=user, apply=lambda s, p: None)
        return exc.value.reason

    assert reason(a) == "superseded"
    assert reason(b, token="forged") == "unknown"
    assert reason(b, user=43) == "not_yours"
    assert pending.check(action_id=c.id, token=c.token, user_id=42).kind == "unbind"
    pending.cancel(action_id=c.id, token=c.token, user_id=42)
    assert reason(c) == "cancelled"
    clock.advance(timedelta(hours=25))
    assert reason(b) == "expired"
    with pytest.raises(PendingGone):
        pending.check(action_id=b.id, token=b.token, user_id=42)


def test_a_failing_apply_leaves_the_preview_pending(pending):
    a = pending.create(kind="unit_del", admin_id=42, chat_id=42, payload={})

    def boom(s, payload):  # noqa: ANN001, ANN202
        raise RosterError("has_members", name="龙城镇", members=["张三"])

    with pytest.raises(RosterError):
        pending.confirm(action_id=a.id, token=a.token, user_id=42, apply=boom)
    assert pending.get(a.id).status == "pending"
    assert pending.confirm(action_id=a.id, token=a.token, user_id=42, apply=lambda s, p: "ok") == "ok"


# --- members, invites, names -------------------------------------------------------------------------

def _bind(roster, unit: str, user_id: int, name: str) -> None:  # noqa: ANN001
    _, inv, _ = roster.create_invite(unit_name=unit, created_by=42)
    roster.redeem(code=inv.code, user_id=user_id, chat_id=user_id, name=name)


def test_unbind_removes_members_keeps_their_checkins(roster, pending, engine, clock):
    _bind(roster, "龙城镇", 7, "张三")
    _bind(roster, "龙城镇", 8, "李四")
    checkins = CheckinService(engine, clock, plans=PlanService(engine, clock), duties=DutyService(engine, clock),
                              tz=UTC, period_kind="monthly", draft_timeout=timedelta(minutes=30))
    c = checkins.record(user_id=7, item_id="1.1", status="已完成", note="")
    unit, chosen = roster.unbind_preview("龙城镇\u200b 张三")
    assert [m.user_id for m in chosen] == [7]
    with pytest.raises(RosterError) as exc:
        roster.unbind_preview("龙城镇 王五")
    assert exc.value.reason == "no_member" and "张三（7）" in exc.value.data["members"]
    assert [m.user_id for m in roster.unbind_preview("龙城镇")[1]] == [7, 8]
    assert [m.user_id for m in roster.unbind_preview("龙城镇 8")[1]] == [8]
    a = pending.create(kind="unbind", admin_id=42, chat_id=42, payload=roster.unbind_payload(unit, chosen))
    removed = pending.confirm(action_id=a.id, token=a.token, user_id=42, apply=roster.apply_unbind)
    assert [m.user_id for m in removed] == [7]
    assert roster.membership(7) is None and roster.membership(8) is not None
    with Session(engine) as s:
        kept = s.get(CheckIn, c.id)
        assert (kept.unit_id, kept.user_id, kept.reporter) == (unit.id, 7, "张三")


def test_revoke_voids_only_unused_invites(roster):
    _, used, _ = roster.create_invite(unit_name="龙城镇", created_by=42)
    roster.redeem(code=used.code, user_id=7, chat_id=7, name="张三")
    _, a, _ = roster.create_invite(unit_name="龙城镇", created_by=42)
    _, b, _ = roster.create_invite(unit_name="龙城镇", created_by=42)
    unit, n = roster.revoke("龙城镇 ")
    assert (unit.name, n) == ("龙城镇", 2)
    for code in (a.code, b.code):
        with pytest.raises(InviteInvalid) as exc:
            roster.redeem(code=code, user_id=9, chat_id=9, name="王五")
        assert exc.value.reason == "revoked"
    assert roster.membership(7)[1].name == "龙城镇"  # the used one's member stays
    assert roster.revoke("龙城镇")[1] == 0
    with pytest.raises(RosterError) as exc:
        roster.revoke("没有的单位")
    assert exc.value.reason == "no_unit"


def test_rename_refuses_a_taken_name_and_follows_the_rule(roster):
    roster.create_invite(unit_name="三合镇", created_by=42)
    roster.create_invite(unit_name="龙城镇", created_by=42)
    with pytest.raises(RosterError) as exc:
        roster.rename("三合镇", "龙城镇\u200b")
    assert exc.value.reason == "name_taken"
    with pytest.raises(RosterError) as exc:
        roster.rename("三合镇", "\u200b")
    assert exc.value.reason == "empty_name"
    with pytest.raises(RosterError) as exc:
        roster.rename("三合镇", "三合镇")
    assert exc.value.reason == "same_name"
    before, unit = roster.rename("三合镇", "三合 街道")
    assert (before, unit.name) == ("三合镇", "三合街道")
    assert roster.rename_args("三合街道 名山 街道") == ("三合街道", "名山 街道")


def test_delete_refuses_a_unit_with_members(roster):
    _bind(roster, "龙城镇", 7, "张三")
    with pytest.raises(RosterError) as exc:
        roster.delete_preview("龙城镇")
    assert exc.value.reason == "has_members" and exc.value.data["members"] == ["张三"]


def test_invite_lists_and_ambiguous_spaces(roster):
    made = roster.create_invites(text="龙城镇、三合街道，县人武部\n名山街道", created_by=42)
    assert [u.name for u, _, new in made] == ["龙城镇", "三合街道", "县人武部", "名山街道"]
    assert all(state == "new" for _, _, state in made)
    again = roster.create_invites(text="龙城镇 三合街道", created_by=42)  # both exist: a list
    assert [(u.name, state) for u, _, state in again] == [("龙城镇", "existing"), ("三合街道", "existing")]
    assert [u.name for u, _, _ in roster.create_invites(text="县 人武部", created_by=42)] == ["县人武部"]
    with pytest.raises(RosterError) as exc:
        roster.create_invites(text="仙女湖镇 许明寺镇", created_by=42)
    assert exc.value.reason == "ambiguous"
    with pytest.raises(RosterError) as exc:
        roster.create_invites(text="\u200b", created_by=42)
    assert exc.value.reason == "empty_name"
    assert len(roster.units()) == 4  # nothing created by a refused command


def test_old_invite_after_moving_says_where_the_user_is(roster):
    _, a, _ = roster.create_invite(unit_name="龙城镇", created_by=42)
    _, b, _ = roster.create_invite(unit_name="三合街道", created_by=42)
    roster.redeem(code=a.code, user_id=7, chat_id=7, name="张三")
    assert roster.redeem(code=a.code, user_id=7, chat_id=7, name="张三")[0].name == "龙城镇"  # twice: fine
    roster.redeem(code=b.code, user_id=7, chat_id=7, name="张三")
    with pytest.raises(InviteInvalid) as exc:
        roster.redeem(code=a.code, user_id=7, chat_id=7, name="张三")
    assert (exc.value.reason, exc.value.unit) == ("used_self", "三合街道")
    assert roster.membership(7)[1].name == "三合街道"


# --- the migration -------------------------------------------------------------------------------------

def test_migration_cleans_older_unit_names(any_db_url):
    engine = make_engine(any_db_url)
    upgrade(engine, "0004")
    with engine.begin() as c:
        for i, name in enumerate(["龙城镇\u200b", "三合街道", "三合街道\u200b", "县 人武部"], start=1):
            c.execute(sa.text("INSERT INTO unit (id, name, kind, created_at) VALUES (:i, :n, '乡镇', :t)"),
                      {"i": i, "n": name, "t": T0})
    upgrade(engine)
    with Session(engine) as s:
        names = {u.id: u.name for u in s.exec(select(Unit))}
        assert names == {1: "龙城镇", 2: "三合街道", 3: "三合街道\u200b", 4: "县人武部"}  # 3 would merge: left
        assert s.exec(select(PendingAction)).all() == [] and s.exec(select(Member)).all() == []
    engine.dispose()


def test_unit_references_resolve_against_live_units(roster, pending):
    roster.create_invites(text="龙城镇、县人武部、县民政局", created_by=42)
    unit = roster.find_unit("县民政局")
    a = pending.create(kind="unit_del", admin_id=42, chat_id=42, payload={"unit_id": unit.id, "unit": unit.name})
    pending.confirm(action_id=a.id, token=a.token, user_id=42, apply=roster.apply_delete)
    r = roster.resolve_unit_refs(["各乡镇（街道）", "县人武部", "县民政局", "县不存在局"])
    assert r.kinds == ("乡镇", "街道") and [u.name for u in r.units] == ["县人武部"]
    assert r.unknown == ["县民政局", "县不存在局"]  # a deleted unit is not assignable
    assert roster.units() and "县不存在局" not in [u.name for u in roster.units()]
