"""Schema creation/upgrade at start-up."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import SQLModel


def upgrade(engine: Engine) -> None:
    SQLModel.metadata.create_all(engine)
