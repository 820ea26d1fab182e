"""/events, /event_add, /event_edit, /event_del, their 「确认」 buttons, and the jobs that push
reminders, notices of changed events and deadline pushes.

The database is the source of truth (bot/services/events.py). The JobQueue only triggers:
- ``sweep`` every SWEEP_SECONDS: settles reminders whose event started while the bot was down,
  sends whatever is due (including catch-up after a restart) and the check-in deadline pushes,
  then re-plans the punctual jobs;
- one ``run_once`` job per reminder due within HORIZON (name ``ev:<event id>:<offset>``), so a
  reminder leaves at its second rather than at the next sweep. Jobs are rebuilt from the
  database at start-up and whenever an event is added, moved or deleted;
- a notice owed after a change (「时间变更」, 「已取消」, one notice at once when reminders' times
  had passed) is sent by a job started right after the change, and by every sweep until settled.
Every send is claim-then-send, so the triggers (or restarts) never deliver twice.

Dates are typed as people type them (bot/dates.py). A fully written date and time (year, month,
day, time) is acted on at once; anything inferred (明天, 下周五, a month-day without a year, no
time) is echoed in full with 「确认」/「取消」 buttons (``ev:ok:<action id>`` / ``ev:no:<id>``,
≤ 64 bytes), the pending action stored in the database (EventAction) so that it survives a
restart and a second 确认 does nothing. /event_del always asks first.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, Job

from bot import texts
from bot.context import BotContext
from bot.errors import AppError
from bot.models import EventAction
from bot.services import Services
from bot.services.events import DeadlineWork, DueReminder, NoticeWork
from handlers.common import admin_only, answer, args_text, edit_or_reply, keyboard, once, reply
from handlers.push import push_one

log = logging.getLogger(__name__)

SWEEP_SECONDS = 15.0
HORIZON = timedelta(hours=6)
_JOB_KW = {"misfire_grace_time": 3600, "coalesce": True}
_DATA = re.compile(r"^ev:(ok|no):(\d{1,12})$")


@dataclass
class _Runtime:
    """Per-application scheduler state; rebuilt from the database at every start."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    jobs: dict[str, tuple[datetime, Job]] = field(default_factory=dict)  # name -> (due_at, job)


def _rt(app: Application) -> _Runtime:
    return app.bot_data.setdefault("_events_runtime", _Runtime())


def _services(app: Application) -> Services:
    return app.bot_data["services"]


# --- commands ----------------------------------------------------------------------------------

async def events_cmd(update: Update, context: BotContext) -> None:
    """/events: upcoming events with their times and how long until each."""
    svc = context.services.events
    user = update.effective_user
    await reply(update, texts.events_list(svc.upcoming(), svc.clock.now(), svc.tz,
                                          context.is_admin(user.id if user else None)))


def _confirm_markup(action: EventAction) -> InlineKeyboardMarkup | None:
    return keyboard([[(texts.EV_CONFIRM, f"ev:ok:{action.id}"), (texts.EV_CANCEL, f"ev:no:{action.id}")]])


@admin_only
@once
async def event_add(update: Update, context: BotContext) -> None:
    """/event_add 日期 时间 标题: add at once when fully written, else preview with 确认/取消."""
    svc, user = context.services.events, update.effective_user
    when = svc.read(args_text(update))
    now = svc.clock.now()
    if when.explicit:
        event, plans = svc.add_checked(title=when.rest, starts_at=when.at, created_by=user.id)
        after_change(context.application)
        await reply(update, texts.event_added(event, plans, now, svc.tz, len(svc.recipients())))
        return
    action = svc.propose("add", chat_id=update.effective_chat.id, created_by=user.id, title=when.rest,
                         starts_at=when.at)
    await reply(update, texts.event_preview_add(when.rest, when.at, when.assumed, now, svc.tz, when.typed),
                _confirm_markup(action))


@admin_only
@once
async def event_edit(update: Update, context: BotContext) -> None:
    """/event_edit ID 日期 时间 [新标题]: move (and rename) an event; preview unless fully written."""
    svc, user = context.services.events, update.effective_user
    event_id, rest = svc.event_id(args_text(update), usage="edit_usage")
    ev = svc.live(event_id)
    when = svc.read(rest, usage="edit_usage", need_title=False)
    title, now = when.rest or ev.title, svc.clock.now()
    if when.explicit:
        moved = svc.move(event_id, starts_at=when.at, title=title)
        after_change(context.application)
        await reply(update, texts.event_moved(moved, svc.plan_now(moved.event), now, svc.tz))
        return
    action = svc.propose("edit", chat_id=update.effective_chat.id, created_by=user.id, event_id=event_id,
                         title=title, starts_at=when.at)
    await reply(update, texts.event_preview_edit(ev, title, when.at, when.assumed, now, svc.tz, when.typed,
                                                 svc.reminded_count(event_id)), _confirm_markup(action))


