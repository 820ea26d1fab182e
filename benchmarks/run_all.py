"""Run every benchmark and print one table of the figures.

    .venv/bin/python -m benchmarks.run_all [--quick]

Each benchmark is a script that prints its figures; this runs them one after another (they are
timing-sensitive: don't run them beside other work) and gathers the lines that carry a figure.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time

BENCHMARKS = [
    ("knowledge: accuracy", ["benchmarks/accuracy.py"]),
    ("knowledge: latency + cold start", ["benchmarks/bench_knowledge.py"]),
    ("bot: answers/s vs echo, start-up", ["-m", "benchmarks.bench_bot", "500"]),
    ("reports: /progress, /export, /chart", ["-m", "benchmarks.bench_reports"]),
    ("reminders: rebuild at start", ["-m", "benchmarks.bench_reminders"]),
    ("broadcast: rate vs 30/s", ["-m", "benchmarks.bench_broadcast"]),
    ("memory: RSS with 1,000 units", ["-m", "benchmarks.bench_memory"]),
    ("roster: import of 1,000 units", ["-m", "benchmarks.bench_roster_import"]),
]
FIGURE = re.compile(r"\d")


def main(argv: list[str]) -> int:
    rows: list[tuple[str, str, float, int]] = []
    for name, args in BENCHMARKS:
        print(f"\n=== {name}: python {' '.join(args)}", flush=True)
        t0 = time.monotonic()
        res = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=1800)
        took = time.monotonic() - t0
        out = res.stdout.strip()
        print(out)
        if res.returncode:
            print(res.stderr[-2000:], file=sys.stderr)
        figures = [ln.strip() for ln in out.splitlines() if FIGURE.search(ln) and ln.strip()]
        rows.append((name, "\n".join(figures[-12:]), took, res.returncode))
    print("\n\n| benchmark | figures | took | ok |\n|---|---|---|---|")
    for name, figs, took, rc in rows:
        print(f"| {name} | {'<br>'.join(figs.splitlines()) or '—'} | {took:.0f} s | {'yes' if rc == 0 else 'FAILED'} |")
    return max((r[3] for r in rows), default=0)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
