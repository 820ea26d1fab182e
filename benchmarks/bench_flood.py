"""Floods and order, measured on the real bot over the loopback emulator.

    .venv/bin/python -m benchmarks.bench_flood [ROUNDS] [BURSTS]

1. Latency under a flood, with Telegram-like limits on the emulator (30 messages/s overall,
   1/s per chat, refused beyond with 429 retry_after=1): 50 users each ask one question at once,
   alone (the baseline) and right after one user sent 200 messages. Printed: p50/p99 of the 50
   users' reply latency in both cases, their difference (goal: p99 within 1 s of the baseline) and
   ratio, and what the flooder got (answers, notices).
2. Order, under the same limits: BURSTS bursts (default 1,000) of 4 messages, each burst one user
   typing 4 questions at once, 50 users at a time; an order violation is an answer that arrives
   before the answer to a question sent earlier in the same chat. Measured with the bot's
   ChatOrderedProcessor (goal 0) and, as the comparison it is measured against, with PTB's
   SimpleUpdateProcessor (16 at once, what ``concurrent_updates(16)`` gives, no promise of order)
   on 200 bursts. The emulator answers without jitter, so as Telegram does now and then, one chat
   in five has its first send answered 429 with retry_after=2 (the others meet the 1/s limit and
   wait 1 s): the delay that lets a later answer overtake an earlier one.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.figures import Figure, emit
from bot.emulator import BotApiEmulator
from tests.harness import RunningBot, make_settings

CMD = "python -m benchmarks.bench_flood"

QUESTION = "光荣牌怎么挂"


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def wait_replies(emu: BotApiEmulator, chats: dict[int, float], cursor: int, needle: str,
                 timeout: float = 120.0) -> dict[int, float]:
    """Latency (s) from each chat's injection time to its first reply containing ``needle``."""
    got: dict[int, float] = {}
    deadline = time.monotonic() + timeout
    while len(got) < len(chats) and time.monotonic() < deadline:
        for ev in emu.events_after(cursor, timeout=0.5):
            cursor = ev.index + 1
            m = ev.msg
            if ev.kind == "sent" and m is not None and m.chat_id in chats and m.chat_id not in got \
                    and needle in (m.plain or ""):
                got[m.chat_id] = ev.time - chats[m.chat_id]  # type: ignore[index]
    if len(got) < len(chats):
        raise AssertionError(f"{len(chats) - len(got)} users got no reply in {timeout}s")
    return got


def ask_all(emu: BotApiEmulator, users: list[int]) -> dict[int, float]:
    sent: dict[int, float] = {}
    cursor = emu.mark()
    for uid in users:
        sent[uid] = time.monotonic()
        emu.user_message(uid, QUESTION)
    return wait_replies(emu, sent, cursor, "光荣牌")


def latency(rounds: int) -> Figure:
    base: list[float] = []
    flooded: list[float] = []
    flooder_answers = flooder_notices = 0
    with tempfile.TemporaryDirectory() as tmp, BotApiEmulator() as emu:
        bot = RunningBot(make_settings(emu, f"sqlite:///{Path(tmp) / 'bot.db'}", log_level="ERROR")).start()
        try:
            emu.user_message(1, QUESTION)  # warm-up: jieba, the index, the database
            emu.wait_for(chat_id=1, contains="光荣牌", timeout=30)
            emu.rate_limit(global_per_second=30, per_chat_per_second=1)
            for r in range(rounds):
                time.sleep(2.5)
                base += ask_all(emu, list(range(100_000 + r * 1000, 100_050 + r * 1000))).values()
                time.sleep(2.5)
                flooder = 900_000 + r
                mark = emu.mark()
                for i in range(200):
                    emu.user_message(flooder, f"ZQF{i:03d} 光荣牌")
                flooded += ask_all(emu, list(range(200_000 + r * 1000, 200_050 + r * 1000))).values()
                emu.wait_idle(quiet=2.5, timeout=120)  # the flooder's accepted answers drain at 1/s
                to_flooder = [ev for ev in emu.events[mark:] if ev.kind == "sent" and ev.msg.chat_id == flooder]
                flooder_notices += sum("太快" in ev.plain for ev in to_flooder)
                flooder_answers += sum("光荣牌" in ev.plain for ev in to_flooder)
        finally:
            bot.stop()
    b99, f99 = pct(base, 0.99), pct(flooded, 0.99)
    print(f"latency of 50 users, {rounds} rounds, emulator limited to 30/s overall and 1/s per chat")
    print(f"  unflooded: p50 {statistics.median(base):.2f} s, p99 {b99:.2f} s")
    print(f"  one user flooding 200 messages: p50 {statistics.median(flooded):.2f} s, p99 {f99:.2f} s")
    print(f"  p99 difference {f99 - b99:+.2f} s (goal: within 1 s), ratio flooded/unflooded p99 {f99 / b99:.2f}")
    print(f"  the flooder, per round: {flooder_answers / rounds:.1f} answers, "
          f"{flooder_notices / rounds:.1f} notice(s), the other {200 - flooder_answers / rounds:.0f} dropped")
    return Figure("p99 reply latency of 50 users while one floods 200 messages",
                  f"{f99:.2f} s ({f99 - b99:+.2f} s)", "within 1 s of unflooded",
                  f"the same 50 users unflooded: p99 {b99:.2f} s", f99 - b99 <= 1.0, CMD)


