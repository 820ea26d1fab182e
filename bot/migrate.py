"""Schema creation and upgrade at start-up, through Alembic migrations (bot/migrations)."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)
SCRIPTS = Path(__file__).resolve().parent / "migrations"
_REVISION_LINE = re.compile(r"""^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(?:["'](\w+)["']|None)\s*$""", re.M)


def _config(connection) -> Config:  # noqa: ANN001
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str | None:
    """The latest revision in bot/migrations/versions, read from each file's ``revision`` and
    ``down_revision`` lines; None when they do not make one linear chain (Alembic decides then)."""
    revisions, parents = set(), set()
    for path in (SCRIPTS / "versions").glob("*.py"):
        found = dict((m.group(1), m.group(2)) for m in _REVISION_LINE.finditer(path.read_text(encoding="utf-8")))
        if not found.get("revision") or "down_revision" not in found:
            return None
        revisions.add(found["revision"])
        if found["down_revision"]:
            parents.add(found["down_revision"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def at_head(engine: Engine) -> bool:
    """Whether the database already has the latest schema (its alembic_version is the head)."""
    head = head_revision()
    if head is None:
        return False
    try:
        with engine.connect() as conn:
            rows = [r[0] for r in conn.execute(sa.text("SELECT version_num FROM alembic_version"))]
    except sa.exc.DBAPIError:  # a new database: no version table yet
        return False
    return rows == [head]


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` (default: the latest). Safe to call at every start: a
    database already at the head is recognised with one query, without importing Alembic (which
    costs ~11 MiB of memory for the life of the process and ~0.1 s)."""
    if revision == "head" and at_head(engine):
        return
    from alembic import command

    with engine.begin() as conn:
        command.upgrade(_config(conn), revision)


def revision(engine: Engine, message: str) -> None:
    """Developer helper: autogenerate a migration from the models against ``engine``'s schema."""
    from alembic import command

    with engine.begin() as conn:
        command.revision(_config(conn), message=message, autogenerate=True)


def current(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
