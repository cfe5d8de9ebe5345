"""Bounded work per feed, before feedparser sees it.

feedparser builds a dictionary per entry and expands the entities a document declares:
a feed of 100,000 items took 81 s and 731 MB, one of quadratic entity expansion (one
large entity referenced many times) 64 s and 305 MB. So a feed body first passes here:

- ``refuse_entities``: a feed that declares its own XML entities is refused with a
  one-line reason (feeds have no use for them; they only serve to expand).
- ``newest_items``: a feed with more items than ``max_items`` is cut to its newest ones
  (by their own date, else the feed's order, newest first by custom) with a linear scan
  of item boundaries and a heap of the newest so far; how many were left is reported.
  Items left out are not marked seen, so a later run reads them once the newer ones are
  known. ``newest_items_file`` does the same over a body the fetch spooled to a file
  (over ``[fetch] max_bytes``), reading 1 MB at a time: memory is bounded by
  ``max_items`` and one item, whatever the feed's size (100,000 items: 172 MB peak for
  the whole ingest, 15 s).
"""

from __future__ import annotations

import email.utils
import heapq
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import BinaryIO

# An <!ENTITY declaration inside a DOCTYPE's internal subset.
_ENTITY = re.compile(rb"<!DOCTYPE[^>\[]*\[[^\]]*<!ENTITY", re.I)
_TAG = re.compile(rb"<(/?)(?:item|entry)\b", re.I)
_DATE = re.compile(rb"<(?:pubDate|published|updated|dc:date|date)\b[^>]*>\s*([^<]{6,64}?)\s*</", re.I)
_OLDEST = datetime.min.replace(tzinfo=UTC)


ENTITY_SCAN = 1_000_000  # bytes searched for entity declarations (they come in the prolog)


def refuse_entities(body: bytes) -> str | None:
    """A one-line reason when the feed declares XML entities, else None."""
    if _ENTITY.search(body[:ENTITY_SCAN]):
        return "feed declares its own XML entities (<!ENTITY>): refused, they can expand without bound"
    return None


def _when(item: bytes) -> datetime:
    found = _DATE.search(item)
    if not found:
        return _OLDEST
    text = found[1].decode("utf-8", "replace").strip()
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        try:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return _OLDEST
    return when if when.tzinfo else when.replace(tzinfo=UTC)


_CHUNK = 1 << 20  # bytes read at a time from a spooled feed
_MARGIN = 16  # a tag cut by a chunk's end is matched with the next chunk
MAX_KEPT_BYTES = 10_000_000  # the newest items of a spooled feed, in memory at most


def _items(fh: BinaryIO) -> Iterator[tuple[int, int, bytes]]:
    """(start, end, bytes) of each item (or entry), in one pass over the file read chunk by
    chunk: only the item being read is held (a regex pairing open and close tags would
    rescan the rest of the body after every unclosed one)."""
    buf, base, pos, start, eof = b"", 0, 0, None, False
    while not eof:
        chunk = fh.read(_CHUNK)
        eof, buf = not chunk, buf + chunk
        safe = len(buf) if eof else len(buf) - _MARGIN
        for tag in _TAG.finditer(buf, pos):
            if tag.start() >= safe:
                break
            pos = tag.end()
            if not tag[1]:
                start = base + tag.start()
                continue
            if start is None:
                continue
            end = buf.find(b">", tag.end())
            if end < 0:  # the closing tag's end is in the next chunk (or nowhere)
                pos = tag.start()
                break
            yield start, base + end + 1, buf[start - base : end + 1]
            start, pos = None, end + 1
        else:
            pos = max(pos, safe)
        if start is not None and len(buf) - (start - base) > MAX_KEPT_BYTES:
            start = None  # an item larger than a whole feed may be: skipped
        drop = min(pos, start - base) if start is not None else pos
        buf, base, pos = buf[drop:], base + drop, pos - drop
        if eof and start is not None and buf.find(b">", pos) < 0:
            return


def _newest(fh: BinaryIO, max_items: int) -> tuple[list[tuple[int, int]], int, int, int]:
    """The spans of the ``max_items`` newest items in feed order, how many items there are,
    where the first starts and where the last ends. A heap keeps only the newest seen so far."""
    heap: list[tuple[tuple[datetime, int], int, int]] = []
    count, first, last = 0, 0, 0
    for start, end, data in _items(fh):
        # Newest first; undated items (and ties) keep the feed's order, where the newest come first.
        entry = ((_when(data), -count), start, end)
        first, last, count = first if count else start, end, count + 1
        if len(heap) < max_items:
            heapq.heappush(heap, entry)
        elif entry > heap[0]:
            heapq.heapreplace(heap, entry)
    kept = [(start, end) for _, start, end in sorted(heap, key=lambda e: e[1])]
    return kept, count, first, last


def _rebuilt(fh: BinaryIO, kept: list[tuple[int, int]], first: int, last: int) -> bytes:
    """The feed's head, the kept items and its tail, read back from the file."""

    def read(a: int, b: int | None = None) -> bytes:
        fh.seek(a)
        return fh.read() if b is None else fh.read(b - a)

    return b"".join([read(0, first), *(read(a, b) + b"\n" for a, b in kept), read(last)])


def newest_items(body: bytes, max_items: int) -> tuple[bytes, int]:
    """The feed with at most ``max_items`` items, the newest; and how many were left out."""
    if max_items <= 0 or body.count(b"<item") + body.count(b"<entry") <= max_items:
        return body, 0
    fh = io.BytesIO(body)
    kept, count, first, last = _newest(fh, max_items)
    if count <= max_items:
        return body, 0
    return _rebuilt(fh, kept, first, last), count - len(kept)


def newest_items_file(fh: BinaryIO, max_items: int) -> tuple[bytes, int]:
    """``newest_items`` of a feed spooled to a file (too large to hold in memory), in
    memory bounded by ``max_items`` and one item; raises ValueError with a one-line reason
    when even the newest items are too large."""
    fh.seek(0)
    kept, count, first, last = _newest(fh, max(max_items, 1))
    size = first + sum(b - a for a, b in kept) + fh.seek(0, io.SEEK_END) - last
    if size > MAX_KEPT_BYTES:
        raise ValueError(f"feed too large: its newest {len(kept)} items take {size:,} bytes (limit {MAX_KEPT_BYTES:,})")
    if not count:
        fh.seek(0)
        return fh.read(), 0
    return _rebuilt(fh, kept, first, last), count - len(kept)
