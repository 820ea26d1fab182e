"""``BotApiEmulator``: the components wired together, and the short public surface tests and the
console use.  Each public method is one line here, forwarded to the component that owns the
concern; its documentation lives there (``help(emu.user_message)`` shows it).

Components (one module each): the HTTP front (http), the update queue and long polling (updates),
the message store (store), what the bot may call (api, messages), Telegram's refusals and limits
(refusals, limits), files (files), webhooks (webhooks), the user side (users, groups) and
observation (observe).
"""

from __future__ import annotations

import functools
import json
import re
import threading
import urllib.parse
from collections.abc import Callable
from typing import Any, TypeVar

from bot.emulator.api import BotApi, scope_key
from bot.emulator.files import FileStore
from bot.emulator.groups import GroupSide
from bot.emulator.http import HttpFront, decode_params
from bot.emulator.limits import Faults, RateLimiter
from bot.emulator.messages import Messaging
from bot.emulator.observe import Observer
from bot.emulator.refusals import QUERY_TOO_OLD, error_body
from bot.emulator.store import Event, MessageStore, SentMessage
from bot.emulator.updates import UpdateQueue
from bot.emulator.users import UserSide
from bot.emulator.webhooks import Webhooks

__all__ = ["BotApiEmulator"]

F = TypeVar("F", bound=Callable[..., Any])


def _forward(component: str, func: F) -> F:
    """A method of the emulator that calls ``func`` on the component in ``self.<component>``."""

    @functools.wraps(func)
    def method(self: BotApiEmulator, *args: Any, **kwargs: Any) -> Any:
        return func(getattr(self, component), *args, **kwargs)

    return method  # type: ignore[return-value]


