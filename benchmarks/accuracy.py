"""Top-1 / top-3 accuracy per question set and kind: ours beside a plain jieba + BM25 baseline,
and, for the independent sets, the figure the code had on first contact.

    .venv/bin/python benchmarks/accuracy.py            # every set below
    .venv/bin/python benchmarks/accuracy.py -v         # ... and list the misses
    .venv/bin/python benchmarks/accuracy.py FILE.jsonl [--doc PATH]

Sets (tests/data/):
  questions.jsonl          108, tuned on (2020 document)
  questions_heldout.jsonl   36, written before tuning (2020)
  questions_heldout2.jsonl  72, a second independent set (2020)
  questions_v3.jsonl       181, a third independent set, issue 13's kinds (2020)
  questions_2026.jsonl      69, docs/2026-shizhu-workpoints.docx (another county, 6 sections)
  questions_2025.jsonl      25, docs/2025-odd-workpoints.txt (an odd layout)
  set4/questions_2020.jsonl 175, a fourth independent set (2020)
  set4/questions_2026.jsonl 155, the fourth set on docs/2026-shizhu-workpoints.txt
  set5/questions_2020.jsonl  60, a fifth independent set (2020)
  set5/questions_2024.jsonl 143, the fifth set on docs/2024-wulong-workpoints.txt (a document the
                            code had never seen: 6 sections, 1. and 1、 numbering, a section
                            without items)
  set6/questions_2025.jsonl 158, a sixth set on docs/2025-kaizhou-workpoints.txt (an addressee
                            line under the title, 1．2． numbering, a closing paragraph)
  questions_v3_botdata.jsonl 18 questions about the bot's own data: intent recognition
The v3 / 2026 / 2025 / set4 / set5 / set6 sets were written by a helper who had not seen the code; their
first-contact figures (tests/data/first_contact/*.txt and tests/data/set{4,5,6}/first_contact_*.txt,
measured by the helper's black-box scorer on the code before any change made for that set) are
printed beside today's.

Scoring: ``"expect": []`` is right when there is no answer (off-topic, or a reference that does
not exist); ``["overview"]`` when the answer is the document's outline; else top-1 = the first
result is in ``expect``, top-3 = one of the first three is.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from knowledge import KnowledgeBase, intents  # noqa: E402

DATA = ROOT / "tests" / "data"
SETS = [  # (questions, document or None for the shipped one, first-contact file or None)
    ("questions.jsonl", None, None),
    ("questions_heldout.jsonl", None, None),
    ("questions_heldout2.jsonl", None, None),
    ("questions_v3.jsonl", None, "first_contact_2020.txt"),
    ("questions_2026.jsonl", "docs/2026-shizhu-workpoints.docx", "first_contact_2026.txt"),
    ("questions_2025.jsonl", "docs/2025-odd-workpoints.txt", "first_contact_2025.txt"),
    ("set4/questions_2020.jsonl", None, "set4/first_contact_2020.txt"),
    ("set4/questions_2026.jsonl", "docs/2026-shizhu-workpoints.txt", "set4/first_contact_2026.txt"),
    ("set5/questions_2020.jsonl", None, "set5/first_contact_2020.txt"),
    ("set5/questions_2024.jsonl", "docs/2024-wulong-workpoints.txt", "set5/first_contact_2024.txt"),
    ("set6/questions_2025.jsonl", "docs/2025-kaizhou-workpoints.txt", "set6/first_contact_2025.txt"),
]


class Baseline:
    """jieba (default dictionary) + BM25 over clause texts; no synonyms, structure or threshold."""

    def __init__(self, clauses):
        import jieba

        jieba.setLogLevel(60)
        self.cut = jieba.lcut_for_search
        self.ids = [c.id for c in clauses]
        self.docs = [Counter(t for t in self.cut(c.title + c.text) if t.strip()) for c in clauses]
        self.len = [sum(d.values()) for d in self.docs]
        self.avg = sum(self.len) / len(self.len)
        df = Counter(t for d in self.docs for t in d)
        n = len(self.docs)
        self.idf = {t: math.log(1 + (n - k + 0.5) / (k + 0.5)) for t, k in df.items()}

    def ask(self, q, limit=3):
        terms = [t for t in self.cut(q) if t.strip()]
        scores = []
        for i, d in enumerate(self.docs):
            s = 0.0
            for t in terms:
                tf = d.get(t, 0)
                if tf:
                    s += self.idf[t] * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * self.len[i] / self.avg))
            scores.append((s, self.ids[i]))
        scores.sort(reverse=True)
        return [cid for s, cid in scores[:limit] if s > 0]


def evaluate(ask, path: Path, misses: list | None = None):
    per = defaultdict(lambda: [0, 0, 0])  # n, top1, top3
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        d = json.loads(line)
        got = ask(d["q"])
        exp = d["expect"]
        t1 = (bool(got) and got[0] in exp) if exp else not got
        t3 = bool(set(got[:3]) & set(exp)) if exp else not got
        for k in (d["kind"], "ALL"):
            per[k][0] += 1
            per[k][1] += t1
            per[k][2] += t3
        if misses is not None and not t1:
            misses.append(f"  [{d['kind']}] {d['q']}  expect={exp}  got={got}")
    return per


_FC_LINE = [  # the two report layouts: "kind top-1 a/n x% top-3 b/n y%" and "kind n a x% b y%"
    re.compile(r"^\s*([\w/]+)\s+top-1\s+\d+/\d+\s+([\d.]+)%\s+top-3\s+\d+/\d+\s+([\d.]+)%"),
    re.compile(r"^\s*([\w/]+)\s+\d+\s+\d+\s+([\d.]+)%\s+\d+\s+([\d.]+)%\s*$"),
]


def first_contact(name: str | None) -> dict[str, tuple[float, float]]:
    """kind -> (top-1, top-3) from a first-contact report ('overall' -> 'ALL'); the first table
    in the file (the .docx run for 2026 repeats the .txt one). ``name`` is relative to
    tests/data/first_contact/ or, with a folder, to tests/data/."""
    if not name:
        return {}
    path = DATA / name if "/" in name else DATA / "first_contact" / name
    if not path.exists():
        return {}
    out: dict[str, tuple[float, float]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        m = _FC_LINE[0].match(line) or _FC_LINE[1].match(line)
        if m:
            kind = "ALL" if m.group(1).lower() == "overall" else m.group(1)
            if kind in out:
                break
            out[kind] = (float(m.group(2)) / 100, float(m.group(3)) / 100)
    return out


def report(path: Path, doc: Path | None, fc: dict, verbose: bool) -> tuple[int, int, int, int, int]:
    """Print the set's table; (questions, top-1 right, top-3 right, baseline top-1, top-3)."""
    kb = KnowledgeBase.load(doc) if doc else KnowledgeBase.load()
    base = Baseline(list(kb.clauses.values()))

    def ours(q: str) -> list[str]:
        ans = kb.ask(q, limit=3)
        return ["overview"] if ans.kind == "overview" else [h.clause.id for h in ans.hits]

    misses: list[str] = []
    a, b = evaluate(ours, path, misses), evaluate(base.ask, path)
    title = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    print(f"\n{title}" + (f"  (document {doc.relative_to(ROOT) if doc.is_relative_to(ROOT) else doc})" if doc else ""))
    print(f"{'kind':<20}{'n':>4}  {'top1':>7}{'top3':>7}   {'base1':>7}{'base3':>7}"
          + (f"   {'first1':>7}{'first3':>7}" if fc else ""))
    for k in sorted(a, key=lambda k: (k == "ALL", k)):
        n, t1, t3 = a[k]
        _, b1, b3 = b[k]
        line = f"{k:<20}{n:>4}  {t1 / n:>7.1%}{t3 / n:>7.1%}   {b1 / n:>7.1%}{b3 / n:>7.1%}"
        if fc:
            f1, f3 = fc.get(k, (float("nan"), float("nan")))
            line += f"   {f1:>7.1%}{f3:>7.1%}"
        print(line)
    if verbose and misses:
        print("misses:")
        print("\n".join(misses))
    n, t1, t3 = a["ALL"]
    _, b1, b3 = b["ALL"]
    return n, t1, t3, b1, b3


