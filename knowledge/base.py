"""KnowledgeBase: the parsed document plus its search index."""

from __future__ import annotations

import re
from pathlib import Path

from .model import Answer, Clause, Hit
from .parser import ParsedDocument, parse_file
from .refs import find_ref
from .textnorm import clean, normalize

DEFAULT_DOC = Path(__file__).with_name("documents") / "fengdu-2020-workpoints.txt"
MAX_QUESTION = 500  # characters looked at; longer input is cut, never an error


# questions about the whole document rather than one clause: answered with its sections
_OVERVIEW = re.compile(
    r"^(请问)?(这个|这份|这篇|本|该)?(今年|本年度?|\d{4}年?)?的?(双拥)?(工作)?(要点|文件|通知|任务|工作|内容)"
    r"(主要|一共|总共|都)?(有哪些|有什么|包括哪些|包括什么|[讲说写]了?(什么|哪些|啥)|是什么内容|都有什么"
    r"|有几[个部项条])"
    r"|(分为|有|共)几(个|大)?部分|有哪几部分|(目录|大纲|概要|主要内容|内容概述)"
    r"|^(what does the (document|notice|plan) (say|cover|contain)|overview|outline|summary|table of contents)",
    re.IGNORECASE,
)


def is_overview(q: str) -> bool:
    return bool(_OVERVIEW.search(q.replace(" ", "") if not q.isascii() else q.strip().rstrip("?")))


class KnowledgeBase:
    """Built once per document (``KnowledgeBase.load``); ``ask`` is fast and never raises."""

    def __init__(self, doc: ParsedDocument, source: Path | None = None):
        self.source = source
        self.title: str = doc.title
        self.meta = doc.meta
        self.clauses: dict[str, Clause] = doc.clauses
        self._order = list(self.clauses)
        self._index = None

    @classmethod
    def load(cls, path: str | Path | None = None) -> KnowledgeBase:
        p = Path(path) if path else DEFAULT_DOC
        kb = cls(parse_file(p), source=p)
        _ = kb.index  # build now: queries stay fast
        return kb

    # ------------------------------------------------------------------ structure
    @property
    def index(self):
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
            self._index = Index([self.clauses[k] for k in self._order], extra)
        return self._index

    def get(self, id: str) -> Clause | None:
        return self.clauses.get(str(id))

    def top_level(self) -> list[Clause]:
        return [c for c in self.clauses.values() if c.parent_id is None]

    def sections(self) -> list[Clause]:
        return [c for c in self.clauses.values() if c.kind == "section"]

    def related(self, id: str) -> list[Clause]:
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

    # ------------------------------------------------------------------ asking
    def ask(self, question: str, limit: int = 3) -> Answer:
        question = question if isinstance(question, str) else str(question)
        q = normalize(clean(question)[:MAX_QUESTION])
        limit = max(1, int(limit))
        if not q:
            return Answer(question=question, kind="none")
        ref = find_ref(q)
        if ref is not None:
            return self._structural(question, ref)
        if is_overview(q):
            return Answer(question=question, kind="overview",
                          hits=[Hit(c, 1.0) for c in self.sections()][:max(limit, 4)])
        idx = self.index
        hits = [Hit(idx.clauses[i], round(score, 4)) for i, score, _cov, _m in idx.score(q, limit)]
        if not hits:
            return Answer(question=question, kind="none")
        return Answer(question=question, kind="content", hits=hits)

    def _structural(self, question: str, ref) -> Answer:
        sid = str(ref.section)
        sec = self.clauses.get(sid)
        if sec is None or sec.kind != "section":
            return Answer(question=question, kind="missing", missing_ref=ref.text,
                          available=[f"{c.label} {c.title}" for c in self.sections()])
        if ref.item is None:
            return Answer(question=question, kind="structural", hits=[Hit(sec, 1.0)])
        item = self.clauses.get(f"{sid}.{ref.item}")
        if item is None:
            avail = [f"{self.clauses[k].label} {self.clauses[k].title}" for k in sec.children]
            return Answer(question=question, kind="missing", missing_ref=ref.text,
                          available=avail or [f"{sec.label} {sec.title}（本部分无分项）"])
        return Answer(question=question, kind="structural", hits=[Hit(item, 1.0)])

    def describe_missing(self, ans: Answer) -> str:
        return f"文件中没有「{ans.missing_ref}」。现有：" + "；".join(ans.available)

