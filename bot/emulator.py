"""A small Telegram Bot API emulator on 127.0.0.1 for end-to-end tests and the offline console.

The real python-telegram-bot ``Application`` talks to it over loopback HTTP exactly as it would
talk to api.telegram.org: point ``TELEGRAM_BASE_URL`` (``ApplicationBuilder().base_url``) at
``emu.base_url`` and, for file downloads, ``base_file_url`` at ``emu.base_file_url``.

It refuses what real Telegram refuses (empty or over-long text, HTML that does not parse,
callback data over 64 bytes, captions over 1024, ...), can inject 403/429/any failure, emulates
long polling with offsets and re-delivery of unconfirmed updates, and records everything the bot
did for assertions.  Standard library only.

Typical use::

    with BotApiEmulator() as emu:
        ...start the Application with base_url=emu.base_url...
        mark = emu.mark()
        emu.user_message(1, "/start")
        msg = emu.wait_for(chat_id=1, contains="欢迎", after=mark)
        emu.press(1, msg, msg.buttons[0][0][1])

Known simplifications: the HTML parser is stricter than Telegram about a bare ``&`` (Telegram
keeps it literally; we refuse it so unescaped user text is caught); message ids are per chat for
every chat type; no inline mode, payments, media groups, forwards or copies.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import email.parser
import email.policy
import itertools
import json
import re
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ApplicationThread",
    "BotApiEmulator",
    "HtmlParseError",
    "SentMessage",
    "Event",
    "parse_html",
    "utf16_len",
]

# --------------------------------------------------------------------------------------------
# Telegram HTML
# --------------------------------------------------------------------------------------------

_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,7}|[a-zA-Z][a-zA-Z0-9]{0,30});")
_TAG_NAME_RE = re.compile(r"[a-zA-Z0-9-]+")
_ATTR_NAME_RE = re.compile(r"[a-zA-Z0-9_-]+")


class HtmlParseError(ValueError):
    """HTML that Telegram would refuse ("Bad Request: can't parse entities: ...")."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram counts offsets and limits in."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _decode_entity(text: str, i: int, *, strict: bool) -> tuple[str, int]:
    """Decode the ``&...;`` starting at ``text[i]``; return (decoded, next index)."""
    m = _ENTITY_RE.match(text, i)
    if m:
        body = m.group(1)
        if body.startswith("#"):
            try:
                code = int(body[2:], 16) if body[1] in "xX" else int(body[1:])
                return chr(code), m.end()
            except (ValueError, OverflowError):
                pass
        elif body in _NAMED_ENTITIES:
            return _NAMED_ENTITIES[body], m.end()
    if strict:
        raise HtmlParseError(
            f'Unescaped "&" at byte offset {_byte_offset(text, i)}: use &amp; '
            "(strict emulator; Telegram supports only &lt; &gt; &amp; &quot; and numeric entities)"
        )
    return "&", i + 1


