"""CPU per Bot API call of python-telegram-bot's HTTP clients, against the fake server.

    .venv/bin/python -m benchmarks.bench_http [--calls 3000]

A PTB ``Bot`` sends sendMessage (Chinese HTML text) ``--calls`` times with 16 calls in flight (the
bot's concurrency), then one at a time (the sequential echo bot's pattern), through
``HTTPXRequest`` (PTB's default) and through ``bot.request.AiohttpRequest``; the figure is the
main thread's CPU per call. This is why the bot uses aiohttp (bot/request.py).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import time

from benchmarks.fakeapi import FakeBotApi
from benchmarks.figures import Figure, emit, loadavg

TEXT = "光荣牌<b>怎么挂</b>：为烈属、军属和退役军人家庭悬挂光荣牌。" * 4


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_THREAD)
    return r.ru_utime + r.ru_stime


async def _measure(api: FakeBotApi, kind: str, in_flight: int, calls: int) -> tuple[float, float]:
    """(calls/s, ms of CPU per call)."""
    from telegram import Bot
    from telegram.request import HTTPXRequest

    from bot.request import AiohttpRequest

    req = HTTPXRequest(connection_pool_size=in_flight) if kind == "httpx" else AiohttpRequest(in_flight)
    bot = Bot(api.token, base_url=api.base_url, request=req)
    async with bot:
        gate = asyncio.Semaphore(in_flight)

        async def one() -> None:
            async with gate:
                await bot.send_message(5, TEXT, parse_mode="HTML")

        await asyncio.gather(*(one() for _ in range(200)))  # warm-up
        c0, t0 = _cpu(), time.perf_counter()
        await asyncio.gather(*(one() for _ in range(calls)))
        elapsed, cpu = time.perf_counter() - t0, _cpu() - c0
    return calls / elapsed, cpu * 1000 / calls


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=3000)
    args = ap.parse_args(argv)
    print(f"sendMessage through PTB's Bot, fake Bot API server; load average {loadavg()}")
    out: dict[tuple[str, int], float] = {}
    with FakeBotApi() as api:
        for in_flight in (16, 1):
            for kind in ("httpx", "aiohttp"):
                rate, ms = asyncio.run(_measure(api, kind, in_flight, args.calls))
                out[(kind, in_flight)] = ms
                print(f"  {kind:8s} {in_flight:2d} in flight: {rate:5.0f} calls/s, {ms:.3f} ms CPU per call")
    emit([Figure("CPU per sendMessage, 16 in flight: aiohttp vs PTB's default httpx",
                 f"{out[('aiohttp', 16)]:.2f} ms vs {out[('httpx', 16)]:.2f} ms", "—",
                 f"one at a time: {out[('aiohttp', 1)]:.2f} ms vs {out[('httpx', 1)]:.2f} ms", None,
                 "python -m benchmarks.bench_http")])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
