"""Events, their reminders and the check-in deadline pushes.

The database decides what is due and what was sent; the scheduler (handlers/events.py) only asks
"what is due now?" and delivers. Delivery is claim-then-send: a ReminderDelivery / DeadlinePush
row for (what, chat) is committed *before* the message goes out, under a unique key, so no chat
ever gets the same reminder twice, whatever restarts happen. The price is at-most-once: a crash
between the claim and the send loses that one message (its row stays at status ``sending``).

Marker rows with ``chat_id = 0`` (no Telegram chat has id 0) settle a whole (event, offset) or
(period, kind): ``done`` once every recipient was handled, ``skipped`` when it will never be sent
(the event had started, or a deadline passed, while the bot was down). Settled work is never
reconsidered, so a restart does not rescan recipients of reminders sent long ago.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot import texts
from bot.clock import Clock
from bot.config import format_offset
from bot.errors import BadInput, NotFound
from bot.models import Chat, CheckIn, DeadlinePush, Event, Member, ReminderDelivery, Unit
from bot.periods import deadline_of, deadline_pushes, period_of

log = logging.getLogger(__name__)

MARKER = 0  # chat_id of the row that settles a whole (event, offset) or (period, kind)
MAX_TITLE = 100
MAX_AHEAD = timedelta(days=2 * 366)
SEED_PATH = Path(__file__).resolve().parent.parent / "data" / "events_seed.json"

_SEP = r"\s*[-/.－／．年]\s*"
_EVENT_ARGS = re.compile(
    r"^\s*(?P<y>\d{4})" + _SEP + r"(?P<m>\d{1,2})\s*[-/.－／．月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*[Tt]|\s+|(?<=日))\s*(?P<H>\d{1,2})\s*(?:[:：]\s*(?P<M>\d{1,2})|[点點时時]\s*(?:(?P<M2>\d{1,2})\s*分?|(?P<half>半))?)"
    r"(?:\s+(?P<title>.*))?\s*$",
    re.DOTALL,
)
_DATE_ONLY = re.compile(r"^\s*\d{4}" + _SEP + r"\d{1,2}\s*[-/.－／．月]\s*\d{1,2}\s*日?(?:\s|$)")


@dataclass(frozen=True)
class ReminderPlan:
    """When one offset of an event goes out; ``skipped`` when it was already past at creation."""

    offset_key: str
    offset: timedelta
    due_at: datetime
    skipped: bool


@dataclass(frozen=True)
class DueReminder:
    event_id: int
    offset_key: str
    due_at: datetime
    title: str
    starts_at: datetime

    @property
    def job_name(self) -> str:
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
        if self.kind == "digest":
            return list(self.admins)
        return [c for _, chats in self.units for c in chats]


def _aware(moment: datetime, tz: ZoneInfo) -> datetime:
    """A naive time means BOT_TIMEZONE; everything is compared in UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(UTC)


