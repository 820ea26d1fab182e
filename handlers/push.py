"""Sending one text to many chats politely: ~25 messages/s, RetryAfter honoured, blocked chats marked."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.services.roster import RosterService

log = logging.getLogger(__name__)


async def push_one(bot: Bot, chat_id: int, text: str, roster: RosterService, *, attempts: int = 3) -> bool:
    """Deliver one message; False when it could not be delivered (blocked, refused, network)."""
    for attempt in range(attempts):
        try:
            await bot.send_message(chat_id, text)
            return True
        except RetryAfter as exc:
            await asyncio.sleep(float(exc.retry_after if not hasattr(exc.retry_after, "total_seconds")
                                      else exc.retry_after.total_seconds()))
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
                    rate: float = 25.0) -> tuple[int, int]:
    """(delivered, failed) after sending ``text`` to each chat at about ``rate`` per second."""
    ok = failed = 0
    gap = 1.0 / rate
    for chat_id in dict.fromkeys(chat_ids):
        started = asyncio.get_running_loop().time()
        if await push_one(bot, chat_id, text, roster):
            ok += 1
        else:
            failed += 1
        await asyncio.sleep(max(0.0, gap - (asyncio.get_running_loop().time() - started)))
    return ok, failed
