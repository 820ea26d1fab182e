"""Chat membership: Telegram's my_chat_member update makes a chat inactive the moment the user
blocks the bot or a group removes it, and active again when they unblock or re-add it; any private
message also marks its chat active (usually without a database call: RosterService.seen).

The status change is read as python-telegram-bot's examples/chatmemberbot.py reads it:
``ChatMemberUpdated.difference()`` of ``status`` and ``is_member``; a restricted member still in
the chat counts as present."""

from __future__ import annotations

import logging

from telegram import ChatMember, ChatMemberUpdated, Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop

from bot.context import BotContext

log = logging.getLogger(__name__)

_PRESENT = (ChatMember.MEMBER, ChatMember.OWNER, ChatMember.ADMINISTRATOR)


def presence_change(change: ChatMemberUpdated) -> tuple[bool, bool] | None:
    """(was in the chat, is in the chat) for the bot, None when its presence did not change
    (e.g. an administrator's rights were edited)."""
    diff = change.difference()
    status = diff.get("status")
    old_member, new_member = diff.get("is_member", (None, None))
    if status is None and old_member is None:
        return None
    old_status, new_status = status or (change.old_chat_member.status, change.new_chat_member.status)
    was = old_status in _PRESENT or (old_status == ChatMember.RESTRICTED and old_member is not False)
    now = new_status in _PRESENT or (new_status == ChatMember.RESTRICTED and new_member is not False)
    return (was, now) if was != now else None


async def on_my_chat_member(update: Update, context: BotContext) -> None:
    """Blocked / removed: inactive at once. Unblocked / re-added: active again. Nothing else runs."""
    change = update.my_chat_member
    if change is not None:
        moved = presence_change(change)
        if moved is not None:
            _was, now = moved
            known = context.services.roster.set_active(change.chat.id, now)
            log.info("chat %s %s the bot%s", change.chat.id, "re-added/unblocked" if now else "removed/blocked",
                     "" if known else " (not a registered chat)")
    raise ApplicationHandlerStop


async def private_activity(update: Update, context: BotContext) -> None:
    """Any private message or button press: the chat is evidently not blocking us. Never stops the
    update; normally no database call (RosterService.seen keeps what it knows)."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or chat.type != ChatType.PRIVATE or user is None:
        return
    name = user.full_name or user.username or str(user.id)
    context.services.roster.seen(chat_id=chat.id, name=name, username=user.username)
