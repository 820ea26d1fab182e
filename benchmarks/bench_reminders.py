"""Start-up cost of the reminder machinery at scale: 10,000 events x 3 offsets x 500 members.

Prints wall time and memory (peak RSS from resource.getrusage, and current RSS) of what the bot
does at start and on each sweep: settling reminders missed while down, computing due work,
planning jobs (the 6 h horizon the bot uses, and - for comparison - every pending reminder as a
PTB JobQueue job), resolving recipients and claiming deliveries, and the deadline pushes.

    .venv/bin/python benchmarks/bench_reminders.py
    .venv/bin/python benchmarks/bench_reminders.py --events 10000 --members 500 --db postgresql+psycopg://postgres@127.0.0.1:5432/bench
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from sqlmodel import Session  # noqa: E402

from bot.clock import FakeClock  # noqa: E402
from bot.config import parse_offsets  # noqa: E402
from bot.db import init_db, make_engine  # noqa: E402
from bot.models import Chat, Event, Member, ReminderDelivery, Unit  # noqa: E402
from bot.services.events import EventService  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident set size in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        current = pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        current = float("nan")
    return current, peak


class Report:
    def __init__(self) -> None:
        self.rows: list[tuple[str, float, str]] = []

    def timed(self, label: str, fn, *args, **kw):  # noqa: ANN001, ANN002, ANN003, ANN201
        t0 = time.perf_counter()
        out = fn(*args, **kw)
        dt = time.perf_counter() - t0
        extra = f"{len(out):,} items" if hasattr(out, "__len__") else ""
        cur, peak = rss_mb()
        print(f"{label:<58} {dt * 1000:>10.1f} ms  {extra:>16}  rss {cur:7.1f} MiB (peak {peak:7.1f})")
        self.rows.append((label, dt, extra))
        return out


def populate(engine, now: datetime, n_events: int, n_members: int, n_units: int) -> None:  # noqa: ANN001
    rnd = random.Random(7)
    with Session(engine) as s:
        units = [Unit(name=f"单位{i:03d}", created_at=now - timedelta(days=400)) for i in range(n_units)]
        s.add_all(units)
        s.flush()
        for i in range(n_members):
            uid = 10_000 + i
            s.add(Member(user_id=uid, chat_id=uid, unit_id=units[i % n_units].id,
                         bound_at=now - timedelta(days=90)))
            s.add(Chat(chat_id=uid, user_id=uid, muted=(i % 50 == 0), active=(i % 97 != 0)))
        s.commit()
    rows = []
    for i in range(n_events):
        starts = now + timedelta(days=rnd.uniform(-30, 335))
        starts = starts.replace(second=0, microsecond=0)
        rows.append({"title": f"活动{i:05d}", "starts_at": starts, "note": "", "created_at": now - timedelta(days=60)})
    with engine.begin() as conn:
        conn.execute(sa.insert(Event), rows)


async def schedule_jobs(dues, label: str, report: Report) -> None:  # noqa: ANN001
    """Put the reminders into a real PTB JobQueue (APScheduler's memory job store)."""
    from telegram.ext import ApplicationBuilder, Defaults

    app = ApplicationBuilder().token("123:bench").defaults(Defaults(tzinfo=TZ)).build()
    await app.job_queue.start()

    async def noop(_ctx) -> None:  # noqa: ANN001
        return None

    def add_all() -> list:
        return [app.job_queue.run_once(noop, when=d.due_at, name=d.job_name, data=(d.event_id, d.offset_key),
                                       job_kwargs={"misfire_grace_time": 3600, "coalesce": True})
                for d in dues]

    report.timed(label, add_all)
    await app.job_queue.stop(wait=False)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=10_000)
    ap.add_argument("--members", type=int, default=500)
    ap.add_argument("--units", type=int, default=60)
    ap.add_argument("--offsets", default="7d,1d,2h")
    ap.add_argument("--db", default=None, help="SQLAlchemy URL of an EMPTY database (default: temp SQLite)")
    args = ap.parse_args()

    tmp = tempfile.TemporaryDirectory()
    url = args.db or f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    engine = make_engine(url)
    init_db(engine)  # the migrations, as at the bot's start
    logging.getLogger("bot.services.events").setLevel(logging.ERROR)  # 2,400 "skipped" lines otherwise
    now = datetime.now(UTC).replace(microsecond=0)  # real now: the JobQueue compares with the real clock
    clock = FakeClock(now)
    offsets = parse_offsets(args.offsets)
    svc = EventService(engine, clock, tz=TZ, offsets=offsets, admin_ids=[42])
    r = Report()
    print(f"{args.events:,} events x {len(offsets)} offsets x {args.members:,} members "
          f"({args.units} units) on {engine.url.get_backend_name()}; python {sys.version.split()[0]}")
    print(f"{'phase':<58} {'time':>13}  {'result':>16}")
    r.timed("populate (bulk insert, not part of start-up)", populate, engine, now, args.events, args.members,
            args.units)

    print("-- start-up (what the startup hook and first sweep do)")
    r.timed("skip_expired(full=True), first start: settle missed", svc.skip_expired, full=True)
    r.timed("skip_expired(full=True), every later start", svc.skip_expired, full=True)
    r.timed("due_reminders(now)", svc.due_reminders)
    horizon = r.timed("pending_reminders(6 h horizon): the jobs the bot plans", svc.pending_reminders,
                      until=now + timedelta(hours=6))
    everything = r.timed("pending_reminders(all): every future reminder", svc.pending_reminders)
    asyncio.run(schedule_jobs(horizon, "JobQueue.run_once x horizon", r))
    asyncio.run(schedule_jobs(everything, f"JobQueue.run_once x all {len(everything):,} (not done by the bot)", r))
    r.timed("deadline_work(now)", svc.deadline_work)

    print("-- one sweep in steady state (every 15 s)")
    r.timed("skip_expired (2-day lookback)", svc.skip_expired)
    r.timed("due_reminders(now)", svc.due_reminders)
    r.timed("pending_reminders(6 h horizon)", svc.pending_reminders, until=now + timedelta(hours=6))

    print("-- delivering one reminder (no network)")
    clock.set(everything[0].due_at)
    [due, *_] = svc.due_reminders()
    chats = r.timed("recipients(at=due)", svc.recipients, at=due.due_at)

    def claim_all() -> list:
        for c in chats:
            svc.claim(due.event_id, due.offset_key, c)
            svc.record(due.event_id, due.offset_key, c, "sent")
        svc.settle(due.event_id, due.offset_key)
        return chats

    dt0 = time.perf_counter()
    r.timed(f"claim + record x {len(chats)} (2 commits each) + settle", claim_all)
    per = (time.perf_counter() - dt0) / max(1, len(chats)) * 1000
    print(f"   = {per:.2f} ms of database work per recipient (Telegram pacing is 40 ms at 25/s)")
    r.timed("claims again (replay after a restart: all refused)",
            lambda: [c for c in chats if svc.claim(due.event_id, due.offset_key, c)])
    with Session(engine) as s:
        n = s.scalar(sa.select(sa.func.count()).select_from(ReminderDelivery))
    print(f"reminder_delivery rows: {n:,}")
    cur, peak = rss_mb()
    print(f"final rss {cur:.1f} MiB, peak {peak:.1f} MiB")
    engine.dispose()
    tmp.cleanup()
    from benchmarks.figures import Figure, emit

    startup = sum(dt for label, dt, _ in r.rows[1:7] if "not done by the bot" not in label)
    sweep = sum(dt for _, dt, _ in r.rows[-7:-4])
    emit([Figure(f"reminders: start-up work, {args.events:,} events × {len(offsets)} offsets × {args.members} members",
                 f"{startup * 1000:.0f} ms; a sweep {sweep * 1000:.0f} ms", "—",
                 f"{per:.2f} ms of database work per recipient (pacing at 25/s: 40 ms)", None,
                 "python benchmarks/bench_reminders.py")])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
