"""Near-duplicate detection: fingerprints of cleaned text, and matching them to stories.

Every article gets two fingerprints of its cleaned body: an exact hash, and a MinHash
signature over character n-gram shingles (5-grams: Chinese has no spaces, and a 5-gram
of characters is about two words). Both are taken after NFKC (full-width punctuation
becomes half-width) with punctuation, whitespace and trailing chrome lines dropped, so
a repost that differs only in those has the same hash.

MinHash is a vectorised numpy implementation (one multiply-add-shift hash per
permutation over all shingles at once); ``scripts/bench.py`` measures it next to
datasketch 2.0. Signatures are stored, so the hash family is fixed by ``_SEED`` and
recorded in ``scheme``: signatures of another scheme are never compared.

Matching is pure: ``match`` takes the batch and an ``Index`` of stored entries (the
I/O edge, ``store.story_index``, keeps that index in step with the database). Grouping
stored articles into stories for display is ``stories``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import numpy as np

from newsdigest.models import Fingerprint

_SEED = 20250601  # fixes the hash family: changing it invalidates stored signatures
_CONTENT = re.compile(r"[^\W_]+")
# Short closing lines sites append (editor, source, share/QR prompts); clean removes most,
# these are what slips through on reposts.
_TRAILING_CHROME = re.compile(
    r"^[(（【\[]?\s*(?:责任编辑|责编|编辑|来源|稿件来源|原标题|校对|审核|审校|监制|初审|复审|终审|作者|记者|通讯员|"
    r"纠错|分享|扫码|扫一扫|关注|转载|声明|本文来源|返回|打印|关闭)"
)
_CHROME_MAX = 60
_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


@dataclass(frozen=True)
class Settings:
    """The ``[dedupe]`` section: how similar, over which shingles, within how many days."""

    window_days: int = 60
    threshold: float = 0.5
    shingle: int = 5
    num_perm: int = 128

    @classmethod
    def from_config(cls, config: Any) -> Settings:
        get = config.get
        return cls(
            window_days=int(get("dedupe", "window_days", 60)),
            threshold=float(get("dedupe", "threshold", 0.5)),
            shingle=int(get("dedupe", "shingle", 5)),
            num_perm=int(get("dedupe", "num_perm", 128)),
        )

    @property
    def bands(self) -> tuple[int, int]:
        return lsh_bands(self.threshold, self.num_perm)

    @property
    def scheme(self) -> str:
        bands, rows = self.bands
        return f"np{_SEED}:k{self.shingle}:p{self.num_perm}:b{bands}x{rows}"


@dataclass(frozen=True)
class Item:
    """One new article to place in a story, fingerprinted already (``fingerprint``)."""

    article_id: str
    fingerprint: Fingerprint
    day: date  # published, or first seen when undated


@dataclass(frozen=True)
class Entry:
    """An article in the story index (stored, or just matched)."""

    article_id: str
    story: str
    content_hash: str
    day: date
    signature: bytes
    keys: tuple[int, ...]
    order: int = 0  # ingestion order: ties on ``day`` go to the earlier one


# ---- fingerprints -------------------------------------------------------------------


def normalize(text: str) -> str:
    """Content characters only: NFKC, no punctuation or whitespace, no trailing chrome lines."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    while lines and len(lines[-1]) <= _CHROME_MAX and _TRAILING_CHROME.match(lines[-1]):
        lines.pop()
    content = "".join(_CONTENT.findall("".join(lines)))
    # Punctuation is gone already, so NFKC is rarely needed (full-width letters and digits);
    # the quick check costs ~1 µs where normalising costs ~0.1 ms per article.
    if unicodedata.is_normalized("NFKC", content):
        return content
    return "".join(_CONTENT.findall(unicodedata.normalize("NFKC", content)))


def content_hash(text: str) -> str:
    return hashlib.sha256(normalize(text).encode("utf-8")).hexdigest()


