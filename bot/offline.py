"""The offline console demo: the full bot (same handlers, same database) against an in-process
Bot API emulator, with a terminal front-end. No token, no network."""

from __future__ import annotations

import asyncio
import logging
import threading

from pydantic import SecretStr

from bot.config import Settings

CONSOLE_USER = 10001
CONSOLE_ADMIN = 10000


def run_offline(settings: Settings, *, database_url: str | None = None) -> int:
    from bot.__main__ import _logging, _secrets
    from bot.app import build_application
    from bot.console import run_console
    from bot.emulator import BotApiEmulator

    _logging(settings.log_level, to_file="data/console.log", secrets=_secrets(settings))
    emu = BotApiEmulator(token="100000:offline-console", bot_username="shuangyong_bot").start()
    settings = settings.model_copy(update={
        "telegram_bot_token": SecretStr(emu.token),
        "telegram_base_url": emu.base_url,
        "admin_ids": settings.admin_ids | {CONSOLE_ADMIN},
        "database_url": database_url or settings.database_url,
    })

    async def start_console(app) -> None:  # noqa: ANN001
        loop = asyncio.get_running_loop()

        def console() -> None:
            try:
                run_console(emu, user_id=CONSOLE_USER, admin_id=CONSOLE_ADMIN)
            finally:
                loop.call_soon_threadsafe(app.stop_running)

        threading.Thread(target=console, name="console", daemon=True).start()

    app = build_application(settings, extra_startup=[start_console])
    try:
        app.run_polling(poll_interval=0.0, timeout=5)
    finally:
        emu.stop()
        logging.shutdown()
    return 0
