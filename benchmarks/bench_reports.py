"""/progress and /export on 1,000 units × 13 items × 12 periods of synthetic check-ins.

    .venv/bin/python -m benchmarks.bench_reports [--units 1000] [--db URL]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bot.clock import FakeClock
from bot.db import init_db, make_engine
from bot.models import CheckIn, Member, Unit
from bot.services.checkins import CheckinService
from bot.services.duties import DutyService
from bot.services.plans import PlanService
from bot.services.reports import ReportService
from bot.texts import progress as render_progress
from bot.texts import split


def populate(engine, n_units: int, periods: list[str], items: list[str], plan_id: int) -> int:  # noqa: ANN001
    rng = random.Random(7)
    statuses = ["未开始", "进行中", "已完成"]
    with engine.begin() as conn:
        conn.execute(sa.insert(Unit), [{"name": f"测试单位{i:04d}", "kind": rng.choice(["乡镇", "街道", "成员单位"]),
                                        "created_at": datetime(2026, 1, 1, tzinfo=UTC)} for i in range(n_units)])
        ids = [r[0] for r in conn.execute(sa.select(Unit.id))]
        conn.execute(sa.insert(Member), [{"user_id": 10_000 + u, "chat_id": 10_000 + u, "unit_id": u, "name": f"联络员{u}",
                                          "bound_at": datetime(2026, 1, 1, tzinfo=UTC)} for u in ids])
        rows = []
        for p_i, period in enumerate(periods):
            when = datetime(2026, p_i + 1, 10, tzinfo=UTC)
            for u in ids:
                for item in items:
                    rows.append({"period": period, "plan_id": plan_id, "unit_id": u, "user_id": 10_000 + u, "reporter": f"联络员{u}",
                                 "item_id": item, "status": rng.choice(statuses), "note": "已按要求推进" * rng.randint(0, 3),
                                 "created_at": when, "superseded": False})
        for i in range(0, len(rows), 20_000):
            conn.execute(sa.insert(CheckIn), rows[i:i + 20_000])
    return len(rows)


def timed(fn, runs: int = 3) -> tuple[float, object]:  # noqa: ANN001
    best, out = float("inf"), None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=1000)
    ap.add_argument("--db", default=None)
    args = ap.parse_args()
    periods = [f"2026-{m:02d}" for m in range(1, 13)]
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(args.db or f"sqlite:///{Path(tmp) / 'bench.db'}")
        init_db(engine)
        plan = PlanService(engine, FakeClock(datetime(2026, 12, 5, tzinfo=UTC))).active()  # the shipped 2020 plan
        items = plan.items
        t0 = time.perf_counter()
        n = populate(engine, args.units, periods, [i.id for i in items], plan.id)
        print(f"{args.units} units × {len(items)} items × {len(periods)} periods = {n} check-ins "
              f"({engine.url.get_backend_name()}, inserted in {time.perf_counter() - t0:.1f} s)")
        clock = FakeClock(datetime(2026, 12, 5, tzinfo=UTC))
        svc = CheckinService(engine, clock, plans=PlanService(engine, clock), duties=DutyService(engine, clock),
                             tz=ZoneInfo("Asia/Shanghai"))
        reports = ReportService(engine, svc)
        t, msgs = timed(lambda: split(render_progress(p := svc.progress("2026-12" if False else "2026-11"),
                                                      len(p.units) + len(p.missing))))
        print(f"/progress (one period, rendered, {len(msgs)} messages): {t * 1000:.0f} ms  (goal < 2000 ms)")
        t, res = timed(lambda: reports.export("2026-11"), runs=2)
        print(f"/export one period ({res[2]} rows): {t * 1000:.0f} ms  (goal < 2000 ms)")
        t, res = timed(lambda: reports.export(None), runs=1)
        print(f"/export all periods ({res[2]} rows, {len(res[1]) // 1024} KiB): {t * 1000:.0f} ms")
        t, res = timed(lambda: reports.chart("2026-11"), runs=1)
        print(f"/chart one period: {t * 1000:.0f} ms")
        engine.dispose()
        _ = timedelta


if __name__ == "__main__":
    main()
