"""Run the real bot against the Bot API emulator: in a thread of this process, or as a
``python -m bot run`` subprocess that a test can kill -9."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from bot.clock import Clock
from bot.config import Settings
from bot.emulator import BotApiEmulator

ROOT = Path(__file__).resolve().parent.parent
ADMIN = 42


def make_settings(emu: BotApiEmulator, db_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "telegram_bot_token": emu.token,
        "telegram_base_url": emu.base_url,
        "admin_ids": str(ADMIN),
        "database_url": db_url,
        "log_level": "INFO",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


class RunningBot:
    """The Application from ``build_application`` run with ``run_polling`` in a background thread."""

    def __init__(self, settings: Settings, *, clock: Clock | None = None) -> None:
        from bot.app import build_application

        self.settings = settings
        self._ready = threading.Event()
        self._error: BaseException | None = None

        async def mark_ready(app) -> None:  # noqa: ANN001
            self._ready.set()

        self.app = build_application(settings, clock=clock, extra_startup=[mark_ready])
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name="bot", daemon=True)

    def _run(self) -> None:
        from bot.app import allowed_updates

        asyncio.set_event_loop(self.loop)
        try:
            # the update kinds `python -m bot run` asks for (the emulator honours allowed_updates)
            self.app.run_polling(poll_interval=0.0, timeout=5, stop_signals=None, close_loop=False,
                                 allowed_updates=allowed_updates())
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread
            self._error = exc
            self._ready.set()

    def start(self, timeout: float = 15.0) -> RunningBot:
        self.thread.start()
        if not self._ready.wait(timeout):
            raise AssertionError("bot did not start in time")
        if self._error:
            raise self._error
        return self

    @property
    def services(self):  # noqa: ANN201
        return self.app.bot_data["services"]

    def call(self, coro, timeout: float = 10.0):  # noqa: ANN001, ANN201
        """Run a coroutine on the bot's loop (e.g. a job callback) and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        if self.thread.is_alive():
            self.loop.call_soon_threadsafe(self.app.stop_running)
            self.thread.join(timeout=20)
        if not self.loop.is_closed() and not self.thread.is_alive():
            # what asyncio.run does: tasks left over are cancelled and finish before the loop
            # closes (else they are destroyed later, logging errors into whichever test runs then)
            left = asyncio.all_tasks(self.loop)
            for task in left:
                task.cancel()
            if left:
                self.loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
            self.loop.close()


def bot_env(emu: BotApiEmulator, db_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ADMIN_", "DATABASE_"))}
    env.update({
        "TELEGRAM_BOT_TOKEN": emu.token,
        "TELEGRAM_BASE_URL": emu.base_url,
        "ADMIN_IDS": str(ADMIN),
        "DATABASE_URL": db_url,
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra)
    return env


def interrupt(proc: subprocess.Popen) -> None:
    """Stop a bot process as an operator would (SIGINT, PTB's clean shutdown), killing it when it
    has not stopped in 20 s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


class BotProcess:
    """``python -m bot run`` as a child process, for restarts and kill -9."""

    def __init__(self, emu: BotApiEmulator, db_url: str, workdir: Path, **extra_env: str) -> None:
        self.emu = emu
        self.log_path = workdir / f"bot-{time.monotonic_ns()}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115
        self.proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=workdir,
                                     env=bot_env(emu, db_url, **extra_env), stdout=self._log,
                                     stderr=subprocess.STDOUT)

    def wait_polling(self, timeout: float = 20.0) -> BotProcess:
        """Until the bot has called getUpdates (so start-up, including catch-up work, is done)."""
        deadline = time.monotonic() + timeout
        n0 = len([c for c in self.emu.calls if c[0] == "getUpdates"])
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"bot exited with {self.proc.returncode}:\n{self.log()}")
            if len([c for c in self.emu.calls if c[0] == "getUpdates"]) > n0:
                return self
            time.sleep(0.05)
        raise AssertionError(f"bot never polled:\n{self.log()}")

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def kill9(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self._log.close()

    def stop(self) -> None:
        interrupt(self.proc)
        if not self._log.closed:
            self._log.close()
