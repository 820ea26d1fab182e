"""Telegram re-delivers updates a crashed bot fetched but never confirmed. A replayed command with
side effects changes nothing the second time."""

from __future__ import annotations

import time

from tests.conftest import bind, say
from tests.harness import ADMIN, BotProcess


def test_replayed_updates_are_not_acted_on_twice(emu, db_url, tmp_path):
    proc = BotProcess(emu, db_url, tmp_path).wait_polling()
    try:
        bind(emu, 7, "龙城镇")
        checkin = emu.user_message(7, "/checkin 2.2 已完成 慰问了30户")
        emu.wait_for(chat_id=7, contains="已记录")
        invite = emu.user_message(ADMIN, "/invite 三合街道")
        emu.wait_for(chat_id=ADMIN, contains="start=")
        event = emu.user_message(ADMIN, "/event_add 2027-03-01 09:00 重放测试活动")
        emu.wait_for(chat_id=ADMIN, contains="重放测试活动")
        time.sleep(0.3)
    finally:
        proc.kill9()
    mark = emu.mark()
    emu.inject(dict(checkin))  # same update ids, as Telegram re-delivers them
    emu.inject(dict(invite))
    emu.inject(dict(event))
    proc = BotProcess(emu, db_url, tmp_path).wait_polling()
    try:
        emu.wait_idle(quiet=1.5, timeout=10)
        again = [ev.msg for ev in emu.events_after(mark) if ev.msg is not None]
        assert not [m for m in again if any(k in (m.plain or "") for k in ("已记录", "start=", "重放测试活动"))], again
        mine = say(emu, 7, "/mine", contains="龙城镇")
        assert mine.plain.count("2.2") == 1 + mine.plain.count("更正最新一条（2.2）")
        units = say(emu, ADMIN, "/units", contains="三合街道")
        assert "待用邀请 1" in units.plain
        events = say(emu, ADMIN, "/events", contains="近期活动")
        assert events.plain.count("重放测试活动") == 1
    finally:
        proc.stop()
