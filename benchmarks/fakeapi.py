"""A minimal fake Bot API server for benchmarks — deliberately NOT the project's emulator.

The emulator (bot/emulator/) checks and records everything a test may assert on, which costs far
more per call than Telegram's servers cost the bot; a throughput figure measured against it
measures the emulator. This server does as little as a Bot API can: a plain threaded HTTP/1.1
server (one thread per keep-alive connection, requests parsed by hand), updates served from a
queue the benchmark fills (long polling, offsets confirm), every send answered with a small but
valid Message, and the arrival time of every send recorded — that is when a user would see it.

Optional Telegram-like limits (Bot FAQ, "My bot is hitting limits"): no more than ``per_second``
sends in any 1 s overall and ``per_chat_per_second`` in any 1 s to one chat; a send over a limit
gets 429 ``retry_after`` = the whole seconds until it would pass (as bot/emulator/limits.py).

``server_rate()`` measures the server alone: requests/s answered to clients in another process
that do nothing but send sendMessage calls over keep-alive connections. A benchmark prints it
beside the bot's own request rate so the reader sees the server was not the bottleneck.

    .venv/bin/python -m benchmarks.fakeapi          # the server alone, requests/s
"""

from __future__ import annotations

import collections
import json
import math
import multiprocessing
import re
import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl

__all__ = ["FakeBotApi", "Reply", "server_rate"]

BOT_ID = 777_000_001
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "Bench", "username": "bench_bot",
            "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}
SEND_METHODS = frozenset({"sendmessage", "sendphoto", "senddocument", "sendanimation", "sendaudio",
                          "sendvideo", "sendvoice", "sendsticker"})
_TAG = re.compile(r"<[^>]+>")
_MULTIPART_CHAT = re.compile(rb'name="chat_id"\r\n\r\n(-?\d+)')
_REASONS = {200: b"OK", 400: b"Bad Request", 404: b"Not Found", 429: b"Too Many Requests"}


@dataclass(frozen=True)
class Reply:
    """One send the bot made: to ``chat_id``, arrived at ``at`` (time.monotonic()), ``text``
    (HTML as sent), ``method`` (lower case), the ``message_id`` it got, its ``markup`` (the
    reply_markup JSON as sent, '' without)."""

    chat_id: int
    at: float
    text: str
    method: str
    message_id: int = 0
    markup: str = ""

    def button(self, label: str) -> str | None:
        """The callback data of the inline button whose text contains ``label``."""
        if not self.markup:
            return None
        for row in json.loads(self.markup).get("inline_keyboard", []):
            for b in row:
                if label in b.get("text", "") and "callback_data" in b:
                    return b["callback_data"]
        return None


def _response(status: int, payload: bytes) -> bytes:
    return (b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
            % (status, _REASONS.get(status, b"Error"), len(payload))) + payload


def _ok(result: object) -> bytes:
    return _response(200, b'{"ok":true,"result":' + json.dumps(result, ensure_ascii=False).encode() + b"}")


_TRUE = _response(200, b'{"ok":true,"result":true}')


