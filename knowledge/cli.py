"""Command line: ``ask`` and ``outline`` (registered into the bot's argparse by ``add_subparsers``).

    python -m bot ask "光荣牌怎么挂" [--json] [--doc PATH] [--limit N]
    python -m bot ask --json < questions.txt        # one question a line -> one JSON object a line
    python -m bot outline [--json] [--doc PATH]

``--doc`` takes a .txt, .docx or .pdf (with a text layer) instead of the shipped document.

``ask --json`` prints ``{"question": …, "year": …, "results": [{"id","label","title","score","text",
"sentences"}, …]}`` (``year``: the plan's year, when known): ``results`` is empty when there is no answer (off-topic, or a reference that
does not exist); ``sentences`` are the sentences of ``text`` that answer (empty when the whole
clause does); a section's ``text`` includes its items' text, and it has ``"items": [{"id",
"label","title","text"}, …]`` too.
``outline --json`` prints a JSON *list* of the top-level nodes (header, preamble, sections), each
``{"id","label","title","children":[…]}`` with items nested under their section.

With no question argument, ``ask`` reads one question a line from standard input (and says so on
standard error when that is a terminal, rather than waiting silently).

Exit codes: 0 answered; 1 not found (no clause answers, or the reference does not exist) — for
one question given as an argument; reading standard input exits 0 after the last line; 2 a usage
error or a document that cannot be read (the reason in Chinese on standard error: 「文件不存在」 …).

Also runnable on its own: ``python -m knowledge.cli ask …``. ``cmd_ask(args, kb)`` and
``cmd_outline(args, kb)`` take an already built ``KnowledgeBase`` (a caller that picks the plan).
"""

from __future__ import annotations

import argparse
import json
import sys

from .errors import DocumentError
from .model import Answer, Clause

EXIT_OK, EXIT_NOT_FOUND, EXIT_ERROR = 0, 1, 2
NOT_FOUND = "未找到与该问题相关的条款。"
NOT_FOUND_HINT = "可运行 python -m bot outline 查看目录，或换个说法再问。"
STDIN_HINT = ("（从标准输入逐行读取问题，每行输出一个回答；按 Ctrl-D 结束。"
              "也可以直接写问题：python -m bot ask \"光荣牌怎么挂\"）\n")
DOC_ERRORS = {
    "missing": "文件不存在",
    "unreadable": "文件无法读取或已损坏",
    "doc_format": "这是旧版 Word（.doc）文件，请另存为 .docx 后再试",
    "unsupported": "不支持这种文件，请使用 .txt、.docx 或带文字层的 .pdf",
    "no_text": "这个 PDF 没有文字层（可能是扫描件），请提供可复制文字的 PDF 或 .docx",
    "empty": "文件是空的",
    "not_a_plan": "文件里没有找到“一、……”这样的部分标题，不像一份工作要点",
    "too_large": "文件太大",
}


ASK_EXIT_CODES = ("exit status: 0 answered; 1 nothing in the document answers (or the clause named does not "
                  "exist), for a question given as an argument; 2 a usage error or a document that cannot "
                  "be read. Reading questions from standard input exits 0 after the last line.")


def add_subparsers(subparsers) -> None:  # noqa: ANN001
    ask = subparsers.add_parser("ask", help="answer a question from the document", epilog=ASK_EXIT_CODES)
    ask.add_argument("question", nargs="?", help="the question; omitted: read stdin, one a line")
    ask.add_argument("--json", action="store_true", help="JSON output")
    ask.add_argument("--doc", metavar="PATH", help="another document (.txt, .docx or .pdf)")
    ask.add_argument("--limit", type=int, default=3, metavar="N", help="results (default 3)")
    ask.set_defaults(func=cmd_ask)
    outline = subparsers.add_parser("outline", help="print the clause tree of the document")
    outline.add_argument("--json", action="store_true", help="JSON output (list of top nodes)")
    outline.add_argument("--doc", metavar="PATH", help="another document (.txt, .docx or .pdf)")
    outline.set_defaults(func=cmd_outline)


# --------------------------------------------------------------------------- helpers

def _out(text: str) -> None:
    sys.stdout.buffer.write(text.encode("utf-8", "replace") + b"\n")
    sys.stdout.flush()


def _err(text: str) -> None:
    sys.stderr.buffer.write(text.encode("utf-8", "replace") + (b"" if text.endswith("\n") else b"\n"))
    sys.stderr.flush()


def _safe(s: str) -> str:
    """Make any input (lone surrogates from bad argv bytes included) valid text."""
    return s.encode("utf-8", "replace").decode("utf-8")


def load(doc: str | None):  # noqa: ANN201
    """The knowledge base of ``doc`` (None: the shipped document), or None after printing why
    not in Chinese on standard error."""
    from .base import KnowledgeBase

    try:
        return KnowledgeBase.load(doc)
    except DocumentError as exc:
        _err(f"无法使用文件 {doc}：{DOC_ERRORS.get(exc.reason, exc.reason)}")
        return None


