"""The bot's messages: sendMessage and the media sends, editMessageText/Caption/ReplyMarkup and
deleteMessage, each refused as Telegram refuses it (see :mod:`bot.emulator.refusals`), each
recorded in the store as an event tests can wait for.
"""

from __future__ import annotations

import re
import time
from typing import Any

from bot.emulator.entities import public_entities
from bot.emulator.files import FileStore, guess_mime
from bot.emulator.limits import SEND_METHODS, RateLimiter
from bot.emulator.refusals import NOT_MODIFIED, ApiError, check_markup, check_text
from bot.emulator.store import MessageStore, SentMessage

__all__ = ["Messaging"]

Files = dict[str, tuple[str | None, bytes]]


def require_chat(params: dict[str, Any]) -> Any:
    """The ``chat_id`` parameter, or 400 "chat_id is empty"."""
    chat_id = params.get("chat_id")
    if chat_id is None or chat_id == "":
        raise ApiError(400, "Bad Request: chat_id is empty")
    return chat_id


class Messaging:
    """Sends, edits and deletes of the bot's own messages."""

    def __init__(
        self, store: MessageStore, files: FileStore, limiter: RateLimiter, *, strict_html: bool
    ) -> None:
        self.store = store
        self.files = files
        self.limiter = limiter
        self.strict_html = strict_html
        self.cond = store.cond

    # ------------------------------------------------------------------ sending
    def send(self, method: str, params: dict[str, Any], files: Files) -> dict[str, Any]:
        """sendMessage / sendDocument / sendPhoto / sendAudio / sendVideo / sendVoice /
        sendAnimation / sendSticker: the sent Message, or an :class:`ApiError`."""
        chat_id = require_chat(params)
        field = SEND_METHODS[method.lower()]
        parse_mode = params.get("parse_mode")
        markup = params.get("reply_markup")
        text = caption = None
        content: bytes | None = None
        filename: str | None = None
        if field is None:
            text = params.get("text")
            plain, entities = check_text(text, parse_mode, what="text", strict_html=self.strict_html)
        else:
            caption = params.get("caption")
            plain, entities = ("", [])
            if caption is not None:
                plain, entities = check_text(
                    caption, parse_mode, what="caption", strict_html=self.strict_html
                )
            filename, content = self._media(field, params.get(field), files)
        buttons = check_markup(markup)
        with self.cond:
            reply_to = self._reply_target(params, chat_id)
            self.limiter.check(
                chat_id, group=self.store.chat_type(chat_id) in ("group", "supergroup")
            )
            sm = SentMessage(
                message_id=self.store.next_message_id(chat_id),
                chat_id=chat_id,
                text=text,
                plain=plain,
                parse_mode=parse_mode,
                reply_markup=markup,
                buttons=buttons,
                method=method,
                filename=filename,
                caption=caption,
                date=int(time.time()),
                entities=entities,
                reply_to_message_id=reply_to,
                params=dict(params),
            )
            if field is not None:
                self._attach(sm, field, params.get(field), content)
            self.store.record_bot_message(sm)
            self.store.emit("sent", sm)
            return self.store.message_dict(sm)

    def _media(self, field: str, value: Any, files: Files) -> tuple[str | None, bytes | None]:
        """(file name, content) of the media in a send: an upload, a known file id or a URL."""
        if isinstance(value, str) and value.startswith("attach://"):
            filename, content = files.get(value[len("attach://") :], (None, None))
        elif field in files:
            filename, content = files[field]
        elif value is None:
            raise ApiError(400, f"Bad Request: there is no {field} in the request")
        else:
            f = self.files.get(str(value))
            if f is not None:
                return f.file_name, f.content
            if isinstance(value, str) and re.match(r"https?://", value):
                return value.rsplit("/", 1)[-1], None
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        if content is None:
            raise ApiError(400, f"Bad Request: there is no {field} in the request")
        if len(content) == 0:
            raise ApiError(400, "Bad Request: file must be non-empty")
        return filename, content

    def _attach(self, sm: SentMessage, field: str, value: Any, content: bytes | None) -> None:
        uploaded = not isinstance(value, str) or value.startswith("attach://")
        if content is not None and uploaded:
            mime = guess_mime(sm.filename or "")
            f = self.files.add(content, field + "s", name=sm.filename, mime=mime)
        else:
            f = self.files.get(str(value))
        sm.file_id = f.file_id if f else str(value)
        sm.file_unique_id = f.file_unique_id if f else None
        sm.file_size = f.size if f else 0
        sm.mime_type = (f.mime_type if f else None) or guess_mime(sm.filename or "")
        if field == "document":
            sm.document = content
        elif field == "photo":
            sm.photo = content
        else:
            sm.document = content

    def _reply_target(self, params: dict[str, Any], chat_id: Any) -> int | None:
        rp = params.get("reply_parameters")
        mid = None
        allow = bool(params.get("allow_sending_without_reply"))
        if isinstance(rp, dict):
            mid = rp.get("message_id")
            allow = allow or bool(rp.get("allow_sending_without_reply"))
            chat_id = rp.get("chat_id", chat_id)
        elif params.get("reply_to_message_id") is not None:
            mid = params.get("reply_to_message_id")
        if mid is None:
            return None
        known = self.store.knows_message(chat_id, int(mid))
        if not known and not allow:
            raise ApiError(400, "Bad Request: message to be replied not found")
        return int(mid) if known else None

    # ------------------------------------------------------------------ editing
    def _target(self, params: dict[str, Any]) -> SentMessage:
        if params.get("inline_message_id"):
            raise ApiError(400, "Bad Request: inline messages are not supported by the emulator")
        chat_id = require_chat(params)
        mid = params.get("message_id")
        if mid is None:
            raise ApiError(400, "Bad Request: message identifier is not specified")
        sm = self.store.bot_msgs.get((chat_id, int(mid)))
        if sm is None or sm.deleted:
            if (chat_id, int(mid)) in self.store.user_msgs:
                raise ApiError(400, "Bad Request: message can't be edited")
            raise ApiError(400, "Bad Request: message to edit not found")
        return sm

    def edit_text(self, params: dict[str, Any]) -> dict[str, Any]:
        """editMessageText; 400 "message is not modified" when nothing changes."""
        markup = params.get("reply_markup")
        buttons = check_markup(markup)
        with self.cond:
            sm = self._target(params)
            if sm.method != "sendMessage":
                raise ApiError(400, "Bad Request: there is no text in the message to edit")
            text = params.get("text")
            plain, entities = check_text(
                text, params.get("parse_mode"), what="text", strict_html=self.strict_html
            )
            if (
                plain == sm.plain
                and public_entities(entities) == public_entities(sm.entities)
                and (markup or None) == (sm.reply_markup or None)
            ):
                raise ApiError(400, NOT_MODIFIED)
            sm.text, sm.plain, sm.entities = text, plain, entities
            sm.parse_mode = params.get("parse_mode")
            sm.reply_markup, sm.buttons = markup, buttons
            sm.edited_texts.append(text)
            self.store.emit("edit", sm)
            return self.store.message_dict(sm)

    def edit_caption(self, params: dict[str, Any]) -> dict[str, Any]:
        """editMessageCaption of a media message."""
        markup = params.get("reply_markup")
        buttons = check_markup(markup)
        with self.cond:
            sm = self._target(params)
            if sm.method == "sendMessage":
                raise ApiError(400, "Bad Request: there is no caption in the message to edit")
            caption = params.get("caption")
            plain, entities = check_text(
                caption, params.get("parse_mode"), what="caption", strict_html=self.strict_html
            )
            if plain == sm.plain and (markup or None) == (sm.reply_markup or None):
                raise ApiError(400, "Bad Request: message is not modified")
            sm.caption, sm.plain, sm.entities = caption, plain, entities
            sm.reply_markup, sm.buttons = markup, buttons
            sm.edited_texts.append(caption or "")
            self.store.emit("edit", sm)
            return self.store.message_dict(sm)

    def edit_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        """editMessageReplyMarkup (an empty markup removes the buttons)."""
        markup = params.get("reply_markup")
        buttons = check_markup(markup)
        with self.cond:
            sm = self._target(params)
            if (markup or None) == (sm.reply_markup or None):
                raise ApiError(400, NOT_MODIFIED)
            sm.reply_markup, sm.buttons = markup, buttons
            self.store.emit("edit", sm)
            return self.store.message_dict(sm)

    def delete(self, params: dict[str, Any]) -> bool:
        """deleteMessage of the bot's or a user's message."""
        with self.cond:
            chat_id = require_chat(params)
            mid = int(params.get("message_id") or 0)
            sm = self.store.bot_msgs.get((chat_id, mid))
            if sm is not None and not sm.deleted:
                sm.deleted = True
            elif (chat_id, mid) in self.store.user_msgs:
                self.store.user_msgs.pop((chat_id, mid))
            else:
                raise ApiError(400, "Bad Request: message to delete not found")
            self.store.deleted.append((chat_id, mid))
            self.store.emit("delete", sm, {"chat_id": chat_id, "message_id": mid})
            return True
