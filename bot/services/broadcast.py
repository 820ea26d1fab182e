"""Broadcasts: drafts and audiences, the per-recipient outbox (ledger) and the paced sender.

The ledger is the source of truth. Confirming a draft writes the broadcast's status and one
``BroadcastDelivery`` row per recipient in one transaction, before any message goes out. Each
row then moves ``pending -> sending -> sent | failed | blocked``; ``sending`` is committed
before the API call and replaced as soon as the API answers, so after a crash (kill -9) the
rows still ``sending`` are exactly the calls that were in flight.

Resume policy (``BroadcastService.resume``): ``sending`` rows go back to ``pending`` and are
sent again. No recipient is lost; the only possible duplicates are those in-flight calls, whose
number the sender keeps at ``ceil(rate x API latency)`` (1 whenever the API answers within
1/rate = 40 ms) and never above ``max_in_flight``. A text split into parts records each part
(``parts_sent``), so a resumed row continues with its next part rather than starting over.

Telegram-free: the sender is handed an async ``send(chat_id, html)`` that raises the outcome
exceptions below; ``handlers/broadcast.py`` maps python-telegram-bot's errors onto them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from bot.clock import Clock
from bot.errors import AppError
from bot.models import Broadcast, BroadcastDelivery, Chat, Member, Unit
from bot.services.roster import RosterService

log = logging.getLogger(__name__)

AUDIENCES = ("all", "members", "township", "member_unit")  # plus "unit:<id>"
TOWNSHIP_KINDS = ("乡镇", "街道")
INTERRUPTED = "interrupted while sending; resent (may be a duplicate)"
TIMEOUT = "timeout, may have been delivered"


class BroadcastRefused(AppError):
    """A button or command that must do nothing. reason: unknown | not_preview | sending | done |
    cancelled | empty | bad_audience."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- what a send can end in (raised by the injected ``send``) -----------------------------------

class DeliveryError(Exception):
    """Base of the outcomes of one send that are not success."""


