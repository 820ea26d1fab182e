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
    clause: Clause
    score: float  # 0..1, higher is better


@dataclass
class Answer:
    question: str
    kind: str  # 'structural' | 'overview' (the document as a whole) | 'content' | 'missing' | 'none'
    hits: list[Hit] = field(default_factory=list)
    missing_ref: str | None = None
    available: list[str] = field(default_factory=list)

    @property
    def best(self) -> Clause | None:
        return self.hits[0].clause if self.hits else None
