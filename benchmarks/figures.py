"""What a benchmark reports, in one shape that ``benchmarks.run_all`` gathers into one table.

A benchmark prints its own readable lines, then one ``FIGURE\\t{json}`` line per figure it
measured (``emit``). Each figure says what it is, its value (a range when measured several
times), its goal, the comparison a ratio is taken to, and whether the goal was met.
"""

from __future__ import annotations

import json
import os
import statistics
from dataclasses import asdict, dataclass

__all__ = ["Figure", "emit", "loadavg", "parse", "span"]

PREFIX = "FIGURE\t"


@dataclass
class Figure:
    """One measured figure. ``passed`` is None when the figure has no goal (information only)."""

    name: str
    value: str  # as shown, e.g. "1.31 (1.22–1.40, 3 runs)"
    goal: str = "—"
    comparison: str = "—"  # what a ratio is taken to, or what the figure is measured against
    passed: bool | None = None
    command: str = ""


def emit(figures: list[Figure]) -> None:
    """Print the machine-readable lines (after the benchmark's own output)."""
    for f in figures:
        print(PREFIX + json.dumps(asdict(f), ensure_ascii=False), flush=True)


def parse(output: str) -> list[Figure]:
    """The figures a benchmark printed with ``emit``."""
    return [Figure(**json.loads(line[len(PREFIX):])) for line in output.splitlines() if line.startswith(PREFIX)]


def span(values: list[float], fmt: str = "{:.2f}", unit: str = "") -> str:
    """'median (min–max, n runs)' of several measurements; just the value for one."""
    if len(values) == 1:
        return fmt.format(values[0]) + unit
    med = statistics.median(values)
    return (f"{fmt.format(med)}{unit} ({fmt.format(min(values))}–{fmt.format(max(values))}, "
            f"{len(values)} runs)")


def loadavg() -> str:
    """The machine's 1-minute load average, to print beside figures taken on a shared machine."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "?"