def _section_text(kb, c: Clause) -> str:  # noqa: ANN001
    parts = [c.text]
    for k in c.children:
        ch = kb.clauses[k]
        parts.append(f"{ch.label} {ch.text}")
    return "\n".join(parts)


def answer_json(ans: Answer, kb=None) -> dict:  # noqa: ANN001
    out = []
    for h in ans.hits:
        c = h.clause
        r = {"id": c.id, "label": c.label, "title": c.title, "score": round(h.score, 4),
             "text": c.text, "sentences": h.answer_text()}
        if c.kind == "section" and kb is not None:
            r["text"] = _section_text(kb, c)
            r["items"] = [{"id": k, "label": kb.clauses[k].label, "title": kb.clauses[k].title,
                           "text": kb.clauses[k].text} for k in c.children]
        out.append(r)
    return {"question": ans.question, "results": out}


def _clause_text(kb, c: Clause) -> str:  # noqa: ANN001
    head = f"{c.label} {c.title}".strip()
    if c.kind == "section":
        lines = [head]
        body = c.text[len(c.title):].strip() if c.text.startswith(c.title) else c.text
        if body:
            lines.append(body)
        lines += [f"  {kb.clauses[k].label} {kb.clauses[k].title}" for k in c.children]
        return "\n".join(lines)
    return f"{head}\n{c.text}"


def answer_text(kb, ans: Answer) -> str:  # noqa: ANN001
    if ans.kind == "missing":
        return f"文件中没有「{ans.missing_ref}」。现有：\n" + "\n".join(f"  {a}" for a in ans.available)
    if ans.kind == "overview":
        return f"{kb.title}共 {len(ans.hits)} 部分：\n" + "\n".join(
            _clause_text(kb, h.clause) for h in ans.hits)
    if not ans.hits:
        tops = [f"  {c.label} {c.title}" for c in kb.top_level() if c.kind == "section"]
        return NOT_FOUND + NOT_FOUND_HINT + "\n" + "\n".join(tops)
    top = ans.hits[0]
    parts = [_clause_text(kb, top.clause)]
    if top.sentences and top.clause.kind != "section":
        parts.append("答：" + "".join(top.answer_text()))
    if len(ans.hits) > 1:
        parts.append("相关条款：" + "；".join(f"{h.clause.label} {h.clause.title}"
                                          for h in ans.hits[1:]))
    return "\n".join(parts)


# --------------------------------------------------------------------------- commands

def cmd_ask(args, kb=None, pick=None) -> int:  # noqa: ANN001
    """``ask``: exit codes in the module docstring. ``kb``: use this knowledge base instead of
    loading ``args.doc``. ``pick(question) -> (kb, question, note)``: choose the knowledge base per
    question (a caller that keeps several plans); ``note`` is printed before a text answer."""
    if pick is None:
        kb = kb if kb is not None else load(getattr(args, "doc", None))
        if kb is None:
            return EXIT_ERROR
    limit = max(1, min(int(getattr(args, "limit", 3) or 3), 50))
    as_json = bool(getattr(args, "json", False))

    def one(q: str) -> bool:
        q = _safe(q)
        kb_q, q_kb, note = pick(q) if pick is not None and q.strip() else (kb, q, "")
        ans = kb_q.ask(q_kb, limit=limit) if q.strip() else Answer(question=q, kind="none")
        ans.question = q
        if as_json:
            out = answer_json(ans, kb_q)
            if kb_q is not None and getattr(kb_q, "year", None):
                out["year"] = kb_q.year
            _out(json.dumps(out, ensure_ascii=False))
        else:
            _out(note + answer_text(kb_q, ans) if q.strip() else "请输入问题。")
        return bool(ans.hits)

    if args.question is not None:
        if not args.question.strip():
            _err("请输入问题，例如：python -m bot ask \"光荣牌怎么挂\"")
            return EXIT_ERROR
        return EXIT_OK if one(args.question) else EXIT_NOT_FOUND
    if sys.stdin is None:
        return EXIT_ERROR
    if sys.stdin.isatty():
        _err(STDIN_HINT)
    for raw in sys.stdin.buffer:
        one(raw.decode("utf-8", "replace").rstrip("\r\n"))
    return EXIT_OK


def cmd_outline(args, kb=None) -> int:  # noqa: ANN001
    """``outline``; ``kb`` as for ``cmd_ask``."""
    kb = kb if kb is not None else load(getattr(args, "doc", None))
    if kb is None:
        return EXIT_ERROR
    if getattr(args, "json", False):
        _out(json.dumps(kb.outline(), ensure_ascii=False))
        return EXIT_OK
    lines = [kb.title]
    for c in kb.top_level():
        lines.append(f"{c.id:>9}  {c.label} {c.title}")
        lines += [f"{k:>9}    {kb.clauses[k].label} {kb.clauses[k].title}" for k in c.children]
    _out("\n".join(lines))
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    add_subparsers(sub)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
