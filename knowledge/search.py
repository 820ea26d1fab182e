"""Content search: tokenizer -> index built once -> pure scoring functions.

Signals, each a principle rather than a rule for a question:

* **words** — BM25 over the words of every clause (Lucene's idf ``ln(1 + (N - n + 0.5) / (n + 0.5))``,
  positive even on a 20-clause corpus); a clause's title counts as a second field of weight 3;
* **concepts** — a question is a list of concepts, each with alternative index terms: the word
  itself (weight 1), its synonyms (a colloquial word -> the document's word; a key never cuts a
  word of the question: 电影 is not read inside 电影院), its English glossary entry (a target the
  document lacks reaches the document's words that hold it: 跨区 -> 跨区机动), a one-character
  typo correction against the index vocabulary or the document's text (拥君活动 -> 拥军活动). An
  exact word of the document counts more than a synonym pointing elsewhere (``SYNONYM_WEIGHT``);
  a concept of several words is as rare as the clauses holding any of them;
* **coverage** — the idf-weighted share of the question's concepts a clause matches; a concept
  the document never uses (``OOV_WEIGHT``) still counts in the total, which is what makes an
  off-topic question unconfident;
* **proximity** — the share of the question matched inside *one sentence* of the clause; the
  best sentences are also what the reader sees in bold (``Hit.sentences``);
* **phrases** — a run of the question found verbatim in a clause (4+ characters), weighted by the
  idf of the character bigrams it spans: quoting the document beats any synonym's expansion;
* **evidence of topic** — a question is answered only when a word that says what it is about
  matches: not an everyday word (``everyday.txt`` by category: 疫情, 天气, 看病 …, and a thing
  headed by one: 旅游景点, 火车站), not a place (the plan's own county from its title, a name
  before 县/镇/古镇/景区, the members of a 「、」 list closed by 等 and a kind of place:
  「黄水、西沱古镇等A级旅游景区」), not the scaffolding of any plan (county, level, carry out).
  Character bigrams (a weak channel that survives segmentation differences) never anchor a
  question on their own either; a verbatim quotation does, when it is more than one such word.

The confidence threshold is on coverage (share of the question explained), not on a raw score.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from . import resources
from .model import Clause
from .sounds import sound
from .textnorm import CJK_RUN, normalize

K1 = 1.2
B = 0.6
TITLE_TF = 2            # extra term frequency of a word in the clause's title (field weight 3)
BIGRAM_WEIGHT = 0.3
OOV_WEIGHT = 2.0        # weight of a question concept the corpus never mentions
SYNONYM_WEIGHT = 0.85   # an expansion, when the question's own word is also in the document
MIN_COVERAGE = 0.34     # confidence threshold (share of the question covered)
MIN_MATCHED = 1.2       # ... and at least this much idf mass matched
MIN_PHRASE = 4          # characters of a verbatim run that count as a phrase
MIN_QUOTE = 5           # characters of a question that, punctuation aside, quotes the document
GENERIC_SCALE = 0.5     # an everyday word weighs half
RELATED_SHARE = 0.6     # a further hit must score this share of the best, and be anchored itself
RELATED_COVERAGE = 0.7  # ... and explain this share of what the best explains
TYPO_WEIGHT = 0.9
TYPO_CONTEXT = 64       # clauses a typo's context may be in (more: too common to tell)
EN_UNKNOWN_WEIGHT = 1.0  # an English word neither the glossary nor the stop list knows
EXPAND_WEIGHT = 0.8     # a glossary target found inside a longer word of the document (跨区 in 跨区机动)
SUBWORD_WEIGHT = 0.6
CANDIDATES = 30
_STOP_CHARS = set("的了吗呢吧啊呀么是在有和与及我你他她它这那哪谁啥个些要会能可就都也还把被给对从向到为以于之其请问么怎什样")
# particles: a window with one of these inside is two words, not a typo (光荣的牌); other
# characters of _STOP_CHARS (问 of 请问, 样 of 怎样) are ordinary characters a typo may hit (双拥问化)
_PARTICLES = set("的了吗呢吧啊呀么是在和与及")
_CLAUSE_END = frozenset("，,；;：:。！？!?\n")
# a word before one of these is a place name (重庆市, 中益乡, 西沱古镇, 黄水景区)
# one-character suffixes naming a thing that belongs to the word before (抚恤金, 优待证, 慰问品)
_THING_SUFFIX = frozenset("金费款证卡单表册牌章品物")
_PLACE_SUFFIX = frozenset(("县", "市", "区", "镇", "乡", "村", "古镇", "景区", "街道", "自治县"))
# words of a kind of place: a list of names closed by 等 and one of these is a list of places
_PLACE_HEADS = frozenset(("景区", "景点", "场所", "古镇", "公园", "广场", "车站", "地方", "场馆"))
_EN_WORD = re.compile(r"[a-z][a-z0-9\-']*")
_TOKEN_OK = re.compile(r"[\u3400-\u9fffa-z0-9]")
SENTENCE_RE = re.compile(r"[^。！？!?；;\n]*(?:[。！？!?；;]+[”’\"'）)」』》]*|\n|$)")
_QUOTES = re.compile(r"[“”\"《》「」『』‘’]")


@dataclass
class Concept:
    surface: str
    alts: dict[str, float] = field(default_factory=dict)  # term -> weight
    span: tuple[int, int] | None = None
    floor: float = 0.0  # a word the corpus lacks weighs at least this much, even if parts match
    generic: bool = False  # an everyday word: no evidence of topic alone
    parts: dict[str, float] = field(default_factory=dict)  # sub-words of an unknown word: they add up


@dataclass(frozen=True)
class Scored:
    """One ranked clause: ``index`` into ``Index.clauses``; ``score`` 0..1; ``coverage`` share of
    the question's weight matched; ``sentences`` (start, end) character spans of the clause text
    that answer best, best first."""

    index: int
    score: float
    coverage: float
    matched: float
    sentences: tuple[tuple[int, int], ...]


def bigrams(text: str) -> list[str]:
    out = []
    for run in CJK_RUN.findall(text):
        for i in range(len(run) - 1):
            a, b = run[i], run[i + 1]
            if a in _STOP_CHARS or b in _STOP_CHARS:
                continue
            out.append(a + b)
    return out


_DATE = re.compile(r"(?<!\d)(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]")


def joined_terms(text: str, toks: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Terms the tokenizer's words miss, as (term, start, end) (positions into ``text`` when
    ``toks`` carry them): a date written 9月30日 or 9月30号 (one term, 9月30日: digits alone are
    no term), and two single content characters in a row that the dictionary split (加分 of
    「给予加分照顾」, 中考加分): the document and the question are split alike, so the pair is
    found in both."""
    out = [(f"{int(m.group(1))}月{int(m.group(2))}日", m.start(), m.end()) for m in _DATE.finditer(text)]
    for (a, s, _e), (b, _s2, e) in zip(toks, toks[1:], strict=False):
        if len(a) == 1 and len(b) == 1 and a not in _STOP_CHARS and b not in _STOP_CHARS \
                and CJK_RUN.fullmatch(a + b):
            out.append((a + b, s, e))
    return out


