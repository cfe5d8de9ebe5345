"""Weekly flow: ingest, then digest. This is what the Monday schedule runs (and ``run``).

One flow run, not a flow with two subflows: each flow run costs its API round trips and,
when it ends, waits for its heartbeat thread's one-second sleep (~0.5 s on average), which
made three flow runs ~1.5 s of a ~7 s ``run`` (measured with py-spy). The ingest and digest
halves run as plain functions inside this run, their tasks and their summary artifacts
(``ingest-summary``, ``digest-summary``) attached to it, beside its own ``weekly-summary``.
"""

from __future__ import annotations

import logging

from prefect import flow
from prefect.artifacts import create_markdown_artifact
from prefect.states import Completed, Failed, State

from newsdigest.flows.common import Stopwatch, load_config
from newsdigest.flows.digest import run_digest
from newsdigest.flows.ingest import run_ingest

log = logging.getLogger("newsdigest.flows.weekly")


def weekly_markdown(ingested: dict, digested: dict, seconds: dict[str, float]) -> str:
    """The weekly run at a glance: what came in, what went out, and how long each half took."""
    rows = [
        ("documents in", ingested["documents_in"]),
        ("new articles", ingested["articles_new"]),
        ("duplicates (joined a story)", ingested["duplicates"]),
        ("rejected inputs", len(ingested["rejected"])),
        ("digest week", digested["week"]),
        ("stories in the digest", digested["stories"]),
        ("articles in the digest", digested["articles"]),
        ("delivery", digested["delivery"]),
    ]
    lines = ["# Weekly run", "", "| what | value |", "|---|---|"] + [f"| {k} | {v} |" for k, v in rows]
    lines += ["", "## Time", "", "| step | seconds |", "|---|---|"]
    lines += [f"| {step} | {s:.1f} |" for step, s in seconds.items()]
    return "\n".join(lines) + "\n"


@flow(name="weekly")
def weekly_flow(
    config_file: str | None = None,
    state_dir: str | None = None,
    week: str | None = None,
    dry_run: bool = False,
    resend: bool = False,
) -> State:
    """Ingest every configured source, then build and deliver the week's digest. A failed or
    uncertain delivery fails the run with its one-line reason (recorded; no traceback)."""
    clock = Stopwatch()
    config = load_config(config_file, state_dir)
    with clock("ingest"):
        ingested = run_ingest(config)
    with clock("digest"):
        digested = run_digest(config, week, dry_run, resend)
    seconds = dict(clock.seconds) | {"total": clock.total()}
    create_markdown_artifact(
        weekly_markdown(ingested, digested, seconds), key="weekly-summary", description="What the weekly run did"
    )
    log.info("weekly run done in %.1f s: digest %s, %s", seconds["total"], digested["week"], digested["delivery"])
    text = (
        f"ingested {ingested['articles_new']} new articles from {ingested['documents_in']} documents "
        f"({len(ingested['rejected'])} rejected)\n"
        f"digest {digested['week']}: {digested['html']}\n{digested['delivery']}"
    )
    if left := ingested.get("left_for_next_run"):  # [run] deadline: the digest has what was stored
        text = f"{left}\n{text}"
    if not digested["delivery_ok"]:
        return Failed(message=f"{digested['delivery']}\n{text}", data=text)
    return Completed(message="weekly run done", data=text)
