"""Command line for work plans: ``python -m bot plan import|list``.

    python -m bot plan import PATH [--year Y] [--activate]   # .docx / .txt / .pdf
    python -m bot plan list [--json]

Both use DATABASE_URL (the bot's database; start-up migrations are applied first). Exit codes:
0 done, 2 bad usage or a file that is not a work plan (the reason on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_subparsers(subparsers) -> None:  # noqa: ANN001
    """Register ``plan import`` and ``plan list`` into the bot's argparse."""
    plan = subparsers.add_parser("plan", help="work plans: import a document, list plans")
    sub = plan.add_subparsers(dest="plan_command", required=True)
    imp = sub.add_parser("import", help="import a work-plan document (.docx, .txt, .pdf)")
    imp.add_argument("path", help="the document")
    imp.add_argument("--year", type=int, default=None, help="the plan's year (default: from its title or 文号)")
    imp.add_argument("--activate", action="store_true", help="make it the active plan")
    imp.set_defaults(func=cmd_import)
    lst = sub.add_parser("list", help="list the stored plans")
    lst.add_argument("--json", action="store_true", help="JSON output")
    lst.set_defaults(func=cmd_list)


def _out(text: str) -> None:
    sys.stdout.buffer.write(text.encode("utf-8", "replace") + b"\n")
    sys.stdout.flush()


def _err(text: str) -> None:
    sys.stderr.buffer.write(text.encode("utf-8", "replace") + b"\n")
    sys.stderr.flush()


def _services():  # noqa: ANN202
    from bot.__main__ import _settings
    from bot.clock import Clock
    from bot.db import init_db, make_engine
    from bot.services.plans import PlanService

    settings = _settings()
    engine = make_engine(settings.database_url)
    init_db(engine)
    return PlanService(engine, Clock())


def read_paragraphs(path: Path) -> list[str]:
    """The document's paragraphs; raises PlanError / OSError with a reason."""
    from knowledge.parser import read_paragraphs as read

    return read(path)


def cmd_import(args: argparse.Namespace) -> int:
    """Parse, show the preview, store (and activate with --activate)."""
    from bot.errors import PlanError
    from bot.services.plans import draft_from_paragraphs
    from bot.texts.plans import plan_error, plan_preview_lines

    path = Path(args.path)
    if not path.is_file():
        _err(f"文件不存在：{path}")
        return 2
    try:
        draft = draft_from_paragraphs(read_paragraphs(path), source_name=path.name, year=args.year)
    except PlanError as exc:
        _err(plan_error(exc.reason, exc.data))
        return 2
    plans = _services()
    plans.check_replaces(draft)
    _out("\n".join(plan_preview_lines(draft)))
    view = plans.store(draft, activate=args.activate)
    verb = "已导入并启用" if view.active else "已导入（未启用；用 --activate 或在聊天中 /plans 启用）"
    if draft.replaces is not None:
        verb += f"，替换了原有的 {view.year} 年工作要点"
    _out(f"{verb}：{view.year}年 {view.title}（{len(view.items)} 个事项）")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    """Every year's current plan, the active one marked."""
    plans = _services()
    rows = plans.summaries()
    if args.json:
        _out(json.dumps([{"id": s.plan.id, "year": s.plan.year, "title": s.plan.title,
                          "doc_number": s.plan.doc_number, "sections": s.plan.section_count,
                          "items": len(s.plan.items), "checkins": s.checkins, "active": s.plan.active}
                         for s in rows], ensure_ascii=False))
        return 0
    for s in rows:
        _out(f"{'*' if s.plan.active else ' '} {s.plan.year}  {s.plan.title}  "
             f"{len(s.plan.items)} 个事项  已有填报 {s.checkins} 条")
    return 0
