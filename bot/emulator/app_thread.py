"""Run a python-telegram-bot ``Application`` with long polling in a background thread, for tests
and the offline console.  Duck-typed: imports nothing from telegram."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from typing import Any

__all__ = ["ApplicationThread"]


class ApplicationThread:
    """Run a python-telegram-bot ``Application`` (long polling) in a daemon thread with its own
    event loop, for tests and the offline console.  Duck-typed: imports nothing from telegram.

    ::

        app = ApplicationBuilder().token(emu.token).base_url(emu.base_url).build()
        with ApplicationThread(app):
            emu.user_message(1, "/start"); emu.wait_for(chat_id=1)
    """

    def __init__(
        self,
        app: Any,
        *,
        poll_timeout: float = 1.0,
        drop_pending_updates: bool = False,
        startup_timeout: float = 15.0,
        allowed_updates: list[str] | None = None,
    ) -> None:
        self.app = app
        self.allowed_updates = allowed_updates
        self.poll_timeout = poll_timeout
        self.drop_pending_updates = drop_pending_updates
        self.startup_timeout = startup_timeout
        self.loop: Any = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self) -> ApplicationThread:
        """Start polling; returns once the Application and its updater run (post_init done)."""
        self._thread = threading.Thread(target=self._run, name="ptb-application", daemon=True)
        self._thread.start()
        self._wait_running()
        if not self._ready.is_set():
            raise RuntimeError("the Application did not start in time")
        if self._error is not None:
            raise RuntimeError("the Application failed to start") from self._error
        return self

    def _run(self) -> None:
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        try:
            # exactly what `python -m bot run` does: post_init, post_stop and post_shutdown run
            self.app.run_polling(
                poll_interval=0,
                timeout=self.poll_timeout,
                drop_pending_updates=self.drop_pending_updates,
                allowed_updates=self.allowed_updates,
                stop_signals=None,
                close_loop=False,
            )
        except BaseException as exc:  # surfaced to start() / stop()
            self._error = exc
        finally:
            self._ready.set()
            with contextlib.suppress(Exception):
                self.loop.close()

    def _wait_running(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline and self._error is None:
            updater = getattr(self.app, "updater", None)
            if self.app.running and (updater is None or updater.running):
                self._ready.set()
                return
            if not self._thread or not self._thread.is_alive():
                break
            time.sleep(0.01)

    def call(self, coro: Any, timeout: float = 10.0) -> Any:
        """Run a coroutine on the application's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self, timeout: float = 15.0) -> bool:
        """Stop the Application (post_stop and post_shutdown run); wait at most ``timeout`` s.
        Returns whether it has stopped; raises RuntimeError if it ended with an error."""
        if self._thread is None:
            return True
        if self.loop is not None and not self.loop.is_closed():
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(self.app.stop_running)
        self._thread.join(timeout)
        stopped = not self._thread.is_alive()
        self._thread = None
        if self._error is not None:
            raise RuntimeError("the Application stopped with an error") from self._error
        return stopped

    def __enter__(self) -> ApplicationThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
