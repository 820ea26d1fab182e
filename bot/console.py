"""Offline console front-end: chat with the bot through the in-process Bot API emulator.

``run_console(emu, user_id=..., admin_id=...)`` reads lines as a Telegram user would type them in
a private chat, injects them into the emulator and prints what the bot sends back (HTML turned into
readable text, inline buttons numbered so typing the number presses them).  The caller runs the
bot's Application against ``emu`` (see bot/offline.py).

It never dies on what a terminal can send: stdin is read as bytes and decoded as UTF-8 with every
error handled (a paste cut mid-character, another encoding), over-long input is split as Telegram
clients split it (or refused when absurd), Ctrl-D ends, Ctrl-C quits at once; each gets a line.
The console's own lines are plain terminal text, kept here (bot/texts holds the bot's messages).
"""

from __future__ import annotations

import codecs
import logging
import os
import shlex
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from bot.emulator import BotApiEmulator, Event, SentMessage, parse_html, split_text, utf16_len

__all__ = ["LineReader", "ResetRefused", "render_html", "render_text", "run_console"]

log = logging.getLogger(__name__)

MAX_LINE_BYTES = 1 << 20  # a line longer than this is not sent (nobody types a megabyte)
MAX_PIECES = 5  # a paste needing more messages than this is refused (paste a file instead)
MAX_FILE_READ = 20 * 1024 * 1024  # bigger uploads are announced by size (bots cannot fetch them)

# ------------------------------------------------------------------ the console's own lines
INTRO = """\
双拥助手 · 离线演示（不联网：消息经本机模拟的 Telegram 接口送到真实的机器人程序）
像在 Telegram 私聊里一样输入文字或命令，如 /start、/help、光荣牌怎么挂。
控制台自己的命令：
  1、2 …             点击最近一条带按钮消息上的第几个按钮
  /as admin          切换为管理员身份（可试 /invite、/progress、/broadcast …）
  /as user           切换回普通用户；/as 数字id 切换为任意用户
  /file 路径 [说明]    以当前身份发送文件：Word、Excel、CSV、PDF…（如 /file 名册.xlsx）
  /photo 路径 [说明]   以当前身份发送一张图片
  /reset             清空演示数据，从头开始
  /console           再次显示本说明
  /quit              退出（Ctrl-D、Ctrl-C 亦可）
演示数据保存在 {database}，下次运行接着用。
机器人发来的文件保存在临时目录；粗体显示为【…】，链接显示为 文字（网址）。"""

T_IDENTITY = "当前身份：{who}"
T_AS_USAGE = "用法：/as user | /as admin | /as <数字id>"
T_HELP_HINT = "（控制台命令：/as /file /photo /reset /quit；输入 /console 查看说明）"
T_BAD_UTF8 = "（输入中有 {n} 处不是有效的 UTF-8 编码（终端编码可能不是 UTF-8），已替换为 � 后发送。）"
T_CUT_CHAR = "（输入末尾有一个不完整的字符（粘贴可能被终端截断），已删去。）"
T_LINE_TOO_LONG = "（这一行超过 {mb} MB，没有发送。请分段输入，或用 /file 发送文件。）"
T_SPLIT = "（这段文字有 {n} 字，超过 Telegram 单条消息 4096 字的上限，已像 Telegram 客户端一样分成 {k} 条发送。）"
T_PASTE_TOO_LONG = "（这段文字有 {n} 字，要分成 {k} 条才能发出，太长了，没有发送。请分段输入，或用 /file 发送文件。）"
T_NOTHING_LEFT = "（去掉无效字符后没有内容，没有发送。）"
T_NO_FILE = "找不到文件：{path}"
T_NOT_A_FILE = "不是文件：{path}"
T_NO_PATH = "用法：/file 路径 [说明]，例如 /file 名册.xlsx 十一月名册（路径含空格时加引号）"
T_EMPTY_FILE = "（{name} 是空文件（0 字节）；Telegram 不能发送空文件，没有发送。）"
T_CANNOT_READ = "（读不了文件 {path}：{why}）"
T_BIG_FILE = "（{name} 有 {mb:.1f} MB，超过机器人可下载的 20 MB；按 Telegram 的做法只发送文件信息。）"
T_SENT_FILE = "（以{who}身份发送了文件 {name}，{size} 字节）"
T_RESETTING = "正在清空演示数据并重新启动机器人……"
T_RESET_DONE = "已从头开始：新的空数据库 {database}，聊天记录已清空。"
T_RESET_NA = "（这里不支持 /reset。）"
T_FAILED = "（控制台处理这一行时出错：{why}；已跳过，可以继续输入。）"
T_CTRL_C = "（已按 Ctrl-C）"
T_EOF = "（输入结束）"
T_BYE = "再见。"
T_LINK_BUTTON = "（链接按钮，在 Telegram 中会打开：{url}）"
T_PRESSED = "（点击了按钮「{label}」）"
T_PUSH_TO = "机器人 → 发给{target}"
T_REFUSED = "（Telegram 拒绝了机器人的 {method}{to}：{code} {description}）"

