"""Bounded work per feed, before feedparser sees it.

feedparser builds a dictionary per entry and expands the entities a document declares:
a feed of 100,000 items took 81 s and 731 MB, one of quadratic entity expansion (one
large entity referenced many times) 64 s and 305 MB. So a feed body first passes here:

- ``refuse_entities``: a feed that declares its own XML entities is refused with a
  one-line reason (feeds have no use for them; they only serve to expand).
- ``newest_items``: a feed with more items than ``max_items`` is cut to its newest ones
  (by their own date, else the feed's order, newest first by custom) with a linear scan
  of item boundaries; how many were left is reported. Items left out are not marked
  seen, so a later run reads them once the newer ones are known.
"""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, datetime

# An <!ENTITY declaration inside a DOCTYPE's internal subset.
_ENTITY = re.compile(rb"<!DOCTYPE[^>\[]*\[[^\]]*<!ENTITY", re.I)
_TAG = re.compile(rb"<(/?)(?:item|entry)\b", re.I)
_DATE = re.compile(rb"<(?:pubDate|published|updated|dc:date|date)\b[^>]*>\s*([^<]{6,64}?)\s*</", re.I)
_OLDEST = datetime.min.replace(tzinfo=UTC)


def refuse_entities(body: bytes) -> str | None:
    """A one-line reason when the feed declares XML entities, else None."""
    if _ENTITY.search(body[:1_000_000]):
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


def _spans(body: bytes) -> list[tuple[int, int]]:
    """Where each item (or entry) starts and ends, in one pass (a regex pairing open and
    close tags would rescan the rest of the body after every unclosed one)."""
    spans, start = [], None
    for tag in _TAG.finditer(body):
        if not tag[1]:
            start = tag.start()
        elif start is not None:
            end = body.find(b">", tag.end())
            if end < 0:
                break
            spans.append((start, end + 1))
            start = None
    return spans


def newest_items(body: bytes, max_items: int) -> tuple[bytes, int]:
    """The feed with at most ``max_items`` items, the newest; and how many were left out."""
    if max_items <= 0 or body.count(b"<item") + body.count(b"<entry") <= max_items:
        return body, 0
    spans = _spans(body)
    if len(spans) <= max_items:
        return body, 0
    dated = [(_when(body[a:b]), -i) for i, (a, b) in enumerate(spans)]
    # Newest first; undated items (and ties) keep the feed's order, where the newest come first.
    keep = sorted(sorted(range(len(spans)), key=lambda i: dated[i], reverse=True)[:max_items])
    parts = [body[: spans[0][0]]]
    parts += [body[spans[i][0] : spans[i][1]] + b"\n" for i in keep]
    parts.append(body[spans[-1][1] :])
    return b"".join(parts), len(spans) - len(keep)
