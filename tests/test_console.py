"""The offline console demo (`python -m bot` without a token), driven as a person at a terminal
would: bytes on stdin, including what terminals really send (a paste cut mid-character, another
encoding, Ctrl-D, Ctrl-C), and a second run on the same demo database."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bot.console import T_BAD_UTF8, T_CTRL_C, T_CUT_CHAR, T_EOF, T_LINE_TOO_LONG, T_SPLIT

ROOT = Path(__file__).resolve().parent.parent
PROMPT_REPLY = "机器人："


class Demo:
    """``python -m bot`` as a child process in ``workdir``: write lines, wait for output."""

    def __init__(self, workdir: Path, *args: str, env: dict[str, str] | None = None) -> None:
        base = {k: v for k, v in os.environ.items()
                if not k.startswith(("TELEGRAM_", "DATABASE_", "ADMIN_"))}
        base.update(env or {})
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", *args], cwd=workdir, env=base,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        self._out = bytearray()
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        while chunk := self.proc.stdout.read1(65536):
            with self._cond:
                self._out += chunk
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    @property
    def output(self) -> str:
        with self._cond:
            return self._out.decode("utf-8", "replace")

    def send(self, data: str | bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data.encode() if isinstance(data, str) else data)
        self.proc.stdin.flush()

    def expect(self, pattern: str, *, after: int = 0, timeout: float = 60) -> re.Match:
        """Wait until ``pattern`` (a regex) shows in the output past character ``after``."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                m = re.compile(pattern).search(self._out.decode("utf-8", "replace"), after)
                if m:
                    return m
                if time.monotonic() >= deadline or self.proc.poll() is not None:
                    raise AssertionError(f"no {pattern!r} in the demo's output:\n{self.output}\n"
                                         f"stderr:\n{self.stderr()}")
                self._cond.wait(0.2)

    def say(self, line: str, reply: str = PROMPT_REPLY, timeout: float = 60) -> str:
        """Type ``line`` and wait for ``reply``; returns the output that followed."""
        start = len(self.output)
        self.send(line + "\n")
        self.expect(re.escape(reply), after=start, timeout=timeout)
        return self.output[start:]

    def finish(self, timeout: float = 15) -> tuple[int, float]:
        """Close stdin if still open and wait; (exit status, seconds it took)."""
        t0 = time.monotonic()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError(f"the demo did not exit within {timeout} s:\n{self.output}") from None
        self._reader.join(5)
        return self.proc.returncode, time.monotonic() - t0

    def stderr(self) -> str:
        if self.proc.poll() is None or self.proc.stderr is None:
            return "(running)"
        return self.proc.stderr.read().decode("utf-8", "replace")


@pytest.fixture
def demo_dir(tmp_path):
    """A working folder for the demo; DATABASE_URL points at a 'real' database it must not touch."""
    return tmp_path


def real_db_env(tmp_path: Path) -> dict[str, str]:
    return {"DATABASE_URL": f"sqlite:///{tmp_path / 'real-bot.db'}"}


def test_demo_survives_what_a_terminal_sends_and_quits_at_once(demo_dir):
    demo = Demo(demo_dir, env=real_db_env(demo_dir))
    demo.expect("当前身份")
    demo.say("/start", "双拥助手")
    # a 3,000-character paste that the terminal cut in the middle of a character
    cut = ("光荣牌怎么挂" * 500).encode()[:3001]
    start = len(demo.output)
    demo.send(cut + b"\n")
    demo.expect(re.escape(T_CUT_CHAR), after=start)
    demo.expect(PROMPT_REPLY, after=start)
    # bytes from a terminal that is not UTF-8 (GBK), and plain garbage
    start = len(demo.output)
    gbk = "光荣牌".encode("gbk") + b" \xff"
    bad = gbk.decode("utf-8", "replace").count("\ufffd")
    demo.send(gbk + b"\n")
    demo.expect(re.escape(T_BAD_UTF8.format(n=bad)), after=start)
    demo.expect(PROMPT_REPLY, after=start)
    # a paste longer than one Telegram message: sent in pieces, each answered
    start = len(demo.output)
    demo.send(("退役军人优待" * 1000).encode() + b"\n")
    demo.expect(re.escape(T_SPLIT.format(n=6000, k=2)), after=start)
    demo.expect(PROMPT_REPLY, after=start)
    # two megabytes on one line: refused, the demo goes on
    start = len(demo.output)
    demo.send(b"x" * (2 << 20) + b"\n")
    demo.expect(re.escape(T_LINE_TOO_LONG.format(mb=1)), after=start)
    # and afterwards the bot still answers
    after = demo.say("光荣牌怎么挂", "悬挂光荣牌")
    assert PROMPT_REPLY in after
    demo.send("/quit\nnever read\n")
    status, seconds = demo.finish()
    assert status == 0 and seconds < 10, (status, seconds)
    assert demo.output.rstrip().endswith("再见。")
    assert "never read" not in demo.output
    # its own database, never the real bot's
    assert (demo_dir / "data" / "demo.db").exists()
    assert not (demo_dir / "real-bot.db").exists()


def test_ctrl_d_ends_and_ctrl_c_quits_at_once(demo_dir):
    demo = Demo(demo_dir)
    demo.expect("当前身份")
    demo.say("/help", "可用命令")
    demo.proc.stdin.close()  # Ctrl-D
    status, seconds = demo.finish()
    assert status == 0 and seconds < 10
    assert T_EOF in demo.output and demo.output.rstrip().endswith("再见。")

    demo = Demo(demo_dir)
    demo.expect("当前身份")
    demo.say("/as admin", "管理员")
    demo.say("/broadcast 周五开会", "确认")  # mid-flow: a broadcast preview awaits 「确认」
    demo.proc.send_signal(signal.SIGINT)
    status, seconds = demo.finish()
    assert status == 130 and seconds < 10, (status, seconds, demo.output)
    assert T_CTRL_C in demo.output and "Traceback" not in demo.stderr()


def test_a_second_run_on_the_same_demo_database_still_acts(demo_dir):
    demo = Demo(demo_dir)
    demo.expect("当前身份")
    demo.say("/as admin", "管理员")
    link = demo.say("/invite 甲镇", "start=")
    code = re.search(r"start=(\S+)", link).group(1)
    demo.say("/as user", "当前身份")
    demo.say(f"/start {code}", "甲镇")
    assert "已记录" in demo.say("/checkin 1.1 进行中 第一次运行的说明", "已记录")
    demo.send("/quit\n")
    assert demo.finish()[0] == 0

    # a new run: new emulator, same database; its update ids must not be taken for replays
    demo = Demo(demo_dir)
    demo.expect("当前身份")
    assert "已记录" in demo.say("/checkin 1.2 已完成 第二次运行的说明", "已记录")
    demo.say("/as admin", "管理员")
    demo.say("/invite 乙镇", "start=")
    units = demo.say("/units", "单位名册")
    assert "甲镇" in units and "乙镇" in units
    # /reset: a fresh, empty demo database
    assert "data/demo.db" in demo.say("/reset", "已从头开始")
    demo.say("/as admin", "管理员")
    assert "还没有任何单位" in demo.say("/units", PROMPT_REPLY)
    demo.send("/quit\n")
    assert demo.finish()[0] == 0
