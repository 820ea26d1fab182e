"""Content search: tokenizer -> index built once -> pure scoring functions.

* words: jieba (search mode) with the domain dictionary; BM25 with Lucene's idf
  ``ln(1 + (N - n + 0.5) / (n + 0.5))`` (positive even on a 20-clause corpus);
* character bigrams: a second, weaker BM25 channel that survives segmentation differences;
* question understanding: synonyms (退伍 -> 退役), English glossary, traditional -> simplified
  (in ``textnorm``), typo correction of one substituted character against the index vocabulary;
* confidence: the idf-weighted share of the question's concepts the best clause covers; below
  the threshold the answer is "none" rather than a random clause.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from . import resources
from .model import Clause
from .textnorm import CJK_RUN, normalize

K1 = 1.2
B = 0.6
BIGRAM_WEIGHT = 0.3
OOV_WEIGHT = 2.0        # weight of a question concept the corpus never mentions
MIN_COVERAGE = 0.34     # confidence threshold (share of the question covered)
MIN_MATCHED = 1.2       # ... and at least this much idf mass matched
TYPO_WEIGHT = 0.9
SUBWORD_WEIGHT = 0.6
_STOP_CHARS = set("的了吗呢吧啊呀么是在有和与及我你他她它这那哪谁啥个些要会能可就都也还把被给对从向到为以于之其请问么怎什样")
_EN_WORD = re.compile(r"[a-z][a-z0-9\-']*")
_TOKEN_OK = re.compile(r"[\u3400-\u9fffa-z0-9]")


@dataclass
class Concept:
    surface: str
    alts: dict[str, float] = field(default_factory=dict)  # term -> weight
    span: tuple[int, int] | None = None
    floor: float = 0.0  # a word the corpus lacks weighs at least this much, even if parts match
    generic: bool = False  # an everyday word (synonym key marked ~): no evidence of topic alone


def bigrams(text: str) -> list[str]:
    out = []
    for run in CJK_RUN.findall(text):
        for i in range(len(run) - 1):
            bg = run[i:i + 2]
            if bg[0] in _STOP_CHARS or bg[1] in _STOP_CHARS:
                continue
            out.append(bg)
    return out


def _term_ok(t: str, stop: frozenset[str]) -> bool:
    t = t.strip()
    if not t or t in stop or not _TOKEN_OK.search(t):
        return False
    if len(t) == 1 and not t.isascii():
        return False  # single characters are too ambiguous; bigrams cover them
    return not t.isdigit() or len(t) >= 4


class Index:
    """BM25 over words and over character bigrams, built once per document."""

    def __init__(self, clauses: list[Clause], extra: dict[str, str] | None = None):
        self.clauses = clauses
        self.dt = resources.tokenizer()
        self.stop = resources.stopwords()
        extra = extra or {}
        docs_w: list[Counter[str]] = []
        docs_b: list[Counter[str]] = []
        for c in clauses:
            parts = [c.title, c.title, c.text, extra.get(c.id, "")]
            if c.kind in ("header", "preamble"):
                parts.append(c.label)
            text = normalize("\n".join(p for p in parts if p))
            text = re.sub(r"[“”\"《》「」『』‘’]", "", text)
            docs_w.append(Counter(self.words(text)))
            docs_b.append(Counter(bigrams(text)))
        self.doc_terms = [set(d) for d in docs_w]
        self.doc_bigrams = [set(d) for d in docs_b]
        self.w_post, self.w_idf = self._build(docs_w)
        self.b_post, self.b_idf = self._build(docs_b)
        self.N = len(clauses)
        self.max_idf = math.log(1 + (self.N + 0.5) / 0.5)
        self._typo_keys: dict[str, set[str]] | None = None
        self._titles = [normalize(c.title) for c in clauses]

    # ------------------------------------------------------------------ building
    def words(self, text: str) -> list[str]:
        return [t for t in self.dt.cut_for_search(text) if _term_ok(t, self.stop)]

    @staticmethod
    def _build(docs: list[Counter[str]]):
        n = len(docs)
        lengths = [sum(d.values()) for d in docs]
        avg = (sum(lengths) / n) if n else 1.0
        df: Counter[str] = Counter()
        for d in docs:
            df.update(d.keys())
        idf = {t: math.log(1 + (n - k + 0.5) / (k + 0.5)) for t, k in df.items()}
        post: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, d in enumerate(docs):
            norm = K1 * (1 - B + B * lengths[i] / avg) if avg else K1
            for t, tf in d.items():
                post[t].append((i, idf[t] * tf * (K1 + 1) / (tf + norm)))
        return dict(post), idf

    def typo_keys(self) -> dict[str, set[str]]:
        """Vocabulary terms of 3-6 characters keyed by one wildcard position (SymSpell-like)."""
        if self._typo_keys is None:
            keys: dict[str, set[str]] = defaultdict(set)
            for t in self.w_idf:
                if 3 <= len(t) <= 6 and CJK_RUN.fullmatch(t):
                    for i in range(len(t)):
                        keys[t[:i] + "?" + t[i + 1:]].add(t)
            self._typo_keys = dict(keys)
        return self._typo_keys

    # ------------------------------------------------------------------ questions
    def analyze(self, q: str) -> tuple[list[Concept], list[str]]:
        """Concepts (each with alternative index terms) and bigrams of a normalised question."""
        syn = resources.synonyms()
        concepts: list[Concept] = []
        chars = list(q)

        # English glossary phrases, longest first, plurals folded
        if re.search(r"[a-z]", q):
            gl = resources.glossary()
            for phrase in sorted(gl, key=len, reverse=True):
                stem = re.escape(phrase[:-1]) + "(?:y|ie)" if phrase.endswith("y") else re.escape(phrase)
                pat = r"(?<![a-z])" + stem + r"(?:s|es|ed|d|ing)?(?![a-z])"  # plurals, -ed, -ing
                for m in re.finditer(pat, "".join(chars)):
                    concepts.append(Concept(phrase, dict(gl[phrase])))
                    for i in range(m.start(), m.end()):
                        chars[i] = " "
        # synonym keys (colloquial Chinese), longest first
        text = "".join(chars)
        for key in sorted((k for k in syn if k in text), key=len, reverse=True):
            start = text.find(key)
            while start >= 0:
                alts = {t: w for t, w in syn[key] if t in self.w_idf}
                if key in self.w_idf:
                    alts[key] = max(alts.get(key, 0), 1.0)
                if alts:
                    concepts.append(Concept(key, alts, (start, start + len(key)),
                                            generic=key in resources.generic_keys()))
                    text = text[:start] + " " * len(key) + text[start + len(key):]
                start = text.find(key, start + 1)
        # remaining words
        rest = text
        for tok, s, e in self.dt.tokenize(rest):
            tok = tok.strip()
            if _EN_WORD.fullmatch(tok):
                base = tok[:-1] if tok.endswith("s") and tok[:-1] in resources.glossary() else tok
                if base in self.stop or len(base) <= 1:
                    continue
                concepts.append(Concept(tok, {base: 1.0} if base in self.w_idf else {}, (s, e)))
                continue
            if not _term_ok(tok, self.stop):
                continue
            alts: dict[str, float] = {}
            if tok in self.w_idf:
                alts[tok] = 1.0
            else:
                for sub in self.dt.cut_for_search(tok):
                    if sub != tok and sub in self.w_idf and _term_ok(sub, self.stop):
                        alts[sub] = SUBWORD_WEIGHT * len(sub) / len(tok)
            concepts.append(Concept(tok, alts, (s, e), 0.0 if tok in self.w_idf else OOV_WEIGHT))
        self._correct_typos(q, text, concepts)
        return concepts, bigrams(q)

    def _correct_typos(self, q: str, text: str, concepts: list[Concept]) -> None:
        keys = self.typo_keys()
        if not keys:
            return
        for m in CJK_RUN.finditer(text):
            run, off = m.group(0), m.start()
            for n in (6, 5, 4, 3):
                for i in range(len(run) - n + 1):
                    win = run[i:i + n]
                    if win in self.w_idf or self.dt.FREQ.get(win, 0) > 0:
                        continue  # a real word is not a typo (火车票 is not 火车站)
                    cands: set[str] = set()
                    for j in range(n):
                        if win[j] in _STOP_CHARS and 0 < j < n - 1:
                            continue
                        cands |= keys.get(win[:j] + "?" + win[j + 1:], set())
                    if not cands or len(cands) > 3:
                        continue
                    a, b = off + i, off + i + n
                    inside = [c for c in concepts if c.span and a <= c.span[0] and c.span[1] <= b]
                    target = inside[0] if inside else Concept(win, {}, (a, b))
                    for c in inside[1:]:
                        for t, w in c.alts.items():
                            target.alts[t] = max(target.alts.get(t, 0), w)
                        concepts.remove(c)
                    target.floor = 0.0
                    for t in cands:
                        target.alts[t] = max(target.alts.get(t, 0), TYPO_WEIGHT)
                    if not inside:
                        concepts.append(target)

    # ------------------------------------------------------------------ scoring
    def concept_weight(self, c: Concept) -> float:
        ws = [w * self.w_idf[t] for t, w in c.alts.items() if t in self.w_idf]
        return max(max(ws), c.floor) if ws else OOV_WEIGHT

    def score(self, q: str, limit: int = 3) -> list[tuple[int, float, float, float]]:
        """[(clause index, score 0..1, coverage, matched idf)] best first; [] if unconfident."""
        concepts, bgs = self.analyze(q)
        if not concepts:
            return []
        raw: dict[int, float] = defaultdict(float)
        for c in concepts:
            best: dict[int, float] = {}
            for t, w in c.alts.items():
                for i, s in self.w_post.get(t, ()):
                    v = w * s
                    if v > best.get(i, 0.0):
                        best[i] = v
            for i, v in best.items():
                raw[i] += v
        for bg in set(bgs):
            if self.b_idf.get(bg, 0.0) < 0.35:  # in most clauses: costly and uninformative
                continue
            for i, s in self.b_post.get(bg, ()):
                raw[i] += BIGRAM_WEIGHT * s
        if not raw:
            return []
        cand = sorted(raw, key=raw.__getitem__, reverse=True)[:20]
        weights = [self.concept_weight(c) for c in concepts]
        total = sum(weights)
        qcjk = "".join(CJK_RUN.findall(q))
        scored = []
        from rapidfuzz import fuzz

        for i in cand:
            terms = self.doc_terms[i]
            matched = 0.0
            anchored = False  # some non-generic concept matches this clause
            for c, w in zip(concepts, weights, strict=True):
                m = max((a * self.w_idf[t] for t, a in c.alts.items() if t in terms), default=0.0)
                if m == 0.0 and len(c.surface) >= 2:  # partial credit from shared bigrams
                    bg = bigrams(c.surface)
                    if bg:
                        share = sum(1 for x in bg if x in self.doc_bigrams[i]) / len(bg)
                        m = 0.5 * share * w
                matched += min(m, w)
                anchored = anchored or (m > 0 and not c.generic)
            cov = matched / total if total else 0.0
            title_sim = fuzz.partial_ratio(qcjk, self._titles[i]) / 100 if len(qcjk) >= 4 else 0.0
            bonus = 0.15 * max(0.0, title_sim - 0.6) / 0.4
            scored.append((i, cov, matched, raw[i], bonus, anchored))
        top_raw = max(s[3] for s in scored)
        ranked = []
        for i, cov, matched, r, bonus, anchored in scored:
            final = 0.55 * cov + 0.45 * (r / top_raw) + bonus
            ranked.append((i, min(1.0, final * cov ** 0.25), cov, matched, anchored))
        ranked.sort(key=lambda x: x[1], reverse=True)
        best = ranked[0]
        if best[2] < MIN_COVERAGE or best[3] < MIN_MATCHED or not best[4]:
            return []
        return [r[:4] for r in ranked if r[1] >= 0.5 * best[1]][:limit]
