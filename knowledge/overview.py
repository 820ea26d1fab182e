"""Is a question about the whole document (its outline) rather than about one clause?

「这份要点一共分几个部分」「全文的框架结构」「都有哪些工作任务」「目录给我看看」, "give me an outline
of the document" ask for the outline; 「光荣牌的内容」「这份文件的文号」「通知发给谁」 ask about a clause.

The question is cut into words (jieba's, so 春节 stays one word and is never read as 节); each
word must be an overview word of ``data/overview.txt`` (or a run of them: 哪几块 = 哪几 + 块), a
stopword, a time word or a word of the document's own title (「双拥工作要点有哪些」). Any other word
is a topic, and the question is about a clause. With no topic, the roles of the words decide
(see the data file): an outline word alone, a parts word with a listing or telling word, or the
document named with a telling, a parts or a listing word.
"""

from __future__ import annotations

import re
from functools import lru_cache

from . import resources

_EN = re.compile(r"[a-z][a-z0-9'\-]*")


@lru_cache(maxsize=1)
def cues() -> dict[str, frozenset[str]]:
    """overview word -> its roles (``outline``, ``parts``, ``whole``, ``list``, ``tell``; English
    words carry the same roles, prefixed ``en-`` in the data file)."""
    out: dict[str, set[str]] = {}
    for line in resources.lines("overview.txt"):
        role, _, words = line.partition(":")
        role = role.strip().removeprefix("en-")
        for w in words.split():
            out.setdefault(w.lower(), set()).add(role)
    return {w: frozenset(r) for w, r in out.items()}


def _split(word: str, vocab: dict[str, frozenset[str]], skip: frozenset[str]) -> list[str] | None:
    """``word`` as a run of overview words and stopwords (longest first), or None."""
    n = len(word)
    best: list[list[str] | None] = [None] * (n + 1)
    best[n] = []
    for i in range(n - 1, -1, -1):
        for j in range(n, i, -1):
            piece = word[i:j]
            if (piece in vocab or piece in skip) and best[j] is not None:
                best[i] = [piece] + best[j]  # type: ignore[operator]
                break
    return best[0]


def is_overview(q: str, index, title_words: frozenset[str]) -> bool:  # noqa: ANN001
    """True when the normalised question ``q`` asks for the document's outline. ``index``: the
    document's ``search.Index`` (its vocabulary tells a topic word); ``title_words``: words of the
    document's title (双拥, 工作, 要点, 丰都县 …), which name the document rather than a topic."""
    vocab = cues()
    stop = resources.stopwords()
    syn = resources.synonyms()
    roles: set[str] = set()
    # Chinese overview words of two characters or more, wherever they are (大标题 stays one,
    # though jieba cuts 大 + 标题); single characters only as words of their own (节 is not read
    # in 春节)
    blanked = q
    found: list[str] = []
    for w in sorted((w for w in vocab if len(w) >= 2 and not w.isascii() and w in q), key=len, reverse=True):
        if w in blanked:
            roles |= vocab[w]
            found.append(w)
            blanked = blanked.replace(w, " ")
    # a synonym key (谁发, 发给, 文号, 几号文件, 总体要求 …) that is not itself an overview word,
    # nor inside one (标题 of 大标题), is a topic
    for key in syn:
        if key in q and key not in vocab and not any(key in w for w in found) \
                and not (key.isascii() and not re.search(rf"\b{re.escape(key)}\b", q)):
            return False
    text = blanked
    for m in _EN.finditer(blanked):
        w = m.group(0)
        base = w.removesuffix("'s")
        if base in vocab:
            roles |= vocab[base]
        elif base in stop or base in title_words or base.isdigit():
            pass
        else:
            return False  # an English content word: a topic ("veterans", "number")
    text = _EN.sub(" ", text)
    tok = index.dt
    for w in tok.cut(text):
        w = w.strip()
        if not w or not re.search(r"[\u3400-\u9fff0-9]", w):
            continue
        if w in vocab:
            roles |= vocab[w]
            continue
        parts = _split(w, vocab, stop)
        if parts is not None:
            for p in parts:
                roles |= vocab.get(p, frozenset())
            continue
        if w in stop or w in title_words or w.isdigit() or tok.tag(w) in ("t", "m", "q", "mq"):
            continue  # 今年, 2020, 一个: say nothing of a topic
        if len(w) == 1 and w not in index.w_idf:
            continue  # a lone character (吧, 下, 呗): no topic
        return False
    return "outline" in roles or ("parts" in roles and bool(roles & {"list", "tell"})) \
        or ("whole" in roles and bool(roles & {"tell", "parts", "list"}))
