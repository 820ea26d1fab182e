"""The message store: every chat, user and message the emulator knows, and the record of what the
bot did (its calls, the messages it sent, the events tests wait for).

All state here is guarded by one ``threading.Condition`` shared by every component of the emulator
(an ``RLock`` underneath, so a component already holding it may call in).  ``emit`` wakes whoever
waits for bot activity.

Message ids are counted per chat for every chat type (Telegram counts them per user across private
chats and basic groups; no bot can tell).
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from bot.emulator.entities import public_entities

__all__ = ["Event", "MessageStore", "SentMessage"]

SUPERGROUP_ID_BELOW = -1_000_000_000_000  # supergroup and channel ids are -100xxxxxxxxxx


@dataclass
class SentMessage:
    """A message the bot sent (sendMessage/sendDocument/sendPhoto/...). Edits update it in place."""

    message_id: int
    chat_id: int | str
    text: str | None  # raw, as sent (HTML when parse_mode=HTML); None for media
    plain: str  # visible text (or visible caption for media)
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    buttons: list[list[tuple[str, str | None]]]
    method: str
    document: bytes | None = None
    filename: str | None = None
    photo: bytes | None = None
    caption: str | None = None  # raw caption
    date: int = 0
    edited_texts: list[str] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)
    reply_to_message_id: int | None = None
    deleted: bool = False
    file_id: str | None = None
    file_unique_id: str | None = None
    file_size: int = 0
    mime_type: str | None = None
    params: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def callback_data(self) -> list[str]:
        """Every button's callback data (URL buttons excluded), row by row."""
        return [v for row in self.buttons for (_t, v) in row if v is not None and "://" not in v]

    def button(self, label: str) -> tuple[str, str | None]:
        """The first button whose text contains ``label``."""
        for row in self.buttons:
            for b in row:
                if label in b[0]:
                    return b
        raise KeyError(f"no button containing {label!r} in {self.buttons!r}")

    def __str__(self) -> str:
        what = (
            self.plain if self.text is not None else f"[{self.method} {self.filename}] {self.plain}"
        )
        return f"#{self.message_id}→{self.chat_id}: {what!r}"


@dataclass
class Event:
    """One observable thing the bot did: kind is 'sent', 'edit', 'delete', 'answer' or
    'rejected' (a call the emulator refused; ``data`` has method, chat_id, error_code,
    description)."""

    index: int
    kind: str
    msg: SentMessage | None
    text: str | None = None  # raw text at the time of the event
    plain: str = ""  # visible text at the time of the event
    data: dict[str, Any] | None = None  # for 'answer': the answerCallbackQuery params
    time: float = 0.0