class RetryLater(DeliveryError):
    """429 flood control: nothing was delivered; pause everything for ``seconds``."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"flood control, retry after {seconds:g}s")
        self.seconds = seconds


class RecipientBlocked(DeliveryError):
    """403: the user blocked the bot (or is gone). Never retried."""


class TransientError(DeliveryError):
    """The request certainly did not reach Telegram (connection refused, reset before sending):
    safe to retry."""


class MaybeDelivered(DeliveryError):
    """No answer in time: the message may have been delivered. Never resent blindly."""


class Rejected(DeliveryError):
    """Telegram refused this message for this chat (400 …): retrying will not help."""


# --- plain results ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Figures:
    total: int = 0
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    pending: int = 0  # pending + sending
    resent: int = 0  # rows resent after an interruption (each maybe a duplicate)

    @property
    def processed(self) -> int:
        return self.sent + self.failed + self.blocked

    @property
    def finished(self) -> bool:
        return self.pending == 0


@dataclass(frozen=True)
class Failure:
    chat_id: int
    name: str
    status: str  # failed | blocked
    error: str


@dataclass(frozen=True)
class Summary:
    broadcast: Broadcast
    figures: Figures


def audience_unit_id(audience: str) -> int | None:
    if audience.startswith("unit:"):
        tail = audience.split(":", 1)[1]
        return int(tail) if tail.isdigit() else None
    return None


class BroadcastService:
    """Drafts, audiences and the delivery ledger. One session per operation."""

    def __init__(self, engine: Engine, clock: Clock, roster: RosterService | None = None) -> None:
        self.engine = engine
        self.clock = clock
        # only mark_blocked is used, which does not depend on the invite lifetime
        self.roster = roster or RosterService(engine, clock, timedelta(days=7))

    def _session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    # --- drafts ----------------------------------------------------------------------------------
    def create_draft(self, *, text: str, created_by: int, admin_chat_id: int) -> Broadcast:
        if not text.strip():
            raise BroadcastRefused("empty_text")
        with self._session() as s:
            b = Broadcast(text=text, created_by=created_by, admin_chat_id=admin_chat_id,
                          created_at=self.clock.now())
            s.add(b)
            s.commit()
            return b

    def attach_preview(self, broadcast_id: int, message_id: int) -> None:
        with self._session() as s:
            s.execute(sa.update(Broadcast).where(col(Broadcast.id) == broadcast_id)
                      .values(preview_message_id=message_id))
            s.commit()

    def get(self, broadcast_id: int) -> Broadcast | None:
        with self._session() as s:
            return s.get(Broadcast, broadcast_id)

    def _draft_for(self, s: Session, broadcast_id: int, chat_id: int, message_id: int | None) -> Broadcast:
        """The draft behind a preview button; refuses anything else (forged or replayed data)."""
        b = s.get(Broadcast, broadcast_id)
        if b is None:
            raise BroadcastRefused("unknown")
        if b.admin_chat_id != chat_id or (message_id is not None and b.preview_message_id != message_id):
            raise BroadcastRefused("not_preview")
        if b.status != "draft":
            raise BroadcastRefused(b.status)
        return b

    def set_audience(self, *, broadcast_id: int, audience: str, chat_id: int,
                     message_id: int | None) -> Broadcast:
        """Narrow (or widen) a draft's audience; the unit of ``unit:<id>`` must exist."""
        if audience not in AUDIENCES:
            uid = audience_unit_id(audience)
            if uid is None:
                raise BroadcastRefused("bad_audience")
        with self._session() as s:
            b = self._draft_for(s, broadcast_id, chat_id, message_id)
            uid = audience_unit_id(audience)
            if uid is not None and s.get(Unit, uid) is None:
                raise BroadcastRefused("bad_audience")
            b.audience = audience
            s.add(b)
            s.commit()
            return b

    def append_text(self, *, broadcast_id: int, chat_id: int, more: str) -> Broadcast:
        """Add ``more`` to a draft's text, as it continues: the rest of a long notice that the
        admin's Telegram app sent as a next message (clients cut text over 4,096 characters, often
        mid-sentence, so nothing is put between the two). Raises BroadcastRefused when the draft
        is no longer a draft of this chat."""
        with self._session() as s:
            b = self._draft_for(s, broadcast_id, chat_id, None)
            b.text = b.text + more
            s.add(b)
            s.commit()
            return b

    def cancel(self, *, broadcast_id: int, chat_id: int, message_id: int | None) -> Broadcast:
        with self._session() as s:
            b = self._draft_for(s, broadcast_id, chat_id, message_id)
            res = s.execute(sa.update(Broadcast)
                            .where(col(Broadcast.id) == b.id, col(Broadcast.status) == "draft")
                            .values(status="cancelled", finished_at=self.clock.now()))
            if res.rowcount != 1:
                s.rollback()
                raise BroadcastRefused("sending")
            s.commit()
            b.status = "cancelled"
            return b

    def cancel_open(self, *, created_by: int, chat_id: int) -> list[Broadcast]:
        """/cancel: every draft this admin left open in this chat becomes cancelled (its 确认 then
        does nothing). Returns them, so their preview messages can say so."""
        now = self.clock.now()
        with self._session() as s:
            drafts = list(s.exec(select(Broadcast).where(Broadcast.created_by == created_by,
                                                         Broadcast.admin_chat_id == chat_id,
                                                         Broadcast.status == "draft")))
            if drafts:
                s.execute(sa.update(Broadcast).where(col(Broadcast.id).in_([b.id for b in drafts]),
                                                     col(Broadcast.status) == "draft")
                          .values(status="cancelled", finished_at=now))
                s.commit()
            for b in drafts:
                b.status = "cancelled"
            return drafts

    # --- audiences -------------------------------------------------------------------------------
    def _recipients(self, s: Session, audience: str) -> list[int]:
        if audience == "all":
            q = select(Chat.chat_id).where(col(Chat.active).is_(True))
        else:
            q = (select(Member.chat_id).join(Unit, col(Unit.id) == col(Member.unit_id))
                 .outerjoin(Chat, col(Chat.chat_id) == col(Member.chat_id))
                 .where(sa.or_(col(Chat.active).is_(None), col(Chat.active).is_(True))))
            if audience == "township":
                q = q.where(col(Unit.kind).in_(TOWNSHIP_KINDS))
            elif audience == "member_unit":
                q = q.where(col(Unit.kind) == "成员单位")
            elif audience != "members":
                uid = audience_unit_id(audience)
                if uid is None:
                    raise BroadcastRefused("bad_audience")
                q = q.where(col(Member.unit_id) == uid)
        return sorted(set(s.exec(q).all()))

    def recipients(self, audience: str) -> list[int]:
        with self._session() as s:
            return self._recipients(s, audience)

    def count(self, audience: str) -> int:
        return len(self.recipients(audience))

    def unit(self, unit_id: int) -> Unit | None:
        with self._session() as s:
            return s.get(Unit, unit_id)

    def units(self) -> list[Unit]:
        with self._session() as s:
            return list(s.exec(select(Unit).where(col(Unit.deleted_at).is_(None))  # not /unit_del'd
                               .order_by(Unit.kind, Unit.name, Unit.id)))

    # --- confirming: the outbox is written before anything is sent --------------------------------
    def confirm(self, *, broadcast_id: int, user_id: int, chat_id: int, message_id: int | None) -> Broadcast:
        """draft -> sending, with one pending delivery per recipient, in one transaction.

        The conditional UPDATE comes first so that of two simultaneous presses exactly one wins
        (and on SQLite the write lock is taken before anything is read)."""
        now = self.clock.now()
        with self._session() as s:
            cond = [col(Broadcast.id) == broadcast_id, col(Broadcast.status) == "draft",
                    col(Broadcast.admin_chat_id) == chat_id]
            if message_id is not None:
                cond.append(col(Broadcast.preview_message_id) == message_id)
            res = s.execute(sa.update(Broadcast).where(*cond)
                            .values(status="sending", confirmed_at=now))
            if res.rowcount != 1:
                s.rollback()
                self._draft_for(s, broadcast_id, chat_id, message_id)  # raises the precise reason
                raise BroadcastRefused("sending")
            b = s.get(Broadcast, broadcast_id)
            assert b is not None
            chats = self._recipients(s, b.audience)
            if not chats:
                s.rollback()
                raise BroadcastRefused("empty")
            s.execute(sa.insert(BroadcastDelivery),
                      [{"broadcast_id": broadcast_id, "chat_id": c, "status": "pending", "attempts": 0,
                        "parts_sent": 0} for c in chats])
            b.total = len(chats)
            s.add(b)
            s.commit()
            log.info("broadcast %s confirmed by %s: %d recipients (%s)", b.id, user_id, b.total, b.audience)
            return b

    # --- the ledger ------------------------------------------------------------------------------
    def active(self) -> list[Broadcast]:
        with self._session() as s:
            return list(s.exec(select(Broadcast).where(Broadcast.status == "sending").order_by(Broadcast.id)))

    def pending(self, limit: int = 100, *, skip: set[int] | frozenset[int] = frozenset()) -> list[BroadcastDelivery]:
        """Rows waiting to be sent, oldest broadcast first."""
        with self._session() as s:
            q = (select(BroadcastDelivery).join(Broadcast, col(Broadcast.id) == col(BroadcastDelivery.broadcast_id))
                 .where(col(Broadcast.status) == "sending", col(BroadcastDelivery.status) == "pending")
                 .order_by(col(BroadcastDelivery.broadcast_id), col(BroadcastDelivery.id))
                 .limit(limit + len(skip)))
            return [r for r in s.exec(q) if r.id not in skip][:limit]

    def _set(self, delivery_id: int, *, when: list | None = None, **values: object) -> bool:
        with self._session() as s:
            res = s.execute(sa.update(BroadcastDelivery)
                            .where(col(BroadcastDelivery.id) == delivery_id, *(when or []))
                            .values(**values))
            s.commit()
            return res.rowcount == 1

    def mark_sending(self, delivery_id: int) -> bool:
        """pending -> sending (committed before the API call); False if the row is not pending."""
        return self._set(delivery_id, when=[col(BroadcastDelivery.status) == "pending"],
                         status="sending", attempts=BroadcastDelivery.attempts + 1)

    def mark_part_sent(self, delivery_id: int, parts_sent: int, *, last: bool) -> None:
        """The API accepted part ``parts_sent`` (1-based); the row is sent after its last part."""
        if last:
            self._set(delivery_id, status="sent", parts_sent=parts_sent, sent_at=self.clock.now())
        else:
            self._set(delivery_id, status="pending", parts_sent=parts_sent)

    def requeue(self, delivery_id: int, error: str) -> None:
        """Certainly not delivered (429, connection refused): back to pending for a retry."""
        self._set(delivery_id, status="pending", last_error=error[:300])

    def mark_failed(self, delivery_id: int, error: str) -> None:
        self._set(delivery_id, status="failed", last_error=error[:300])

    def mark_blocked(self, delivery_id: int, chat_id: int, error: str) -> None:
        self._set(delivery_id, status="blocked", last_error=error[:300])
        self.roster.mark_blocked(chat_id)

    def figures(self, broadcast_id: int) -> Figures:
        with self._session() as s:
            return self._figures(s, broadcast_id)

    def _figures(self, s: Session, broadcast_id: int) -> Figures:
        rows = s.exec(select(BroadcastDelivery.status, func.count())
                      .where(BroadcastDelivery.broadcast_id == broadcast_id)
                      .group_by(BroadcastDelivery.status)).all()
        by = dict(rows)
        resent = s.exec(select(func.count()).where(BroadcastDelivery.broadcast_id == broadcast_id,
                                                   BroadcastDelivery.last_error == INTERRUPTED)).one()
        return Figures(total=sum(by.values()), sent=by.get("sent", 0), failed=by.get("failed", 0),
                       blocked=by.get("blocked", 0), pending=by.get("pending", 0) + by.get("sending", 0),
                       resent=resent)

    def finish(self, broadcast_id: int) -> bool:
        """sending -> done once no row is pending or sending; True only for the caller that did it."""
        with self._session() as s:
            busy = (select(BroadcastDelivery.id)
                    .where(col(BroadcastDelivery.broadcast_id) == broadcast_id,
                           col(BroadcastDelivery.status).in_(("pending", "sending"))).exists())
            res = s.execute(sa.update(Broadcast)
                            .where(col(Broadcast.id) == broadcast_id, col(Broadcast.status) == "sending", ~busy)
                            .values(status="done", finished_at=self.clock.now()))
            s.commit()
            return res.rowcount == 1

    def resume(self, skip: set[int] | frozenset[int] = frozenset()) -> int:
        """When this process becomes the sender: rows left ``sending`` by a crashed sender were in
        flight (maybe delivered). They go back to pending and are sent again — none lost, at most
        those few duplicated. ``skip``: rows this process itself has in flight. Returns how many."""
        with self._session() as s:
            active = select(Broadcast.id).where(col(Broadcast.status) == "sending")
            res = s.execute(sa.update(BroadcastDelivery)
                            .where(col(BroadcastDelivery.status) == "sending",
                                   col(BroadcastDelivery.broadcast_id).in_(active),
                                   col(BroadcastDelivery.id).not_in(list(skip) or [-1]))
                            .values(status="pending", last_error=INTERRUPTED))
            s.commit()
            n = res.rowcount or 0
        if n:
            log.warning("resuming broadcasts: %d message(s) were in flight at the crash and will be resent", n)
        return n

    def failures(self, broadcast_id: int) -> list[Failure]:
        with self._session() as s:
            q = (select(BroadcastDelivery, Chat.name)
                 .outerjoin(Chat, col(Chat.chat_id) == col(BroadcastDelivery.chat_id))
                 .where(col(BroadcastDelivery.broadcast_id) == broadcast_id,
                        col(BroadcastDelivery.status).in_(("failed", "blocked")))
                 .order_by(col(BroadcastDelivery.status), col(BroadcastDelivery.id)))
            return [Failure(chat_id=d.chat_id, name=name or "", status=d.status, error=d.last_error or "")
                    for d, name in s.exec(q).all()]

    def recent(self, limit: int = 10) -> list[Summary]:
        with self._session() as s:
            rows = list(s.exec(select(Broadcast).where(col(Broadcast.status) != "draft")
                               .order_by(col(Broadcast.id).desc()).limit(limit)))
            return [Summary(b, self._figures(s, b.id)) for b in rows]  # type: ignore[arg-type]


