"""Chaos trials: kill -9 at random moments, misbehaving servers, hostile inputs (``make chaos``).

Everything runs on loopback, through the installed ``newsdigest`` command, as an
operator would run it:

1. **ingest** trials: a drop folder of synthetic news (scripts/synth.py), a local
   feed (full-text items and summary-only items whose pages are fetched) and a local site
   without a feed (tests/fakesite.py: list pages, then their articles). Each trial
   starts ``newsdigest ingest`` on a fresh state, kills it with SIGKILL at a random
   moment of an uninterrupted run's duration, then runs it again to the end. The
   articles, their stories and the fetch state (seen feed items and list-page links, validators) must
   equal the uninterrupted run's; ``PRAGMA integrity_check`` must say ok.
2. **run** trials: ``newsdigest run`` (Prefect, a temporary server) sending to a local
   aiosmtpd that answers slowly, so that kills land in the send too (every other trial
   is killed while the send is under way). The rerun must leave exactly one email for
   the week and its recipients, or say "uncertain" with the Message-ID when the kill came
   between the end of the data and the server's reply (the email is then there once).
   No process started by the killed run may be left (the temporary Prefect server).
3. **faults**: HTTP servers trickling their head or body one byte a second, SMTP servers
   that stall or trickle their reply to the data, never greet, drop the connection mid-data,
   or answer 421/451/550; each outcome and how long the command took against its budget.
4. **hostile inputs**: peak memory (the process's own maximum RSS) and time of ``ingest``
   on one input each: a 5 MB line with no sentence end, a 19.5 MB text file, an 8 MB HTML
   page, a feed of 100,000 items, a feed with entity expansion.

    make chaos                                   # 20 trials of each kind (about 14 minutes idle)
    .venv/bin/python scripts/chaos.py --trials 3 # a quick look
"""

from __future__ import annotations

import argparse
import asyncio
import email
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from email.utils import format_datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "scripts")]

import synth  # noqa: E402
from fakesite import FakeSite  # noqa: E402
from faultservers import FaultSMTP, trickle_body, trickle_head  # noqa: E402
from httpserver import LocalServer, Route  # noqa: E402

from newsdigest import reaper  # noqa: E402

BIN = Path(sys.executable).parent / "newsdigest"
FETCH_BUDGET = 10.0  # [fetch] timeout in the fault trials
SMTP_BUDGET = 15.0  # [smtp] timeout in the fault trials
SLOW_SMTP = 0.4  # seconds the trial SMTP server takes over RCPT and over the data


# ---- corpus, feed and configuration ------------------------------------------------------


def rss(items: list[str], title: str = "chaos feed") -> bytes:
    head = f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
    return (head + "".join(items) + "</channel></rss>").encode("utf-8")


def feed_item(base: str, i: int, title: str, text: str) -> str:
    day = f"Mon, {1 + i % 28:02d} Sep 2025 08:{i % 60:02d}:00 +0800"
    return (
        f"<item><title>{title}</title><link>{base}/a/{i}.html</link><guid>chaos-{i}</guid>"
        f"<pubDate>{day}</pubDate><description><![CDATA[{text}]]></description></item>"
    )


def build_feed(server: LocalServer, count: int = 150, pages: int = 30) -> str:
    """A feed of ``count`` items; the last ``pages`` carry a summary only and have a page."""
    items = []
    for i, doc in enumerate(synth.corpus(count, seed=11)):
        body = "".join(f"<p>{p}</p>" for p in doc.body)
        if i >= count - pages:
            html = f"<html><head><title>{doc.title}</title></head><body><article><h1>{doc.title}</h1>{body}</article></body></html>"
            server.add(f"/a/{i}.html", Route(body=html.encode(), headers={"Content-Type": "text/html; charset=utf-8"}))
            body = doc.body[0][:60]
        items.append(feed_item(server.base, i, doc.title, body))
    return server.add("/feed.xml", Route(body=rss(items), headers={"Content-Type": "application/rss+xml"}, etag='"v1"'))


