"""The Application subclass the composition root builds (``ApplicationBuilder.application_class``):
each update is cleaned of control characters before any handler sees it
(handlers/lifecycle/cleaning.py), and while it is handled, the helpers that have no ``context`` —
``reply()`` meeting a group that moved to a supergroup — can reach the services through
``current_application()``."""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING

from telegram import Update
from telegram.ext import Application

from handlers.lifecycle.cleaning import clean_update

if TYPE_CHECKING:
    from bot.services import Services

_current: ContextVar[Application | None] = ContextVar("current_application", default=None)


def current_application() -> Application | None:
    """The Application handling the current update (None outside one, e.g. in a job)."""
    return _current.get()


def current_services() -> Services | None:
    """The services of the Application handling the current update, once started."""
    app = _current.get()
    return app.bot_data.get("services") if app is not None else None


class LifecycleApplication(Application):
    """``Application`` whose ``process_update`` cleans the update first and marks itself current."""

    async def process_update(self, update: object) -> None:
        if isinstance(update, Update):
            update = clean_update(update)
        token = _current.set(self)
        try:
            await super().process_update(update)
        finally:
            _current.reset(token)
