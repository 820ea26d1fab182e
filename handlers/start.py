"""/start (with or without an invite code), an invite link or code pasted as text, /help, /mute,
/unmute."""

from __future__ import annotations

import re

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import texts
from bot.context import BotContext
from bot.errors import AppError, InviteInvalid
from handlers.common import app_error, display_name, once, reply

# an invite link pasted as text (https://t.me/<bot>?start=CODE), or the code alone
_PASTED = re.compile(r"^\s*(?:https?://)?(?:t\.me|telegram\.me)/\w+\?start=([A-Za-z0-9_-]{8,64})\s*$"
                     r"|^\s*([A-Za-z0-9_-]{16})\s*$")


def _register_chat(update: Update, context: BotContext) -> None:
    chat, user = update.effective_chat, update.effective_user
    if chat is not None:
        context.services.roster.register_chat(chat_id=chat.id, user_id=user.id if user else None,
                                              name=display_name(update), username=user.username if user else None)


async def start(update: Update, context: BotContext) -> None:
    """Register the chat; bind with an invite code if one came with the link."""
    _register_chat(update, context)
    user = update.effective_user
    if context.args:
        code = context.args[0][:64]
        if context.is_admin(user.id):  # an admin checking the link must not spend the liaison's code
            await reply(update, texts.invite_not_for_admin(context.services.roster.invite_unit(code).name))
            return
        unit, previous = context.services.roster.redeem(code=code, user_id=user.id,
                                                        chat_id=update.effective_chat.id, name=display_name(update))
        await reply(update, texts.bound_to(unit.name, previous))
        return
    membership = context.services.roster.membership(user.id if user else None)
    await reply(update, texts.welcome(display_name(update), membership[1].name if membership else None,
                                      context.is_admin(user.id if user else None),
                                      context.services.plans.active().title))


async def help_cmd(update: Update, context: BotContext) -> None:
    """Every command this user may use, with an example each."""
    user = update.effective_user
    uid = user.id if user else None
    await reply(update, texts.help_text(context.is_admin(uid), context.services.roster.membership(uid) is not None,
                                        context.settings.tz))


async def mute(update: Update, context: BotContext) -> None:
    """Stop event reminders for this chat."""
    _register_chat(update, context)
    context.services.roster.set_muted(update.effective_chat.id, True)
    await reply(update, texts.MUTED)


async def unmute(update: Update, context: BotContext) -> None:
    """Resume event reminders for this chat."""
    _register_chat(update, context)
    context.services.roster.set_muted(update.effective_chat.id, False)
    await reply(update, texts.UNMUTED)


async def prune_processed_updates(context: BotContext) -> None:
    """Job: forget processed update ids older than a week (Telegram keeps updates 24 h)."""
    context.services.updates.prune()


async def pasted_invite(update: Update, context: BotContext) -> None:
    """An invite link (or its code) pasted as a message instead of tapped: bind as /start CODE
    would. A 16-character word that is no invite code is left to the question handler; anything
    else stops here, a refused link too (used, revoked, expired: its reason is the one reply,
    never followed by 「未找到」 for the link read as a question)."""
    m = _PASTED.match(update.effective_message.text or "")
    code = m.group(1) or m.group(2)
    if m.group(2):  # a bare code: only when it is one
        try:
            context.services.roster.invite_unit(code)
        except InviteInvalid as exc:
            if exc.reason == "unknown":
                return
    context.args = [code]
    try:
        await _bind_once(update, context)
    except AppError as exc:
        await app_error(update, context, exc)
    raise ApplicationHandlerStop


@once
async def _bind_once(update: Update, context: BotContext) -> None:
    await start(update, context)


def register(app: Application) -> None:
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND
                                   & filters.Regex(_PASTED), pasted_invite))
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("help", help_cmd))
    app.add_handler(CommandHandler("mute", mute))
    app.add_handler(CommandHandler("unmute", unmute))
    app.job_queue.run_repeating(prune_processed_updates, interval=6 * 3600, first=300, name="prune-updates")
