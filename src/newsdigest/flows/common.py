"""Shared bits of the flows: loading configuration and the run-summary artifact."""

from __future__ import annotations

import contextlib
import logging
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from newsdigest import config as config_mod
from newsdigest import logs

log = logging.getLogger("newsdigest.flows")


def load_config(config_file: str | None, state_dir: str | None) -> config_mod.Config:
    """The configuration of a flow run; every flow starts here (and logs at INFO from here on)."""
    logs.for_runs()
    config = config_mod.load(Path(config_file) if config_file else None, Path(state_dir) if state_dir else None)
    log.info("configuration %s, state folder %s", config_file or "newsdigest.toml", config.state_dir)
    return config


class Stopwatch:
    """Wall seconds per named step of a run (a step may be timed several times; it adds up)."""

    def __init__(self) -> None:
        self.seconds: Counter = Counter()
        self.start = time.perf_counter()

    @contextlib.contextmanager
    def __call__(self, step: str) -> Iterator[None]:
        begin = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[step] += time.perf_counter() - begin

    def total(self) -> float:
        return time.perf_counter() - self.start


def timings(clock: Stopwatch, documents: int, articles: int) -> dict[str, Any]:
    """Per-step seconds and throughput, for the run summary."""
    total = clock.total()
    return {
        "seconds": {step: round(s, 3) for step, s in clock.seconds.items()} | {"total": round(total, 3)},
        "documents_per_s": round(documents / total, 1) if total else 0.0,
        "articles_per_s": round(articles / total, 1) if total else 0.0,
    }


def _timings_markdown(t: dict[str, Any] | None) -> list[str]:
    if not t:
        return []
    lines = ["", "## Time", "", "| step | seconds |", "|---|---|"]
    lines += [f"| {step} | {s:.2f} |" for step, s in t["seconds"].items()]
    lines += ["", f"Throughput: {t['documents_per_s']} documents/s, {t['articles_per_s']} new articles/s."]
    return lines


def summary_markdown(title: str, summary: dict[str, Any]) -> str:
    """A run summary as markdown: counts first, then removed blocks and rejected inputs."""
    lines = [f"# {title}", "", "| what | count |", "|---|---|"]
    for key in ("documents_in", "already_known", "articles_new", "duplicates"):
        if key in summary:
            lines.append(f"| {key.replace('_', ' ')} | {summary[key]} |")
    removed = summary.get("removed") or {}
    if removed:
        lines += ["", "## Removed blocks by kind", "", "| kind | blocks |", "|---|---|"]
        lines += [f"| {kind} | {n} |" for kind, n in removed.items()]
    rejected = summary.get("rejected") or []
    lines += ["", f"## Rejected inputs ({len(rejected)})", ""]
    lines += [f"- `{r['origin']}`: {r['reason']}" for r in rejected] or ["none"]
    lines += _sources_markdown(summary.get("sources") or [])
    lines += _timings_markdown(summary.get("timings"))
    shown = {"documents_in", "already_known", "articles_new", "duplicates", "removed", "rejected", "sources", "timings"}
    for key, value in summary.items():
        if key not in shown:
            lines.append(f"\n**{key}**: {value}")
    return "\n".join(lines) + "\n"


def _sources_markdown(rows: list[dict[str, Any]]) -> list[str]:
    """Health of feed and page sources (see ``newsdigest sources``)."""
    if not rows:
        return []
    lines = [
        "",
        "## Sources",
        "",
        "| source | status | seen | new | rejected | last success | last error |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['name']} | {r['last_status']} | {r['items_seen']} | {r['items_new']} | {r['items_rejected']} "
        f"| {r['last_success'] or '–'} | {r['last_error'] or r['bozo'] or ''} |"
        for r in rows
    ]
    return lines
