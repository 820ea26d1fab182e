"""Updates answered per second by the real bot (500 users asking at once) beside a bare PTB echo
bot on the same emulator, and the time from process start to the first getUpdates.

    .venv/bin/python -m benchmarks.bench_bot [N_USERS]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_echo import measure_echo_rate, measure_rate
from bot.emulator import BotApiEmulator
from tests.harness import BotProcess, RunningBot, make_settings


def bot_rate(n_users: int, details: dict) -> float:
    with tempfile.TemporaryDirectory() as tmp, BotApiEmulator() as emu:
        bot = RunningBot(make_settings(emu, f"sqlite:///{Path(tmp) / 'bot.db'}", log_level="WARNING")).start()
        try:
            emu.user_message(1, "光荣牌怎么挂")  # warm-up
            emu.wait_for(chat_id=1, contains="光荣牌")
            return measure_rate(emu, n_users, "光荣牌怎么挂", lambda m: "光荣牌" in (m.plain or ""),
                                details=details)
        finally:
            bot.stop()


def echo_same_reply_rate(n_users: int, details: dict) -> float:
    """A bare PTB echo bot that answers every message with the bot's own answer to the question
    (same HTML text and buttons): separates the cost of our code from the cost of a bigger reply."""
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
    from telegram.ext import ApplicationBuilder, MessageHandler, filters

    from bot import texts
    from bot.emulator import ApplicationThread
    from knowledge import KnowledgeBase

    kb = KnowledgeBase.load()
    clause = kb.ask("光荣牌怎么挂").hits[0].clause
    body = texts.clause(clause, kb)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(texts.button_label(f"{c.label} {c.title}"),
                                                         callback_data=f"c:{c.id}")] for c in kb.related(clause.id)])

    async def echo(update: Update, context) -> None:  # noqa: ANN001
        await update.message.reply_text(body, parse_mode="HTML", reply_markup=markup)

    with BotApiEmulator() as emu:
        app = (ApplicationBuilder().token(emu.token).base_url(emu.base_url).concurrent_updates(True)
               .connection_pool_size(16).build())
        app.add_handler(MessageHandler(filters.TEXT, echo))
        with ApplicationThread(app, poll_timeout=1):
            return measure_rate(emu, n_users, "光荣牌怎么挂", lambda m: "光荣牌" in (m.plain or ""), details=details)


def start_to_first_poll(runs: int = 3) -> list[float]:
    out = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp, BotApiEmulator() as emu:
            t0 = time.monotonic()
            proc = BotProcess(emu, f"sqlite:///{Path(tmp) / 'bot.db'}", Path(tmp))
            proc.wait_polling(timeout=30)
            out.append(time.monotonic() - t0)
            proc.stop()
    return out


def main(argv: list[str]) -> None:
    n = int(argv[1]) if len(argv) > 1 else 500
    echo_d: dict = {}
    bot_d: dict = {}
    echo16_d: dict = {}
    echo = measure_echo_rate(n, details=echo_d)
    echo16 = measure_echo_rate(n, pool_size=16, details=echo16_d)
    same_d: dict = {}
    same = echo_same_reply_rate(n, same_d)
    real = bot_rate(n, bot_d)
    print(f"{n} users asking at once (emulator on 127.0.0.1)")
    print(f"  bare PTB echo bot, PTB defaults  : {echo:6.0f} updates/s  (p50 {echo_d['p50'] * 1000:.0f} ms)")
    print(f"  bare PTB echo bot, pool 16       : {echo16:6.0f} updates/s  (p50 {echo16_d['p50'] * 1000:.0f} ms)")
    print(f"  echo bot sending our answer      : {same:6.0f} updates/s  (p50 {same_d['p50'] * 1000:.0f} ms)")
    print(f"  双拥助手 (question -> clause)     : {real:6.0f} updates/s  (p50 {bot_d['p50'] * 1000:.0f} ms)")
    print(f"  ratio to the fastest echo bot    : {real / max(echo, echo16):.2f}  (goal >= 0.8)")
    print(f"  ratio to the same-reply echo bot : {real / same:.2f}")
    starts = start_to_first_poll()
    print(f"start-to-first-poll : {', '.join(f'{s:.2f}' for s in starts)} s  (goal < 2 s)")


if __name__ == "__main__":
    main(sys.argv)
