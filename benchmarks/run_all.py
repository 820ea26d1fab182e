"""Run every benchmark and print ONE table: each figure, its goal, what it is compared with (the
comparison a ratio is taken to), and whether the goal is met.

    .venv/bin/python -m benchmarks.run_all            # ~10 minutes; prints each benchmark, then the table
    .venv/bin/python -m benchmarks.run_all --quick    # fewer rounds (ranges get narrower, not truer)
    .venv/bin/python -m benchmarks.run_all --markdown # the table as Markdown
    .venv/bin/python -m benchmarks.run_all --readme   # ... and written into README.md's Figures section

The benchmarks are timing-sensitive: they run one after another, and the machine's load average
is printed with the table (on a shared 2-core machine figures vary by ±20 %). Each benchmark is a
script of its own that prints its details and then its figures (benchmarks/figures.py).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.figures import Figure, loadavg, parse

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
START, END = "<!-- figures:start (python -m benchmarks.run_all --readme) -->", "<!-- figures:end -->"

# (name, arguments, arguments with --quick)
BENCHMARKS = [
    ("knowledge: accuracy", ["benchmarks/accuracy.py"], None),
    ("knowledge: cold start, search, index", ["benchmarks/bench_knowledge.py", "--runs", "5"],
     ["benchmarks/bench_knowledge.py", "--runs", "2"]),
    ("HTTP client CPU per call", ["-m", "benchmarks.bench_http"], ["-m", "benchmarks.bench_http", "--calls", "1500"]),
    ("bot: answers/s vs echo, start-up", ["-m", "benchmarks.bench_bot", "--rounds", "3"],
     ["-m", "benchmarks.bench_bot", "--rounds", "1"]),
    ("bot: memory with 1,000 units", ["-m", "benchmarks.bench_memory", "--runs", "2"],
     ["-m", "benchmarks.bench_memory", "--runs", "1"]),
    ("broadcast answered under 30/s + 1/s per chat", ["-m", "benchmarks.bench_broadcast", "--runs", "2"],
     ["-m", "benchmarks.bench_broadcast", "--runs", "1"]),
    ("broadcast pacing alone (emulator)", ["benchmarks/bench_broadcast_rate.py"],
     ["benchmarks/bench_broadcast_rate.py", "-n", "300"]),
    ("reports: /progress, /export, /chart", ["-m", "benchmarks.bench_reports", "--runs", "3"],
     ["-m", "benchmarks.bench_reports", "--runs", "1"]),
    ("floods and order", ["-m", "benchmarks.bench_flood", "2", "600"], ["-m", "benchmarks.bench_flood", "1", "100"]),
    ("work plans: upload, 启用", ["-m", "benchmarks.bench_plans", "--runs", "3"],
     ["-m", "benchmarks.bench_plans", "--runs", "1"]),
    ("reminders at scale", ["benchmarks/bench_reminders.py"], None),
    ("roster import of 1,000 units", ["-m", "benchmarks.bench_roster_import"], None),
]


def run(quick: bool) -> tuple[list[Figure], list[str]]:
    """Run each benchmark; (every figure, names of the benchmarks that failed to run)."""
    figures: list[Figure] = []
    failed: list[str] = []
    for name, args, quick_args in BENCHMARKS:
        argv = (quick_args or args) if quick else args
        print(f"\n=== {name}: python {' '.join(argv)}  [load {loadavg()}]", flush=True)
        t0 = time.monotonic()
        res = subprocess.run([sys.executable, *argv], cwd=ROOT, capture_output=True, text=True, timeout=3600,
                             env=dict(os.environ, PYTHONPATH=str(ROOT)))
        print("\n".join(ln for ln in res.stdout.splitlines() if not ln.startswith("FIGURE\t")))
        print(f"({time.monotonic() - t0:.0f} s)", flush=True)
        got = parse(res.stdout)
        if res.returncode or not got:
            print(res.stderr[-3000:], file=sys.stderr)
            failed.append(name)
        figures += got
    return figures, failed


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(figures: list[Figure]) -> str:
    mark = {True: "✅ met", False: "❌ not met", None: "—"}
    lines = ["| figure | measured | goal | compared with | goal met | command |", "|---|---|---|---|---|---|"]
    for f in figures:
        lines.append(f"| {_cell(f.name)} | {_cell(f.value)} | {_cell(f.goal)} | {_cell(f.comparison)} | "
                     f"{mark[f.passed]} | `{f.command}` |")
    return "\n".join(lines)


def plain(figures: list[Figure]) -> str:
    mark = {True: "MET", False: "NOT MET", None: "-"}
    out = []
    for f in figures:
        out.append(f"{mark[f.passed]:>8}  {f.name}: {f.value}   [goal {f.goal}; compared with {f.comparison}]")
    return "\n".join(out)


def write_readme(table: str, header: str) -> None:
    """Replace the table between the Figures section's markers in README.md."""
    text = README.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"README.md has no {START} … {END} markers")
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    README.write_text(f"{before}{START}\n{header}\n\n{table}\n{END}{after}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer rounds")
    ap.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    ap.add_argument("--readme", action="store_true", help="write the table into README.md (implies --markdown)")
    args = ap.parse_args(argv)
    load_before = loadavg()
    t0 = time.monotonic()
    figures, failed = run(args.quick)
    goals = [f for f in figures if f.passed is not None]
    met = sum(1 for f in goals if f.passed)
    header = (f"Measured {datetime.now(UTC):%Y-%m-%d} on the shared 2-core development machine with "
              f"`python -m benchmarks.run_all{' --quick' if args.quick else ''}` "
              f"(load average {load_before} at the start, {loadavg()} at the end; "
              f"{time.monotonic() - t0:.0f} s): {met} of {len(goals)} goals met. "
              "Ranges are median (min–max) over the runs.")
    print("\n\n" + re.sub(r"`", "", header) + "\n")
    if args.markdown or args.readme:
        table = markdown(figures)
        print(table)
        if args.readme:
            write_readme(table, header)
            print(f"\nwritten into {README.relative_to(ROOT)}")
    else:
        print(plain(figures))
    if failed:
        print(f"\nbenchmarks that did not run: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