def build_drop(folder: Path, count: int = 300) -> None:
    folder.mkdir(parents=True)
    for doc in synth.corpus(count, seed=7):
        (folder / f"{doc.name}.txt").write_text(doc.text(), encoding="utf-8")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 40)


def build_site(server: LocalServer) -> str:
    """A site without a feed (tests/fakesite.py): its news column's list pages, then its articles."""
    FakeSite().serve(server)
    return server.url("/xwzx/index.html")


def write_config(path: Path, drop: Path | None, feed: str | None, site: str | None = None) -> Path:
    text = (ROOT / "newsdigest.toml").read_text(encoding="utf-8").split("[[sources]]")[0]
    if drop:
        text += f'\n[[sources]]\nkind = "folder"\nname = "drop"\npath = "{drop}"\n'
    if feed:
        text += f'\n[[sources]]\nkind = "feed"\nname = "chaos feed"\nurl = "{feed}"\nfull_text = true\n'
    if site:
        text += f'\n[[sources]]\nkind = "site"\nname = "chaos site"\nurl = "{site}"\nmax_pages = 3\n'
    path.write_text(text, encoding="utf-8")
    return path


# ---- running the command ------------------------------------------------------------------


def environment(work: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSDIGEST_", "PREFECT_"))}
    env.update(
        {
            "PREFECT_HOME": str(work / "prefect"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",  # a loaded 2-core machine
            "NEWSDIGEST_FETCH_PER_HOST_DELAY": "0",
        }
    )
    env.update(extra or {})
    return env


@dataclass
class Done:
    code: int
    seconds: float
    out: str
    err: str
    peak_mb: float = 0.0


def start(config: Path, state: Path, args: list[str], env: dict[str, str]) -> subprocess.Popen:
    """The command, its output into files beside the state (a pipe nobody reads can fill up)."""
    cmd = [str(BIN), "--state", str(state), "--config", str(config), *args]
    out, err = (open(state.parent / name, "w", encoding="utf-8") for name in ("out.txt", "err.txt"))  # noqa: SIM115
    with out, err:
        return subprocess.Popen(cmd, env=env, cwd=state.parent, stdout=out, stderr=err, text=True)


def _output(state: Path) -> tuple[str, str]:
    return tuple(  # type: ignore[return-value]
        (state.parent / name).read_text(encoding="utf-8", errors="replace") for name in ("out.txt", "err.txt")
    )


def finish(proc: subprocess.Popen, state: Path, began: float, limit: float = 900.0) -> Done:
    """Wait for the command, with its own peak RSS (wait4 gives this one child's rusage)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return Done(proc.returncode, time.monotonic() - began, *_output(state), usage.ru_maxrss / 1024)
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    return Done(-9, time.monotonic() - began, *_output(state))


def run(config: Path, state: Path, args: list[str], env: dict[str, str]) -> Done:
    return finish(start(config, state, args, env), state, time.monotonic())


def kill_at(proc: subprocess.Popen, moment: float, wait_for: Any = None) -> dict[int, str]:
    """SIGKILL the command ``moment`` seconds after it started (or after ``wait_for()`` holds);
    returns every process it had started by then."""
    began, seen = time.monotonic(), {}
    if wait_for is not None:
        while proc.poll() is None and not wait_for() and time.monotonic() - began < 600:
            seen.update(reaper.descendants(proc.pid))
            time.sleep(0.02)
        began = time.monotonic()
    while proc.poll() is None and time.monotonic() - began < moment:
        seen.update(reaper.descendants(proc.pid))
        time.sleep(0.02)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return seen


def leftovers(seen: dict[int, str], grace: float = reaper.GRACE + 3) -> int:
    """Processes the killed command had started that are still there after the grace period."""
    deadline = time.monotonic() + grace
    while True:
        alive = [p for p, s in seen.items() if _start_time(p) == s]
        if not alive or time.monotonic() > deadline:
            return len(alive)
        time.sleep(0.2)


def _start_time(pid: int) -> str | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return None if fields[0] == "Z" else fields[19]


# ---- what a state holds ----------------------------------------------------------------------


def query(state: Path, sql: str) -> list[tuple]:
    db = state / "newsdigest.db"
    if not db.exists():
        return []
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
            return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:
        return []


@dataclass
class Snapshot:
    articles: Counter = field(default_factory=Counter)  # (origin, part) -> rows
    stories: set = field(default_factory=set)  # (origin, part, origin of the story's first article)
    seen: set = field(default_factory=set)  # feed item keys
    validators: set = field(default_factory=set)
    integrity: str = ""

    @classmethod
    def of(cls, state: Path) -> Snapshot:
        return cls(
            Counter(query(state, "SELECT origin, part FROM articles")),
            set(query(state, "SELECT a.origin, a.part, s.origin FROM articles a JOIN articles s ON s.id = a.story")),
            set(query(state, "SELECT key FROM feed_items")),
            set(query(state, "SELECT url, etag, last_modified FROM http_cache")),
            ";".join(r[0] for r in query(state, "PRAGMA integrity_check")),
        )

    def lost(self, ref: Snapshot) -> int:
        return len(set(ref.articles) - set(self.articles))

    def doubled(self, ref: Snapshot) -> int:
        return sum(n - 1 for n in self.articles.values()) + len(set(self.articles) - set(ref.articles))

    def same_as(self, ref: Snapshot) -> bool:
        return (self.stories, self.seen, self.validators) == (ref.stories, ref.seen, ref.validators)


@dataclass
class Row:
    kind: str
    trials: int = 0
    lost: int = 0
    doubled: int = 0
    differs: int = 0  # stories or fetch state unlike the uninterrupted run's
    emails: str = "–"
    integrity: int = 0  # trials whose integrity check said ok
    longest: float = 0.0
    leftover: int = 0
    notes: list[str] = field(default_factory=list)


# ---- ingest trials -----------------------------------------------------------------------------


def ingest_trials(work: Path, trials: int, rng: random.Random) -> Row:
    with LocalServer() as server:
        config = write_config(work / "ingest.toml", work / "drop", build_feed(server), build_site(server))
        env = environment(work)
        reference = work / "ingest-ref" / "state"
        reference.parent.mkdir()
        ref_run = run(config, reference, ["ingest"], env)
        ref = Snapshot.of(reference)
        row = Row(
            "ingest (folder + feed + site)",
            notes=[f"uninterrupted: {ref_run.seconds:.1f} s, {len(ref.articles)} articles"],
        )
        for i in range(trials):
            state = work / f"ingest-{i}" / "state"
            state.parent.mkdir()
            seen = kill_at(start(config, state, ["ingest"], env), rng.uniform(0.5, ref_run.seconds))
            row.leftover += leftovers(seen)
            again = run(config, state, ["ingest"], env)
            got = Snapshot.of(state)
            _count(row, got, ref, again)
            shutil.rmtree(state.parent)
    return row


def _count(row: Row, got: Snapshot, ref: Snapshot, again: Done) -> None:
    row.trials += 1
    row.lost += got.lost(ref)
    row.doubled += got.doubled(ref)
    row.differs += not got.same_as(ref)
    row.integrity += got.integrity == "ok"
    row.longest = max(row.longest, again.seconds)
    if again.code != 0 and again.err.strip():
        row.notes.append(f"rerun exit {again.code}: {again.err.strip().splitlines()[-1][:120]}")


# ---- run trials (Prefect + SMTP) --------------------------------------------------------------


class SlowInbox:
    """aiosmtpd handler that keeps every message and takes its time over RCPT and DATA."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        await asyncio.sleep(SLOW_SMTP)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.original_content, policy=policy.default))
        await asyncio.sleep(SLOW_SMTP)
        return "250 OK queued"

    def count(self, rcpt: str) -> int:
        return sum(rcpt in str(m["To"]) for m in self.messages)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def mail_env(work: Path, port: int, rcpt: str) -> dict[str, str]:
    return environment(
        work,
        {"NEWSDIGEST_SMTP_HOST": "127.0.0.1", "NEWSDIGEST_SMTP_PORT": str(port), "NEWSDIGEST_MAIL_TO": rcpt},
    )


def run_trials(work: Path, trials: int, rng: random.Random) -> Row:
    from aiosmtpd.controller import Controller

    inbox = SlowInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        return _run_trials(work, trials, rng, inbox, controller.port)
    finally:
        controller.stop()


def _run_trials(work: Path, trials: int, rng: random.Random, inbox: SlowInbox, port: int) -> Row:
    config = write_config(work / "run.toml", work / "drop-small", None)
    reference = work / "run-ref" / "state"
    reference.parent.mkdir()
    ref_run = run(config, reference, ["run"], mail_env(work, port, "ref@example.com"))
    ref = Snapshot.of(reference)
    row = Row("run (ingest + digest + send)", notes=[f"uninterrupted: {ref_run.seconds:.1f} s, exit {ref_run.code}"])
    uncertain = 0
    counts = []
    for i in range(trials):
        rcpt = f"trial{i}@example.com"
        state = work / f"run-{i}" / "state"
        state.parent.mkdir()
        env = mail_env(work, port, rcpt)
        proc = start(config, state, ["run"], env)
        if i % 2:  # killed while the send is under way (it takes ~1 s against this server)
            seen = kill_at(proc, rng.uniform(0, 3 * SLOW_SMTP), lambda s=state: bool(query(s, "SELECT id FROM sends")))
        else:
            seen = kill_at(proc, rng.uniform(1.0, ref_run.seconds))
        row.leftover += leftovers(seen)
        again = run(config, state, ["run"], env)
        uncertain += "may have been delivered" in again.out + again.err
        counts.append(inbox.count(rcpt))
        _count(row, Snapshot.of(state), ref, again)
        shutil.rmtree(state.parent)
    row.emails = (
        f"{sum(counts)} ({counts.count(1)} weeks once, {counts.count(0)} none, {sum(c > 1 for c in counts)} twice+)"
    )
    row.notes.append(f"{uncertain} rerun(s) reported an uncertain send (the email was there once)")
    return row


# ---- fault servers ---------------------------------------------------------------------------------


def fault_trials(work: Path) -> list[tuple[str, str, float, str]]:
    """(fault, outcome, seconds, budget and emails) per fault."""
    out = []
    with LocalServer() as server:
        for where, handler in (("head", trickle_head(1.0)), ("body", trickle_body(1.0))):
            url = server.add(f"/trickle-{where}", Route(handler=handler))
            state = work / f"fault-http-{where}" / "state"
            state.parent.mkdir()
            env = environment(work, {"NEWSDIGEST_FETCH_TIMEOUT": str(FETCH_BUDGET)})
            done = run(work / "digest.toml", state, ["ingest", url], env)
            out.append(
                (
                    f"HTTP trickling its {where} (1 byte/s)",
                    _last(done),
                    done.seconds,
                    f"[fetch] timeout {FETCH_BUDGET:g} s",
                )
            )
    base = _digest_state(work)
    for plan, label in (
        (["stall"], "SMTP never replies to the end of data"),
        (["trickle"], "SMTP trickles its reply to the data (1 byte/s)"),
        (["silent"], "SMTP accepts, never greets"),
        (["drop_mid"], "SMTP drops the connection mid-data"),
        (["421 4.3.2 closing"], "SMTP 421 to the data"),
        (["451 4.3.0 busy"], "SMTP 451 to the data"),
        (["550 5.7.1 refused"], "SMTP 550 to the data"),
    ):
        out.append(_smtp_fault(work, base, plan, label))
    return out


def _digest_state(work: Path) -> Path:
    state = work / "digest-base" / "state"
    state.parent.mkdir()
    run(work / "digest.toml", state, ["ingest"], environment(work))
    return state


def _smtp_fault(work: Path, base: Path, plan: list[str], label: str) -> tuple[str, str, float, str]:
    state = work / f"fault-smtp-{plan[0].split()[0]}" / "state"
    shutil.copytree(base, state)
    with FaultSMTP(plan) as server:
        env = mail_env(work, server.port, "fault@example.com")
        env.update({"NEWSDIGEST_SMTP_TIMEOUT": str(SMTP_BUDGET), "NEWSDIGEST_SMTP_BACKOFF": "1"})
        done = run(work / "digest.toml", state, ["digest"], env)
        emails = len(server.messages)
    return (label, _last(done), done.seconds, f"[smtp] timeout {SMTP_BUDGET:g} s; emails {emails}")


def _last(done: Done) -> str:
    lines = [line for line in (done.out + done.err).splitlines() if line.strip()]
    return f"exit {done.code}: " + (lines[-1][:150] if lines else "")


# ---- hostile inputs -----------------------------------------------------------------------------------


def hostile_inputs(work: Path) -> list[tuple[str, str, float, float]]:
    """(input, outcome, seconds, peak MB) of ``newsdigest ingest`` on each hostile input alone."""
    folder = work / "hostile"
    folder.mkdir()
    line = folder / "line.txt"
    line.write_bytes(("产教融合推动区域经济高质量发展，" * 400_000).encode()[:5_000_000])
    under = folder / "line-under-limit.txt"
    under.write_bytes(("产教融合推动区域经济高质量发展，" * 400_000).encode()[:2_900_000])
    big = folder / "big.txt"
    big.write_bytes("\n\n".join(d.text() for d in synth.corpus(9000, seed=5)).encode()[:19_500_000])
    page = folder / "page.html"
    body = "".join(f"<p>{d.text()}</p>" for d in synth.corpus(2500, seed=4))
    page.write_bytes(f"<html><body><div>{body}</div></body></html>".encode()[:8_000_000])
    cases: list[tuple[str, list[str]]] = [
        ("5 MB line, no sentence end", [str(line)]),
        ("2.9 MB line, no sentence end", [str(under)]),
        ("19.5 MB text file", [str(big)]),
        ("8 MB HTML page", [str(page)]),
    ]
    out = []
    with LocalServer() as server:
        cases.append(("feed of 100,000 items", [_big_feed(server)]))
        cases.append(("feed with entity expansion", [_entity_feed(server)]))
        baseline = _ingest_alone(work, "baseline", [str(ROOT / "seeds" / "001_076cfd08422e3cfe.txt")])
        out.append(("baseline: one seed article", _last(baseline), baseline.seconds, baseline.peak_mb))
        for name, args in cases:
            done = _ingest_alone(work, name, args)
            out.append((name, _outcome(done), done.seconds, done.peak_mb))
    return out


def _outcome(done: Done) -> str:
    """The command's summary line, and its one line about a cut input or the items left."""
    lines = (done.out + "\n" + done.err).splitlines()
    notes = [
        line.split(": ", 1)[-1] if "WARNING" in line else line
        for line in lines
        if "cut to" in line or "left for later" in line
    ]
    newest = sorted(int(n) for n in re.findall(r"/n/(\d+): article page", done.out + done.err))
    kept = [f"items kept: {len(newest)} (n/{newest[0]}…n/{newest[-1]})"] if newest else []
    notes = notes or [line[:150] for line in lines if line.startswith("rejected:")][:1]
    summary = next((f"exit {done.code}: {line}" for line in lines if line.startswith("documents:")), _last(done))
    return " · ".join([summary, *notes[-1:], *kept])


# A child started by this process records this process's peak RSS as its own when it execs
# (Linux keeps the old memory's high-water mark: with vfork, this process's), so a measured
# command is started by a small launcher that reports its own child's peak.
_LAUNCHER = (
    "import os, subprocess, sys\n"
    "p = subprocess.Popen(sys.argv[2:])\n"
    "_, status, usage = os.wait4(p.pid, 0)\n"
    "open(sys.argv[1], 'w').write(str(usage.ru_maxrss))\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n"
)


def _ingest_alone(work: Path, name: str, args: list[str]) -> Done:
    state = work / f"hostile-{abs(hash(name))}" / "state"
    state.parent.mkdir()
    peak = state.parent / "peak.txt"
    cmd = [str(BIN), "--state", str(state), "--config", str(work / "digest.toml"), "ingest", *args]
    out, err = (open(state.parent / f, "w", encoding="utf-8") for f in ("out.txt", "err.txt"))  # noqa: SIM115
    began = time.monotonic()
    with out, err:
        proc = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER, str(peak), *cmd],
            env=environment(work),
            cwd=state.parent,
            stdout=out,
            stderr=err,
            text=True,
        )
    done = finish(proc, state, began)
    done.peak_mb = int(peak.read_text()) / 1024 if peak.exists() else 0.0
    return done


