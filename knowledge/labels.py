"""Short, distinct titles for buttons (the outline on a phone screen).

A title is cut by meaning, never mid-word: the words are jieba's; leading adverbs, verbs,
prepositions and conjunctions (进一步, 积极, 开展, 为 …) go first, since the object that follows
says what the item is about; a title still too long keeps its longest ending of whole words that
fits (a Chinese phrase ends with its head: 「…命名表彰大会」), then, for a collision, the window
of whole words that carries the most information (rarer words weigh more: ``-log p`` in jieba's
dictionary). A section heading has twice the room (its button takes a whole row) and keeps its
first phrase. Every label is distinct within the document.
"""

from __future__ import annotations

import math
import re

from . import resources
from .model import Clause

_LEADING_TAGS = {"d", "ad", "dg", "v", "vd", "vi", "p", "c", "i", "l"}  # i, l: set phrases (积极参与, 贯彻落实)
# a label never begins with a word that joins it to what was cut off (「和双拥宣传教育」, 「的…」) nor
# ends with one that waits for what follows (「…和」, 「…为」)
_NO_START_TAGS = {"c", "u", "uj", "ul", "uz", "ug", "uv", "ud", "y"}
_NO_END_TAGS = {"c", "p"}
_STRIP = re.compile(r"[“”\"'‘’《》「」『』（）()【】\s]")
_UNKNOWN_INFO = 12.0  # a word jieba does not know is as informative as a rare one


def _clause_phrase(title: str) -> str:
    """The first phrase of a title (a section heading often runs on after a comma)."""
    return re.split(r"[，,；;：:。]", title, maxsplit=1)[0]


def _windows(words: list[str], max_chars: int, info: list[float], ok: list[tuple[bool, bool]]) -> list[tuple[float, int, str]]:
    """All windows of whole words within ``max_chars`` that may start and end where they do
    (``ok[i]``: word i may start a label, may end one): (information, start, text), best first."""
    out = []
    for a in range(len(words)):
        if not ok[a][0]:
            continue
        n = 0
        for b in range(a, len(words)):
            n += len(words[b])
            if n > max_chars:
                break
            if ok[b][1]:
                out.append((sum(info[a:b + 1]) - 0.01 * a, a, "".join(words[a:b + 1])))
    out.sort(key=lambda x: (-x[0], x[1]))
    return out


def short_titles(clauses: list[Clause], max_chars: int = 10) -> dict[str, str]:
    """Clause id -> short title (see the module docstring). ``max_chars`` >= 2."""
    max_chars = max(2, int(max_chars))
    tok = resources.tokenizer()
    options: dict[str, list[str]] = {}
    for c in clauses:
        room = max_chars * 2 if c.kind == "section" else max_chars
        phrase = _STRIP.sub("", _clause_phrase(c.title)) or _STRIP.sub("", c.title) or c.label
        words = [w for w in tok.cut(phrase) if w.strip()]
        if c.kind != "section" or len(phrase) > room:
            # leading modifiers go while a useful remainder (4+ characters) is left
            while len(words) > 1 and tok.tag(words[0]) in _LEADING_TAGS and len("".join(words[1:])) >= 4:
                words = words[1:]
        text = "".join(words)
        if len(text) <= room:
            opts = [text]
        else:
            info = [informative(w) for w in words]
            ok = [(tok.tag(w) not in _NO_START_TAGS, tok.tag(w) not in _NO_END_TAGS) for w in words]
            ending = next(("".join(words[a:]) for a in range(len(words))
                           if len("".join(words[a:])) <= room and ok[a][0] and ok[-1][1]), "")
            opts = ([ending] if len(ending) >= min(4, room) else []) + \
                [t for _, _, t in _windows(words, room, info, ok)] or [text[:room]]
        # a longer fallback for collisions: the whole remaining phrase, then the full title
        opts += [text, phrase, c.title]
        options[c.id] = [o for k, o in enumerate(opts) if o and o not in opts[:k]]
    out: dict[str, str] = {}
    used: set[str] = set()
    for c in clauses:
        cands = options[c.id]
        pick = next((o for o in cands if o not in used), None)
        if pick is None:  # identical titles: the label tells them apart
            pick = f"{cands[0]}·{c.label}"
        out[c.id] = pick
        used.add(pick)
    # a label chosen first may clash with one that has no alternative: keep the first choice
    return out


def informative(word: str) -> float:
    """``-log p`` of a word in jieba's dictionary (unknown words count as rare)."""
    lp = resources.tokenizer().logp(word)
    return -lp if lp is not None else _UNKNOWN_INFO * max(1.0, math.ceil(len(word) / 2))
