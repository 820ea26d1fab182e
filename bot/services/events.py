"""Events, their reminders and the check-in deadline pushes.

The database decides what is due and what was sent; the scheduler (handlers/events.py) only asks
"what is due now?" and delivers. Delivery is claim-then-send: a ReminderDelivery / DeadlinePush
row for (what, chat) is committed *before* the message goes out, under a unique key, so no chat
ever gets the same reminder twice, whatever restarts happen. The price is at-most-once: a crash
between the claim and the send loses that one message (its row stays at status ``sending``).

Marker rows with ``chat_id = 0`` (no Telegram chat has id 0) settle a whole (event, offset) or
(period, kind): ``done`` once every recipient was handled, ``skipped`` when it will never be sent
(the event had started, or a deadline passed, while the bot was down; or a move put its time in
the past). Settled work is never reconsidered, so a restart does not rescan recipients of reminders
sent long ago — except that a move drops the ``skipped`` markers of the event it moves: the new
time decides afresh, while ``done`` (sent) stays done.

Previews of /event_add, /event_edit and /event_del are stored by the handler as PendingAction
(bot/services/pending.py): ``preview_*`` check and return the payload, and :meth:`EventService.apply_in`
carries it out inside the transaction that marks the preview done.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.clock import Clock
from bot.config import format_offset
from bot.dates import When, normalise, resolve
from bot.errors import DateError, EventError
from bot.models import Chat, DeadlinePush, Event, Member, ReminderDelivery, Unit
from bot.periods import deadline_of, deadline_pushes, period_of

log = logging.getLogger(__name__)

MARKER = 0  # chat_id of the row that settles a whole (event, offset) or (period, kind)
MAX_TITLE = 100
MAX_ID = 2**31 - 1  # PostgreSQL integer: a larger "id" can only be a typo
CANCEL_KEY = "del"  # offset key of the 「已取消」 notice
SEED_PATH = Path(__file__).resolve().parent.parent / "data" / "events_seed.json"

@dataclass(frozen=True)
class ReminderPlan:
    """When one offset of an event goes out; ``skipped`` when it was already past at creation."""

    offset_key: str
    offset: timedelta
    due_at: datetime
    skipped: bool


@dataclass(frozen=True)
class DueReminder:
    """One (event, offset) reminder to send: when it falls due (aware UTC) and what it names."""

    event_id: int
    offset_key: str
    due_at: datetime
    title: str
    starts_at: datetime

    @property
    def job_name(self) -> str:
        """The name of its punctual JobQueue job: ``ev:<event id>:<offset key>``."""
        return f"ev:{self.event_id}:{self.offset_key}"


@dataclass(frozen=True)
class DeadlineWork:
    """One deadline push to make: d3/d1 go to members of units that have not reported (per unit,
    so the text can name the unit); the digest goes to the admins and names the missing units."""

    period: str
    kind: str  # d3 | d1 | digest
    due_at: datetime
    deadline: datetime
    units: list[tuple[str, list[int]]] = field(default_factory=list)  # d3/d1: (unit name, chats)
    admins: list[int] = field(default_factory=list)  # digest recipients
    missing: list[str] = field(default_factory=list)  # digest: units still missing
    total_units: int = 0

    @property
    def chat_ids(self) -> list[int]:
        """Every chat this push goes to (admins for the digest, members for d3/d1)."""
        if self.kind == "digest":
            return list(self.admins)
        return [c for _, chats in self.units for c in chats]


@dataclass(frozen=True)
class Moved:
    """What /event_edit did: the event after the change, its start before (None when it was
    tentative), whether the time changed, how many chats had been reminded, the offsets whose
    new time had already passed (settled as skipped)."""

    event: Event
    old_starts_at: datetime | None
    old_title: str
    time_changed: bool
    reminded: int
    skipped: list[str]


@dataclass(frozen=True)
class Confirmed:
    """A preview carried out by 「确认」 (:meth:`EventService.apply_in`): ``op`` (add | edit | del),
    the event (added, moved or deleted), the reminder plan (add, edit) and the move (edit)."""

    op: str
    event: Event
    plans: list[ReminderPlan] = field(default_factory=list)
    moved: Moved | None = None


@dataclass(frozen=True)
class NoticeWork:
    """One owed notice of an event, claimed per chat under ``key``. ``kind``: ``moved`` (the
    event moved: ``changed`` get 「时间变更」 old -> new, ``others`` get a notice of the event at
    once because some reminders' times had passed), ``new`` (added so close that some offsets
    had passed: ``others`` get one notice at once), ``cancelled`` (``changed`` get 「已取消」)."""

    event_id: int
    key: str
    kind: str
    title: str
    starts_at: datetime
    moved_from: datetime | None
    changed: list[int] = field(default_factory=list)
    others: list[int] = field(default_factory=list)


def notice_key(revision: int, *, everyone: bool) -> str:
    """Offset key of the notice owed after a change: ``n<rev>`` tells every member (some
    offsets had passed), ``m<rev>`` only those already reminded. ≤ 10 characters."""
    return f"{'n' if everyone else 'm'}{revision}"


def _aware(moment: datetime, tz: ZoneInfo) -> datetime:
    """A naive time means BOT_TIMEZONE; everything is compared in UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(UTC)


