"""Flood control: a per-sender token bucket consulted as each update arrives, before any handler —
a user who sends far faster than Telegram lets the bot answer gets one 「太快」 notice and their
excess updates are dropped; nobody else waits for them.

The bucket holds ``burst`` updates and refills at ``rate`` per second. Telegram lets a bot send
about one message a second into one chat (core.telegram.org/bots/faq, "My bot is hitting limits"),
so a sender well above that only builds a queue of answers that arrive minutes late: besides the
bucket, no sender may have more than ``burst`` updates queued. An update is dropped only while the
same sender still has updates queued behind the one being handled — a user who waits for each
answer is never throttled, however quickly they type. The first drop of an episode becomes the
notice; the next notice needs a full bucket again (the user paused).

Why here and not in a handler group: handlers run when an update's turn comes, after the chat's
earlier updates (handlers/lifecycle/ordering.py); only at arrival can a burst be told from a user
who waits for each answer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from telegram import Update

log = logging.getLogger(__name__)

PASS, NOTICE, DROP = "pass", "notice", "drop"


@dataclass
class _Bucket:
    tokens: float
    stamp: float
    noticed: bool = False


class FloodGate:
    """``admit(sender, waiting=n)`` -> PASS, NOTICE (drop it, tell the user once) or DROP.

    ``burst``: updates a sender may send at once (ten questions typed quickly all get answers), and
    the most they may have queued; ``rate``: tokens per second; ``waiting``: the sender's updates
    queued and not yet started. Telegram-free and synchronous: the processor calls it inline.
    """

    def __init__(self, *, burst: int = 12, rate: float = 1.0,
                 monotonic: Callable[[], float] = time.monotonic, max_senders: int = 10_000) -> None:
        if burst < 1 or rate <= 0:
            raise ValueError("burst must be >= 1 and rate > 0")
        self.burst = float(burst)
        self.rate = rate
        self._mono = monotonic
        self._buckets: dict[int, _Bucket] = {}
        self.max_senders = max_senders
        self.dropped = 0
        self.notices = 0

    def admit(self, sender: int, *, waiting: int) -> str:
        """Take one token for ``sender``; ``waiting``: its updates admitted and not yet started."""
        now = self._mono()
        b = self._buckets.get(sender)
        if b is None:
            if len(self._buckets) >= self.max_senders:
                self._prune(now)
            b = self._buckets[sender] = _Bucket(self.burst, now)
        else:
            b.tokens = min(self.burst, b.tokens + (now - b.stamp) * self.rate)
            b.stamp = now
            if b.tokens >= self.burst:
                b.noticed = False  # paused long enough: a new episode may be told again
        if waiting == 0:
            return PASS  # nothing of theirs is queued: answering this one delays nobody
        if b.tokens >= 1 and waiting < self.burst:
            b.tokens -= 1
            return PASS
        self.dropped += 1
        if b.noticed:
            return DROP
        b.noticed = True
        self.notices += 1
        log.warning("flood from %s: updates dropped until they slow down", sender)
        return NOTICE

    def _prune(self, now: float) -> None:
        """Forget senders whose bucket has refilled completely (they are as good as new)."""
        full = self.burst / self.rate
        for key in [k for k, b in self._buckets.items() if now - b.stamp >= full]:
            del self._buckets[key]


async def flood_notice(update: Update) -> None:
    """The one notice of a flood episode, in the sender's chat (a button press gets a toast).
    It answers the sender, so it is a reply for the send limiter (bot/sendlimit.py): sent from the
    processor, before any handler marked the chat, it would otherwise queue as bulk behind the
    flooder's own answers."""
    from bot import texts
    from bot.sendlimit import mark_reply_target
    from handlers.common import answer, reply

    await mark_reply_target(update, None)

    if update.callback_query is not None:
        await answer(update, texts.FLOOD_NOTICE, alert=False)
        return
    await reply(update, texts.FLOOD_NOTICE)
