"""KnowledgeBase: one parsed document plus its search index."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from .model import Answer, Clause, Hit
from .overview import is_overview
from .parser import Meta, ParsedDocument, ParseWarning, parse_file
from .refs import Ref, find_ref
from .textnorm import clean, normalize
from .years import find_year

DEFAULT_DOC = Path(__file__).with_name("documents") / "fengdu-2020-workpoints.txt"
MAX_QUESTION = 500  # characters looked at; longer input is cut, never an error
ANSWER_CACHE = 2048  # answers kept per knowledge base (the same question asked again costs nothing)


# 「这份要点」「本文件中」「文件里」: the document named as a whole, which says nothing of where in it
# the answer is (without it, 要点 would point at the notice, whose title holds the word)
_DOC_NAME = re.compile(
    r"(?:(?:这份|这个|这篇|本|该|此|整个|整份|整篇)\s*(?:今年|本年度?)?的?\s*(?:双拥)?(?:工作)?(?:要点|文件|通知|方案|计划)"
    r"(?:里面|里头|里|中|上|当中)?"
    r"|(?:双拥)?(?:工作)?(?:要点|文件|方案|计划)(?:里面|里头|里|中|当中)"
    r"|^(?:双拥)?(?:工作)?(?:要点|文件|方案|计划)(?=的))的?")


# the county (city, district) a plan is of: 丰都县, 石柱土家族自治县, 忠县
# 「双拥创建是哪一部分」「光荣牌在哪个部分」: the answer is a section, not one of its items
# (not 「哪部分单位」「哪部分人」: which of a group, a question for the clauses)
_WHICH_PART = re.compile(r"哪\s*[一个]?\s*大?(?:部分|板块|章|篇)(?![\u4e00-\u9fff](?<![的里中呢啊吧呀]))"
                         r"|\b(?:which|what)\s+(?:part|section|chapter)\b")
# a question asking for everything on a topic (「…有哪些重点」「…方面抓什么」「what are the tasks」)
_WHAT_ALL = re.compile(r"有哪些|哪几[项条方个]|都有什么|都有啥|抓什么|抓啥|重点是什么|主要任务|\bwhat are\b")
LIST_SHARE = 0.9  # ... and its section or a sibling scores at least this share of the best item
_LOCALITY = re.compile(r"([\u4e00-\u9fff]{1,6}?)(?:[\u4e00-\u9fff]{1,2}族)*(?:自治县|自治州|县|市|区)")


def without_document_name(q: str) -> str:
    """``q`` without the phrases that name the document as a whole (「这份要点的总体思路」 ->
    「总体思路」); unchanged when nothing else would be left."""
    rest = _DOC_NAME.sub(" ", q).strip()
    return rest if rest and rest != q else q


class KnowledgeBase:
    """One plan, parsed and indexed: ``ask`` is fast and never raises.

    Build with ``KnowledgeBase.from_document(parsed)`` (a ``ParsedDocument``, fresh from the
    parser or rebuilt with ``ParsedDocument.from_dict``) or ``KnowledgeBase.load(path)``.
    Knows nothing of years in storage, files in a store or a database.
    """

    def __init__(self, doc: ParsedDocument, source: Path | None = None):
        self.doc = doc
        self.source = source
        self.title: str = doc.title
        self.meta: Meta = doc.meta
        self.year: int | None = doc.year
        self.warnings: list[ParseWarning] = doc.warnings
        self.clauses: dict[str, Clause] = doc.clauses
        self._order = list(self.clauses)
        self._pos = {cid: i for i, cid in enumerate(self._order)}
        self._index = None
        self._short: dict[int, dict[str, str]] = {}
        self._title_words: frozenset[str] | None = None
        self._answers: dict[tuple[str, int], Answer] = {}

    @classmethod
    def from_document(cls, doc: ParsedDocument, source: Path | None = None) -> KnowledgeBase:
        """Index a parsed document now (so every ``ask`` is fast)."""
        kb = cls(doc, source=source)
        _ = kb.index
        return kb

    @classmethod
    def load(cls, path: str | Path | None = None) -> KnowledgeBase:
        """Read, parse and index a .txt / .docx / .pdf file (default: the shipped 2020 document).
        Raises ``DocumentError``."""
        p = Path(path) if path else DEFAULT_DOC
        return cls.from_document(parse_file(p), source=p)

    # ------------------------------------------------------------------ structure
    @property
    def index(self):  # noqa: ANN201
        if self._index is None:
            from .search import Index

            m = self.meta
            extra: dict[str, str] = {}
            if "header" in self.clauses:
                fields = ["通知 标题", self.title]
                if m.doc_number:
                    fields.append("文号 发文字号")
                if m.issuer:
                    fields.append("发文单位 发文机关")
                if m.date:
                    fields.append("日期 印发日期 时间")
                if m.addressees:
                    fields.append("主送 主送单位")
                extra["header"] = " ".join(fields)
            if "preamble" in self.clauses:
                extra["preamble"] = "总体要求 指导思想 目标"
            self._index = Index([self.clauses[k] for k in self._order], extra, self.places())
        return self._index

    @property
    def title_words(self) -> frozenset[str]:
        """The words of the document's title (双拥, 工作, 要点, 丰都县, 丰都 …): in a question they
        name the document, not a topic."""
        if self._title_words is None:
            from .resources import tokenizer

            title = normalize(self.title)
            self._title_words = frozenset(w for w in tokenizer().cut_for_search(title)
                                          if w.strip() and not w.isdigit())
        return self._title_words

    def places(self) -> set[str]:
        """The document's own place names, from its title and issuer: 「2026年石柱土家族自治县双拥
        工作要点」 -> 石柱, 石柱土家族自治县 (a question naming them says nothing of its topic)."""
        out: set[str] = set()
        for text in (self.title, self.meta.issuer or ""):
            text = re.sub(r"\d{4}\s*年度?", "", normalize(text))
            m = _LOCALITY.search(text)
            if m:
                out.update(p for p in (m.group(0), m.group(1)) if len(p) >= 2)
        return out

    def get(self, id: str) -> Clause | None:
        return self.clauses.get(str(id))

    def top_level(self) -> list[Clause]:
        return [c for c in self.clauses.values() if c.parent_id is None]

    def sections(self) -> list[Clause]:
        return [c for c in self.clauses.values() if c.kind == "section"]

    def items(self) -> list[Clause]:
        return [c for c in self.clauses.values() if c.kind == "item"]

    def related(self, id: str) -> list[Clause]:
        """Neighbours for buttons: a section's items; an item's section and adjacent items."""
        c = self.get(id)
        if c is None:
            return []
        if c.kind == "section":
            return [self.clauses[k] for k in c.children[:8]]
        out: list[Clause] = []
        if c.parent_id:
            parent = self.clauses[c.parent_id]
            out.append(parent)
            sibs = list(parent.children)
        else:
            sibs = [x.id for x in self.top_level()]
        i = sibs.index(c.id)
        if i > 0:
            out.append(self.clauses[sibs[i - 1]])
        if i + 1 < len(sibs):
            out.append(self.clauses[sibs[i + 1]])
        return out

    def outline(self) -> list[dict]:
        """Top-level nodes, each ``{"id","label","title","children":[...]}``."""
        def node(c: Clause) -> dict:
            return {"id": c.id, "label": c.label, "title": c.title,
                    "children": [node(self.clauses[k]) for k in c.children]}
        return [node(c) for c in self.top_level()]

    def short_titles(self, max_chars: int = 10) -> dict[str, str]:
        """Section / item id -> a short title for a button, at most ``max_chars`` characters
        where the title allows, cut at word boundaries by meaning and distinct within the
        document (see ``labels.short_titles``)."""
        if max_chars not in self._short:
            from .labels import short_titles

            self._short[max_chars] = short_titles(
                [c for c in self.clauses.values() if c.kind in ("section", "item")], max_chars)
        return self._short[max_chars]

    # ------------------------------------------------------------------ asking
    def ask(self, question: str, limit: int = 3) -> Answer:
        """Answer a question (any text; never raises). A plan year named in it (「2020年的…」)
        is dropped: which plan answers is the caller's choice (``knowledge.find_year``).

        A knowledge base never changes once built, so the answers to the last ``ANSWER_CACHE``
        distinct questions are kept: many people asking the same thing (after a broadcast, say)
        cost one search. Each call gets its own Answer (its lists may be changed by the caller)."""
        question = question if isinstance(question, str) else str(question)
        key = (question, limit)
        cached = self._answers.get(key)
        if cached is None:
            cached = self._ask(question, limit)
            if len(self._answers) >= ANSWER_CACHE:
                self._answers.pop(next(iter(self._answers)), None)  # the oldest
            self._answers[key] = cached
        return replace(cached, hits=list(cached.hits), available=list(cached.available))

    def _ask(self, question: str, limit: int) -> Answer:
        q = normalize(clean(question)[:MAX_QUESTION])
        limit = max(1, int(limit))
        if not q:
            return Answer(question=question, kind="none")
        year, rest = find_year(q)
        if year is not None and rest.strip():
            q = rest
        ref = find_ref(q)
        if ref is not None:
            return self._structural(question, q, ref, limit)
        if is_overview(q, self.index, self.title_words):
            # every section, whatever ``limit`` (which counts clauses found by content)
            return Answer(question=question, kind="overview", hits=[Hit(c, 1.0) for c in self.sections()])
        ans = self._content(question, without_document_name(q), limit)
        if ans.hits and _WHICH_PART.search(q):
            ans.hits = self._sections_of(ans.hits)
        elif len(ans.hits) >= 2 and _WHAT_ALL.search(q):
            # 「退役军人工作今年有哪些重点」: a list asked for, and the best answer is an item whose
            # section, or another of its items, scores alike: that section answers, then the items
            first = ans.hits[0]
            parent = first.clause.parent_id
            alike = [h for h in ans.hits[1:] if h.score >= LIST_SHARE * first.score
                     and (h.clause.id == parent or (h.clause.kind == "item" and h.clause.parent_id == parent))]
            if first.clause.kind == "item" and parent in self.clauses and alike:
                rest = [h for h in ans.hits if h.clause.id != parent]
                ans.hits = [Hit(self.clauses[parent], first.score)] + rest[:limit - 1]
        return ans

    def _sections_of(self, hits: list[Hit]) -> list[Hit]:
        """Each hit replaced by its section (once, in order); the notice's own parts stay."""
        out: list[Hit] = []
        seen: set[str] = set()
        for h in hits:
            c = h.clause
            sec = self.clauses[c.parent_id] if c.kind == "item" and c.parent_id in self.clauses else c
            if sec.id not in seen:
                seen.add(sec.id)
                out.append(Hit(sec, h.score))
        return out

    def _content(self, question: str, q: str, limit: int, allowed: set[int] | None = None,
                 section: str | None = None) -> Answer:
        idx = self.index
        hits = [Hit(idx.clauses[s.index], s.score, s.sentences) for s in idx.score(q, limit, allowed)]
        if not hits:
            return Answer(question=question, kind="none", section=section)
        return Answer(question=question, kind="content", hits=hits, section=section)

    @staticmethod
    def _nth(ids: list[str], n: int) -> str | None:
        """The n-th (1-based; negative from the end) of ``ids``, or None."""
        if n > 0 and n <= len(ids):
            return ids[n - 1]
        if n < 0 and -n <= len(ids):
            return ids[n]
        return None

    def _structural(self, question: str, q: str, ref: Ref, limit: int) -> Answer:
        secs = self.sections()
        sid = self._nth([c.id for c in secs], ref.section)
        if sid is None:
            return Answer(question=question, kind="missing", missing_ref=ref.text,
                          available=[f"{c.label} {c.title}" for c in secs])
        sec = self.clauses[sid]
        if ref.item is None:
            # 「第三部分里地质灾害那条」: the section is a filter, the rest of the question a topic
            rest = q.replace(ref.text, " ", 1)
            if self._has_topic(rest):
                allowed = {self._pos[sid]} | {self._pos[k] for k in sec.children}
                ans = self._content(question, rest, limit, allowed, section=sid)
                if ans.hits:
                    return ans
                # 「第一部分里关于光荣牌的」 when 光荣牌 is in another part: that clause, said so
                wider = self._content(question, rest, limit, section=sid)
                if wider.hits and wider.hits[0].clause.kind in ("item", "section"):  # not 「…的标题」
                    wider.outside = True
                    return wider
            return Answer(question=question, kind="structural", hits=[Hit(sec, 1.0)], section=sid)
        # a section without items is its own one item (checked in as 4): its first and its
        # last item, counted in words, is itself; an id such as 4.1 or 四（一） names nothing
        iid = self._nth(list(sec.children) or ([sid] if ref.counted else []), ref.item)
        if iid is None:
            avail = [f"{self.clauses[k].label} {self.clauses[k].title}" for k in sec.children]
            return Answer(question=question, kind="missing", missing_ref=ref.text,
                          available=avail or [f"{sec.label} {sec.title}（本部分无分项）"], section=sid)
        return Answer(question=question, kind="structural", hits=[Hit(self.clauses[iid], 1.0)], section=sid)

    def _has_topic(self, rest: str) -> bool:
        """Does the question say more than the reference (a word that is not a question word)?"""
        concepts, _ = self.index.analyze(rest)
        return any(c.alts or c.floor for c in concepts)

    def describe_missing(self, ans: Answer) -> str:
        return f"文件中没有「{ans.missing_ref}」。现有：" + "；".join(ans.available)