class BotApiEmulator:
    """An in-process Telegram Bot API on 127.0.0.1.

    Point python-telegram-bot at it with ``base_url(emu.base_url)`` and
    ``base_file_url(emu.base_file_url)``.  It refuses what real Telegram refuses, can inject
    403/429/any failure and Telegram's flood limits, emulates long polling with offsets and
    re-delivery, delivers to webhooks, and records everything the bot did::

        with BotApiEmulator() as emu:
            ...start the Application...
            emu.user_message(1, "/start")
            msg = emu.wait_for(chat_id=1, contains="欢迎")
            emu.press(1, msg, msg.buttons[0][0][1])

    ``first_update_id``: where update ids start (pick one above any id a bot already processed
    on the same database, e.g. derived from the clock).
    Known simplifications: the HTML parser refuses a bare ``&`` (Telegram keeps it); message
    ids are per chat; texts are passed as given (Telegram trims them and drops empty ones); no
    inline mode, payments, media groups, forwards or copies.
    """

    def __init__(
        self,
        token: str = "123456:TEST-token",
        bot_username: str = "shuangyong_test_bot",
        bot_id: int = 999,
        *,
        bot_first_name: str = "双拥助手",
        host: str = "127.0.0.1",
        port: int = 0,
        strict_html: bool = True,
        first_update_id: int = 1000,
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_id = bot_id
        self.bot_user = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.host = host
        self.port = 0
        self._want_port = port
        cond = threading.Condition(threading.RLock())
        self._store = MessageStore(cond, self.bot_user)
        self._queue = UpdateQueue(cond, self._store.mark, first_update_id)
        self._files = FileStore(cond, token)
        self._faults = Faults(cond)
        self._limiter = RateLimiter(cond)
        self._webhooks = Webhooks(cond, self._queue)
        messaging = Messaging(self._store, self._files, self._limiter, strict_html=strict_html)
        self._api = BotApi(
            self._store, self._queue, self._files, self._faults, messaging, self._webhooks
        )
        self._users = UserSide(self._store, self._queue, self._files, self._faults)
        self._groups = GroupSide(self._store, self._queue, self._users, self._faults)
        self._observer = Observer(self._store, self._queue)
        self._front: HttpFront | None = None

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> BotApiEmulator:
        """Serve on ``host``:``port`` (an ephemeral port by default)."""
        if self._front is None:
            self._queue.restart()
            self._front = HttpFront(self._http, self._may_block, self.host, self._want_port)
            self.port = self._front.start()
        return self

    def stop(self) -> None:
        """Release long polls and stop serving."""
        self._queue.stop()
        if self._front is not None:
            self._front.stop()
            self._front = None

    def __enter__(self) -> BotApiEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url`` / TELEGRAM_BASE_URL."""
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``ApplicationBuilder().base_file_url``."""
        return f"http://{self.host}:{self.port}/file/bot"

    def _http(self, target: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes, str]:
        """One HTTP request -> (status, body, content type)."""
        path = urllib.parse.unquote(urllib.parse.urlsplit(target).path)
        if path.startswith("/file/bot"):
            return self._files.download(path[len("/file/bot") :])
        m = re.fullmatch(r"/bot([^/]*)/([A-Za-z0-9_]+)", path)
        if not m:
            status, payload = 404, error_body(404, "Not Found")
        elif m.group(1) != self.token:
            status, payload = 401, error_body(401, "Unauthorized")
        else:
            try:
                query = urllib.parse.urlsplit(target).query
                params, files = decode_params(headers.get("content-type", ""), body, query)
            except Exception as exc:  # noqa: BLE001 - a malformed body: Telegram answers 400
                status, payload = 400, error_body(400, f"Bad Request: {exc}")
            else:
                status, payload = self._api.call(m.group(2), params, files)
        try:
            data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate echoed back: escape it, stay valid JSON
            data = json.dumps(payload).encode("ascii")
        return status, data, "application/json"

    def _may_block(self, target: str) -> bool:
        return bool(self._faults.delay_seconds) or target.lower().split("?")[0].endswith(
            "/getupdates"
        )

    # ---------------------------------------------------------------- the user side (users.py)
    user_message = _forward("_users", UserSide.user_message)
    user_photo = _forward("_users", UserSide.user_photo)
    user_document = _forward("_users", UserSide.user_document)
    user_sticker = _forward("_users", UserSide.user_sticker)
    edited_message = _forward("_users", UserSide.edited_message)
    press = _forward("_users", UserSide.press)
    press_button = _forward("_users", UserSide.press_button)
    block = _forward("_users", UserSide.block)
    unblock = _forward("_users", UserSide.unblock)

    # ---------------------------------------------------------------- groups (groups.py)
    new_group = _forward("_groups", GroupSide.new_group)
    add_bot_to_group = _forward("_groups", GroupSide.add_bot_to_group)
    remove_bot_from_group = _forward("_groups", GroupSide.remove_bot_from_group)
    mention_other_bot = _forward("_groups", GroupSide.mention_other_bot)
    bot_message = _forward("_groups", GroupSide.bot_message)
    anonymous_admin_message = _forward("_groups", GroupSide.anonymous_admin_message)
    channel_post = _forward("_groups", GroupSide.channel_post)
    migrate_to_supergroup = _forward("_groups", GroupSide.migrate_to_supergroup)

    @property
    def other_bot_username(self) -> str:
        """A different bot's username that starts with ours (for mention tests)."""
        return self._groups.other_bot_username

    # ---------------------------------------------------------------- raw updates (updates.py)
    inject = _forward("_queue", UpdateQueue.inject)
    pending_updates = _forward("_queue", UpdateQueue.pending)
    delivered = _forward("_queue", UpdateQueue.delivered)

    @property
    def last_update(self) -> dict[str, Any] | None:
        """The update queued last."""
        return self._queue.last_update

    # ---------------------------------------------------------------- refusals and limits
    fail_next = _forward("_faults", Faults.fail_next)

    def rate_limit(
        self,
        global_per_second: float | None = 30,
        per_chat_per_second: float | None = None,
        group_per_minute: float | None = None,
    ) -> None:
        """Refuse sends beyond these rates with 429 and ``retry_after`` (sliding windows),
        counted in ``self_inflicted_429``; ``rate_limit(None)`` switches every limit off."""
        self._limiter.configure(global_per_second, per_chat_per_second, group_per_minute)

    def telegram_limits(self) -> None:
        """Telegram's flood limits: 30 messages/s overall, 1/s per chat, 20/min per group."""
        self._limiter.configure(30, 1, 20)

    def refuse_callback_answers(self, count: int = 1) -> None:
        """The next ``count`` answerCallbackQuery calls get 400 "query is too old and response
        timeout expired or query ID is invalid", as when the bot answers a press too late."""
        self._faults.fail_next("answerCallbackQuery", count, error_code=400,
                               description=QUERY_TOO_OLD)

    def upgraded_unseen(self, chat_id: int, new_chat_id: int) -> None:
        """Group ``chat_id`` became supergroup ``new_chat_id`` without the bot seeing the service
        messages (they came while it was down for longer than Telegram keeps updates): from now on
        writes to the old id get 400 with ``migrate_to_chat_id``, which is all the bot learns."""
        self._faults.migrate(chat_id, new_chat_id)

    def delay(self, seconds: float, method: str | None = None) -> None:
        """Answer every call (or only ``method``) ``seconds`` late; 0 switches it off."""
        self._faults.set_delay(seconds, method)

    @property
    def self_inflicted_429(self) -> int:
        """How many sends the flood limits refused."""
        return self._limiter.refused

    @property
    def unknown_chat_error(self) -> bool:
        """When True, sends to a chat never seen are refused with 400 "chat not found"."""
        return self._faults.unknown_chat_error

    @unknown_chat_error.setter
    def unknown_chat_error(self, value: bool) -> None:
        self._faults.unknown_chat_error = value

    # ---------------------------------------------------------------- observation (observe.py)
    to = _forward("_observer", Observer.to)
    last = _forward("_observer", Observer.last)
    last_with_buttons = _forward("_observer", Observer.last_with_buttons)
    message = _forward("_observer", Observer.message)
    mark = _forward("_observer", Observer.mark)
    calls_to = _forward("_observer", Observer.calls_to)
    wait_for = _forward("_observer", Observer.wait_for)
    events_after = _forward("_observer", Observer.events_after)
    wait_idle = _forward("_observer", Observer.wait_idle)
    replies = _forward("_observer", Observer.replies)
    describe = _forward("_observer", Observer.describe)
    file_bytes = _forward("_files", FileStore.content)

    @property
    def sent(self) -> list[SentMessage]:
        """Every message the bot sent, oldest first."""
        return self._observer.sent()

    @property
    def events(self) -> list[Event]:
        """Every event (sent, edit, delete, answer, rejected), oldest first."""
        return self._observer.events()

    def current_commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]] | None:
        """The command menu last set for ``scope`` and language (None if never set)."""
        with self._store.cond:
            return self._store.current_commands.get((scope_key(scope), language_code or ""))

    # the record of the bot's calls: lists tests read directly
    calls = property(lambda self: self._store.calls, doc="(method, params) of every call.")
    rejected = property(lambda self: self._store.rejected,
                        doc="(method, params, description) of every refused call.")
    conflicts = property(lambda self: self._store.conflicts, doc="getUpdates 409 descriptions.")
    answered_callbacks = property(lambda self: self._store.answered_callbacks,
                                  doc="Every accepted answerCallbackQuery (with user_id, data).")
    commands = property(lambda self: self._store.commands, doc="Every setMyCommands call.")
    deleted = property(lambda self: self._store.deleted, doc="(chat_id, message_id) deleted.")
    chat_actions = property(lambda self: self._store.chat_actions, doc="(chat_id, action).")
    user_messages = property(lambda self: self._store.user_messages,
                             doc="Every message users (and other senders) sent.")

    def _user_message_dict(self, user_id: int, *, chat_id: int | str | None = None,
                           chat_type: str | None = "private", first_name: str | None = None,
                           username: str | None = None, reply_to: SentMessage | int | None = None,
                           title: str | None = None) -> dict[str, Any]:
        """A message skeleton from ``user_id``, not queued (kept for older tests; prefer
        ``user_message`` or ``inject``)."""
        return self._users.new_message(user_id, chat_id=chat_id, chat_type=chat_type,
                                       first_name=first_name, username=username,
                                       reply_to=reply_to, title=title)