class EventService:
    def __init__(self, engine: Engine, clock: Clock, *, tz: ZoneInfo, offsets: Sequence[timedelta],
                 deadline_day: int = 25, period_kind: str = "monthly",
                 admin_ids: Iterable[int] = (), digest_grace: timedelta = timedelta(days=3),
                 skip_lookback: timedelta = timedelta(days=2)) -> None:
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

    @classmethod
    def from_settings(cls, engine: Engine, clock: Clock, settings) -> EventService:  # noqa: ANN001
        return cls(engine, clock, tz=settings.tz, offsets=settings.offsets,
                   deadline_day=settings.checkin_deadline_day, period_kind=settings.checkin_period,
                   admin_ids=settings.admin_ids)

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

    # --- parsing and editing events -------------------------------------------------------------
    def parse(self, text: str) -> tuple[datetime, str]:
        """``2026-12-20 09:30 标题`` (also ``2026/12/20``, ``09：30``, ``2026年12月20日 9点30分``)
        -> (aware UTC start, title). BadInput carries the Chinese explanation."""
        text = (text or "").strip()
        if not text:
            raise BadInput(texts.EVENT_ADD_USAGE)
        m = _EVENT_ARGS.match(text)
        if m is None:
            if _DATE_ONLY.match(text):
                raise BadInput(texts.EVENT_NEED_TIME)
            raise BadInput(texts.EVENT_ADD_USAGE)
        y, mo, d, hh = int(m["y"]), int(m["m"]), int(m["d"]), int(m["H"])
        mm = int(m["M"] or m["M2"] or 0) + (30 if m["half"] else 0)
        title = " ".join((m["title"] or "").split())
        try:
            day = datetime(y, mo, d)
        except ValueError:
            raise BadInput(texts.event_no_such_date(f"{y}-{mo:02d}-{d:02d}")) from None
        if not (0 <= hh <= 23 and 0 <= mm <= 59):
            raise BadInput(texts.event_no_such_time(f"{hh:02d}:{mm:02d}"))
        local = day.replace(hour=hh, minute=mm, tzinfo=self.tz)
        starts_at = local.astimezone(UTC)
        if starts_at.astimezone(self.tz).replace(tzinfo=None) != local.replace(tzinfo=None):
            raise BadInput(texts.event_no_such_time(f"{hh:02d}:{mm:02d}"))  # a DST gap
        if not title:
            raise BadInput(texts.EVENT_NEED_TITLE)
        if len(title) > MAX_TITLE:
            raise BadInput(texts.event_long_title(len(title), MAX_TITLE))
        now = self.clock.now()
        if starts_at <= now:
            raise BadInput(texts.event_in_past(starts_at, now, self.tz))
        if starts_at - now > MAX_AHEAD:
            raise BadInput(texts.EVENT_TOO_FAR)
        return starts_at, title

    def add_text(self, text: str, *, created_by: int | None = None) -> tuple[Event, list[ReminderPlan]]:
        starts_at, title = self.parse(text)
        with self._session() as s:  # the same event typed twice (or already seeded) is not added again
            same = s.exec(select(Event).where(Event.title == title[:200], Event.starts_at == starts_at,
                                              col(Event.deleted_at).is_(None))).first()
        if same is not None:
            raise BadInput(texts.event_duplicate(same.id, same.title))
        event = self.add(title=title, starts_at=starts_at, created_by=created_by)
        return event, self.plan(event)

    def add(self, *, title: str, starts_at: datetime, created_by: int | None = None, note: str = "",
            seed_key: str | None = None, created_at: datetime | None = None) -> Event:
        event = Event(title=title[:200], starts_at=_aware(starts_at, self.tz), note=note[:1000],
                      created_by=created_by, seed_key=seed_key,
                      created_at=created_at or self.clock.now())
        with self._session() as s:
            s.add(event)
            s.commit()
        log.info("event %s added for %s: %s", event.id, event.starts_at.isoformat(), title)
        return event

    def get(self, event_id: int) -> Event | None:
        with self._session() as s:
            ev = s.get(Event, event_id)
            return ev if ev is not None and ev.deleted_at is None else None

    def delete(self, event_id: int) -> Event:
        """Soft-delete: the row stays (so a seeded event is not seeded again); no reminder of it
        is due any more. Raises NotFound."""
        with self._session() as s:
            ev = s.get(Event, event_id)
            if ev is None or ev.deleted_at is not None:
                raise NotFound(texts.event_what(event_id))
            ev.deleted_at = self.clock.now()
            s.add(ev)
            s.commit()
        log.info("event %s deleted", event_id)
        return ev

    def upcoming(self, limit: int = 30) -> list[Event]:
        with self._session() as s:
            return list(s.exec(select(Event).where(Event.starts_at > self.clock.now(),
                                                   col(Event.deleted_at).is_(None))
                               .order_by(col(Event.starts_at), col(Event.id)).limit(limit)))

    def seed(self, path: Path = SEED_PATH) -> int:
        """Load the seed file's events idempotently (by ``key``): a missing one in the future is
        added; a present one whose date or title the office edited in the file is updated, unless
        it has started or was deleted. Returns how many rows changed."""
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
                elif (ev.deleted_at is None and ev.starts_at > now
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

    def deliveries(self, event_id: int) -> list[ReminderDelivery]:
        with self._session() as s:
            return list(s.exec(select(ReminderDelivery).where(ReminderDelivery.event_id == event_id)
                               .order_by(col(ReminderDelivery.id))))

    # --- check-in deadline pushes --------------------------------------------------------------
    def _deadline_settled(self, period: str) -> set[str]:
        with self._session() as s:
            return set(s.exec(select(DeadlinePush.kind).where(DeadlinePush.period == period,
                                                              DeadlinePush.chat_id == MARKER)).all())

    def _reported_units(self, period: str) -> set[int]:
        with self._session() as s:
            return set(s.exec(select(CheckIn.unit_id).where(CheckIn.period == period,
                                                            col(CheckIn.superseded).is_(False))
                              .distinct()).all())

    def deadline_work(self, now: datetime | None = None) -> list[DeadlineWork]:
        """Deadline pushes due now for the current and the previous period. 3 and 1 days before
        the deadline (09:00): members of units without any report this period; missed while down,
        sent late if still before the deadline, and a d3 overtaken by d1 is skipped. The day after:
        a digest to the admins, caught up within ``digest_grace``. Work with nobody to tell, and
        work too late to send, is settled here (and logged)."""
        now = now or self.clock.now()
        local = now.astimezone(self.tz)
        first_month = 3 * ((local.month - 1) // 3) + 1 if self.period_kind == "quarterly" else local.month
        period_start = datetime(local.year, first_month, 1, tzinfo=self.tz)
        current = period_of(now, self.period_kind, self.tz)
        previous = period_of(period_start - timedelta(days=1), self.period_kind, self.tz)
        out: list[DeadlineWork] = []
        for period in (previous, current):
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
        reported = self._reported_units(period)
        with self._session() as s:
            units = {u.id: u for u in s.exec(select(Unit).order_by(Unit.kind, Unit.name)) if u.id not in reported}
        chats = self._chats(at=at, units=units, honour_mute=False)  # 催办 is not an event reminder
        return DeadlineWork(period, kind, at, deadline,
                            units=[(u.name, chats[uid]) for uid, u in units.items() if chats.get(uid)])

    def _digest(self, period: str, at: datetime, deadline: datetime) -> DeadlineWork | None:
        reported = self._reported_units(period)
        with self._session() as s:
            units = list(s.exec(select(Unit).where(Unit.created_at <= deadline).order_by(Unit.kind, Unit.name)))
            inactive = set(s.exec(select(Chat.chat_id).where(col(Chat.chat_id).in_(self.admin_ids),
                                                             col(Chat.active).is_(False))).all())
        units = [u for u in units if u.deleted_at is None or u.id in reported]  # /unit_del'd: not missing
        if not units:
            return None  # no unit existed by the deadline: nothing to report on
        return DeadlineWork(period, "digest", at, deadline,
                            admins=[a for a in self.admin_ids if a not in inactive],
                            missing=[u.name for u in units if u.id not in reported], total_units=len(units))

    def claim_deadline(self, period: str, kind: str, chat_id: int) -> bool:
        with self._session() as s:
            s.add(DeadlinePush(period=period, kind=kind, chat_id=chat_id, sent_at=self.clock.now()))
            try:
                s.commit()
            except IntegrityError:
                return False
            return True

    def settle_deadline(self, period: str, kind: str, *, reason: str = "done") -> bool:
        ok = self.claim_deadline(period, kind, MARKER)
        if ok and reason != "done":
            log.info("deadline push %s of %s settled without sending: %s", kind, period, reason)
        return ok

    def _skip_deadline(self, period: str, kind: str, reason: str) -> None:
        if self.claim_deadline(period, kind, MARKER):
            log.info("deadline push %s of %s skipped: %s", kind, period, reason)
