"""Alembic environment: run programmatically from bot.migrate with a live connection."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from bot import models  # noqa: F401 - registers the tables

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    connection = config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run the bot or bot.migrate.upgrade")
run_migrations_online()