_QUIT = ("/quit", "/exit", "/q", "/退出")


class ResetRefused(Exception):
    """Raised by a ``reset`` callback that will not reset; its message is shown as is."""


# ------------------------------------------------------------------ reading what was typed
@dataclass
class Line:
    """One line of input: ``text`` as decoded, with what had to be repaired."""

    text: str
    invalid: int = 0  # byte sequences that were not UTF-8, shown as U+FFFD
    cut_char: bool = False  # an incomplete character at the end was dropped
    too_long: bool = False  # over MAX_LINE_BYTES: the rest of the line was discarded


class LineReader:
    """Lines from a byte stream (``sys.stdin.buffer``, a pipe) or a text stream, decoded as
    UTF-8 whatever arrives: invalid bytes become U+FFFD, a character cut at the end of the line
    (a paste the terminal truncated) is dropped, a line over ``MAX_LINE_BYTES`` is discarded.
    Text streams that carry undecodable bytes as surrogates (surrogateescape) are repaired the
    same way.  ``read()`` returns None at end of input."""

    def __init__(self, stream: IO[Any]) -> None:
        buffer = getattr(stream, "buffer", None)
        self.stream = buffer if buffer is not None else stream

    def read(self) -> Line | None:
        raw = self.stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return None
        newline = "\n" if isinstance(raw, str) else b"\n"
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(newline):
            while True:  # discard the rest of this line
                rest = self.stream.readline(65536)
                if not rest or rest.endswith(newline):
                    return Line("", too_long=True)
        if isinstance(raw, str):
            text = raw.rstrip("\r\n")
            try:
                text.encode("utf-8")
                return Line(text)
            except UnicodeEncodeError:  # bytes smuggled in as surrogates
                try:
                    raw = text.encode("utf-8", "surrogateescape")
                except UnicodeEncodeError:
                    raw = text.encode("utf-8", "surrogatepass")
        return decode_line(raw.rstrip(b"\r\n"))


def decode_line(raw: bytes) -> Line:
    """Decode one line of bytes as UTF-8, repairing what a terminal may have mangled."""
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    text = decoder.decode(raw, final=False)
    tail = decoder.getstate()[0]  # bytes of a character cut at the end
    invalid = text.count("\ufffd") - raw.count("\ufffd".encode())
    return Line(text, invalid=invalid, cut_char=bool(tail))


_BOLD = ("【", "】")
_CODE = ("「", "」")


