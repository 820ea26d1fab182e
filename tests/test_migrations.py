"""Alembic migrations: the models match the migrated schema, and a database made by the first
release upgrades without losing rows — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import Session, SQLModel, select

from bot.db import init_db, make_engine
from bot.migrate import current, upgrade
from bot.models import BroadcastDelivery, CheckIn, CheckinDraft, Event, Plan, Unit


def _head() -> str:
    """The newest revision in bot/migrations (so this test does not change with every migration)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from bot.migrate import SCRIPTS

    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    return ScriptDirectory.from_config(cfg).get_current_head()


def test_models_match_migrations(any_db_url):
    engine = make_engine(any_db_url)
    init_db(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == [], f"models changed without a migration: {diff}"
    engine.dispose()


def test_first_release_database_upgrades_keeping_rows(any_db_url):
    engine = make_engine(any_db_url)
    upgrade(engine, "0001")
    now = datetime(2026, 6, 8, 2, 0, tzinfo=UTC)
    with engine.begin() as c:  # rows as the first release wrote them (raw SQL: today's models differ)
        c.execute(sa.text("INSERT INTO unit (id, name, kind, created_at) VALUES (1, '龙城镇', '乡镇', :t)"), {"t": now})
        c.execute(sa.text("INSERT INTO checkin (id, period, unit_id, user_id, reporter, item_id, status, note, "
                          "created_at, superseded) VALUES (1, '2026-06', 1, 7, '张三', '2.2', '已完成', '慰问', :t, false)"),
                  {"t": now})
        c.execute(sa.text("INSERT INTO event (id, title, starts_at, note, created_at) "
                          "VALUES (1, '表彰大会', :t, '', :t)"), {"t": now})
        c.execute(sa.text("INSERT INTO broadcast (id, text, audience, created_by, admin_chat_id, status, total, "
                          "created_at) VALUES (1, '通知', 'all', 42, 42, 'sending', 1, :t)"), {"t": now})
        c.execute(sa.text("INSERT INTO broadcastdelivery (id, broadcast_id, chat_id, status, attempts) "
                          "VALUES (1, 1, 7, 'pending', 0)"))
    init_db(engine)  # what start-up does
    assert current(engine) == _head()
    with Session(engine) as s:
        assert s.exec(select(Unit)).one().name == "龙城镇"
        c = s.exec(select(CheckIn)).one()
        assert (c.note, c.created_at) == ("慰问", now)
        assert s.exec(select(Event)).one().deleted_at is None
        assert s.exec(select(BroadcastDelivery)).one().parts_sent == 0
    init_db(engine)  # idempotent
    engine.dispose()


def test_database_of_the_one_document_release_gets_plan_2020(any_db_url):
    """A database as the bot wrote it before plans existed (schema 0004): its check-ins and open
    check-in flows are kept, and every check-in now belongs to plan 2020, the active one."""
    engine = make_engine(any_db_url)
    upgrade(engine, "0004")
    now = datetime(2026, 11, 8, 2, 0, tzinfo=UTC)
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO unit (id, name, kind, created_at) VALUES (1, '龙城镇', '乡镇', :t)"), {"t": now})
        for i, item in enumerate(("1.2", "4.3", "2.2"), start=1):
            c.execute(sa.text("INSERT INTO checkin (id, period, unit_id, user_id, reporter, item_id, status, note, "
                              "created_at, superseded) VALUES (:i, '2026-11', 1, 7, '张三', :item, '已完成', '', "
                              ":t, false)"), {"i": i, "item": item, "t": now})
        c.execute(sa.text("INSERT INTO checkindraft (user_id, chat_id, step, item_id, token, updated_at) "
                          "VALUES (8, 8, 'status', '3.1', 'abc123', :t)"), {"t": now})
    init_db(engine)
    with Session(engine) as s:
        plans = list(s.exec(select(Plan)))
        assert [(p.year, p.active, p.item_count, p.section_count) for p in plans] == [(2020, True, 13, 4)]
        assert "双拥工作要点" in plans[0].title and "光荣牌" in plans[0].source_text
        rows = list(s.exec(select(CheckIn).order_by(CheckIn.id)))
        assert [(c.item_id, c.plan_id) for c in rows] == [("1.2", plans[0].id), ("4.3", plans[0].id),
                                                            ("2.2", plans[0].id)]
        assert s.exec(select(CheckinDraft)).one().item_id == "3.1"
    engine.dispose()


def test_the_frozen_2020_plan_matches_what_the_parser_makes_today():
    """Migration 0005 inserts a frozen clause tree; when the parser changes the 2020 plan's items
    this fails, and the frozen copy is refreshed deliberately (a database migrated earlier keeps
    its ids either way)."""
    import json

    from bot.migrate import SCRIPTS
    from bot.services.plans import shipped_plan_values

    frozen = json.loads((SCRIPTS / "data" / "plan_2020.json").read_text("utf-8"))
    today = shipped_plan_values()
    items = lambda v: [(c["id"], c["title"]) for c in json.loads(v["document"])["clauses"] if c["kind"] == "item"]  # noqa: E731
    assert items(frozen) == items(today) and frozen["year"] == today["year"] == 2020
