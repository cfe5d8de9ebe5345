"""The fetcher against a real HTTP server on 127.0.0.1: compression, conditional requests,
retries, Retry-After, timeouts, size cap, redirects, and the limits of politeness."""

from __future__ import annotations

import gzip
import time

import pytest
from httpserver import LocalServer, Route

from newsdigest.fetch import LEFT, Fetcher, FetchSettings, Request, Validators, retry_after

FAST = FetchSettings(timeout=5, connect_timeout=2, per_host_delay=0, retries=2, backoff=0.01, concurrency=4)
BODY = "<rss><channel><title>测试</title></channel></rss>".encode()


@pytest.fixture
def server():
    with LocalServer() as srv:
        yield srv


def _get(settings: FetchSettings, request: Request | str):
    with Fetcher(settings) as f:
        return f.get(request)


def test_plain_get_sends_user_agent_and_accepts_compression(server):
    url = server.add("/a", body=BODY, headers={"Content-Type": "application/rss+xml"})
    got = _get(FAST, url)
    assert got.error is None and got.status == 200 and got.body == BODY
    sent = server.requests("/a")[0]
    assert sent["User-Agent"].startswith("newsdigest/")
    assert {"gzip", "deflate", "br"} <= {e.strip() for e in sent["Accept-Encoding"].split(",")}


def test_gzip_body_is_decompressed(server):
    url = server.add("/gz", body=BODY * 50, gzip=True)
    got = _get(FAST, url)
    assert got.body == BODY * 50 and got.headers["content-encoding"] == "gzip"


def test_validators_are_sent_back_and_304_is_not_an_error(server):
    url = server.add("/c", body=BODY, etag='"v1"', last_modified="Mon, 01 Jan 2024 00:00:00 GMT")
    first = _get(FAST, url)
    assert first.validators == Validators('"v1"', "Mon, 01 Jan 2024 00:00:00 GMT")
    second = _get(FAST, Request(url, first.validators))
    assert second.not_modified and second.body == b"" and second.error is None
    sent = server.requests("/c")[1]
    assert sent["If-None-Match"] == '"v1"' and sent["If-Modified-Since"] == "Mon, 01 Jan 2024 00:00:00 GMT"


def test_500_is_retried_until_it_succeeds(server):
    url = server.add("/flaky", body=BODY, fail_first=2)
    got = _get(FAST, url)
    assert got.error is None and got.body == BODY and got.attempts == 3


def test_persistent_500_gives_up_with_reason(server):
    url = server.add("/down", body=BODY, fail_first=99)
    got = _get(FAST, url)
    assert got.error == "HTTP 500 Internal Server Error" and got.attempts == 3 and got.transient


def test_404_is_not_retried(server):
    got = _get(FAST, server.url("/missing"))
    assert got.error == "HTTP 404 Not Found" and got.attempts == 1 and not got.transient
    assert len(server.requests("/missing")) == 1


def test_429_retry_after_is_honoured(server):
    url = server.add("/busy", body=BODY, fail_first=1, fail_status=429, fail_headers={"Retry-After": "1"})
    got = _get(FAST, url)
    assert got.error is None and got.attempts == 2


def test_retry_after_over_the_cap_gives_up_at_once(server):
    url = server.add("/later", body=BODY, fail_first=9, fail_status=503, fail_headers={"Retry-After": "3600"})
    got = _get(FAST, url)
    assert got.error == "HTTP 503 Service Unavailable (Retry-After 3600 s is over the 60 s cap)"
    assert got.attempts == 1


def test_retry_after_parses_seconds_and_dates():
    from datetime import UTC, datetime

    now = datetime(2024, 1, 1, 0, 0, 0, tzinfo=UTC)
    assert retry_after("120") == 120.0
    assert retry_after("Mon, 01 Jan 2024 00:00:30 GMT", now) == 30.0
    assert retry_after("soon") is None and retry_after(None) is None


def test_endpoint_that_never_answers_ends_within_the_budget(server):
    url = server.add("/hang", hang=True)
    got = _get(FetchSettings(timeout=1.0, connect_timeout=0.5, per_host_delay=0, retries=3, backoff=0.01), url)
    assert got.error.startswith("timed out after 1 s")
    assert got.transient


def test_oversized_body_stops_at_the_cap(server):
    url = server.add("/big", body=b"x" * 300_000)
    got = _get(FetchSettings(max_bytes=100_000, per_host_delay=0, retries=0), url)
    assert got.error == "body too large (300,000 bytes, limit 100,000)"
    gz = server.add("/bomb", body=b"x" * 300_000, gzip=True)  # small on the wire, large decompressed
    got = _get(FetchSettings(max_bytes=100_000, per_host_delay=0, retries=0), gz)
    assert got.error == "body too large (over the 100,000 byte limit)"
    assert len(gzip.compress(b"x" * 300_000)) < 100_000


def test_redirect_loop_is_stopped(server):
    server.add("/loop-a", redirect=server.url("/loop-b"))
    server.add("/loop-b", redirect=server.url("/loop-a"))
    got = _get(FAST, server.url("/loop-a"))
    assert got.error == "too many redirects (more than 5)" and got.attempts == 1


def test_redirect_is_followed_and_final_url_kept(server):
    target = server.add("/final", body=BODY)
    url = server.add("/moved", redirect=target)
    got = _get(FAST, url)
    assert got.body == BODY and got.final_url == target and got.url == url


def test_bad_urls_and_refused_connections_are_reasons_not_exceptions():
    assert _get(FAST, "ftp://example.invalid/feed").error.startswith("bad URL")
    assert _get(FAST, "not a url").error.startswith("bad URL")
    refused = _get(FetchSettings(timeout=2, per_host_delay=0, retries=1, backoff=0.01), "http://127.0.0.1:9/x")
    assert refused.error.startswith("network error") and refused.attempts == 2


