"""Shared fixtures: a Bot API emulator, a fresh database, the real bot running against both."""

from __future__ import annotations

import os
import secrets
import warnings

import pytest

from bot.emulator import BotApiEmulator
from tests.harness import ADMIN, RunningBot, make_settings


@pytest.fixture
def emu():
    with BotApiEmulator(token="123456:TEST-token-for-tests", bot_username="shuangyong_test_bot") as e:
        yield e


PG_ADMIN_URL = os.environ.get("TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
_pg_state: dict[str, str | None] = {}


def _pg_unavailable() -> str | None:
    """None when the PostgreSQL server answers, else why not (checked once per run)."""
    if "why" not in _pg_state:
        import sqlalchemy as sa

        try:
            eng = sa.create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
            with eng.connect() as c:
                c.execute(sa.text("select 1"))
            eng.dispose()
            _pg_state["why"] = None
        except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
            _pg_state["why"] = f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}"
    return _pg_state["why"]


@pytest.fixture
def pg_url():
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    why = _pg_unavailable()
    if why:
        warnings.warn(f"SKIPPING PostgreSQL test: {why}", stacklevel=1)
        pytest.skip(f"SKIPPED LOUDLY: {why}")
    import sqlalchemy as sa

    name = f"sy_test_{secrets.token_hex(6)}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'bot.db'}"


@pytest.fixture
def db_url(sqlite_url) -> str:
    return sqlite_url


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db_url(request, tmp_path) -> str:
    """Both backends: tests using it run once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'bot.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def engine(any_db_url):
    """A migrated database on each backend, for service tests."""
    from bot.db import init_db, make_engine

    e = make_engine(any_db_url)
    init_db(e)
    yield e
    e.dispose()


@pytest.fixture
def start_bot(emu, db_url):
    """start_bot(**settings_overrides) -> RunningBot; stopped at the end of the test."""
    running: list[RunningBot] = []

    def _start(clock=None, **overrides):  # noqa: ANN001, ANN202
        b = RunningBot(make_settings(emu, overrides.pop("database_url", db_url), **overrides), clock=clock).start()
        running.append(b)
        return b

    yield _start
    for b in running:
        b.stop()


@pytest.fixture
def bot(start_bot):
    return start_bot()


def say(emu: BotApiEmulator, user_id: int, text: str, *, contains=None, timeout: float = 10.0, **kw):  # noqa: ANN001, ANN201
    """Type ``text`` as the user and wait for the bot's reply (containing ``contains``)."""
    emu.user_message(user_id, text, **kw)
    return emu.wait_for(chat_id=kw.get("chat_id", user_id), contains=contains, timeout=timeout)


def bind(emu: BotApiEmulator, user_id: int, unit: str, *, name: str = "联络员") -> None:
    """The admin invites ``unit``; the user opens the link. Both through the chat."""
    reply = say(emu, ADMIN, f"/invite {unit}", contains="start=")
    code = reply.plain.split("start=")[1].split()[0]
    say(emu, user_id, f"/start {code}", contains=unit, first_name=name)


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ANN001
    why = _pg_unavailable()  # asked here too: with xdist the tests ran in worker processes
    if why:
        terminalreporter.write_sep("!", f"PostgreSQL tests were SKIPPED: {why}", red=True, bold=True)