def intents_report(path: Path, verbose: bool) -> tuple[int, int]:
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    ok = 0
    bad = []
    for d in rows:
        got = intents.detect(d["q"])
        kind = got.kind if got else None
        ok += kind == d["intent"]
        if kind != d["intent"]:
            bad.append(f"  {d['q']}  expect={d['intent']}  got={kind}")
    print(f"\n{path.relative_to(ROOT)}: intent recognised {ok}/{len(rows)} = {ok / len(rows):.1%}")
    if verbose and bad:
        print("\n".join(bad))
    return ok, len(rows)


def main(argv: list[str]) -> int:
    verbose = "-v" in argv
    argv = [a for a in argv if a != "-v"]
    if argv:
        doc = None
        if "--doc" in argv:
            i = argv.index("--doc")
            doc = Path(argv[i + 1])
            argv = argv[:i] + argv[i + 2:]
        for f in argv:
            report(Path(f), doc, {}, verbose)
        return 0
    from benchmarks.figures import Figure, emit

    figures = []
    for name, doc, fc in SETS:
        first = first_contact(fc)
        n, t1, t3, b1, b3 = report(DATA / name, DATA / doc if doc else None, first, verbose)
        strict = fc is not None  # the independent sets of issue 13 also ask top-3 ≥ 99 %
        goal = "top-1 ≥ 97 %, top-3 ≥ 99 %" if strict else "top-1 ≥ 97 %"
        passed = t1 / n >= 0.97 and (not strict or t3 / n >= 0.99)
        figures.append(Figure(f"answer accuracy, {name} ({n} questions" + (f", {doc}" if doc else "") + ")",
                              f"top-1 {t1 / n:.1%}, top-3 {t3 / n:.1%}"
                              + (f" (first contact {first['ALL'][0]:.1%} / {first['ALL'][1]:.1%})"
                                 if "ALL" in first else ""), goal,
                              f"plain jieba + BM25: {b1 / n:.1%} / {b3 / n:.1%}", passed, "python benchmarks/accuracy.py"))
    ok, total = intents_report(DATA / "questions_v3_botdata.jsonl", verbose)
    figures.append(Figure("questions about the bot's own data: intent recognised", f"{ok}/{total}", "all",
                          "questions_v3_botdata.jsonl", ok == total, "python benchmarks/accuracy.py"))
    emit(figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
