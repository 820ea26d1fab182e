"""Work plans: a second year's document stored beside the shipped one, switching back and forth
without losing or changing a check-in, exports of periods before a switch, the command line.
On SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from bot.clock import FakeClock
from bot.errors import BadInput, PlanError
from bot.services.checkins import CheckinService
from bot.services.duties import DutyService
from bot.services.plans import PlanService, draft_from_paragraphs
from bot.services.roster import RosterService
from knowledge.parser import read_paragraphs
from tests.conftest import bind, say
from tests.harness import ADMIN, ROOT

DOCS = Path(__file__).parent / "data" / "docs"
DOC_2026 = DOCS / "2026-shizhu-workpoints.txt"


@pytest.fixture
def db_url(any_db_url):
    return any_db_url


def draft_2026(year: int | None = None):  # noqa: ANN201
    return draft_from_paragraphs(read_paragraphs(DOC_2026), source_name=DOC_2026.name, year=year)


@pytest.fixture
def clock():
    return FakeClock(datetime(2026, 10, 20, 2, 0, tzinfo=UTC))


@pytest.fixture
def svc(engine, clock):
    plans = PlanService(engine, clock, refresh_seconds=0)
    checkins = CheckinService(engine, clock, plans=plans, duties=DutyService(engine, clock),
                              tz=ZoneInfo("Asia/Shanghai"))
    roster = RosterService(engine, clock, timedelta(days=7))
    return plans, checkins, roster


def test_a_new_year_switch_and_back_loses_nothing(svc, clock):
    plans, checkins, roster = svc
    seed = plans.active()
    assert (seed.year, len(seed.items), seed.section_count) == (2020, 13, 4)
    unit, inv, _ = roster.create_invite(unit_name="龙城镇", created_by=ADMIN)
    roster.redeem(code=inv.code, user_id=7, chat_id=7, name="张三")
    old = checkins.record(user_id=7, item_id="4.3", status="已完成", note="机构健全")

    draft = draft_2026()
    assert (draft.year, draft.doc_number, len(draft.sections)) == (2026, "石柱双拥办发〔2026〕2号", 6)
    new = plans.store(plans.check_replaces(draft), created_by=ADMIN)
    assert not new.active and plans.active().id == seed.id  # nothing changes until it is activated
    plans.activate(new.id)
    assert plans.active().year == 2026 and plans.kb().title.startswith("2026年石柱")
    with pytest.raises(BadInput, match="bad_item"):  # 4.3 does not exist in 2026's plan (4 has no items)
        checkins.record(user_id=7, item_id="4.3", status="已完成", note="")
    clock.advance(timedelta(days=15))  # next period
    fresh = checkins.record(user_id=7, item_id="6.3", status="进行中", note="")
    assert checkins.title("6.3", fresh.plan_id) == "加强队伍建设"

    plans.activate(seed.id)  # back to 2020
    assert checkins.title(old.item_id, old.plan_id) == "进一步加强双拥工作领导和机构建设"
    assert checkins.title(fresh.item_id, fresh.plan_id) == "加强队伍建设"  # its own plan, still
    oct_progress = checkins.progress("2026-10")
    assert oct_progress.plan.year == 2020 and len(oct_progress.items) == 13
    nov_progress = checkins.progress("2026-11")  # the current period follows the active plan
    assert nov_progress.plan.year == 2020
    summaries = {s.plan.year: s for s in plans.summaries()}
    assert summaries[2020].checkins == 1 and summaries[2026].checkins == 1 and summaries[2020].plan.active


def test_resending_a_year_replaces_it_and_keeps_its_checkins(svc):
    plans, checkins, roster = svc
    first = plans.store(draft_2026(), activate=True)
    _, inv, _ = roster.create_invite(unit_name="龙城镇", created_by=ADMIN)
    roster.redeem(code=inv.code, user_id=7, chat_id=7, name="张三")
    c = checkins.record(user_id=7, item_id="1.1", status="已完成", note="")
    checkins.duties.assign(first.id, "1.1", kinds=["乡镇"])
    second = plans.store(plans.check_replaces(draft_2026()))
    assert second.id != first.id and second.active  # the year's active plan stays active
    assert [s.plan.id for s in plans.summaries() if s.plan.year == 2026] == [second.id]
    assert {s.plan.year: s.checkins for s in plans.summaries()}[2026] == 1
    assert checkins.title(c.item_id, c.plan_id) == "深入开展双拥主题宣传"
    assert checkins.duties.duty(second.id, "1.1").kinds == {"乡镇"}  # 任务分解 carried over
    # this period's report, made under the first version, still counts under the second
    p = checkins.progress()
    assert p.plan.id == second.id and not p.missing and p.counts["1.1"]["已完成"] == 1
    assert checkins.duty_status(p.period) == ({p.units[0][0].id}, set())


def test_the_database_allows_one_active_plan_and_one_current_version_a_year(engine, clock):
    import sqlalchemy as sa
    from sqlalchemy.exc import IntegrityError

    plans = PlanService(engine, clock)
    new = plans.store(draft_2026())
    for stmt in (sa.text("UPDATE plan SET active = true WHERE id = :id"),  # a second active plan
                 sa.text("UPDATE plan SET replaced_at = NULL, year = 2026 WHERE id <> :id")):  # two current 2026
        with pytest.raises(IntegrityError), engine.begin() as c:
            c.execute(stmt, {"id": new.id})


def test_not_a_plan_and_no_year_are_refused():
    with pytest.raises(PlanError) as e:
        draft_from_paragraphs(["关于开会的通知", "请各单位按时参加。"], source_name="x.txt")
    assert e.value.reason == "not_a_plan"
    paras = [p.replace("2026", "") for p in read_paragraphs(DOC_2026)]
    with pytest.raises(PlanError) as e:
        draft_from_paragraphs(paras, source_name="x.txt")
    assert e.value.reason == "no_year"
    assert draft_from_paragraphs(paras, source_name="x.txt", year=2027).year == 2027


def test_plans_in_chat_switch_checkin_export_and_back(emu, start_bot, db_url):
    from bot.db import init_db, make_engine

    engine = make_engine(db_url)
    init_db(engine)
    PlanService(engine, FakeClock(datetime.now(UTC))).store(draft_2026())  # imported, not active
    engine.dispose()
    start_bot()
    bind(emu, 7, "龙城镇", name="张三")
    say(emu, 7, "/checkin 1.2 已完成 悬挂光荣牌", contains="已记录")

    listing = say(emu, ADMIN, "/plans", contains="工作要点")
    assert "2020年" in listing.plain and "2026年" in listing.plain and "18 个事项" in listing.plain
    emu.press(ADMIN, listing, next(d for row in listing.buttons for label, d in row if "2026" in label))
    confirm = emu.wait_for(chat_id=ADMIN, contains="切换")
    emu.press(ADMIN, confirm, next(d for row in confirm.buttons for label, d in row if label == "确认"))
    done = emu.wait_for(chat_id=ADMIN, contains="已启用")
    assert "2026" in done.plain

    items = say(emu, 7, "/checkin", contains="选择")
    labels = [row[0][0] for row in items.buttons if row[0][1].startswith("ci:i:")]
    assert len(labels) == 18 and labels[-1].startswith("6.3 ")
    say(emu, 7, "/cancel", contains="取消")
    say(emu, 7, "/checkin 6.3 进行中 队伍培训", contains="已记录")
    outline = say(emu, 7, "/outline", contains="目录")
    assert "石柱" in outline.plain
    say(emu, 7, "双拥在基层活动怎么搞", contains="五（三）")  # answered from 2026's plan

    # back to 2020: nothing recorded under 2026 is lost or changed
    listing = say(emu, ADMIN, "/plans", contains="工作要点")
    emu.press(ADMIN, listing, next(d for row in listing.buttons for label, d in row if "2020" in label))
    confirm = emu.wait_for(chat_id=ADMIN, contains="切换")
    emu.press(ADMIN, confirm, next(d for row in confirm.buttons for label, d in row if label == "确认"))
    emu.wait_for(chat_id=ADMIN, contains=["已启用", "2020年"])
    mine = say(emu, 7, "/mine", contains="龙城镇")
    assert "加强队伍建设" in mine.plain and "广泛营造" in mine.plain
    # this month's /progress follows 2020 again, and says a report made under 2026 is not in it
    progress = say(emu, ADMIN, "/progress", contains="进度")
    assert "2020年" in progress.plain and "另有 1 条" in progress.plain and "/export" in progress.plain

    emu.user_message(ADMIN, "/export")
    doc = emu.wait_for(lambda m: m.document is not None, chat_id=ADMIN, timeout=30)
    wb = openpyxl.load_workbook(io.BytesIO(doc.document))
    rows = {(r[3], r[4], r[10]) for r in wb["明细"].iter_rows(min_row=2, values_only=True)}
    assert ("6.3", "加强队伍建设", "2026年") in rows and ("1.2", "广泛营造尊崇军人社会氛围", "2020年") in rows
    assert not emu.rejected


def test_command_line_import_and_list(tmp_path):
    env = bot_env_for(tmp_path)
    run = lambda *a: subprocess.run([sys.executable, "-m", "bot", *a], cwd=tmp_path, env=env,  # noqa: E731
                                    capture_output=True, text=True, timeout=120)
    r = run("plan", "import", str(DOC_2026))
    assert r.returncode == 0, r.stderr
    assert "石柱双拥办发〔2026〕2号" in r.stdout and "6.3 加强队伍建设" in r.stdout and "未启用" in r.stdout
    listed = json.loads(run("plan", "list", "--json").stdout)
    assert [(p["year"], p["items"], p["active"]) for p in listed] == [(2026, 18, False), (2020, 13, True)]
    r = run("plan", "import", str(DOC_2026), "--activate")
    assert r.returncode == 0 and "替换" in r.stdout and "启用" in r.stdout
    assert [p["year"] for p in json.loads(run("plan", "list", "--json").stdout) if p["active"]] == [2026]
    bad = tmp_path / "notes.txt"
    bad.write_text("会议纪要\n今天开会讨论了食堂的事情。\n", encoding="utf-8")
    r = run("plan", "import", str(bad))
    assert r.returncode == 2 and "不是工作要点" in r.stderr
    r = run("plan", "import", str(tmp_path / "missing.docx"))
    assert r.returncode == 2 and "文件不存在" in r.stderr


def bot_env_for(tmp_path: Path) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.db'}"
    env["PYTHONPATH"] = str(ROOT)
    return env



def test_questions_naming_a_year_are_answered_from_that_plan(emu, start_bot, db_url):
    from bot.db import init_db, make_engine

    engine = make_engine(db_url)
    init_db(engine)
    PlanService(engine, FakeClock(datetime.now(UTC))).store(draft_2026(), activate=True)
    engine.dispose()
    start_bot()
    now = say(emu, 7, "第二部分讲什么", contains="聚焦备战打仗")  # the active plan: 2026
    assert "以下引自" not in now.plain
    old = say(emu, 7, "2020年要点里光荣牌怎么说", contains="以下引自")
    assert "2020 年" in old.plain and "光荣牌" in old.plain and "2026 年" in old.plain
    sec = say(emu, 7, "2020年的第二部分", contains="2020 年")
    assert "聚焦实现强军目标" in sec.plain
    # its buttons open the 2020 plan's clauses, not the active plan's
    data = next(d for row in sec.buttons for label, d in row if label.startswith("二（一）"))
    assert data.endswith("@1")
    emu.press(7, sec, data)
    assert "练兵备战" in emu.wait_for(chat_id=7, contains="2020 年").plain
    assert "没有 2019 年" in say(emu, 7, "2019年要点里光荣牌怎么说", contains="2019").plain


def test_command_line_ask_and_outline_by_year(tmp_path):
    env = bot_env_for(tmp_path)
    run = lambda *a: subprocess.run([sys.executable, "-m", "bot", *a], cwd=tmp_path, env=env,  # noqa: E731
                                    capture_output=True, text=True, timeout=120)
    assert json.loads(run("ask", "--json", "第二部分").stdout)["results"][0]["title"].startswith("聚焦实现强军目标")
    assert run("plan", "import", str(DOC_2026), "--activate").returncode == 0
    r = json.loads(run("ask", "--json", "第二部分").stdout)
    assert r["year"] == 2026 and r["results"][0]["title"].startswith("聚焦备战打仗")
    r = json.loads(run("ask", "--json", "2020年的第二部分").stdout)
    assert r["year"] == 2020 and r["results"][0]["id"] == "2"
    r = json.loads(run("ask", "--json", "--year", "2020", "光荣牌怎么挂").stdout)
    assert r["year"] == 2020 and r["results"][0]["id"] == "1.2"
    text = run("ask", "2020年要点里光荣牌怎么说").stdout
    assert "以下引自 2020 年" in text
    outline = json.loads(run("outline", "--json", "--year", "2020").stdout)
    assert [n["id"] for n in outline if n["children"]] == ["1", "2", "3", "4"]
    assert len(json.loads(run("outline", "--json").stdout)) > 4  # 2026: six sections
    r = run("ask", "--year", "2019", "光荣牌")
    assert r.returncode == 2 and "没有 2019 年" in r.stderr
