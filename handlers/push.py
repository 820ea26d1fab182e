"""Sending one text to many chats politely: every bulk send of the process (reminders, deadline
pushes, 催办, broadcasts) goes through one shared Pacer, so together they stay at BROADCAST_RATE
(~25/s) under Telegram's ~30/s; RetryAfter pauses them all; blocked chats are marked."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.services.broadcast import Pacer
from bot.services.roster import RosterService
from handlers.common import retry_seconds

log = logging.getLogger(__name__)


async def push_one(bot: Bot, chat_id: int, text: str, roster: RosterService, pacer: Pacer,
                   *, attempts: int = 3) -> bool:
    """Deliver one message; False when it could not be delivered (blocked, refused, network)."""
    for attempt in range(attempts):
        await pacer.acquire()
        try:
            await bot.send_message(chat_id, text)
            return True
        except RetryAfter as exc:
            pacer.pause(retry_seconds(exc))
        except Forbidden:
            roster.mark_blocked(chat_id)
            return False
        except BadRequest as exc:
            log.warning("push to %s refused: %s", chat_id, exc.message)
            return False
        except TimedOut:
            # the request may have reached Telegram: resending could deliver it twice (PTB #1045)
            log.warning("push to %s timed out; not resent (may have been delivered)", chat_id)
            return False
        except NetworkError as exc:
            log.warning("push to %s failed (attempt %d): %s", chat_id, attempt + 1, exc)
            await asyncio.sleep(0.5 * 2**attempt)
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
