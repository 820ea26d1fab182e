"""Top-1 / top-3 accuracy per question kind, ours vs a plain jieba + BM25 baseline.

    .venv/bin/python benchmarks/accuracy.py [questions.jsonl ...]

Default files: tests/data/questions.jsonl (tuned on), tests/data/questions_heldout.jsonl
(written before tuning, never tuned on) and tests/data/questions_heldout2.jsonl (a second
independent set, written before a later round of general fixes). A question with
``"expect": []`` is right when there is no answer (off-topic, or a reference that does not
exist); ``"expect": ["overview"]`` is right when the answer is the document's outline.
"""

from __future__ import annotations

import json
import math
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from knowledge import KnowledgeBase  # noqa: E402


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


def evaluate(ask, path: Path):
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
    return per


def main(argv: list[str]) -> int:
    files = [Path(a) for a in argv] or [ROOT / "tests/data/questions.jsonl",
                                        ROOT / "tests/data/questions_heldout.jsonl",
                                        ROOT / "tests/data/questions_heldout2.jsonl"]
    kb = KnowledgeBase.load()
    base = Baseline(list(kb.clauses.values()))

    def ours(q: str) -> list[str]:
        ans = kb.ask(q, limit=3)
        return ["overview"] if ans.kind == "overview" else [h.clause.id for h in ans.hits]

    for f in files:
        a, b = evaluate(ours, f), evaluate(base.ask, f)
        print(f"\n{f.relative_to(ROOT) if f.is_relative_to(ROOT) else f}")
        print(f"{'kind':<12}{'n':>4}  {'top1':>7}{'top3':>7}   {'base1':>7}{'base3':>7}")
        for k in sorted(a, key=lambda k: (k == "ALL", k)):
            n, t1, t3 = a[k]
            _, b1, b3 = b[k]
            print(f"{k:<12}{n:>4}  {t1 / n:>7.1%}{t3 / n:>7.1%}   {b1 / n:>7.1%}{b3 / n:>7.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