@lru_cache(maxsize=8)
def _permutations(num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(_SEED)
    a = rng.integers(1, 2**63, size=num_perm, dtype=np.uint64) | np.uint64(1)  # odd multipliers
    b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)
    return a, b


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads the n-gram's polynomial hash over all 64 bits."""
    h = (h ^ (h >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    h = (h ^ (h >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def shingle_hashes(normal: str, k: int) -> np.ndarray:
    """64-bit hashes of the character k-grams (the whole text when shorter than k)."""
    codes = np.frombuffer(normal.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    k = min(k, len(codes))
    n = len(codes) - k + 1
    h = np.zeros(n, dtype=np.uint64)
    for i in range(k):  # k shifted views: every n-gram at once
        h = h * np.uint64(0x100000001B3) ^ codes[i : i + n]
    return _mix(h)


_SLICE = 16_384  # shingles per step of minhash: 16 MB of work space at 128 permutations


def minhash(hashes: np.ndarray, num_perm: int) -> np.ndarray:
    """MinHash signature: per permutation the minimum of (a·x + b) >> 32 over all shingles."""
    a, b = _permutations(num_perm)
    if hashes.size == 0:
        return np.empty(0, dtype=np.uint32)
    mins = np.full(num_perm, np.iinfo(np.uint64).max, dtype=np.uint64)
    # In slices, so that memory stays bounded (one 5 MB line is 1.7 M shingles: 1.7 GB at once).
    for start in range(0, hashes.size, _SLICE):
        values = np.multiply.outer(a, hashes[start : start + _SLICE])  # uint64 wraps: that is the point
        values += b[:, None]
        np.minimum(mins, values.min(axis=1), out=mins)
    # The shift is monotonic, so it is applied to the 128 minima, not to every value.
    return (mins >> np.uint64(32)).astype(np.uint32)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return float(np.count_nonzero(a == b)) / len(a) if len(a) and len(a) == len(b) else 0.0


@lru_cache(maxsize=16)
def lsh_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """Bands × rows: few misses above the threshold matter more than extra candidates,
    since every candidate is verified against the threshold anyway."""
    grid = np.linspace(0.0, 1.0, 201)
    best: tuple[float, int, int] | None = None
    for rows in range(1, num_perm + 1):
        bands = num_perm // rows
        p = 1 - (1 - grid**rows) ** bands
        miss = float(np.mean(np.where(grid >= threshold, 1 - p, 0)))
        extra = float(np.mean(np.where(grid < threshold, p, 0)))
        cost = 0.9 * miss + 0.1 * extra
        if best is None or cost < best[0]:
            best = (cost, bands, rows)
    assert best is not None
    return best[1], best[2]


def band_keys(signature: np.ndarray, bands: int, rows: int) -> tuple[int, ...]:
    if signature.size == 0:
        return ()
    grid = signature[: bands * rows].astype(np.uint64).reshape(bands, rows)
    h = np.arange(1, bands + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    for col in range(rows):  # uint64 arrays wrap silently (only numpy scalars warn)
        h = (h ^ grid[:, col]) * np.uint64(0x100000001B3)
    h = _mix(h)
    return tuple(int(v) for v in (h >> np.uint64(1)))


_WINDOW = 262_144  # shingles hashed at once: ~10 MB of arrays, whatever the text's length


def _text_minhash(normal: str, k: int, num_perm: int) -> np.ndarray:
    """``minhash(shingle_hashes(normal, k))`` window by window (windows overlap by k - 1
    characters, so every shingle is hashed once): the minimum of the windows' signatures is
    the text's. At once, a 2.8 M-character text took 77 MB of arrays."""
    starts = range(0, max(1, len(normal) - k + 1), _WINDOW)
    sigs = [minhash(shingle_hashes(normal[s : s + _WINDOW + k - 1], k), num_perm) for s in starts]
    return sigs[0] if len(sigs) == 1 else np.minimum.reduce(sigs)


def fingerprint(text: str, settings: Settings) -> Fingerprint:
    normal = normalize(text)
    digest = hashlib.sha256(normal.encode("utf-8")).hexdigest()
    if not normal:
        return Fingerprint(digest, np.empty(0, dtype=np.uint32), ())
    sig = _text_minhash(normal, settings.shingle, settings.num_perm)
    return Fingerprint(digest, sig, band_keys(sig, *settings.bands))


# ---- matching -----------------------------------------------------------------------


def _signature(entry: Entry) -> np.ndarray:
    return np.frombuffer(entry.signature, dtype="<u4")


class Index:
    """Entries by content hash and LSH band key (an in-memory LSH index)."""

    def __init__(self, entries: Iterable[Entry] = ()) -> None:
        self.by_hash: dict[str, list[Entry]] = {}
        # Nearly every band key belongs to one article: a key maps to that entry, and only
        # the rare shared keys get a list in ``more`` (a list per key cost ~40 MB at 20k).
        self.by_key: dict[int, Entry] = {}
        self.more: dict[int, list[Entry]] = {}
        self.max_order = 0
        for entry in entries:
            self.add(entry)

    def add(self, entry: Entry) -> None:
        self.by_hash.setdefault(entry.content_hash, []).append(entry)
        for key in entry.keys:
            if self.by_key.setdefault(key, entry) is not entry:
                self.more.setdefault(key, []).append(entry)
        self.max_order = max(self.max_order, entry.order)

    def _keyed(self, key: int) -> list[Entry]:
        first = self.by_key.get(key)
        return [] if first is None else [first, *self.more.get(key, ())]

    def matches(self, fp: Fingerprint, day: date, settings: Settings) -> list[Entry]:
        """Entries within the window with the same content hash, or sharing a band key and
        estimated at least ``threshold`` similar (the band key only makes them candidates)."""
        window = timedelta(days=settings.window_days)
        found = {e.article_id: e for e in self.by_hash.get(fp.content_hash, ()) if abs(e.day - day) <= window}
        for key in fp.keys:
            for e in self._keyed(key):
                if (
                    e.article_id not in found
                    and abs(e.day - day) <= window
                    and similarity(fp.signature, _signature(e)) >= settings.threshold
                ):
                    found[e.article_id] = e
        return list(found.values())


def match(items: list[Item], stored: Index | Iterable[Entry], settings: Settings) -> list[Entry]:
    """Place each item in a story: it joins the story of its earliest match (stored or
    earlier in this batch), or starts its own. Items are taken by (day, position), so
    the result does not depend on how a batch happens to be ordered within a day.
    ``stored`` is only read: the batch goes into an index of its own."""
    stored = stored if isinstance(stored, Index) else Index(stored)
    batch = Index()
    out: dict[str, Entry] = {}
    ordered = sorted(enumerate(items), key=lambda pair: (pair[1].day, pair[0]))
    for n, (_, item) in enumerate(ordered, start=stored.max_order + 1):
        fp = item.fingerprint
        found = stored.matches(fp, item.day, settings) + batch.matches(fp, item.day, settings)
        earliest = min(found, key=lambda e: (e.day, e.order), default=None)
        entry = Entry(
            item.article_id,
            earliest.story if earliest else item.article_id,
            fp.content_hash,
            item.day,
            fp.signature.astype("<u4").tobytes(),
            fp.keys,
            n,
        )
        batch.add(entry)
        out[item.article_id] = entry
    return [out[item.article_id] for item in items]
