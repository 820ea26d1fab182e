#!/usr/bin/env python3
"""Black-box first-contact measurement of the 双拥助手 question answering.

Runs the bot's CLI as a subprocess (``python -m bot ask --json`` with one question a line on
stdin) and scores each question of a JSONL file ({"q", "expect", "kind"}).

Scoring (per the helper brief):
  * expect == []            right iff ``results`` is empty (top-1 and top-3 alike);
  * expect == ["overview"]  right iff >= 2 results and every result id is a section id
                            (digits only: "1", "2", ...), i.e. the bot lists the sections;
  * otherwise               top-1: results[0].id in expect; top-3: any of results[:3] in expect.

Lines without "expect" (the bot-data set) are not scored; their top results are listed.

Usage:
  python3 measure.py QUESTIONS.jsonl [--doc PATH] [--repo /work/main] [--outline EXPECTED.json]
  --outline compares ``python -m bot outline --json`` with an expected clause tree
  ({"id", "title", "children"} nested, as the CLI prints it).
stdlib only.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import unicodedata
from collections import OrderedDict


def run_cli(repo, args, stdin=None):
    py = os.path.join(repo, ".venv", "bin", "python")
    cmd = [py, "-m", "bot"] + args
    p = subprocess.run(cmd, cwd=repo, input=stdin, capture_output=True, text=True, timeout=900)
    if p.returncode != 0:
        sys.stderr.write(p.stderr)
        raise SystemExit("CLI failed: %s (rc=%s)" % (" ".join(args), p.returncode))
    return p.stdout


def ask_all(repo, questions, doc=None):
    args = ["ask", "--json"] + (["--doc", doc] if doc else [])
    # one question per line: collapse any newline inside a question
    stdin = "".join(q.replace("\n", " ") + "\n" for q in questions)
    out = [ln for ln in run_cli(repo, args, stdin).splitlines() if ln.strip()]
    if len(out) != len(questions):
        raise SystemExit("expected %d answers, got %d" % (len(questions), len(out)))
    return [json.loads(ln) for ln in out]


def is_section(cid):
    return bool(re.fullmatch(r"\d+", str(cid)))


def score(expect, results):
    ids = [r.get("id") for r in results]
    if expect == []:
        ok = not ids
        return ok, ok
    if expect == ["overview"]:
        ok = len(ids) >= 2 and all(is_section(i) for i in ids)
        return ok, ok
    return (bool(ids) and ids[0] in expect), any(i in expect for i in ids[:3])


def pct(a, n):
    return "%3d/%-3d %5.1f%%" % (a, n, 100.0 * a / n if n else 0.0)


def flatten(nodes, acc=None):
    acc = OrderedDict() if acc is None else acc
    for n in nodes:
        acc[str(n["id"])] = n.get("title", "")
        flatten(n.get("children", []), acc)
    return acc


def norm(s):
    s = unicodedata.normalize("NFKC", s or "")
    return re.sub(r"[\s。；;，,]+$", "", re.sub(r"\s+", "", s))


def compare_outline(repo, doc, expected_path):
    got = flatten(json.loads(run_cli(repo, ["outline", "--json"] + (["--doc", doc] if doc else []))))
    with open(expected_path, encoding="utf-8") as f:
        exp = flatten(json.load(f))
    lines = ["## Outline: bot vs expected (%s)" % (doc or "default document"),
             "bot: %d clauses, expected: %d" % (len(got), len(exp))]
    diffs = 0
    for cid, title in exp.items():
        if cid not in got:
            lines.append("  MISSING %-8s expected %r" % (cid, title)); diffs += 1
        elif cid not in ("header", "preamble") and norm(got[cid]) != norm(title):
            # for header/preamble the title is free-form; only presence is checked
            lines.append("  TITLE   %-8s expected %r\n          %-8s bot      %r" % (cid, title, "", got[cid])); diffs += 1
    for cid, title in got.items():
        if cid not in exp:
            lines.append("  EXTRA   %-8s bot %r" % (cid, title)); diffs += 1
    lines.append("  bot outline: " + " ".join(got.keys()))
    lines.append("  %s" % ("identical ids and titles" if not diffs else "%d difference(s)" % diffs))
    return "\n".join(lines)


def text_checks(repo, doc, path):
    """Asks each checked clause (by its bare id "2.1", or by c["ask"]) and tests its text (whitespace removed)."""
    with open(path, encoding="utf-8") as f:
        checks = json.load(f)
    answers = ask_all(repo, [c.get("ask", c["id"]) for c in checks], doc)
    lines = ["## Clause text checks (asked by bare id, or by the given question)"]
    for c, ans in zip(checks, answers):
        res = ans.get("results", [])
        if not res or str(res[0].get("id")) != c["id"]:
            lines.append("  FAIL %-8s asked %r, got %s" % (c["id"], c.get("ask", c["id"]), [r.get("id") for r in res[:3]]))
            continue
        text = re.sub(r"\s+", "", res[0].get("text", ""))
        bad = ["missing %r" % w for w in c.get("contains", []) if w not in text]
        bad += ["contains %r" % w for w in c.get("not_contains", []) if w in text]
        lines.append("  %s %-8s %s%s" % ("ok  " if not bad else "FAIL", c["id"], c.get("why", ""),
                                        ("  -> " + "; ".join(bad)) if bad else ""))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("questions")
    ap.add_argument("--doc")
    ap.add_argument("--repo", default="/work/main")
    ap.add_argument("--outline", help="expected outline JSON to compare")
    ap.add_argument("--text-checks", help='JSON list of {"id", "contains": [...], "not_contains": [...]}'
                    ' checked against the text the bot returns when asked the bare id')
    a = ap.parse_args()
    rows = [json.loads(l) for l in open(a.questions, encoding="utf-8") if l.strip()]
    answers = ask_all(a.repo, [r["q"] for r in rows], a.doc)
    print("# First contact: %s%s" % (a.questions, " --doc " + a.doc if a.doc else ""))
    if a.outline:
        print(compare_outline(a.repo, a.doc, a.outline))
        print()
    if a.text_checks:
        print(text_checks(a.repo, a.doc, a.text_checks))
        print()
    scored = [(r, ans) for r, ans in zip(rows, answers) if "expect" in r]
    unscored = [(r, ans) for r, ans in zip(rows, answers) if "expect" not in r]
    if scored:
        kinds = OrderedDict()
        t1 = t3 = 0
        misses = []
        for r, ans in scored:
            res = ans.get("results", [])
            ok1, ok3 = score(r["expect"], res)
            t1 += ok1; t3 += ok3
            k = kinds.setdefault(r.get("kind", "?"), [0, 0, 0])
            k[0] += 1; k[1] += ok1; k[2] += ok3
            if not ok1:
                misses.append((r, res, ok3))
        n = len(scored)
        print("overall   top-1 %s   top-3 %s" % (pct(t1, n), pct(t3, n)))
        for kind, (kn, k1, k3) in kinds.items():
            print("  %-14s top-1 %s   top-3 %s" % (kind, pct(k1, kn), pct(k3, kn)))
        print("\n## Misses (top-1 wrong; '+top3' = right within the first 3)")
        for r, res, ok3 in misses:
            got = ", ".join("%s(%.2f)" % (x.get("id"), float(x.get("score") or 0)) for x in res[:3]) or "<no answer>"
            print("  [%s]%s %s  expect=%s  got=%s" % (r.get("kind"), " +top3" if ok3 else "", r["q"],
                                                    r["expect"] or "[]", got))
    for r, ans in unscored:
        res = ans.get("results", [])
        got = ", ".join("%s(%.2f)" % (x.get("id"), float(x.get("score") or 0)) for x in res[:3]) or "<no answer>"
        print("  [%s/%s] %s -> %s" % (r.get("kind"), r.get("intent"), r["q"], got))


if __name__ == "__main__":
    main()
