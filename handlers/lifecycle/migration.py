"""Migration: when a group becomes a supergroup, every chat id we stored follows it — on the service
message that says so (``migrate_to_chat_id`` in the old group, ``migrate_from_chat_id`` in the new
one) and on a send that Telegram answers 400 with ``migrate_to_chat_id`` (PTB's ChatMigrated),
which is then retried once to the new id. ``send_following`` is that retry, shared by replies
(handlers/common.py), pushes (handlers/push.py) and broadcasts (handlers/broadcast.py)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram import Update
from telegram.error import ChatMigrated
from telegram.ext import ApplicationHandlerStop

from bot.context import BotContext
from bot.services.roster import RosterService
from handlers.lifecycle.application import current_services

log = logging.getLogger(__name__)
T = TypeVar("T")


def follow(old: int, new: int, roster: RosterService | None = None) -> None:
    """Stored chat ids ``old`` become ``new`` (``roster`` defaults to the current update's)."""
    if roster is None:
        services = current_services()
        roster = services.roster if services is not None else None
    if roster is None:
        log.warning("chat %s moved to %s but no database is at hand to follow it", old, new)
        return
    rows = roster.follow_migration(old=old, new=new)
    log.info("chat %s became supergroup %s: %d stored rows follow", old, new, rows)


async def send_following(chat_id: int, send: Callable[[int], Awaitable[T]], *,
                         roster: RosterService | None = None) -> T:
    """``await send(chat_id)``; when Telegram says the group moved, follow it and send to the new id.
    Raises whatever the second attempt raises (a group moves once)."""
    try:
        return await send(chat_id)
    except ChatMigrated as exc:
        new = int(exc.new_chat_id)
        follow(chat_id, new, roster)
        return await send(new)


async def on_migrate(update: Update, context: BotContext) -> None:
    """The service message of a group upgraded to a supergroup: stored ids follow; nothing else
    handles it."""
    msg = update.effective_message
    if msg is not None:
        if msg.migrate_to_chat_id:
            follow(msg.chat.id, int(msg.migrate_to_chat_id), context.services.roster)
        elif msg.migrate_from_chat_id:
            follow(int(msg.migrate_from_chat_id), msg.chat.id, context.services.roster)
    raise ApplicationHandlerStop