def _big_feed(server: LocalServer) -> str:
    """100,000 dated items in no order (12 MB: over [fetch] max_bytes, so spooled); the newest
    500 are i = 99,500…99,999. Their pages are not served: each is one 404 line."""
    order = list(range(100_000))
    random.Random(5).shuffle(order)
    start = datetime(2025, 9, 1, tzinfo=UTC)
    items = [
        f"<item><title>第{i}条</title><link>{server.base}/n/{i}</link>"
        f"<pubDate>{format_datetime(start + timedelta(minutes=i))}</pubDate><description>短讯{i}</description></item>"
        for i in order
    ]
    return server.add("/big.xml", Route(body=rss(items), headers={"Content-Type": "application/rss+xml"}))


def _entity_feed(server: LocalServer) -> str:
    blob = "产教融合" * 25_000
    refs = "&e;" * 20_000
    body = (
        f'<?xml version="1.0" encoding="utf-8"?><!DOCTYPE rss [<!ENTITY e "{blob}">]>'
        f'<rss version="2.0"><channel><title>t</title><item><title>x</title><description>{refs}</description>'
        "</item></channel></rss>"
    ).encode()
    return server.add("/entities.xml", Route(body=body, headers={"Content-Type": "application/rss+xml"}))


# ---- report ---------------------------------------------------------------------------------------------


