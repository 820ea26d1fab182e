"""Replies while a broadcast goes out, under Telegram's limits: ``python -m bot run`` sends one
/broadcast to N members through the fake Bot API server with the Bot FAQ's limits on (30 sends/s
overall, 1/s per chat, 429 ``retry_after`` beyond); each member answers with a question at a
random moment within 10 s of receiving it (0.5-10 s: reading takes a moment). The figure is each
answer's latency: from the question being available to the bot's reply arriving at the server.

    .venv/bin/python -m benchmarks.bench_broadcast [-n 300] [--window 10] [--runs 2]

Goal (issue 14): all N get replies, p99 < 1.5 s. Also printed: how long the broadcast took, its
busiest second, the 429s the bot provoked.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.bench_bot import ADMIN, Child, bot_env, mixed_questions
from benchmarks.fakeapi import FakeBotApi
from benchmarks.figures import Figure, emit, loadavg, span
from bot.clock import Clock
from bot.db import init_db, make_engine
from bot.services.roster import RosterService

MARK = "基准测试通知"
FIRST = 600_000


def seed(url: str, n: int) -> list[int]:
    """N active chats (the broadcast's audience 「全部」) and the admin's."""
    from datetime import timedelta

    engine = make_engine(url)
    init_db(engine)
    roster = RosterService(engine, Clock(), timedelta(days=7))
    ids = list(range(FIRST, FIRST + n))
    for cid in [*ids, ADMIN]:
        roster.register_chat(chat_id=cid, user_id=cid, name=f"成员{cid}", username=None)
    engine.dispose()
    return ids


def one_run(n: int, window: float, seed_no: int, tmp: Path) -> dict:
    url = f"sqlite:///{tmp / f'bc{seed_no}.db'}"
    seed(url, n)
    questions = mixed_questions()
    rng = random.Random(seed_no)
    with FakeBotApi() as api:
        child = Child(["-m", "bot", "run"], bot_env(api, url), tmp)
        try:
            api.wait_polls(1, timeout=120)
            api.push_messages([(1, "光荣牌怎么挂")])  # warm-up, as in bench_bot
            api.wait_replies([1], timeout=60)
            api.limits(per_second=30, per_chat_per_second=1)
            mark = len(api.replies)
            api.push_messages([(ADMIN, f"/broadcast {MARK}：请各单位本周五前报送双拥工作进展，有问题请直接回复。")])
            preview = None
            deadline = time.monotonic() + 30
            while preview is None and time.monotonic() < deadline:
                preview = next((r for r in api.replies[mark:] if r.chat_id == ADMIN and r.button("确认")), None)
                time.sleep(0.02)
            assert preview is not None, child.tail()
            asked: dict[int, float] = {}
            answered: dict[int, float] = {}
            got_broadcast: dict[int, int] = {}
            stop = threading.Event()

            def members_answer() -> None:
                """Each member answers at a random moment within ``window`` s of their copy."""
                seen, due = mark, []
                while not stop.is_set() and len(asked) < n:
                    for r in api.replies[seen:]:
                        if MARK in r.text and r.chat_id >= FIRST:
                            got_broadcast[r.chat_id] = got_broadcast.get(r.chat_id, 0) + 1
                            if got_broadcast[r.chat_id] == 1:
                                due.append((r.at + rng.uniform(0.5, window), r.chat_id))
                    seen = len(api.replies)
                    now = time.monotonic()
                    ready = [d for d in due if d[0] <= now]
                    if ready:
                        due = [d for d in due if d[0] > now]
                        batch = [(cid, questions[(cid - FIRST) % len(questions)]) for _, cid in ready]
                        at = api.push_messages(batch)
                        for _, cid in ready:
                            asked[cid] = at
                    time.sleep(0.005)

            t0 = api.push_callback(ADMIN, preview.button("确认"), preview)
            feeder = threading.Thread(target=members_answer, daemon=True)
            feeder.start()
            end = time.monotonic() + n / 5 + 60
            while len(answered) < n and time.monotonic() < end:
                for r in api.replies[mark:]:
                    a = asked.get(r.chat_id)
                    if a is not None and r.chat_id not in answered and r.at >= a and MARK not in r.text:
                        answered[r.chat_id] = r.at - a
                time.sleep(0.05)
            stop.set()
            sends = sorted(r.at for r in api.replies[mark:] if MARK in r.text and r.chat_id >= FIRST)
            all_sends = sorted(r.at for r in api.replies[mark:])
            busiest = max((sum(1 for t in all_sends if a <= t < a + 1.0) for a in all_sends), default=0)
            lat = sorted(answered.values())
            return {"replied": len(answered), "p50": statistics.median(lat) if lat else float("nan"),
                    "p99": lat[max(0, int(len(lat) * 0.99) - 1)] if lat else float("nan"),
                    "max": lat[-1] if lat else float("nan"),
                    "broadcast_s": (sends[-1] - t0) if sends else float("nan"),
                    "delivered": len(got_broadcast), "twice": sum(1 for v in got_broadcast.values() if v > 1),
                    "busiest": busiest, "refused": api.refused}
        finally:
            child.stop()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=300, help="members (default 300)")
    ap.add_argument("--window", type=float, default=10.0, help="answers come within this many seconds")
    ap.add_argument("--runs", type=int, default=2)
    args = ap.parse_args(argv)
    print(f"{args.n} members answer a broadcast within {args.window:g} s; fake Bot API with 30/s overall, "
          f"1/s per chat; load average {loadavg()}", flush=True)
    runs = []
    with tempfile.TemporaryDirectory() as tmpdir:
        for i in range(args.runs):
            r = one_run(args.n, args.window, i + 1, Path(tmpdir))
            runs.append(r)
            print(f"  run {i + 1}: replied {r['replied']}/{args.n}, latency p50 {r['p50']:.3f} s, p99 {r['p99']:.2f} s, "
                  f"max {r['max']:.2f} s; broadcast delivered {r['delivered']} (twice: {r['twice']}) in "
                  f"{r['broadcast_s']:.1f} s; busiest second {r['busiest']} sends; 429s provoked {r['refused']}",
                  flush=True)
    p99 = [r["p99"] for r in runs]
    ok = all(r["replied"] == args.n for r in runs) and max(p99) < 1.5
    emit([Figure(f"{args.n} members answering a broadcast within {args.window:g} s, 30/s + 1/s per chat: "
                 "reply latency p99", span(p99, "{:.2f}", " s"), "all replied, p99 < 1.5 s",
                 f"replied {min(r['replied'] for r in runs)}/{args.n}; p50 {span([r['p50'] for r in runs], '{:.3f}', ' s')}; "
                 f"broadcast {span([r['broadcast_s'] for r in runs], '{:.1f}', ' s')}; "
                 f"429s {max(r['refused'] for r in runs)}", ok, "python -m benchmarks.bench_broadcast")])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
