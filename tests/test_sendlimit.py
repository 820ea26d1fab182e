"""Bulk sends make room for replies (bot/sendlimit.py): a reply never waits for the overall budget,
a bulk send does, counting replies twice; within a chat a bulk send and any other send are spaced,
replies following one another are not. Then the real bot over the loopback Bot API: members
answering while a broadcast goes out under Telegram's limits get their answers without a 429."""

from __future__ import annotations

import asyncio

from bot.sendlimit import SendLimiter, _reply_target
from tests.conftest import say
from tests.harness import ADMIN


class Clock:
    """Virtual time: ``sleep`` advances it, nothing really waits."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def _run(sends: list[tuple[int, bool]], per_second: float = 28) -> list[float]:
    """The time each (chat, is a reply) send went out, made one after another."""
    clock = Clock()
    limiter = SendLimiter(per_second, monotonic=clock.monotonic, sleep=clock.sleep)
    times: list[float] = []

    async def send(chat: int, reply: bool) -> None:
        token = _reply_target.set(chat if reply else None)
        try:
            async def call() -> bool:
                times.append(clock.now)
                return True

            await limiter.process_request(call, (), {}, "sendMessage", {"chat_id": chat}, None)
        finally:
            _reply_target.reset(token)

    async def go() -> None:
        for chat, reply in sends:
            await send(chat, reply)

    asyncio.run(go())
    return times


def test_replies_are_never_held_for_the_budget_but_bulk_is():
    replies = _run([(i, True) for i in range(40)])
    assert replies == [0.0] * 40  # 40 answers at once: none waits (Telegram's 429 stays the judge)
    bulk = _run([(i, False) for i in range(40)], per_second=28)
    assert bulk[:28] == [0.0] * 28 and min(bulk[28:]) >= 1.0  # the 29th waits for the window
    # 10 replies in the last second count as 20: only 8 bulk sends fit beside them
    mixed = _run([(i, True) for i in range(10)] + [(100 + i, False) for i in range(10)])
    assert mixed[10:18] == [0.0] * 8 and min(mixed[18:]) >= 1.0


def test_a_chat_keeps_a_gap_around_bulk_sends_only():
    assert _run([(7, True), (7, True), (7, True)]) == [0.0, 0.0, 0.0]  # a conversation: a burst
    bulk_then_reply = _run([(7, False), (7, True)])
    assert bulk_then_reply[1] >= 1.05  # the answer waits out the rest of the second after the broadcast
    reply_then_bulk = _run([(7, True), (7, False)])
    assert reply_then_bulk[1] >= 1.05


def test_edits_and_other_calls_pass_at_once():
    clock = Clock()
    limiter = SendLimiter(1, monotonic=clock.monotonic, sleep=clock.sleep)

    async def go() -> list[float]:
        out = []
        for _ in range(5):
            async def call() -> bool:
                out.append(clock.now)
                return True

            await limiter.process_request(call, (), {}, "editMessageText", {"chat_id": 1}, None)
        return out

    assert asyncio.run(go()) == [0.0] * 5


def test_answers_during_a_broadcast_meet_no_429(emu, bot):
    """Telegram's limits on; 30 members get a broadcast and answer it at once: every answer
    comes, and the bot provoked no 429 (a reply meeting one would wait a whole second)."""
    members = list(range(900, 930))
    for m in members:
        bot.services.roster.register_chat(chat_id=m, user_id=m, name=f"c{m}", username=None)
    emu.rate_limit(global_per_second=30, per_chat_per_second=1)
    preview = say(emu, ADMIN, "/broadcast 周五前报送进展，有问题直接回复", contains="群发预览")
    mark = emu.mark()
    emu.press(ADMIN, preview, preview.button("确认")[1])
    for m in members:
        emu.wait_for(chat_id=m, contains="周五前报送", after=mark, timeout=20)
        emu.user_message(m, "光荣牌怎么挂")
    for m in members:
        emu.wait_for(chat_id=m, contains="光荣牌", after=mark, timeout=20,
                     predicate=lambda msg: "周五前" not in (msg.plain or ""))
    assert emu.self_inflicted_429 == 0
