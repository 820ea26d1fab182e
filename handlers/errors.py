"""The one global error handler: domain errors become Chinese text; Telegram's lifecycle errors are
one WARNING line each (flood control, a blocked chat, a group that moved); bugs are logged with the
traceback and the user gets a polite message; the bot keeps running."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError

from bot import texts
from bot.context import BotContext
from bot.errors import AppError
from handlers.common import answer, app_error, reply, retry_seconds
from handlers.lifecycle.migration import follow

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
    chat = update.effective_chat if isinstance(update, Update) else None
    if isinstance(exc, RetryAfter):  # a send outside reply() met flood control: nothing is broken
        log.warning("429 while handling update %s (chat %s): retry after %.0fs; that message is dropped",
                    getattr(update, "update_id", "-"), chat.id if chat else "-", retry_seconds(exc))
        return
    if isinstance(exc, ChatMigrated) and chat is not None:
        follow(chat.id, int(exc.new_chat_id), context.services.roster)
        return
    if isinstance(exc, Forbidden) and chat is not None:
        log.warning("chat %s refuses messages (%s): marked inactive", chat.id, exc.message)
        context.services.roster.mark_blocked(chat.id)
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
