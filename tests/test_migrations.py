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
from bot.models import BroadcastDelivery, CheckIn, Event, Unit


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