class MessageStore:
    """Chats, users and messages on both sides, and the log of the bot's activity."""

    def __init__(self, cond: threading.Condition, bot_user: dict[str, Any]) -> None:
        self.cond = cond
        self.bot_user = bot_user  # what getMe answers
        # what Telegram puts in "from" of the bot's messages and in ChatMember.user
        self.bot_sender = {k: bot_user[k] for k in ("id", "is_bot", "first_name", "username")}
        self.events: list[Event] = []
        self.sent: list[SentMessage] = []
        self.bot_msgs: dict[tuple[Any, int], SentMessage] = {}
        self.user_msgs: dict[tuple[Any, int], dict[str, Any]] = {}
        self.user_messages: list[dict[str, Any]] = []
        self.chats: dict[Any, dict[str, Any]] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.open_queries: dict[str, dict[str, Any]] = {}
        self._msg_ids: dict[Any, itertools.count] = {}
        # the bot's side of the conversation
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.rejected: list[tuple[str, dict[str, Any], str]] = []
        self.conflicts: list[str] = []  # getUpdates 409s (kept out of ``rejected``)
        self.answered_callbacks: list[dict[str, Any]] = []
        self.commands: list[dict[str, Any]] = []  # every setMyCommands call
        self.current_commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.deleted: list[tuple[Any, int]] = []
        self.chat_actions: list[tuple[Any, str]] = []

    # ------------------------------------------------------------------ events
    def emit(self, kind: str, msg: SentMessage | None, data: dict[str, Any] | None = None) -> None:
        """Record an event and wake every waiter."""
        with self.cond:
            self.events.append(
                Event(
                    index=len(self.events),
                    kind=kind,
                    msg=msg,
                    text=msg.text if msg else None,
                    plain=msg.plain if msg else "",
                    data=data,
                    time=time.monotonic(),
                )
            )
            self.cond.notify_all()

    def mark(self) -> int:
        """The number of events so far."""
        with self.cond:
            return len(self.events)

    # ------------------------------------------------------------------ users and chats
    def next_message_id(self, chat_id: Any) -> int:
        with self.cond:
            return next(self._msg_ids.setdefault(chat_id, itertools.count(1)))

    def user(
        self, user_id: int, first_name: str | None = None, username: str | None = None
    ) -> dict[str, Any]:
        """The User object of a human (created on first use; a name given here sticks)."""
        with self.cond:
            user = dict(
                self.users.get(user_id)
                or {"id": user_id, "is_bot": False, "first_name": "用户", "language_code": "zh-hans"}
            )
            if first_name is not None:
                user["first_name"] = first_name
            if username is not None:
                user["username"] = username
            self.users[user_id] = user
            return dict(user)

    def private_chat(self, user: dict[str, Any]) -> dict[str, Any]:
        """The private Chat with ``user`` (its id is the user's id)."""
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        if "username" in user:
            chat["username"] = user["username"]
        with self.cond:
            self.chats[user["id"]] = chat
        return dict(chat)

    def group_chat(
        self, chat_id: int | str, chat_type: str, title: str | None = None
    ) -> dict[str, Any]:
        """Register (or rename) a group, supergroup or channel and return its Chat object."""
        with self.cond:
            old = self.chats.get(chat_id) or {}
            chat = {"id": chat_id, "type": chat_type, "title": title or old.get("title") or "测试群"}
            if old.get("username"):
                chat["username"] = old["username"]
            self.chats[chat_id] = chat
            return dict(chat)

    def chat_type(self, chat_id: int | str, user_id: int | None = None) -> str:
        """The type of a known chat, else what its id says: a user's own id or any positive id is
        private, a -100… id a supergroup, another negative id a basic group, a string a channel."""
        with self.cond:
            known = self.chats.get(chat_id)
        if known:
            return known["type"]
        if isinstance(chat_id, str):
            return "channel"
        if chat_id == user_id or chat_id > 0:
            return "private"
        return "supergroup" if chat_id < SUPERGROUP_ID_BELOW else "group"

    def chat_dict(self, chat_id: Any) -> dict[str, Any]:
        """The Chat object of ``chat_id`` as Telegram would describe it."""
        with self.cond:
            chat = self.chats.get(chat_id)
        if chat:
            return dict(chat)
        if isinstance(chat_id, str):
            return {
                "id": -1000000000000 - abs(hash(chat_id)) % 10**9,
                "type": "channel",
                "title": chat_id,
                "username": chat_id.lstrip("@"),
            }
        kind = self.chat_type(chat_id)
        if kind == "private":
            return {"id": chat_id, "type": "private", "first_name": "用户"}
        return {"id": chat_id, "type": kind, "title": "测试群"}

    def new_message(
        self,
        chat: dict[str, Any],
        sender: dict[str, Any] | None,
        *,
        sender_chat: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A Message skeleton (id, from, sender_chat, chat, date) in ``chat``; ``sender`` None for
        channel posts, which have no ``from``."""
        msg: dict[str, Any] = {"message_id": self.next_message_id(chat["id"])}
        if sender is not None:
            msg["from"] = sender
        if sender_chat is not None:
            msg["sender_chat"] = sender_chat
        msg["chat"] = chat
        msg["date"] = int(time.time())
        return msg

    def record_user_message(self, msg: dict[str, Any]) -> None:
        """Keep a message a human (or another bot, or a channel) sent, for replies and edits."""
        with self.cond:
            self.user_msgs[(msg["chat"]["id"], msg["message_id"])] = msg
            self.user_messages.append(msg)

    def record_bot_message(self, sm: SentMessage) -> None:
        with self.cond:
            self.sent.append(sm)
            self.bot_msgs[(sm.chat_id, sm.message_id)] = sm

    def knows_message(self, chat_id: Any, message_id: int) -> bool:
        with self.cond:
            return (chat_id, message_id) in self.user_msgs or (chat_id, message_id) in self.bot_msgs

    def replied_message(self, chat_id: Any, message_id: int) -> dict[str, Any]:
        """What Telegram puts in ``reply_to_message``: the full earlier message when known."""
        with self.cond:
            bot_msg = self.bot_msgs.get((chat_id, message_id))
            if bot_msg is not None:
                return self.message_dict(bot_msg, with_reply=False)
            user_msg = self.user_msgs.get((chat_id, message_id))
        if user_msg is not None:
            return {k: v for k, v in user_msg.items() if k != "reply_to_message"}
        return {"message_id": message_id, "date": 0, "chat": self.chat_dict(chat_id)}

    # ------------------------------------------------------------------ the bot's messages
    def message_dict(self, sm: SentMessage, *, with_reply: bool = True) -> dict[str, Any]:
        """The Message object Telegram returns for (and shows of) a message the bot sent."""
        d: dict[str, Any] = {
            "message_id": sm.message_id,
            "from": self.bot_sender,
            "chat": self.chat_dict(sm.chat_id),
            "date": sm.date,
        }
        if sm.edited_texts:
            d["edit_date"] = int(time.time())
        ents = public_entities(sm.entities)
        if sm.method == "sendMessage":
            d["text"] = sm.plain
            if ents:
                d["entities"] = ents
        else:
            if sm.caption is not None:
                d["caption"] = sm.plain
                if ents:
                    d["caption_entities"] = ents
            d.update(_media_fields(sm))
        if sm.reply_markup and "inline_keyboard" in sm.reply_markup:
            d["reply_markup"] = sm.reply_markup
        if with_reply and sm.reply_to_message_id is not None:
            d["reply_to_message"] = self.replied_message(sm.chat_id, sm.reply_to_message_id)
        return d


def _media_fields(sm: SentMessage) -> dict[str, Any]:
    base = {"file_id": sm.file_id, "file_unique_id": sm.file_unique_id or "u0"}
    size = sm.file_size
    if sm.method == "sendPhoto":
        return {"photo": [{**base, "width": 800, "height": 600, "file_size": size}]}
    if sm.method == "sendDocument":
        doc = {**base, "file_size": size, "mime_type": sm.mime_type or "application/octet-stream"}
        if sm.filename:
            doc["file_name"] = sm.filename
        return {"document": doc}
    if sm.method == "sendSticker":
        return {
            "sticker": {
                **base,
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            }
        }
    key = sm.method[4:].lower()  # sendAudio -> audio ...
    extra: dict[str, Any] = {"duration": 1}
    if key in ("video", "animation"):
        extra.update(width=320, height=240)
    return {key: {**base, **extra, "file_size": size}}
