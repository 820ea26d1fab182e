"""/cancel leaves whatever the user has open: one command for every flow. Each flow module
registers a canceller with ``@canceller`` (check-in drafts, broadcast previews, pending uploads,
event previews …); /cancel calls them all and says what was cancelled."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot import texts
from bot.context import BotContext
from handlers.common import reply

# (update, context) -> the text saying what was cancelled, or None when that flow had nothing open
Canceller = Callable[[Update, BotContext], Awaitable[str | None]]
_CANCELLERS: dict[str, Canceller] = {}


def canceller(fn: Canceller) -> Canceller:
    """Register ``fn`` with /cancel (idempotent: keyed by the function's qualified name)."""
    _CANCELLERS[f"{fn.__module__}.{fn.__qualname__}"] = fn
    return fn


async def cancel(update: Update, context: BotContext) -> None:
    """/cancel: every flow drops what this user has open; one reply listing what was cancelled."""
    done = [text for fn in list(_CANCELLERS.values()) if (text := await fn(update, context))]
    await reply(update, "\n".join(done) if done else texts.NOTHING_TO_CANCEL)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("cancel", cancel))
