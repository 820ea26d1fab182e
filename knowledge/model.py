"""Plain data types returned by the knowledge base (no Telegram, no database)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Clause:
    """One addressable piece of the document.

    ``id`` is ``'header'``, ``'preamble'``, ``'2'`` (section) or ``'2.3'`` (item);
    ``label`` is the Chinese label (``'二'``, ``'二（三）'``, ``'通知'``, ``'总体要求'``);
    ``title`` is the heading or lead phrase; ``text`` the full text.
    """

    id: str
    label: str
    title: str
    text: str
    kind: str  # 'header' | 'preamble' | 'section' | 'item'
    parent_id: str | None = None
    children: tuple[str, ...] = ()


@dataclass(frozen=True)
class Hit:
    """A clause that answers: ``score`` 0..1 (higher is better); ``sentences`` the character
    spans ``(start, end)`` into ``clause.text`` of the sentence(s) that answer the question, in
    text order (empty when the whole clause is the answer: a structural reference)."""

    clause: Clause
    score: float
    sentences: tuple[tuple[int, int], ...] = ()

    def answer_text(self) -> list[str]:
        """The answering sentences as text (``clause.text[start:end]`` for each span)."""
        return [self.clause.text[a:b] for a, b in self.sentences]


@dataclass
class Answer:
    """``kind``: 'structural' (a clause named by its number or position), 'overview' (the
    document as a whole: ``hits`` are its sections), 'content' (found by meaning; with a section
    named, only that section's clauses competed), 'missing' (a reference to a clause that does not
    exist: ``missing_ref`` as written, ``available`` what exists) or 'none' (not found)."""

    question: str
    kind: str
    hits: list[Hit] = field(default_factory=list)
    missing_ref: str | None = None
    available: list[str] = field(default_factory=list)
    section: str | None = None  # the section id a question named (「第三部分里…」), if any
    outside: bool = False  # the topic is not in the named section: these hits are from the others

    @property
    def best(self) -> Clause | None:
        return self.hits[0].clause if self.hits else None