class FakeBotApi:
    """The server: ``with FakeBotApi() as api:`` then point the bot at ``api.base_url``.

    ``push_messages([(user_id, text), ...])`` queues private text messages as updates;
    ``replies`` lists every send; ``wait_replies(chat_ids)`` waits for the first send to each.
    ``limits(per_second=30, per_chat_per_second=1)`` switches Telegram's flood limits on.
    """

    def __init__(self, token: str = "1:BENCHTOKEN") -> None:
        self.token = token
        self._prefix = f"/bot{token}/".encode()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(256)
        self.port = self._sock.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}/bot"
        self._cond = threading.Condition()
        self._updates: collections.deque[tuple[int, bytes]] = collections.deque()
        # update ids go on rising from one server to the next, as Telegram's do for one bot (a bot
        # restarted on the same database meets no id it has seen; ids restarting at 1 would be
        # a new token, which the inbox handles on a slower path)
        self._next_update = time.time_ns() // 1_000_000 % 1_000_000_000_000
        self._next_message = 1
        self.replies: list[Reply] = []
        self.calls: collections.Counter[str] = collections.Counter()
        self.polls = 0  # getUpdates calls
        self.refused = 0  # 429s answered
        self._per_second: float | None = None
        self._per_chat: float | None = None
        self._all: collections.deque[float] = collections.deque()
        self._chat: dict[int, collections.deque[float]] = {}
        self._closing = False
        self._threads: list[threading.Thread] = []

    # --- running ------------------------------------------------------------------------------
    def __enter__(self) -> FakeBotApi:
        t = threading.Thread(target=self._accept, name="fakeapi-accept", daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        try:
            self._sock.close()
        except OSError:
            pass

    def _accept(self) -> None:
        while not self._closing:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._serve, args=(conn,), name="fakeapi-conn", daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        buf = b""
        try:
            while not self._closing:
                end = buf.find(b"\r\n\r\n")
                while end < 0:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                    end = buf.find(b"\r\n\r\n")
                head, buf = buf[:end], buf[end + 4:]
                lines = head.split(b"\r\n")
                length = 0
                for line in lines[1:]:
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                while len(buf) < length:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                body, buf = buf[:length], buf[length:]
                parts = lines[0].split(b" ")
                ctype = next((ln[13:].strip() for ln in lines[1:] if ln[:13].lower() == b"content-type:"), b"")
                conn.sendall(self._handle(parts[1] if len(parts) > 1 else b"", ctype, body))
        except OSError:
            return
        finally:
            conn.close()

    # --- the Bot API --------------------------------------------------------------------------
    def _handle(self, path: bytes, ctype: bytes, body: bytes) -> bytes:
        if not path.startswith(self._prefix):
            return _response(404, b'{"ok":false,"error_code":404,"description":"Not Found"}')
        method = path[len(self._prefix):].split(b"?")[0].decode().lower()
        if ctype.startswith(b"multipart/"):
            m = _MULTIPART_CHAT.search(body)
            params = {"chat_id": m.group(1).decode()} if m else {}
        elif ctype.startswith(b"application/json"):
            params = {k: v if isinstance(v, str) else json.dumps(v) for k, v in json.loads(body).items()}
        else:
            params = dict(parse_qsl(body.decode())) if body else {}
        self.calls[method] += 1
        if method == "getupdates":
            return self._get_updates(params)
        if method in SEND_METHODS or method == "editmessagetext":
            return self._send(method, params)
        if method == "getme":
            return _ok(BOT_USER)
        if method == "getwebhookinfo":
            return _ok({"url": "", "has_custom_certificate": False, "pending_update_count": 0})
        if method == "getmycommands":
            return _ok([])
        if method == "getchat":
            cid = int(params.get("chat_id", 0))
            return _ok({"id": cid, "type": "private" if cid > 0 else "supergroup", "first_name": "U"})
        return _TRUE  # setMyCommands, deleteWebhook, answerCallbackQuery, sendChatAction, close, ...

    def _get_updates(self, params: dict[str, str]) -> bytes:
        offset = int(params.get("offset") or 0)
        limit = min(100, int(params.get("limit") or 100))
        timeout = float(params.get("timeout") or 0)
        deadline = time.monotonic() + timeout
        with self._cond:
            self.polls += 1
            while self._updates and self._updates[0][0] < offset:
                self._updates.popleft()  # confirmed by the offset
            while not self._updates and not self._closing:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            batch = [raw for _, raw in list(self._updates)[:limit]]
        return _response(200, b'{"ok":true,"result":[' + b",".join(batch) + b"]}")

    def _send(self, method: str, params: dict[str, str]) -> bytes:
        try:
            chat_id = int(params.get("chat_id", ""))
        except ValueError:
            return _response(400, b'{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}')
        now = time.monotonic()
        text = params.get("text") or params.get("caption") or ""
        with self._cond:
            if method != "editmessagetext" and self._per_second is not None:
                wait = self._limit_wait(chat_id, now)
                if wait > 0:
                    self.refused += 1
                    retry = max(1, math.ceil(wait))
                    return _response(429, b'{"ok":false,"error_code":429,"description":"Too Many Requests: '
                                     b'retry after %d","parameters":{"retry_after":%d}}' % (retry, retry))
            mid = self._next_message
            self._next_message += 1
            if method != "editmessagetext":
                self.replies.append(Reply(chat_id, now, text, method, mid, params.get("reply_markup") or ""))
            self._cond.notify_all()
        msg: dict[str, object] = {"message_id": mid, "date": int(time.time()), "from": BOT_USER,
                                  "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup",
                                           "first_name": "U"}}
        if method in ("sendmessage", "editmessagetext"):
            msg["text"] = _TAG.sub("", text) or "-"
        elif method == "sendphoto":
            msg["photo"] = [{"file_id": f"p{mid}", "file_unique_id": f"p{mid}", "width": 1, "height": 1}]
        else:
            msg["document"] = {"file_id": f"d{mid}", "file_unique_id": f"d{mid}"}
        markup = params.get("reply_markup")
        if markup:  # Telegram echoes the buttons back
            msg["reply_markup"] = json.loads(markup)
        return _ok(msg)

    def _limit_wait(self, chat_id: int, now: float) -> float:
        windows = [(self._all, self._per_second), (self._chat.setdefault(chat_id, collections.deque()),
                                                   self._per_chat)]
        wait = 0.0
        for dq, limit in windows:
            while dq and now - dq[0] >= 1.0:
                dq.popleft()
            if limit is not None and len(dq) >= limit:
                wait = max(wait, 1.0 - (now - dq[-max(1, int(limit))]))
        if wait <= 0:
            for dq, _ in windows:
                dq.append(now)
        return wait

    # --- what a benchmark drives --------------------------------------------------------------
    def limits(self, per_second: float | None = 30, per_chat_per_second: float | None = 1) -> None:
        """Switch Telegram's flood limits on (None: that limit off)."""
        with self._cond:
            self._per_second, self._per_chat = per_second, per_chat_per_second
            self._all.clear()
            self._chat.clear()

    def push_messages(self, messages: list[tuple[int, str]]) -> float:
        """Queue one private text message per (user id, text), all at once; returns the
        monotonic time they became available."""
        date = int(time.time())
        with self._cond:
            for uid, text in messages:
                uid_s = str(uid)
                upd = {"update_id": self._next_update,
                       "message": {"message_id": self._next_update, "date": date, "text": text,
                                   "chat": {"id": uid, "type": "private", "first_name": "用户" + uid_s},
                                   "from": {"id": uid, "is_bot": False, "first_name": "用户" + uid_s,
                                            "language_code": "zh-hans"}}}
                if text.startswith("/"):  # a command carries its bot_command entity, as Telegram sends it
                    upd["message"]["entities"] = [{"type": "bot_command", "offset": 0,
                                                   "length": len(text.split()[0])}]
                self._updates.append((self._next_update, json.dumps(upd, ensure_ascii=False).encode()))
                self._next_update += 1
            t0 = time.monotonic()
            self._cond.notify_all()
        return t0

    def push_callback(self, user_id: int, data: str, message: Reply) -> float:
        """Queue a press of an inline button (callback ``data``) under the bot's ``message``."""
        with self._cond:
            uid = self._next_update
            upd = {"update_id": uid,
                   "callback_query": {"id": f"cq{uid}", "chat_instance": f"ci{message.chat_id}", "data": data,
                                      "from": {"id": user_id, "is_bot": False, "first_name": f"用户{user_id}"},
                                      "message": {"message_id": message.message_id, "date": int(time.time()),
                                                  "from": BOT_USER, "text": _TAG.sub("", message.text) or "-",
                                                  "chat": {"id": message.chat_id, "type": "private",
                                                           "first_name": f"用户{message.chat_id}"}}}}
            if message.markup:
                upd["callback_query"]["message"]["reply_markup"] = json.loads(message.markup)
            self._updates.append((uid, json.dumps(upd, ensure_ascii=False).encode()))
            self._next_update += 1
            self._cond.notify_all()
            return time.monotonic()

    def wait_polls(self, n: int = 1, timeout: float = 60.0) -> None:
        """Until getUpdates was called ``n`` times in all (the bot is up and polling)."""
        deadline = time.monotonic() + timeout
        while self.polls < n:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the bot did not poll within {timeout} s")
            time.sleep(0.005)

    def wait_replies(self, chat_ids: set[int] | list[int], *, after: int = 0, timeout: float = 120.0,
                     pred=None) -> dict[int, float]:  # noqa: ANN001
        """chat id -> arrival time of its first send (from ``replies[after:]``, matching ``pred``
        when given), once every chat in ``chat_ids`` has one. Raises TimeoutError."""
        want = set(chat_ids)
        first: dict[int, float] = {}
        seen = after
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for r in self.replies[seen:]:
                    if r.chat_id in want and r.chat_id not in first and (pred is None or pred(r)):
                        first[r.chat_id] = r.at
                seen = len(self.replies)
                if len(first) == len(want):
                    return first
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(want) - len(first)} of {len(want)} chats got no reply")
                self._cond.wait(min(left, 0.5))


