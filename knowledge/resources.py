"""Dictionaries (domain words, synonyms, English glossary, stopwords) and the jieba tokenizer.

jieba's dictionary cache lives in a private directory (mode 0700): ``$SHUANGYONG_CACHE_DIR``,
else ``$XDG_CACHE_HOME/shuangyong`` or ``~/.cache/shuangyong``; never the shared /tmp.
"""

from __future__ import annotations

import logging
import os
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


def _lines(name: str):
    with open(DATA / name, encoding="utf-8") as f:
        for raw in f:
            line = raw.strip()
            if line and not line.startswith("#"):
                yield line


@lru_cache(maxsize=1)
def domain_words() -> tuple[tuple[str, int, str | None], ...]:
    out = []
    for line in _lines("userdict.txt"):
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
    for line in _lines("synonyms.txt"):
        key, _, rhs = line.partition("=>")
        out[key.strip().lstrip("~").lower()] = _parse_targets(rhs)
    return out


@lru_cache(maxsize=1)
def generic_keys() -> frozenset[str]:
    """Synonym keys marked ``~``: everyday words that alone do not make a question on-topic."""
    return frozenset(line.partition("=>")[0].strip().lstrip("~").lower()
                     for line in _lines("synonyms.txt") if line.startswith("~"))


@lru_cache(maxsize=1)
def glossary() -> dict[str, tuple[tuple[str, float], ...]]:
    out: dict[str, tuple[tuple[str, float], ...]] = {}
    for line in _lines("glossary_en.txt"):
        key, _, rhs = line.partition("=>")
        out[" ".join(key.lower().split())] = _parse_targets(rhs)
    return out


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    words: set[str] = set()
    for line in _lines("stopwords.txt"):
        words.update(line.lower().split())
    return frozenset(words)


@lru_cache(maxsize=1)
def tokenizer():
    """A jieba Tokenizer with the domain dictionary, cache in the private directory."""
    import jieba  # lazy: ~0.2 s import + ~0.5 s dictionary load

    jieba.setLogLevel(logging.WARNING)
    dt = jieba.Tokenizer()
    dt.tmp_dir = str(cache_dir())
    dt.cache_file = "jieba.cache"
    dt.initialize()
    for word, freq, tag in domain_words():
        dt.add_word(word, freq, tag)
    for key in synonyms():
        if len(key) >= 2 and dt.FREQ.get(key, 0) == 0:
            dt.add_word(key, 50)
    return dt
