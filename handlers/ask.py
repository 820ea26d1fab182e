"""Questions about the work points: /ask, plain text in private chats, /outline and its buttons."""

from __future__ import annotations

import asyncio
import re
import unicodedata

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import texts
from bot.context import BotContext
from bot.errors import PlanError
from handlers.common import admin_only, answer, args_text, keyboard, reply
from handlers.lifecycle.private import mentions
from handlers.start import help_cmd
from knowledge import intents

MAX_QUESTION = 500
OUTLINE_ITEMS_PER_ROW = 2
OUTLINE_TITLE_CHARS = 8  # an item button: 「二（三）」 + 8 characters fits half a phone's width
SUGGESTION_CHARS = 14  # an item title short enough to read as a question


def _small_talk(text: str) -> str | None:
    """'thanks', 'greeting', 'ack' (收到 / 好的 / 👍 / only emoji or punctuation), 'help' (帮助 /
    菜单), or None for anything else (a question)."""
    folded = unicodedata.normalize("NFKC", text).lower()
    if "".join(folded.split()) in texts.HELP_WORDS:
        return "help"
    t = "".join(ch for ch in folded if not ch.isspace() and unicodedata.category(ch)[0] not in "PS")
    if t in texts.THANKS:
        return "thanks"
    if t in texts.GREETINGS:
        return "greeting"
    if not t or t in texts.ACKS:
        return "ack"
    return None


async def plan_kb(context: BotContext, plan_id: int):  # noqa: ANN201 - knowledge.KnowledgeBase
    """A plan's knowledge base: the cached one at once, else built in a worker thread (a 2,000-item
    plan takes over a second: the event loop keeps answering other chats meanwhile)."""
    plans = context.services.plans
    return plans.cached_kb(plan_id) or await asyncio.to_thread(plans.kb, plan_id)


def _data(kind: str, plan_id: int | None, clause_id: str = "") -> str:
    """Callback data of a clause (``c:2.3``) or the outline (``outline``) button; ``@<plan id>``
    when the message quotes a plan other than the active one, so the button opens that plan."""
    base = f"c:{clause_id}" if kind == "c" else "outline"
    return base if plan_id is None else f"{base}@{plan_id}"


def clause_buttons(kb, clause_id: str, *, full_text: bool = False, plan_id: int | None = None):  # noqa: ANN001, ANN201
    """Buttons to the parent section, neighbouring items, or a section's items; the whole clause
    (``full_text``, when only its answering sentences were shown); the table of contents."""
    rel = kb.related(clause_id)
    short = kb.short_titles(OUTLINE_TITLE_CHARS)
    pairs = [(texts.outline_button(c.label, short.get(c.id, c.title)), _data("c", plan_id, c.id)) for c in rel]
    rows = [pairs[i:i + 2] for i in range(0, len(pairs), 2)]
    last = [(texts.BUTTON_FULL_TEXT, _data("c", plan_id, clause_id))] if full_text else []
    rows.append(last + [(texts.BUTTON_CONTENTS, _data("outline", plan_id))])
    return keyboard(rows)


def _clause_reply(kb, hit, *, named_section: str | None = None, outside: bool = False) -> tuple[str, bool]:  # noqa: ANN001
    """(text, shortened): a hit as the reader wants it (answering sentences in bold, a long
    clause shortened to them)."""
    c = hit.clause
    full = not (hit.sentences and texts.is_long(c))
    body = texts.clause(c, kb, hit.sentences, full=full)
    if named_section and c.id != named_section and kb.get(named_section):
        named = kb.get(named_section).label
        body = (texts.section_lacks(named) if outside else texts.section_named(named)) + body
    return body, not full


def _data_answer(context: BotContext, intent) -> str:  # noqa: ANN001
    """The answer to a question about the bot's own data (knowledge.intents)."""
    services, tz = context.services, context.settings.tz
    if intent.kind == "deadline":
        period, deadline, nxt, nxt_deadline = services.checkins.deadline()
        return texts.deadline_answer(period, deadline, services.clock.now(), tz, nxt, nxt_deadline)
    if intent.kind == "events":
        upcoming = services.events.upcoming()
        matches = [ev for ev in upcoming if _event_matches(ev.title, intent.words)]
        return texts.events_answer(matches, upcoming, tz)
    if intent.kind == "howto_checkin":
        return texts.HOWTO_CHECKIN
    return texts.HOWTO_BIND


def _suggestions(kb) -> list[str]:  # noqa: ANN001
    """Questions this document can answer: a section by number, and the titles of two items (from
    different sections, a short one each), so a plan of any year suggests its own topics."""
    out = [texts.section_question(kb.sections()[min(1, len(kb.sections()) - 1)].label)] if kb.sections() else []
    for sec in kb.sections()[:2]:
        titles = [kb.get(c).title for c in sec.children if kb.get(c) is not None]
        fitting = [t for t in titles if len(t) <= SUGGESTION_CHARS]
        if fitting:
            out.append(min(fitting, key=len))
    return out


def _event_matches(title: str, words) -> bool:  # noqa: ANN001
    """An event title matches the question's event words: one is inside it, or most of a word's
    character pairs are (表彰会 ~ 县级双拥模范命名表彰大会)."""
    t = "".join(title.split())
    for w in words:
        w = "".join(w.split())
        if not w:
            continue
        if w in t:
            return True
        pairs = [w[i:i + 2] for i in range(len(w) - 1)]
        if pairs and sum(p in t for p in pairs) / len(pairs) >= 0.5:
            return True
    return False


