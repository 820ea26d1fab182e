"""Looking at what the bot did: the messages it sent, waiting for the next one, waiting for quiet.

Everything is read from the :class:`~bot.emulator.store.MessageStore`; waiting uses its shared
condition, which every recorded event notifies.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from bot.emulator.store import Event, MessageStore, SentMessage
from bot.emulator.updates import UpdateQueue

__all__ = ["Observer"]


class Observer:
    """Queries and waits over the bot's recorded activity."""

    def __init__(self, store: MessageStore, queue: UpdateQueue) -> None:
        self.store = store
        self.queue = queue
        self.cond = store.cond

    def sent(self) -> list[SentMessage]:
        """Every message the bot sent, oldest first."""
        with self.cond:
            return list(self.store.sent)

    def events(self) -> list[Event]:
        """Every event (sent, edit, delete, answer, rejected), oldest first."""
        with self.cond:
            return list(self.store.events)

    def to(self, chat_id: int | str) -> list[SentMessage]:
        """The messages the bot sent to ``chat_id``."""
        with self.cond:
            return [m for m in self.store.sent if m.chat_id == chat_id]

    def last(self, chat_id: int | str | None = None) -> SentMessage | None:
        """The bot's latest message (to ``chat_id``)."""
        with self.cond:
            for m in reversed(self.store.sent):
                if chat_id is None or m.chat_id == chat_id:
                    return m
        return None

    def last_with_buttons(self, chat_id: int | str | None = None) -> SentMessage | None:
        """The bot's latest undeleted message (to ``chat_id``) that has buttons."""
        with self.cond:
            for m in reversed(self.store.sent):
                if (chat_id is None or m.chat_id == chat_id) and m.buttons and not m.deleted:
                    return m
        return None

    def message(self, chat_id: int | str, message_id: int) -> SentMessage | None:
        """The bot's message ``message_id`` in ``chat_id``."""
        with self.cond:
            return self.store.bot_msgs.get((chat_id, message_id))

    def mark(self) -> int:
        """The current event counter; pass it as ``after=`` to wait for what happens next."""
        return self.store.mark()

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        """The parameters of every call of ``method`` (case-insensitive)."""
        with self.cond:
            return [p for (m, p) in self.store.calls if m.lower() == method.lower()]

    def _matching(
        self,
        ev: Event,
        kinds: set[str],
        chat_id: Any,
        contains: str | Iterable[str] | None,
        predicate: Callable[[SentMessage], bool] | None,
    ) -> bool:
        if ev.kind not in kinds or ev.msg is None:
            return False
        if chat_id is not None and ev.msg.chat_id != chat_id:
            return False
        if contains is not None:
            hay = ev.plain + "\n" + (ev.msg.filename or "")
            needles = [contains] if isinstance(contains, str) else list(contains)
            if not all(n in hay for n in needles):
                return False
        return predicate is None or bool(predicate(ev.msg))

    def wait_for(
        self,
        predicate: Callable[[SentMessage], bool] | None = None,
        *,
        chat_id: int | str | None = None,
        contains: str | Iterable[str] | None = None,
        timeout: float = 10.0,
        after: int | None = None,
        edited: bool | None = None,
    ) -> SentMessage:
        """Wait for a message the bot sends (or edits) after ``after`` that matches.

        ``after`` defaults to the event mark taken when the last update was injected
        (user_message/press/inject...), so ``emu.user_message(...); emu.wait_for(...)`` waits for
        the reaction to that input.  ``edited``: None matches new messages and edits, True only
        edits, False only new messages.  ``contains`` (a string or several) is looked for in the
        visible text (or caption / file name).  Raises AssertionError listing recent activity.
        """
        kinds = {"sent", "edit"} if edited is None else ({"edit"} if edited else {"sent"})
        deadline = time.monotonic() + timeout
        with self.cond:
            start = self.queue.last_inject_mark if after is None else after
            while True:
                for ev in self.store.events[start:]:
                    if self._matching(ev, kinds, chat_id, contains, predicate):
                        return ev.msg  # type: ignore[return-value]
                start = max(start, len(self.store.events))
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self.cond.wait(remaining)
            shown_after = after if after is not None else self.queue.last_inject_mark
            raise AssertionError(
                f"wait_for timed out after {timeout}s (chat_id={chat_id!r}, contains={contains!r}, "
                f"edited={edited!r}, after={shown_after})\n{self.describe()}"
            )

    def events_after(self, index: int, timeout: float = 0.0) -> list[Event]:
        """Events with index >= ``index``, waiting up to ``timeout`` s for at least one."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.store.events) <= index:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.queue.stopping:
                    break
                self.cond.wait(remaining)
            return self.store.events[index:]

    def wait_idle(self, quiet: float = 0.4, timeout: float = 10.0, after: int | None = None) -> int:
        """Wait until at least one event happened after ``after`` (if given) and then nothing
        for ``quiet`` seconds, at most ``timeout``; return the mark."""
        deadline = time.monotonic() + timeout
        events = self.store.events
        with self.cond:
            while True:
                now = time.monotonic()
                if now >= deadline:
                    return len(events)
                n = len(events)
                if after is not None and n <= after:
                    self.cond.wait(deadline - now)
                    continue
                idle_for = now - (events[-1].time if events else 0.0)
                if idle_for >= quiet:
                    return n
                self.cond.wait(min(quiet - idle_for, deadline - now))

    def replies(
        self,
        after: int | None = None,
        *,
        chat_id: int | str | None = None,
        quiet: float = 0.4,
        timeout: float = 10.0,
    ) -> list[SentMessage]:
        """New messages after ``after`` (default: last injection) once the bot has gone quiet."""
        start = self.queue.last_inject_mark if after is None else after
        self.wait_idle(quiet=quiet, timeout=timeout, after=start)
        with self.cond:
            return [
                ev.msg
                for ev in self.store.events[start:]
                if ev.kind == "sent"
                and ev.msg is not None
                and (chat_id is None or ev.msg.chat_id == chat_id)
            ]

    def describe(self, limit: int = 15) -> str:
        """Recent bot activity and refusals, for assertion messages."""
        with self.cond:
            lines = ["recent bot events:"]
            for ev in self.store.events[-limit:]:
                if ev.msg is not None:
                    buttons = ev.msg.buttons if ev.kind != "delete" else ""
                    lines.append(
                        f"  [{ev.index}] {ev.kind} #{ev.msg.message_id}→{ev.msg.chat_id}: "
                        f"{ev.plain[:200]!r} buttons={buttons}"
                    )
                else:
                    lines.append(f"  [{ev.index}] {ev.kind} {ev.data}")
            if len(lines) == 1:
                lines.append("  (none)")
            if self.store.rejected:
                lines.append("refused calls:")
                for method, params, desc in self.store.rejected[-limit:]:
                    short = {k: (str(v)[:80]) for k, v in params.items()}
                    lines.append(f"  {method}: {desc} {short}")
            pending = self.queue.pending()
            if pending:
                lines.append(f"unconfirmed updates: {[u['update_id'] for u in pending]}")
            if self.queue.dropped:
                kinds = sorted({k for u in self.queue.dropped for k in u if k != "update_id"})
                lines.append(f"never delivered (not in the bot's allowed_updates): {kinds}")
            return "\n".join(lines)