def listed_places(tokens: list[str], heads: frozenset[str]) -> list[str]:
    """The members of a 「、」 enumeration of places in one sentence (``tokens``: its words as cut,
    punctuation included): a list closed by 等 and a word of a kind of place (``heads``: 景区,
    场所 …), 「推动黄水、西沱古镇等A级旅游景区…」 -> 黄水, 西沱古镇. Walking back from 等: every
    word of each item, and of the first item (no 「、」 before it) only its last word."""
    out: list[str] = []
    n = len(tokens)
    for k, t in enumerate(tokens):
        if t not in ("等", "等等"):
            continue
        head: list[str] = []  # the words after 等, up to the next conjunction
        for w in tokens[k + 1:k + 5]:
            if w in _CLAUSE_END or w in ("和", "及", "与", "、", "以及"):
                break
            head.append(w)
        if not any(w.endswith(h) for w in head for h in heads):
            continue
        items: list[list[str]] = [[]]
        j = k - 1
        while j >= 0 and tokens[j] not in _CLAUSE_END and tokens[j] not in ("等", "等等", "和", "及", "与"):
            if tokens[j] == "、":
                items.append([])
            elif tokens[j].strip():
                items[-1].insert(0, tokens[j])
            j -= 1
        if len(items) < 2 or n == 0:
            continue
        for item in items[:-1]:
            out += item
        out += items[-1][-1:]
    return out


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences of ``text`` (ends at 。！？；, or a line break),
    trailing whitespace excluded; empty pieces dropped."""
    out = []
    for m in SENTENCE_RE.finditer(text):
        s, e = m.start(), m.end()
        while e > s and text[e - 1].isspace():
            e -= 1
        while s < e and text[s].isspace():
            s += 1
        if e > s:
            out.append((s, e))
    return out


class Index:
    """BM25 over words and over character bigrams, sentence term sets, built once per document."""

    def __init__(self, clauses: list[Clause], extra: dict[str, str] | None = None,
                 places: set[str] | frozenset[str] = frozenset()):
        """``extra``: clause id -> further words to index for it (field names of the notice);
        ``places``: the document's own place names (its county: 丰都, 丰都县), which say nothing
        of a question's topic."""
        self.clauses = clauses
        self.dt = resources.tokenizer()
        self.stop = resources.stopwords()
        self.everyday = resources.everyday_words()
        self.heads = resources.everyday_heads()
        self.places: set[str] = set(places)
        self._ok: dict[str, bool] = {}
        extra = extra or {}
        docs_w: list[Counter[str]] = []
        docs_b: list[Counter[str]] = []
        self.texts: list[str] = []           # normalised text of each clause (phrase search)
        self.sentences: list[list[tuple[tuple[int, int], frozenset[str], str]]] = []
        ok, terms_of = self._term_ok, self.dt.search_terms
        for c in clauses:
            words: Counter[str] = Counter()
            sents = []
            for span in split_sentences(c.text):
                norm = _QUOTES.sub("", normalize(c.text[span[0]:span[1]]))
                toks = self.dt.cut(norm)
                terms = [t for w in toks for t in terms_of(w) if ok(t)]
                terms += [t for t, _a, _b in joined_terms(norm, [(w, 0, 0) for w in toks])]
                words.update(terms)
                if "、" in norm:
                    self.places.update(w for w in listed_places(toks, _PLACE_HEADS)
                                       if len(w) >= 2 and CJK_RUN.fullmatch(w))
                self._find_places(toks)
                sents.append((span, frozenset(terms), norm))
            title = _QUOTES.sub("", normalize(c.title))
            # an item's title is its first sentence's lead: reuse its words when it is all of it
            tterms = sents[0][1] if sents and sents[0][2].rstrip("。；;:：!！?？") == title else None
            tterms = list(tterms) if tterms is not None else self.words(title)
            for t in tterms:
                words[t] += TITLE_TF
            tail = normalize(" ".join(p for p in (extra.get(c.id, ""),
                                                  c.label if c.kind in ("header", "preamble") else "") if p))
            if tail:
                words.update(self.words(tail))
            if not sents:  # a clause of only a title
                sents.append(((0, len(c.text)), frozenset(tterms), title))
            full = "\n".join(s[2] for s in sents)
            self.texts.append(full + "\n" + title)
            self.sentences.append(sents)
            docs_w.append(words)
            docs_b.append(Counter(bigrams(full + "\n" + tail)))
        self.fulltext = "\n".join(self.texts)
        self.chars = set(self.fulltext)  # every character of the document
        self.doc_terms = [set(d) for d in docs_w]
        self.doc_bigrams = [set(d) for d in docs_b]
        self.w_post, self.w_idf = self._build(docs_w)
        self.b_post, self.b_idf = self._build(docs_b)
        self.N = len(clauses)
        self._typo_keys: dict[str, set[str]] | None = None
        self._expanded: dict[str, dict[str, float]] = {}
        self._holding: dict[str, list[str]] | None = None
        self._ids: dict[tuple[str, bool], frozenset[int]] = {}
        self._union_df: dict[frozenset[str], int] = {}
        self._titles = [normalize(c.title) for c in clauses]
        self._bare: list[str] | None = None  # bare_texts()
        self._sounds: dict[str, list[str]] | None = None  # pinyin -> the index words read so

    # ------------------------------------------------------------------ building
    def _term_ok(self, t: str) -> bool:
        ok = self._ok.get(t)
        if ok is None:
            s = t.strip()
            ok = bool(s) and s not in self.stop and bool(_TOKEN_OK.search(s)) \
                and not (len(s) == 1 and not s.isascii()) and (not s.isdigit() or len(s) >= 4)
            self._ok[t] = ok
        return ok

    def _find_places(self, toks: list[str]) -> None:
        """Place names of one sentence's words: a word before 县 / 市 / 镇 / 古镇 / 景区 … that is
        no common word (or that the dictionary calls a place), and such a word with its suffix."""
        for k, w in enumerate(toks):
            nxt = toks[k + 1] if k + 1 < len(toks) else ""
            if nxt in _PLACE_SUFFIX and len(w) >= 2 and CJK_RUN.fullmatch(w) \
                    and (not self.dt.is_word(w) or self.dt.tag(w) == "ns"):
                self.places.update((w, w + nxt))
            elif len(w) >= 3 and w[-1] in "县市镇乡村" and self.dt.tag(w) == "ns" and not w.startswith("各"):
                self.places.update((w, w[:-1]))  # 重庆市 -> 重庆
            elif len(w) >= 2 and w[-1] in "江河湖山岛" and CJK_RUN.fullmatch(w) \
                    and (self.dt.tag(w) == "ns" or not self.dt.is_word(w)):
                self.places.add(w)  # 长江, 乌江, 汉丰湖: a river, a lake or a mountain the plan names

    def expand(self, t: str) -> dict[str, float]:
        """Index words for a word of the glossary: itself when the document has it; else the
        document's words that hold it (跨区 -> 跨区机动, weighted by the share of it they are) and
        the words inside it (双拥模范县 -> 双拥模范, 模范). Cached per index."""
        got = self._expanded.get(t)
        if got is not None:
            return got
        out: dict[str, float] = {}
        if t in self.w_idf:
            out[t] = 1.0
        elif len(t) >= 2 and CJK_RUN.fullmatch(t):
            if self._holding is None:  # piece of 2-4 characters -> the index words holding it
                holding: dict[str, list[str]] = defaultdict(list)
                for w in self.w_idf:
                    if len(w) >= 3 and CJK_RUN.fullmatch(w):
                        pieces = {w[a:a + k] for k in (2, 3, 4) for a in range(len(w) - k + 1)}
                        for piece in pieces - {w}:
                            holding[piece].append(w)
                self._holding = dict(holding)
            for w in self._holding.get(t, ()):
                out[w] = max(out.get(w, 0.0), EXPAND_WEIGHT * (len(t) / len(w)) ** 0.5)
            for sub in self.dt.cut_for_search(t):
                if sub != t and len(sub) >= 2 and sub in self.w_idf and self._term_ok(sub):
                    out[sub] = max(out.get(sub, 0.0), EXPAND_WEIGHT * len(sub) / len(t))
        self._expanded[t] = out
        return out

    def generic(self, tok: str) -> bool:
        """Is a word of a question no evidence of its topic: an everyday word, a place name, a
        thing named by an everyday head (旅游景点, 县医院, 火车站)?"""
        if tok in self.everyday or tok in self.places:
            return True
        return any(tok[k:] in self.heads for k in range(1, len(tok) - 1))

    def words(self, text: str) -> list[str]:
        ok = self._term_ok
        return [t for t in self.dt.cut_for_search(text) if ok(t)]

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
        k1p = K1 + 1
        for i, d in enumerate(docs):
            norm = K1 * (1 - B + B * lengths[i] / avg) if avg else K1
            for t, tf in d.items():
                post[t].append((i, idf[t] * tf * k1p / (tf + norm)))
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

        # English glossary phrases, longest first, inflections folded (stems compared); each
        # Chinese target reaches the document's words that hold it or that it holds
        if re.search(r"[a-z]", q):
            gl = resources.glossary()
            scaffold = resources.glossary_generic()
            for phrase, a, b in resources.match_glossary(q):
                alts: dict[str, float] = {}
                for t, w in gl[phrase]:
                    for term, w2 in self.expand(t).items():
                        alts[term] = max(alts.get(term, 0.0), w * w2)
                generic = phrase in scaffold or all(self.generic(t) for t, _w in gl[phrase])
                concepts.append(Concept(phrase, alts, (a, b), 0.0 if alts else OOV_WEIGHT, generic=generic))
                chars[a:b] = " " * (b - a)
        # synonym keys (colloquial Chinese), longest first
        text = "".join(chars)
        text = self._homophones(text, concepts)
        # a key must not cut a word of the question (电影 is not read inside 电影院, nor 住房
        # inside 住房公积金), unless that word is one the dictionary does not know
        qtoks = self.dt.tokenize(text)
        bounds = {0, len(text)}
        for _tok, a, b in qtoks:
            bounds.update((a, b))
        inside: list[tuple[str, int] | None] = [None] * (len(text) + 1)  # (word, its start)
        for tok, a, b in qtoks:
            if len(tok) > 1 and self.dt.is_word(tok):
                for k in range(a + 1, b):
                    inside[k] = (tok, a)

        def cuts(pos: int, start: int, end: int) -> bool:
            """Does the key at start..end cut a known word at ``pos``, a word the document lacks and
            whose rest is no word of the document or key either (抗洪抢险 = 抗洪 + 抢险 is fine)?"""
            if pos in bounds or inside[pos] is None:
                return False
            tok, a = inside[pos]  # type: ignore[misc]
            if tok in self.w_idf:
                return True
            rest = [tok[:max(0, start - a)], tok[end - a:] if end - a < len(tok) else ""]
            return not all(r == "" or r in syn or r in self.w_idf or r in self.stop for r in rest)

        for key in sorted((k for k in syn if k in text), key=len, reverse=True):
            start = text.find(key)
            while start >= 0:
                end = start + len(key)
                if cuts(start, start, end) or cuts(end, start, end):
                    start = text.find(key, start + 1)
                    continue
                own = key in self.w_idf
                scale = SYNONYM_WEIGHT if own else 1.0
                alts: dict[str, float] = {}
                for t, w in syn[key]:
                    if t == key:
                        continue
                    # a word this document does not use reaches the words that hold it or that it
                    # holds (抢险救灾 -> 抢险 in a plan that says 抢险救援)
                    for term, w2 in self.expand(t).items():
                        if term != key:
                            alts[term] = max(alts.get(term, 0.0), w * scale * w2)
                if own:
                    alts[key] = 1.0
                if alts:
                    concepts.append(Concept(key, alts, (start, start + len(key)),
                                            generic=key in resources.generic_keys() or self.generic(key)))
                    text = text[:start] + " " * len(key) + text[start + len(key):]
                start = text.find(key, start + 1)
        # remaining words
        rest = text
        toks = self.dt.tokenize(rest)
        for k, (tok, s, e) in enumerate(toks):
            tok = tok.strip()
            if _EN_WORD.fullmatch(tok):
                base = resources.english_base(tok)
                if base in self.stop or tok in self.stop or len(base) <= 1:
                    continue
                # an English word no entry knows: content we cannot read, weighed lightly
                concepts.append(Concept(tok, {base: 1.0} if base in self.w_idf else {}, (s, e),
                                        0.0 if base in self.w_idf else EN_UNKNOWN_WEIGHT))
                continue
            if not self._term_ok(tok):
                continue
            if not self.dt.is_word(tok) and tok not in self.w_idf and any(ch in _STOP_CHARS for ch in tok):
                continue  # the HMM's join of a function character and another (要放): no word
            alts: dict[str, float] = {}
            parts: dict[str, float] = {}
            if tok in self.w_idf:
                alts[tok] = 1.0
            elif len(tok) >= 3 and tok[-1] in _THING_SUFFIX and tok[:-1] in self.w_idf \
                    and self._term_ok(tok[:-1]) and not self.generic(tok[:-1]):
                # a word of the document and a suffix naming a thing of it (抚恤金 for 抚恤,
                # 优待证 for 优待): the same topic; unlike a word joined to another word (医疗保险
                # is no 医疗) or a suffix that changes the question (就业率, 集中式)
                alts[tok[:-1]] = EXPAND_WEIGHT
            else:
                for sub in self.dt.cut_for_search(tok):
                    if sub != tok and sub in self.w_idf and self._term_ok(sub):
                        parts[sub] = SUBWORD_WEIGHT * len(sub) / len(tok)
            nxt = toks[k + 1][0] if k + 1 < len(toks) else ""
            place = nxt in _PLACE_SUFFIX and (not self.dt.is_word(tok) or self.dt.tag(tok) == "ns")
            concepts.append(Concept(tok, alts, (s, e), 0.0 if tok in self.w_idf else OOV_WEIGHT,
                                    generic=place or self.generic(tok), parts=parts))
        for term, a, b in joined_terms(rest, [(t.strip(), a, b) for t, a, b in toks]):
            if term in self.w_idf:  # a date, or a word the dictionary split alike in the document
                concepts.append(Concept(term, {term: 1.0}, (a, b), generic=self.generic(term)))
        # a content character the document never uses (票, 买) is part of the question too
        for tok, s, _e in toks:
            if len(tok) > 1 and (self.dt.is_word(tok) or tok in self.w_idf
                                 or not any(ch in _STOP_CHARS for ch in tok)):
                continue  # single characters, and those of an HMM join such as 要放
            for k, ch in enumerate(tok):
                if CJK_RUN.fullmatch(ch) and ch not in _STOP_CHARS and ch not in self.stop \
                        and ch not in self.chars:
                    concepts.append(Concept(ch, {}, (s + k, s + k + 1), 1.0))
        self._correct_typos(q, text, concepts)
        return concepts, bigrams(q)

    def _homophones(self, text: str, concepts: list[Concept]) -> str:
        """A word of the question that no dictionary knows and that sounds exactly like words of
        the document (争兵 for 征兵, 优扶 for 优抚: the pinyin input method's commonest slip,
        tones aside) becomes a concept of those words (at most 3, ``TYPO_WEIGHT``); its
        characters are blanked out of the returned text. The document's words are read out
        (knowledge.sounds) the first time a question needs it."""
        for tok, a, b in self.dt.tokenize(text):
            if not (2 <= len(tok) <= 4 and CJK_RUN.fullmatch(tok)) or tok in self.w_idf or self.dt.is_word(tok) \
                    or any(ch in _PARTICLES for ch in tok):
                continue
            if self._sounds is None:
                sounds: dict[str, list[str]] = defaultdict(list)
                for w in self.w_idf:
                    if 2 <= len(w) <= 4 and CJK_RUN.fullmatch(w):
                        sounds[sound(w)].append(w)
                self._sounds = dict(sounds)
            cands = self._sounds.get(sound(tok), [])
            if 1 <= len(cands) <= 3:
                concepts.append(Concept(tok, {w: TYPO_WEIGHT for w in cands}, (a, b),
                                        generic=all(self.generic(w) for w in cands)))
                text = text[:a] + " " * (b - a) + text[b:]
        return text

    def _correct_typos(self, q: str, text: str, concepts: list[Concept]) -> None:
        """Windows of 3-6 characters of the question that are no word, one character away from a
        word of the index (光荣排 -> 光荣牌) or, failing that, from a run of the document's text
        that holds a word the window lacks (拥君活动 -> 拥军活动, 退役军人安直 -> …安置): the
        window becomes one concept whose alternatives are those words (``TYPO_WEIGHT``)."""
        keys = self.typo_keys()
        if not keys:
            return
        # a window of the question may be a typo only if it does not cut one of its words
        bounds = {0, len(text), len(q)}
        for _tok, s, e in self.dt.tokenize(text):
            bounds.update((s, e))
        for _tok, s, e in self.dt.tokenize(q):
            bounds.update((s, e))
        # characters the question's matched words do not explain: a typo is among them
        explained = [False] * len(text)
        for c in concepts:
            if c.span and (c.alts or c.parts):
                for k in range(c.span[0], min(c.span[1], len(text))):
                    explained[k] = True
        # windows over the question itself: a synonym's key beside a typo (拥军优属墓金) is
        # context for the document's text, though never a typo itself
        for m in CJK_RUN.finditer(q):
            run, off = m.group(0), m.start()
            for n in (6, 5, 4, 3):
                for i in range(len(run) - n + 1):
                    if off + i not in bounds or off + i + n not in bounds:
                        continue
                    win = run[i:i + n]
                    if win in self.w_idf or self.dt.is_word(win):
                        continue  # a real word is not a typo (火车票 is not 火车站)
                    keyed = any(text[k] != q[k] for k in range(off + i, min(off + i + n, len(text))))
                    cands: set[str] = set()
                    for j in range(n if not keyed else 0):
                        if win[j] in _PARTICLES or ((j == 0 or j == n - 1) and win[j] in _STOP_CHARS):
                            continue  # 重庆的 is not a typo of 重庆市
                        cands |= keys.get(win[:j] + "?" + win[j + 1:], set())
                    a, b = off + i, off + i + n
                    from_text = False
                    if not cands and n >= 4 and not all(explained[a:b]):
                        cands, from_text = self._text_variants(win), True
                    if not cands or len(cands) > 3:
                        continue
                    inside = [c for c in concepts if c.span and a <= c.span[0] and c.span[1] <= b]
                    if from_text:  # the words around the typo are right: they stay as they are
                        inside = [c for c in inside if not (c.alts or c.parts)]
                    # a word inside the window explains only its share of the window's characters
                    target = Concept(win, {}, (a, b))
                    for c in inside:
                        share = len(c.surface) / n
                        for t, w in {**c.parts, **c.alts}.items():
                            target.alts[t] = max(target.alts.get(t, 0), w * share)
                        concepts.remove(c)
                    for t in cands:
                        target.alts[t] = max(target.alts.get(t, 0), TYPO_WEIGHT)
                    target.generic = all(self.generic(t) for t in cands)
                    concepts.append(target)
                    for k in range(a, b):
                        explained[k] = True

    def _text_variants(self, win: str) -> set[str]:
        """Index words of the document's text runs that differ from ``win`` in one character
        (not a particle), and that ``win`` itself lacks; empty when ``win`` is in the text.
        Only the clauses holding the window's other character pairs are read, and a context
        held by more than ``TYPO_CONTEXT`` clauses is too common to pin a typo down."""
        n = len(win)
        whole: frozenset[int] | None = None  # the clauses that could hold the window as it is
        for b in set(bigrams(win)):
            ids = self._clauses_of(b, self.b_post)
            whole = ids if whole is None else whole & ids
        if (any(win in self.texts[i] for i in whole) if whole is not None and len(whole) <= 256
                else win in self.fulltext):
            return set()
        found: set[str] = set()
        for j in range(n):
            if win[j] in _PARTICLES:
                continue
            left, right = win[:j], win[j + 1:]
            pairs = set(bigrams(left)) | set(bigrams(right))
            if not pairs:
                continue
            held: set[int] | frozenset[int] | None = None
            for b in sorted(pairs, key=lambda b: len(self.b_post.get(b, ()))):
                ids = self._clauses_of(b, self.b_post)
                held = ids if held is None else held & ids
                if not held:
                    break
            if not held or len(held) > TYPO_CONTEXT:
                continue
            anchor, off = (left, 0) if len(left) >= len(right) else (right, j + 1)
            for i in held:
                text = self.texts[i]
                pos = text.find(anchor)
                while pos >= 0:  # str.find on the longer side, the rest compared in place
                    start = pos - off
                    if start >= 0 and start + n <= len(text):
                        cand = text[start:start + n]
                        if cand[:j] == left and cand[j + 1:] == right and "\u3400" <= cand[j] <= "\u9fff":
                            found.add(cand)
                            if len(found) > 3:
                                return set()
                    pos = text.find(anchor, pos + 1)
        return {t for s in found for t in self.words(s) if t in self.w_idf and t not in win and len(t) >= 2}

    # ------------------------------------------------------------------ scoring
    def _clauses_of(self, term: str, post: dict[str, list[tuple[int, float]]]) -> frozenset[int]:
        """The clauses whose postings (``w_post`` or ``b_post``) hold ``term``, cached."""
        key = (term, post is self.b_post)
        got = self._ids.get(key)
        if got is None:
            got = self._ids[key] = frozenset(i for i, _s in post.get(term, ()))
        return got

    def concept_weight(self, c: Concept) -> float:
        """The idf mass a concept brings to the question: its best alternative's idf (x its
        weight), at least its floor; an everyday word counts half."""
        ws = [w * self.w_idf[t] for t, w in {**c.parts, **c.alts}.items() if t in self.w_idf]
        alts = [t for t in c.alts if t in self.w_idf]
        if len(alts) > 1:
            # several words for one concept (帮忙 -> 帮助, 帮扶, 协助): its rarity is that of
            # the clauses holding any of them, not of its rarest word
            key = frozenset(alts)
            k = self._union_df.get(key)
            if k is None:
                k = self._union_df[key] = len(frozenset().union(*(self._clauses_of(t, self.w_post) for t in alts)))
            idf = math.log(1 + (self.N - k + 0.5) / (k + 0.5))
            ws = [w * self.w_idf[t] for t, w in c.parts.items() if t in self.w_idf] + \
                [max(c.alts[t] for t in alts) * idf]
        w = max(max(ws), c.floor) if ws else (c.floor or OOV_WEIGHT)
        return w * (GENERIC_SCALE if c.generic else 1.0)

    def _phrase_share(self, runs: list[str], i: int, q_bigram_mass: float) -> tuple[float, int]:
        """(share, longest): idf mass of the question's bigrams inside runs of ``MIN_PHRASE``+
        characters that the clause contains verbatim, as a share of the question's bigram mass
        (0..1), and the longest such run (characters)."""
        if q_bigram_mass <= 0:
            return 0.0, 0
        text = self.texts[i]
        mass = 0.0
        longest = 0
        for run in runs:
            n = len(run)
            covered = [False] * n
            end = 0
            for a in range(n):  # matching statistics: the longest match at a, in O(n) checks
                end = max(end, a)
                while end < n and run[a:end + 1] in text:
                    end += 1
                if end - a >= MIN_PHRASE:
                    longest = max(longest, end - a)
                    for k in range(a, end):
                        covered[k] = True
            for k in range(n - 1):
                if covered[k] and covered[k + 1]:
                    mass += self.b_idf.get(run[k:k + 2], 0.0)
        return min(1.0, mass / q_bigram_mass), longest

    def score(self, q: str, limit: int = 3, allowed: set[int] | None = None) -> list[Scored]:
        """Ranked clauses for a normalised question, best first; [] when unconfident.

        ``allowed``: only these clause indices compete (a section named in the question)."""
        concepts, bgs = self.analyze(q)
        if not concepts:
            return self._quoted(q, limit, allowed)
        raw: dict[int, float] = defaultdict(float)
        for c in concepts:
            scale = GENERIC_SCALE if c.generic else 1.0
            best: dict[int, float] = {}
            for t, w in c.alts.items():
                for i, s in self.w_post.get(t, ()):
                    v = w * s * scale
                    if v > best.get(i, 0.0):
                        best[i] = v
            for t, w in c.parts.items():
                for i, s in self.w_post.get(t, ()):
                    best[i] = best.get(i, 0.0) + w * s * scale
            for i, v in best.items():
                raw[i] += v
        for bg in set(bgs):
            if self.b_idf.get(bg, 0.0) < 0.35:  # in most clauses: costly and uninformative
                continue
            for i, s in self.b_post.get(bg, ()):
                raw[i] += BIGRAM_WEIGHT * s
        if allowed is not None:
            raw = defaultdict(float, {i: v for i, v in raw.items() if i in allowed})
        if not raw:
            return []
        cand = sorted(raw, key=raw.__getitem__, reverse=True)[:CANDIDATES]
        weights = [self.concept_weight(c) for c in concepts]
        # a concept of several words weighs what the clauses holding any of them are worth
        # (concept_weight); each of its words counts in that proportion to its rarest one
        shrink = []
        for c, w in zip(concepts, weights, strict=True):
            top = max((a * self.w_idf[t] for t, a in c.alts.items() if t in self.w_idf), default=0.0)
            shrink.append(min(1.0, w / (top * (GENERIC_SCALE if c.generic else 1.0))) if top > 0 else 1.0)
        total = sum(weights)
        runs = [r for r in CJK_RUN.findall(q) if len(r) >= MIN_PHRASE]
        q_bigram_mass = sum(self.b_idf.get(run[k:k + 2], 0.0) for run in runs for k in range(len(run) - 1))
        qcjk = "".join(CJK_RUN.findall(q))
        top_raw = max(raw[i] for i in cand)
        from rapidfuzz import fuzz

        # some word of the document that is no everyday word or place (a quotation needs one too)
        topical = any(not c.generic and (c.alts or c.parts) for c in concepts)
        # ... and, without one, a word the document lacks says the question's topic is elsewhere
        # (「高铁武隆站到重庆北的票价」 quotes 高铁武隆站 of a clause about service windows;
        # 「汉丰湖周边哪里好停车」 quotes 汉丰湖周边 and asks about 停车)
        foreign = not topical and any(not (c.alts or c.parts) for c in concepts)
        ranked = []
        for i in cand:
            terms = self.doc_terms[i]
            matched = 0.0
            evidence = 0.0  # the same, each concept at its matched word's own idf (MIN_MATCHED)
            anchored = False  # some non-everyday concept matches a word of this clause
            per_concept: list[tuple[Concept, float, dict[str, float]]] = []
            for c, w, f in zip(concepts, weights, shrink, strict=True):
                scale = GENERIC_SCALE if c.generic else 1.0
                hits = {t: a * self.w_idf[t] * scale * f for t, a in c.alts.items() if t in terms}
                parts = {t: a * self.w_idf[t] * scale for t, a in c.parts.items() if t in terms}
                m = max(max(hits.values(), default=0.0), sum(parts.values()))
                # the question's own word (or its synonym) is evidence; a piece of a longer word
                # the document lacks is not (医疗 of 医疗保险, 住房 of 住房公积金)
                anchored = anchored or (bool(hits) and not c.generic)
                hits.update(parts)
                if m == 0.0 and len(c.surface) >= 2:  # partial credit from shared bigrams
                    bg = bigrams(c.surface)
                    if bg:
                        share = sum(1 for x in bg if x in self.doc_bigrams[i]) / len(bg)
                        m = 0.5 * share * w
                m = min(m, w)
                matched += m
                evidence += m / f if f > 0 else m
                if hits:
                    per_concept.append((c, w, hits))
            cov = matched / total if total else 0.0
            phrase, longest = self._phrase_share(runs, i, q_bigram_mass)
            if phrase >= 0.5 and (topical or (longest > MIN_PHRASE and not foreign)):
                # a quotation of the document is evidence whatever its words; of everyday words
                # and places only (A级旅游景区), when it is longer than one such word (旅游景点)
                anchored = True
            prox, spans = self._sentences(i, per_concept, total)
            title_sim = fuzz.partial_ratio(qcjk, self._titles[i]) / 100 if len(qcjk) >= 4 else 0.0
            bonus = 0.1 * max(0.0, title_sim - 0.6) / 0.4
            final = 0.45 * cov + 0.2 * prox + 0.15 * phrase + 0.2 * (raw[i] / top_raw) + bonus
            conf = max(cov, phrase)
            ranked.append((i, min(1.0, final * conf ** 0.25), conf, evidence, anchored, spans))
        ranked.sort(key=lambda x: x[1], reverse=True)
        # a question that is, word for word, a phrase of exactly one of these clauses (「四优先」)
        # asks for that clause, whatever a longer clause scores on the same words
        quote = "".join(CJK_RUN.findall(q))
        if len(quote) >= 3:
            bare = self.bare_texts()
            holding = [r for r in ranked if quote in bare[r[0]]]
            if len(holding) == 1 and holding[0] is not ranked[0]:
                ranked.remove(holding[0])
                ranked.insert(0, holding[0])
        best = ranked[0]
        anchored = best[4] or allowed is not None  # a named section anchors the question itself
        if best[2] < MIN_COVERAGE or (best[3] < MIN_MATCHED and allowed is None) or not anchored:
            return self._quoted(q, limit, allowed)
        out = [Scored(best[0], round(best[1], 4), round(best[2], 4), best[3], best[5])]
        for r in ranked[1:]:
            if len(out) >= limit:
                break
            if (r[4] or allowed is not None) and r[1] >= RELATED_SHARE * best[1] \
                    and r[2] >= max(MIN_COVERAGE, RELATED_COVERAGE * best[2]):
                out.append(Scored(r[0], round(r[1], 4), round(r[2], 4), r[3], r[5]))
        return out

    def bare_texts(self) -> list[str]:
        """Each clause's text as its Chinese characters only (punctuation, digits and spaces
        dropped), for quotations; built on first use."""
        if self._bare is None:
            self._bare = ["".join(CJK_RUN.findall(t)) for t in self.texts]
        return self._bare

    _QUOTED = re.compile(r"[“\"「『‘]([^”\"」』’]{2,})[”\"」』’]")

    def _quoted(self, q: str, limit: int, allowed: set[int] | None) -> list[Scored]:
        """A question that is a quotation of the document, punctuation aside, though none of its
        words carries the topic (「有人抓、有人管」: single characters and common words): the
        clauses holding it verbatim, when at most ``limit`` do. What is quoted is the text in
        quotation marks if any, else the whole question; at least ``MIN_QUOTE`` characters."""
        m = self._QUOTED.search(q)
        quote = "".join(CJK_RUN.findall(m.group(1) if m else q))
        if len(quote) < MIN_QUOTE:
            return []
        found = [i for i, t in enumerate(self.bare_texts()) if quote in t and (allowed is None or i in allowed)]
        if not found or len(found) > limit:
            return []
        out = []
        for i in found:
            spans = tuple(span for span, _terms, norm in self.sentences[i]
                          if quote in "".join(CJK_RUN.findall(norm)))
            out.append(Scored(i, 1.0, 1.0, 0.0, spans[:1]))
        return out

    def _sentences(self, i: int, per_concept, total: float) -> tuple[float, tuple[tuple[int, int], ...]]:  # noqa: ANN001
        """(proximity, spans): the best share of the question matched inside one sentence, and the
        sentences that reach at least 60 % of that best share (at most 3, in text order)."""
        sents = self.sentences[i]
        if not per_concept or total <= 0:
            return 0.0, ()
        scores = []
        for k, (_span, terms, _norm) in enumerate(sents):
            s = 0.0
            for c, w, hits in per_concept:
                m = max((v for t, v in hits.items() if t in terms), default=0.0)
                s += min(m, w) * (0.5 if c.generic else 1.0)
            scores.append((s, k))
        top = max(scores)[0]
        if top <= 0:
            return 0.0, ()
        keep = sorted(k for s, k in sorted(scores, reverse=True)[:3] if s >= 0.6 * top)
        return min(1.0, top / total), tuple(sents[k][0] for k in keep)
