"""Pushing to a chat: a send that timed out (and may have been delivered) is not resent."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from telegram import Bot
from telegram.request import HTTPXRequest

from bot.clock import Clock
from bot.db import init_db, make_engine
from bot.services.broadcast import Pacer
from bot.services.roster import RosterService
from handlers.push import push_one


def test_timed_out_send_is_not_resent(emu, db_url):
    engine = make_engine(db_url)
    init_db(engine)
    roster = RosterService(engine, Clock(), timedelta(days=7))
    emu.delay(1.5, "sendMessage")  # Telegram got it, but answers after the bot gave up

    async def go() -> bool:
        bot = Bot(emu.token, base_url=emu.base_url, request=HTTPXRequest(read_timeout=0.5, write_timeout=0.5))
        async with bot:
            return await push_one(bot, 7, "提醒", roster, Pacer(25))

    assert asyncio.run(go()) is False
    time.sleep(2)
    assert len(emu.calls_to("sendMessage")) == 1  # one attempt: no second copy
    engine.dispose()
