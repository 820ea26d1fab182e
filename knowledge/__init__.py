"""Knowledge base of 双拥助手: parse a work-plan document into clauses and answer questions.

    from knowledge import KnowledgeBase
    kb = KnowledgeBase.load()          # default: documents/fengdu-2020-workpoints.txt
    ans = kb.ask("光荣牌怎么挂")        # Answer(kind='content', hits=[Hit(clause 1.2, …)])

Knows nothing of Telegram or the database.
"""

from .base import KnowledgeBase
from .model import Answer, Clause, Hit

__all__ = ["Answer", "Clause", "Hit", "KnowledgeBase"]