# --- the server alone ---------------------------------------------------------------------------
def _client(port: int, token: str, connections: int, seconds: float, out) -> None:  # noqa: ANN001
    """Keep-alive connections sending sendMessage as fast as answers come back; puts the count."""
    body = b"chat_id=5&text=%E4%BD%A0%E5%A5%BD&parse_mode=HTML"
    req = (b"POST /bot%s/sendMessage HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-"
           b"urlencoded\r\nContent-Length: %d\r\n\r\n" % (token.encode(), len(body))) + body
    done = [0] * connections
    stop = time.monotonic() + seconds

    def run(i: int) -> None:
        s = socket.create_connection(("127.0.0.1", port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buf = b""
        while time.monotonic() < stop:
            s.sendall(req)
            while True:
                end = buf.find(b"\r\n\r\n")
                if end >= 0:
                    head = buf[:end]
                    n = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                    if len(buf) >= end + 4 + n:
                        buf = buf[end + 4 + n:]
                        break
                buf += s.recv(65536)
            done[i] += 1
        s.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put(sum(done))


def server_rate(seconds: float = 3.0, *, connections: int = 16, processes: int = 2) -> float:
    """Requests/s the server alone answers: ``processes`` client processes, each with
    ``connections`` // ``processes`` keep-alive connections sending sendMessage back to back."""
    with FakeBotApi() as api:
        q: multiprocessing.Queue = multiprocessing.Queue()
        per = max(1, connections // processes)
        procs = [multiprocessing.Process(target=_client, args=(api.port, api.token, per, seconds, q))
                 for _ in range(processes)]
        t0 = time.monotonic()
        for p in procs:
            p.start()
        total = sum(q.get() for _ in procs)
        for p in procs:
            p.join()
        elapsed = time.monotonic() - t0
    return total / max(elapsed - 0.05 * processes, seconds)


if __name__ == "__main__":
    for _ in range(3):
        print(f"fake Bot API server alone: {server_rate():.0f} requests/s (sendMessage, 16 keep-alive connections)")
