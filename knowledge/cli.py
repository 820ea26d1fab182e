"""Command line: ``ask`` and ``outline`` (registered into the bot's argparse by ``add_subparsers``).

    python -m bot ask "光荣牌怎么挂" [--json] [--doc PATH] [--limit N]
    python -m bot ask --json < questions.txt        # one question a line -> one JSON object a line
    python -m bot outline [--json] [--doc PATH]

``ask --json`` prints ``{"question": …, "results": [{"id","label","title","score","text"}, …]}``
(``results`` is empty when there is no answer: off-topic, or a reference that does not exist).
``outline --json`` prints a JSON *list* of the top-level nodes (header, preamble, sections), each
``{"id","label","title","children":[…]}`` with items nested under their section.

Also runnable on its own: ``python -m knowledge.cli ask …``.
"""

from __future__ import annotations

import argparse
import json
import sys

from .model import Answer, Clause

NOT_FOUND = "未找到与该问题相关的条款。"


def add_subparsers(subparsers) -> None:
    ask = subparsers.add_parser("ask", help="answer a question from the document")
    ask.add_argument("question", nargs="?", help="the question; omitted: read stdin, one a line")
    ask.add_argument("--json", action="store_true", help="JSON output")
    ask.add_argument("--doc", metavar="PATH", help="another document (.txt or .docx)")
    ask.add_argument("--limit", type=int, default=3, metavar="N", help="results (default 3)")
    ask.set_defaults(func=cmd_ask)
    outline = subparsers.add_parser("outline", help="print the clause tree of the document")
    outline.add_argument("--json", action="store_true", help="JSON output (list of top nodes)")
    outline.add_argument("--doc", metavar="PATH", help="another document (.txt or .docx)")
    outline.set_defaults(func=cmd_outline)


# --------------------------------------------------------------------------- helpers

def _out(text: str) -> None:
    sys.stdout.buffer.write(text.encode("utf-8", "replace") + b"\n")
    sys.stdout.flush()


def _safe(s: str) -> str:
    """Make any input (lone surrogates from bad argv bytes included) valid text."""
    return s.encode("utf-8", "replace").decode("utf-8")


def _load(doc: str | None):
    from .base import KnowledgeBase

    try:
        return KnowledgeBase.load(doc)
    except (OSError, ValueError, KeyError) as exc:  # missing file, unreadable .docx
        sys.stderr.write(f"cannot read document {doc!r}: {exc}\n")
        return None
    except Exception as exc:  # noqa: BLE001 - python-docx raises its own types on bad zips
        sys.stderr.write(f"cannot parse document {doc!r}: {type(exc).__name__}: {exc}\n")
        return None


def answer_json(ans: Answer) -> dict:
    return {"question": ans.question,
            "results": [{"id": h.clause.id, "label": h.clause.label, "title": h.clause.title,
                         "score": round(h.score, 4), "text": h.clause.text} for h in ans.hits]}


def _clause_text(kb, c: Clause) -> str:
    head = f"{c.label} {c.title}".strip()
    if c.kind == "section":
        lines = [head]
        body = c.text[len(c.title):].strip() if c.text.startswith(c.title) else c.text
        if body:
            lines.append(body)
        lines += [f"  {kb.clauses[k].label} {kb.clauses[k].title}" for k in c.children]
        return "\n".join(lines)
    return f"{head}\n{c.text}"


def answer_text(kb, ans: Answer) -> str:
    if ans.kind == "missing":
        return f"文件中没有「{ans.missing_ref}」。现有：\n" + "\n".join(f"  {a}" for a in ans.available)
    if ans.kind == "overview":
        return f"{kb.title}共 {len(ans.hits)} 部分：\n" + "\n".join(
            _clause_text(kb, h.clause) for h in ans.hits)
    if not ans.hits:
        tops = [f"  {c.label} {c.title}" for c in kb.top_level() if c.kind == "section"]
        return NOT_FOUND + "可发送 /outline 查看目录，或换个说法。\n" + "\n".join(tops)
    parts = [_clause_text(kb, ans.hits[0].clause)]
    if len(ans.hits) > 1:
        parts.append("相关条款：" + "；".join(f"{h.clause.label} {h.clause.title}"
                                          for h in ans.hits[1:]))
    return "\n".join(parts)


# --------------------------------------------------------------------------- commands

def cmd_ask(args) -> int:
    kb = _load(getattr(args, "doc", None))
    if kb is None:
        return 2
    limit = max(1, min(int(getattr(args, "limit", 3) or 3), 50))
    as_json = bool(getattr(args, "json", False))

    def one(q: str) -> None:
        q = _safe(q)
        ans = kb.ask(q, limit=limit) if q.strip() else Answer(question=q, kind="none")
        if as_json:
            _out(json.dumps(answer_json(ans), ensure_ascii=False))
        else:
            _out(answer_text(kb, ans) if q.strip() else "请输入问题。")

    if args.question is not None:
        one(args.question)
        return 0
    for raw in sys.stdin.buffer:
        one(raw.decode("utf-8", "replace").rstrip("\r\n"))
    return 0


def cmd_outline(args) -> int:
    kb = _load(getattr(args, "doc", None))
    if kb is None:
        return 2
    if getattr(args, "json", False):
        _out(json.dumps(kb.outline(), ensure_ascii=False))
        return 0
    lines = [kb.title]
    for c in kb.top_level():
        lines.append(f"{c.id:>9}  {c.label} {c.title}")
        lines += [f"{k:>9}    {kb.clauses[k].label} {kb.clauses[k].title}" for k in c.children]
    _out("\n".join(lines))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    add_subparsers(sub)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
