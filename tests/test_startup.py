"""``python -m bot run`` as an operator meets it: every start-up failure is one line on stderr that
names its cause, never shows the token, and exits non-zero; a good start still starts."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.harness import ROOT, BotProcess, bot_env


def run(env: dict[str, str], cwd=ROOT, timeout: float = 60) -> subprocess.CompletedProcess:  # noqa: ANN001
    return subprocess.run([sys.executable, "-m", "bot", "run"], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def one_line(res: subprocess.CompletedProcess, *needles: str, token: str) -> str:
    assert res.returncode != 0, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    secret = token.split(":", 1)[1]
    assert token not in res.stderr + res.stdout and secret not in res.stderr + res.stdout
    assert "Traceback" not in res.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def test_a_refused_token_is_named_not_printed(emu, db_url):
    wrong = "123456:WRONG-secret-part-xyz"
    res = run(bot_env(emu, db_url, TELEGRAM_BOT_TOKEN=wrong))
    one_line(res, "TELEGRAM_BOT_TOKEN", "401", token=wrong)


@pytest.mark.parametrize("base, needle", [
    ("{emu}", "/bot"),                   # the /bot suffix left out: the token would be glued to the port
    ("{emu}/", "/bot"),
    ("{emu}/bot123456:TEST-token-for-tests", "/bot"),  # the token pasted into the URL: not echoed
    ("htp:/nonsense", "http"),
    ("http://127.0.0.1:99999/bot", "URL"),
])
def test_a_malformed_base_url_is_one_line(emu, db_url, base, needle):
    url = base.format(emu=emu.base_url.removesuffix("/bot"))
    res = run(bot_env(emu, db_url, TELEGRAM_BASE_URL=url))
    one_line(res, "TELEGRAM_BASE_URL", needle, token=emu.token)


def test_an_unreachable_bot_api_is_one_line(emu, db_url):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    res = run(bot_env(emu, db_url, TELEGRAM_BASE_URL=f"http://127.0.0.1:{port}/bot"))
    one_line(res, "Bot API", f"127.0.0.1:{port}", token=emu.token)


@pytest.mark.parametrize("url, needle", [
    ("nosuchdriver://x/y", "DATABASE_URL"),
    ("this is not a url", "DATABASE_URL"),
    ("postgresql+psycopg://postgres:pw-not-shown@127.0.0.1:1/x", "127.0.0.1:1"),   # nobody listens there
])
def test_a_wrong_or_unreachable_database_is_one_line(emu, url, needle):
    line = one_line(run(bot_env(emu, url)), needle, token=emu.token)
    assert "pw-not-shown" not in line


def test_a_missing_postgres_database_is_named(emu, pg_url):
    url = pg_url.rsplit("/", 1)[0] + "/no_such_database_zz"
    one_line(run(bot_env(emu, url)), "no_such_database_zz", token=emu.token)


def test_a_data_folder_that_cannot_be_written_is_one_line(emu):
    # /proc/self exists and nobody, root included, may create a file in it
    one_line(run(bot_env(emu, "sqlite:////proc/self/bot.db")), "/proc/self/bot.db", token=emu.token)
    one_line(run(bot_env(emu, "sqlite:////proc/self/no/such/bot.db")), "/proc/self/no", token=emu.token)


def test_an_existing_database_in_a_read_only_folder_is_one_line(emu, tmp_path):
    """The database exists but its folder became read-only (SQLite cannot make its journal)."""
    from bot.db import init_db, make_engine

    folder = tmp_path / "data"
    engine = make_engine(f"sqlite:///{folder / 'bot.db'}")
    init_db(engine)
    engine.dispose()
    for extra in folder.glob("bot.db-*"):
        extra.unlink()
    folder.chmod(0o555)
    made_read_only = subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0 \
        if shutil.which("chattr") else False
    try:
        probe = folder / "probe"
        try:
            probe.touch()
            probe.unlink()
            pytest.skip("SKIPPED LOUDLY: cannot make a folder read-only here (root without chattr)")
        except OSError:
            pass
        one_line(run(bot_env(emu, f"sqlite:///{folder / 'bot.db'}")), "bot.db", token=emu.token)
    finally:
        if made_read_only:
            subprocess.run(["chattr", "-i", str(folder)], check=False)
        folder.chmod(0o755)


def test_reminder_offsets_are_bounded(emu, db_url):
    line = one_line(run(bot_env(emu, db_url, REMINDER_OFFSETS="7d,999999d")), "REMINDER_OFFSETS",
                    token=emu.token)
    assert "90" in line


def test_webhook_mode_needs_a_secret(emu, db_url):
    res = run(bot_env(emu, db_url, WEBHOOK_URL="https://example.org/hook"))
    one_line(res, "WEBHOOK_SECRET", token=emu.token)
    assert not emu.calls_to("setWebhook")


def test_a_malformed_webhook_secret_is_refused(emu, db_url):
    res = run(bot_env(emu, db_url, WEBHOOK_URL="https://example.org/hook", WEBHOOK_SECRET="has spaces!"))
    one_line(res, "WEBHOOK_SECRET", token=emu.token)


def test_a_good_configuration_still_starts(emu, db_url, tmp_path):
    proc = BotProcess(emu, db_url, tmp_path).wait_polling()
    try:
        assert proc.proc.poll() is None
    finally:
        proc.stop()
    assert emu.token not in proc.log()