# --- the sender -----------------------------------------------------------------------------------

class Pacer:
    """Starts at most one send every 1/rate s, without bursts after idling, and holds every send
    while a 429's retry_after runs."""

    def __init__(self, rate: float, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / rate
        self._mono = monotonic
        self._next = 0.0
        self._pause_until = 0.0
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        self._pause_until = max(self._pause_until, self._mono() + seconds)

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = self._mono()
                start = max(self._next, self._pause_until)
                if start <= now:
                    break
                await asyncio.sleep(start - now)
            # keep the schedule (sleep overshoot does not lower the rate) unless we were idle
            self._next = self._next + self.interval if now - self._next < self.interval / 2 else now + self.interval


Send = Callable[[int, str], Awaitable[None]]
Render = Callable[[str], list[str]]
Notify = Callable[[Broadcast, Figures], Awaitable[None]]


class BroadcastSender:
    """Delivers pending ledger rows at ``rate`` messages/s overall, several sends in flight (at
    most ``max_in_flight``), ≥ ``chat_gap`` s between two sends to one chat."""

    def __init__(self, service: BroadcastService, send: Send, render: Render, *, rate: float = 25.0,
                 max_in_flight: int = 5, max_attempts: int = 4, backoff: float = 1.0,
                 max_flood_waits: int = 20, chat_gap: float = 1.05, progress_every: float = 2.0,
                 on_progress: Notify | None = None, on_done: Notify | None = None,
                 may_send: Callable[[], bool] = lambda: True, pacer: Pacer | None = None) -> None:
        self.service = service
        # several processes may share the database: only the lease holder sends (bot.services.lease)
        self.may_send = may_send
        self._leading = False
        self._send = send
        self._render = render
        self.pacer = pacer or Pacer(rate)  # shared with the other bulk sends of the process
        self.max_in_flight = max_in_flight
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_flood_waits = max_flood_waits
        self.chat_gap = chat_gap
        self.progress_every = progress_every
        self.on_progress = on_progress
        self.on_done = on_done
        self._inflight = asyncio.Semaphore(max_in_flight)
        self._slots = asyncio.Semaphore(max(4 * max_in_flight, 16))  # live row tasks
        self._wake = asyncio.Event()
        self._stopping = False
        self._working: set[int] = set()
        self._tasks: set[asyncio.Task] = set()
        self._chat_next: dict[int, float] = {}
        self._parts: dict[int, list[str]] = {}
        self._last_progress: dict[int, float] = {}
        self.in_flight_peak = 0
        self._in_flight_now = 0

    # --- control ---------------------------------------------------------------------------------
    def kick(self, *, hold_chat: int | None = None) -> None:
        """New work (a confirmed broadcast). ``hold_chat``: a chat just written to (the admin's)."""
        if hold_chat is not None:
            self.hold(hold_chat)
        self._wake.set()

    def hold(self, chat_id: int, seconds: float | None = None) -> None:
        until = time.monotonic() + (self.chat_gap if seconds is None else seconds)
        self._chat_next[chat_id] = max(self._chat_next.get(chat_id, 0.0), until)

    async def stop(self, timeout: float = 6.0) -> None:
        """No new sends; let the calls in flight finish (so no row stays 'sending'), then return."""
        self._stopping = True
        self._wake.set()
        if self._tasks:
            _done, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
            for t in pending:
                t.cancel()

    async def run(self, should_stop: Callable[[], bool] = lambda: False) -> None:
        """Dispatch pending rows until stopped; report progress and completion."""
        progress = asyncio.create_task(self._progress_loop(should_stop))
        try:
            while not (self._stopping or should_stop()):
                if not self.may_send():
                    self._leading = False
                    await asyncio.sleep(1.0)
                    continue
                try:
                    if not self._leading:  # just became the sender: take over a crashed one's rows
                        self.service.resume(skip=self._working)
                        self._leading = True
                    rows = self.service.pending(limit=100, skip=self._working)
                except Exception:  # the database away for a moment: try again shortly
                    log.exception("broadcast sender could not read the outbox")
                    await asyncio.sleep(2)
                    continue
                for row in rows:
                    await self._slots.acquire()
                    if self._stopping or should_stop():
                        self._slots.release()
                        break
                    self._working.add(row.id)  # type: ignore[arg-type]
                    task = asyncio.create_task(self._deliver(row))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
                if not rows:
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), timeout=2.0)
        finally:
            progress.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await progress

    async def drain(self, timeout: float = 60.0) -> None:
        """Run until no broadcast is left sending (tests and the benchmark)."""
        runner = asyncio.create_task(self.run())
        deadline = time.monotonic() + timeout
        try:
            while self.service.active() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        finally:
            await self.stop()
            runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await runner

    # --- one recipient -------------------------------------------------------------------------
    def parts(self, broadcast_id: int) -> list[str]:
        if broadcast_id not in self._parts:
            b = self.service.get(broadcast_id)
            self._parts[broadcast_id] = self._render(b.text) if b else []
        return self._parts[broadcast_id]

    async def _chat_gate(self, chat_id: int) -> None:
        wait = self._chat_next.get(chat_id, 0.0) - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)

    async def _deliver(self, row: BroadcastDelivery) -> None:
        did, chat_id = row.id, row.chat_id
        assert did is not None
        stage = "before"  # before | calling | recording: where an unexpected error struck
        try:
            parts = self.parts(row.broadcast_id)
            if not parts:
                self.service.mark_failed(did, "empty message")
                return
            part, network_errors, flood_waits = row.parts_sent, 0, 0
            while part < len(parts):
                stage = "before"
                await self._chat_gate(chat_id)
                retry_in = 0.0
                async with self._inflight:
                    await self.pacer.acquire()
                    if self._stopping or not self.service.mark_sending(did):
                        return  # stopping (the row stays pending) or taken elsewhere
                    self._in_flight_now += 1
                    self.in_flight_peak = max(self.in_flight_peak, self._in_flight_now)
                    try:
                        stage = "calling"
                        await self._send(chat_id, parts[part])
                        stage = "recording"
                    except RetryLater as exc:
                        self.pacer.pause(exc.seconds)
                        flood_waits += 1
                        if flood_waits > self.max_flood_waits:
                            self.service.mark_failed(did, f"flood control {flood_waits} times")
                            return
                        self.service.requeue(did, str(exc))
                        log.warning("429 for chat %s: every send paused %.1fs", chat_id, exc.seconds)
                        continue
                    except RecipientBlocked as exc:
                        self.service.mark_blocked(did, chat_id, f"blocked: {exc}")
                        return
                    except MaybeDelivered:
                        self.service.mark_failed(did, TIMEOUT)
                        return
                    except Rejected as exc:
                        self.service.mark_failed(did, f"refused: {exc}")
                        return
                    except TransientError as exc:
                        network_errors += 1
                        if network_errors >= self.max_attempts:
                            self.service.mark_failed(did, f"network error after {network_errors} attempts: {exc}")
                            return
                        self.service.requeue(did, f"network error: {exc}")
                        retry_in = self.backoff * 2 ** (network_errors - 1)
                    finally:
                        self._in_flight_now -= 1
                        self._chat_next[chat_id] = time.monotonic() + self.chat_gap
                if retry_in:
                    await asyncio.sleep(retry_in)
                    continue
                part += 1
                self.service.mark_part_sent(did, part, last=part == len(parts))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug or the database away: never lose the row, never resend blindly
            log.exception("broadcast delivery %s to %s failed unexpectedly (%s)", did, chat_id, stage)
            with contextlib.suppress(Exception):
                if stage == "calling":  # the API may have taken it
                    self.service.mark_failed(did, f"internal error, may have been delivered: {type(exc).__name__}")
                elif stage == "recording":  # delivered; record it (or 'sending' stays: resent on restart)
                    await asyncio.sleep(1)
                    self.service.mark_part_sent(did, part, last=part == len(parts))
                else:  # not sent: leave it pending for the next round, a little later
                    await asyncio.sleep(1)
        finally:
            self._working.discard(did)
            self._slots.release()
            self._wake.set()

    # --- progress and completion -----------------------------------------------------------------
    async def _progress_loop(self, should_stop: Callable[[], bool]) -> None:
        while not (self._stopping or should_stop()):
            try:
                if self.may_send():
                    await self.report_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("broadcast progress report failed")
            await asyncio.sleep(0.25)

    async def report_once(self) -> None:
        now = time.monotonic()
        for b in self.service.active():
            assert b.id is not None
            fig = self.service.figures(b.id)
            if fig.finished and self.service.finish(b.id):
                self._parts.pop(b.id, None)
                self._last_progress.pop(b.id, None)
                log.info("broadcast %s done: %s", b.id, fig)
                if self.on_done:
                    await self.on_done(b, fig)
            elif b.id not in self._last_progress:
                self._last_progress[b.id] = now  # the confirm already showed 0/N: first tick later
            elif now - self._last_progress[b.id] >= self.progress_every:
                self._last_progress[b.id] = now
                if self.on_progress:
                    await self.on_progress(b, fig)

