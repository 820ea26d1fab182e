"""Running the bot as an operator would: bad settings, secrets kept out of logs, the console demo."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import say
from tests.harness import ROOT, BotProcess, bot_env


def run_bot(env: dict[str, str], *args: str, stdin: str | None = None, timeout: float = 60):  # noqa: ANN201
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, env=env, input=stdin,
                          capture_output=True, text=True, timeout=timeout)


def test_malformed_setting_stops_with_one_line(emu, db_url):
    env = bot_env(emu, db_url, ADMIN_IDS="12,zhang", REMINDER_OFFSETS="7x")
    res = run_bot(env, "run")
    assert res.returncode == 2
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    assert "ADMIN_IDS" in lines[0] and "REMINDER_OFFSETS" in lines[0] and "Traceback" not in res.stderr


def test_run_without_token_explains(emu, db_url, tmp_path):
    env = bot_env(emu, db_url)
    del env["TELEGRAM_BOT_TOKEN"]
    res = subprocess.run([sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=60)
    assert res.returncode == 2 and "TELEGRAM_BOT_TOKEN" in res.stderr and "Traceback" not in res.stderr


def test_token_never_logged(emu, db_url, tmp_path):
    proc = BotProcess(emu, db_url, tmp_path, LOG_LEVEL="DEBUG").wait_polling()
    try:
        say(emu, 7, "/start", contains="双拥助手")
        emu.fail_next("sendMessage", 1, error_code=500)
        emu.user_message(7, "光荣牌怎么挂")
        say(emu, 7, "光荣牌怎么挂", contains="光荣牌")
        emu.fail_next("sendMessage", 1, error_code=401)
        emu.user_message(7, "/help")
        say(emu, 7, "/help", contains="/checkin")
    finally:
        proc.stop()
    log = proc.log()
    assert "started as @" in log  # start-up is logged…
    secret = emu.token.split(":", 1)[1]
    assert emu.token not in log and secret not in log  # …without the token


def test_offline_console_demo(tmp_path):
    """`python -m bot` without a token: a newcomer chats with the full bot, presses a button by number."""
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("TELEGRAM_")}
    script = "/start\n光荣牌怎么挂\n/as admin\n/invite 龙城镇\n/outline\n1\n/quit\n"
    res = subprocess.run([sys.executable, "-m", "bot"], cwd=tmp_path, env=env, input=script,
                         capture_output=True, text=True, timeout=90)
    out = res.stdout
    assert res.returncode == 0, res.stderr[-2000:]
    assert "双拥助手" in out and "光荣牌" in out
    assert "start=" in out  # the admin identity could create an invite
    assert "[1]" in out  # buttons are numbered
    assert "总体要求" in out or "通知" in out  # pressing [1] opened the first outline entry
    # its own database, never the real bot's (SPEC: "the offline console demo uses data/demo.db")
    assert (tmp_path / "data" / "demo.db").exists() and not (tmp_path / "data" / "bot.db").exists()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_webhook_mode_checks_the_secret(emu, db_url, tmp_path):
    import time
    import urllib.error
    import urllib.request

    port = _free_port()
    url = f"http://127.0.0.1:{port}/tg-hook"
    proc = BotProcess(emu, db_url, tmp_path, WEBHOOK_URL=url, WEBHOOK_SECRET="s3cret-hook",
                      WEBHOOK_PORT=str(port), WEBHOOK_LISTEN="127.0.0.1")
    try:
        deadline = time.monotonic() + 20
        while not emu.calls_to("setWebhook") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert emu.calls_to("setWebhook"), proc.log()
        assert emu.calls_to("setWebhook")[-1].get("secret_token") == "s3cret-hook"
        say(emu, 7, "光荣牌怎么挂", contains="光荣牌", timeout=20)
        forged = urllib.request.Request(url, data=b'{"update_id": 1, "message": {"message_id": 1, "date": 0, '
                                        b'"chat": {"id": 9, "type": "private"}, "text": "/start"}}',
                                        headers={"Content-Type": "application/json",
                                                 "X-Telegram-Bot-Api-Secret-Token": "wrong"})
        try:
            urllib.request.urlopen(forged, timeout=5)
            status = 200
        except urllib.error.HTTPError as exc:
            status = exc.code
        assert status == 403
        time.sleep(0.5)
        assert not emu.to(9)  # the forged update was not acted on
    finally:
        proc.stop()
