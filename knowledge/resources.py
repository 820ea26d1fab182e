"""Dictionaries (domain words, synonyms, English glossary, stopwords) and the tokenizer.

The tokenizer's dictionary cache lives in a private directory (mode 0700): ``$SHUANGYONG_CACHE_DIR``,
else ``$XDG_CACHE_HOME/shuangyong`` or ``~/.cache/shuangyong``; never the shared /tmp.
"""

from __future__ import annotations

import logging
import math
import os
import re
import tempfile
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).with_name("data")
log = logging.getLogger(__name__)


def cache_dir() -> Path:
    """A private (0700) cache directory, created on first use."""
    env = os.environ.get("SHUANGYONG_CACHE_DIR")
    if env:
        base = Path(env)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = (Path(xdg) if xdg else Path.home() / ".cache") / "shuangyong"
    try:
        base.mkdir(mode=0o700, parents=True, exist_ok=True)
        if base.stat().st_uid == os.getuid():
            os.chmod(base, 0o700)
        if not os.access(base, os.W_OK):
            raise PermissionError(base)
        return base
    except OSError:
        return Path(tempfile.mkdtemp(prefix="shuangyong-"))  # mkdtemp is 0700 too


def lines(name: str):
    """The non-empty, non-comment lines of ``data/<name>``, stripped."""
    with open(DATA / name, encoding="utf-8") as f:
        for raw in f:
            line = raw.strip()
            if line and not line.startswith("#"):
                yield line


@lru_cache(maxsize=1)
def domain_words() -> tuple[tuple[str, int, str | None], ...]:
    out = []
    for line in lines("userdict.txt"):
        parts = line.split()
        freq = int(parts[1]) if len(parts) > 1 else 100
        out.append((parts[0], freq, parts[2] if len(parts) > 2 else None))
    return tuple(out)


def _parse_targets(rhs: str) -> tuple[tuple[str, float], ...]:
    out = []
    for t in rhs.split():
        word, _, w = t.partition(":")
        out.append((word, float(w) if w else 1.0))
    return tuple(out)


@lru_cache(maxsize=1)
def synonyms() -> dict[str, tuple[tuple[str, float], ...]]:
    """colloquial key -> ((document word, weight), ...)"""
    out: dict[str, tuple[tuple[str, float], ...]] = {}
    for line in lines("synonyms.txt"):
        key, _, rhs = line.partition("=>")
        out[key.strip().lstrip("~").lower()] = _parse_targets(rhs)
    return out


@lru_cache(maxsize=1)
def generic_keys() -> frozenset[str]:
    """Synonym keys marked ``~``: everyday words that alone do not make a question on-topic."""
    return frozenset(line.partition("=>")[0].strip().lstrip("~").lower()
                     for line in lines("synonyms.txt") if line.startswith("~"))


@lru_cache(maxsize=1)
def _glossary() -> tuple[dict[str, tuple[tuple[str, float], ...]], frozenset[str], dict[tuple[str, ...], str]]:
    """(phrase -> targets, generic phrases, stems -> phrase). Entries whose words have the same
    stems (train, training) are one entry: the shortest phrase, with the targets of all."""
    raw: list[tuple[str, tuple[tuple[str, float], ...], bool]] = []
    for line in lines("glossary_en.txt"):
        key, _, rhs = line.partition("=>")
        generic = key.strip().startswith("~")
        raw.append((" ".join(key.strip().lstrip("~").lower().split()), _parse_targets(rhs), generic))
    groups: dict[tuple[str, ...], list[tuple[str, tuple[tuple[str, float], ...], bool]]] = {}
    for phrase, targets, generic in raw:
        stem = tuple(english_base(w) for w in EN_TOKEN.findall(phrase))
        if stem:
            groups.setdefault(stem, []).append((phrase, targets, generic))
    table: dict[str, tuple[tuple[str, float], ...]] = {}
    generics: set[str] = set()
    stems: dict[tuple[str, ...], str] = {}
    for stem, entries in groups.items():
        name = min((e[0] for e in entries), key=len)
        merged: dict[str, float] = {}
        for _p, targets, _g in entries:
            for t, w in targets:
                merged[t] = max(merged.get(t, 0.0), w)
        table[name] = tuple(merged.items())
        if all(g for _p, _t, g in entries):
            generics.add(name)
        stems[stem] = name
    return table, frozenset(generics), stems


def glossary() -> dict[str, tuple[tuple[str, float], ...]]:
    """English phrase -> ((Chinese word, weight), ...) (``glossary_en.txt``)."""
    return _glossary()[0]


