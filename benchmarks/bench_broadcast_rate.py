"""Broadcast pacing alone: the real bot sends one /broadcast to N recipients through the Bot API
emulator with Telegram's limits on (30/s overall, 1/s per chat), nobody answering. Prints
figures, asserts nothing. (benchmarks/bench_broadcast.py measures replies while a broadcast goes
out, against the fake server.)

    .venv/bin/python benchmarks/bench_broadcast_rate.py                  # 1,000 recipients, loopback
    .venv/bin/python benchmarks/bench_broadcast_rate.py --latency 0.15   # each API call takes 150 ms
    .venv/bin/python benchmarks/bench_broadcast_rate.py --latency 0.15 --max-in-flight 1
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.emulator import BotApiEmulator  # noqa: E402
from tests.harness import ADMIN, RunningBot, make_settings  # noqa: E402

MARK = "基准测试通知"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=1000, help="recipients (default 1000)")
    ap.add_argument("--rate", type=float, default=25.0, help="BROADCAST_RATE (default 25)")
    ap.add_argument("--latency", type=float, default=0.0, help="seconds the emulator takes per sendMessage")
    ap.add_argument("--max-in-flight", type=int, default=None, help="override handlers.broadcast.MAX_IN_FLIGHT")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)

    import handlers.broadcast as hb

    if args.max_in_flight:
        hb.MAX_IN_FLIGHT = args.max_in_flight
    with tempfile.TemporaryDirectory() as tmp, BotApiEmulator(token="1:BENCH") as emu:
        bot = RunningBot(make_settings(emu, f"sqlite:///{tmp}/bench.db", broadcast_rate=args.rate,
                                       log_level="WARNING")).start()
        try:
            ids = list(range(500_000, 500_000 + args.n))
            for cid in ids:
                bot.services.roster.register_chat(chat_id=cid, user_id=cid, name=f"c{cid}", username=None)
            emu.rate_limit(global_per_second=30, per_chat_per_second=1)
            if args.latency:
                emu.delay(args.latency, "sendMessage")
            emu.user_message(ADMIN, f"/broadcast {MARK}：请各单位按时填报。")
            preview = emu.wait_for(chat_id=ADMIN, contains="群发预览", timeout=10)
            mark = emu.mark()
            t0 = time.monotonic()
            emu.press(ADMIN, preview, preview.button("确认")[1])
            emu.wait_for(chat_id=ADMIN, contains="群发完成", after=mark, timeout=args.n / 5 + 60)
            total = time.monotonic() - t0
            sends = sorted(e.time for e in emu.events[mark:] if e.kind == "sent" and MARK in e.plain)
            edits = [e.time for e in emu.events[mark:]
                     if e.kind == "edit" and e.msg.chat_id == ADMIN and "已发送" in e.plain]
            sender = bot.app.bot_data[hb.SENDER]
            per_chat = {}
            for m in emu.sent:
                if MARK in m.plain and m.chat_id != ADMIN:
                    per_chat[m.chat_id] = per_chat.get(m.chat_id, 0) + 1
        finally:
            bot.stop()
    span = sends[-1] - sends[0]
    windows = [sum(1 for t in sends if a <= t < a + 1.0) for a in sends]
    gaps = [b - a for a, b in zip(edits, edits[1:], strict=False)]
    print(f"recipients            {args.n}   (rate setting {args.rate:g}/s, API latency {args.latency * 1000:.0f} ms, "
          f"max in flight {hb.MAX_IN_FLIGHT})")
    print(f"delivered             {len(sends)}   exactly once: {sorted(set(per_chat.values())) == [1]}")
    print(f"sustained rate        {(len(sends) - 1) / span:.2f} msg/s  (first to last send, {span:.1f} s)")
    print(f"confirm -> report     {total:.1f} s   ({args.n / total:.2f} msg/s overall)")
    print(f"busiest 1 s window    {max(windows)} sends (Telegram/emulator limit 30)")
    print(f"self-provoked 429s    {emu.self_inflicted_429}")
    print(f"peak in flight        {sender.in_flight_peak}")
    if gaps:
        print(f"progress edits        {len(edits)} (+ the report), min gap {min(gaps):.2f} s, median {statistics.median(gaps):.2f} s")
    from benchmarks.figures import Figure, emit

    rate = (len(sends) - 1) / span
    emit([Figure(f"broadcast to {args.n} recipients, nobody answering (emulator, 30/s limit)",
                 f"{rate:.2f} msg/s sustained; busiest second {max(windows)}", "≥ 24/s, no 429",
                 f"BROADCAST_RATE {args.rate:g}/s; 429s {emu.self_inflicted_429}; delivered {len(sends)}",
                 rate >= 24 and emu.self_inflicted_429 == 0, "python benchmarks/bench_broadcast_rate.py")])


if __name__ == "__main__":
    main()