def table(rows: list[Row]) -> str:
    head = "| trials | kind | lost | doubled | stories/fetch state differ | emails | integrity ok | longest rerun | leftover processes |"
    lines = [head, "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r.trials} | {r.kind} | {r.lost} | {r.doubled} | {r.differs} | {r.emails} | "
            f"{r.integrity}/{r.trials} | {r.longest:.1f} s | {r.leftover} |"
        )
    for r in rows:
        lines += [f"- {r.kind}: {note}" for note in r.notes]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=20, help="kill -9 trials of each kind")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", choices=["ingest", "run", "faults", "inputs"], action="append")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    only = set(args.only or ["ingest", "run", "faults", "inputs"])
    work = Path(tempfile.mkdtemp(prefix="newsdigest-chaos-"))
    build_drop(work / "drop")
    build_drop(work / "drop-small", 60)
    write_config(work / "digest.toml", work / "drop-small", None)
    try:
        _report(work, args.trials, rng, only)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _report(work: Path, trials: int, rng: random.Random, only: set[str]) -> None:
    rows = []
    if "ingest" in only:
        rows.append(ingest_trials(work, trials, rng))
    if "run" in only:
        rows.append(run_trials(work, trials, rng))
    if rows:
        print(table(rows), flush=True)
    if "faults" in only:
        print("\n| fault | outcome | took | budget |\n|---|---|---|---|", flush=True)
        for fault, outcome, seconds, budget in fault_trials(work):
            print(f"| {fault} | {outcome} | {seconds:.1f} s | {budget} |", flush=True)
    if "inputs" in only:
        print("\n| hostile input | outcome | took | peak RSS |\n|---|---|---|---|", flush=True)
        for name, outcome, seconds, peak in hostile_inputs(work):
            print(f"| {name} | {outcome} | {seconds:.1f} s | {peak:.0f} MB |", flush=True)


if __name__ == "__main__":
    main()
