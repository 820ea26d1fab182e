"""What keeps the running bot small and quick to start (benchmarks/bench_memory.py and
bench_bot.py measure it): a database already at the newest schema is recognised without Alembic,
one that is behind is still migrated, and the knowledge base works without pkg_resources."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from bot.db import init_db, make_engine
from bot.migrate import at_head, current, head_revision, upgrade

ROOT = Path(__file__).resolve().parent.parent


def _alembic_head() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from bot.migrate import SCRIPTS

    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    return ScriptDirectory.from_config(cfg).get_current_head()


def test_head_read_from_the_files_is_alembics():
    assert head_revision() == _alembic_head()


def test_a_database_behind_is_still_migrated(any_db_url):
    engine = make_engine(any_db_url)
    assert not at_head(engine)  # a new database: no version table at all
    upgrade(engine, "0008")
    assert current(engine) == "0008" and not at_head(engine)
    init_db(engine)  # what every start does
    assert current(engine) == _alembic_head() and at_head(engine)
    with engine.connect() as conn:  # the newest migration's tables exist
        assert sa.inspect(conn).has_table("pendingaction")
    engine.dispose()


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          check=True, timeout=120).stdout.strip()


def test_a_start_at_the_newest_schema_loads_no_alembic(tmp_path):
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    probe = (f"import sys; from bot.db import init_db, make_engine; init_db(make_engine({url!r})); "
             "print('alembic' in sys.modules)")
    assert _run(probe) == "True"  # the first start creates the schema through Alembic
    assert _run(probe) == "False"  # the next ones only read alembic_version


def test_questions_are_answered_without_pkg_resources():
    out = _run("import sys; from knowledge import KnowledgeBase; kb = KnowledgeBase.load(); "
               "a = kb.ask('光荣牌怎么挂'); b = kb.ask('退役军人家里挂的牌子叫啥'); "
               "print(a.hits[0].clause.id, b.hits[0].clause.id, 'pkg_resources' in sys.modules)")
    assert out == "1.2 1.2 False"


def test_the_draft_check_reads_the_database_on_both_backends(engine):
    """has_draft (bot/services/quickread.py: raw DBAPI, the statement compiled per dialect) says
    what the ORM says, on SQLite (qmark) and PostgreSQL (named parameters) alike."""
    from zoneinfo import ZoneInfo

    from bot.clock import Clock
    from bot.services.checkins import CheckinService
    from bot.services.duties import DutyService
    from bot.services.plans import PlanService

    clock = Clock()
    svc = CheckinService(engine, clock, plans=PlanService(engine, clock), duties=DutyService(engine, clock),
                         tz=ZoneInfo("Asia/Shanghai"))
    assert not svc.has_draft(7)
    svc.start_draft(user_id=7, chat_id=7)
    assert svc.has_draft(7) and not svc.has_draft(8)
    assert svc.draft(7) is not None
    svc.cancel_draft(7)
    assert not svc.has_draft(7)
