""".env.example documents every setting (README: "every key is documented in .env.example"), and
every key it lists is one the bot reads, with a value the bot accepts."""

from __future__ import annotations

from dotenv import dotenv_values

from bot.config import Settings
from tests.harness import ROOT


def test_every_setting_is_in_env_example_and_nothing_else():
    listed = set(dotenv_values(ROOT / ".env.example"))
    fields = {name.upper() for name in Settings.model_fields}
    assert fields - listed == set(), f"settings missing from .env.example: {sorted(fields - listed)}"
    assert listed - fields == set(), f".env.example lists keys the bot does not read: {sorted(listed - fields)}"


def test_env_example_values_load(monkeypatch):
    for key in {name.upper() for name in Settings.model_fields}:
        monkeypatch.delenv(key, raising=False)
    values = {k.lower(): v for k, v in dotenv_values(ROOT / ".env.example").items() if v}
    Settings(_env_file=None, **values)  # raises on a value the bot would refuse
