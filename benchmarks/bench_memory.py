"""Memory (RSS) of ``python -m bot run`` whose database holds 1,000 units with members and a year
of check-ins (156,000): idle after start-up (the active plan's index built, a first question
answered, 2 s quiet), then after /progress, questions and an /export of one period.

    .venv/bin/python -m benchmarks.bench_memory [--units 1000] [--runs 2]

The bot talks to the fake Bot API server (benchmarks/fakeapi.py). The database is made once and
the bot started on it again for each run, as an operator's restart would (the first start of a
new database also runs its migrations, which the idle figure is not about).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.bench_bot import ADMIN, Child, bot_env, rss_mib
from benchmarks.bench_reports import populate
from benchmarks.fakeapi import FakeBotApi
from benchmarks.figures import Figure, emit, loadavg, span
from bot.clock import Clock
from bot.db import init_db, make_engine
from bot.services.plans import PlanService


def one_run(url: str, tmp: Path) -> tuple[float, float, float]:
    """(idle, after /progress and questions, after /export) RSS in MiB."""
    with FakeBotApi() as api:
        child = Child(["-m", "bot", "run"], bot_env(api, url), tmp)
        try:
            pid = child.proc.pid
            api.wait_polls(1, timeout=120)
            api.push_messages([(7, "光荣牌怎么挂")])
            api.wait_replies([7], timeout=60)
            time.sleep(2.0)
            idle = rss_mib(pid)
            n = len(api.replies)
            api.push_messages([(ADMIN, "/progress 2026-11")])
            api.wait_replies([ADMIN], after=n, timeout=120)
            for i, q in enumerate(("第二部分", "退伍军人家里要挂什么牌子", "拥军优属有哪些活动")):
                api.push_messages([(100 + i, q)])
                api.wait_replies([100 + i], timeout=60)
            time.sleep(1.0)
            busy = rss_mib(pid)
            n = len(api.replies)
            api.push_messages([(ADMIN, "/export 2026-11")])
            api.wait_replies([ADMIN], after=n, timeout=300, pred=lambda r: r.method == "senddocument")
            time.sleep(1.0)
            return idle, busy, rss_mib(pid)
        finally:
            child.stop()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=2)
    args = ap.parse_args(argv)
    print(f"python -m bot run, {args.units} units; load average {loadavg()}", flush=True)
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        url = f"sqlite:///{tmp / 'bot.db'}"
        engine = make_engine(url)
        init_db(engine)
        plan = PlanService(engine, Clock()).active()  # the shipped 2020 plan
        n = populate(engine, args.units, [f"2026-{m:02d}" for m in range(1, 13)], plan.item_ids, plan.id)
        engine.dispose()
        runs = [one_run(url, tmp) for _ in range(args.runs)]
    idle, busy, after = ([r[i] for r in runs] for i in range(3))
    print(f"database: {args.units} units, {n} check-ins")
    print(f"RSS idle (index built, one answer) : {span(idle, '{:.1f}', ' MiB')}  (goal < 100 MiB)")
    print(f"RSS after /progress + 3 questions  : {span(busy, '{:.0f}', ' MiB')}")
    print(f"RSS after /export of one period    : {span(after, '{:.0f}', ' MiB')}")
    cmd = "python -m benchmarks.bench_memory"
    emit([Figure(f"RSS idle with {args.units} units (index built, one answer)", span(idle, "{:.0f}", " MiB"),
                 "< 100 MiB", f"{n} check-ins in the database", statistics.median(idle) < 100, cmd),
          Figure("RSS after /progress + questions, after /export", f"{statistics.median(busy):.0f} MiB, "
                 f"{statistics.median(after):.0f} MiB", "—", "same process", None, cmd)])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