@admin_only
@once
async def event_del(update: Update, context: BotContext) -> None:
    """/event_del ID: ask 「确认」, then remove the event and its pending reminders."""
    svc = context.services.events
    event_id, _rest = svc.event_id(args_text(update), usage="del_usage")
    ev = svc.live(event_id)
    action = svc.propose("del", chat_id=update.effective_chat.id, created_by=update.effective_user.id,
                         event_id=event_id)
    await reply(update, texts.event_preview_del(ev, svc.tz, svc.reminded_count(event_id)), _confirm_markup(action))


@admin_only
async def on_button(update: Update, context: BotContext) -> None:
    """「确认」/「取消」 of an event preview: the stored action is carried out (or dropped) once."""
    q = update.callback_query
    m = _DATA.match(q.data or "")
    if m is None:
        await answer(update)
        return
    svc, action_id = context.services.events, int(m.group(2))
    try:
        if m.group(1) == "no":
            action = svc.cancel_action(action_id)
            await edit_or_reply(update, texts.event_action_cancelled(action.kind))
            await answer(update, texts.CANCELLED)
            return
        done = svc.confirm(action_id)
    except AppError as exc:  # already handled, stale, or no longer possible: say so, drop the buttons
        await edit_or_reply(update, texts.error_text(exc))
        await answer(update)
        return
    after_change(context.application)
    now = svc.clock.now()
    if done.action.kind == "add":
        text = texts.event_added(done.event, done.plans, now, svc.tz, len(svc.recipients()))
    elif done.action.kind == "edit" and done.moved is not None:
        text = texts.event_moved(done.moved, done.plans, now, svc.tz)
    else:
        text = texts.event_deleted(done.event, svc.tz)
        unschedule(context.application, done.event.id)
    await edit_or_reply(update, text)
    await answer(update)


# --- scheduling --------------------------------------------------------------------------------

def plan_jobs(app: Application) -> int:
    """(Re)create the run_once jobs of reminders due within HORIZON; drop jobs no longer pending."""
    svc, rt = _services(app).events, _rt(app)
    now = svc.clock.now()
    pending = {d.job_name: d for d in svc.pending_reminders(until=now + HORIZON, now=now)}
    # jobs no longer pending (event deleted, moved out of the horizon, settled): dropped; a job
    # whose time has just come stays and fires (it asks the database before sending anything)
    for name in [n for n, (at, _) in rt.jobs.items() if n not in pending and at > now]:
        rt.jobs.pop(name)[1].schedule_removal()
    for name in [n for n, (at, _) in rt.jobs.items() if at < now - timedelta(hours=1)]:
        rt.jobs.pop(name)  # long past and never fired (a misfire): the sweeps covered it
    added = 0
    for name, due in pending.items():
        have = rt.jobs.get(name)
        if have is not None and have[0] == due.due_at:
            continue
        if have is not None:
            have[1].schedule_removal()
        job = app.job_queue.run_once(_fire, when=due.due_at, name=name,
                                     data=(due.event_id, due.offset_key), job_kwargs=_JOB_KW)
        rt.jobs[name] = (due.due_at, job)
        added += 1
    return added


def after_change(app: Application) -> None:
    """An event was added, moved or deleted: re-plan the punctual jobs and send any notice owed
    now (the sweeps send it too, should this process not be the sender or stop meanwhile)."""
    plan_jobs(app)
    app.job_queue.run_once(_notices, when=0, name="events:notices", job_kwargs=_JOB_KW)


async def _notices(context: BotContext) -> None:
    app = context.application
    if not context.services.lease.is_leader:
        return
    async with _rt(app).lock:
        for work in context.services.events.notice_work():
            await send_notice(app, work)


def unschedule(app: Application, event_id: int) -> None:
    rt = _rt(app)
    for name in [n for n in rt.jobs if n.startswith(f"ev:{event_id}:")]:
        rt.jobs.pop(name)[1].schedule_removal()


async def _fire(context: BotContext) -> None:
    """A punctual job: send its reminder if the database still says it is due."""
    app, job = context.application, context.job
    _rt(app).jobs.pop(job.name, None)
    event_id, key = job.data
    if not context.services.lease.is_leader:
        return  # another process sharing the database sends; its sweep covers this one
    async with _rt(app).lock:
        due = context.services.events.due_reminder(event_id, key)
        if due is not None:
            await send_reminder(app, due)


async def _sweep(context: BotContext) -> None:
    if _rt(context.application).lock.locked():
        return  # a delivery is running; the next sweep picks up whatever is left
    await sweep(context.application)


async def _catch_up(context: BotContext) -> None:
    """Right after start: what fell due while the bot was down (full scan of history)."""
    await sweep(context.application, full=True)


