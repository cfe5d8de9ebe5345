"""Polite, bounded HTTP GETs with httpx: the network edge of the feed and page sources.

Every request has a total time budget (retries and backoff included) that holds
whatever the server does: httpx's timeouts restart with every byte received, so a
server trickling its headers or body one byte a second would never time out; here
every socket read, write and connect is clamped to the request's own deadline
(``_DeadlineBackend``), so the budget is a hard bound. There is also a body size
cap enforced while streaming, a redirect limit, a per-host concurrency limit and a
minimum delay between requests to one host. 5xx answers and network errors are
retried with exponential backoff and jitter; 429/503 honour Retry-After (capped);
other 4xx are final. Nothing here raises on a bad URL or a bad server: the result
carries a one-line ``error`` instead. Plain functions and threads, no Prefect, so
the CLI and the flows fetch the same way.
"""

from __future__ import annotations

import email.utils
import random
import tempfile
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from newsdigest.robots import RobotsCache

DEFAULT_USER_AGENT = "newsdigest/0.1 (news monitoring; +https://example.invalid/newsdigest)"
FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, text/xml;q=0.9, application/feed+json;q=0.8, */*;q=0.5"
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
_CHUNK = 64 * 1024
_HEAD = 64 * 1024  # bytes of a spooled body kept in memory, to tell what it is
LEFT = "not fetched: the run's deadline ([run] deadline) passed; left for the next run"
# The deadline of the request the current thread is sending (requests run one per thread).
_deadline = threading.local()


def _clamp(timeout: float | None) -> float | None:
    """A socket timeout no later than this thread's request deadline."""
    at = getattr(_deadline, "at", None)
    if at is None:
        return timeout
    remaining = at - time.monotonic()
    if remaining <= 0:
        raise httpcore.ReadTimeout("total time budget spent")
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every read and write ends by the request deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clamp(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clamp(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None) -> Any:
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, _clamp(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.SyncBackend):
    """httpcore's socket backend with deadline-clamped streams."""

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, *args: Any, **kwargs: Any) -> Any:
        return _DeadlineStream(super().connect_tcp(host, port, _clamp(timeout), *args, **kwargs))


@dataclass(frozen=True)
class FetchSettings:
    """The ``[fetch]`` section: every limit of one fetch."""

    timeout: float = 20.0  # total budget for one URL, retries included
    connect_timeout: float = 5.0
    max_bytes: int = 10_000_000
    user_agent: str = DEFAULT_USER_AGENT
    per_host_delay: float = 1.0
    per_host_concurrency: int = 2
    max_redirects: int = 5
    retries: int = 2
    backoff: float = 1.0  # first retry waits about this long, then doubles
    retry_after_cap: float = 60.0
    concurrency: int = 8  # requests in flight over all hosts
    robots: bool = True  # honour robots.txt (read once per host per Fetcher, i.e. per run)
    max_items: int = 500  # newest items read per feed and run (feeds.py); the rest wait
    max_spool_bytes: int = 200_000_000  # a feed body over max_bytes goes to a temporary file up to this

    @classmethod
    def from_mapping(cls, values: dict[str, Any] | None) -> FetchSettings:
        """Settings from a config section; unknown keys are ignored, types follow the defaults."""
        values = values or {}
        kwargs: dict[str, Any] = {}
        for f in fields(cls):
            if values.get(f.name) not in (None, ""):
                kwargs[f.name] = type(getattr(cls(), f.name))(values[f.name])
        return cls(**kwargs)


@dataclass(frozen=True)
class Validators:
    """HTTP cache validators kept per URL between runs."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        out = {}
        if self.etag:
            out["If-None-Match"] = self.etag
        if self.last_modified:
            out["If-Modified-Since"] = self.last_modified
        return out


@dataclass(frozen=True)
class Request:
    url: str
    validators: Validators = field(default_factory=Validators)
    accept: str = PAGE_ACCEPT
    spool: bool = False  # a body over max_bytes is spooled to a temporary file (up to max_spool_bytes)


@dataclass(frozen=True)
class Fetched:
    """What one GET gave: a body, a 304, or a one-line ``error``."""

    url: str
    final_url: str
    status: int = 0  # 0: no HTTP answer at all
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""
    error: str | None = None
    attempts: int = 1
    transient: bool = False  # the error may go away by itself (5xx, 429, network)
    left: bool = False  # not fetched (or cut) because the run's deadline passed: the next run fetches it
    spooled: Any = None  # a body over max_bytes, in a temporary file (``body`` is then its first bytes)

    @property
    def not_modified(self) -> bool:
        return self.status == 304 and self.error is None

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    @property
    def validators(self) -> Validators:
        return Validators(self.headers.get("etag"), self.headers.get("last-modified"))


class _Attempt(Exception):
    """One attempt failed. ``retry``: worth another try; ``wait``: the server said how long."""

    def __init__(self, reason: str, status: int = 0, retry: bool = False, wait: float | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.retry = retry
        self.wait = wait
        self.spent = 0.0  # seconds this attempt took, set by the caller
        self.left = False  # given up because the run's deadline comes first


class _Host:
    """Per-host politeness: a concurrency slot and the earliest next request time."""

    def __init__(self, concurrency: int) -> None:
        self.slots = threading.Semaphore(max(1, concurrency))
        self.lock = threading.Lock()
        self.next_at = 0.0

    def reserve(self, delay: float) -> float:
        """Claim the next request time; returns how long to wait for it."""
        with self.lock:
            now = time.monotonic()
            start = max(now, self.next_at)
            self.next_at = start + delay
            return start - now


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _reason(status: int, phrase: str) -> str:
    return f"HTTP {status} {phrase}".strip()


def _one_line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Fetcher:
    """A shared httpx client with per-host politeness; use as a context manager."""

    def __init__(self, settings: FetchSettings | None = None, deadline: float | None = None) -> None:
        self.settings = s = settings or FetchSettings()
        # The run's deadline (``[run] deadline``, on the monotonic clock): no fetch starts
        # after it, and none runs past it.
        self.deadline = deadline
        # No transport of our own: then httpx honours HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and
        # NO_PROXY as urllib and requests do (with ``transport=`` it would ignore them).
        self._client = httpx.Client(
            headers={"User-Agent": s.user_agent},
            follow_redirects=True,
            max_redirects=s.max_redirects,
            timeout=httpx.Timeout(s.timeout, connect=s.connect_timeout),
            limits=httpx.Limits(max_connections=max(s.concurrency, 1) * 2),
        )
        # httpx takes no network backend; its pools do, the direct one and each proxy's
        # (tests with trickling servers, direct and through a proxy, guard this).
        for transport in [self._client._transport, *self._client._mounts.values()]:
            if isinstance(transport, httpx.HTTPTransport):
                transport._pool._network_backend = _DeadlineBackend()  # type: ignore[attr-defined]
        self._hosts: dict[str, _Host] = {}
        self._hosts_lock = threading.Lock()
        self.robots = RobotsCache(self._get_robots, s.user_agent) if s.robots else None

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def _host(self, url: str) -> _Host:
        key = urlsplit(url).netloc.lower()
        with self._hosts_lock:
            return self._hosts.setdefault(key, _Host(self.settings.per_host_concurrency))

    def get(self, request: Request | str) -> Fetched:
        """GET with retries inside the total time budget; never raises for network trouble.

        The budget counts time on the wire and between retries, not time queued behind
        other requests to the same host (politeness is ours, not the server's fault).
        """
        req = Request(request) if isinstance(request, str) else request
        if self._past_deadline(0):
            return _left(req.url, 0)
        if self.robots is not None and (answer := self.robots.check(req.url)).reason:
            return Fetched(req.url, req.url, error=answer.reason, attempts=0, transient=answer.transient)
        fetched = self._get(req)
        # Cut short by the run's deadline (a retry not made, a read clamped): left, not failed.
        return _left(req.url, fetched.attempts) if fetched.left else fetched

    def _past_deadline(self, wait: float) -> bool:
        """Whether the run's deadline comes within ``wait`` seconds from now."""
        return self.deadline is not None and time.monotonic() + wait >= self.deadline

    def _get(self, req: Request) -> Fetched:
        budget = self.settings.timeout
        spent, attempts, last = 0.0, 0, _Attempt("not attempted")
        while attempts <= self.settings.retries:
            attempts += 1
            try:
                return _with_attempts(self._attempt(req, budget - spent), attempts)
            except _Attempt as exc:
                last = exc
                spent += exc.spent
            if not last.retry or attempts > self.settings.retries:
                break
            pause = self._backoff(attempts) if last.wait is None else min(last.wait, self.settings.retry_after_cap)
            if self._past_deadline(pause):
                last.left = True
                break
            if spent + pause >= budget:
                if last.wait is not None:
                    last = _Attempt(f"{last} (Retry-After {pause:g} s is beyond the time budget)", last.status)
                break
            time.sleep(pause)
            spent += pause
        return Fetched(
            req.url,
            req.url,
            last.status,
            error=str(last),
            attempts=attempts,
            transient=(transient := last.status == 0 or last.status >= 500 or last.status == 429),
            left=last.left or (transient and self._past_deadline(0)),
        )

    def _get_robots(self, url: str) -> tuple[int, bytes, str | None]:
        got = self.get(Request(url, accept="text/plain, */*;q=0.5"))
        return got.status, got.body, got.error

    def _backoff(self, attempt: int) -> float:
        # Full jitter around an exponential step keeps many clients from retrying in lockstep.
        return self.settings.backoff * (2 ** (attempt - 1)) * (0.5 + random.random())

    def _attempt(self, req: Request, budget: float) -> Fetched:
        host = self._host(req.url)
        with host.slots:
            wait = host.reserve(self.settings.per_host_delay)
            if self._past_deadline(wait):  # queued behind this host's earlier requests until then
                left = _Attempt(LEFT)
                left.left = True
                raise left
            time.sleep(wait)
            start = time.monotonic()
            end = start + budget if self.deadline is None else min(start + budget, self.deadline)
            try:
                return self._send(req, end)
            except _Attempt as exc:
                exc.spent = time.monotonic() - start
                raise

    def _send(self, req: Request, deadline: float) -> Fetched:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _Attempt(f"timed out after {self.settings.timeout:g} s")
        timeout = httpx.Timeout(remaining, connect=min(self.settings.connect_timeout, remaining))
        headers = {"Accept": req.accept, **req.validators.headers()}
        _deadline.at = deadline
        try:
            with self._client.stream("GET", req.url, headers=headers, timeout=timeout) as resp:
                return self._read(req, resp, deadline)
        except httpx.TooManyRedirects:
            raise _Attempt(f"too many redirects (more than {self.settings.max_redirects})") from None
        except httpx.TimeoutException:
            raise _Attempt(f"timed out after {self.settings.timeout:g} s", retry=True) from None
        except (httpx.UnsupportedProtocol, httpx.InvalidURL, ValueError) as exc:
            raise _Attempt(f"bad URL: {_one_line(exc)}") from None
        except httpx.DecodingError as exc:
            raise _Attempt(f"bad compressed body: {_one_line(exc)}") from None
        except httpx.TransportError as exc:
            raise _Attempt(f"network error: {_one_line(exc)}", retry=True) from None
        finally:
            _deadline.at = None

    def _read(self, req: Request, resp: httpx.Response, deadline: float) -> Fetched:
        status = resp.status_code
        headers = {k.lower(): v for k, v in resp.headers.items()}
        if status == 304:
            return Fetched(req.url, str(resp.url), status, headers)
        if status >= 400:
            raise self._http_error(resp)
        body, spooled = self._body(resp, deadline, req.spool)
        return Fetched(req.url, str(resp.url), status, headers, body, spooled=spooled)

    def _http_error(self, resp: httpx.Response) -> _Attempt:
        status, reason = resp.status_code, _reason(resp.status_code, resp.reason_phrase)
        if status in (429, 503):
            wait = retry_after(resp.headers.get("retry-after"))
            if wait is not None and wait > self.settings.retry_after_cap:
                return _Attempt(
                    f"{reason} (Retry-After {wait:g} s is over the {self.settings.retry_after_cap:g} s cap)", status
                )
            return _Attempt(reason, status, retry=True, wait=wait)
        if status >= 500:
            return _Attempt(reason, status, retry=True)
        return _Attempt(reason, status)

    def _body(self, resp: httpx.Response, deadline: float, spool: bool = False) -> tuple[bytes, Any]:
        """The body; over ``max_bytes`` (when ``spool``) in a temporary file, its first bytes as body."""
        memory = self.settings.max_bytes
        cap = max(memory, self.settings.max_spool_bytes) if spool else memory
        declared = resp.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap and "content-encoding" not in resp.headers:
            raise _Attempt(f"body too large ({int(declared):,} bytes, limit {cap:,})")
        chunks: list[bytes] = []
        size, spooled = 0, None
        # Decompressed bytes count, so a small gzip bomb stops at the cap too.
        for chunk in resp.iter_bytes(_CHUNK):
            size += len(chunk)
            if size > cap:
                raise _Attempt(f"body too large (over the {cap:,} byte limit)")
            if time.monotonic() > deadline:
                raise _Attempt(f"timed out after {self.settings.timeout:g} s (body too slow)")
            if size > memory and spooled is None:  # a large feed: read later in bounded memory
                spooled = tempfile.TemporaryFile()  # noqa: SIM115 (the caller reads it; closed when dropped)
                spooled.writelines(chunks)
                chunks = [b"".join(chunks)[:_HEAD]]
            if spooled is None:
                chunks.append(chunk)
            else:
                spooled.write(chunk)
        if spooled is not None:
            spooled.seek(0)
        return b"".join(chunks), spooled

    def get_many(self, requests: Iterable[Request | str]) -> list[Fetched]:
        """Fetch concurrently (bounded overall and per host); results in request order."""
        reqs = list(requests)
        if len(reqs) <= 1:
            return [self.get(r) for r in reqs]
        with ThreadPoolExecutor(max_workers=max(1, self.settings.concurrency)) as pool:
            return list(pool.map(self.get, reqs))


def _with_attempts(fetched: Fetched, attempts: int) -> Fetched:
    if attempts == fetched.attempts:
        return fetched
    return Fetched(
        fetched.url,
        fetched.final_url,
        fetched.status,
        fetched.headers,
        fetched.body,
        fetched.error,
        attempts,
        fetched.transient,
        fetched.left,
        fetched.spooled,
    )


def _left(url: str, attempts: int) -> Fetched:
    return Fetched(url, url, error=LEFT, attempts=attempts, transient=True, left=True)


def borrowed(
    settings: FetchSettings, fetcher: Fetcher | None = None, deadline: float | None = None
) -> AbstractContextManager[Fetcher]:
    """The caller's fetcher, left open for its next source, or one of our own closed afterwards
    (with the run's ``deadline``)."""
    return nullcontext(fetcher) if fetcher is not None else Fetcher(settings, deadline)
