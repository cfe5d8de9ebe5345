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
