"""Reads (and the one write) every update makes, without SQLAlchemy's per-call machinery: one
statement, compiled once for the engine's dialect, run on a pooled DBAPI connection.

An ORM ``Session.get`` costs ~140 µs of CPU on SQLite (a session, an identity map, a row object);
the same primary-key lookup through SQLAlchemy Core ~30 µs; this ~11 µs
(benchmarks/bench_bot.py profiles the bot). Meant for the few checks made for every message —
is a check-in open for this user? — where the answer is a row or nothing and no object is needed.
The database is asked each time, so several bot processes sharing it stay consistent.

Values come back as the driver returns them: no SQLAlchemy result processing (SQLite gives
booleans as 0/1 and datetimes as text), so select plain columns.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.sql import Executable

__all__ = ["QuickRead"]


class QuickRead:
    """``QuickRead(engine, select(...).where(col == bindparam("name")))``; ``one(name=value)``
    -> the first row as a tuple, or None."""

    def __init__(self, engine: Engine, statement: Executable) -> None:
        compiled = statement.compile(dialect=engine.dialect)
        self.engine = engine
        self.sql = str(compiled)
        # qmark / format dialects (SQLite) take parameters in order; named ones (psycopg) by name
        self._order = tuple(compiled.positiontup or ()) if compiled.positional else None

    def write(self, rows: list[dict[str, Any]]) -> int:
        """Run the statement (an INSERT, UPDATE or DELETE) once per row of parameters, in one
        transaction, and commit; the rows it changed (as the driver counts them). Values must be
        what the driver takes (``bind`` converts a column's value as SQLAlchemy would)."""
        if not rows:
            return 0
        args = [tuple(r[k] for k in self._order) for r in rows] if self._order is not None else rows
        conn = self.engine.raw_connection()
        try:
            cur = conn.cursor()
            try:
                cur.executemany(self.sql, args)
                changed = cur.rowcount
            finally:
                cur.close()
            conn.commit()
            return changed
        except BaseException:
            conn.rollback()
            raise
        finally:
            conn.close()

    def one(self, **params: Any) -> tuple | None:
        """Run the statement with ``params``; the first row, or None. DBAPI errors propagate."""
        args = tuple(params[k] for k in self._order) if self._order is not None else params
        conn = self.engine.raw_connection()
        try:
            cur = conn.cursor()
            try:
                cur.execute(self.sql, args)
                return cur.fetchone()
            finally:
                cur.close()
        finally:
            conn.close()  # back to the pool (which rolls the read's transaction back)
