"""Throughput baseline: updates answered per second by a bare PTB echo bot on the emulator.

    .venv/bin/python -m benchmarks.bench_echo [N_USERS]

N users each send one message at the same instant; the figure is N / (time until the last
reply).  ``measure_rate`` measures any Application already polling an emulator, so the real bot
can be compared with this baseline.
"""

from __future__ import annotations

import html
import statistics
import sys
import time
from collections.abc import Callable

from bot.emulator import ApplicationThread, BotApiEmulator, SentMessage


def measure_rate(
    emu: BotApiEmulator,
    n_users: int,
    send_text: str | Callable[[int], str],
    expect_predicate: Callable[[SentMessage], bool],
    *,
    first_user_id: int = 10_000_000,
    timeout: float = 120.0,
    details: dict | None = None,
) -> float:
    """Inject one message from each of ``n_users`` fresh users at once and wait until every one
    of them got a reply matching ``expect_predicate``; return replies per second.

    ``send_text`` is the text, or a function of the user id.  ``details`` (if given) receives
    ``elapsed``, ``latencies`` (seconds from injection to each user's first matching reply),
    ``p50``/``p95`` and ``self_inflicted_429``.
    """
    users = list(range(first_user_id, first_user_id + n_users))
    pending = set(users)
    first_reply: dict[int | str, float] = {}
    cursor = emu.mark()
    t0 = time.monotonic()
    for uid in users:
        emu.user_message(uid, send_text(uid) if callable(send_text) else send_text)
    deadline = t0 + timeout
    while pending:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(
                f"{len(pending)} of {n_users} users got no matching reply in {timeout}s\n"
                + emu.describe()
            )
        for ev in emu.events_after(cursor, timeout=min(0.5, remaining)):
            cursor = ev.index + 1
            msg = ev.msg
            if ev.kind == "sent" and msg is not None and msg.chat_id in pending:
                if expect_predicate(msg):
                    pending.discard(msg.chat_id)  # type: ignore[arg-type]
                    first_reply[msg.chat_id] = ev.time
    elapsed = time.monotonic() - t0
    if details is not None:
        lat = sorted(t - t0 for t in first_reply.values())
        details.update(
            elapsed=elapsed,
            latencies=lat,
            p50=statistics.median(lat),
            p95=lat[max(0, int(len(lat) * 0.95) - 1)],
            self_inflicted_429=emu.self_inflicted_429,
        )
    return n_users / elapsed


def build_echo_app(emu: BotApiEmulator, pool_size: int | None = None):
    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(
            f"echo: {html.escape(update.message.text)}", parse_mode="HTML"
        )

    builder = ApplicationBuilder().token(emu.token).base_url(emu.base_url).concurrent_updates(True)
    if pool_size is not None:
        builder = builder.connection_pool_size(pool_size).pool_timeout(30)
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    return app


def measure_echo_rate(
    n_users: int = 500, *, pool_size: int | None = None, details: dict | None = None
) -> float:
    """Replies per second of a bare PTB echo bot (concurrent_updates=True) on the emulator.

    ``pool_size``: the bot's connection_pool_size (PTB's default is 256; httpcore's pool gets
    CPU-bound with hundreds of busy connections, so 8-16 answers a burst 3x faster)."""
    app_emu = BotApiEmulator()
    with app_emu as emu, ApplicationThread(build_echo_app(emu, pool_size), poll_timeout=1):
        return measure_rate(
            emu, n_users, "你好", lambda m: m.plain == "echo: 你好", details=details
        )


def main(argv: list[str]) -> None:
    n = int(argv[1]) if len(argv) > 1 else 500
    print(f"bare PTB echo bot, {n} users at once, concurrent_updates=True")
    for pool in (None, 16, 8):
        d: dict = {}
        rate = measure_echo_rate(n, pool_size=pool, details=d)
        label = "default (256)" if pool is None else str(pool)
        print(
            f"  connection_pool_size {label:>13}: all answered in {d['elapsed']:.2f} s → "
            f"{rate:.0f} updates/s; latency p50 {d['p50'] * 1000:.0f} ms, "
            f"p95 {d['p95'] * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main(sys.argv)