def render_text(plain: str, entities: list[dict[str, Any]]) -> str:
    """Visible text with entity markers: bold 【…】, code 「…」, links text（url）,
    blockquotes prefixed with ┃."""
    inserts: list[tuple[int, int, int, str]] = []  # (pos, 0=close/1=open, tiebreak, text)
    quote_open: dict[int, int] = {}
    quote_close: dict[int, int] = {}
    for e in entities:
        start, end = e.get("_start"), e.get("_end")
        if start is None or end is None:
            continue
        kind = e["type"]
        if kind == "bold":
            inserts.append((start, 1, -end, _BOLD[0]))
            inserts.append((end, 0, -start, _BOLD[1]))
        elif kind == "code":
            inserts.append((start, 1, -end, _CODE[0]))
            inserts.append((end, 0, -start, _CODE[1]))
        elif kind == "text_link":
            url = e.get("url", "")
            if url and url != plain[start:end]:
                inserts.append((end, 0, -start, f"（{url}）"))
        elif kind in ("blockquote", "expandable_blockquote"):
            quote_open[start] = quote_open.get(start, 0) + 1
            quote_close[end] = quote_close.get(end, 0) + 1
    inserts.sort()
    by_pos: dict[int, list[str]] = {}
    for pos, _o, _t, s in inserts:
        by_pos.setdefault(pos, []).append(s)
    out: list[str] = []
    depth = 0
    for i in range(len(plain) + 1):
        depth -= quote_close.get(i, 0)
        out.extend(by_pos.get(i, ()))
        if quote_open.get(i):
            if depth == 0:
                if out and not "".join(out[-1:]).endswith("\n"):
                    out.append("\n")
                out.append("┃ ")
            depth += quote_open[i]
        if i == len(plain):
            break
        ch = plain[i]
        out.append(ch)
        if ch == "\n" and depth > 0 and i + 1 < len(plain) and not quote_close.get(i + 1):
            out.append("┃ ")
    return "".join(out)


def render_html(text: str) -> str:
    """Telegram HTML → readable console text (falls back to the raw text if it does not parse)."""
    try:
        plain, entities = parse_html(text, strict=False)
    except ValueError:
        return text
    return render_text(plain, entities)


def _buttons_lines(msg: SentMessage) -> list[str]:
    lines: list[str] = []
    n = 0
    for row in msg.buttons:
        cells = []
        for label, data in row:
            n += 1
            if data is not None and "://" in data:
                cells.append(f"[{n}] {label}（{data}）")
            else:
                cells.append(f"[{n}] {label}")
        lines.append("  ".join(cells))
    return lines