class EventService:
    """Events, their reminders, notices after a change and the check-in deadline pushes, on one
    database (see the module docstring). Telegram-free; times are aware (stored and compared in
    UTC, shown by the caller in ``tz``). Methods named ``*_in`` work inside a Session the caller
    commits (a 「确认」 applies through PendingService.confirm); the others use their own."""

    def __init__(self, engine: Engine, clock: Clock, *, tz: ZoneInfo, offsets: Sequence[timedelta],
                 deadline_day: int = 25, period_kind: str = "monthly",
                 admin_ids: Iterable[int] = (), digest_grace: timedelta = timedelta(days=3),
                 skip_lookback: timedelta = timedelta(days=2),
                 duty_status: Callable[[str], tuple[set[int], set[int]]] | None = None) -> None:
        """``tz``: BOT_TIMEZONE; ``offsets``: REMINDER_OFFSETS (at least one, else ValueError);
        ``deadline_day`` / ``period_kind``: CHECKIN_DEADLINE_DAY / CHECKIN_PERIOD; ``admin_ids``
        get the deadline digest, caught up within ``digest_grace``; ``skip_lookback``: how far
        back a sweep looks for reminders to settle as skipped.

        ``duty_status(period)`` -> (ids of units with something due, ids of those that have not
        reported it): CheckinService.duty_status, the one place that knows 任务分解; by default
        one is built over the same database."""
        if not offsets:
            raise ValueError("at least one reminder offset is needed")
        self.engine = engine
        self.clock = clock
        self.tz = tz
        self.offsets = sorted(set(offsets), reverse=True)
        self.keys = {format_offset(o): o for o in self.offsets}
        self.deadline_day = deadline_day
        self.period_kind = period_kind
        self.admin_ids = sorted(set(admin_ids))
        self.digest_grace = digest_grace
        self.skip_lookback = skip_lookback
        # how far before an event its earliest reminder can fall (+1 day for DST wall-clock shifts)
        self._reach = self.offsets[0] + timedelta(days=1)
        if duty_status is None:
            from bot.services.checkins import CheckinService
            from bot.services.duties import DutyService
            from bot.services.plans import PlanService

            duty_status = CheckinService(engine, clock, plans=PlanService(engine, clock),
                                         duties=DutyService(engine, clock), tz=tz,
                                         period_kind=period_kind).duty_status
        self.duty_status = duty_status

    @classmethod
    def from_settings(cls, engine: Engine, clock: Clock, settings, *,  # noqa: ANN001
                      duty_status: Callable[[str], tuple[set[int], set[int]]] | None = None) -> EventService:
        """The service as configured by ``settings`` (bot.config.Settings)."""
        return cls(engine, clock, tz=settings.tz, offsets=settings.offsets,
                   deadline_day=settings.checkin_deadline_day, period_kind=settings.checkin_period,
                   admin_ids=settings.admin_ids, duty_status=duty_status)

    def _session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    # --- time ----------------------------------------------------------------------------------
    def due_time(self, starts_at: datetime, offset: timedelta) -> datetime:
        """When the ``offset`` reminder of an event starting at ``starts_at`` goes out. Whole days
        count on the wall clock of BOT_TIMEZONE (7d before 09:30 is 09:30, DST or not); hours and
        minutes are exact durations."""
        if offset % timedelta(days=1) == timedelta(0):
            return (starts_at.astimezone(self.tz) - offset).astimezone(UTC)
        return starts_at.astimezone(UTC) - offset

    def plan(self, event: Event) -> list[ReminderPlan]:
        """Every offset's time; the ones already past when the event was created are skipped."""
        out = []
        for key, off in self.keys.items():
            due = self.due_time(event.starts_at, off)
            out.append(ReminderPlan(key, off, due, skipped=due <= event.created_at))
        return out

    # --- reading what an admin typed --------------------------------------------------------------
    def read(self, text: str, *, usage: str = "usage", need_title: bool = True) -> When:
        """``日期 时间 标题`` in any form of bot/dates.py -> When (``at`` aware in BOT_TIMEZONE,
        ``rest`` the title, ``explicit`` when year, month, day and time were all written).

        Raises DateError (no such date, past, too far, ambiguous hour …) or EventError: ``usage``
        (the given ``usage`` reason: no date found), ``no_title``, ``long_title`` (length, limit)."""
        try:
            when = resolve(text, now=self.clock.now(), tz=self.tz)
        except DateError as exc:
            if exc.reason == "missing":
                raise EventError(usage) from None
            raise
        if need_title and not when.rest:
            raise EventError("no_title")
        if len(when.rest) > MAX_TITLE:
            raise EventError("long_title", length=len(when.rest), limit=MAX_TITLE)
        return when

    @staticmethod
    def event_id(text: str, *, usage: str) -> tuple[int, str]:
        """``#12 rest`` / ``１２ rest`` -> (12, rest). A number too large to be an id is not found
        (EventError ``not_found``); no number at all raises EventError(``usage``)."""
        raw = normalise(text).strip()
        m = re.match(r"^#?\s*(\d+)(?:\s+|$)", raw)
        if m is None:
            raise EventError(usage)
        value = int(m.group(1))
        if value > MAX_ID:  # beyond any id the database can hold (PostgreSQL integer)
            raise EventError("not_found", event_id=value)
        return value, raw[m.end():].strip()

    # --- adding --------------------------------------------------------------------------------
    def add_checked(self, *, title: str, starts_at: datetime, created_by: int | None = None
                    ) -> tuple[Event, list[ReminderPlan]]:
        """Add an event an admin asked for, in its own transaction; see :meth:`add_checked_in`."""
        with self._session() as s:
            event, plans = self.add_checked_in(s, title=title, starts_at=starts_at, created_by=created_by)
            s.commit()
        return event, plans

    def add_checked_in(self, s: Session, *, title: str, starts_at: datetime, created_by: int | None = None
                       ) -> tuple[Event, list[ReminderPlan]]:
        """Add an event an admin asked for inside ``s`` (the caller commits): -> (the event with its
        id, one ReminderPlan per offset). ``starts_at`` naive means BOT_TIMEZONE. Refused when the
        same title at the same time exists (EventError ``duplicate``: event_id, title) or the time
        has passed (DateError ``past``). When some offsets are already past, one notice to the
        members is owed at once (``Event.notice = "n0"``)."""
        starts_at = _aware(starts_at, self.tz)
        self._check_future(starts_at)
        self._check_unique_in(s, title, starts_at)
        event = self._new_event(title=title, starts_at=starts_at, created_by=created_by, notify=True)
        s.add(event)
        s.flush()  # the id, for the reply and the jobs
        log.info("event %s added for %s: %s", event.id, event.starts_at.isoformat(), event.title)
        return event, self.plan(event)

    def _check_unique_in(self, s: Session, title: str, starts_at: datetime) -> None:
        """The same event typed twice (or already seeded) is not added again."""
        same = s.exec(select(Event).where(Event.title == title[:200], Event.starts_at == starts_at,
                                          col(Event.deleted_at).is_(None))).first()
        if same is not None:
            raise EventError("duplicate", event_id=same.id, title=same.title)

    def _check_future(self, starts_at: datetime) -> None:
        now = self.clock.now()
        if starts_at <= now:
            raise DateError("past", at=starts_at.astimezone(self.tz), now=now.astimezone(self.tz))

    def _new_event(self, *, title: str, starts_at: datetime, created_by: int | None = None, note: str = "",
                   seed_key: str | None = None, created_at: datetime | None = None,
                   notify: bool = False) -> Event:
        event = Event(title=title[:200], starts_at=_aware(starts_at, self.tz), note=note[:1000],
                      created_by=created_by, seed_key=seed_key,
                      created_at=created_at or self.clock.now())
        if notify and any(p.skipped for p in self.plan(event)):
            event.notice = notice_key(0, everyone=True)
        return event

    def add(self, *, title: str, starts_at: datetime, created_by: int | None = None, note: str = "",
            seed_key: str | None = None, created_at: datetime | None = None, notify: bool = False) -> Event:
        """Insert an event as given, unchecked (tools and tests, e.g. with a past ``created_at``): title ≤ 200 and note ≤ 1000
        characters (longer is cut), naive ``starts_at`` means BOT_TIMEZONE, ``created_at`` defaults
        to now. ``notify``: when some offsets are already past at creation, owe its members one
        notice at once (an admin's /event_add; not seeds or imports). Returns the stored event."""
        event = self._new_event(title=title, starts_at=starts_at, created_by=created_by, note=note,
                                seed_key=seed_key, created_at=created_at, notify=notify)
        with self._session() as s:
            s.add(event)
            s.commit()
        log.info("event %s added for %s: %s", event.id, event.starts_at.isoformat(), title)
        return event

    def get(self, event_id: int) -> Event | None:
        """The event with this id, None when there is none or it was deleted (any int is safe)."""
        if event_id > MAX_ID:
            return None
        with self._session() as s:
            ev = s.get(Event, event_id)
            return ev if ev is not None and ev.deleted_at is None else None

    def live(self, event_id: int) -> Event:
        """The event, not deleted; EventError ``not_found`` (event_id) otherwise."""
        ev = self.get(event_id)
        if ev is None:
            raise EventError("not_found", event_id=event_id)
        return ev

    # --- moving and deleting -------------------------------------------------------------------
    def _reminded(self, s: Session, event_id: int) -> set[int]:
        """Chats that were sent (or may have been sent) a reminder or notice of this event."""
        return set(s.exec(select(ReminderDelivery.chat_id).where(
            ReminderDelivery.event_id == event_id, ReminderDelivery.chat_id != MARKER,
            col(ReminderDelivery.status).in_(("sent", "sending")))).all())

    def reminded_count(self, event_id: int) -> int:
        """How many chats were sent (or may have been sent) a reminder or notice of the event and
        would be told of a change now: still bound, active and not muted (notice_work's audience) —
        a liaison unbound since is not counted, as they will not be told."""
        with self._session() as s:
            reminded = self._reminded(s, event_id)
        return self._still_told(reminded)

    def _still_told(self, reminded: set[int]) -> int:
        return len(reminded & set(self.recipients())) if reminded else 0

    def _locked(self, s: Session, event_id: int, revision: int | None) -> Event:
        """The live event, row-locked in ``s`` (PostgreSQL); EventError ``not_found`` / ``stale``."""
        ev = s.exec(select(Event).where(Event.id == event_id).with_for_update()).first() \
            if event_id <= MAX_ID else None
        if ev is None or ev.deleted_at is not None:
            raise EventError("not_found", event_id=event_id)
        if revision is not None and ev.revision != revision:
            raise EventError("stale", event_id=event_id, title=ev.title)
        return ev

    def move(self, event_id: int, *, starts_at: datetime, title: str | None = None,
             revision: int | None = None) -> Moved:
        """Move (and optionally rename) an event in its own transaction; see :meth:`move_in`."""
        with self._session() as s:
            moved = self.move_in(s, event_id, starts_at=starts_at, title=title, revision=revision)
            s.commit()
        return moved

    def move_in(self, s: Session, event_id: int, *, starts_at: datetime, title: str | None = None,
                revision: int | None = None) -> Moved:
        """Move (and optionally rename) an event inside ``s`` (the caller commits); a tentative one
        gets its date and its reminders start. Reminders already sent (settled ``done``) stay
        settled and are never repeated; every other offset follows the new time: one skipped by an
        earlier move is planned again when its new time is ahead, and one whose new time has passed
        is settled as skipped. A notice is owed when members were already reminded (「时间变更」)
        or offsets were skipped (one notice at once to all).

        ``revision``: the event's revision the admin saw (a preview); a different one raises
        EventError ``stale``. Also raises EventError ``not_found`` / ``started`` / ``unchanged``,
        DateError ``past``."""
        starts_at = _aware(starts_at, self.tz)
        self._check_future(starts_at)
        now = self.clock.now()
        ev = self._locked(s, event_id, revision)
        if ev.starts_at <= now and not ev.tentative:
            raise EventError("started", event_id=event_id, title=ev.title)
        new_title = (title or ev.title)[:200]
        if starts_at == ev.starts_at and new_title == ev.title and not ev.tentative:
            raise EventError("unchanged", event_id=event_id, title=ev.title)
        old_start, old_title, was_tentative = ev.starts_at, ev.title, ev.tentative
        time_changed = starts_at != ev.starts_at or was_tentative
        ev.title, ev.revision = new_title, ev.revision + 1
        skipped: list[str] = []
        reminded: set[int] = set()
        if time_changed:
            ev.starts_at, ev.tentative = starts_at, False
            ev.moved_from = None if was_tentative else old_start
            # what was skipped was skipped for the old time: the new time decides afresh
            s.execute(sa.delete(ReminderDelivery).where(
                col(ReminderDelivery.event_id) == event_id, col(ReminderDelivery.chat_id) == MARKER,
                col(ReminderDelivery.status) == "skipped"))
            settled = set(s.exec(select(ReminderDelivery.offset_key).where(
                ReminderDelivery.event_id == event_id, ReminderDelivery.chat_id == MARKER)).all())
            for key, off in self.keys.items():
                if key not in settled and self.due_time(starts_at, off) <= now \
                        and self._insert_marker(s, event_id, key, "skipped", now):
                    skipped.append(key)
            reminded = self._reminded(s, event_id)
            if reminded or skipped:
                ev.notice = notice_key(ev.revision, everyone=bool(skipped))
        s.add(ev)
        s.flush()
        log.info("event %s moved from %s to %s (revision %d, %d already reminded, skipped %s)", event_id,
                 old_start.isoformat(), ev.starts_at.isoformat(), ev.revision, len(reminded), skipped or "-")
        return Moved(event=ev, old_starts_at=None if was_tentative else old_start, old_title=old_title,
                     time_changed=time_changed, reminded=self._still_told(reminded), skipped=skipped)

    @staticmethod
    def _insert_marker(s: Session, event_id: int, key: str, status: str, now: datetime) -> bool:
        """Settle (event, key) inside ``s``; False when it already was (a sweep settled it at this
        very moment) — INSERT … ON CONFLICT DO NOTHING, so the transaction goes on either way."""
        values = {"event_id": event_id, "offset_key": key, "chat_id": MARKER, "status": status, "sent_at": now}
        table = ReminderDelivery.__table__
        dialect = s.get_bind().dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        elif dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:  # pragma: no cover - the bot runs on SQLite and PostgreSQL only
            s.execute(sa.insert(table).values(**values))
            return True
        stmt = insert(table).values(**values).on_conflict_do_nothing(
            index_elements=["event_id", "offset_key", "chat_id"]).returning(table.c.id)
        return s.execute(stmt).first() is not None  # (rowcount is -1 here on psycopg 3)

    def delete_in(self, s: Session, event_id: int, *, revision: int | None = None) -> Event:
        """Soft-delete inside ``s`` (the caller commits): the row stays (so a seeded event is not
        seeded again); no reminder of it is due any more; members already reminded are owed one
        「已取消」 notice. Raises EventError ``not_found`` / ``stale``."""
        ev = self._locked(s, event_id, revision)
        ev.deleted_at = self.clock.now()
        if ev.starts_at > ev.deleted_at and self._reminded(s, event_id):
            ev.notice = CANCEL_KEY
        s.add(ev)
        s.flush()
        log.info("event %s deleted", event_id)
        return ev

    def delete(self, event_id: int, *, revision: int | None = None) -> Event:
        """Soft-delete in its own transaction; see :meth:`delete_in`."""
        with self._session() as s:
            ev = self.delete_in(s, event_id, revision=revision)
            s.commit()
        return ev

    # --- previews waiting for 确认 (stored as PendingAction by the handler) -----------------------
    def preview_add(self, *, title: str, starts_at: datetime, created_by: int) -> dict[str, object]:
        """Check an /event_add that waits for 「确认」 and return its payload (JSON-ready:
        ``{"op": "add", "title", "starts_at": ISO UTC, "created_by"}``) for PendingService.create.
        Raises DateError ``past``, EventError ``duplicate``."""
        at = _aware(starts_at, self.tz)
        self._check_future(at)
        with self._session() as s:
            self._check_unique_in(s, title, at)
        return {"op": "add", "title": title[:200], "starts_at": at.isoformat(), "created_by": created_by}

    def preview_edit(self, event_id: int, *, starts_at: datetime, title: str) -> tuple[Event, dict[str, object]]:
        """Check an /event_edit that waits for 「确认」: -> (the event as it is now, the payload
        ``{"op": "edit", "event_id", "revision", "title", "starts_at": ISO UTC}``). The revision
        makes a preview of an older state stale at 确认. Raises EventError ``not_found`` /
        ``started``, DateError ``past``."""
        ev = self.live(event_id)
        if ev.starts_at <= self.clock.now() and not ev.tentative:
            raise EventError("started", event_id=event_id, title=ev.title)
        at = _aware(starts_at, self.tz)
        self._check_future(at)
        return ev, {"op": "edit", "event_id": ev.id, "revision": ev.revision, "title": title[:200],
                    "starts_at": at.isoformat()}

    def preview_del(self, event_id: int) -> tuple[Event, dict[str, object]]:
        """Check an /event_del (it always waits for 「确认」): -> (the event, the payload
        ``{"op": "del", "event_id", "revision"}``). Raises EventError ``not_found``."""
        ev = self.live(event_id)
        return ev, {"op": "del", "event_id": ev.id, "revision": ev.revision}

    def apply_in(self, s: Session, payload: dict) -> Confirmed:
        """Carry out a previewed add / edit / del inside ``s``: the ``apply`` of
        PendingService.confirm, so the preview is marked done in the same transaction as the
        change (and stays pending when this raises). Raises what :meth:`add_checked_in`,
        :meth:`move_in` and :meth:`delete_in` raise (the time has passed, the event changed since
        the preview — ``stale`` — or is gone); ValueError for a payload of no known ``op``."""
        op = payload.get("op")
        if op == "add":
            event, plans = self.add_checked_in(s, title=str(payload["title"]),
                                               starts_at=datetime.fromisoformat(payload["starts_at"]),
                                               created_by=payload.get("created_by"))
            return Confirmed("add", event, plans=plans)
        if op == "edit":
            moved = self.move_in(s, int(payload["event_id"]), starts_at=datetime.fromisoformat(payload["starts_at"]),
                                 title=str(payload.get("title") or "") or None, revision=int(payload["revision"]))
            return Confirmed("edit", moved.event, plans=self._plan_now_in(s, moved.event), moved=moved)
        if op == "del":
            ev = self.delete_in(s, int(payload["event_id"]), revision=int(payload["revision"]))
            return Confirmed("del", ev)
        raise ValueError(f"unknown event preview op {op!r}")

    # --- reading the plan ------------------------------------------------------------------------
    def plan_now(self, event: Event) -> list[ReminderPlan]:
        """Every offset's time, ``skipped`` when it is past now or was settled (sent or skipped)."""
        with self._session() as s:
            return self._plan_now_in(s, event)

    def _plan_now_in(self, s: Session, event: Event) -> list[ReminderPlan]:
        settled = set(s.exec(select(ReminderDelivery.offset_key).where(
            ReminderDelivery.event_id == event.id, ReminderDelivery.chat_id == MARKER)).all())
        now = self.clock.now()
        return [ReminderPlan(p.offset_key, p.offset, p.due_at, skipped=p.due_at <= now or p.offset_key in settled)
                for p in self.plan(event)]

    def upcoming(self, limit: int = 30) -> list[Event]:
        """Live events not yet started (tentative ones included), soonest first, at most ``limit``."""
        with self._session() as s:
            return list(s.exec(select(Event).where(Event.starts_at > self.clock.now(),
                                                   col(Event.deleted_at).is_(None))
                               .order_by(col(Event.starts_at), col(Event.id)).limit(limit)))

    def seed(self, path: Path = SEED_PATH) -> int:
        """Load the seed file's events idempotently (by ``key``): a missing one in the future is
        added; a present one whose date or title the office edited in the file is updated, unless
        it has started, was deleted or was changed with /event_edit. Returns how many rows changed."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return 0
        except (OSError, ValueError) as exc:
            log.warning("event seed file %s not loaded: %s", path, exc)
            return 0
        now, changed = self.clock.now(), 0
        for entry in data.get("events", []) if isinstance(data, dict) else []:
            try:
                key, title = str(entry["key"]), str(entry["title"])[:200]
                tentative = bool(entry.get("tentative", False))
                starts_at = _aware(datetime.fromisoformat(str(entry["starts_at"])), self.tz)
            except (KeyError, TypeError, ValueError) as exc:
                log.warning("event seed entry %r skipped: %s", entry, exc)
                continue
            with self._session() as s:
                ev = s.exec(select(Event).where(Event.seed_key == key)).first()
                if ev is None:
                    if starts_at <= now:
                        continue
                    s.add(Event(title=title, starts_at=starts_at, note=str(entry.get("note", ""))[:1000],
                                seed_key=key, created_at=now, tentative=tentative))
                elif (ev.deleted_at is None and ev.starts_at > now and ev.revision == 0
                      and (ev.starts_at, ev.title, ev.tentative) != (starts_at, title, tentative)):
                    ev.starts_at, ev.title, ev.tentative = starts_at, title, tentative
                    s.add(ev)
                else:
                    continue
                try:
                    s.commit()
                    changed += 1
                except IntegrityError:  # another process seeded it at the same moment
                    s.rollback()
        if changed:
            log.info("%d seeded event(s) loaded from %s", changed, path.name)
        return changed

    # --- what is due ---------------------------------------------------------------------------
    def _window(self, lo: datetime | None, hi: datetime | None) -> list[tuple[Event, set[str]]]:
        """Live events starting in (lo, hi], each with its offsets already settled. A tentative
        (placeholder-date) event has no reminders."""
        with self._session() as s:
            q = select(Event).where(col(Event.deleted_at).is_(None), col(Event.tentative).is_(False))
            m = (select(ReminderDelivery.event_id, ReminderDelivery.offset_key)
                 .join(Event, col(Event.id) == ReminderDelivery.event_id)
                 .where(ReminderDelivery.chat_id == MARKER))
            if lo is not None:
                q, m = q.where(Event.starts_at > lo), m.where(Event.starts_at > lo)
            if hi is not None:
                q, m = q.where(Event.starts_at <= hi), m.where(Event.starts_at <= hi)
            events = list(s.exec(q.order_by(col(Event.starts_at), col(Event.id))))
            settled: dict[int, set[str]] = {}
            for event_id, key in s.exec(m).all():
                settled.setdefault(event_id, set()).add(key)
        return [(ev, settled.get(ev.id, set())) for ev in events]

    def _unsettled(self, events: list[tuple[Event, set[str]]]) -> Iterable[DueReminder]:
        for ev, done in events:
            for key, off in self.keys.items():
                if key in done:
                    continue
                due = self.due_time(ev.starts_at, off)
                if due > ev.created_at:  # offsets past at creation were never planned
                    yield DueReminder(ev.id, key, due, ev.title, ev.starts_at)

    def due_reminders(self, now: datetime | None = None) -> list[DueReminder]:
        """Reminders whose time has come (including ones missed while the bot was down) for events
        that have not started, not yet settled; oldest first."""
        now = now or self.clock.now()
        out = [d for d in self._unsettled(self._window(now, now + self._reach)) if d.due_at <= now]
        return sorted(out, key=lambda d: (d.due_at, d.event_id))

    def due_reminder(self, event_id: int, offset_key: str, now: datetime | None = None,
                     slack: timedelta = timedelta(seconds=1)) -> DueReminder | None:
        """The one reminder a punctual job fired for, if it is still to be sent."""
        now = now or self.clock.now()
        ev = self.get(event_id)
        if ev is None or ev.starts_at <= now or offset_key not in self.keys:
            return None
        with self._session() as s:
            if s.exec(select(ReminderDelivery.id).where(
                    ReminderDelivery.event_id == event_id, ReminderDelivery.offset_key == offset_key,
                    ReminderDelivery.chat_id == MARKER)).first() is not None:
                return None
        due = self.due_time(ev.starts_at, self.keys[offset_key])
        if due <= ev.created_at or due > now + slack:
            return None
        return DueReminder(ev.id, offset_key, due, ev.title, ev.starts_at)

    def pending_reminders(self, until: datetime | None = None, now: datetime | None = None) -> list[DueReminder]:
        """Reminders to come, due in (now, until] (until None: all): what the scheduler plans."""
        now = now or self.clock.now()
        hi = None if until is None else until + self._reach
        out = [d for d in self._unsettled(self._window(now, hi))
               if d.due_at > now and (until is None or d.due_at <= until)]
        return sorted(out, key=lambda d: (d.due_at, d.event_id))

    def skip_expired(self, now: datetime | None = None, *, full: bool = False) -> list[DueReminder]:
        """Reminders that fell due but whose event has started (the bot was down): settled as
        ``skipped`` and logged, never sent. ``full`` scans all history (start-up); otherwise only
        events that started within ``skip_lookback``."""
        now = now or self.clock.now()
        lo = None if full else now - self.skip_lookback
        out = [d for d in self._unsettled(self._window(lo, now)) if d.due_at <= now]
        by_event: dict[int, list[DueReminder]] = {}
        for d in out:
            if self.settle(d.event_id, d.offset_key, "skipped"):
                by_event.setdefault(d.event_id, []).append(d)
        for n, (event_id, ds) in enumerate(by_event.items()):
            if n == 10:
                log.warning("... and the reminders of %d more events that started while the bot was "
                            "down were skipped", len(by_event) - n)
                break
            log.warning("reminder(s) %s of event %s (%s) skipped: due from %s while the bot was down, "
                        "and the event started at %s", ",".join(d.offset_key for d in ds), event_id,
                        ds[0].title, ds[0].due_at.isoformat(), ds[0].starts_at.isoformat())
        return out

    # --- recipients and claims -----------------------------------------------------------------
    def _chats(self, *, at: datetime | None, units: Iterable[int] | None = None,
               honour_mute: bool = True) -> dict[int, list[int]]:
        """unit id -> chat ids of bound members (bound by ``at``), whose chat is active (and not
        muted). A member with no Chat row counts as active and unmuted."""
        q = (select(Member.unit_id, Member.chat_id)
             .join(Chat, col(Chat.chat_id) == Member.chat_id, isouter=True)
             .where(sa.or_(col(Chat.chat_id).is_(None), col(Chat.active).is_(True))))
        if honour_mute:
            q = q.where(sa.or_(col(Chat.chat_id).is_(None), col(Chat.muted).is_(False)))
        if at is not None:
            q = q.where(Member.bound_at <= at)
        if units is not None:
            q = q.where(col(Member.unit_id).in_(list(units)))
        out: dict[int, list[int]] = {}
        with self._session() as s:
            for unit_id, chat_id in s.exec(q.order_by(col(Member.bound_at), col(Member.user_id))).all():
                out.setdefault(unit_id, []).append(chat_id)
        return out

    def recipients(self, at: datetime | None = None) -> list[int]:
        """Chats an event reminder goes to: bound members (bound by ``at``, the reminder's time, so
        a late joiner does not get a reminder from before they joined), active, not muted."""
        seen: dict[int, None] = {}
        for chats in self._chats(at=at).values():
            seen.update(dict.fromkeys(chats))
        return list(seen)

    def claim(self, event_id: int, offset_key: str, chat_id: int, status: str = "sending") -> bool:
        """Reserve (event, offset, chat) before sending; False when it was already claimed."""
        with self._session() as s:
            s.add(ReminderDelivery(event_id=event_id, offset_key=offset_key, chat_id=chat_id,
                                   status=status, sent_at=self.clock.now()))
            try:
                s.commit()
            except IntegrityError:
                return False
            return True

    def record(self, event_id: int, offset_key: str, chat_id: int, status: str) -> None:
        """After the send: ``sent`` or ``failed`` (blocked, refused, network) — never retried."""
        with self._session() as s:
            s.execute(sa.update(ReminderDelivery)
                      .where(col(ReminderDelivery.event_id) == event_id,
                             col(ReminderDelivery.offset_key) == offset_key,
                             col(ReminderDelivery.chat_id) == chat_id)
                      .values(status=status, sent_at=self.clock.now()))
            s.commit()

    def settle(self, event_id: int, offset_key: str, status: str = "done") -> bool:
        """Mark a whole (event, offset) finished; False if it already was."""
        return self.claim(event_id, offset_key, MARKER, status)

    # --- notices owed after a change ----------------------------------------------------------------
    def notice_work(self, now: datetime | None = None) -> list[NoticeWork]:
        """Notices owed (``Event.notice`` set) and not yet settled, with their recipients: chats
        of bound, active, unmuted members, split into those already reminded of the event and the
        others. A notice whose event has started (or was deleted more than ``skip_lookback`` ago)
        is settled as skipped."""
        now = now or self.clock.now()
        with self._session() as s:
            events = list(s.exec(select(Event).where(col(Event.notice).is_not(None)).order_by(col(Event.id))))
        out: list[NoticeWork] = []
        for ev in events:
            key = ev.notice or ""
            too_late = ev.starts_at <= now or (ev.deleted_at is not None and key != CANCEL_KEY) or (
                ev.deleted_at is not None and now - ev.deleted_at > self.skip_lookback)
            if too_late:
                self.settle_notice(ev.id, key, "skipped")
                log.info("notice %s of event %s skipped: the event started or went away first", key, ev.id)
                continue
            with self._session() as s:
                reminded = self._reminded(s, ev.id)
            chats = self.recipients(at=now)
            if key == CANCEL_KEY:
                kind, changed, others = "cancelled", [c for c in chats if c in reminded], []
            elif key == notice_key(0, everyone=True):  # added so close that offsets had passed
                kind, changed, others = "new", [], chats
            else:
                kind = "moved"
                changed = [c for c in chats if c in reminded]
                others = [c for c in chats if c not in reminded] if key.startswith("n") else []
            out.append(NoticeWork(ev.id, key, kind, ev.title, ev.starts_at, ev.moved_from, changed, others))
        return out

    def settle_notice(self, event_id: int, key: str, status: str = "done") -> None:
        """The notice ``key`` of an event is finished: marker row, and ``Event.notice`` cleared
        (unless a later change already owes another one)."""
        self.claim(event_id, key, MARKER, status)
        with self._session() as s:
            s.execute(sa.update(Event).where(col(Event.id) == event_id, col(Event.notice) == key)
                      .values(notice=None))
            s.commit()

    # --- check-in deadline pushes --------------------------------------------------------------
    def _deadline_settled(self, period: str) -> set[str]:
        with self._session() as s:
            return set(s.exec(select(DeadlinePush.kind).where(DeadlinePush.period == period,
                                                              DeadlinePush.chat_id == MARKER)).all())

    def _periods_around(self, now: datetime) -> tuple[str, str, str]:
        """(previous, current, next) period at ``now``: together they hold every deadline push that
        can fall due now — the previous period's late digest, and with CHECKIN_DEADLINE_DAY ≤ 3 the
        next period's d3/d1, which fall at the end of the current month."""
        local = now.astimezone(self.tz)
        months = 3 if self.period_kind == "quarterly" else 1
        first_month = months * ((local.month - 1) // months) + 1
        start = datetime(local.year, first_month, 1, tzinfo=self.tz)
        later = start + timedelta(days=31 * months + 1)  # inside the next period (≥ 28 days a month)
        return (period_of(start - timedelta(days=1), self.period_kind, self.tz),
                period_of(start, self.period_kind, self.tz), period_of(later, self.period_kind, self.tz))

    def deadline_work(self, now: datetime | None = None) -> list[DeadlineWork]:
        """Deadline pushes due now, for the previous, current and next period. 3 and 1 days before
        the deadline (09:00): members of units that have not reported what is due from them
        (任务分解) that period; missed while down, sent late if still before the deadline, and a d3
        overtaken by d1 is skipped. The day after: a digest to the admins, caught up within
        ``digest_grace``. Work with nobody to tell, and work too late to send, is settled here
        (and logged). Each push is seen at its own 09:00, whatever the deadline day (with day 2,
        d3 of December falls on 29 November)."""
        now = now or self.clock.now()
        out: list[DeadlineWork] = []
        for period in self._periods_around(now):
            deadline = deadline_of(period, self.deadline_day, self.tz).astimezone(UTC)
            pushes = [(k, t.astimezone(UTC)) for k, t in deadline_pushes(period, self.deadline_day, self.tz)]
            settled = self._deadline_settled(period)
            reached = [(k, t) for k, t in pushes if k not in settled and t <= now]
            for kind, at in reached:
                if kind == "digest":
                    if now >= at + self.digest_grace:
                        grace = self.digest_grace.total_seconds() / 86400
                        self._skip_deadline(period, kind, f"the digest is more than {grace:g} days late")
                        continue
                    work = self._digest(period, at, deadline)
                else:
                    later = [k for k, t in pushes if k in ("d3", "d1") and at < t <= now]
                    if now >= deadline:
                        self._skip_deadline(period, kind, "the deadline has passed")
                        continue
                    if later:
                        self._skip_deadline(period, kind, f"overtaken by {later[0]}")
                        continue
                    work = self._missing_push(period, kind, at, deadline)
                if work is None or not work.chat_ids:
                    self.settle_deadline(period, kind, reason="nobody to tell")
                    continue
                out.append(work)
        return out

    def _missing_push(self, period: str, kind: str, at: datetime, deadline: datetime) -> DeadlineWork:
        _, missing = self.duty_status(period)
        with self._session() as s:
            units = {u.id: u for u in s.exec(select(Unit).order_by(Unit.kind, Unit.name)) if u.id in missing}
        chats = self._chats(at=at, units=units, honour_mute=False)  # 催办 is not an event reminder
        return DeadlineWork(period, kind, at, deadline,
                            units=[(u.name, chats[uid]) for uid, u in units.items() if chats.get(uid)])

    def _digest(self, period: str, at: datetime, deadline: datetime) -> DeadlineWork | None:
        due, missing = self.duty_status(period)
        with self._session() as s:
            units = [u for u in s.exec(select(Unit).where(Unit.created_at <= deadline).order_by(Unit.kind, Unit.name))
                     if u.id in due]
            inactive = set(s.exec(select(Chat.chat_id).where(col(Chat.chat_id).in_(self.admin_ids),
                                                             col(Chat.active).is_(False))).all())
        units = [u for u in units if u.deleted_at is None]  # a unit removed by /unit_del is due nothing
        if not units:
            return None  # no unit existed by the deadline: nothing to report on
        return DeadlineWork(period, "digest", at, deadline,
                            admins=[a for a in self.admin_ids if a not in inactive],
                            missing=[u.name for u in units if u.id in missing], total_units=len(units))

    def claim_deadline(self, period: str, kind: str, chat_id: int) -> bool:
        """Reserve the (period, kind) push for ``chat_id`` before sending; False when it was
        already claimed (sent, or in doubt after a crash): never sent twice."""
        with self._session() as s:
            s.add(DeadlinePush(period=period, kind=kind, chat_id=chat_id, sent_at=self.clock.now()))
            try:
                s.commit()
            except IntegrityError:
                return False
            return True

    def settle_deadline(self, period: str, kind: str, *, reason: str = "done") -> bool:
        """Mark the whole (period, kind) push finished (``reason`` other than ``done`` is logged:
        settled without sending); False when it already was."""
        ok = self.claim_deadline(period, kind, MARKER)
        if ok and reason != "done":
            log.info("deadline push %s of %s settled without sending: %s", kind, period, reason)
        return ok

    def _skip_deadline(self, period: str, kind: str, reason: str) -> None:
        if self.claim_deadline(period, kind, MARKER):
            log.info("deadline push %s of %s skipped: %s", kind, period, reason)
