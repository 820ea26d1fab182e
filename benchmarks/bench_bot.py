"""Answers per second of ``python -m bot run`` beside a bare PTB echo bot, both against the same
minimal fake Bot API server (benchmarks/fakeapi.py, not the emulator), in one run; and the time
from process start to the first getUpdates.

    .venv/bin/python -m benchmarks.bench_bot [--users 500] [--rounds 3]

Each round: the echo bot (PTB defaults: one update after another, the default HTTPXRequest) and
the real bot (``python -m bot run``: ``build_application`` as shipped, so whatever update processor
it is built with — the per-chat ordering one included — is what is measured) each get N messages
from N users at the same instant, after a warm-up question; the figure is N / (time from the
messages being available to the arrival of the last reply). CPU is the bot process's own
(user + system) time over the same span. The server alone is measured too (requests/s), so the
output says how far it was from being the bottleneck.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.fakeapi import FakeBotApi, server_rate
from benchmarks.figures import Figure, emit, loadavg, span
from tests.harness import interrupt

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "光荣牌怎么挂"
FIRST_USER = 10_000_000
ADMIN = 42


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bot_env(api: FakeBotApi, db_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ADMIN_", "DATABASE_", "WEBHOOK_"))}
    env.update({"TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_BASE_URL": api.base_url, "ADMIN_IDS": str(ADMIN),
                "DATABASE_URL": db_url, "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)})
    env.update(extra)
    return env


class Child:
    """A bot process talking to ``api``; stopped with SIGINT as an operator would."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        self.log = open(cwd / f"bot-{time.monotonic_ns()}.log", "wb")  # noqa: SIM115
        self.started = time.monotonic()
        self.proc = subprocess.Popen([sys.executable, *args], cwd=cwd, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT)

    def stop(self) -> None:
        interrupt(self.proc)
        self.log.close()

    def tail(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")[-3000:]


@dataclass
class Burst:
    rate: float  # answers/s
    p50: float  # s, message available -> reply arrived
    p95: float
    cpu_ms: float  # bot CPU per answered update
    requests_per_s: float  # what the bot asked of the server during the burst


def mixed_questions() -> list[str]:
    """Every distinct question of the 2020 document's accuracy sets (tests/data), in file order:
    content, structural, overview, off-topic and the bot's own data, as people asked them."""
    import json

    out: list[str] = []
    for name in ("questions.jsonl", "questions_heldout.jsonl", "questions_heldout2.jsonl", "questions_v3.jsonl",
                 "questions_v3_botdata.jsonl"):
        for line in (ROOT / "tests" / "data" / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                q = json.loads(line)["q"]
                if q not in out:
                    out.append(q)
    return out


def burst(api: FakeBotApi, pid: int, n: int, first_user: int, text: str | list[str] = QUESTION) -> Burst:
    """N users send ``text`` (or, from a list, the i-th user its i-th item, cycling) at once;
    wait for a reply to each."""
    users = list(range(first_user, first_user + n))
    texts = [text] if isinstance(text, str) else text
    calls0, after, cpu0 = sum(api.calls.values()), len(api.replies), cpu_seconds(pid)
    t0 = api.push_messages([(u, texts[i % len(texts)]) for i, u in enumerate(users)])
    first = api.wait_replies(users, after=after, timeout=300)
    cpu1 = cpu_seconds(pid)
    last = max(first.values())
    elapsed = last - t0
    lat = sorted(t - t0 for t in first.values())
    calls = sum(api.calls.values()) - calls0
    return Burst(n / elapsed, statistics.median(lat), lat[int(len(lat) * 0.95) - 1],
                 (cpu1 - cpu0) * 1000 / n, calls / elapsed)


def run_echo(n: int, tmp: Path, *, same_answer: bool = False) -> Burst:
    with FakeBotApi() as api:
        args = ["-m", "benchmarks.echo_bot"] + (["--same-answer"] if same_answer else [])
        child = Child(args, bot_env(api, "sqlite://"), tmp)
        try:
            api.wait_polls(1, timeout=60)
            api.push_messages([(1, QUESTION)])
            api.wait_replies([1], timeout=60)
            return burst(api, child.proc.pid, n, FIRST_USER)
        except TimeoutError as exc:
            raise SystemExit(f"echo bot: {exc}\n{child.tail()}") from None
        finally:
            child.stop()


BOT_ARGS = ["-m", "bot", "run"]


def run_bot(n: int, tmp: Path, db_url: str, *, extra_env: dict[str, str] | None = None,
            profile: Path | None = None) -> tuple[Burst, Burst, float]:
    """(the burst of one question, a burst of N different questions, seconds from process start
    to its first getUpdates) of ``python -m bot run``; with ``profile``, py-spy samples the bot
    during the first burst (collapsed stacks to that file)."""
    with FakeBotApi() as api:
        child = Child(BOT_ARGS, bot_env(api, db_url, **(extra_env or {})), tmp)
        try:
            api.wait_polls(1, timeout=120)
            started = time.monotonic() - child.started
            api.push_messages([(1, QUESTION)])  # warm-up: the first answer of the process
            api.wait_replies([1], timeout=60)
            spy = None
            if profile is not None:
                spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "-p",
                                        str(child.proc.pid), "-o", str(profile), "--format", "raw", "-r", "500",
                                        "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(1.0)
            result = burst(api, child.proc.pid, n, FIRST_USER)
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                spy.wait(30)
            mixed = burst(api, child.proc.pid, n, FIRST_USER + n, mixed_questions())
            return result, mixed, started
        except TimeoutError as exc:
            raise SystemExit(f"python -m bot run: {exc}\n{child.tail()}") from None
        finally:
            child.stop()


def start_to_first_poll(tmp: Path, db_url: str, runs: int) -> tuple[list[float], list[float]]:
    """(seconds to the first getUpdates, seconds to the first answer after it was asked at the
    first poll) of ``python -m bot run`` on an existing database, ``runs`` times."""
    polls, answers = [], []
    for _ in range(runs):
        with FakeBotApi() as api:
            child = Child(BOT_ARGS, bot_env(api, db_url), tmp)
            try:
                api.wait_polls(1, timeout=120)
                polls.append(time.monotonic() - child.started)
                t0 = api.push_messages([(1, QUESTION)])
                answers.append(api.wait_replies([1], timeout=60)[1] - t0)
            finally:
                child.stop()
    return polls, answers


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--same-answer", action="store_true", help="also an echo bot sending our answer")
    ap.add_argument("--profile", type=Path, default=None,
                    help="py-spy the bot during each burst (needs `pip install py-spy`); collapsed stacks here")
    ap.add_argument("--bot-command", default=None,
                    help="python arguments to run instead of `-m bot run` (to measure a variant)")
    args = ap.parse_args(argv)
    if args.bot_command:
        BOT_ARGS[:] = args.bot_command.split()
    n = args.users
    print(f"{n} users asking 「{QUESTION}」 at once; fake Bot API server (benchmarks/fakeapi.py); "
          f"load average {loadavg()}", flush=True)
    echo, bot, mixed, same, starts = [], [], [], [], []
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        db_url = f"sqlite:///{tmp / 'bot.db'}"
        for r in range(args.rounds):
            e = run_echo(n, tmp)
            b, m, started = run_bot(n, tmp, db_url, profile=args.profile)
            echo.append(e)
            bot.append(b)
            mixed.append(m)
            starts.append(started)
            line = (f"  round {r + 1}: echo {e.rate:4.0f}/s ({e.cpu_ms:.2f} ms CPU/update)  "
                    f"bot {b.rate:4.0f}/s ({b.cpu_ms:.2f} ms CPU/update, p50 {b.p50 * 1000:.0f} ms)  "
                    f"ratio {b.rate / e.rate:.2f}  mixed questions {m.rate:4.0f}/s ({m.cpu_ms:.2f} ms) "
                    f"ratio {m.rate / e.rate:.2f}")
            if args.same_answer:
                s = run_echo(n, tmp, same_answer=True)
                same.append(s)
                line += f"  echo-same-answer {s.rate:4.0f}/s ({s.cpu_ms:.2f} ms)"
            print(line + f"  [load {loadavg()}]", flush=True)
        polls, firsts = start_to_first_poll(tmp, db_url, 3)
    servers = [server_rate(2.0) for _ in range(2)]
    ratios = [b.rate / e.rate for b, e in zip(bot, echo, strict=True)]
    mixed_ratios = [m.rate / e.rate for m, e in zip(mixed, echo, strict=True)]
    cpu_ratios = [e.cpu_ms / b.cpu_ms for b, e in zip(bot, echo, strict=True)]
    need = max(b.requests_per_s for b in bot + echo)
    headroom = min(servers) / need
    print(f"  bare PTB echo bot (PTB defaults)   : {span([e.rate for e in echo], '{:.0f}', '/s')}, "
          f"{span([e.cpu_ms for e in echo], '{:.2f}', ' ms')} CPU per update")
    print(f"  python -m bot run (question→clause): {span([b.rate for b in bot], '{:.0f}', '/s')}, "
          f"{span([b.cpu_ms for b in bot], '{:.2f}', ' ms')} CPU per update, "
          f"latency p50 {span([b.p50 * 1000 for b in bot], '{:.0f}', ' ms')}")
    if same:
        print(f"  echo bot sending our same answer   : {span([s.rate for s in same], '{:.0f}', '/s')}, "
              f"{span([s.cpu_ms for s in same], '{:.2f}', ' ms')} CPU per update")
    print(f"  the same bot, {len(mixed_questions())} different questions: {span([m.rate for m in mixed], '{:.0f}', '/s')}, "
          f"{span([m.cpu_ms for m in mixed], '{:.2f}', ' ms')} CPU per update")
    print(f"  ratio bot / echo                   : {span(ratios)}  (goal ≥ 1.2); echo CPU / bot CPU "
          f"{span(cpu_ratios)}; different questions {span(mixed_ratios)}")
    print(f"  server alone                       : {span(servers, '{:.0f}', ' requests/s')}; the busiest bot "
          f"asked {need:.0f} requests/s → {headroom:.0f}× headroom (goal ≥ 3×)")
    print(f"  start → first getUpdates           : {span(polls, '{:.2f}', ' s')} (existing database; "
          f"first start with migrations {statistics.median(starts[:1]):.2f} s)")
    print(f"  first answer after start           : {span(firsts, '{:.2f}', ' s')} (asked at the first poll)")
    cmd = "python -m benchmarks.bench_bot"
    emit([
        Figure("answers/s, 500 users asking at once, ratio to echo", span(ratios), "≥ 1.2",
               f"bare sequential PTB echo bot {span([e.rate for e in echo], '{:.0f}', '/s')}; "
               f"bot {span([b.rate for b in bot], '{:.0f}', '/s')}",
               statistics.median(ratios) >= 1.2, cmd),
        Figure("answers/s, 500 users asking the accuracy sets' different questions, ratio to echo",
               span(mixed_ratios), "—", f"the same echo runs; bot {span([m.rate for m in mixed], '{:.0f}', '/s')}",
               None, cmd),
        Figure("bot CPU per answered update (one question)", span([b.cpu_ms for b in bot], "{:.2f}", " ms"), "—",
               f"echo {span([e.cpu_ms for e in echo], '{:.2f}', ' ms')}; different questions "
               f"{span([m.cpu_ms for m in mixed], '{:.2f}', ' ms')}", None, cmd),
        Figure("fake Bot API server alone vs the bot's demand", f"{headroom:.0f}×", "≥ 3×",
               f"{min(servers):.0f} requests/s vs {need:.0f} requests/s", headroom >= 3, cmd),
        Figure("process start → first getUpdates", span(polls, "{:.2f}", " s"), "< 1.5 s",
               "existing database", statistics.median(polls) < 1.5, cmd),
        Figure("first answer, asked at the first getUpdates", span(firsts, "{:.2f}", " s"), "—",
               "index built at start-up or on first use", None, cmd),
    ])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
