"""Knowledge base of 双拥助手: parse a work-plan document into clauses and answer questions.

    from knowledge import KnowledgeBase, read_document, parse_paragraphs
    kb = KnowledgeBase.load()                     # default: documents/fengdu-2020-workpoints.txt
    ans = kb.ask("光荣牌怎么挂")                   # Answer(kind='content', hits=[Hit(clause 1.2, …)])
    doc = parse_paragraphs(read_document(data, "2026年要点.docx"))   # ParsedDocument
    kb2 = KnowledgeBase.from_document(ParsedDocument.from_dict(doc.to_dict()))
    find_year("2020年要点里光荣牌怎么说")          # (2020, "光荣牌怎么说")
    intents.detect("填报截止是哪天")               # Intent(kind="deadline", …)

Knows nothing of Telegram, the database, or which plans exist; raises only ``DocumentError``
(for documents it cannot read).
"""

from . import intents
from .base import KnowledgeBase
from .errors import DocumentError
from .intents import Intent
from .model import Answer, Clause, Hit
from .parser import Meta, ParsedDocument, ParseWarning, parse_paragraphs, parse_text
from .reader import read_document
from .years import find_year

__all__ = ["Answer", "Clause", "DocumentError", "Hit", "Intent", "KnowledgeBase", "Meta",
           "ParseWarning", "ParsedDocument", "find_year", "intents", "parse_paragraphs",
           "parse_text", "read_document"]
