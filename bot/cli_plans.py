"""Command line for work plans: ``python -m bot plan import|list``, and the plan behind ``ask``
and ``outline``.

    python -m bot plan import PATH [--year Y] [--activate]   # .docx / .txt / .pdf
    python -m bot plan list [--json]
    python -m bot ask "问题" [--year Y]     # the active plan, or the year's; a question naming a
    python -m bot outline [--year Y]        # year (「2020年的第二部分」) is answered from that plan

They use DATABASE_URL (the bot's database; start-up migrations are applied first). ``ask`` and
``outline`` without ``--doc`` answer from the database's plans when it exists, else from the
shipped document. Exit codes: 0 done, 1 (ask) not found, 2 bad usage, a file that is not a work
plan, or no plan of the year asked for (the reason on stderr).
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


def install_plan_options(subparsers) -> None:  # noqa: ANN001
    """Give the knowledge ``ask`` and ``outline`` sub-commands ``--year`` and the database's plans."""
    for name, func in (("ask", cmd_ask), ("outline", cmd_outline)):
        p = subparsers.choices[name]
        p.add_argument("--year", type=int, default=None, help="the plan of this year (default: the active one)")
        p.set_defaults(func=func)


def _plans_if_any():  # noqa: ANN202
    """A PlanService over DATABASE_URL when that database exists (a SQLite file that is not there
    is not created just to answer a question), else None."""
    from sqlalchemy.engine import make_url

    from bot.__main__ import _settings

    url = make_url(_settings().database_url)
    if url.get_backend_name() == "sqlite" and (not url.database or not Path(url.database).exists()):
        return None
    return _services()


def _kb_for_year(plans, year: int | None):  # noqa: ANN001, ANN202
    """(plan view, knowledge base) of ``year`` (None: the active plan); PlanError('no_year_plan')."""
    from bot.errors import PlanError

    if year is None:
        view = plans.active()
    else:
        view = plans.by_year(year)
        if view is None:
            raise PlanError("no_year_plan", year=year, years="、".join(str(y) for y in plans.years()) or "无")
    return view, plans.kb(view.id)


def _plan_kb(args: argparse.Namespace):  # noqa: ANN202
    """(the database's PlanService or None, the knowledge base ``--year`` names or None). Prints
    why and raises SystemExit(2) when ``--year`` cannot be served."""
    from bot.errors import PlanError
    from bot.texts.plans import plan_error
    from knowledge.cli import EXIT_ERROR

    if args.doc:
        if args.year is not None:
            _err("--doc 和 --year 只能用一个。")
            raise SystemExit(EXIT_ERROR)
        return None, None
    plans = _plans_if_any()
    if plans is None and args.year is not None:
        _err(plan_error("no_year_plan", {"year": args.year, "years": "（数据库尚未建立）"}))
        raise SystemExit(EXIT_ERROR)
    if plans is None or args.year is None:
        return plans, None
    try:
        return plans, _kb_for_year(plans, args.year)[1]
    except PlanError as exc:
        _err(plan_error(exc.reason, exc.data))
        raise SystemExit(EXIT_ERROR) from None


def cmd_ask(args: argparse.Namespace) -> int:
    """``ask`` answered from the plans in the database (``--year``, or the year a question names)."""
    from bot.texts.knowledge import quoting_plan
    from knowledge import cli

    plans, kb = _plan_kb(args)
    if plans is None or kb is not None:
        return cli.cmd_ask(args, kb=kb)

    def pick(question: str):  # noqa: ANN202
        route = plans.route(question)
        note = quoting_plan(route.plan.year, plans.active().year, route.missing_year)
        return plans.kb(route.plan.id), route.question, note.replace("\n\n", "\n")

    return cli.cmd_ask(args, pick=pick)


def cmd_outline(args: argparse.Namespace) -> int:
    """``outline`` of the active plan, or of ``--year``'s."""
    from knowledge import cli

    plans, kb = _plan_kb(args)
    return cli.cmd_outline(args, kb=kb if kb is not None or plans is None else plans.kb())


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


def cmd_import(args: argparse.Namespace) -> int:
    """Parse, show the preview, store (and activate with --activate)."""
    from bot.errors import PlanError
    from bot.services.plans import draft_from_paragraphs
    from bot.texts.plans import plan_error, plan_preview_lines
    from knowledge import DocumentError, read_document
    from knowledge.cli import DOC_ERRORS

    path = Path(args.path)
    try:
        draft = draft_from_paragraphs(read_document(path), source_name=path.name, year=args.year)
    except DocumentError as exc:
        _err(f"无法导入 {path}：{DOC_ERRORS.get(exc.reason, exc.reason)}")
        return 2
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