def parse_html(text: str, *, strict: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram-flavoured HTML into (visible text, entities).

    Entities carry Telegram's UTF-16 ``offset``/``length`` plus private ``_start``/``_end``
    (Python string indices into the visible text) used by the console renderer.
    Raises :class:`HtmlParseError` with a Telegram-like description.
    """
    out: list[str] = []
    u16 = 0  # UTF-16 length of "".join(out)
    nchars = 0
    stack: list[tuple[str, dict[str, str], int, int]] = []
    entities: list[dict[str, Any]] = []
    i, n = 0, len(text)

    def emit(s: str) -> None:
        nonlocal u16, nchars
        out.append(s)
        u16 += utf16_len(s)
        nchars += len(s)

    while i < n:
        ch = text[i]
        if ch == "&":
            s, i = _decode_entity(text, i, strict=strict)
            emit(s)
            continue
        if ch != "<":
            j = i + 1
            while j < n and text[j] not in "<&":
                j += 1
            emit(text[i:j])
            i = j
            continue
        start = i
        if text.startswith("</", i):
            end = text.find(">", i)
            if end < 0:
                raise HtmlParseError(f"Unclosed end tag at byte offset {_byte_offset(text, start)}")
            name = text[i + 2 : end].strip().lower()
            if not stack:
                raise HtmlParseError(
                    f'Unexpected end tag "{name}" at byte offset {_byte_offset(text, start)}'
                )
            open_name, attrs, ent_u16, ent_char = stack.pop()
            if name != open_name:
                raise HtmlParseError(
                    f"Unmatched end tag at byte offset {_byte_offset(text, start)}, "
                    f'expected "</{open_name}>", found "</{name}>"'
                )
            length = u16 - ent_u16
            if length > 0:
                ent: dict[str, Any] = {
                    "type": _TAG_TYPES[open_name],
                    "offset": ent_u16,
                    "length": length,
                    "_start": ent_char,
                    "_end": nchars,
                }
                if open_name == "a":
                    href = attrs.get("href", "")
                    if not href:
                        ent = {}
                    elif href.startswith("tg://user?id="):
                        ent["type"] = "text_mention"
                        ent["user"] = {
                            "id": int(href.split("=", 1)[1] or 0),
                            "is_bot": False,
                            "first_name": "用户",
                        }
                    else:
                        ent["url"] = href
                elif open_name == "pre" and "language" in attrs:
                    ent["language"] = attrs["language"]
                elif open_name == "code" and stack and stack[-1][0] == "pre":
                    cls = attrs.get("class", "")
                    if cls.startswith("language-"):
                        # <pre><code class="language-x"> → language on the pre entity
                        pre = stack[-1]
                        pre[1]["language"] = cls[len("language-") :]
                        ent = {}
                elif open_name == "blockquote" and "expandable" in attrs:
                    ent["type"] = "expandable_blockquote"
                elif open_name == "tg-emoji":
                    ent["custom_emoji_id"] = attrs.get("emoji-id", "")
                if ent:
                    entities.append(ent)
            i = end + 1
            continue
        # start tag
        m = _TAG_NAME_RE.match(text, i + 1)
        name = m.group(0).lower() if m else ""
        if not name or name not in _TAG_TYPES:
            raise HtmlParseError(
                f'Unsupported start tag "{name}" at byte offset {_byte_offset(text, start)}'
            )
        j = m.end()
        attrs: dict[str, str] = {}
        while True:
            while j < n and text[j].isspace():
                j += 1
            if j >= n:
                raise HtmlParseError(
                    f"Unclosed start tag at byte offset {_byte_offset(text, start)}"
                )
            if text[j] == ">":
                j += 1
                break
            if text.startswith("/>", j):
                raise HtmlParseError(
                    f'Unsupported self-closing tag "{name}" at byte offset '
                    f"{_byte_offset(text, start)}"
                )
            am = _ATTR_NAME_RE.match(text, j)
            if not am:
                raise HtmlParseError(
                    f"Expected equal sign in declaration of an attribute of the tag at byte "
                    f"offset {_byte_offset(text, start)}"
                )
            attr = am.group(0).lower()
            j = am.end()
            value = ""
            if j < n and text[j] == "=":
                j += 1
                if j < n and text[j] in "\"'":
                    quote = text[j]
                    close = text.find(quote, j + 1)
                    if close < 0:
                        raise HtmlParseError(
                            f"Unclosed start tag at byte offset {_byte_offset(text, start)}"
                        )
                    raw = text[j + 1 : close]
                    j = close + 1
                else:
                    k = j
                    while k < n and not text[k].isspace() and text[k] != ">":
                        k += 1
                    raw = text[j:k]
                    j = k
                parts: list[str] = []
                p = 0
                while p < len(raw):
                    if raw[p] == "&":
                        s, p = _decode_entity(raw, p, strict=False)
                        parts.append(s)
                    else:
                        parts.append(raw[p])
                        p += 1
                value = "".join(parts)
            attrs[attr] = value
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise HtmlParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(text, start)}'
            )
        stack.append((name, attrs, u16, nchars))
        i = j
    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _public_entities(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in e.items() if not k.startswith("_")} for e in entities]


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


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


class ApiError(Exception):
    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


@dataclass
class _Failure:
    method: str | None
    count: int
    error_code: int
    description: str
    retry_after: int | None
    chat_id: int | str | None


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    content: bytes | None
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None


# Keys whose form values stay strings (everything else is JSON-decoded when it parses).
_TEXT_KEYS = {
    "text",
    "caption",
    "parse_mode",
    "callback_query_id",
    "url",
    "file_id",
    "secret_token",
    "ip_address",
    "description",
    "short_description",
    "name",
    "title",
    "language_code",
    "action",
    "emoji",
    "inline_message_id",
    "business_connection_id",
    "message_effect_id",
    "query",
    "data",
}
_SEND_METHODS = {
    "sendmessage": None,
    "senddocument": "document",
    "sendphoto": "photo",
    "sendaudio": "audio",
    "sendvideo": "video",
    "sendvoice": "voice",
    "sendanimation": "animation",
    "sendsticker": "sticker",
}
_CHAT_METHODS = set(_SEND_METHODS) | {
    "editmessagetext",
    "editmessagecaption",
    "editmessagereplymarkup",
    "deletemessage",
    "sendchataction",
}

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: injected failure",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


# --------------------------------------------------------------------------------------------
# HTTP front
# --------------------------------------------------------------------------------------------


class _HttpFront:
    """A minimal HTTP/1.1 server (keep-alive, Content-Length or chunked bodies) on one asyncio
    loop thread.  Fast calls are answered inline; calls that may block (long polls, injected
    delays) run in a thread pool.  One loop instead of a thread per connection keeps hundreds
    of concurrent bot connections cheap."""

    def __init__(self, emu: BotApiEmulator, host: str, port: int) -> None:
        self.emu = emu
        self.host = host
        self.port = port
        self.loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._pool = concurrent.futures.ThreadPoolExecutor(64, thread_name_prefix="bot-api-poll")
        self._conns: set[asyncio.Task] = set()

    def start(self) -> int:
        self._thread = threading.Thread(target=self._run, name="bot-api-emulator", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise self._error
        return self.port

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self.loop = loop
        asyncio.set_event_loop(loop)
        try:
            self._server = loop.run_until_complete(
                asyncio.start_server(self._serve, self.host, self.port, backlog=1024)
            )
            self.port = self._server.sockets[0].getsockname()[1]
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            self._server.close()
            for task in list(self._conns):
                task.cancel()
            with contextlib.suppress(BaseException):
                loop.run_until_complete(asyncio.sleep(0))
            loop.close()

    def stop(self) -> None:
        if self.loop is not None and self._thread is not None:
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(5)
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._conns.add(task)
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                parts = line.decode("latin-1").split()
                if len(parts) < 2:
                    break
                version = parts[2] if len(parts) > 2 else "HTTP/1.0"
                headers: dict[str, str] = {}
                while True:
                    h = await reader.readline()
                    if h in (b"\r\n", b"\n", b""):
                        break
                    k, _, v = h.decode("latin-1").partition(":")
                    headers[k.strip().lower()] = v.strip()
                if headers.get("transfer-encoding", "").lower() == "chunked":
                    chunks = []
                    while True:
                        size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                                pass
                            break
                        chunks.append(await reader.readexactly(size))
                        await reader.readexactly(2)
                    body = b"".join(chunks)
                else:
                    length = int(headers.get("content-length") or 0)
                    body = await reader.readexactly(length) if length else b""
                target = parts[1]
                if self._may_block(target):
                    assert self.loop is not None
                    status, data, ctype = await self.loop.run_in_executor(
                        self._pool, self.emu._http, target, headers, body
                    )
                else:
                    status, data, ctype = self.emu._http(target, headers, body)
                close = headers.get("connection", "").lower() == "close" or version == "HTTP/1.0"
                head = (
                    f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
                    f"Server: BotApiEmulator/1.0\r\nContent-Type: {ctype}\r\n"
                    f"Content-Length: {len(data)}\r\n"
                    f"Connection: {'close' if close else 'keep-alive'}\r\n\r\n"
                )
                writer.write(head.encode("latin-1") + data)
                await writer.drain()
                if close:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, ValueError, asyncio.CancelledError):
            pass
        finally:
            if task is not None:
                self._conns.discard(task)
            with contextlib.suppress(Exception):
                writer.close()

    def _may_block(self, target: str) -> bool:
        return bool(self.emu._delay[0]) or target.lower().split("?")[0].endswith("/getupdates")


_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


def _error(code: int, description: str, parameters: dict[str, Any] | None = None) -> dict:
    out: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        out["parameters"] = parameters
    return out


def _convert(key: str, value: str) -> Any:
    if key in _TEXT_KEYS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _decode_params(
    content_type: str, body: bytes, query: str
) -> tuple[dict[str, Any], dict[str, tuple[str | None, bytes]]]:
    params: dict[str, Any] = {}
    files: dict[str, tuple[str | None, bytes]] = {}
    for k, v in urllib.parse.parse_qsl(query, keep_blank_values=True):
        params[k] = _convert(k, v)
    ctype = content_type.split(";")[0].strip().lower()
    if ctype == "application/json" and body:
        params.update(json.loads(body.decode("utf-8")))
    elif ctype == "application/x-www-form-urlencoded" and body:
        for k, v in urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True):
            params[k] = _convert(k, v)
    elif ctype == "multipart/form-data":
        head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            filename = part.get_filename()
            if filename is not None:
                files[name] = (filename, payload)
            else:
                params[name] = _convert(name, payload.decode("utf-8"))
    return params, files


# --------------------------------------------------------------------------------------------
# The emulator
# --------------------------------------------------------------------------------------------


class BotApiEmulator:
    """An in-process Telegram Bot API on 127.0.0.1; see the module docstring."""

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
        self._want_port = port
        self.strict_html = strict_html
        self.port = 0
        self._front: _HttpFront | None = None
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._stopping = False

        self._updates: list[dict[str, Any]] = []  # delivered-or-pending, not yet confirmed
        self._update_ids = itertools.count(first_update_id)
        self._poll_gen = 0
        self._delivered_max = -1  # highest update_id ever returned by getUpdates
        self._webhook: dict[str, Any] | None = None
        self._webhook_thread: threading.Thread | None = None

        self._events: list[Event] = []
        self._sent: list[SentMessage] = []
        self._bot_msgs: dict[tuple[Any, int], SentMessage] = {}
        self._user_msgs: dict[tuple[Any, int], dict[str, Any]] = {}
        self.user_messages: list[dict[str, Any]] = []
        self._msg_ids: dict[Any, itertools.count] = {}
        self._chats: dict[Any, dict[str, Any]] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._files: dict[str, _StoredFile] = {}
        self._file_paths: dict[str, _StoredFile] = {}
        self._file_seq = itertools.count(1)
        self._query_seq = itertools.count(1)
        self._open_queries: dict[str, dict[str, Any]] = {}
        self._last_inject_mark = 0
        self.last_update: dict[str, Any] | None = None

        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.rejected: list[tuple[str, dict[str, Any], str]] = []
        self.conflicts: list[str] = []  # getUpdates 409s (kept out of ``rejected``)
        self.answered_callbacks: list[dict[str, Any]] = []
        self.commands: list[dict[str, Any]] = []  # every setMyCommands call
        self._current_commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.deleted: list[tuple[Any, int]] = []
        self.chat_actions: list[tuple[Any, str]] = []

        self._blocked: dict[Any, str] = {}
        self._failures: list[_Failure] = []
        self._delay: tuple[float, str | None] = (0.0, None)
        self._rate: tuple[float | None, float | None] = (None, None)
        self._rate_global: collections.deque[float] = collections.deque()
        self._rate_chat: dict[Any, collections.deque[float]] = {}
        self.self_inflicted_429 = 0
        self.unknown_chat_error = False

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> BotApiEmulator:
        if self._front is not None:
            return self
        self._stopping = False
        self._front = _HttpFront(self, self.host, self._want_port)
        self.port = self._front.start()
        return self

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._front is not None:
            self._front.stop()
            self._front = None

    def _http(self, target: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes, str]:
        """One HTTP request → (status, body, content type)."""
        url = urllib.parse.urlsplit(target)
        path = urllib.parse.unquote(url.path)
        jtype = "application/json"
        if path.startswith("/file/bot"):
            return self._serve_file(path[len("/file/bot") :])
        m = re.fullmatch(r"/bot([^/]*)/([A-Za-z0-9_]+)", path)
        if not m:
            return 404, json.dumps(_error(404, "Not Found")).encode(), jtype
        token, method = m.group(1), m.group(2)
        if token != self.token:
            return 401, json.dumps(_error(401, "Unauthorized")).encode(), jtype
        try:
            params, files = _decode_params(headers.get("content-type", ""), body, url.query)
        except Exception as exc:  # malformed request body: Telegram answers 400
            return 400, json.dumps(_error(400, f"Bad Request: {exc}")).encode(), jtype
        status, payload = self._call(method, params, files)
        return status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), jtype

    def __enter__(self) -> BotApiEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    # ---------------------------------------------------------------- observation
    @property
    def sent(self) -> list[SentMessage]:
        with self._lock:
            return list(self._sent)

    @property
    def events(self) -> list[Event]:
        with self._lock:
            return list(self._events)

    def to(self, chat_id: int | str) -> list[SentMessage]:
        with self._lock:
            return [m for m in self._sent if m.chat_id == chat_id]

    def last(self, chat_id: int | str | None = None) -> SentMessage | None:
        with self._lock:
            for m in reversed(self._sent):
                if chat_id is None or m.chat_id == chat_id:
                    return m
        return None

    def last_with_buttons(self, chat_id: int | str | None = None) -> SentMessage | None:
        with self._lock:
            for m in reversed(self._sent):
                if (chat_id is None or m.chat_id == chat_id) and m.buttons and not m.deleted:
                    return m
        return None

    def message(self, chat_id: int | str, message_id: int) -> SentMessage | None:
        with self._lock:
            return self._bot_msgs.get((chat_id, message_id))

    def mark(self) -> int:
        """The current event counter; pass it as ``after=`` to wait for what happens next."""
        with self._lock:
            return len(self._events)

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [p for (m, p) in self.calls if m.lower() == method.lower()]

    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by a getUpdates offset (delivered or not)."""
        with self._lock:
            return list(self._updates)

    def current_commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]] | None:
        with self._lock:
            return self._current_commands.get((_scope_key(scope), language_code or ""))

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
        with self._cond:
            start = self._last_inject_mark if after is None else after
            while True:
                for ev in self._events[start:]:
                    if self._matching(ev, kinds, chat_id, contains, predicate):
                        return ev.msg  # type: ignore[return-value]
                start = max(start, len(self._events))
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            raise AssertionError(
                f"wait_for timed out after {timeout}s (chat_id={chat_id!r}, contains={contains!r}, "
                f"edited={edited!r}, after={after if after is not None else self._last_inject_mark})"
                f"\n{self.describe()}"
            )

    def events_after(self, index: int, timeout: float = 0.0) -> list[Event]:
        """Events with index >= ``index``, waiting up to ``timeout`` s for at least one."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self._events) <= index:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._stopping:
                    break
                self._cond.wait(remaining)
            return self._events[index:]

    def delivered(self, update: dict[str, Any] | int) -> bool:
        """Whether getUpdates (or the webhook) has handed this update to the bot."""
        uid = update if isinstance(update, int) else update["update_id"]
        with self._lock:
            return uid <= self._delivered_max

    def wait_idle(self, quiet: float = 0.4, timeout: float = 10.0, after: int | None = None) -> int:
        """Wait until at least one event happened after ``after`` (if given) and then nothing
        for ``quiet`` seconds, at most ``timeout``; return the mark."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                now = time.monotonic()
                if now >= deadline:
                    return len(self._events)
                n = len(self._events)
                if after is not None and n <= after:
                    self._cond.wait(deadline - now)
                    continue
                last = self._events[-1].time if self._events else 0.0
                idle_for = now - last
                if idle_for >= quiet:
                    return n
                self._cond.wait(min(quiet - idle_for, deadline - now))

    def replies(
        self,
        after: int | None = None,
        *,
        chat_id: int | str | None = None,
        quiet: float = 0.4,
        timeout: float = 10.0,
    ) -> list[SentMessage]:
        """New messages after ``after`` (default: last injection) once the bot has gone quiet."""
        start = self._last_inject_mark if after is None else after
        self.wait_idle(quiet=quiet, timeout=timeout, after=start)
        with self._lock:
            return [
                ev.msg
                for ev in self._events[start:]
                if ev.kind == "sent"
                and ev.msg is not None
                and (chat_id is None or ev.msg.chat_id == chat_id)
            ]

    def describe(self, limit: int = 15) -> str:
        """Recent bot activity and refusals, for assertion messages."""
        with self._lock:
            lines = ["recent bot events:"]
            for ev in self._events[-limit:]:
                if ev.msg is not None:
                    lines.append(
                        f"  [{ev.index}] {ev.kind} #{ev.msg.message_id}→{ev.msg.chat_id}: "
                        f"{ev.plain[:200]!r} buttons={ev.msg.buttons if ev.kind != 'delete' else ''}"
                    )
                else:
                    lines.append(f"  [{ev.index}] {ev.kind} {ev.data}")
            if len(lines) == 1:
                lines.append("  (none)")
            if self.rejected:
                lines.append("refused calls:")
                for method, params, desc in self.rejected[-limit:]:
                    short = {k: (str(v)[:80]) for k, v in params.items()}
                    lines.append(f"  {method}: {desc} {short}")
            if self._updates:
                lines.append(f"unconfirmed updates: {[u['update_id'] for u in self._updates]}")
            return "\n".join(lines)

    # ---------------------------------------------------------------- failure control
    def block(
        self, chat_id: int | str, *, description: str | None = None, notify: bool = False
    ) -> None:
        """Sends to ``chat_id`` fail with 403 (the user blocked the bot)."""
        with self._lock:
            self._blocked[chat_id] = description or "Forbidden: bot was blocked by the user"
        if notify:
            self._my_chat_member(chat_id, "member", "kicked")

    def unblock(self, chat_id: int | str, *, notify: bool = False) -> None:
        with self._lock:
            self._blocked.pop(chat_id, None)
        if notify:
            self._my_chat_member(chat_id, "kicked", "member")

    def fail_next(
        self,
        method: str | None = "sendMessage",
        count: int = 1,
        *,
        error_code: int = 429,
        retry_after: int = 1,
        chat_id: int | str | None = None,
        description: str | None = None,
    ) -> None:
        """The next ``count`` calls of ``method`` (None: any method but getUpdates), optionally
        only to ``chat_id``, fail with ``error_code`` (429 carries parameters.retry_after)."""
        if description is None:
            description = (
                f"Too Many Requests: retry after {retry_after}"
                if error_code == 429
                else _DEFAULT_DESCRIPTIONS.get(error_code, f"Error {error_code}")
            )
        with self._lock:
            self._failures.append(
                _Failure(
                    method.lower() if method else None,
                    count,
                    error_code,
                    description,
                    retry_after if error_code == 429 else None,
                    chat_id,
                )
            )

    def rate_limit(
        self, global_per_second: float | None = 30, per_chat_per_second: float | None = None
    ) -> None:
        """Refuse sends beyond these rates (sliding one-second window) with 429 retry_after=1,
        counted in ``self_inflicted_429``.  ``rate_limit(None)`` switches it off."""
        with self._lock:
            self._rate = (global_per_second, per_chat_per_second)
            self._rate_global.clear()
            self._rate_chat.clear()

    def delay(self, seconds: float, method: str | None = None) -> None:
        """Answer every call (or only ``method``) ``seconds`` late; 0 switches it off."""
        with self._lock:
            self._delay = (seconds, method.lower() if method else None)

    # ---------------------------------------------------------------- injecting updates
    def inject(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw update (``update_id`` assigned when missing); returns it."""
        with self._cond:
            if "update_id" not in update:
                update = {"update_id": next(self._update_ids), **update}
            self._last_inject_mark = len(self._events)
            self._updates.append(update)
            self.last_update = update
            self._cond.notify_all()
        return update

    def _user(self, user_id: int, first_name: str | None, username: str | None) -> dict[str, Any]:
        with self._lock:
            user = dict(
                self._users.get(user_id)
                or {
                    "id": user_id,
                    "is_bot": False,
                    "first_name": "用户",
                    "language_code": "zh-hans",
                }
            )
            if first_name is not None:
                user["first_name"] = first_name
            if username is not None:
                user["username"] = username
            self._users[user_id] = user
            return dict(user)

    def _chat(
        self, chat_id: int | str, chat_type: str, user: dict[str, Any], title: str | None = None
    ) -> dict[str, Any]:
        with self._lock:
            if chat_type == "private":
                chat = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
                if "username" in user:
                    chat["username"] = user["username"]
            else:
                old = self._chats.get(chat_id)
                chat = {
                    "id": chat_id,
                    "type": chat_type,
                    "title": title or (old or {}).get("title") or "测试群",
                }
            self._chats[chat_id] = chat
            return dict(chat)

    def _next_message_id(self, chat_id: Any) -> int:
        with self._lock:
            return next(self._msg_ids.setdefault(chat_id, itertools.count(1)))

    def _user_message_dict(
        self,
        user_id: int,
        *,
        chat_id: int | str | None,
        chat_type: str,
        first_name: str | None,
        username: str | None,
        reply_to: SentMessage | int | None,
        title: str | None = None,
    ) -> dict[str, Any]:
        user = self._user(user_id, first_name, username)
        cid = user_id if chat_id is None else chat_id
        chat = self._chat(cid, chat_type, user, title)
        msg: dict[str, Any] = {
            "message_id": self._next_message_id(cid),
            "from": user,
            "chat": chat,
            "date": int(time.time()),
        }
        if reply_to is not None:
            rid = reply_to.message_id if isinstance(reply_to, SentMessage) else int(reply_to)
            with self._lock:
                bot_msg = self._bot_msgs.get((cid, rid))
                replied = (
                    self._message_dict(bot_msg) if bot_msg else self._user_msgs.get((cid, rid))
                )
            if replied is None:
                replied = {"message_id": rid, "date": 0, "chat": chat}
            msg["reply_to_message"] = replied
        return msg

    def _record_user_message(self, msg: dict[str, Any]) -> None:
        with self._lock:
            self._user_msgs[(msg["chat"]["id"], msg["message_id"])] = msg
            self.user_messages.append(msg)

    def user_message(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | str | None = None,
        chat_type: str = "private",
        first_name: str | None = None,
        username: str | None = None,
        reply_to: SentMessage | int | None = None,
        title: str | None = None,
    ) -> dict[str, Any]:
        """A user types ``text`` (a /command gets a bot_command entity); returns the update."""
        msg = self._user_message_dict(
            user_id,
            chat_id=chat_id,
            chat_type=chat_type,
            first_name=first_name,
            username=username,
            reply_to=reply_to,
            title=title,
        )
        msg["text"] = text
        entities = _text_entities(text, self.bot_username)
        if entities:
            msg["entities"] = entities
        self._record_user_message(msg)
        return self.inject({"message": msg})

    def user_photo(
        self,
        user_id: int,
        caption: str | None = None,
        chat_id: int | str | None = None,
        *,
        content: bytes = b"\x89PNG\r\n\x1a\n-emulated-photo",
        chat_type: str = "private",
    ) -> dict[str, Any]:
        msg = self._user_message_dict(
            user_id,
            chat_id=chat_id,
            chat_type=chat_type,
            first_name=None,
            username=None,
            reply_to=None,
        )
        f = self._store_file(content, "photos", ".jpg", None, "image/jpeg")
        msg["photo"] = [
            {
                "file_id": f.file_id,
                "file_unique_id": f.file_unique_id,
                "width": 90,
                "height": 90,
                "file_size": len(content),
            },
        ]
        if caption is not None:
            msg["caption"] = caption
        self._record_user_message(msg)
        return self.inject({"message": msg})

    def user_document(
        self,
        user_id: int,
        file_name: str = "a.pdf",
        caption: str | None = None,
        chat_id: int | str | None = None,
        *,
        content: bytes = b"%PDF-1.4 emulated document",
        mime_type: str | None = None,
        chat_type: str = "private",
    ) -> dict[str, Any]:
        """A user uploads a file; the bot can fetch it with getFile + download
        (set ``base_file_url`` to ``emu.base_file_url``)."""
        msg = self._user_message_dict(
            user_id,
            chat_id=chat_id,
            chat_type=chat_type,
            first_name=None,
            username=None,
            reply_to=None,
        )
        mime = mime_type or _guess_mime(file_name)
        f = self._store_file(content, "documents", "", file_name, mime)
        msg["document"] = {
            "file_id": f.file_id,
            "file_unique_id": f.file_unique_id,
            "file_name": file_name,
            "mime_type": mime,
            "file_size": len(content),
        }
        if caption is not None:
            msg["caption"] = caption
        self._record_user_message(msg)
        return self.inject({"message": msg})

    def user_sticker(
        self, user_id: int, chat_id: int | str | None = None, *, emoji: str = "👍"
    ) -> dict[str, Any]:
        msg = self._user_message_dict(
            user_id,
            chat_id=chat_id,
            chat_type="private",
            first_name=None,
            username=None,
            reply_to=None,
        )
        f = self._store_file(b"RIFF-emulated-sticker", "stickers", ".webp", None, "image/webp")
        msg["sticker"] = {
            "file_id": f.file_id,
            "file_unique_id": f.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        self._record_user_message(msg)
        return self.inject({"message": msg})

    def edited_message(
        self, user_id: int, text: str, message_id: int, *, chat_id: int | str | None = None
    ) -> dict[str, Any]:
        cid = user_id if chat_id is None else chat_id
        with self._lock:
            old = self._user_msgs.get((cid, message_id))
        user = self._user(user_id, None, None)
        msg = (
            dict(old)
            if old
            else {
                "message_id": message_id,
                "from": user,
                "chat": self._chat(cid, "private", user),
                "date": int(time.time()) - 1,
            }
        )
        msg["text"] = text
        msg.pop("entities", None)
        entities = _text_entities(text, self.bot_username)
        if entities:
            msg["entities"] = entities
        msg["edit_date"] = int(time.time())
        with self._lock:
            self._user_msgs[(cid, message_id)] = msg
        return self.inject({"edited_message": msg})

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
        ``data`` defaults to the first button's callback data."""
        with self._lock:
            if isinstance(message, SentMessage):
                sm: SentMessage | None = message
                cid = message.chat_id
            else:
                cid = user_id if chat_id is None else chat_id
                sm = self._bot_msgs.get((cid, int(message)))
            if data is None:
                if sm is None or not sm.callback_data:
                    raise ValueError("no data given and the message has no callback buttons")
                data = sm.callback_data[0]
            if sm is not None:
                msg_dict = self._message_dict(sm)
            else:
                chat = self._chats.get(cid) or {"id": cid, "type": "private", "first_name": "用户"}
                msg_dict = {"message_id": int(message), "date": 0, "chat": chat}  # inaccessible
            qid = f"{next(self._query_seq)}{abs(hash((user_id, time.time()))) % 10**6:06d}"
            self._open_queries[qid] = {"user_id": user_id, "data": data}
        user = self._user(user_id, first_name, None)
        self.inject(
            {
                "callback_query": {
                    "id": qid,
                    "from": user,
                    "message": msg_dict,
                    "chat_instance": f"ci{cid}",
                    "data": data,
                }
            }
        )
        return qid

    def press_button(self, user_id: int, message: SentMessage, label: str) -> str:
        """Press the button whose text contains ``label``."""
        _text, data = message.button(label)
        if data is None or "://" in data:
            raise ValueError(f"button {label!r} has no callback data")
        return self.press(user_id, message, data)

    def _my_chat_member(self, chat_id: Any, old: str, new: str) -> None:
        user = self._user(int(chat_id), None, None) if isinstance(chat_id, int) else None
        if user is None:
            return
        bot_member = {"user": self.bot_user}
        self.inject(
            {
                "my_chat_member": {
                    "chat": self._chat(chat_id, "private", user),
                    "from": user,
                    "date": int(time.time()),
                    "old_chat_member": {**bot_member, "status": old},
                    "new_chat_member": {
                        **bot_member,
                        "status": new,
                        **({"until_date": 0} if new == "kicked" else {}),
                    },
                }
            }
        )

    # ---------------------------------------------------------------- files
    def _store_file(
        self, content: bytes | None, folder: str, ext: str, name: str | None, mime: str | None
    ) -> _StoredFile:
        with self._lock:
            n = next(self._file_seq)
            if name and not ext:
                ext = "." + name.rsplit(".", 1)[-1] if "." in name else ""
            f = _StoredFile(
                file_id=f"EMU{folder[:3].upper()}{n:06d}",
                file_unique_id=f"u{n:06d}",
                content=content,
                file_path=f"{folder}/file_{n}{ext}",
                file_name=name,
                mime_type=mime,
            )
            self._files[f.file_id] = f
            self._file_paths[f.file_path] = f
            return f

    def file_bytes(self, file_id: str) -> bytes | None:
        with self._lock:
            f = self._files.get(file_id)
            return f.content if f else None

    def _serve_file(self, rest: str) -> tuple[int, bytes, str]:
        token, _, fpath = rest.partition("/")
        if token != self.token:
            return 401, json.dumps(_error(401, "Unauthorized")).encode(), "application/json"
        with self._lock:
            f = self._file_paths.get(fpath)
        if f is None or f.content is None:
            return 404, json.dumps(_error(404, "Not Found")).encode(), "application/json"
        return 200, f.content, f.mime_type or "application/octet-stream"

    # ---------------------------------------------------------------- API dispatch
    def _call(
        self, method: str, params: dict[str, Any], files: dict[str, tuple[str | None, bytes]]
    ) -> tuple[int, dict[str, Any]]:
        lname = method.lower()
        logged = dict(params)
        for k, (fname, data) in files.items():
            logged[k] = {"filename": fname, "size": len(data)}
        with self._lock:
            self.calls.append((method, logged))
            seconds, only = self._delay
        if seconds and (only is None or only == lname):
            time.sleep(seconds)
        try:
            self._check_injected(lname, params)
            handler = getattr(self, f"_api_{lname}", None)
            result = handler(params, files) if handler else True
        except ApiError as err:
            with self._lock:
                if lname == "getupdates" and err.code == 409:
                    self.conflicts.append(err.description)  # a superseded long poll
                else:
                    self.rejected.append((method, logged, err.description))
                    if lname not in ("getupdates", "getme", "getfile"):
                        self._emit(
                            "rejected",
                            None,
                            {
                                "method": method,
                                "chat_id": params.get("chat_id"),
                                "error_code": err.code,
                                "description": err.description,
                            },
                        )
            return err.code, _error(err.code, err.description, err.parameters)
        return 200, {"ok": True, "result": result}

    def _check_injected(self, lname: str, params: dict[str, Any]) -> None:
        with self._lock:
            chat_id = params.get("chat_id")
            for f in self._failures:
                if f.count <= 0:
                    continue
                if f.method is None and lname in ("getupdates", "getme"):
                    continue
                if f.method is not None and f.method != lname:
                    continue
                if f.chat_id is not None and f.chat_id != chat_id:
                    continue
                f.count -= 1
                self._failures = [x for x in self._failures if x.count > 0]
                raise ApiError(
                    f.error_code,
                    f.description,
                    {"retry_after": f.retry_after} if f.retry_after else None,
                )
            if lname in _CHAT_METHODS and chat_id in self._blocked:
                raise ApiError(403, self._blocked[chat_id])
            if self.unknown_chat_error and lname in _CHAT_METHODS and chat_id not in self._chats:
                raise ApiError(400, "Bad Request: chat not found")

    def _check_rate(self, chat_id: Any) -> None:
        """Called under the lock just before a send succeeds."""
        g, per_chat = self._rate
        if g is None and per_chat is None:
            return
        now = time.monotonic()
        dq = self._rate_global
        while dq and now - dq[0] >= 1.0:
            dq.popleft()
        cq = self._rate_chat.setdefault(chat_id, collections.deque())
        while cq and now - cq[0] >= 1.0:
            cq.popleft()
        if (g is not None and len(dq) >= g) or (per_chat is not None and len(cq) >= per_chat):
            self.self_inflicted_429 += 1
            raise ApiError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        dq.append(now)
        cq.append(now)

    def _emit(self, kind: str, msg: SentMessage | None, data: dict[str, Any] | None = None) -> None:
        """Record an event; caller holds the lock."""
        ev = Event(
            index=len(self._events),
            kind=kind,
            msg=msg,
            text=msg.text if msg else None,
            plain=msg.plain if msg else "",
            data=data,
            time=time.monotonic(),
        )
        self._events.append(ev)
        self._cond.notify_all()

    # --- validation helpers
    def _parse_text(self, text: Any, parse_mode: Any, *, what: str) -> tuple[str, list[dict]]:
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        mode = (parse_mode or "").lower() if isinstance(parse_mode, str) else ""
        if mode == "html":
            try:
                plain, entities = parse_html(text, strict=self.strict_html)
            except HtmlParseError as exc:
                raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
        else:
            plain, entities = text, []
        if what == "text":
            if not plain.strip():
                raise ApiError(400, "Bad Request: message text is empty")
            if utf16_len(plain) > 4096:
                raise ApiError(400, "Bad Request: message is too long")
        elif what == "caption" and utf16_len(plain) > 1024:
            raise ApiError(400, "Bad Request: message caption is too long")
        return plain, entities

    def _check_markup(self, markup: Any) -> list[list[tuple[str, str | None]]]:
        if markup is None:
            return []
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        buttons: list[list[tuple[str, str | None]]] = []
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise ApiError(
                    400, 'Bad Request: field "inline_keyboard" must be an Array of Arrays'
                )
            if sum(len(r) for r in rows) > 100:
                raise ApiError(400, "Bad Request: reply markup is too long")
            for row in rows:
                out_row = []
                for b in row:
                    text = b.get("text") if isinstance(b, dict) else None
                    if not isinstance(text, str) or not text.strip():
                        raise ApiError(400, "Bad Request: BUTTON_TEXT_INVALID")
                    if "callback_data" in b:
                        data = b["callback_data"]
                        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
                            raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                        out_row.append((text, data))
                    elif "url" in b:
                        url = b["url"]
                        if not isinstance(url, str) or not re.match(r"(https?|tg)://\S+$", url):
                            raise ApiError(
                                400,
                                f"Bad Request: inline keyboard button URL '{url}' is invalid: "
                                "Wrong HTTP URL",
                            )
                        out_row.append((text, url))
                    elif any(
                        k in b
                        for k in (
                            "switch_inline_query",
                            "switch_inline_query_current_chat",
                            "web_app",
                            "login_url",
                            "pay",
                            "callback_game",
                            "copy_text",
                            "switch_inline_query_chosen_chat",
                        )
                    ):
                        out_row.append((text, None))
                    else:
                        raise ApiError(
                            400,
                            "Bad Request: can't parse inline keyboard button: Text buttons are "
                            "unallowed in the inline keyboard",
                        )
                buttons.append(out_row)
        elif "keyboard" in markup:
            for row in markup["keyboard"]:
                out_row = []
                for b in row:
                    text = b if isinstance(b, str) else (b or {}).get("text")
                    if not isinstance(text, str) or not text:
                        raise ApiError(400, "Bad Request: BUTTON_TEXT_INVALID")
                    out_row.append((text, None))
                buttons.append(out_row)
        return buttons

    def _chat_dict(self, chat_id: Any) -> dict[str, Any]:
        chat = self._chats.get(chat_id)
        if chat:
            return dict(chat)
        if isinstance(chat_id, int) and chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "用户"}
        if isinstance(chat_id, str):
            return {
                "id": -1000000000000 - abs(hash(chat_id)) % 10**9,
                "type": "channel",
                "title": chat_id,
                "username": chat_id.lstrip("@"),
            }
        return {"id": chat_id, "type": "group", "title": "测试群"}

    def _message_dict(self, sm: SentMessage) -> dict[str, Any]:
        d: dict[str, Any] = {
            "message_id": sm.message_id,
            "from": self.bot_user,
            "chat": self._chat_dict(sm.chat_id),
            "date": sm.date,
        }
        if sm.edited_texts:
            d["edit_date"] = int(time.time())
        ents = _public_entities(sm.entities)
        if sm.method == "sendMessage":
            d["text"] = sm.plain
            if ents:
                d["entities"] = ents
        else:
            if sm.caption is not None:
                d["caption"] = sm.plain
                if ents:
                    d["caption_entities"] = ents
            f = self._files.get(sm.file_id or "")
            size = len(f.content) if f and f.content is not None else 0
            base = {"file_id": sm.file_id, "file_unique_id": f.file_unique_id if f else "u0"}
            if sm.method == "sendPhoto":
                d["photo"] = [{**base, "width": 800, "height": 600, "file_size": size}]
            elif sm.method == "sendDocument":
                d["document"] = {
                    **base,
                    "file_name": sm.filename,
                    "file_size": size,
                    "mime_type": _guess_mime(sm.filename or ""),
                }
            elif sm.method == "sendSticker":
                d["sticker"] = {
                    **base,
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                }
            elif sm.method in ("sendAudio", "sendVoice", "sendVideo", "sendAnimation"):
                key = sm.method[4:].lower()
                extra = {"duration": 1}
                if key in ("video", "animation"):
                    extra.update(width=320, height=240)
                d[key] = {**base, **extra, "file_size": size}
        if sm.reply_markup and "inline_keyboard" in sm.reply_markup:
            d["reply_markup"] = sm.reply_markup
        if sm.reply_to_message_id is not None:
            replied = self._user_msgs.get((sm.chat_id, sm.reply_to_message_id))
            bot_replied = self._bot_msgs.get((sm.chat_id, sm.reply_to_message_id))
            if replied:
                d["reply_to_message"] = replied
            elif bot_replied and bot_replied is not sm:
                d["reply_to_message"] = {
                    "message_id": bot_replied.message_id,
                    "from": self.bot_user,
                    "chat": self._chat_dict(sm.chat_id),
                    "date": bot_replied.date,
                    "text": bot_replied.plain,
                }
        return d

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
        mid = int(mid)
        known = (chat_id, mid) in self._user_msgs or (chat_id, mid) in self._bot_msgs
        if not known and not allow:
            raise ApiError(400, "Bad Request: message to be replied not found")
        return mid if known else None

    def _require_chat(self, params: dict[str, Any]) -> Any:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        return chat_id

    # --- methods
    def _api_getme(self, params: dict, files: dict) -> dict:
        return dict(self.bot_user)

    def _api_getupdates(self, params: dict, files: dict) -> list[dict]:
        offset = params.get("offset")
        limit = int(params.get("limit") or 100)
        limit = max(1, min(100, limit))
        timeout = float(params.get("timeout") or 0)
        deadline = time.monotonic() + max(0.0, timeout)
        with self._cond:
            if self._webhook is not None:
                raise ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; use "
                    "deleteWebhook to delete the webhook first",
                )
            if isinstance(offset, int) and offset != 0:
                if offset > 0:
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
                else:
                    self._updates = self._updates[offset:]
            self._poll_gen += 1
            gen = self._poll_gen
            self._cond.notify_all()
            while True:
                if self._updates:
                    batch = [dict(u) for u in self._updates[:limit]]
                    self._delivered_max = max(self._delivered_max, batch[-1]["update_id"])
                    return batch
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._stopping:
                    return []
                self._cond.wait(remaining)
                if self._poll_gen != gen:
                    raise ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; make sure that only "
                        "one bot instance is running",
                    )

    def _api_deletewebhook(self, params: dict, files: dict) -> bool:
        with self._cond:
            self._webhook = None
            if params.get("drop_pending_updates"):
                self._updates.clear()
            self._cond.notify_all()
        return True

    def _api_setwebhook(self, params: dict, files: dict) -> bool:
        url = params.get("url") or ""
        with self._cond:
            if not url:
                self._webhook = None
                return True
            self._webhook = {
                "url": url,
                "secret_token": params.get("secret_token"),
                "allowed_updates": params.get("allowed_updates"),
            }
            if params.get("drop_pending_updates"):
                self._updates.clear()
            self._poll_gen += 1  # cut any running long poll
            self._cond.notify_all()
            if self._webhook_thread is None or not self._webhook_thread.is_alive():
                self._webhook_thread = threading.Thread(
                    target=self._webhook_loop, name="bot-api-emulator-webhook", daemon=True
                )
                self._webhook_thread.start()
        return True

    def _api_getwebhookinfo(self, params: dict, files: dict) -> dict:
        with self._lock:
            return {
                "url": (self._webhook or {}).get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }

    def _webhook_loop(self) -> None:
        """Deliver pending updates to the webhook URL (POST JSON, secret token header)."""
        while True:
            with self._cond:
                while not self._stopping and self._webhook is not None and not self._updates:
                    self._cond.wait(0.5)
                if self._stopping or self._webhook is None:
                    return
                hook = dict(self._webhook)
                update = self._updates[0]
            req = urllib.request.Request(
                hook["url"],
                data=json.dumps(update, ensure_ascii=False).encode("utf-8"),
                headers={"Content-Type": "application/json"},
                method="POST",
            )
            if hook.get("secret_token"):
                req.add_header("X-Telegram-Bot-Api-Secret-Token", hook["secret_token"])
            try:
                with urllib.request.urlopen(req, timeout=10) as resp:
                    ok = 200 <= resp.status < 300
            except OSError:
                ok = False
            with self._cond:
                if ok and self._updates and self._updates[0] is update:
                    self._updates.pop(0)
                    self._delivered_max = max(self._delivered_max, update["update_id"])
            if not ok:
                time.sleep(0.2)

    def _send(self, method: str, params: dict, files: dict) -> dict:
        lname = method.lower()
        chat_id = self._require_chat(params)
        field_name = _SEND_METHODS[lname]
        parse_mode = params.get("parse_mode")
        markup = params.get("reply_markup")
        content: bytes | None = None
        filename: str | None = None
        if field_name is None:
            text = params.get("text")
            plain, entities = self._parse_text(text, parse_mode, what="text")
            caption = None
        else:
            text = None
            caption = params.get("caption")
            plain, entities = (
                self._parse_text(caption, parse_mode, what="caption")
                if caption is not None
                else ("", [])
            )
            value = params.get(field_name)
            if isinstance(value, str) and value.startswith("attach://"):
                filename, content = files.get(value[len("attach://") :], (None, None))
                if content is None:
                    raise ApiError(400, f"Bad Request: there is no {field_name} in the request")
            elif field_name in files:
                filename, content = files[field_name]
            elif value is not None:
                with self._lock:
                    f = self._files.get(str(value))
                if f is not None:
                    content, filename = f.content, f.file_name
                elif isinstance(value, str) and re.match(r"https?://", value):
                    filename = value.rsplit("/", 1)[-1]
                else:
                    raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            else:
                raise ApiError(400, f"Bad Request: there is no {field_name} in the request")
            if content is not None and len(content) == 0:
                raise ApiError(400, "Bad Request: file must be non-empty")
        buttons = self._check_markup(markup)
        with self._lock:
            reply_to = self._reply_target(params, chat_id)
            self._check_rate(chat_id)
            file_id = None
            if field_name is not None:
                uploaded = not isinstance(params.get(field_name), str) or str(
                    params.get(field_name)
                ).startswith("attach://")
                if content is not None and uploaded:
                    f = self._store_file(
                        content, field_name + "s", "", filename, _guess_mime(filename or "")
                    )
                    file_id = f.file_id
                else:
                    file_id = str(params.get(field_name))
            sm = SentMessage(
                message_id=self._next_message_id(chat_id),
                chat_id=chat_id,
                text=text,
                plain=plain,
                parse_mode=parse_mode,
                reply_markup=markup,
                buttons=buttons,
                method=method,
                document=content if field_name == "document" else None,
                filename=filename,
                photo=content if field_name == "photo" else None,
                caption=caption,
                date=int(time.time()),
                entities=entities,
                reply_to_message_id=reply_to,
                file_id=file_id,
                params={k: v for k, v in params.items()},
            )
            if field_name is not None and field_name not in ("document", "photo"):
                sm.document = content
            self._sent.append(sm)
            self._bot_msgs[(chat_id, sm.message_id)] = sm
            self._emit("sent", sm)
            return self._message_dict(sm)

    def _api_sendmessage(self, params: dict, files: dict) -> dict:
        return self._send("sendMessage", params, files)

    def _api_senddocument(self, params: dict, files: dict) -> dict:
        return self._send("sendDocument", params, files)

    def _api_sendphoto(self, params: dict, files: dict) -> dict:
        return self._send("sendPhoto", params, files)

    def _api_sendaudio(self, params: dict, files: dict) -> dict:
        return self._send("sendAudio", params, files)

    def _api_sendvideo(self, params: dict, files: dict) -> dict:
        return self._send("sendVideo", params, files)

    def _api_sendvoice(self, params: dict, files: dict) -> dict:
        return self._send("sendVoice", params, files)

    def _api_sendanimation(self, params: dict, files: dict) -> dict:
        return self._send("sendAnimation", params, files)

    def _api_sendsticker(self, params: dict, files: dict) -> dict:
        return self._send("sendSticker", params, files)

    def _target(self, params: dict) -> SentMessage:
        if params.get("inline_message_id"):
            raise ApiError(400, "Bad Request: inline messages are not supported by the emulator")
        chat_id = self._require_chat(params)
        mid = params.get("message_id")
        if mid is None:
            raise ApiError(400, "Bad Request: message identifier is not specified")
        sm = self._bot_msgs.get((chat_id, int(mid)))
        if sm is None or sm.deleted:
            if (chat_id, int(mid)) in self._user_msgs:
                raise ApiError(400, "Bad Request: message can't be edited")
            raise ApiError(400, "Bad Request: message to edit not found")
        return sm

    def _api_editmessagetext(self, params: dict, files: dict) -> dict:
        markup = params.get("reply_markup")
        buttons = self._check_markup(markup)
        with self._lock:
            sm = self._target(params)
            if sm.method != "sendMessage":
                raise ApiError(400, "Bad Request: there is no text in the message to edit")
            text = params.get("text")
            plain, entities = self._parse_text(text, params.get("parse_mode"), what="text")
            if (
                plain == sm.plain
                and _public_entities(entities) == _public_entities(sm.entities)
                and (markup or None) == (sm.reply_markup or None)
            ):
                raise ApiError(
                    400,
                    "Bad Request: message is not modified: specified new message content and "
                    "reply markup are exactly the same as a current content and reply markup of "
                    "the message",
                )
            sm.text, sm.plain, sm.entities = text, plain, entities
            sm.parse_mode = params.get("parse_mode")
            sm.reply_markup, sm.buttons = markup, buttons
            sm.edited_texts.append(text)
            self._emit("edit", sm)
            return self._message_dict(sm)

    def _api_editmessagecaption(self, params: dict, files: dict) -> dict:
        markup = params.get("reply_markup")
        buttons = self._check_markup(markup)
        with self._lock:
            sm = self._target(params)
            if sm.method == "sendMessage":
                raise ApiError(400, "Bad Request: there is no caption in the message to edit")
            caption = params.get("caption")
            plain, entities = self._parse_text(caption, params.get("parse_mode"), what="caption")
            if plain == sm.plain and (markup or None) == (sm.reply_markup or None):
                raise ApiError(400, "Bad Request: message is not modified")
            sm.caption, sm.plain, sm.entities = caption, plain, entities
            sm.reply_markup, sm.buttons = markup, buttons
            sm.edited_texts.append(caption or "")
            self._emit("edit", sm)
            return self._message_dict(sm)

    def _api_editmessagereplymarkup(self, params: dict, files: dict) -> dict:
        markup = params.get("reply_markup")
        buttons = self._check_markup(markup)
        with self._lock:
            sm = self._target(params)
            if (markup or None) == (sm.reply_markup or None):
                raise ApiError(
                    400,
                    "Bad Request: message is not modified: specified new message content and "
                    "reply markup are exactly the same as a current content and reply markup of "
                    "the message",
                )
            sm.reply_markup, sm.buttons = markup, buttons
            self._emit("edit", sm)
            return self._message_dict(sm)

    def _api_deletemessage(self, params: dict, files: dict) -> bool:
        with self._lock:
            chat_id = self._require_chat(params)
            mid = int(params.get("message_id") or 0)
            sm = self._bot_msgs.get((chat_id, mid))
            if sm is not None and not sm.deleted:
                sm.deleted = True
            elif (chat_id, mid) in self._user_msgs:
                self._user_msgs.pop((chat_id, mid))
            else:
                raise ApiError(400, "Bad Request: message to delete not found")
            self.deleted.append((chat_id, mid))
            self._emit("delete", sm, {"chat_id": chat_id, "message_id": mid})
            return True

    def _api_answercallbackquery(self, params: dict, files: dict) -> bool:
        qid = str(params.get("callback_query_id") or "")
        text = params.get("text")
        with self._lock:
            q = self._open_queries.pop(qid, None)
            if q is None:
                raise ApiError(
                    400,
                    "Bad Request: query is too old and response timeout expired or query ID is "
                    "invalid",
                )
            if text is not None and len(text) > 200:
                self._open_queries[qid] = q
                raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
            record = {
                **params,
                "callback_query_id": qid,
                "user_id": q["user_id"],
                "data": q["data"],
            }
            self.answered_callbacks.append(record)
            self._emit("answer", None, record)
        return True

    def _api_sendchataction(self, params: dict, files: dict) -> bool:
        chat_id = self._require_chat(params)
        with self._lock:
            self.chat_actions.append((chat_id, params.get("action", "")))
        return True

    def _api_setmycommands(self, params: dict, files: dict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        if len(commands) > 100:
            raise ApiError(400, "Bad Request: too many commands")
        for c in commands:
            cmd = str(c.get("command", ""))
            if not re.fullmatch(r"[a-z0-9_]{1,32}", cmd):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(c.get("description", "")).strip()) <= 256:
                raise ApiError(400, "Bad Request: command description must be non-empty")
        scope = params.get("scope")
        lang = params.get("language_code") or ""
        with self._lock:
            self.commands.append({"commands": commands, "scope": scope, "language_code": lang})
            self._current_commands[(_scope_key(scope), lang)] = commands
        return True

    def _api_getmycommands(self, params: dict, files: dict) -> list:
        with self._lock:
            key = (_scope_key(params.get("scope")), params.get("language_code") or "")
            return list(self._current_commands.get(key, []))

    def _api_deletemycommands(self, params: dict, files: dict) -> bool:
        with self._lock:
            key = (_scope_key(params.get("scope")), params.get("language_code") or "")
            self._current_commands.pop(key, None)
        return True

    def _api_getchat(self, params: dict, files: dict) -> dict:
        chat_id = self._require_chat(params)
        with self._lock:
            if self.unknown_chat_error and chat_id not in self._chats:
                raise ApiError(400, "Bad Request: chat not found")
            chat = self._chat_dict(chat_id)
        return {**chat, "accent_color_id": 0, "max_reaction_count": 11}

    def _api_getchatmember(self, params: dict, files: dict) -> dict:
        uid = int(params.get("user_id") or 0)
        with self._lock:
            user = self._users.get(uid) or {"id": uid, "is_bot": False, "first_name": "用户"}
            if uid == self.bot_id:
                user = self.bot_user
        return {"status": "member", "user": user}

    def _api_getfile(self, params: dict, files: dict) -> dict:
        fid = str(params.get("file_id") or "")
        with self._lock:
            f = self._files.get(fid)
        if f is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        out: dict[str, Any] = {
            "file_id": f.file_id,
            "file_unique_id": f.file_unique_id,
            "file_path": f.file_path,
        }
        if f.content is not None:
            out["file_size"] = len(f.content)
        return out


