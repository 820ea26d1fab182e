"""Private-only commands: binding, check-ins and the office's data commands work only in a private
chat. In a group such a command gets one line containing 「私聊」 and nothing else runs — the table
of commands lives in bot/app.py (PRIVATE_ONLY), so a command added later only needs listing there.

The same guard keeps group chatter away from the handlers: a command addressed to another bot
(``/checkin@otherbot``) and a group text that does not mention this bot *exactly* (a mention
entity equal to ``@username``, so ``@shuangyong_botx`` is not ``@shuangyong_bot``) stop here."""

from __future__ import annotations

from collections.abc import Iterable

from telegram import Message, MessageEntity, Update
from telegram.ext import ApplicationHandlerStop

from bot import texts
from bot.context import BotContext
from handlers.common import reply


def command_of(message: Message, bot_username: str | None) -> tuple[str, bool] | None:
    """(command word lower-cased, addressed to this bot) when the message starts with a
    bot_command entity (Telegram marks ``/cmd`` and ``/cmd@bot`` so), else None."""
    text = message.text or message.caption
    entities = message.entities if message.text else message.caption_entities
    if not text or not entities:
        return None
    first = entities[0]
    if first.type != MessageEntity.BOT_COMMAND or first.offset != 0:
        return None
    word = (message.parse_entity(first) if message.text else message.parse_caption_entity(first))[1:]
    name, _, target = word.partition("@")
    addressed = not target or (bot_username is not None and target.lower() == bot_username.lower())
    return name.lower(), addressed


def mentions(message: Message, bot_username: str | None) -> bool:
    """Whether the message has a mention entity naming exactly this bot (case-insensitive)."""
    if not bot_username:
        return False
    handle = "@" + bot_username.lower()
    found = message.parse_entities([MessageEntity.MENTION]) if message.text else \
        message.parse_caption_entities([MessageEntity.MENTION])
    return any(value.lower() == handle for value in found.values())


class GroupGuard:
    """Group -20 handler callback for group chats: private-only commands refused, commands to other
    bots and text not addressed to us stopped; everything else goes on to the handlers."""

    def __init__(self, private_only: Iterable[str], private_with_args: Iterable[str] = ()) -> None:
        self.private_only = frozenset(c.lower() for c in private_only)
        self.private_with_args = frozenset(c.lower() for c in private_with_args)

    def is_private_only(self, command: str, has_args: bool) -> bool:
        return command in self.private_only or (has_args and command in self.private_with_args)

    async def __call__(self, update: Update, context: BotContext) -> None:
        msg = update.effective_message
        if msg is None:
            return
        username = context.bot.username
        cmd = command_of(msg, username)
        if cmd is None:
            if msg.text is not None and not mentions(msg, username):
                raise ApplicationHandlerStop  # group talk that is not for us
            return
        command, addressed = cmd
        if not addressed:
            raise ApplicationHandlerStop  # /cmd@otherbot
        has_args = len((msg.text or msg.caption or "").split(maxsplit=1)) > 1
        if self.is_private_only(command, has_args):
            await reply(update, texts.private_only(command, username))
            raise ApplicationHandlerStop
