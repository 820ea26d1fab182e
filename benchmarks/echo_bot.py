"""The baseline: a bare python-telegram-bot echo bot with PTB's defaults (updates handled one after
another, the default HTTPXRequest), run as its own process like ``python -m bot run``.

    TELEGRAM_BOT_TOKEN=... TELEGRAM_BASE_URL=http://127.0.0.1:PORT/bot .venv/bin/python -m benchmarks.echo_bot [--same-answer]

``--same-answer`` replies to every message with the bot's own answer to 「光荣牌怎么挂」 (the same
HTML text and buttons, computed once at start): it separates what our code costs from what a
bigger reply costs PTB.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str]) -> None:
    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

    same = "--same-answer" in argv
    body, markup = None, None
    if same:
        body, markup = _our_answer("光荣牌怎么挂")

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if same:
            await update.message.reply_text(body, parse_mode="HTML", reply_markup=markup)
        else:
            await update.message.reply_text(update.message.text)

    app = (ApplicationBuilder().token(os.environ["TELEGRAM_BOT_TOKEN"])
           .base_url(os.environ["TELEGRAM_BASE_URL"]).build())
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.run_polling(allowed_updates=Update.ALL_TYPES)


def _our_answer(question: str):  # noqa: ANN202
    """(HTML text, InlineKeyboardMarkup) the bot answers ``question`` with, from the shipped plan."""
    from handlers.ask import _clause_reply, clause_buttons
    from knowledge import KnowledgeBase

    kb = KnowledgeBase.load()
    hit = kb.ask(question, limit=3).hits[0]
    body, shortened = _clause_reply(kb, hit)
    return body, clause_buttons(kb, hit.clause.id, full_text=shortened)


if __name__ == "__main__":
    main(sys.argv)
