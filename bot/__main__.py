"""Command line: ``python -m bot [run|console|ask|outline]``.

With no sub-command: runs the bot when TELEGRAM_BOT_TOKEN is set, else the offline console demo."""

from __future__ import annotations

import argparse
import logging
import sys


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then blanks every secret (the bot token appears in PTB's debug lines and
    in request URLs inside tracebacks)."""

    def __init__(self, fmt: str, secrets: list[str]) -> None:
        super().__init__(fmt)
        self.secrets = [s for s in secrets if s]

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self.secrets:
            text = text.replace(secret, "<redacted>")
        return text


def _logging(level: str, *, to_file: str | None = None, secrets: list[str] | None = None) -> None:
    handlers: list[logging.Handler]
    if to_file:
        from pathlib import Path

        Path(to_file).parent.mkdir(parents=True, exist_ok=True)
        handlers = [logging.FileHandler(to_file, encoding="utf-8")]
    else:
        handlers = [logging.StreamHandler(sys.stderr)]
    formatter = RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets or [])
    for h in handlers:
        h.setFormatter(formatter)
    logging.basicConfig(level=level, handlers=handlers, force=True)
    # httpx logs every request URL, and the token is part of the URL: keep it quiet
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # "setup plugin …" at every start


def _settings():  # noqa: ANN202
    from bot.config import ConfigError, load_settings

    try:
        return load_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(2) from None


def _secrets(settings) -> list[str]:  # noqa: ANN001
    """The token, and its part after the colon (which alone is the secret), and the webhook secret."""
    out = []
    if settings.telegram_bot_token is not None:
        token = settings.telegram_bot_token.get_secret_value()
        out += [token, token.split(":", 1)[-1]]
    if settings.webhook_secret is not None:
        out.append(settings.webhook_secret.get_secret_value())
    return sorted(set(out), key=len, reverse=True)


def cmd_run(args: argparse.Namespace) -> int:
    """Run the bot: long polling, or a webhook server with --webhook. Start-up failures are one
    line on stderr and a non-zero exit (bot/startup.py)."""
    settings = _settings()
    _logging(settings.log_level, secrets=_secrets(settings))
    if settings.telegram_bot_token is None:
        print("TELEGRAM_BOT_TOKEN 未设置 / is not set: put it in .env, or run `python -m bot` for the offline demo.",
              file=sys.stderr)
        return 2
    from telegram import Update

    from bot.app import build_application
    from bot.startup import StartupError, check_bot_api, check_database, check_webhook

    webhook = bool(args.webhook or settings.webhook_url)
    try:
        if webhook:
            check_webhook(settings)
        engine = check_database(settings)
        check_bot_api(settings)
    except StartupError as exc:
        print(f"启动失败 / cannot start: {exc}", file=sys.stderr)
        return exc.code
    app = build_application(settings, engine=engine)
    if webhook:
        from urllib.parse import urlparse

        assert settings.webhook_url is not None and settings.webhook_secret is not None
        app.run_webhook(listen=settings.webhook_listen, port=settings.webhook_port,
                        url_path=urlparse(settings.webhook_url).path.lstrip("/"),
                        webhook_url=settings.webhook_url,
                        secret_token=settings.webhook_secret.get_secret_value(),
                        allowed_updates=Update.ALL_TYPES)
    else:
        app.run_polling(allowed_updates=Update.ALL_TYPES, poll_interval=0.0, timeout=10)
    return 0


def cmd_console(args: argparse.Namespace) -> int:
    """The offline console demo: the full bot against an in-process Bot API, no network."""
    from bot.offline import run_offline

    settings = _settings()
    return run_offline(settings, database_url=args.database)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="双拥助手 — 丰都县双拥工作 Telegram 助手")
    sub = parser.add_subparsers(dest="command")
    p_run = sub.add_parser("run", help="run the bot (long polling; --webhook for webhook mode)")
    p_run.add_argument("--webhook", action="store_true", help="serve a webhook (needs WEBHOOK_URL)")
    p_run.set_defaults(func=cmd_run)
    p_con = sub.add_parser("console", help="offline console demo (no token, no network)")
    p_con.add_argument("--database", default=None, help="database URL for the demo (default: DATABASE_URL)")
    p_con.set_defaults(func=cmd_console)
    from knowledge.cli import add_subparsers

    add_subparsers(sub)
    args = parser.parse_args(argv)
    if args.command is None:
        import os

        from dotenv import dotenv_values

        token = os.environ.get("TELEGRAM_BOT_TOKEN") or dotenv_values(".env").get("TELEGRAM_BOT_TOKEN")
        args = parser.parse_args(["run"] if token else ["console"])
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
