"""Bounded work per feed: entity declarations refused, only the newest items kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from newsdigest import feedbounds


def rss(items: list[bytes]) -> bytes:
    return b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>' + b"".join(items) + b"</channel></rss>"


def item(i: int, when: datetime | None) -> bytes:
    date = f"<pubDate>{format_datetime(when)}</pubDate>" if when else ""
    return f"<item><title>n{i}</title><link>http://x.cn/{i}</link>{date}<description>d</description></item>".encode()


def test_a_large_feed_is_cut_to_its_newest_items_whatever_their_order():
    start = datetime(2025, 1, 1, tzinfo=UTC)
    body = rss([item(i, start + timedelta(hours=i)) for i in range(1000)])  # oldest first
    cut, left = feedbounds.newest_items(body, 100)
    assert left == 900
    kept = [int(x) for x in __import__("re").findall(rb"<title>n(\d+)</title>", cut)]
    assert sorted(kept) == list(range(900, 1000)) and cut.endswith(b"</channel></rss>")


def test_undated_items_keep_the_feed_order_and_small_feeds_are_untouched():
    body = rss([item(i, None) for i in range(10)])
    assert feedbounds.newest_items(body, 10) == (body, 0)
    cut, left = feedbounds.newest_items(body, 3)
    assert left == 7 and b"n0<" in cut and b"n2<" in cut and b"n3<" not in cut


def test_unclosed_items_cost_one_pass():
    body = b"<rss><channel>" + b"<item><title>x" * 200_000
    assert feedbounds.newest_items(body, 10) == (body, 0)


def test_entity_declarations_are_refused_with_a_reason():
    bomb = b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "' + b"x" * 1000 + b'">]><rss>&a;&a;</rss>'
    assert "XML entities" in feedbounds.refuse_entities(bomb)
    assert feedbounds.refuse_entities(rss([item(1, None)])) is None


def _reference(body: bytes, max_items: int) -> tuple[bytes, int]:
    """The first version, over the whole body at once: spans, then a sort of all of them."""
    spans, start = [], None
    for tag in feedbounds._TAG.finditer(body):
        if not tag[1]:
            start = tag.start()
        elif start is not None:
            end = body.find(b">", tag.end())
            if end < 0:
                break
            spans.append((start, end + 1))
            start = None
    if max_items <= 0 or len(spans) <= max_items:
        return body, 0
    dated = [(feedbounds._when(body[a:b]), -i) for i, (a, b) in enumerate(spans)]
    keep = sorted(sorted(range(len(spans)), key=lambda i: dated[i], reverse=True)[:max_items])
    parts = [body[: spans[0][0]], *(body[spans[i][0] : spans[i][1]] + b"\n" for i in keep), body[spans[-1][1] :]]
    return b"".join(parts), len(spans) - len(keep)


def test_reading_in_chunks_keeps_what_reading_at_once_kept(monkeypatch):
    import io
    import random

    rng = random.Random(7)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    pieces = [b"<entry><title>e</title></entry >", b"<item>", b"</item>", b"<items>x</items>", b"  \n", b"<!-- c -->"]
    for trial in range(60):
        parts = [item(i, start + timedelta(hours=rng.randrange(50)) if rng.random() < 0.7 else None) for i in range(40)]
        parts += [rng.choice(pieces) for _ in range(8)]
        rng.shuffle(parts)
        body = rss(parts)
        monkeypatch.setattr(feedbounds, "_CHUNK", rng.choice([1, 5, 17, 64, 1000]))
        for keep in (1, 5, 30, 100):
            cut, left = feedbounds.newest_items(body, keep)
            assert (cut, left) == _reference(body, keep), (trial, keep)
            if left:
                assert feedbounds.newest_items_file(io.BytesIO(body), keep) == (cut, left)


def test_a_spooled_feed_whose_newest_items_are_still_too_large_is_refused(monkeypatch):
    import io

    import pytest

    monkeypatch.setattr(feedbounds, "MAX_KEPT_BYTES", 2_000)
    body = rss([item(i, None) for i in range(100)])
    with pytest.raises(ValueError, match="feed too large: its newest 50 items take"):
        feedbounds.newest_items_file(io.BytesIO(body), 50)
    cut, left = feedbounds.newest_items_file(io.BytesIO(body), 5)
    assert left == 95 and cut.count(b"<item>") == 5
