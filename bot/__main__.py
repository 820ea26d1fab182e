"""Command line: ``python -m bot [run|console|ask|outline|units import]``.

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
    if not (args.webhook or settings.webhook_url):
        _without_webhook_server()
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
        _event_loop()
        app.run_polling(allowed_updates=Update.ALL_TYPES, poll_interval=0.0, timeout=10)
    return 0


def _without_webhook_server() -> None:
    """Long polling needs no web server, but PTB imports its webhook server (tornado: ~2.4 MiB for
    the life of the process, measured by benchmarks/bench_memory.py) whenever tornado is
    installed. Make that one import fail, as on a machine without tornado: PTB then only notes
    that webhooks are unavailable, which polling never asks for."""
    if "telegram.ext" not in sys.modules:
        sys.modules.setdefault("tornado", None)  # type: ignore[arg-type]


def _event_loop() -> None:
    """The loop ``run`` polls on: uvloop's where it is installed (not on Windows) — about 8 % less
    CPU per answered update than asyncio's own (benchmarks/bench_bot.py); PTB's run_polling takes
    the thread's current loop."""
    try:
        import uvloop
    except ImportError:
        return
    import asyncio

    asyncio.set_event_loop(uvloop.new_event_loop())


def cmd_console(args: argparse.Namespace) -> int:
    """The offline console demo: the full bot against an in-process Bot API, no network."""
    from bot.offline import run_offline

    settings = _settings()
    return run_offline(settings, database_url=args.database)


def _bot_username(settings, given: str | None) -> str | None:  # noqa: ANN001
    """--bot-username, else the bot's own (getMe with the configured token), else None."""
    if given:
        return given.lstrip("@")
    if settings.telegram_bot_token is None:
        return None
    import asyncio

    from telegram import Bot
    from telegram.error import TelegramError

    async def me() -> str:
        async with Bot(settings.telegram_bot_token.get_secret_value(), base_url=settings.telegram_base_url) as bot:
            return bot.username

    try:
        return asyncio.run(me())
    except (TelegramError, OSError) as exc:
        print(f"无法向 Telegram 查询机器人用户名（{type(exc).__name__}）；请用 --bot-username 指定。", file=sys.stderr)
        return None


def cmd_units_import(args: argparse.Namespace) -> int:
    """Import units from an .xlsx/.csv; print one CSV row of invite links per unit on stdout.
    Exit 0 when imported (rejected rows are listed on stderr), 2 when the file is refused."""
    import csv
    from pathlib import Path

    from bot import texts
    from bot.clock import Clock
    from bot.db import init_db, make_engine
    from bot.errors import FileRefused
    from bot.services.intake import ROSTER_TABLE, read_table, sniff
    from bot.services.roster import INVITE_COLUMNS, RosterService, invite_rows
    from bot.texts.onboarding import _reject_reason

    settings = _settings()
    _logging("WARNING", secrets=_secrets(settings))
    path = Path(args.path)
    if not path.is_file():
        print(f"文件不存在：{path}", file=sys.stderr)
        return 2
    try:
        data = path.read_bytes()
        s = sniff(data, path.name)
        if s.kind not in ("xlsx", "text"):
            raise FileRefused("no_header", expected={"roster": ROSTER_TABLE.expected()})
        table = read_table(data, s, specs=[ROSTER_TABLE])
    except FileRefused as exc:
        import re

        print(re.sub(r"<[^>]+>", "", texts.file_refused(exc.reason, exc.data)), file=sys.stderr)
        return 2
    username = _bot_username(settings, args.bot_username)
    if username is None and not args.dry_run:
        print("需要机器人的用户名来生成链接：设置 TELEGRAM_BOT_TOKEN，或用 --bot-username 指定。", file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    try:
        init_db(engine)
        from datetime import timedelta

        roster = RosterService(engine, Clock(), timedelta(days=settings.invite_ttl_days))
        if args.dry_run:
            preview, issued = roster.preview_import(table), []
        else:
            preview, issued = roster.import_units(table, created_by=args.created_by)
    finally:
        engine.dispose()
    for r in preview.rejected:
        print(f"第 {r.row} 行「{r.shown or '（空）'}」未导入：{_reject_reason(r)}", file=sys.stderr)
    print(f"新建 {len(preview.new)} 个，已存在 {len(preview.existing)} 个，未导入 {len(preview.rejected)} 行"
          + ("（试运行，未写入）" if args.dry_run else ""), file=sys.stderr)
    if issued:
        out = csv.writer(sys.stdout, lineterminator="\n")
        rows = invite_rows(issued, username or "", settings.tz)
        out.writerow(list(INVITE_COLUMNS) + (["联络员"] if rows and len(rows[0]) > 4 else []))
        out.writerows(rows)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="双拥助手 — 丰都县双拥工作 Telegram 助手")
    sub = parser.add_subparsers(dest="command")
    p_run = sub.add_parser("run", help="run the bot (long polling; --webhook for webhook mode)")
    p_run.add_argument("--webhook", action="store_true", help="serve a webhook (needs WEBHOOK_URL)")
    p_run.set_defaults(func=cmd_run)
    p_con = sub.add_parser("console", help="offline console demo (no token, no network)")
    p_con.add_argument("--database", default=None,
                       help="database URL for the demo (default: data/demo.db, never DATABASE_URL)")
    p_con.set_defaults(func=cmd_console)
    p_units = sub.add_parser("units", help="roster administration from the command line")
    units_sub = p_units.add_subparsers(dest="units_command", required=True)
    p_imp = units_sub.add_parser("import", help="import units from an .xlsx/.csv; prints invite links as CSV")
    p_imp.add_argument("path", help="the roster file: .xlsx or .csv with a 单位名称 column (类型, 联络员 optional)")
    p_imp.add_argument("--bot-username", default=None, help="the bot's @username for the links (default: ask Telegram)")
    p_imp.add_argument("--created-by", type=int, default=0, help="Telegram id recorded as the invites' creator")
    p_imp.add_argument("--dry-run", action="store_true", help="show what would be imported; change nothing")
    p_imp.set_defaults(func=cmd_units_import)
    from bot import cli_plans
    from knowledge.cli import add_subparsers

    add_subparsers(sub)
    cli_plans.add_subparsers(sub)
    cli_plans.install_plan_options(sub)
    args = parser.parse_args(argv)
    if args.command is None:
        import os

        from dotenv import dotenv_values

        token = os.environ.get("TELEGRAM_BOT_TOKEN") or dotenv_values(".env").get("TELEGRAM_BOT_TOKEN")
        args = parser.parse_args(["run"] if token else ["console"])
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