async def sweep(app: Application, *, full: bool = False) -> None:
    """Everything the database says is due now, then the plan for the next hours."""
    svc = _services(app).events
    if not _services(app).lease.is_leader:
        return  # another process sharing the database is the sender
    async with _rt(app).lock:
        svc.skip_expired(full=full)
        for due in svc.due_reminders():
            await send_reminder(app, due)
        for notice in svc.notice_work():
            await send_notice(app, notice)
        for work in svc.deadline_work():
            await send_deadline(app, work)
    plan_jobs(app)


# --- delivery ----------------------------------------------------------------------------------

async def _deliver(app: Application, chat_id: int, text: str) -> bool:
    s = _services(app)
    ok = True
    for part in texts.split(text):
        ok = await push_one(app.bot, chat_id, part, s.roster, s.pacer) and ok
    return ok


async def send_reminder(app: Application, due: DueReminder) -> tuple[int, int]:
    """Claim-then-send to every recipient, then settle the (event, offset). (sent, failed)."""
    svc = _services(app).events
    text = texts.event_reminder(due.title, due.starts_at, svc.clock.now(), svc.tz)
    sent = failed = 0
    for chat_id in svc.recipients(at=due.due_at):
        if not svc.claim(due.event_id, due.offset_key, chat_id):
            continue  # already sent (or in doubt after a crash): never twice
        ok = await _deliver(app, chat_id, text)
        svc.record(due.event_id, due.offset_key, chat_id, "sent" if ok else "failed")
        sent, failed = sent + ok, failed + (not ok)
    svc.settle(due.event_id, due.offset_key)
    log.info("reminder %s of event %s (%s): %d sent, %d failed", due.offset_key, due.event_id,
             due.title, sent, failed)
    return sent, failed


async def send_notice(app: Application, work: NoticeWork) -> tuple[int, int]:
    """Claim-then-send a changed event's notice (key ``work.key``) to each recipient, then settle
    it. Those already reminded get 「时间变更」/「已取消」; the others, when owed, one notice now."""
    svc = _services(app).events
    now, tz = svc.clock.now(), svc.tz
    if work.kind == "cancelled":
        batches = [(texts.notice_cancelled(work.title, work.starts_at, tz), work.changed)]
    else:
        batches = [(texts.notice_moved(work.title, work.moved_from, work.starts_at, now, tz), work.changed),
                   (texts.notice_soon(work.title, work.starts_at, now, tz), work.others)]
    sent = failed = 0
    for text, chats in batches:
        for chat_id in chats:
            if not svc.claim(work.event_id, work.key, chat_id):
                continue  # already sent (or in doubt after a crash): never twice
            ok = await _deliver(app, chat_id, text)
            svc.record(work.event_id, work.key, chat_id, "sent" if ok else "failed")
            sent, failed = sent + ok, failed + (not ok)
    svc.settle_notice(work.event_id, work.key)
    log.info("notice %s (%s) of event %s: %d sent, %d failed", work.key, work.kind, work.event_id, sent, failed)
    return sent, failed


async def send_deadline(app: Application, work: DeadlineWork) -> tuple[int, int]:
    svc = _services(app).events
    now, tz = svc.clock.now(), svc.tz
    if work.kind == "digest":
        batches = [(texts.deadline_digest(work.period, work.deadline, work.missing, work.total_units, tz),
                    work.admins)]
    else:
        batches = [(texts.deadline_push(work.period, unit, work.deadline, now, tz), chats)
                   for unit, chats in work.units]
    sent = failed = 0
    for text, chats in batches:
        for chat_id in chats:
            if not svc.claim_deadline(work.period, work.kind, chat_id):
                continue
            ok = await _deliver(app, chat_id, text)
            sent, failed = sent + ok, failed + (not ok)
    svc.settle_deadline(work.period, work.kind)
    log.info("deadline push %s of %s: %d sent, %d failed", work.kind, work.period, sent, failed)
    return sent, failed


# --- wiring ------------------------------------------------------------------------------------

def register(app: Application):  # noqa: ANN201 - returns the start-up hook
    app.add_handler(CommandHandler("events", events_cmd))
    app.add_handler(CommandHandler("event_add", event_add))
    app.add_handler(CommandHandler("event_edit", event_edit))
    app.add_handler(CommandHandler("event_del", event_del))
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^ev:"))

    async def startup(app: Application) -> None:
        """Seed events, then rebuild every job from the database; catch-up runs in the first sweep."""
        svc = _services(app).events
        svc.seed()
        plan_jobs(app)
        app.job_queue.run_once(_catch_up, when=0.5, name="events:catch-up", job_kwargs=_JOB_KW)
        app.job_queue.run_repeating(_sweep, interval=SWEEP_SECONDS, first=SWEEP_SECONDS,
                                    name="events:sweep", job_kwargs={"coalesce": True})

    return startup
