"""The user side: what people do in Telegram, turned into the updates Telegram sends the bot.

Typing (``user_message``), uploading (``user_document``, ``user_photo``, ``user_sticker``),
editing an earlier message (``edited_message``), pressing an inline button (``press``), blocking
and unblocking the bot (``block``/``unblock`` with ``notify=True``: my_chat_member).  Shapes follow
the Bot API's Update, Message, CallbackQuery and ChatMemberUpdated objects; every update built
here parses with python-telegram-bot's ``Update.de_json`` without unknown fields
(tests/test_emulator.py checks each kind).

What no Telegram client can send is refused: a text that is not valid Unicode raises ValueError.
A text over 4096 UTF-16 units is delivered whole unless ``split=True`` asks for what clients do
(several messages), so tests can still try over-long input.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from bot.emulator.entities import has_lone_surrogate, split_text, text_entities
from bot.emulator.files import FileStore, guess_mime
from bot.emulator.limits import Faults
from bot.emulator.refusals import BLOCKED, MAX_DOWNLOAD_BYTES
from bot.emulator.store import MessageStore, SentMessage
from bot.emulator.updates import UpdateQueue

__all__ = ["UserSide", "chat_member"]

PHOTO_SIZES = ((90, 68), (320, 240), (800, 600), (1280, 960))

_ADMIN_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_pin_messages": True,
}


def chat_member(user: dict[str, Any], status: str) -> dict[str, Any]:
    """A ChatMember of ``status`` (member, administrator, left, kicked) as Telegram sends it: a
    kicked member always carries ``until_date`` (0 = for ever), an administrator its rights."""
    member: dict[str, Any] = {"user": user, "status": status}
    if status == "kicked":
        member["until_date"] = 0
    elif status == "administrator":
        member.update(_ADMIN_RIGHTS)
    return member


class UserSide:
    """Humans acting in private chats (and, given a ``chat_id``, in groups)."""

    def __init__(
        self, store: MessageStore, queue: UpdateQueue, files: FileStore, faults: Faults
    ) -> None:
        self.store = store
        self.queue = queue
        self.files = files
        self.faults = faults
        self.cond = store.cond
        self._query_seq = itertools.count(1)

    # ------------------------------------------------------------------ building blocks
    def new_message(
        self,
        user_id: int,
        *,
        chat_id: int | str | None = None,
        chat_type: str | None = None,
        first_name: str | None = None,
        username: str | None = None,
        reply_to: SentMessage | int | None = None,
        title: str | None = None,
    ) -> dict[str, Any]:
        """A Message skeleton from ``user_id`` in their private chat or in ``chat_id`` (type
        from ``chat_type``, else from the registered chat or its id), optionally a reply.
        ValueError for a group that was upgraded to a supergroup (it no longer exists)."""
        user = self.store.user(user_id, first_name, username)
        cid = user_id if chat_id is None else chat_id
        with self.cond:
            upgraded = self.faults.migrated.get(cid)
        if upgraded is not None:
            raise ValueError(f"group {cid} became supergroup {upgraded}: write there")
        kind = chat_type or self.store.chat_type(cid, user_id)
        if kind == "private":
            chat = self.store.private_chat({**user, "id": cid})
        else:
            chat = self.store.group_chat(cid, kind, title)
        msg = self.store.new_message(chat, user)
        if reply_to is not None:
            rid = reply_to.message_id if isinstance(reply_to, SentMessage) else int(reply_to)
            msg["reply_to_message"] = self.store.replied_message(cid, rid)
        return msg

    def deliver(self, msg: dict[str, Any]) -> dict[str, Any]:
        """Record ``msg`` and queue it as the update Telegram sends for it (``channel_post`` in a
        channel, ``message`` elsewhere); returns the update."""
        self.store.record_user_message(msg)
        kind = "channel_post" if msg["chat"]["type"] == "channel" else "message"
        return self.queue.inject({kind: msg})

    # ------------------------------------------------------------------ typing and uploading
    def user_message(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | str | None = None,
        chat_type: str | None = None,
        first_name: str | None = None,
        username: str | None = None,
        reply_to: SentMessage | int | None = None,
        title: str | None = None,
        split: bool = False,
    ) -> dict[str, Any]:
        """The user types ``text`` in their private chat (or in ``chat_id``); a /command gets a
        bot_command entity, an @username a mention; returns the update.  With ``split=True`` a
        text over 4096 UTF-16 units arrives as several messages, as Telegram clients send it
        (returns the last update); by default it is delivered whole, so tests can try it.
        Raises ValueError for a text with lone surrogates, which no client can send."""
        if has_lone_surrogate(text):
            raise ValueError("text is not valid Unicode (lone surrogate): Telegram cannot carry it")
        update: dict[str, Any] = {}
        for piece in split_text(text) if split else [text]:
            msg = self.new_message(
                user_id,
                chat_id=chat_id,
                chat_type=chat_type,
                first_name=first_name,
                username=username,
                reply_to=reply_to,
                title=title,
            )
            msg["text"] = piece
            entities = text_entities(piece)
            if entities:
                msg["entities"] = entities
            update = self.deliver(msg)
        return update

    def user_photo(
        self,
        user_id: int,
        caption: str | None = None,
        chat_id: int | str | None = None,
        *,
        content: bytes = b"\x89PNG\r\n\x1a\n-emulated-photo",
        chat_type: str | None = None,
        first_name: str | None = None,
    ) -> dict[str, Any]:
        """The user sends a photo: Telegram delivers it as several PhotoSize entries (90 to 1280
        pixels wide, smallest first), each with its own file id; all download ``content``."""
        msg = self.new_message(user_id, chat_id=chat_id, chat_type=chat_type, first_name=first_name)
        sizes = []
        for width, height in PHOTO_SIZES:
            f = self.files.add(content, "photos", ext=".jpg", mime="image/jpeg")
            sizes.append(
                {
                    "file_id": f.file_id,
                    "file_unique_id": f.file_unique_id,
                    "width": width,
                    "height": height,
                    "file_size": f.size,
                }
            )
        msg["photo"] = sizes
        _add_caption(msg, caption)
        return self.deliver(msg)

    def user_document(
        self,
        user_id: int,
        file_name: str = "a.pdf",
        caption: str | None = None,
        chat_id: int | str | None = None,
        *,
        content: bytes | None = b"%PDF-1.4 emulated document",
        mime_type: str | None = None,
        chat_type: str | None = None,
        size: int | None = None,
        first_name: str | None = None,
    ) -> dict[str, Any]:
        """The user uploads a file of any name, type and size (an empty one too); the bot can
        fetch it with getFile and the file URL (set ``base_file_url`` to ``emu.base_file_url``).
        ``size`` declares a size without content (``content=None``): over 20 MB getFile answers
        "file is too big", as Telegram does; under it the content is that many zero bytes.
        The MIME type is what a client reports for the extension unless ``mime_type`` is given."""
        if content is None:
            size = int(size or 0)
            content = None if size > MAX_DOWNLOAD_BYTES else bytes(size)
        msg = self.new_message(user_id, chat_id=chat_id, chat_type=chat_type, first_name=first_name)
        mime = mime_type or guess_mime(file_name)
        f = self.files.add(content, "documents", name=file_name, mime=mime, size=size)
        msg["document"] = {
            "file_name": file_name,
            "mime_type": mime,
            "file_id": f.file_id,
            "file_unique_id": f.file_unique_id,
            "file_size": f.size,
        }
        _add_caption(msg, caption)
        return self.deliver(msg)

    def user_sticker(
        self,
        user_id: int,
        chat_id: int | str | None = None,
        *,
        emoji: str = "👍",
        chat_type: str | None = None,
    ) -> dict[str, Any]:
        """The user sends a (static) sticker."""
        msg = self.new_message(user_id, chat_id=chat_id, chat_type=chat_type)
        f = self.files.add(b"RIFF-emulated-sticker", "stickers", ext=".webp", mime="image/webp")
        msg["sticker"] = {
            "file_id": f.file_id,
            "file_unique_id": f.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": f.size,
        }
        return self.deliver(msg)

    def edited_message(
        self,
        user_id: int,
        text: str,
        message: int | dict[str, Any],
        *,
        chat_id: int | str | None = None,
    ) -> dict[str, Any]:
        """The user edits an earlier message (a message id in ``chat_id`` or their private chat,
        or the update that sent it): its text — or its caption, for media — becomes ``text``,
        entities recomputed (commands too), ``edit_date`` set; the update is ``edited_message``
        (``edited_channel_post`` in a channel).  An unknown id edits a text message that is
        assumed to exist."""
        if has_lone_surrogate(text):
            raise ValueError("text is not valid Unicode (lone surrogate)")
        if isinstance(message, dict):
            original = message.get("message") or message.get("channel_post") or message
            cid, mid = original["chat"]["id"], original["message_id"]
        else:
            cid, mid = (user_id if chat_id is None else chat_id), int(message)
        with self.cond:
            old = self.store.user_msgs.get((cid, mid))
        if old is not None:
            msg = dict(old)
        else:
            user = self.store.user(user_id)
            kind = self.store.chat_type(cid, user_id)
            chat = (
                self.store.private_chat({**user, "id": cid})
                if kind == "private"
                else self.store.group_chat(cid, kind)
            )
            msg = {"message_id": mid, "from": user, "chat": chat, "date": int(time.time()) - 1}
        key, ents_key = ("text", "entities") if "text" in msg or old is None else (
            "caption", "caption_entities"
        )
        msg[key] = text
        msg.pop(ents_key, None)
        entities = text_entities(text)
        if entities:
            msg[ents_key] = entities
        msg["edit_date"] = int(time.time())
        with self.cond:
            self.store.user_msgs[(cid, mid)] = msg
        kind = "edited_channel_post" if msg["chat"]["type"] == "channel" else "edited_message"
        return self.queue.inject({kind: msg})

    # ------------------------------------------------------------------ buttons
    def press(
        self,
        user_id: int,
        message: SentMessage | int,
        data: str | None = None,
        *,
        chat_id: int | str | None = None,
        first_name: str | None = None,
    ) -> str:
        """The user presses an inline button of a bot message; returns the callback query id.
        ``data`` defaults to the first button's callback data.  A message id the emulator does
        not know arrives as an inaccessible message (date 0), as Telegram sends old ones."""
        with self.cond:
            if isinstance(message, SentMessage):
                sm: SentMessage | None = message
                cid = message.chat_id
            else:
                cid = user_id if chat_id is None else chat_id
                sm = self.store.bot_msgs.get((cid, int(message)))
            if data is None:
                if sm is None or not sm.callback_data:
                    raise ValueError("no data given and the message has no callback buttons")
                data = sm.callback_data[0]
            if sm is not None:
                msg_dict = self.store.message_dict(sm)
            else:
                msg_dict = {"message_id": int(message), "date": 0, "chat": self.store.chat_dict(cid)}
            qid = f"{next(self._query_seq)}{abs(hash((user_id, time.time()))) % 10**6:06d}"
            self.store.open_queries[qid] = {"user_id": user_id, "data": data}
        user = self.store.user(user_id, first_name, None)
        query = {
            "id": qid,
            "from": user,
            "message": msg_dict,
            "chat_instance": f"ci{cid}",
            "data": data,
        }
        self.queue.inject({"callback_query": query})
        return qid

    def press_button(self, user_id: int, message: SentMessage, label: str) -> str:
        """Press the button whose text contains ``label``; returns the callback query id."""
        _text, data = message.button(label)
        if data is None or "://" in data:
            raise ValueError(f"button {label!r} has no callback data")
        return self.press(user_id, message, data)

    # ------------------------------------------------------------------ blocking
    def block(
        self, chat_id: int | str, *, description: str | None = None, notify: bool = False
    ) -> dict[str, Any] | None:
        """The user blocks the bot: sends to ``chat_id`` fail with 403 "bot was blocked by the
        user".  ``notify=True`` also sends what Telegram sends, a my_chat_member update (member ->
        kicked, until_date 0); without it the bot is not told (as when it missed the update).
        Returns the update when one was sent."""
        self.faults.close(chat_id, description or BLOCKED)
        if notify and isinstance(chat_id, int) and chat_id > 0:
            return self.my_chat_member(chat_id, chat_id, "member", "kicked")
        return None

    def unblock(self, chat_id: int | str, *, notify: bool = False) -> dict[str, Any] | None:
        """The user unblocks the bot (sends work again); ``notify=True`` sends my_chat_member
        kicked -> member, as Telegram does.  Returns the update when one was sent."""
        self.faults.reopen(chat_id)
        if notify and isinstance(chat_id, int) and chat_id > 0:
            return self.my_chat_member(chat_id, chat_id, "kicked", "member")
        return None

    def my_chat_member(
        self, chat_id: int | str, actor_id: int, old: str, new: str
    ) -> dict[str, Any]:
        """Queue a my_chat_member update: the bot's status in ``chat_id`` changed from ``old`` to
        ``new`` because of user ``actor_id``."""
        actor = self.store.user(actor_id)
        kind = self.store.chat_type(chat_id, actor_id)
        chat = (
            self.store.private_chat(actor) if kind == "private" else self.store.chat_dict(chat_id)
        )
        bot = self.store.bot_sender
        return self.queue.inject(
            {
                "my_chat_member": {
                    "chat": chat,
                    "from": actor,
                    "date": int(time.time()),
                    "old_chat_member": chat_member(bot, old),
                    "new_chat_member": chat_member(bot, new),
                }
            }
        )


def _add_caption(msg: dict[str, Any], caption: str | None) -> None:
    """A media message's caption and its entities (commands, mentions), as Telegram sends them."""
    if caption is not None:
        msg["caption"] = caption
        entities = text_entities(caption)
        if entities:
            msg["caption_entities"] = entities
