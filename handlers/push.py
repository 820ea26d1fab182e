"""Sending one text to many chats politely, and never stopping for one recipient.

Batch isolation: every job that sends to many chats (check-in timeout notices, reminders, deadline
pushes, 催办) sends each message through ``push_one``, which turns every Telegram refusal into
``False`` — a blocked chat is marked inactive, a group that moved to a supergroup is followed and
sent to at its new id, anything else is logged in one line — so the next recipient always gets
its message. Broadcasts have their own ledger (bot/services/broadcast.py) with the same outcomes.

Pace: every bulk send of the process goes through one shared Pacer, so together they stay at
BROADCAST_RATE (~25/s) under Telegram's ~30/s; a 429's retry_after pauses them all (a 429 in a bulk
send is the overall limit: each chat gets one message)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.services.broadcast import Pacer
from bot.services.roster import RosterService
from handlers.common import retry_seconds
from handlers.lifecycle.migration import send_following

log = logging.getLogger(__name__)


async def push_one(bot: Bot, chat_id: int, text: str, roster: RosterService, pacer: Pacer,
                   *, attempts: int = 3) -> bool:
    """Deliver one message; False when it could not be delivered (blocked, refused, network).
    Never raises a TelegramError: one recipient's failure must not stop a batch."""

    async def send(target: int) -> object:
        return await bot.send_message(target, text)

    for attempt in range(attempts):
        await pacer.acquire()
        try:
            await send_following(chat_id, send, roster=roster)
            return True
        except RetryAfter as exc:
            log.warning("429 pushing to %s: every push waits %.0fs", chat_id, retry_seconds(exc))
            pacer.pause(retry_seconds(exc))
        except Forbidden as exc:
            log.info("push to %s refused (%s): chat marked inactive", chat_id, exc.message)
            roster.mark_blocked(chat_id)
            return False
        except BadRequest as exc:
            if "chat not found" in exc.message.lower():
                roster.mark_blocked(chat_id)  # deleted account or a group that is gone
            log.warning("push to %s refused: %s", chat_id, exc.message)
            return False
        except TimedOut:
            # the request may have reached Telegram: resending could deliver it twice (PTB #1045)
            log.warning("push to %s timed out; not resent (may have been delivered)", chat_id)
            return False
        except NetworkError as exc:
            log.warning("push to %s failed (attempt %d): %s", chat_id, attempt + 1, exc)
            await asyncio.sleep(0.5 * 2**attempt)
        except TelegramError as exc:  # ChatMigrated twice, Conflict, InvalidToken…: this one fails
            log.warning("push to %s failed: %s: %s", chat_id, type(exc).__name__, exc.message)
            return False
    return False


async def push_many(bot: Bot, chat_ids: Iterable[int], text: str, roster: RosterService,
                    pacer: Pacer) -> tuple[int, int]:
    """(delivered, failed) after sending ``text`` once to each chat, paced by ``pacer``."""
    ok = failed = 0
    for chat_id in dict.fromkeys(chat_ids):
        if await push_one(bot, chat_id, text, roster, pacer):
            ok += 1
        else:
            failed += 1
    return ok, failed
