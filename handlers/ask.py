"""Questions about the work points: /ask, plain text in private chats, /outline and its buttons."""

from __future__ import annotations

import re
import unicodedata

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import texts
from bot.context import BotContext
from handlers.common import admin_only, answer, args_text, keyboard, reply

MAX_QUESTION = 500
OUTLINE_ITEMS_PER_ROW = 3


def _small_talk(text: str) -> bool | None:
    """True for thanks, False for a greeting, None for anything else (a question)."""
    t = "".join(ch for ch in unicodedata.normalize("NFKC", text).lower()
                if not ch.isspace() and unicodedata.category(ch)[0] not in "PS")
    if t in texts.THANKS:
        return True
    if t in texts.GREETINGS:
        return False
    return None


def clause_buttons(kb, clause_id: str):  # noqa: ANN001, ANN201
    """Buttons to the parent section, neighbouring items, or a section's items."""
    rel = kb.related(clause_id)
    pairs = [(f"{c.label} {c.title}", f"c:{c.id}") for c in rel]
    return keyboard([pairs[i:i + 2] for i in range(0, len(pairs), 2)])


async def answer_question(update: Update, context: BotContext, question: str) -> None:
    """Answer from the knowledge base: the clause, or the missing-reference / not-found message."""
    kb = context.kb
    question = question.strip()[:MAX_QUESTION]
    talk = _small_talk(question)
    if talk is not None:  # 你好 / 谢谢: not a question, and not "unanswered"
        await reply(update, texts.small_talk(thanks=talk))
        return
    ans = kb.ask(question, limit=3)
    if ans.kind == "missing":
        await reply(update, texts.missing_ref(ans.missing_ref or question, ans.available))
        return
    if ans.kind == "overview":  # a question about the whole document: its table of contents
        await outline(update, context)
        return
    if not ans.hits:
        user = update.effective_user
        context.services.roster.record_unanswered(user_id=user.id if user else None, question=question)
        await reply(update, texts.not_found(question, texts.SUGGESTIONS),
                    keyboard([[("📋 查看目录", "outline")]]))
        return
    top = ans.hits[0].clause
    body = texts.clause(top, kb)
    if ans.kind == "content":
        body += texts.also_matched(ans.hits[1:])
    await reply(update, body, clause_buttons(kb, top.id))


async def ask(update: Update, context: BotContext) -> None:
    """/ask 问题."""
    question = args_text(update)
    if not question:
        await reply(update, texts.ASK_USAGE)
        return
    await answer_question(update, context, question)


async def plain_text(update: Update, context: BotContext) -> None:
    """Any text in a private chat, or a group message that mentions the bot, is a question."""
    msg = update.effective_message
    text = msg.text or ""
    if update.effective_chat.type != ChatType.PRIVATE:
        handle = f"@{context.bot.username}"
        if handle.lower() not in text.lower():
            return  # a mention of somebody else: not for us
        text = text.replace(handle, " ")
    if not text.strip():
        await reply(update, texts.ASK_USAGE)
        return
    await answer_question(update, context, text)


async def fullwidth_command(update: Update, context: BotContext) -> None:
    """``／checkin 2.2 已完成`` (a Chinese input method's slash) is not a command: show the fix."""
    text = (update.effective_message.text or "").strip()
    await reply(update, texts.fullwidth_slash("/" + text[1:]))


async def unsupported(update: Update, context: BotContext) -> None:
    """A sticker, photo or file in a private chat (outside a flow): say what works."""
    await reply(update, texts.UNSUPPORTED_MEDIA)


async def outline(update: Update, context: BotContext) -> None:
    """Table of contents: a button per section (a row each), then its items, a few to a row."""
    kb = context.kb
    rows: list[list[tuple[str, str]]] = []
    for top in kb.top_level():
        rows.append([(f"{top.label} {top.title}", f"c:{top.id}")])
        items = [(texts.outline_item_button(c.label, c.title), f"c:{c.id}")
                 for c in (kb.get(cid) for cid in top.children) if c is not None]
        rows += [items[i:i + OUTLINE_ITEMS_PER_ROW] for i in range(0, len(items), OUTLINE_ITEMS_PER_ROW)]
    await reply(update, texts.outline(kb), keyboard(rows))


async def open_clause(update: Update, context: BotContext) -> None:
    """A clause button (c:<id>) or the outline button."""
    q = update.callback_query
    await answer(update)
    data = q.data or ""
    kb = context.kb
    if data == "outline":
        await outline(update, context)
        return
    clause = kb.get(data[2:])
    if clause is None:
        await reply(update, texts.STALE_LINK)
        return
    await reply(update, texts.clause(clause, kb), clause_buttons(kb, clause.id))


async def unknown_command(update: Update, context: BotContext) -> None:
    """A command nobody handles: point at /help."""
    await reply(update, texts.UNKNOWN_COMMAND)


@admin_only
async def unanswered(update: Update, context: BotContext) -> None:
    """/unanswered: the latest questions nobody could answer."""
    await reply(update, texts.unanswered(context.services.roster.unanswered(20), context.settings.tz))


def register(app: Application, *, group_text: int, known_commands: list[str]) -> None:
    app.add_handler(CommandHandler("ask", ask))
    app.add_handler(CommandHandler("outline", outline))
    app.add_handler(CommandHandler("unanswered", unanswered))
    app.add_handler(CallbackQueryHandler(open_clause, pattern=r"^(c:|outline$)"))
    words = "|".join(map(re.escape, known_commands))
    # group_text, first match wins: ／checkin or 、checkin (a Chinese input method's slash) gets a
    # hint before plain_text could take it for a question
    fullwidth = filters.Regex(re.compile(r"^\s*[／、](" + words + r")(@\w+)?(\s|$)", re.IGNORECASE))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE & fullwidth,
                                   fullwidth_command), group=group_text)
    mention = filters.Entity("mention") & filters.ChatType.GROUPS
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & (filters.ChatType.PRIVATE | mention),
                                   plain_text), group=group_text)
    # PTB's CommandHandler matches /Help and /START too: so must this, or they get two replies
    known = filters.Regex(re.compile(r"^/(" + words + r")(@\w+)?(\s|$)", re.IGNORECASE))
    app.add_handler(MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE & ~known, unknown_command),
                    group=group_text)
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & ~filters.TEXT & ~filters.StatusUpdate.ALL
                                   & ~filters.UpdateType.EDITED, unsupported), group=group_text)
