"""Schema creation and upgrade at start-up, through Alembic migrations (bot/migrations)."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)
SCRIPTS = Path(__file__).resolve().parent / "migrations"


def _config(connection) -> Config:  # noqa: ANN001
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` (default: the latest). Safe to call at every start."""
    with engine.begin() as conn:
        command.upgrade(_config(conn), revision)


def revision(engine: Engine, message: str) -> None:
    """Developer helper: autogenerate a migration from the models against ``engine``'s schema."""
    with engine.begin() as conn:
        command.revision(_config(conn), message=message, autogenerate=True)


def current(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