def test_many_requests_come_back_in_order_with_per_host_limits(server):
    urls = [server.add(f"/n{i}", body=str(i).encode()) for i in range(12)]
    with Fetcher(FetchSettings(per_host_delay=0.01, per_host_concurrency=2, concurrency=6)) as f:
        got = f.get_many(urls)
    assert [g.body for g in got] == [str(i).encode() for i in range(12)]


def test_settings_come_from_the_fetch_section():
    s = FetchSettings.from_mapping({"timeout": 3, "max_bytes": "1000", "per_host_delay": 0, "unknown": 1})
    assert (s.timeout, s.max_bytes, s.per_host_delay, s.retries) == (3.0, 1000, 0.0, 2)


def test_brotli_body_is_decompressed(server):
    brotli = pytest.importorskip("brotli")
    route = Route(body=brotli.compress(BODY), headers={"Content-Encoding": "br"})
    url = server.add("/br", route)
    assert _get(FAST, url).body == BODY


def test_time_queued_behind_the_politeness_delay_does_not_count_against_the_budget(server):
    # The last request waits 3.5 s for its turn, past its 3 s budget; each takes milliseconds on
    # the wire (a budget of 3 s leaves room for a loaded machine: the outcome, not a timing).
    urls = [server.add(f"/q{i}", body=b"ok") for i in range(8)]
    settings = FetchSettings(timeout=3.0, per_host_delay=0.5, per_host_concurrency=1, concurrency=8, robots=False)
    with Fetcher(settings) as f:
        got = f.get_many(urls)
    assert [g.error for g in got] == [None] * 8


@pytest.mark.parametrize("where", ["head", "body"])
def test_server_trickling_a_byte_at_a_time_is_given_up_at_the_budget(server, where):
    # Each byte comes well within any read timeout, so only a total deadline ends this.
    from faultservers import trickle_body, trickle_head

    handler = trickle_head(0.05) if where == "head" else trickle_body(0.05)
    url = server.add(f"/trickle-{where}", Route(handler=handler))
    got = _get(FetchSettings(timeout=1.0, connect_timeout=0.5, per_host_delay=0, retries=2, backoff=0.01), url)
    assert got.error is not None and got.error.startswith("timed out after 1 s")
    assert got.body == b""


def test_after_the_run_deadline_no_fetch_starts(server):
    url = server.add("/late", body=b"ok")
    with Fetcher(FAST, deadline=time.monotonic() - 1) as f:
        got = f.get(url)
    assert got.left and got.transient and got.error == LEFT and got.attempts == 0
    assert server.log == []  # not even robots.txt


def test_a_fetch_is_cut_at_the_run_deadline_and_the_ones_queued_after_it_never_start(server):
    from faultservers import trickle_body

    slow = server.add("/slow", Route(handler=trickle_body(0.05)))
    settings = FetchSettings(timeout=60, per_host_delay=0, retries=2, backoff=0.01, robots=False)
    started = time.monotonic()
    with Fetcher(settings, deadline=started + 1) as f:
        got = f.get(slow)
    assert got.left and got.error == LEFT and got.body == b""
    assert time.monotonic() - started < 30  # cut at the deadline, not at the 60 s budget (generous bound)
    # Politeness: the second request to this host would start 10 s later, after the deadline.
    urls = [server.add(f"/p{i}", body=b"ok") for i in range(3)]
    polite = FetchSettings(per_host_delay=10, per_host_concurrency=1, robots=False)
    with Fetcher(polite, deadline=time.monotonic() + 5) as f:
        got = f.get_many(urls)
    assert sorted(g.body for g in got) == [b"", b"", b"ok"] and sum(g.left for g in got) == 2
    assert len([p for p, _ in server.log if p.startswith("/p")]) == 1


@pytest.fixture
def proxied(server, monkeypatch):
    """``server`` as the forward proxy of HTTP_PROXY: it answers requests in proxy form (an
    absolute URL), by routes keyed on that URL, for a host that does not even resolve."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv("HTTP_PROXY", server.base)
    return server


def test_http_proxy_and_no_proxy_from_the_environment_are_honoured(proxied, monkeypatch):
    proxied.add("http://news.example.invalid/feed.xml", body=BODY)
    got = _get(FAST, "http://news.example.invalid/feed.xml")
    assert got.error is None and got.body == BODY
    assert [p for p, _ in proxied.log][-1] == "http://news.example.invalid/feed.xml"
    # A closed port on loopback, asked for directly (NO_PROXY) or through the proxy (no DNS either way).
    closed = FetchSettings(timeout=3, per_host_delay=0, retries=0, robots=False)
    assert _get(closed, "http://127.0.0.1:9/x").error == "HTTP 404 Not Found"  # the proxy's answer
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    direct = _get(closed, "http://127.0.0.1:9/y")
    assert direct.error is not None and direct.error.startswith("network error")
    assert [p for p, _ in proxied.log if p.startswith("http://127.0.0.1:9/")] == ["http://127.0.0.1:9/x"]


def test_a_proxy_that_trickles_is_given_up_at_the_budget_too(proxied):
    from faultservers import trickle_head  # the head: only the clamped socket reads end it

    proxied.add("http://news.example.invalid/slow", Route(handler=trickle_head(0.05)))
    settings = FetchSettings(timeout=1.0, connect_timeout=0.5, per_host_delay=0, retries=0, robots=False)
    got = _get(settings, "http://news.example.invalid/slow")
    assert got.error is not None and got.error.startswith("timed out after 1 s") and got.body == b""