def glossary_generic() -> frozenset[str]:
    """Glossary phrases marked ``~`` (county, level, carry out …): no evidence of a topic."""
    return _glossary()[1]


def _everyday() -> dict[str, tuple[bool, frozenset[str]]]:
    out: dict[str, tuple[bool, frozenset[str]]] = {}
    for line in lines("everyday.txt"):
        cat, sep, words = line.partition(":")
        if not sep:
            cat, words = "", line
        out[cat.strip().rstrip("*")] = (cat.strip().endswith("*"), frozenset(words.lower().split()))
    return out


@lru_cache(maxsize=1)
def everyday_words() -> frozenset[str]:
    """Everyday words (``everyday.txt``: 疫情, 学习, 会议, 天气, 医院 …): they help rank, but a
    question tied to the document only by such words is not about it."""
    return frozenset(w for _heads, words in _everyday().values() for w in words)


@lru_cache(maxsize=1)
def everyday_heads() -> frozenset[str]:
    """Everyday words of the categories marked ``*`` (places and things: 医院, 景点, 车站 …): a
    word ending with one is a thing of that kind (旅游景点, 县医院, 火车站)."""
    return frozenset(w for heads, words in _everyday().values() if heads for w in words)


@lru_cache(maxsize=1)
def _stemmer():  # noqa: ANN202
    import snowballstemmer  # pure Python, ~10 ms; Snowball's English (Porter 2) stemmer

    return snowballstemmer.stemmer("english")


def english_base(word: str) -> str:
    """The Snowball stem of an English word (``drills`` -> ``drill``, ``commendation`` ->
    ``commend``), lower case."""
    w = word.lower()
    w = w[:-2] if w.endswith("'s") else w.rstrip("'")
    return _stemmer().stemWord(w)


EN_TOKEN = re.compile(r"[a-z][a-z0-9']*")


def glossary_stems() -> dict[tuple[str, ...], str]:
    """Stemmed glossary phrase -> phrase: ``("commend", "meet")`` -> ``"commendation meeting"``.
    Matching stems lets any inflection of each word match (plurals, -ed, -ing, -ation …)."""
    return _glossary()[2]


def match_glossary(text: str) -> list[tuple[str, int, int]]:
    """(glossary phrase, start, end) of the English glossary phrases in lower-case ``text``,
    longest first at each position, not overlapping."""
    toks = [(m.start(), m.end(), english_base(m.group(0))) for m in EN_TOKEN.finditer(text)]
    if not toks:
        return []
    stems = glossary_stems()
    longest = max(len(k) for k in stems) if stems else 0
    out = []
    i = 0
    while i < len(toks):
        for n in range(min(longest, len(toks) - i), 0, -1):
            key = tuple(t[2] for t in toks[i:i + n])
            if key in stems:
                out.append((stems[key], toks[i][0], toks[i + n - 1][1]))
                i += n
                break
        else:
            i += 1
    return out


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    words: set[str] = set()
    for line in lines("stopwords.txt"):
        words.update(line.lower().split())
    return frozenset(words)


# --------------------------------------------------------------------------- tokenizer
#
# jieba keeps its 350,000-word dictionary as a Python dict (0.5-1.2 s to unmarshal, ~70 MB of
# memory). We keep jieba's algorithm (prefix DAG, most probable route, HMM for unknown words) and
# its dictionary, merged with ours, but store the words in a marisa-trie memory-mapped from the
# private cache directory, plus a flat array of their log-probabilities: opening it takes about a
# millisecond, and a lookup of all the words starting at a position is one C call.

_FORMAT = "3"  # bump when the cached files change shape


def _jieba():  # noqa: ANN202
    """``import jieba``, without pkg_resources: jieba imports setuptools' deprecated
    ``pkg_resources`` (~10 MiB of memory and ~60 ms, measured by benchmarks/bench_memory.py) only
    to open its own data files, and opens them with ``open`` beside its module when that import
    fails (jieba/_compat.py) — so for the moment of the import it is made to fail."""
    import sys

    if "jieba" in sys.modules:
        return sys.modules["jieba"]
    blocked = "pkg_resources" not in sys.modules
    if blocked:
        sys.modules["pkg_resources"] = None  # type: ignore[assignment]  # `import` raises ImportError
    try:
        import jieba
    finally:
        if blocked and sys.modules.get("pkg_resources", 0) is None:
            del sys.modules["pkg_resources"]
    return jieba


