"""The offline console demo: the full bot (same handlers) against an in-process Bot API emulator,
with a terminal front-end.  No token, no network.

The demo keeps its own database, ``data/demo.db`` (never the real bot's DATABASE_URL;
``--database`` chooses another).  Its update ids come from the clock in milliseconds, so a second
run on the same database never reuses an id an earlier run already processed (the bot ignores
replayed update ids).  ``/reset`` stops the bot, deletes the default demo database and starts a
fresh bot on an empty one.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.emulator import ApplicationThread, BotApiEmulator

__all__ = ["CONSOLE_ADMIN", "CONSOLE_USER", "DEMO_DATABASE", "DemoBot", "first_update_id",
           "run_offline"]

log = logging.getLogger(__name__)

CONSOLE_USER = 10001
CONSOLE_ADMIN = 10000
DEMO_DATABASE = "sqlite:///data/demo.db"

T_STARTING = "正在启动离线演示（数据库 {database}）……"
T_START_FAILED = "离线演示启动失败：{why}（详情见 data/console.log）"
T_RESET_OTHER_DB = ("（/reset 只清空默认的演示数据库 data/demo.db；--database 指定的 {database} "
                    "不会被清空。要从头开始，请换一个新的数据库文件重新运行。）")


def first_update_id(now: float | None = None) -> int:
    """The first update id of a demo run: the clock in milliseconds.  A run cannot send more than
    one update a millisecond (every line waits for the bot), so each run starts above every id
    an earlier run on the same database used."""
    return int((time.time() if now is None else now) * 1000)


def _sqlite_files(url: str) -> list[Path]:
    """The files of a SQLite database URL (main file, WAL, shared memory); [] for other URLs."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return []
    main = Path(parsed.database).expanduser()
    return [main, main.with_name(main.name + "-wal"), main.with_name(main.name + "-shm")]


class DemoBot:
    """The bot polling an in-process emulator: ``start()`` returns the emulator, ``stop()``,
    ``reset()`` (a fresh bot on an empty database; only for the default demo database)."""

    def __init__(self, settings: Settings, database_url: str, *, resettable: bool) -> None:
        self.settings = settings
        self.database_url = database_url
        self.resettable = resettable
        self.emu: BotApiEmulator | None = None
        self.runner: ApplicationThread | None = None

    def start(self) -> BotApiEmulator:
        """Start an emulator and the bot polling it; raises when the bot cannot start."""
        from bot.app import allowed_updates, build_application

        emu = BotApiEmulator(token="100000:offline-console", bot_username="shuangyong_bot",
                             first_update_id=first_update_id()).start()
        settings = self.settings.model_copy(update={
            "telegram_bot_token": SecretStr(emu.token),
            "telegram_base_url": emu.base_url,
            "admin_ids": self.settings.admin_ids | {CONSOLE_ADMIN},
            "database_url": self.database_url,
        })
        try:
            app = build_application(settings)
            self.runner = ApplicationThread(app, poll_timeout=5, startup_timeout=60,
                                            allowed_updates=allowed_updates()).start()
        except BaseException:
            emu.stop()
            raise
        self.emu = emu
        return emu

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the bot (at most ``timeout`` s: a handler still running is abandoned) and the
        emulator."""
        runner, self.runner = self.runner, None
        if runner is not None:
            try:
                if not runner.stop(timeout):
                    log.warning("the demo bot did not stop within %.0f s; leaving it", timeout)
            except RuntimeError:
                log.exception("the demo bot stopped with an error")
        if self.emu is not None:
            self.emu.stop()
            self.emu = None

    def reset(self) -> BotApiEmulator:
        """Stop, delete the demo database, start afresh; the console's /reset."""
        from bot.console import ResetRefused

        if not self.resettable:
            raise ResetRefused(T_RESET_OTHER_DB.format(database=self.database_url))
        self.stop()
        for path in _sqlite_files(self.database_url):
            path.unlink(missing_ok=True)
        return self.start()


def _reason(exc: BaseException) -> str:
    """One line naming why the demo could not start (the innermost cause)."""
    while exc.__cause__ is not None:
        exc = exc.__cause__
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def run_offline(settings: Settings, *, database_url: str | None = None) -> int:
    """``python -m bot`` without a token: the console demo on ``database_url`` (default
    data/demo.db).  Returns the process exit status (0; 130 after Ctrl-C; 1 if the bot could not
    start)."""
    from bot.__main__ import _logging, _secrets
    from bot.console import run_console

    _logging(settings.log_level, to_file="data/console.log", secrets=_secrets(settings))
    for stream in (sys.stdout, sys.stderr):  # a terminal that cannot show Chinese still works
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="replace")
    url = database_url or DEMO_DATABASE
    shown = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else url
    demo = DemoBot(settings, url, resettable=database_url is None)
    print(T_STARTING.format(database=shown), flush=True)
    try:
        emu = demo.start()
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - one line, not a traceback
        log.exception("the offline demo could not start")
        print(T_START_FAILED.format(why=_reason(exc)), file=sys.stderr, flush=True)
        return 1
    status = 0
    try:
        status = run_console(emu, user_id=CONSOLE_USER, admin_id=CONSOLE_ADMIN,
                             reset=demo.reset, database=shown)
    finally:
        try:
            demo.stop()
        except KeyboardInterrupt:  # a second Ctrl-C: leave now
            sys.stdout.flush()
            os._exit(130)
        logging.shutdown()
    return status
