"""Broadcast service and sender on a real database (SQLite and PostgreSQL): audiences, the outbox
written on confirm, state transitions, resume after a crash, pacing and error outcomes."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot import texts
from bot.clock import FakeClock
from bot.models import BroadcastDelivery, Chat, Member, Unit
from bot.services.broadcast import (
    INTERRUPTED,
    TIMEOUT,
    BroadcastRefused,
    BroadcastSender,
    BroadcastService,
    MaybeDelivered,
    Pacer,
    RecipientBlocked,
    Rejected,
    RetryLater,
    TransientError,
)
from bot.services.roster import RosterService

ADMIN_CHAT = 42


@pytest.fixture
def clock():
    return FakeClock(datetime(2026, 11, 10, 2, 0, tzinfo=UTC))


@pytest.fixture
def svc(engine, clock):
    return BroadcastService(engine, clock, RosterService(engine, clock, timedelta(days=7)))


@pytest.fixture
def world(engine, svc):
    """3 units (乡镇, 街道, 成员单位), 4 members, 7 chats of which one blocked the bot."""
    with Session(engine, expire_on_commit=False) as s:
        town, street, bureau = Unit(name="龙城镇", kind="乡镇"), Unit(name="名山街道", kind="街道"), \
            Unit(name="县退役军人事务局", kind="成员单位")
        s.add_all([town, street, bureau])
        s.flush()
        for cid in (1, 2, 3, 4, 5, 6):
            s.add(Chat(chat_id=cid, user_id=cid, name=f"用户{cid}"))
        s.add(Chat(chat_id=7, user_id=7, name="已屏蔽", active=False))
        s.add_all([Member(user_id=1, chat_id=1, unit_id=town.id), Member(user_id=2, chat_id=2, unit_id=street.id),
                   Member(user_id=3, chat_id=3, unit_id=bureau.id), Member(user_id=7, chat_id=7, unit_id=town.id),
                   Member(user_id=8, chat_id=8, unit_id=bureau.id)])  # 8 bound but no Chat row
        s.commit()
        return {"town": town.id, "street": street.id, "bureau": bureau.id}


def rows(engine, bid):
    with Session(engine) as s:
        return {r.chat_id: r for r in s.exec(select(BroadcastDelivery).where(BroadcastDelivery.broadcast_id == bid))}


def draft(svc, text="通知", audience=None, message_id=100):
    b = svc.create_draft(text=text, created_by=ADMIN_CHAT, admin_chat_id=ADMIN_CHAT)
    svc.attach_preview(b.id, message_id)
    if audience:
        svc.set_audience(broadcast_id=b.id, audience=audience, chat_id=ADMIN_CHAT, message_id=message_id)
    return svc.get(b.id)


# --- audiences and drafts -------------------------------------------------------------------------

def test_audiences(svc, world):
    assert svc.recipients("all") == [1, 2, 3, 4, 5, 6]  # the blocked chat 7 is left out
    assert svc.recipients("members") == [1, 2, 3, 8]
    assert svc.recipients("township") == [1, 2]  # 乡镇 + 街道
    assert svc.recipients("member_unit") == [3, 8]
    assert svc.recipients(f"unit:{world['town']}") == [1]
    with pytest.raises(BroadcastRefused):
        svc.recipients("unit:abc")


def test_audience_changes_only_on_the_draft_preview(svc, world):
    b = draft(svc)
    assert b.audience == "all" and b.status == "draft"
    b = svc.set_audience(broadcast_id=b.id, audience=f"unit:{world['street']}", chat_id=ADMIN_CHAT, message_id=100)
    assert svc.count(b.audience) == 1
    for bad in ("everyone", "unit:99999"):
        with pytest.raises(BroadcastRefused, match="bad_audience"):
            svc.set_audience(broadcast_id=b.id, audience=bad, chat_id=ADMIN_CHAT, message_id=100)
    with pytest.raises(BroadcastRefused, match="not_preview"):
        svc.set_audience(broadcast_id=b.id, audience="all", chat_id=ADMIN_CHAT, message_id=101)
    with pytest.raises(BroadcastRefused, match="unknown"):
        svc.set_audience(broadcast_id=b.id + 50, audience="all", chat_id=ADMIN_CHAT, message_id=100)
    with pytest.raises(BroadcastRefused):
        svc.create_draft(text="  \n ", created_by=ADMIN_CHAT, admin_chat_id=ADMIN_CHAT)


# --- the outbox -------------------------------------------------------------------------------------

def test_confirm_writes_one_pending_row_per_recipient_once(svc, engine, world):
    b = draft(svc, "第一行\n第二行 <b>不是标签</b>", audience="township")
    assert rows(engine, b.id) == {}  # nothing before confirming
    b = svc.confirm(broadcast_id=b.id, user_id=ADMIN_CHAT, chat_id=ADMIN_CHAT, message_id=100)
    assert b.status == "sending" and b.total == 2 and b.confirmed_at is not None
    ledger = rows(engine, b.id)
    assert sorted(ledger) == [1, 2] and {r.status for r in ledger.values()} == {"pending"}
    assert svc.get(b.id).text == "第一行\n第二行 <b>不是标签</b>"  # kept as typed; escaped when rendered
    # replayed, forged, or from another message: refused, no second outbox
    for kw, reason in (({"message_id": 100}, "sending"), ({"message_id": 7}, "not_preview"),
                       ({"message_id": 100, "chat_id": 5}, "not_preview")):
        args = {"broadcast_id": b.id, "user_id": ADMIN_CHAT, "chat_id": ADMIN_CHAT, **kw}
        with pytest.raises(BroadcastRefused, match=reason):
            svc.confirm(**args)
    with pytest.raises(BroadcastRefused, match="unknown"):
        svc.confirm(broadcast_id=9999, user_id=ADMIN_CHAT, chat_id=ADMIN_CHAT, message_id=100)
    assert len(rows(engine, b.id)) == 2
    with pytest.raises(BroadcastRefused, match="sending"):
        svc.cancel(broadcast_id=b.id, chat_id=ADMIN_CHAT, message_id=100)


def test_cancel_and_empty_audience(svc, engine, world):
    b = draft(svc)
    svc.cancel(broadcast_id=b.id, chat_id=ADMIN_CHAT, message_id=100)
    with pytest.raises(BroadcastRefused, match="cancelled"):
        svc.confirm(broadcast_id=b.id, user_id=ADMIN_CHAT, chat_id=ADMIN_CHAT, message_id=100)
    assert rows(engine, b.id) == {}
    with Session(engine) as s:
        s.add(Unit(name="空单位", kind="成员单位"))
        s.commit()
        empty = s.exec(select(Unit).where(Unit.name == "空单位")).one().id
    b2 = draft(svc, audience=f"unit:{empty}", message_id=200)
    with pytest.raises(BroadcastRefused, match="empty"):
        svc.confirm(broadcast_id=b2.id, user_id=ADMIN_CHAT, chat_id=ADMIN_CHAT, message_id=200)
    assert svc.get(b2.id).status == "draft"  # still editable


def test_state_transitions_figures_and_finish(svc, engine, world):
    b = draft(svc)
    svc.confirm(broadcast_id=b.id, user_id=ADMIN_CHAT, chat_id=ADMIN_CHAT, message_id=100)
    ledger = rows(engine, b.id)
    r1, r2, r3, r4 = (ledger[c].id for c in (1, 2, 3, 4))
    assert svc.mark_sending(r1) and not svc.mark_sending(r1)  # only a pending row can be taken
    svc.mark_part_sent(r1, 1, last=True)
    assert svc.mark_sending(r2)
    svc.requeue(r2, "flood control")
    assert svc.mark_sending(r2)
    svc.mark_blocked(r2, 2, "blocked")
    svc.mark_sending(r3)
    svc.mark_failed(r3, TIMEOUT)
    svc.mark_sending(r4)
    svc.mark_part_sent(r4, 1, last=False)  # part 1 of 2 out: back to pending, remembers the part
    ledger = rows(engine, b.id)
    assert (ledger[1].status, ledger[1].attempts, ledger[1].sent_at is not None) == ("sent", 1, True)
    assert (ledger[2].status, ledger[2].attempts) == ("blocked", 2)
    assert (ledger[4].status, ledger[4].parts_sent) == ("pending", 1)
    with Session(engine) as s:
        assert s.get(Chat, 2).active is False  # blocked: inactive, left out of the next broadcast
    assert 2 not in svc.recipients("all")
    fig = svc.figures(b.id)
    assert (fig.total, fig.sent, fig.failed, fig.blocked, fig.pending) == (6, 1, 1, 1, 3)
    assert not svc.finish(b.id)
    for c in (4, 5, 6):
        rid = rows(engine, b.id)[c].id
        svc.mark_sending(rid)
        svc.mark_part_sent(rid, 2 if c == 4 else 1, last=True)
    assert svc.finish(b.id) and not svc.finish(b.id)  # exactly one caller reports completion
    assert svc.get(b.id).status == "done"
    assert [f.chat_id for f in svc.failures(b.id)] == [2, 3]
    assert svc.recent()[0].figures.sent == 4


def test_resume_resends_only_the_rows_that_were_in_flight(svc, engine, world):
    b = draft(svc)
    svc.confirm(broadcast_id=b.id, user_id=ADMIN_CHAT, chat_id=ADMIN_CHAT, message_id=100)
    ledger = rows(engine, b.id)
    svc.mark_sending(ledger[1].id)
    svc.mark_part_sent(ledger[1].id, 1, last=True)
    svc.mark_sending(ledger[2].id)  # the crash happens here: row 2 is in flight
    other = draft(svc, message_id=300)  # a draft is not resumed
    assert svc.resume() == 1
    ledger = rows(engine, b.id)
    assert ledger[1].status == "sent" and ledger[2].status == "pending" and ledger[2].last_error == INTERRUPTED
    assert svc.figures(b.id).resent == 1 and svc.figures(b.id).pending == 5
    assert svc.get(other.id).status == "draft" and svc.resume() == 0


# --- the sender ---------------------------------------------------------------------------------------

class FakeApi:
    """Records (time, chat, text); outcomes scripted per chat: a list of exceptions to raise first."""

    def __init__(self, latency: float = 0.0) -> None:
        self.calls: list[tuple[float, int, str]] = []
        self.script: dict[int, list[Exception]] = {}
        self.latency = latency
        self.in_flight = self.peak = 0

    async def send(self, chat_id: int, text: str) -> None:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            self.calls.append((time.monotonic(), chat_id, text))
            if self.latency:
                await asyncio.sleep(self.latency)
            todo = self.script.get(chat_id)
            if todo:
                raise todo.pop(0)
        finally:
            self.in_flight -= 1


def run_sender(svc, api, **kw):
    sender = BroadcastSender(svc, api.send, kw.pop("render", lambda t: [t]), **kw)
    asyncio.run(sender.drain(timeout=30))
    return sender


def many_chats(engine, n, start=1000):
    with Session(engine) as s:
        s.add_all([Chat(chat_id=start + i, name=f"c{i}") for i in range(n)])
        s.commit()


def confirmed(svc, text="通知", audience=None, message_id=100):
    b = draft(svc, text, audience, message_id)
    return svc.confirm(broadcast_id=b.id, user_id=ADMIN_CHAT, chat_id=ADMIN_CHAT, message_id=message_id)


def test_sender_paces_overall_rate_and_reports_done(svc, engine):
    many_chats(engine, 60)
    b = confirmed(svc)
    api, done = FakeApi(latency=0.1), []  # 100 ms per call: 1/rate = 20 ms needs ~5 in flight

    async def on_done(bc, fig):
        done.append(fig)

    run_sender(svc, api, rate=50, max_in_flight=8, on_done=on_done)
    times = sorted(t for t, _, _ in api.calls)
    assert len(times) == 60 and len({c for _, c, _ in api.calls}) == 60
    span = times[-1] - times[0]
    # ~50/s: never faster; the upper bound leaves room for a loaded CI machine committing to PostgreSQL
    # per send, and still fails a sender that paces at half the rate
    assert 59 / 50 * 0.95 <= span <= 59 / 50 * 1.6, span
    assert max(sum(1 for t in times if a <= t < a + 1) for a in times) <= 51  # no burst in any second
    assert 2 <= api.peak <= 8  # several in flight, never more than allowed
    assert done and done[0].sent == 60 and svc.get(b.id).status == "done"


def test_pacer_does_not_burst_after_idle():
    async def go():
        p = Pacer(20)
        await p.acquire()
        await asyncio.sleep(0.3)  # idle: no credit is saved up
        t0 = time.monotonic()
        for _ in range(3):
            await p.acquire()
        return time.monotonic() - t0

    assert asyncio.run(go()) >= 2 * 0.05 * 0.9


def test_sender_outcomes_429_403_timeout_network_refused(svc, engine, world):
    b = confirmed(svc)  # chats 1..6
    api = FakeApi()
    api.script = {1: [RetryLater(1)], 2: [RecipientBlocked("blocked")], 3: [MaybeDelivered("timed out")],
                  4: [TransientError("reset"), TransientError("reset")], 5: [TransientError("x")] * 5,
                  6: [Rejected("chat not found")]}
    run_sender(svc, api, rate=50, max_attempts=3, backoff=0.05)
    sends = [c for _, c, _ in api.calls]
    ledger = rows(engine, b.id)
    assert sends.count(1) == 2 and ledger[1].status == "sent"  # the 429'd row retried after the pause
    t429 = next(t for t, c, _ in api.calls if c == 1)
    assert all(t - t429 >= 0.95 for t, c, _ in api.calls if t > t429)  # everything paused retry_after
    assert sends.count(2) == 1 and ledger[2].status == "blocked"  # never retried
    with Session(engine) as s:
        assert s.get(Chat, 2).active is False
    assert sends.count(3) == 1 and (ledger[3].status, ledger[3].last_error) == ("failed", TIMEOUT)
    assert sends.count(4) == 3 and ledger[4].status == "sent" and ledger[4].attempts == 3
    assert sends.count(5) == 3 and ledger[5].status == "failed" and "network" in ledger[5].last_error
    assert sends.count(6) == 1 and ledger[6].status == "failed"
    fig = svc.figures(b.id)
    assert (fig.sent, fig.failed, fig.blocked, fig.pending) == (2, 3, 1, 0)


def test_long_text_parts_go_one_second_apart_and_resume_at_the_next_part(svc, engine, world):
    text = "。".join(f"第{i}句话" for i in range(1500))  # well over 4096 characters
    parts = texts.split(texts.bc_body(text))
    assert len(parts) >= 2 and all(texts._u16(p) <= 4096 for p in parts)
    b = confirmed(svc, text, audience=f"unit:{world['street']}")  # chat 2 only
    rid = rows(engine, b.id)[2].id
    svc.mark_sending(rid)
    svc.mark_part_sent(rid, 1, last=False)  # part 1 went out before a crash
    api = FakeApi()
    run_sender(svc, api, rate=50, render=lambda t: texts.split(texts.bc_body(t)), chat_gap=0.3)
    assert [x for _, _, x in api.calls] == parts[1:]  # not part 1 again
    gaps = [b_[0] - a[0] for a, b_ in zip(api.calls, api.calls[1:], strict=False)]
    assert all(g >= 0.29 for g in gaps)
    assert rows(engine, b.id)[2].status == "sent" and rows(engine, b.id)[2].parts_sent == len(parts)
    assert "&lt;" not in parts[0] and "<b>县双拥办通知</b>" in parts[0]
