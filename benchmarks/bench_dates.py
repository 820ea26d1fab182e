"""How well date libraries read what a Chinese office types, against our own rules (bot/dates.py).

Each candidate reads the 50 forms of tests/data/date_forms.tsv ("now" = 2026-12-02 10:00 北京时间,
a Wednesday) in a fresh interpreter, so its import cost is measured cold. Prints, per candidate:
forms right out of 50, import time, first-call time, and the forms it got wrong.

    .venv/bin/python benchmarks/bench_dates.py            # candidates installed in this venv
    python -m venv /tmp/benchenv && /tmp/benchenv/bin/pip install dateparser jionlp time-nlp \
        cntime-nlp recognizers-text-date-time arrow pendulum cn2an
    /tmp/benchenv/bin/python benchmarks/bench_dates.py    # every candidate

Scoring: a row with a time must give that date, hour and minute; a row with a date only, that date
(our resolver adds 09:00 and says so); "!no_date"/"!no_time" rows must give nothing; "!past X" and
"!far X" rows must give the literal time X (refusing it is our policy, applied afterwards).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FORMS = ROOT / "tests" / "data" / "date_forms.tsv"
NOW = datetime(2026, 12, 2, 10, 0)  # naive: 北京时间
CANDIDATES = ["ours", "jionlp", "dateparser", "time_nlp", "cntimenlp", "recognizers", "arrow", "pendulum"]


def forms() -> list[tuple[str, str]]:
    rows = []
    for line in FORMS.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            form, expected, _note = line.split("\t")
            rows.append((form, expected))
    return rows


def stamp(got: datetime) -> str:
    return f"{got.year:04d}-{got.month:02d}-{got.day:02d} {got.hour:02d}:{got.minute:02d}"  # year 1 too


def right(got: datetime | None, expected: str) -> bool:
    if expected.startswith("!"):
        kind, _, literal = expected[1:].partition(" ")
        if not literal:
            return got is None
        return got is not None and stamp(got) == literal
    if got is None:
        return False
    if len(expected) == 10:
        return stamp(got)[:10] == expected
    return stamp(got) == expected


# --- adapters: each returns (import function, parse function form -> naive datetime | None) ------

def _ours() -> Callable[[str], datetime | None]:
    from zoneinfo import ZoneInfo

    from bot.dates import resolve
    from bot.errors import DateError

    tz = ZoneInfo("Asia/Shanghai")

    def parse(form: str) -> datetime | None:
        try:
            return resolve(form, now=NOW.replace(tzinfo=tz), tz=tz).at.replace(tzinfo=None)
        except DateError as exc:  # past/far: the literal time the policy refused
            return exc.at.replace(tzinfo=None) if exc.reason in ("past", "far") and exc.at else None

    return parse


def _jionlp() -> Callable[[str], datetime | None]:
    with contextlib.redirect_stdout(io.StringIO()):  # it prints a banner at import
        import jionlp as jio
    base = {"year": NOW.year, "month": NOW.month, "day": NOW.day, "hour": NOW.hour, "minute": 0, "second": 0}

    def parse(form: str) -> datetime | None:
        try:
            res = jio.parse_time(form, time_base=base)
        except Exception:  # noqa: BLE001 - it raises ValueError and others for what it cannot read
            return None
        if not res or res.get("type") != "time_point":
            return None
        return datetime.fromisoformat(res["time"][0])

    return parse


def _dateparser() -> Callable[[str], datetime | None]:
    import dateparser

    settings = {"RELATIVE_BASE": NOW, "PREFER_DATES_FROM": "future"}
    return lambda form: dateparser.parse(form, languages=["zh"], settings=settings)


def _time_nlp() -> Callable[[str], datetime | None]:
    import arrow
    from time_nlp.TimeNormalizer import TimeNormalizer

    tn = TimeNormalizer(isPreferFuture=True)

    def parse(form: str) -> datetime | None:
        try:
            res = json.loads(tn.parse(form, timeBase=arrow.get(NOW)))
        except Exception:  # noqa: BLE001
            return None
        return datetime.fromisoformat(res["timestamp"]) if res.get("type") == "timestamp" else None

    return parse


def _cntimenlp() -> Callable[[str], datetime | None]:
    from cntimenlp import TimeNormalizer, default_logger
    from loguru import logger

    logger.remove(default_logger)  # it logs to stdout
    tn = TimeNormalizer(isPreferFuture=True)

    def parse(form: str) -> datetime | None:
        try:
            res = tn.parse(form, baseTime=NOW.strftime("%Y-%m-%d %H:%M:%S"))
        except Exception:  # noqa: BLE001
            return None
        res = res if isinstance(res, dict) else json.loads(str(res))
        value = res.get("timestamp") if isinstance(res, dict) else None
        return datetime.fromisoformat(value) if value else None

    return parse


def _recognizers() -> Callable[[str], datetime | None]:
    from recognizers_date_time import Culture, recognize_datetime

    def parse(form: str) -> datetime | None:
        try:
            results = recognize_datetime(form, Culture.Chinese, reference=NOW)
        except Exception:  # noqa: BLE001
            return None
        for r in results:
            for v in (r.resolution or {}).get("values", []):
                if "value" in v:
                    try:
                        return datetime.fromisoformat(v["value"])
                    except ValueError:
                        continue
        return None

    return parse


def _arrow() -> Callable[[str], datetime | None]:
    import arrow

    fmts = ["YYYY-MM-DD HH:mm", "YYYY/M/D H:mm", "YYYY.M.D HH:mm", "YYYY.M.D", "YYYY-MM-DDTHH:mm",
            "YYYY年M月D日", "M月D日 H:mm"]

    def parse(form: str) -> datetime | None:
        try:
            return arrow.get(form, fmts).naive
        except Exception:  # noqa: BLE001
            return None

    return parse


def _pendulum() -> Callable[[str], datetime | None]:
    import pendulum

    def parse(form: str) -> datetime | None:
        try:
            value = pendulum.parse(form, strict=False)
        except Exception:  # noqa: BLE001
            return None
        return datetime(value.year, value.month, value.day, getattr(value, "hour", 0), getattr(value, "minute", 0))

    return parse


ADAPTERS = {"ours": _ours, "jionlp": _jionlp, "dateparser": _dateparser, "time_nlp": _time_nlp,
            "cntimenlp": _cntimenlp, "recognizers": _recognizers, "arrow": _arrow, "pendulum": _pendulum}


def one(name: str) -> dict:
    t0 = time.perf_counter()
    try:
        parse = ADAPTERS[name]()
    except ImportError as exc:
        return {"name": name, "missing": str(exc)}
    import_s = time.perf_counter() - t0
    rows = forms()
    t1 = time.perf_counter()
    first = parse(rows[0][0])
    first_s = time.perf_counter() - t1
    wrong = []
    ok = 0
    for form, expected in rows:
        got = first if form == rows[0][0] else parse(form)
        if right(got, expected):
            ok += 1
        else:
            wrong.append(f"{form} -> {stamp(got)}" if got else f"{form} -> nothing")
    return {"name": name, "right": ok, "total": len(rows), "import_s": import_s, "first_s": first_s,
            "wrong": wrong}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--verbose", "-v", action="store_true", help="list every wrong form")
    args = ap.parse_args()
    if args.one:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            res = one(args.one)
        print("RESULT " + json.dumps(res, ensure_ascii=False))
        return 0
    print(f"{len(forms())} forms, now = {NOW:%Y-%m-%d %H:%M} 北京时间 (Wednesday); python {sys.version.split()[0]}")
    print(f"{'candidate':<12} {'right':>7} {'import':>9} {'1st call':>9}  first wrong forms")
    for name in CANDIDATES:
        proc = subprocess.run([sys.executable, __file__, "--one", name], capture_output=True, text=True,
                              timeout=300, env={**os.environ, "PYTHONWARNINGS": "ignore"})
        line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
        if line is None:
            print(f"{name:<12} failed: {proc.stderr.strip().splitlines()[-1:]}")
            continue
        res = json.loads(line[7:])
        if "missing" in res:
            print(f"{name:<12} not installed ({res['missing']})")
            continue
        shown = res["wrong"] if args.verbose else res["wrong"][:3]
        print(f"{name:<12} {res['right']:>3}/{res['total']:<3} {res['import_s'] * 1000:>7.0f}ms "
              f"{res['first_s'] * 1000:>7.0f}ms  {'; '.join(shown)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
