"""Placeholder until the broadcast module lands (being written now)."""

from __future__ import annotations

from telegram.ext import Application


async def _noop(app: Application) -> None:
    return None


def register(app: Application):  # noqa: ANN201
    return _noop
