"""robots.txt: may we fetch this URL? Read once per host per run, with our User-Agent.

The rules are parsed by the standard library's ``urllib.robotparser`` from bytes the
caller fetched (through the polite fetcher, so robots.txt itself is fetched politely).
What an unusable robots.txt means follows RFC 9309: 4xx (none there) allows everything;
5xx means the site is unreachable for now, so nothing is fetched this run; a network
error allows, so the page's own fetch reports the real error in one line.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

MAX_ROBOTS_BYTES = 500_000  # RFC 9309 asks crawlers to read at least 500 KiB


@dataclass(frozen=True)
class Answer:
    """What robots.txt says about one URL: ``reason`` is None when the fetch may go ahead."""

    reason: str | None = None
    transient: bool = False  # the site's robots.txt failed for now (5xx): try again next run


def robots_url(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return urlunsplit((parts.scheme, parts.netloc.lower(), "/robots.txt", "", ""))


def parse(body: bytes) -> RobotFileParser:
    parser = RobotFileParser()
    parser.parse(body[:MAX_ROBOTS_BYTES].decode("utf-8", "replace").splitlines())
    return parser


@dataclass(frozen=True)
class Rules:
    """One host's robots.txt as fetched: parsed rules, or how fetching it went."""

    parser: RobotFileParser | None = None
    status: int = 0
    error: str | None = None  # set when robots.txt could not be read at all

    def check(self, url: str, user_agent: str) -> Answer:
        if self.parser is not None:
            if self.parser.can_fetch(user_agent, url):
                return Answer()
            return Answer("disallowed by robots.txt")
        if self.status >= 500 or self.status == 429:
            return Answer(f"robots.txt unavailable (HTTP {self.status}): not fetching this run", transient=True)
        return Answer()

    @property
    def sitemaps(self) -> list[str]:
        return list((self.parser.site_maps() if self.parser else None) or [])


def rules_from(status: int, body: bytes, error: str | None) -> Rules:
    """Rules from the outcome of GET /robots.txt (status 0: no HTTP answer)."""
    if status == 200 and not error:
        return Rules(parse(body), status)
    return Rules(None, status, error)


class RobotsCache:
    """Rules per host for one run; ``get`` fetches a robots.txt URL and returns (status, body, error).

    Thread-safe: concurrent fetches to one host wait for a single robots.txt request.
    """

    def __init__(self, get: Callable[[str], tuple[int, bytes, str | None]], user_agent: str) -> None:
        self._get = get
        self.user_agent = user_agent
        self._rules: dict[str, Rules] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def rules(self, url: str) -> Rules:
        where = robots_url(url)
        if where is None:
            return Rules()
        with self._lock:
            lock = self._locks.setdefault(where, threading.Lock())
        with lock:
            if where not in self._rules:
                self._rules[where] = rules_from(*self._get(where))
            return self._rules[where]

    def check(self, url: str) -> Answer:
        if url == robots_url(url):
            return Answer()
        return self.rules(url).check(url, self.user_agent)
