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
Every send is claim-then-send through :func:`deliver_claimed`, so the triggers (or restarts) never
deliver twice.

Dates are typed as people type them (bot/dates.py). A fully written date and time (year, month,
day, time) is acted on at once; anything inferred (明天, 下周五, a month-day without a year, no
time) is echoed in full with 「确认」/「取消」 buttons. /event_del always asks first. These previews
are the one stored-preview mechanism (bot/services/pending.py, handlers/pending.py): kinds
``event_add`` / ``event_edit`` / ``event_del``, stored so that they survive a restart; only the
admin who asked may confirm; 确认 marks the preview done and makes the change in one
transaction (a second 确认 changes nothing); /cancel drops them with every other preview.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, Job

from bot import texts
from bot.context import BotContext
from bot.errors import AppError, PendingGone
from bot.models import PendingAction
from bot.services import Services
from bot.services.events import DeadlineWork, DueReminder, NoticeWork
from handlers.common import admin_only, answer, args_text, edit_or_reply, once, reply
from handlers.pending import close_preview, confirm_markup, register_confirm
from handlers.push import push_one

log = logging.getLogger(__name__)

SWEEP_SECONDS = 15.0
HORIZON = timedelta(hours=6)
_JOB_KW = {"misfire_grace_time": 3600, "coalesce": True}
PREVIEW_KINDS = ("event_add", "event_edit", "event_del")  # PendingAction kinds: event_<payload op>


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


def _store_preview(update: Update, context: BotContext, payload: dict[str, object]) -> PendingAction:
    """The preview waits for its admin's 「确认」 as a PendingAction of kind ``event_<op>``;
    several event previews may be open at once (they never supersede each other)."""
    return context.services.pending.create(kind=f"event_{payload['op']}", admin_id=update.effective_user.id,
                                           chat_id=update.effective_chat.id, payload=payload, supersede=False)


def _markup(action: PendingAction):  # noqa: ANN202
    return confirm_markup(action, ok=texts.EV_CONFIRM, cancel=texts.EV_CANCEL)


@admin_only
@once
async def event_add(update: Update, context: BotContext) -> None:
    """/event_add 日期 时间 标题: add at once when fully written, else preview with 确认/取消.
    Errors (DateError, EventError) are answered by the global error handler."""
    svc, user = context.services.events, update.effective_user
    when = svc.read(args_text(update))
    now = svc.clock.now()
    if when.explicit:
        event, plans = svc.add_checked(title=when.rest, starts_at=when.at, created_by=user.id)
        after_change(context.application)
        await reply(update, texts.event_added(event, plans, now, svc.tz, len(svc.recipients())))
        return
    action = _store_preview(update, context, svc.preview_add(title=when.rest, starts_at=when.at, created_by=user.id))
    await reply(update, texts.event_preview_add(when.rest, when.at, when.assumed, now, svc.tz, when.typed),
                _markup(action))


@admin_only
@once
async def event_edit(update: Update, context: BotContext) -> None:
    """/event_edit ID 日期 时间 [新标题]: move (and rename) an event; preview unless fully written."""
    svc = context.services.events
    event_id, rest = svc.event_id(args_text(update), usage="edit_usage")
    ev = svc.live(event_id)
    when = svc.read(rest, usage="edit_usage", need_title=False)
    title, now = when.rest or ev.title, svc.clock.now()
    if when.explicit:
        moved = svc.move(event_id, starts_at=when.at, title=title)
        after_change(context.application)
        await reply(update, texts.event_moved(moved, svc.plan_now(moved.event), now, svc.tz))
        return
    ev, payload = svc.preview_edit(event_id, starts_at=when.at, title=title)
    action = _store_preview(update, context, payload)
    await reply(update, texts.event_preview_edit(ev, title, when.at, when.assumed, now, svc.tz, when.typed,
                                                 svc.reminded_count(event_id)), _markup(action))