async def answer_question(update: Update, context: BotContext, question: str, *, edited: bool = False) -> None:
    """Answer from the bot's data (deadline, events, how to) and/or a plan's knowledge base (the
    active plan, or the one of the year the question names): the clause, or the missing-reference
    / not-found message. ``edited``: the text is an edit of an earlier message — when nothing
    answers it, it was most likely a note or a report being corrected, which an edit never
    changes: the reply says so, and it is not listed as unanswered."""
    question = question.strip()[:MAX_QUESTION]
    plans = context.services.plans
    route = plans.route(question)
    kb = await plan_kb(context, route.plan.id)
    other = route.plan.id if route.other else None  # buttons then open that plan's clauses
    head = texts.quoting_plan(route.plan.year, plans.active().year, route.missing_year)
    question = route.question
    talk = _small_talk(question)
    if talk == "help":  # 帮助 / 菜单 typed instead of /help
        await help_cmd(update, context)
        return
    if talk is not None:  # 你好 / 谢谢 / 收到: not a question, and not "unanswered"
        await reply(update, texts.small_talk(talk, kb.title, _suggestions(kb)))
        return
    intent = intents.detect(question)
    if intent is not None:
        data = _data_answer(context, intent)
        ans = kb.ask(intent.rest, limit=3) if intent.rest.strip() else None
        if ans is not None and ans.kind in ("content", "structural") and ans.hits:
            body, shortened = _clause_reply(kb, ans.hits[0])
            await reply(update, data + texts.FROM_DOCUMENT + head + body,
                        clause_buttons(kb, ans.hits[0].clause.id, full_text=shortened, plan_id=other))
        else:
            await reply(update, data, keyboard([[(texts.BUTTON_CONTENTS, _data("outline", other))]]))
        return
    ans = kb.ask(question, limit=3)
    contents = keyboard([[(texts.BUTTON_CONTENTS, _data("outline", other))]])
    if ans.kind == "missing":
        await reply(update, head + texts.missing_ref(ans.missing_ref or question, ans.available), contents)
        return
    if ans.kind == "overview":  # a question about the whole document: its table of contents
        await outline(update, context, plan_id=route.plan.id, head=head)
        return
    if not ans.hits and edited:
        await reply(update, texts.EDIT_CHANGES_NOTHING)
        return
    if not ans.hits:
        user = update.effective_user
        context.services.roster.record_unanswered(user_id=user.id if user else None, question=question)
        await reply(update, head + texts.not_found(question, _suggestions(kb)), contents)
        return
    top = ans.hits[0]
    body, shortened = _clause_reply(kb, top, named_section=ans.section if ans.kind == "content" else None,
                                    outside=ans.outside)
    if ans.kind == "content":
        body += texts.also_matched(ans.hits[1:])
    await reply(update, head + body, clause_buttons(kb, top.clause.id, full_text=shortened, plan_id=other))


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
        if not mentions(msg, context.bot.username):
            return  # a mention of somebody else: not for us (the group guard stops these already)
        text = re.sub(re.escape(f"@{context.bot.username}"), " ", text, flags=re.IGNORECASE)
    if not text.strip():
        await reply(update, texts.ASK_USAGE)
        return
    await answer_question(update, context, text, edited=update.edited_message is not None)


async def fullwidth_command(update: Update, context: BotContext) -> None:
    """``／checkin 2.2 已完成`` (a Chinese input method's slash) is not a command: show the fix."""
    text = (update.effective_message.text or "").strip()
    await reply(update, texts.fullwidth_slash("/" + text[1:]))


async def unsupported(update: Update, context: BotContext) -> None:
    """A sticker, photo or file in a private chat (outside a flow): say what works."""
    await reply(update, texts.UNSUPPORTED_MEDIA)


async def outline(update: Update, context: BotContext, *, plan_id: int | None = None, head: str = "") -> None:
    """Table of contents of the active plan (or ``plan_id``): a button per section (a row each),
    then its items, a few to a row."""
    plans = context.services.plans
    pid = plans.active_id() if plan_id is None else plan_id
    kb = await plan_kb(context, pid)
    other = pid if pid != plans.active_id() else None
    rows: list[list[tuple[str, str]]] = []
    short = kb.short_titles(OUTLINE_TITLE_CHARS)
    for top in kb.top_level():
        rows.append([(texts.outline_button(top.label, short.get(top.id, top.title)), _data("c", other, top.id))])
        items = [(texts.outline_button(c.label, short.get(c.id, c.title)), _data("c", other, c.id))
                 for c in (kb.get(cid) for cid in top.children) if c is not None]
        rows += [items[i:i + OUTLINE_ITEMS_PER_ROW] for i in range(0, len(items), OUTLINE_ITEMS_PER_ROW)]
    await reply(update, head + texts.outline(kb), keyboard(rows))


async def open_clause(update: Update, context: BotContext) -> None:
    """A clause button (c:<id>[@<plan id>]) or the outline button (outline[@<plan id>])."""
    q = update.callback_query
    await answer(update)
    data, _, plan = (q.data or "").partition("@")
    plans = context.services.plans
    try:
        pid = int(plan) if plan else plans.active_id()
        kb = await plan_kb(context, pid)
    except (ValueError, PlanError):
        await reply(update, texts.STALE_LINK)
        return
    other = pid if pid != plans.active_id() else None
    head = texts.quoting_plan(plans.get(pid).year, plans.active().year, None)
    if data == "outline":
        await outline(update, context, plan_id=pid, head=head)
        return
    clause = kb.get(data[2:])
    if clause is None:
        await reply(update, texts.STALE_LINK)
        return
    await reply(update, head + texts.clause(clause, kb), clause_buttons(kb, clause.id, plan_id=other))  # whole clause


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
    app.add_handler(CallbackQueryHandler(open_clause, pattern=r"^(c:|outline(@\d{1,12})?$)"))
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
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & ~filters.TEXT & ~filters.StatusUpdate.ALL,
                                   unsupported), group=group_text)
