"""Senders that are not a person — channel posts, anonymous group administrators (a message with
``sender_chat``: Telegram's GroupAnonymousBot, or "send as" a channel), other bots — never act:
nothing they send runs a handler. A command from an anonymous administrator gets one line saying
to use a personal account in a private chat; channels and bots get no answer (two bots answering
each other would never stop)."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import ApplicationHandlerStop, filters

from bot import texts
from bot.context import BotContext
from handlers.common import reply
from handlers.lifecycle.private import command_of


class _NotAPerson(filters.MessageFilter):
    """A message (or channel post, or edit of either) whose sender is not a person."""

    __slots__ = ()

    def filter(self, message: Message) -> bool:
        user = message.from_user
        return message.sender_chat is not None or user is None or user.is_bot


NOT_A_PERSON = _NotAPerson(name="NOT_A_PERSON")


async def refuse_non_person(update: Update, context: BotContext) -> None:
    """Stop the update; an anonymous administrator's command addressed to us gets one line."""
    msg = update.effective_message
    if (msg is not None and update.message is not None and msg.sender_chat is not None
            and update.effective_chat is not None and msg.sender_chat.id == update.effective_chat.id):
        cmd = command_of(msg, context.bot.username)
        if cmd is not None and cmd[1]:
            await reply(update, texts.NOT_A_PERSON)
    raise ApplicationHandlerStop