@admin_only
@once
async def event_del(update: Update, context: BotContext) -> None:
    """/event_del ID: ask 「确认」, then remove the event and its pending reminders."""
    svc = context.services.events
    event_id, _rest = svc.event_id(args_text(update), usage="del_usage")
    ev, payload = svc.preview_del(event_id)
    action = _store_preview(update, context, payload)
    await reply(update, texts.event_preview_del(ev, svc.tz, svc.reminded_count(event_id)), _markup(action))


async def confirm_preview(update: Update, context: BotContext, action: PendingAction) -> None:
    """「确认」 of an event preview (registered for every kind in PREVIEW_KINDS): the preview is
    claimed and the event added / moved / deleted in one transaction (EventService.apply_in
    through PendingService.confirm). A preview that can no longer be carried out (the time has
    passed, the event changed or went away) is closed and the preview message says why; a
    PendingGone (twice, another admin's, cancelled, expired) is answered by handlers/pending.py."""
    svc, pending = context.services.events, context.services.pending
    uid = update.effective_user.id
    try:
        done = await asyncio.to_thread(pending.confirm, action_id=action.id, token=action.token, user_id=uid,
                                       apply=svc.apply_in)
    except PendingGone:
        raise
    except AppError as exc:
        with contextlib.suppress(PendingGone):
            pending.cancel(action_id=action.id, token=action.token, user_id=uid)
        await edit_or_reply(update, texts.error_text(exc))
        return
    after_change(context.application)
    now = svc.clock.now()
    if done.op == "add":
        text = texts.event_added(done.event, done.plans, now, svc.tz, len(svc.recipients()))
    elif done.op == "edit" and done.moved is not None:
        text = texts.event_moved(done.moved, done.plans, now, svc.tz)
    else:
        text = texts.event_deleted(done.event, svc.tz)
        unschedule(context.application, done.event.id)
    await edit_or_reply(update, text)


async def _old_button(update: Update, context: BotContext) -> None:
    """``ev:ok:<id>`` buttons of previews stored before 0010 (their table is gone): say so."""
    await answer(update, texts.pending_gone("unknown"), alert=True)
    q = update.callback_query
    if q is not None and q.message is not None and getattr(q.message, "reply_markup", None) is not None:
        await close_preview(update)


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
    """Job started by :func:`after_change`: send the notices owed now (the lease holder only)."""
    app = context.application
    if not context.services.lease.is_leader:
        return
    async with _rt(app).lock:
        for work in context.services.events.notice_work():
            await send_notice(app, work)


def unschedule(app: Application, event_id: int) -> None:
    """Drop the punctual jobs of a deleted event (the database already says nothing is due)."""
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
    """The repeating job: :func:`sweep`, unless a delivery is still running."""
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

Batches = Iterable[tuple[str, Iterable[int]]]


async def deliver_claimed(app: Application, batches: Batches, *, claim: Callable[[int], bool],
                          record: Callable[[int, bool], None] | None = None) -> tuple[int, int]:
    """Claim-then-send, the one loop of every scheduled push (reminders, notices, deadline pushes).

    ``batches``: (text, chat ids) pairs — one text per group of recipients. For each chat,
    ``claim(chat_id)`` reserves it in the database first (False: already claimed — sent, or in
    doubt after a crash — so it is skipped: never twice); then every part of ``text`` (split at
    Telegram's 4096 UTF-16 units) goes out through ``push_one`` and the process's shared Pacer
    (~25 msg/s overall; a 429 pauses every push); then ``record(chat_id, delivered)``. A recipient
    that cannot be reached (blocked, refused, network) counts as failed and the batch goes on.
    Returns (sent, failed)."""
    s = _services(app)
    sent = failed = 0
    for text, chats in batches:
        parts = texts.split(text)
        for chat_id in chats:
            if not claim(chat_id):
                continue
            ok = True
            for part in parts:
                ok = await push_one(app.bot, chat_id, part, s.roster, s.pacer) and ok
            if record is not None:
                record(chat_id, ok)
            sent, failed = sent + ok, failed + (not ok)
    return sent, failed


