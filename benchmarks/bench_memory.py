"""Memory (RSS) of a running bot whose database holds 1,000 units with members and a year of
check-ins, after it answered /progress and questions.

    .venv/bin/python -m benchmarks.bench_memory [--units 1000]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from benchmarks.bench_reports import populate
from bot.clock import Clock
from bot.db import init_db, make_engine
from bot.emulator import BotApiEmulator
from bot.services.plans import PlanService
from tests.harness import ADMIN, BotProcess


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=1000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, BotApiEmulator() as emu:
        url = f"sqlite:///{Path(tmp) / 'bot.db'}"
        engine = make_engine(url)
        init_db(engine)
        plan = PlanService(engine, Clock()).active()  # the shipped 2020 plan
        n = populate(engine, args.units, [f"2026-{m:02d}" for m in range(1, 13)], plan.item_ids, plan.id)
        engine.dispose()
        proc = BotProcess(emu, url, Path(tmp), LOG_LEVEL="WARNING").wait_polling(timeout=60)
        try:
            idle = rss_mib(proc.proc.pid)
            emu.user_message(ADMIN, "/progress 2026-11")
            emu.wait_for(chat_id=ADMIN, contains="进度", timeout=60)
            emu.wait_idle(quiet=1.0, timeout=60)
            for q in ("光荣牌怎么挂", "第二部分", "退伍军人家里要挂什么牌子"):
                emu.user_message(7, q)
                emu.wait_for(chat_id=7, timeout=30)
            busy = rss_mib(proc.proc.pid)
            emu.user_message(ADMIN, "/export 2026-11")
            emu.wait_for(chat_id=ADMIN, predicate=lambda m: m.document is not None, timeout=120)
            after_export = rss_mib(proc.proc.pid)
        finally:
            proc.stop()
    print(f"database: {args.units} units, {n} check-ins")
    print(f"RSS after start      : {idle:6.0f} MiB")
    print(f"RSS after /progress  : {busy:6.0f} MiB")
    print(f"RSS after /export    : {after_export:6.0f} MiB")


if __name__ == "__main__":
    main()
