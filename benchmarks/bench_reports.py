"""/progress and /export on 1,000 units × 13 items × 12 periods of synthetic check-ins.

    .venv/bin/python -m benchmarks.bench_reports [--units 1000] [--db URL] [--runs 3]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from benchmarks.figures import Figure, emit, loadavg, span
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


def timed(fn, runs: int = 3) -> tuple[list[float], object]:  # noqa: ANN001
    """(seconds of each run, the last result)."""
    times, out = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return times, out


def xlsxwriter_floor(rows: int, cols: int = 10) -> float:
    """Seconds XlsxWriter alone takes for ``rows`` × ``cols`` short, repeated strings without any
    format: the least any export of that many cells can cost with it."""
    import io

    import xlsxwriter

    values = [f"值{i}" for i in range(200)]
    t0 = time.perf_counter()
    wb = xlsxwriter.Workbook(io.BytesIO(), {"in_memory": True})
    ws = wb.add_worksheet()
    for r in range(rows):
        for c in range(cols):
            ws.write_string(r, c, values[(r + c) % 200])
    wb.close()
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=1000)
    ap.add_argument("--db", default=None)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    periods = [f"2026-{m:02d}" for m in range(1, 13)]
    print(f"load average {loadavg()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(args.db or f"sqlite:///{Path(tmp) / 'bench.db'}")
        init_db(engine)
        plan = PlanService(engine, FakeClock(datetime(2026, 12, 5, tzinfo=UTC))).active()  # the shipped 2020 plan
        items = plan.items
        t0 = time.perf_counter()
        n = populate(engine, args.units, periods, [i.id for i in items], plan.id)
        backend = engine.url.get_backend_name()
        print(f"{args.units} units × {len(items)} items × {len(periods)} periods = {n} check-ins "
              f"({backend}, inserted in {time.perf_counter() - t0:.1f} s)")
        clock = FakeClock(datetime(2026, 12, 5, tzinfo=UTC))
        svc = CheckinService(engine, clock, plans=PlanService(engine, clock), duties=DutyService(engine, clock),
                             tz=ZoneInfo("Asia/Shanghai"))
        reports = ReportService(engine, svc)
        progress, msgs = timed(lambda: split(render_progress(p := svc.progress("2026-11"),
                                                             len(p.units) + len(p.missing))), args.runs)
        one, res = timed(lambda: reports.export("2026-11"), args.runs)
        one_rows = res[2]
        every, res = timed(lambda: reports.export(None), args.runs)
        all_rows, size = res[2], len(res[1]) // 1024
        chart, _ = timed(lambda: reports.chart("2026-11"), args.runs)
        engine.dispose()
    floor = xlsxwriter_floor(all_rows)
    ms = "{:.0f}"
    print(f"/progress (one period, rendered, {len(msgs)} messages): {span([t * 1000 for t in progress], ms, ' ms')}")
    print(f"/export one period ({one_rows} rows): {span([t * 1000 for t in one], ms, ' ms')}")
    print(f"/export all periods ({all_rows} rows, {size} KiB): {span(every, '{:.1f}', ' s')}  (goal < 3 s)")
    print(f"  XlsxWriter alone, {all_rows} rows × 10 plain cells: {floor:.1f} s (its floor for such an export)")
    print(f"/chart one period, {args.units} units: {span([t * 1000 for t in chart], ms, ' ms')}")
    cmd = "python -m benchmarks.bench_reports"
    emit([
        Figure(f"/progress, {args.units} units × {len(items)} items ({n} check-ins)",
               span([t * 1000 for t in progress], ms, " ms"), "< 2000 ms", f"{len(msgs)} messages, {backend}",
               statistics.median(progress) < 2, cmd),
        Figure(f"/export of one period ({one_rows} rows)", span([t * 1000 for t in one], ms, " ms"), "< 2000 ms",
               backend, statistics.median(one) < 2, cmd),
        Figure(f"/export of all 12 periods ({all_rows} rows)", span(every, "{:.1f}", " s"), "< 3 s",
               f"XlsxWriter alone needs {floor:.1f} s for {all_rows} × 10 plain cells; {size} KiB",
               statistics.median(every) < 3, cmd),
        Figure(f"/chart, {args.units} units", span([t * 1000 for t in chart], ms, " ms"), "—", "stacked bars", None, cmd),
    ])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
