"""The Bot API methods the bot calls, dispatched by name.

Every call is logged (``store.calls``), held by an injected delay, checked against injected
failures and closed chats (:class:`~bot.emulator.limits.Faults`), then answered by its method.
A refusal is recorded in ``store.rejected`` and as a 'rejected' event; an unknown method answers
``True`` (setMyDescription and the like need nothing more).
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from typing import Any

from bot.emulator.files import FileStore
from bot.emulator.limits import SEND_METHODS, Faults
from bot.emulator.messages import Messaging, require_chat
from bot.emulator.refusals import MAX_CALLBACK_ANSWER, QUERY_TOO_OLD, ApiError, error_body
from bot.emulator.store import MessageStore
from bot.emulator.updates import UpdateQueue
from bot.emulator.webhooks import Webhooks

__all__ = ["BotApi"]

Files = dict[str, tuple[str | None, bytes]]

# answered without a 'rejected' event: polling and start-up noise, not something the bot "did"
_QUIET = ("getupdates", "getme", "getfile")
_NO_GIFTS = {
    "unlimited_gifts": False,
    "limited_gifts": False,
    "unique_gifts": False,
    "premium_subscription": False,
    "gifts_from_channels": False,
}


def scope_key(scope: Any) -> str:
    """A hashable key for a BotCommandScope (dict or JSON string); 'default' when absent."""
    if not scope:
        return "default"
    if isinstance(scope, str):
        with contextlib.suppress(ValueError):
            scope = json.loads(scope)
    if isinstance(scope, dict):
        return json.dumps(scope, sort_keys=True)
    return str(scope)


class BotApi:
    """Dispatch of ``/bot<token>/<method>`` calls."""

    def __init__(
        self,
        store: MessageStore,
        queue: UpdateQueue,
        files: FileStore,
        faults: Faults,
        messaging: Messaging,
        webhooks: Webhooks,
    ) -> None:
        self.store = store
        self.queue = queue
        self.files = files
        self.faults = faults
        self.messaging = messaging
        self.webhooks = webhooks
        self.cond = store.cond
        m = messaging
        self._methods = {
            "getme": lambda p, f: dict(store.bot_user),
            "getupdates": lambda p, f: queue.get_updates(p),
            "setwebhook": lambda p, f: webhooks.set_webhook(p),
            "deletewebhook": lambda p, f: webhooks.delete_webhook(p),
            "getwebhookinfo": lambda p, f: webhooks.info(p),
            "editmessagetext": lambda p, f: m.edit_text(p),
            "editmessagecaption": lambda p, f: m.edit_caption(p),
            "editmessagereplymarkup": lambda p, f: m.edit_reply_markup(p),
            "deletemessage": lambda p, f: m.delete(p),
            "getfile": lambda p, f: files.get_file(p),
            "answercallbackquery": self.answer_callback_query,
            "sendchataction": self.send_chat_action,
            "setmycommands": self.set_my_commands,
            "getmycommands": self.get_my_commands,
            "deletemycommands": self.delete_my_commands,
            "getchat": self.get_chat,
            "getchatmember": self.get_chat_member,
        }

    def call(self, method: str, params: dict[str, Any], files: Files) -> tuple[int, dict]:
        """Answer one call: (HTTP status, JSON body)."""
        lname = method.lower()
        logged = dict(params)
        for k, (fname, data) in files.items():
            logged[k] = {"filename": fname, "size": len(data)}
        with self.cond:
            self.store.calls.append((method, logged))
        seconds = self.faults.delay_for(lname)
        if seconds:
            time.sleep(seconds)
        try:
            chat_id = params.get("chat_id")
            with self.cond:
                known = chat_id in self.store.chats
            self.faults.check(lname, chat_id, known_chat=known)
            handler = self._methods.get(lname)
            if handler is not None:
                result = handler(params, files)
            elif lname in SEND_METHODS:
                field = SEND_METHODS[lname]
                canonical = "sendMessage" if field is None else "send" + field.capitalize()
                result = self.messaging.send(canonical, params, files)
            else:
                result = True
        except ApiError as err:
            self._refused(method, lname, logged, params, err)
            return err.code, error_body(err.code, err.description, err.parameters)
        return 200, {"ok": True, "result": result}

    def _refused(
        self, method: str, lname: str, logged: dict, params: dict, err: ApiError
    ) -> None:
        with self.cond:
            if lname == "getupdates" and err.code == 409:
                self.store.conflicts.append(err.description)  # a superseded long poll
                return
            self.store.rejected.append((method, logged, err.description))
        if lname not in _QUIET:
            self.store.emit(
                "rejected",
                None,
                {
                    "method": method,
                    "chat_id": params.get("chat_id"),
                    "error_code": err.code,
                    "description": err.description,
                },
            )

    # ------------------------------------------------------------------ small methods
    def answer_callback_query(self, params: dict[str, Any], files: Files) -> bool:
        """answerCallbackQuery: once per press; 400 "query is too old…" for an unknown or
        already answered query, 400 MESSAGE_TOO_LONG for a text over 200 characters."""
        qid = str(params.get("callback_query_id") or "")
        text = params.get("text")
        with self.cond:
            q = self.store.open_queries.pop(qid, None)
            if q is None:
                raise ApiError(400, QUERY_TOO_OLD)
            if text is not None and len(text) > MAX_CALLBACK_ANSWER:
                self.store.open_queries[qid] = q
                raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
            record = {**params, "callback_query_id": qid, "user_id": q["user_id"], "data": q["data"]}
            self.store.answered_callbacks.append(record)
        self.store.emit("answer", None, record)
        return True

    def send_chat_action(self, params: dict[str, Any], files: Files) -> bool:
        chat_id = require_chat(params)
        with self.cond:
            self.store.chat_actions.append((chat_id, params.get("action", "")))
        return True

    def set_my_commands(self, params: dict[str, Any], files: Files) -> bool:
        """setMyCommands: at most 100 commands of [a-z0-9_]{1,32} with 1-256 character
        descriptions, per scope and language."""
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        if len(commands) > 100:
            raise ApiError(400, "Bad Request: too many commands")
        for c in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(c.get("command", ""))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(c.get("description", "")).strip()) <= 256:
                raise ApiError(400, "Bad Request: command description must be non-empty")
        scope = params.get("scope")
        lang = params.get("language_code") or ""
        with self.cond:
            self.store.commands.append({"commands": commands, "scope": scope, "language_code": lang})
            self.store.current_commands[(scope_key(scope), lang)] = commands
        return True

    def get_my_commands(self, params: dict[str, Any], files: Files) -> list:
        key = (scope_key(params.get("scope")), params.get("language_code") or "")
        with self.cond:
            return list(self.store.current_commands.get(key, []))

    def delete_my_commands(self, params: dict[str, Any], files: Files) -> bool:
        key = (scope_key(params.get("scope")), params.get("language_code") or "")
        with self.cond:
            self.store.current_commands.pop(key, None)
        return True

    def get_chat(self, params: dict[str, Any], files: Files) -> dict[str, Any]:
        """getChat: a ChatFullInfo (with the fields Bot API 9 makes mandatory)."""
        chat_id = require_chat(params)
        with self.cond:
            if self.faults.unknown_chat_error and chat_id not in self.store.chats:
                raise ApiError(400, "Bad Request: chat not found")
        chat = self.store.chat_dict(chat_id)
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": dict(_NO_GIFTS),
        }

    def get_chat_member(self, params: dict[str, Any], files: Files) -> dict[str, Any]:
        """getChatMember: every user is a plain member (the bot itself included)."""
        uid = int(params.get("user_id") or 0)
        with self.cond:
            if uid == self.store.bot_user["id"]:
                user = dict(self.store.bot_sender)
            else:
                user = self.store.users.get(uid) or {"id": uid, "is_bot": False, "first_name": "用户"}
        return {"status": "member", "user": user}