def _dictionary_key() -> str:
    import hashlib

    jieba = _jieba()

    h = hashlib.sha1(_FORMAT.encode())
    h.update(getattr(jieba, "__version__", "?").encode())
    for name in ("userdict.txt", "synonyms.txt", "glossary_en.txt"):
        h.update((DATA / name).read_bytes())
    return h.hexdigest()[:16]


def _build_dictionary(stem: Path) -> None:
    """Merge jieba's dictionary with the domain words and synonym keys; write ``stem``.marisa
    (the words), ``stem``.freq (uint32 frequencies in key-id order, then the total) and
    ``stem``.tags (part-of-speech tags: the tag names on one line, then one byte per word),
    atomically. Frequencies, not log-probabilities: half the memory (1.4 MiB of the bot's idle
    RSS), and ``log(freq) - log(total)`` at lookup is the very number jieba computes."""
    from array import array

    import marisa_trie

    jieba = _jieba()
    freq: dict[str, int] = {}
    tags: dict[str, str] = {}
    total = 0
    with jieba.Tokenizer().get_dict_file() as f:
        for raw in f:
            parts = raw.decode("utf-8").split()
            if len(parts) >= 2:
                freq[parts[0]] = int(parts[1])
                total += int(parts[1])
                if len(parts) >= 3:
                    tags[parts[0]] = parts[2]
    for word, n, tag in domain_words():  # as jieba's add_word: set the frequency, grow the total
        freq[word] = n
        total += n
        if tag:
            tags[word] = tag
    # synonym keys are words of questions; their targets and the glossary's are the documents'
    # words: all must segment as one word
    targets = {t for ts in synonyms().values() for t, _w in ts} | {t for ts in glossary().values() for t, _w in ts}
    for key in list(synonyms()) + sorted(targets):
        if len(key) >= 2 and not freq.get(key):
            freq[key] = 50
            total += 50
    words = [w for w, n in freq.items() if n > 0]
    trie = marisa_trie.Trie(words)
    counts = array("I", [0]) * (len(trie) + 1)
    if total >= 2 ** 32 or counts.itemsize != 4:
        raise ValueError(f"dictionary total {total} does not fit the cache's uint32")
    for w in words:
        counts[trie[w]] = freq[w]
    counts[len(trie)] = total
    tag_names = sorted(set(tags.values()) | {""})
    tag_no = {t: k for k, t in enumerate(tag_names)}
    tag_ids = bytearray(len(trie))
    for w in words:
        tag_ids[trie[w]] = tag_no[tags.get(w, "")]
    tmp = f"{stem}.{os.getpid()}.tmp"
    trie.save(tmp + ".marisa")
    with open(tmp + ".freq", "wb") as f:
        counts.tofile(f)
    with open(tmp + ".tags", "wb") as f:
        f.write(" ".join(tag_names).encode() + b"\n" + bytes(tag_ids))
    os.replace(tmp + ".freq", f"{stem}.freq")
    os.replace(tmp + ".tags", f"{stem}.tags")
    os.replace(tmp + ".marisa", f"{stem}.marisa")  # the .marisa last: it marks the set complete


