"""The HTTP front: a small HTTP/1.1 server on 127.0.0.1 and the decoding of Bot API requests.

One asyncio loop in one thread serves every connection (keep-alive; Content-Length or chunked
bodies).  Quick calls are answered inline; calls that may block (long polls, injected delays) run
in a thread pool, so hundreds of concurrent bot connections stay cheap.  Whatever the handler does,
each request gets an answer: an exception becomes a 500 JSON error, never a dropped connection.

Requests are decoded as the Bot API accepts them: query string, application/json,
application/x-www-form-urlencoded or multipart/form-data (files as (filename, bytes)); form values
are JSON-decoded except for the parameters that are plain strings.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import email.parser
import email.policy
import json
import logging
import threading
import urllib.parse
from collections.abc import Callable
from typing import Any

from bot.emulator.refusals import error_body

__all__ = ["HttpFront", "decode_params"]

log = logging.getLogger(__name__)

Handler = Callable[[str, dict[str, str], bytes], tuple[int, bytes, str]]

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


def _convert(key: str, value: str) -> Any:
    if key in _TEXT_KEYS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def decode_params(
    content_type: str, body: bytes, query: str
) -> tuple[dict[str, Any], dict[str, tuple[str | None, bytes]]]:
    """(parameters, uploaded files) of one Bot API request; raises on a malformed body."""
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


class HttpFront:
    """Serves ``handler(target, headers, body) -> (status, body, content type)`` over HTTP;
    ``may_block(target)`` says which requests go to the thread pool."""

    def __init__(
        self, handler: Handler, may_block: Callable[[str], bool], host: str, port: int
    ) -> None:
        self.handler = handler
        self.may_block = may_block
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
        """Start serving; returns the port (an ephemeral one when 0 was asked)."""
        self._thread = threading.Thread(target=self._run, name="bot-api-emulator", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise self._error
        return self.port

    def stop(self) -> None:
        if self.loop is not None and self._thread is not None:
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(5)
        self._pool.shutdown(wait=False, cancel_futures=True)

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

    def _answer(self, target: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes, str]:
        try:
            return self.handler(target, headers, body)
        except Exception as exc:  # noqa: BLE001 - a bug in the emulator must not cut the bot off
            log.exception("Bot API emulator failed on %s", target.split("?")[0].rsplit("/", 1)[-1])
            data = json.dumps(error_body(500, f"Internal Server Error: {type(exc).__name__}"))
            return 500, data.encode(), "application/json"

    async def _read_request(
        self, reader: asyncio.StreamReader
    ) -> tuple[str, str, dict[str, str], bytes] | None:
        line = await reader.readline()
        parts = line.decode("latin-1").split()
        if len(parts) < 2:
            return None
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
        return parts[1], version, headers, body

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._conns.add(task)
        try:
            while True:
                request = await self._read_request(reader)
                if request is None:
                    break
                target, version, headers, body = request
                if self.may_block(target):
                    assert self.loop is not None
                    status, data, ctype = await self.loop.run_in_executor(
                        self._pool, self._answer, target, headers, body
                    )
                else:
                    status, data, ctype = self._answer(target, headers, body)
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
            pass  # a malformed request or a client that went away: close this connection only
        finally:
            if task is not None:
                self._conns.discard(task)
            with contextlib.suppress(Exception):
                writer.close()
