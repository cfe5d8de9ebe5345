"""jieba's dictionary tables, loaded once, compactly, and installed into jieba.

Tagging needs three tables of jieba's dictionary: the prefix dictionary that tokenising
walks (``jieba.dt.FREQ``: 500 k words and prefixes), the part-of-speech tag of each word
(what ``jieba.posseg`` loads on import: 349 k) and the IDF of each word (what
``jieba.analyse`` loads on import: 270 k). Loaded by jieba, each table holds its own copy
of every word and of every number: 132 MB of Python objects (tracemalloc), and with what
loading leaves behind the process grew by 197 MB before any article was read.

Here the three are built from jieba's own files with one string per word, one object per
distinct tag, frequency and IDF value, and cached with ``marshal`` (which keeps objects
shared) beside jieba's own cache; the prefix dictionary is then handed to jieba, so
``jieba.lcut``, ``add_word`` and ``load_userdict`` work on the same table. The tables are
jieba's entry for entry (tests/test_lexicon.py compares them with jieba's).
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

log = logging.getLogger("newsdigest.lexicon")

_FORMAT = 1  # bump when the cached tables change shape
# jieba.analyse's KeywordExtractor.STOP_WORDS (importing jieba.analyse loads its IDF table).
STOP_WORDS = frozenset(
    "the of is and to in that we for an are by be as on with can if from which you it this then at have all "
    "not one has or".split()
)


@dataclass(frozen=True)
class Lexicon:
    freq: dict[str, int]  # jieba.dt.FREQ: word → frequency, and every word's prefixes → 0
    total: int  # jieba.dt.total
    tags: dict[str, str]  # jieba.posseg.dt.word_tag_tab
    idf: dict[str, float]  # jieba.analyse.default_tfidf.idf_freq
    median_idf: float


def _files() -> tuple[Path, Path]:
    import jieba

    root = Path(jieba.__file__).parent
    return root / "dict.txt", root / "analyse" / "idf.txt"


def _cache_path(dictionary: Path, idf: Path) -> Path:
    import jieba

    stamp = f"{_FORMAT}|{jieba.__version__}|" + "|".join(
        f"{p}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in (dictionary, idf)
    )
    folder = jieba.dt.tmp_dir or tempfile.gettempdir()  # where jieba keeps its own cache
    return Path(folder) / f"newsdigest-lexicon-{hashlib.sha1(stamp.encode()).hexdigest()[:16]}.marshal"


def _dictionary(path: Path) -> tuple[dict[str, int], int, dict[str, str]]:
    """jieba's gen_pfdict (prefix dictionary and total) and posseg's load_word_tag, in one
    reading: ``tags`` shares the prefix dictionary's strings, equal numbers and tags are one object."""
    freq: dict[str, int] = {}
    tags: dict[str, str] = {}
    same: dict = {}
    total = 0
    with path.open("rb") as fh:
        for line in fh:
            word, count, tag = line.strip().decode("utf-8").split(" ")
            n = int(count)
            total += n
            freq.pop(word, None)  # a prefix of an earlier word: this string becomes the key, shared with tags
            freq[word] = same.setdefault(n, n)
            tags[word] = same.setdefault(tag, tag)
            for end in range(1, len(word)):
                freq.setdefault(word[:end], 0)
    return freq, total, tags


def _idf(path: Path, freq: dict[str, int], tags: dict[str, str]) -> tuple[dict[str, float], float]:
    """jieba.analyse's IDFLoader: word → IDF, and the median IDF."""
    canon = {w: w for w in tags}  # the dictionary's own strings, to share (dropped after)
    idf: dict[str, float] = {}
    same: dict[float, float] = {}
    for line in path.read_bytes().decode("utf-8").splitlines():
        word, value = line.strip().split(" ")
        v = float(value)
        idf[canon.get(word, word)] = same.setdefault(v, v)
    return idf, sorted(idf.values())[len(idf) // 2]


def build() -> Lexicon:
    dictionary, idf_file = _files()
    freq, total, tags = _dictionary(dictionary)
    idf, median = _idf(idf_file, freq, tags)
    return Lexicon(freq, total, tags, idf, median)


def _read(path: Path) -> Lexicon | None:
    try:  # loads() of the bytes: load() of a file reads it in small pieces, 4× slower here
        return Lexicon(*marshal.loads(path.read_bytes()))
    except (OSError, EOFError, ValueError, TypeError):
        return None


def _write(path: Path, lex: Lexicon) -> None:
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                marshal.dump((lex.freq, lex.total, lex.tags, lex.idf, lex.median_idf), fh)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError as exc:
        log.warning("jieba cannot write its dictionary cache (%s); it builds the dictionary in each run (~1 s)", exc)


@lru_cache(maxsize=1)
def load() -> Lexicon:
    """The tables (from the cache, else built and cached), the prefix dictionary installed
    as jieba's, so that jieba never loads its own."""
    import jieba

    path = _cache_path(*_files())
    lex = _read(path)
    if lex is None:
        lex = build()
        _write(path, lex)
    with jieba.dt.lock:
        jieba.dt.FREQ, jieba.dt.total, jieba.dt.initialized = lex.freq, lex.total, True
    return lex