class _Console:
    def __init__(
        self,
        emu: BotApiEmulator,
        *,
        user_id: int,
        admin_id: int,
        stdin: IO[Any],
        stdout: IO[str],
        quiet: float,
        max_wait: float,
        no_reply_grace: float,
        save_dir: str | os.PathLike[str] | None,
        reset: Callable[[], BotApiEmulator] | None,
        database: str,
    ) -> None:
        self.emu = emu
        self.user_id = user_id
        self.admin_id = admin_id
        self.reader = LineReader(stdin)
        self.stdout = stdout
        self.quiet = quiet
        self.max_wait = max_wait
        self.no_reply_grace = no_reply_grace
        self._save_dir = Path(save_dir) if save_dir else None
        self.reset_bot = reset
        self.database = database
        self.current = user_id
        self.names: dict[int, str] = {user_id: "用户", admin_id: "管理员"}
        self._out_lock = threading.Lock()
        self._cursor = emu.mark()
        self._printed = threading.Condition()
        self._stop = threading.Event()
        self._printer: threading.Thread | None = None
        self._interactive = bool(getattr(stdin, "isatty", lambda: False)())
        self._at_prompt = False

    # ------------------------------------------------------------- output
    def say(self, text: str) -> None:
        with self._out_lock:
            self.stdout.write(text.rstrip("\n") + "\n")
            self.stdout.flush()

    def who(self, uid: int) -> str:
        role = "管理员" if uid == self.admin_id else "用户"
        return f"{role}（id {uid}）"

    @property
    def save_dir(self) -> Path:
        if self._save_dir is None:
            self._save_dir = Path(tempfile.mkdtemp(prefix="shuangyong-console-"))
        self._save_dir.mkdir(parents=True, exist_ok=True)
        return self._save_dir

    def _save(self, msg: SentMessage, content: bytes, default_name: str) -> Path:
        name = os.path.basename(msg.filename or default_name) or default_name
        path = self.save_dir / f"{msg.message_id}-{name}"
        path.write_bytes(content)
        return path

    def format_event(self, ev: Event) -> str | None:
        msg = ev.msg
        if ev.kind == "answer":
            data = ev.data or {}
            text = data.get("text")
            if not text:
                return None
            label = "弹窗" if data.get("show_alert") else "提示"
            return f"（{label}：{text}）"
        if ev.kind == "rejected":
            data = ev.data or {}
            to = f"（发给 {data['chat_id']}）" if data.get("chat_id") is not None else ""
            return T_REFUSED.format(method=data.get("method"), to=to,
                                    code=data.get("error_code"), description=data.get("description"))
        if msg is None:
            return None
        head = "机器人"
        if msg.chat_id != self.current:
            target = self.who(msg.chat_id) if isinstance(msg.chat_id, int) else str(msg.chat_id)
            head = T_PUSH_TO.format(target=target)
        if ev.kind == "delete":
            return f"（{head}删除了一条消息 #{msg.message_id}）"
        lines = [f"{head}（编辑了消息 #{msg.message_id}）：" if ev.kind == "edit" else f"{head}："]
        if msg.document is not None or msg.photo is not None or msg.method != "sendMessage":
            content = msg.document if msg.document is not None else msg.photo
            kind = "图片" if msg.method == "sendPhoto" else "文件"
            default = "photo.jpg" if msg.method == "sendPhoto" else "file.bin"
            if content is not None and ev.kind == "sent":
                path = self._save(msg, content, default)
                name = msg.filename or default
                lines.append(f"[{kind} {name}, {len(content)} 字节, saved to {path}]")
            elif ev.kind == "sent":
                lines.append(f"[{kind} {msg.filename or msg.file_id}]")
            if msg.plain:
                lines.append(render_text(msg.plain, msg.entities))
        else:
            lines.append(render_text(msg.plain, msg.entities))
        if msg.buttons:
            lines.extend(_buttons_lines(msg))
            if msg.chat_id == self.current and any(
                d is None or "://" not in d for row in msg.buttons for _t, d in row
            ):
                lines.append("（输入按钮编号即可点击）")
        return "\n".join(lines) + "\n"

    def _print_events(self) -> None:
        while not self._stop.is_set():
            for ev in self.emu.events_after(self._cursor, timeout=0.2):
                try:
                    text = self.format_event(ev)
                    if text and self._at_prompt:  # an unsolicited push while the user types
                        self.say("\n" + text.rstrip("\n"))
                        with self._out_lock:
                            self.stdout.write("你> ")
                            self.stdout.flush()
                    elif text:
                        self.say(text)
                except (OSError, ValueError):  # output closed (a pipe that went away)
                    self._stop.set()
                except Exception:  # noqa: BLE001 - one odd message must not stop the printing
                    log.exception("console could not show event %s", ev.index)
                with self._printed:
                    self._cursor = ev.index + 1
                    self._printed.notify_all()

    def start_printer(self) -> None:
        self._stop.clear()
        self._cursor = self.emu.mark()
        self._printer = threading.Thread(target=self._print_events, name="console-printer",
                                         daemon=True)
        self._printer.start()

    def stop_printer(self) -> None:
        self.flush(timeout=1.0)
        self._stop.set()
        if self._printer is not None:
            self._printer.join(timeout=2)

    def flush(self, timeout: float = 2.0) -> None:
        """Wait until the printer has shown every event so far."""
        target = self.emu.mark()
        deadline = time.monotonic() + timeout
        with self._printed:
            while self._cursor < target and time.monotonic() < deadline:
                self._printed.wait(0.05)

    # ------------------------------------------------------------- input
    def wait_replies(self, mark: int, update: dict[str, Any] | None) -> None:
        """Wait for the bot: until ``quiet`` s after its last message, at most ``max_wait`` s;
        give up after ``no_reply_grace`` s if it took the update and said nothing."""
        start = time.monotonic()
        deadline = start + self.max_wait
        delivered_at: float | None = None
        seen = mark
        last_change = start
        while True:
            now = time.monotonic()
            if now >= deadline:
                break
            n = self.emu.mark()
            if n != seen:
                seen, last_change = n, now
            if seen > mark:
                if now - last_change >= self.quiet:
                    break
            else:
                if update is not None and delivered_at is None and self.emu.delivered(update):
                    delivered_at = now
                if delivered_at is not None and now - delivered_at >= self.no_reply_grace:
                    break
            self.emu.events_after(seen, timeout=min(0.05, max(0.0, deadline - now)))
        self.flush()

    def switch(self, arg: str) -> None:
        arg = arg.strip()
        if arg in ("admin", "管理员"):
            self.current = self.admin_id
        elif arg in ("user", "用户"):
            self.current = self.user_id
        elif arg.lstrip("-").isdigit() and len(arg) < 16:
            self.current = int(arg)
        else:
            self.say(T_AS_USAGE)
            return
        self.say(T_IDENTITY.format(who=self.who(self.current)))

    def first_name(self) -> str:
        return self.names.get(self.current, f"用户{self.current}")

    def press_number(self, n: int) -> dict[str, Any] | None:
        msg = self.emu.last_with_buttons(self.current)
        if msg is None:
            return None
        flat = [b for row in msg.buttons for b in row]
        if not 1 <= n <= len(flat):
            return None
        label, data = flat[n - 1]
        if data is not None and "://" in data:
            self.say(T_LINK_BUTTON.format(url=data))
            return {}
        if data is None:  # reply-keyboard button: sends its text
            return self.emu.user_message(self.current, label, first_name=self.first_name())
        self.say(T_PRESSED.format(label=label))
        self.emu.press(self.current, msg, data, first_name=self.first_name())
        return self.emu.last_update

    def upload(self, kind: str, arg: str) -> dict[str, Any] | None:
        """``/file PATH [caption]`` / ``/photo PATH [caption]`` as the current identity."""
        found = _split_path(arg)
        if found is None:
            first = arg.strip().split(" ", 1)[0] if arg.strip() else ""
            self.say(T_NO_FILE.format(path=first) if first else T_NO_PATH)
            return None
        path, caption = found
        if not path.is_file():
            self.say(T_NOT_A_FILE.format(path=path))
            return None
        size = path.stat().st_size
        if size == 0:
            self.say(T_EMPTY_FILE.format(name=path.name))
            return None
        content: bytes | None = None
        if size <= MAX_FILE_READ:
            try:
                content = path.read_bytes()
            except OSError as exc:
                self.say(T_CANNOT_READ.format(path=path, why=exc.strerror or exc))
                return None
        else:
            self.say(T_BIG_FILE.format(name=path.name, mb=size / 2**20))
        if kind == "photo" and content is not None:
            return self.emu.user_photo(self.current, caption or None, content=content,
                                       first_name=self.first_name())
        self.say(T_SENT_FILE.format(who=self.who(self.current), name=path.name, size=size))
        return self.emu.user_document(self.current, file_name=path.name, caption=caption or None,
                                      content=content, size=size, first_name=self.first_name())

    def type_text(self, text: str) -> dict[str, Any] | None:
        """Send typed text as Telegram clients do: split when over 4096 UTF-16 units."""
        pieces = split_text(text)
        if len(pieces) > MAX_PIECES:
            self.say(T_PASTE_TOO_LONG.format(n=utf16_len(text), k=len(pieces)))
            return None
        if len(pieces) > 1:
            self.say(T_SPLIT.format(n=utf16_len(text), k=len(pieces)))
        return self.emu.user_message(self.current, text, first_name=self.first_name(), split=True)

    def do_reset(self) -> None:
        if self.reset_bot is None:
            self.say(T_RESET_NA)
            return
        self.say(T_RESETTING)
        self.stop_printer()
        try:
            self.emu = self.reset_bot()
        except ResetRefused as refused:
            self.say(str(refused))
        else:
            self.current = self.user_id
            self.say(T_RESET_DONE.format(database=self.database))
            self.say(T_IDENTITY.format(who=self.who(self.current)))
        finally:
            self.start_printer()

    def handle(self, line: Line) -> bool:
        """Act on one line; False when the console should end."""
        if line.too_long:
            self.say(T_LINE_TOO_LONG.format(mb=MAX_LINE_BYTES >> 20))
            return True
        text = line.text.strip()
        if text and not self._interactive:
            self.say(f"你> {text}")
        if line.invalid:
            self.say(T_BAD_UTF8.format(n=line.invalid))
        if line.cut_char:
            self.say(T_CUT_CHAR)
        if not text:
            if line.invalid or line.cut_char:
                self.say(T_NOTHING_LEFT)
            return True
        if text in _QUIT:
            return False
        if text in ("/console", "/？", "/?"):
            self.say(INTRO.format(database=self.database))
            return True
        if text == "/reset":
            self.do_reset()
            return True
        if text == "/as" or text.startswith("/as "):
            self.switch(text[3:])
            return True
        mark = self.emu.mark()
        update: dict[str, Any] | None
        if text.startswith(("/file ", "/photo ")) or text in ("/file", "/photo"):
            cmd, _, rest = text.partition(" ")
            update = self.upload(cmd[1:], rest)
        elif text.isdigit() and len(text) < 4 and self.emu.last_with_buttons(self.current):
            update = self.press_number(int(text))
            if update is None:
                update = self.type_text(text)
            elif not update:
                return True
        else:
            update = self.type_text(text)
        if update is None:
            return True
        self.wait_replies(mark, update)
        if text.split("@")[0] in ("/help", "/start"):
            self.say(T_HELP_HINT)
        return True

    def prompt(self) -> None:
        if self._interactive:
            with self._out_lock:
                self.stdout.write("你> ")
                self.stdout.flush()
            self._at_prompt = True

    def run(self) -> int:
        """The loop; returns the exit status (0, or 130 after Ctrl-C)."""
        status = 0
        try:
            self.say(INTRO.format(database=self.database))
            self.say(T_IDENTITY.format(who=self.who(self.current)))
            self.start_printer()
            while True:
                self.prompt()
                line = self.reader.read()
                self._at_prompt = False
                if line is None:
                    self.say(T_EOF)
                    break
                try:
                    if not self.handle(line):
                        break
                except (KeyboardInterrupt, BrokenPipeError):
                    raise
                except Exception as exc:  # noqa: BLE001 - the demo goes on whatever happens
                    log.exception("console failed on a line")
                    self.say(T_FAILED.format(why=f"{type(exc).__name__}: {exc}"))
        except KeyboardInterrupt:
            self._at_prompt = False
            status = 130
            self.say("\n" + T_CTRL_C)
        except BrokenPipeError:
            return 0
        finally:
            self._stop.set()
        try:
            if status == 0:
                self.stop_printer()
            self.say(T_BYE)
        except (OSError, ValueError):
            pass
        return status


