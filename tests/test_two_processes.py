"""Two bot processes sharing one database: only one of them sends scheduled reminders and
broadcasts; nobody gets anything twice. Then the sender is killed -9 and the other takes over."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import Session

from bot.clock import Clock
from bot.config import Settings
from bot.db import init_db, make_engine
from bot.emulator import BotApiEmulator
from bot.models import Chat, Event, Member, Unit
from bot.services.broadcast import BroadcastService
from bot.services.events import EventService
from tests.harness import ADMIN, BotProcess

N = 40


def _seed(url: str) -> tuple[BroadcastService, EventService]:
    engine = make_engine(url)
    init_db(engine)
    long_ago = datetime.now(UTC) - timedelta(days=30)
    with Session(engine) as s:
        s.add(Unit(id=1, name="龙城镇", kind="乡镇", created_at=long_ago))
        s.flush()
        for i in range(N):
            s.add(Chat(chat_id=1000 + i, user_id=1000 + i, name=f"u{i}", first_seen=long_ago, last_seen=long_ago))
            s.add(Member(user_id=1000 + i, chat_id=1000 + i, unit_id=1, name=f"u{i}", bound_at=long_ago))
        s.add(Chat(chat_id=ADMIN, user_id=ADMIN, name="admin", first_seen=long_ago, last_seen=long_ago))
        s.commit()
    settings = Settings(_env_file=None, reminder_offsets="10m", admin_ids=str(ADMIN))  # type: ignore[call-arg]
    events = EventService.from_settings(engine, Clock(), settings)
    broadcasts = BroadcastService(engine, Clock())
    return broadcasts, events


def _count(emus: list[BotApiEmulator], chat_id: int, needle: str) -> int:
    return sum(1 for e in emus for m in e.to(chat_id) if needle in (m.plain or ""))


def _broadcast(broadcasts: BroadcastService, text: str) -> None:
    b = broadcasts.create_draft(text=text, created_by=ADMIN, admin_chat_id=ADMIN)
    broadcasts.confirm(broadcast_id=b.id, user_id=ADMIN, chat_id=ADMIN, message_id=None)


def _wait(pred, timeout: float = 30.0) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.2)
    return pred()


def test_two_processes_one_sender(any_db_url, tmp_path: Path):
    broadcasts, events = _seed(any_db_url)
    # a reminder that fell due while no bot ran (the event has not started): caught up at start
    ev = events.add(title="县级双拥模范命名表彰大会", starts_at=datetime.now(UTC) + timedelta(minutes=5))
    ev = ev[0] if isinstance(ev, tuple) else ev
    with Session(events.engine) as s:  # it was added an hour ago, before the reminder fell due
        row = s.get(Event, ev.id)
        row.created_at = datetime.now(UTC) - timedelta(hours=1)
        s.add(row)
        s.commit()
    _broadcast(broadcasts, "第一条群发通知")
    emus = [BotApiEmulator(token="123456:TEST-a").start(), BotApiEmulator(token="123456:TEST-b").start()]
    procs = [BotProcess(e, any_db_url, tmp_path, REMINDER_OFFSETS="10m") for e in emus]
    try:
        for p in procs:
            p.wait_polling(timeout=30)
        chats = range(1000, 1000 + N)
        assert _wait(lambda: all(_count(emus, c, "表彰大会") >= 1 and _count(emus, c, "第一条群发") >= 1
                                 for c in chats)), [(_count(emus, c, "表彰大会"), _count(emus, c, "第一条群发"))
                                                    for c in chats]
        time.sleep(2)
        for c in chats:
            assert _count(emus, c, "表彰大会") == 1, c
            assert _count(emus, c, "第一条群发") == 1, c
        senders = [i for i, e in enumerate(emus) if any("第一条群发" in (m.plain or "") for m in e.sent)]
        assert len(senders) == 1, "both processes sent"
        # the sender dies; the survivor takes over the next broadcast
        procs[senders[0]].kill9()
        _broadcast(broadcasts, "第二条群发通知")
        assert _wait(lambda: all(_count(emus, c, "第二条群发") >= 1 for c in chats), timeout=60)
        time.sleep(1)
        assert all(_count(emus, c, "第二条群发") == 1 for c in chats)
    finally:
        for p in procs:
            p.stop()
        for e in emus:
            e.stop()