async def send_reminder(app: Application, due: DueReminder) -> tuple[int, int]:
    """Send one (event, offset) reminder to every recipient bound by its due time (active, not
    muted), then settle it. Returns (sent, failed)."""
    svc = _services(app).events
    text = texts.event_reminder(due.title, due.starts_at, svc.clock.now(), svc.tz)
    sent, failed = await deliver_claimed(
        app, [(text, svc.recipients(at=due.due_at))],
        claim=lambda chat_id: svc.claim(due.event_id, due.offset_key, chat_id),
        record=lambda chat_id, ok: svc.record(due.event_id, due.offset_key, chat_id, "sent" if ok else "failed"))
    svc.settle(due.event_id, due.offset_key)
    log.info("reminder %s of event %s (%s): %d sent, %d failed", due.offset_key, due.event_id,
             due.title, sent, failed)
    return sent, failed


async def send_notice(app: Application, work: NoticeWork) -> tuple[int, int]:
    """Send a changed event's notice (key ``work.key``), then settle it. Those already reminded
    get 「时间变更」/「已取消」; the others, when owed, one notice now. Returns (sent, failed)."""
    svc = _services(app).events
    now, tz = svc.clock.now(), svc.tz
    if work.kind == "cancelled":
        batches = [(texts.notice_cancelled(work.title, work.starts_at, tz), work.changed)]
    else:
        batches = [(texts.notice_moved(work.title, work.moved_from, work.starts_at, now, tz), work.changed),
                   (texts.notice_soon(work.title, work.starts_at, now, tz), work.others)]
    sent, failed = await deliver_claimed(
        app, batches, claim=lambda chat_id: svc.claim(work.event_id, work.key, chat_id),
        record=lambda chat_id, ok: svc.record(work.event_id, work.key, chat_id, "sent" if ok else "failed"))
    svc.settle_notice(work.event_id, work.key)
    log.info("notice %s (%s) of event %s: %d sent, %d failed", work.key, work.kind, work.event_id, sent, failed)
    return sent, failed


async def send_deadline(app: Application, work: DeadlineWork) -> tuple[int, int]:
    """Send one deadline push (d3/d1: to members of each unit that has not reported, naming the
    unit; digest: to the admins), then settle it. Returns (sent, failed)."""
    svc = _services(app).events
    now, tz = svc.clock.now(), svc.tz
    if work.kind == "digest":
        batches = [(texts.deadline_digest(work.period, work.deadline, work.missing, work.total_units, tz),
                    work.admins)]
    else:
        batches = [(texts.deadline_push(work.period, unit, work.deadline, now, tz), chats)
                   for unit, chats in work.units]
    sent, failed = await deliver_claimed(
        app, batches, claim=lambda chat_id: svc.claim_deadline(work.period, work.kind, chat_id))
    svc.settle_deadline(work.period, work.kind)
    log.info("deadline push %s of %s: %d sent, %d failed", work.kind, work.period, sent, failed)
    return sent, failed


# --- wiring ------------------------------------------------------------------------------------

def register(app: Application):  # noqa: ANN201 - returns the start-up hook
    """Add the event commands, 「确认」 of the event previews and the scheduler; returns the
    start-up hook (seed, plan the jobs, catch up, start the sweeps)."""
    app.add_handler(CommandHandler("events", events_cmd))
    app.add_handler(CommandHandler("event_add", event_add))
    app.add_handler(CommandHandler("event_edit", event_edit))
    app.add_handler(CommandHandler("event_del", event_del))
    for kind in PREVIEW_KINDS:
        register_confirm(kind, confirm_preview)
    app.add_handler(CallbackQueryHandler(_old_button, pattern=r"^ev:"))

    async def startup(app: Application) -> None:
        """Seed events, then rebuild every job from the database; catch-up runs in the first sweep."""
        svc = _services(app).events
        svc.seed()
        plan_jobs(app)
        app.job_queue.run_once(_catch_up, when=0.5, name="events:catch-up", job_kwargs=_JOB_KW)
        app.job_queue.run_repeating(_sweep, interval=SWEEP_SECONDS, first=SWEEP_SECONDS,
                                    name="events:sweep", job_kwargs={"coalesce": True})

    return startup
