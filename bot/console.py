"""Offline console front-end: chat with the bot through the in-process Bot API emulator.

``run_console(emu, user_id=..., admin_id=...)`` reads lines as a Telegram user would type them in
a private chat, injects them into the emulator and prints what the bot sends back (HTML turned into
readable text, inline buttons numbered so typing the number presses them).  The caller is expected
to have the bot's Application polling ``emu`` in another thread.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, TextIO

from bot.emulator import BotApiEmulator, Event, SentMessage, parse_html

__all__ = ["run_console", "render_html", "render_text"]

INTRO = """\
双拥助手 · 离线控制台（不联网，消息经本机模拟的 Telegram 接口送到真实的机器人程序）
直接输入文字或命令（如 /start、/help）就像在 Telegram 私聊里发消息。
  数字 1、2 …      点击最近一条带按钮消息上的对应按钮
  /as user        切换为普通用户身份
  /as admin       切换为管理员身份
  /as <数字id>     切换为指定 id 的用户
  /file 路径 [说明]  以当前身份上传一个文件（如名册表格）
  /photo 路径 [说明] 以当前身份发送一张图片
  /quit           退出（Ctrl-D 亦可）
机器人发来的文件保存在临时目录；粗体显示为【…】，链接显示为 文字（网址）。
"""

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
        stdin: TextIO,
        stdout: TextIO,
        quiet: float,
        max_wait: float,
        no_reply_grace: float,
        save_dir: str | os.PathLike[str] | None,
    ) -> None:
        self.emu = emu
        self.user_id = user_id
        self.admin_id = admin_id
        self.stdin = stdin
        self.stdout = stdout
        self.quiet = quiet
        self.max_wait = max_wait
        self.no_reply_grace = no_reply_grace
        self._save_dir = Path(save_dir) if save_dir else None
        self.current = user_id
        self.names: dict[int, str] = {user_id: "用户", admin_id: "管理员"}
        self._out_lock = threading.Lock()
        self._cursor = emu.mark()
        self._printed = threading.Condition()
        self._stop = threading.Event()
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
            return (
                f"（Telegram 拒绝了机器人的 {data.get('method')}"
                f"{'（发给 ' + str(data['chat_id']) + '）' if data.get('chat_id') is not None else ''}"
                f"：{data.get('error_code')} {data.get('description')}）"
            )
        if msg is None:
            return None
        head = "机器人"
        if msg.chat_id != self.current:
            target = self.who(msg.chat_id) if isinstance(msg.chat_id, int) else str(msg.chat_id)
            head = f"机器人 → 发给{target}"
        if ev.kind == "delete":
            return f"（{head}删除了一条消息 #{msg.message_id}）"
        lines: list[str] = []
        if ev.kind == "edit":
            lines.append(f"{head}（编辑了消息 #{msg.message_id}）：")
        else:
            lines.append(f"{head}：")
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

    def printer(self) -> None:
        while not self._stop.is_set():
            events = self.emu.events_after(self._cursor, timeout=0.2)
            for ev in events:
                text = self.format_event(ev)
                if text:
                    if self._at_prompt:  # an unsolicited push while the user is typing
                        self.say("\n" + text.rstrip("\n"))
                        with self._out_lock:
                            self.stdout.write("你> ")
                            self.stdout.flush()
                    else:
                        self.say(text)
                with self._printed:
                    self._cursor = ev.index + 1
                    self._printed.notify_all()

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
        elif arg.lstrip("-").isdigit():
            self.current = int(arg)
        else:
            self.say("用法：/as user | /as admin | /as <数字id>")
            return
        self.say(f"当前身份：{self.who(self.current)}")

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
            self.say(f"（链接按钮，在 Telegram 中会打开：{data}）")
            return {}
        if data is None:  # reply-keyboard button: sends its text
            return self.emu.user_message(self.current, label, first_name=self.first_name())
        self.say(f"（点击了按钮「{label}」）")
        self.emu.press(self.current, msg, data, first_name=self.first_name())
        return self.emu.last_update

    def upload(self, kind: str, arg: str) -> dict[str, Any] | None:
        path_s, _, caption = arg.strip().partition(" ")
        path = Path(path_s).expanduser()
        if not path_s or not path.is_file():
            self.say(f"找不到文件：{path_s or '（未给出路径）'}")
            return None
        data = path.read_bytes()
        if kind == "photo":
            return self.emu.user_photo(self.current, caption or None, content=data)
        return self.emu.user_document(
            self.current, file_name=path.name, caption=caption or None, content=data
        )

    def run(self) -> None:
        self.say(INTRO)
        self.say(f"当前身份：{self.who(self.current)}")
        thread = threading.Thread(target=self.printer, name="console-printer", daemon=True)
        thread.start()
        try:
            while True:
                if self._interactive:
                    with self._out_lock:
                        self.stdout.write("你> ")
                        self.stdout.flush()
                    self._at_prompt = True
                line = self.stdin.readline()
                self._at_prompt = False
                if not line:
                    break
                line = line.strip()
                if not line:
                    continue
                if not self._interactive:
                    self.say(f"你> {line}")
                if line in ("/quit", "/exit", "/q"):
                    break
                if line == "/as" or line.startswith("/as "):
                    self.switch(line[3:])
                    continue
                mark = self.emu.mark()
                update: dict[str, Any] | None
                if line.startswith("/file ") or line.startswith("/photo "):
                    cmd, _, rest = line.partition(" ")
                    update = self.upload(cmd[1:], rest)
                    if update is None:
                        continue
                elif line.isdigit() and self.emu.last_with_buttons(self.current) is not None:
                    update = self.press_number(int(line))
                    if update is None:
                        update = self.emu.user_message(
                            self.current, line, first_name=self.first_name()
                        )
                    elif not update:
                        continue
                else:
                    update = self.emu.user_message(self.current, line, first_name=self.first_name())
                self.wait_replies(mark, update)
        finally:
            self.flush(timeout=1.0)
            self._stop.set()
            thread.join(timeout=2)
            self.say("再见。")


def run_console(
    emu: BotApiEmulator,
    *,
    user_id: int,
    admin_id: int,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    quiet: float = 0.4,
    max_wait: float = 10.0,
    no_reply_grace: float = 3.0,
    save_dir: str | os.PathLike[str] | None = None,
) -> None:
    """Interactive chat with the bot behind ``emu`` until /quit or end of input.

    After each input it waits for the bot: printing messages as they arrive, it stops
    ``quiet`` s after the last one (at most ``max_wait`` s; ``no_reply_grace`` s if the bot took
    the update and sent nothing).  Messages that arrive while idle (scheduled pushes) print too.
    Files the bot sends are saved under ``save_dir`` (a fresh temp dir by default).
    """
    _Console(
        emu,
        user_id=user_id,
        admin_id=admin_id,
        stdin=stdin,
        stdout=stdout,
        quiet=quiet,
        max_wait=max_wait,
        no_reply_grace=no_reply_grace,
        save_dir=save_dir,
    ).run()