def _split_path(arg: str) -> tuple[Path, str] | None:
    """(existing path, caption) from ``PATH [caption]``: a quoted path, a path with spaces
    (the longest prefix that exists), or the first word; None when nothing exists."""
    arg = arg.strip()
    if not arg:
        return None
    try:
        words = shlex.split(arg)
    except ValueError:
        words = []
    if words and Path(words[0]).expanduser().exists():
        return Path(words[0]).expanduser(), " ".join(words[1:])
    parts = arg.split(" ")
    for n in range(len(parts), 0, -1):
        candidate = Path(" ".join(parts[:n])).expanduser()
        if candidate.exists():
            return candidate, " ".join(parts[n:])
    return None


def run_console(
    emu: BotApiEmulator,
    *,
    user_id: int,
    admin_id: int,
    stdin: IO[Any] = sys.stdin,
    stdout: IO[str] = sys.stdout,
    quiet: float = 0.4,
    max_wait: float = 10.0,
    no_reply_grace: float = 3.0,
    save_dir: str | os.PathLike[str] | None = None,
    reset: Callable[[], BotApiEmulator] | None = None,
    database: str = "内存",
) -> int:
    """Interactive chat with the bot behind ``emu`` until /quit, end of input or Ctrl-C.

    After each input it waits for the bot: printing messages as they arrive, it stops
    ``quiet`` s after the last one (at most ``max_wait`` s; ``no_reply_grace`` s if the bot took
    the update and sent nothing).  Messages that arrive while idle (scheduled pushes) print too.
    Files the bot sends are saved under ``save_dir`` (a fresh temp dir by default).  ``reset``,
    when given, is called by /reset and returns the emulator of a fresh bot (or raises
    :class:`ResetRefused`); ``database`` is what the intro names.  ``stdin`` may be a byte or
    text stream.  Returns 0, or 130 after Ctrl-C.
    """
    return _Console(
        emu,
        user_id=user_id,
        admin_id=admin_id,
        stdin=stdin,
        stdout=stdout,
        quiet=quiet,
        max_wait=max_wait,
        no_reply_grace=no_reply_grace,
        save_dir=save_dir,
        reset=reset,
        database=database,
    ).run()
