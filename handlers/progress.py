"""The office's view: /progress, /export, /chart, /remind_missing."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from telegram import InputFile, Update
from telegram.ext import Application, CommandHandler

from bot import texts
from bot.context import BotContext
from bot.errors import BadInput
from bot.periods import deadline_of, parse_period
from handlers.common import admin_only, args_text, once, reply
from handlers.push import push_many


def _period(context: BotContext, raw: str) -> str | None:
    """The period named in the arguments (None = all for /export) or the current one: typed as
    people type it (2026-11, 十一月, 上个月, 2026年第四季度; bot/periods.py parse_period)."""
    if not raw:
        return None
    svc = context.services.checkins
    today = context.services.clock.now().astimezone(context.settings.tz).date()
    period = parse_period(raw, svc.period_kind, today) or parse_period(raw.split()[0], svc.period_kind, today)
    if period is None:
        raise BadInput(texts.bad_period(svc.period_kind))
    return period


@admin_only
async def progress(update: Update, context: BotContext) -> None:
    """/progress [period]: counts per item, each unit's latest statuses, units not reported."""
    svc = context.services.checkins
    p = svc.progress(_period(context, args_text(update)) or svc.period_now())
    await reply(update, texts.progress(p, len(p.units) + len(p.missing)))


@admin_only
async def export(update: Update, context: BotContext) -> None:
    """/export [period]: an .xlsx of the check-ins (detail + summary matrix)."""
    period = _period(context, args_text(update))
    # building a large workbook takes seconds: keep the event loop answering others meanwhile
    name, data, n = await asyncio.to_thread(context.services.reports.export, period)
    if n == 0:  # nothing recorded: say so rather than send an empty workbook
        await reply(update, texts.export_empty(period))
        return
    await update.effective_chat.send_document(InputFile(data, filename=name),
                                              caption=texts.export_caption(n))


@admin_only
async def chart(update: Update, context: BotContext) -> None:
    """/chart [period]: a PNG of units × items coloured by status."""
    name, data = await asyncio.to_thread(context.services.reports.chart, _period(context, args_text(update)))
    await update.effective_chat.send_photo(InputFile(data, filename=name), caption=texts.CHART_CAPTION)


@admin_only
@once
async def remind_missing(update: Update, context: BotContext) -> None:
    """/remind_missing [period]: push a reminder to every member of every unit that has not reported."""
    svc = context.services.checkins
    period = _period(context, args_text(update)) or svc.period_now()
    now = context.services.clock.now()
    last = context.bot_data.setdefault("remind_missing_at", {}).get(period)
    if last is not None and now - last < REMIND_AGAIN_AFTER:  # a second press, not a second round of 催办
        await reply(update, texts.remind_missing_recently(period, now - last, REMIND_AGAIN_AFTER))
        return
    context.bot_data["remind_missing_at"][period] = now
    units = svc.progress(period).missing
    due = deadline_of(period, context.settings.checkin_deadline_day, context.settings.tz)
    deadline, overdue = texts.when(due, context.settings.tz), context.services.clock.now() > due
    people = failed = 0
    members = context.services.roster.members_by_unit()
    reminded, unbound = [], []
    for unit in units:
        chats = [m.chat_id for m in members.get(unit.id, [])]
        if not chats:  # nobody to tell: listed apart, not counted as reminded
            unbound.append(unit.name)
            continue
        ok, bad = await push_many(context.bot, chats, texts.remind_missing_push(period, unit.name, deadline, overdue),
                                  context.services.roster, context.services.pacer)
        people, failed = people + ok, failed + bad
        reminded.append(unit.name)
    await reply(update, texts.remind_missing_result(period, reminded, people, failed, unbound))


REMIND_AGAIN_AFTER = timedelta(minutes=10)  # /remind_missing of one period, twice within this: once


def register(app: Application) -> None:
    app.add_handler(CommandHandler("progress", progress))
    app.add_handler(CommandHandler("export", export))
    app.add_handler(CommandHandler("chart", chart))
    app.add_handler(CommandHandler("remind_missing", remind_missing))