def order(bursts: int, *, ordered: bool, per_burst: int = 4, users: int = 50) -> tuple[int, int, float]:
    """(violations, answers checked, seconds) for ``bursts`` bursts of ``per_burst`` messages."""
    from telegram.ext import SimpleUpdateProcessor

    violations = checked = 0
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp, BotApiEmulator() as emu:
        running = RunningBot(make_settings(emu, f"sqlite:///{Path(tmp) / 'bot.db'}", log_level="ERROR"))
        if not ordered:  # the comparison: PTB's plain concurrent processor (benchmark only)
            running.app._update_processor = SimpleUpdateProcessor(16)
        bot = running.start()
        try:
            emu.user_message(1, QUESTION)
            emu.wait_for(chat_id=1, contains="光荣牌", timeout=30)
            emu.rate_limit(global_per_second=30, per_chat_per_second=1)
            done = 0
            round_no = 0
            while done < bursts:
                n = min(users, bursts - done)
                chats = list(range(300_000, 300_000 + n))
                for uid in chats[::5]:
                    emu.fail_next("sendMessage", 1, error_code=429, retry_after=2, chat_id=uid)
                cursor = emu.mark()
                for k in range(per_burst):  # interleaved, as many chats typing at once
                    for uid in chats:
                        emu.user_message(uid, f"ZQB{round_no:03d}x{k}")
                expected = n * per_burst
                seen: dict[int, list[int]] = {uid: [] for uid in chats}
                deadline = time.monotonic() + 300
                while sum(map(len, seen.values())) < expected and time.monotonic() < deadline:
                    for ev in emu.events_after(cursor, timeout=0.5):
                        cursor = ev.index + 1
                        m = ev.msg
                        if ev.kind == "sent" and m is not None and m.chat_id in seen:
                            tag = f"ZQB{round_no:03d}x"
                            at = (m.plain or "").find(tag)
                            if at >= 0:
                                seen[m.chat_id].append(int(m.plain[at + len(tag)]))  # type: ignore[index]
                for got in seen.values():
                    checked += len(got)
                    violations += sum(1 for a, b in zip(got, got[1:], strict=False) if b < a)
                done += n
                round_no += 1
                time.sleep(1.0)  # a pause between rounds, as people between bursts
        finally:
            bot.stop()
    return violations, checked, time.monotonic() - t0


def main(argv: list[str]) -> None:
    import logging

    logging.basicConfig(level=logging.ERROR)  # the bot's one-line 429 warnings are expected here
    rounds = int(argv[1]) if len(argv) > 1 else 3
    bursts = int(argv[2]) if len(argv) > 2 else 1000
    figures = [latency(rounds)]
    v, n, took = order(bursts, ordered=True)
    print(f"order: {bursts} bursts of 4 ({n} answers), 30/s and 1/s per chat: {v} violations with "
          f"ChatOrderedProcessor (goal 0; {took:.0f} s)")
    compare = min(bursts, 200)
    v0, n0, took0 = order(compare, ordered=False)
    print(f"order, the comparison: {compare} bursts of 4 ({n0} answers) with PTB's SimpleUpdateProcessor(16): "
          f"{v0} violations ({took0:.0f} s)")
    figures.append(Figure(f"order violations, {bursts} bursts of 4 under 30/s + 1/s per chat", str(v), "0",
                          f"PTB's SimpleUpdateProcessor(16): {v0} in {compare} bursts", v == 0, CMD))
    emit(figures)


if __name__ == "__main__":
    main(sys.argv)
