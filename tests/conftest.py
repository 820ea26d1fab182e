"""Shared fixtures: a Bot API emulator, a fresh database, the real bot running against both."""

from __future__ import annotations

import pytest

from bot.emulator import BotApiEmulator
from tests.harness import ADMIN, RunningBot, make_settings


@pytest.fixture
def emu():
    with BotApiEmulator(token="123456:TEST-token-for-tests", bot_username="shuangyong_test_bot") as e:
        yield e


@pytest.fixture
def db_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'bot.db'}"


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