class Tokenizer:
    """What the knowledge base needs of jieba, over the cached dictionary.

    ``cut(text)`` (jieba's precise mode with HMM), ``cut_for_search(text)`` (plus the dictionary
    2- and 3-grams inside long words), ``tokenize(text)`` -> ``(word, start, end)``,
    ``logp(word)`` (natural log of the word's corpus probability, None if not a word),
    ``tag(word)`` (jieba's part-of-speech tag: 'n', 'v', 'd' …, '' if unknown) and
    ``is_word(word)``. Thread-safe (read-only).
    """

    MAX_WORD = 16  # longer dictionary entries are never needed to segment a question

    def __init__(self, trie, freq, tags: tuple[list[str], bytes] | None = None):  # noqa: ANN001
        self._tags = tags
        self._trie = trie
        self._freq = freq  # key id -> frequency; the last entry is the total
        self._log_total = math.log(freq[-1])
        self._unknown = -self._log_total  # an unknown single character: jieba counts it as frequency 1

    def __contains__(self, word: str) -> bool:
        return word in self._trie

    def is_word(self, word: str) -> bool:
        return word in self._trie

    def logp(self, word: str) -> float | None:
        i = self._trie.get(word)
        return None if i is None else math.log(self._freq[i]) - self._log_total

    def tag(self, word: str) -> str:
        i = self._trie.get(word)
        if i is None or self._tags is None:
            return ""
        names, ids = self._tags
        return names[ids[i]]

    def _cut_block(self, sentence: str, out: list[str]) -> None:
        """jieba's precise mode with HMM on one run of Chinese characters / letters / digits:
        the most probable route through the dictionary's words (computed backwards, the words
        starting at each position found with one trie call), then the HMM for runs of single
        characters that are not a word."""
        n = len(sentence)
        pre = self._trie.iter_prefixes_with_ids
        freq, log, log_total, unknown, span = self._freq, math.log, self._log_total, self._unknown, self.MAX_WORD
        route_p = [0.0] * (n + 1)
        route_x = [0] * (n + 1)
        for idx in range(n - 1, -1, -1):
            best_p, best_x = None, idx
            for w, i in pre(sentence[idx:idx + span]):
                x = idx + len(w) - 1
                p = (log(freq[i]) - log_total) + route_p[x + 1]
                if best_p is None or p > best_p or (p == best_p and x > best_x):
                    best_p, best_x = p, x
            if best_p is None:
                best_p, best_x = unknown + route_p[idx + 1], idx
            route_p[idx], route_x[idx] = best_p, best_x
        x, buf = 0, ""
        while x < n:
            y = route_x[x] + 1
            word = sentence[x:y]
            if y - x == 1:
                buf += word
            else:
                if buf:
                    self._flush(buf, out)
                    buf = ""
                out.append(word)
            x = y
        if buf:
            self._flush(buf, out)

    def _flush(self, buf: str, out: list[str]) -> None:
        if len(buf) == 1 or buf in self._trie:
            out.extend(buf)
        else:
            finalseg = _jieba().finalseg  # the HMM for unknown words

            out.extend(finalseg.cut(buf))

    def cut(self, text: str) -> list[str]:
        """jieba.cut(text, HMM=True), same words."""
        out: list[str] = []
        for blk in _RE_HAN.split(text):
            if not blk:
                continue
            if _RE_HAN.match(blk):
                self._cut_block(blk, out)
            else:
                for x in _RE_SKIP.split(blk):
                    if _RE_SKIP.match(x):
                        out.append(x)
                    else:
                        out.extend(x)
        return out

    def search_terms(self, w: str) -> list[str]:
        """One word as ``cut_for_search`` gives it: the dictionary words of 2 and 3 characters
        inside it, then the word."""
        out: list[str] = []
        trie = self._trie
        n = len(w)
        if n > 2:
            for i in range(n - 1):
                if w[i:i + 2] in trie:
                    out.append(w[i:i + 2])
        if n > 3:
            for i in range(n - 2):
                if w[i:i + 3] in trie:
                    out.append(w[i:i + 3])
        out.append(w)
        return out

    def cut_for_search(self, text: str) -> list[str]:
        """jieba.cut_for_search(text): each word, preceded by the dictionary words of 2 and 3
        characters inside it."""
        out: list[str] = []
        for w in self.cut(text):
            out += self.search_terms(w)
        return out

    def tokenize(self, text: str) -> list[tuple[str, int, int]]:
        """(word, start, end) of ``cut(text)``."""
        out, start = [], 0
        for w in self.cut(text):
            out.append((w, start, start + len(w)))
            start += len(w)
        return out


_RE_HAN = re.compile(r"([\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]+)")  # jieba's re_han_default
_RE_SKIP = re.compile(r"(\r\n|\s)")


@lru_cache(maxsize=1)
def tokenizer() -> Tokenizer:
    """The shared tokenizer: jieba's dictionary + ours, cached in ``cache_dir()`` (built on the
    first run, ~2 s; opened in ~1 ms afterwards)."""
    from array import array

    import marisa_trie

    stem = cache_dir() / f"dict-{_dictionary_key()}"
    if not Path(f"{stem}.marisa").exists():
        _build_dictionary(stem)
    trie = marisa_trie.Trie()
    trie.mmap(f"{stem}.marisa")
    freq = array("I")
    try:
        with open(f"{stem}.freq", "rb") as f:
            freq.frombytes(f.read())
        head, _, ids = Path(f"{stem}.tags").read_bytes().partition(b"\n")
        tags: tuple[list[str], bytes] | None = (head.decode().split(" "), ids)
    except (OSError, ValueError):
        tags = None
    if len(freq) != len(trie) + 1 or tags is None or len(tags[1]) != len(trie):
        _build_dictionary(stem)  # a torn set (never from _build_dictionary): rebuild
        return tokenizer.__wrapped__()
    return Tokenizer(trie, freq, tags)