def _canonical(method: str) -> str:
    return method[0].lower() + method[1:] if method else method


def _scope_key(scope: Any) -> str:
    if not scope:
        return "default"
    if isinstance(scope, str):
        with contextlib.suppress(ValueError):
            scope = json.loads(scope)
    if isinstance(scope, dict):
        return json.dumps(scope, sort_keys=True)
    return str(scope)


def _guess_mime(name: str) -> str:
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return {
        "pdf": "application/pdf",
        "txt": "text/plain",
        "csv": "text/csv",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "png": "image/png",
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "json": "application/json",
        "zip": "application/zip",
    }.get(ext, "application/octet-stream")


def _text_entities(text: str, bot_username: str) -> list[dict[str, Any]]:
    """bot_command at the start (incl. @botname) and @mentions, UTF-16 offsets."""
    entities: list[dict[str, Any]] = []
    m = re.match(r"/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]{3,32})?", text)
    if m:
        entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(m.group(0))})
    for mm in re.finditer(r"(?<![A-Za-z0-9_/])@[A-Za-z0-9_]{5,32}", text):
        if m and mm.start() < m.end():
            continue
        entities.append(
            {
                "type": "mention",
                "offset": utf16_len(text[: mm.start()]),
                "length": utf16_len(mm.group(0)),
            }
        )
    return entities


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
    ) -> None:
        self.app = app
        self.poll_timeout = poll_timeout
        self.drop_pending_updates = drop_pending_updates
        self.startup_timeout = startup_timeout
        self.loop: Any = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self) -> ApplicationThread:
        self._thread = threading.Thread(target=self._run, name="ptb-application", daemon=True)
        self._thread.start()
        self._wait_running()
        if not self._ready.is_set():
            raise RuntimeError("the Application did not start in time")
        if self._error is not None:
            raise RuntimeError("the Application failed to start") from self._error
        return self

    def _run(self) -> None:
        import asyncio

        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        try:
            # exactly what `python -m bot run` does: post_init, post_stop and post_shutdown run
            self.app.run_polling(
                poll_interval=0,
                timeout=self.poll_timeout,
                drop_pending_updates=self.drop_pending_updates,
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
        import asyncio

        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self, timeout: float = 15.0) -> None:
        if self._thread is None:
            return
        if self.loop is not None and not self.loop.is_closed():
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(self.app.stop_running)
        self._thread.join(timeout)
        self._thread = None
        if self._error is not None:
            raise RuntimeError("the Application stopped with an error") from self._error

    def __enter__(self) -> ApplicationThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
