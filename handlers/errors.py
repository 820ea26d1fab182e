"""The one global error handler: domain errors become Chinese text; bugs are logged with the
traceback and the user gets a polite message; the bot keeps running."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, NetworkError, TelegramError

from bot import texts
from bot.context import BotContext
from bot.errors import AppError
from handlers.common import answer, app_error, reply

log = logging.getLogger(__name__)


async def on_error(update: object, context: BotContext) -> None:
    """Map AppError to its text; log everything else with its traceback."""
    exc = context.error
    if isinstance(update, Update) and isinstance(exc, AppError):
        try:
            await app_error(update, context, exc)
        except TelegramError:
            log.warning("could not send the error text for update %s", update.update_id)
        return
    if isinstance(exc, Forbidden) and isinstance(update, Update) and update.effective_chat:
        context.services.roster.mark_blocked(update.effective_chat.id)
        return
    if isinstance(exc, NetworkError) and not isinstance(update, Update):
        log.warning("network error outside an update: %s", exc)
        return
    log.error("unhandled error while handling %s", getattr(update, "update_id", update), exc_info=exc)
    if isinstance(update, Update) and update.effective_chat:
        try:
            await answer(update)
            await reply(update, texts.GENERIC_ERROR)
        except TelegramError:
            log.warning("could not tell the user about the error")
