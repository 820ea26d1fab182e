"""Onboarding for admins: /invite 单位名称, /units."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot import texts
from bot.context import BotContext
from handlers.common import admin_only, args_text, is_private, once, reply


@admin_only
@once
async def invite(update: Update, context: BotContext) -> None:
    """Create the unit if new and reply with a single-use deep link (in private chats only)."""
    if not is_private(update):  # a single-use link posted in a group is anybody's
        await reply(update, texts.INVITE_PRIVATE_ONLY)
        return
    unit, inv, created = context.services.roster.create_invite(unit_name=args_text(update),
                                                               created_by=update.effective_user.id)
    link = f"https://t.me/{context.bot.username}?start={inv.code}"
    expires = texts.when(inv.expires_at, context.settings.tz)
    await reply(update, texts.invite_created(unit.name, unit.kind, link, created, expires))


@admin_only
async def units(update: Update, context: BotContext) -> None:
    """Roster: each unit, its bound members, last check-in."""
    await reply(update, texts.roster(context.services.roster.roster(), context.settings.tz))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("invite", invite))
    app.add_handler(CommandHandler("units", units))
