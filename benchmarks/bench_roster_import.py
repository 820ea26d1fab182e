"""What a roster import of N units costs: database statements (round trips) and time for the
file's parsing, the preview, storing it, 「确认」, and the invite workbook.

    .venv/bin/python -m benchmarks.bench_roster_import [--units 1000] [--db URL]

Without --db it runs on a fresh SQLite file; a PostgreSQL URL gets a throwaway database created
beside it (``…/bench_roster_<hex>``) and dropped afterwards.
"""

from __future__ import annotations

import argparse
import io
import secrets
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import sqlalchemy as sa

from bot.clock import Clock
from bot.db import init_db, make_engine
from bot.services.intake import intake
from bot.services.pending import PendingService
from bot.services.roster import RosterService, invite_workbook


def roster_xlsx(n: int) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2026年双拥工作单位名册"])
    ws.merge_cells("A1:C1")
    ws.append(["单位名称", "类型", "联络员"])
    for i in range(n):
        ws.append([f"测试单位{i:05d}", "", f"联络员{i}"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def run(url: str, n: int) -> None:
    engine = make_engine(url)
    init_db(engine)
    seen: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda c, cur, st, p, ctx, many: seen.append(st.split()[0]))
    roster = RosterService(engine, Clock(), timedelta(days=7))
    pending = PendingService(engine, Clock())
    data = roster_xlsx(n)

    t0 = time.perf_counter()
    up = intake(data, "名册.xlsx")
    t1 = time.perf_counter()
    mark = len(seen)
    preview = roster.preview_import(up.table)
    t2 = time.perf_counter()
    n_preview = len(seen) - mark
    mark = len(seen)
    action = pending.create(kind="roster_import", admin_id=1, chat_id=1, payload=preview.payload())
    n_store = len(seen) - mark
    mark = len(seen)
    t3 = time.perf_counter()
    issued = pending.confirm(action_id=action.id, token=action.token, user_id=1,
                             apply=lambda s, p: roster.apply_import(s, p, created_by=1))
    t4 = time.perf_counter()
    n_confirm = len(seen) - mark
    book = invite_workbook(issued, "bench_bot", ZoneInfo("Asia/Shanghai"))
    t5 = time.perf_counter()
    print(f"backend {engine.dialect.name}, {n} units ({len(data) // 1024} KB .xlsx)")
    print(f"  read + header detection   {1000 * (t1 - t0):8.1f} ms")
    print(f"  preview                   {1000 * (t2 - t1):8.1f} ms   {n_preview} statements")
    print(f"  store the preview         {n_store:>8} statements ({len(action.payload) // 1024} KB payload)")
    print(f"  确认 (units + invites)     {1000 * (t4 - t3):8.1f} ms   {n_confirm} statements")
    print(f"  invite workbook           {1000 * (t5 - t4):8.1f} ms   {len(book) // 1024} KB")
    assert len(issued) == n
    engine.dispose()
    from benchmarks.figures import Figure, emit

    emit([Figure(f"roster import of {n} units (.xlsx): read, preview, 确认, invite workbook",
                 f"{1000 * (t5 - t0):.0f} ms", "—",
                 f"{engine.dialect.name}; {n_preview} + {n_confirm} statements", None,
                 "python -m benchmarks.bench_roster_import")])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=1000)
    ap.add_argument("--db", default=None)
    args = ap.parse_args()
    if args.db is None or args.db.startswith("sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            run(args.db or f"sqlite:///{Path(tmp) / 'bench.db'}", args.units)
        return
    name = f"bench_roster_{secrets.token_hex(4)}"
    admin = sa.create_engine(args.db, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        run(args.db.rsplit("/", 1)[0] + f"/{name}", args.units)
    finally:
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
