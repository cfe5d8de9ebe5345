"""Weekly flow: ingest, then digest. This is what the Monday schedule runs."""

from __future__ import annotations

from prefect import flow
from prefect.states import Completed, Failed, State

from newsdigest.flows.digest import digest_flow
from newsdigest.flows.ingest import ingest_flow


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
    ingested = ingest_flow(config_file=config_file, state_dir=state_dir)
    digested = digest_flow(config_file=config_file, state_dir=state_dir, week=week, dry_run=dry_run, resend=resend)
    text = (
        f"ingested {ingested['articles_new']} new articles from {ingested['documents_in']} documents "
        f"({len(ingested['rejected'])} rejected)\n"
        f"digest {digested['week']}: {digested['html']}\n{digested['delivery']}"
    )
    if not digested["delivery_ok"]:
        return Failed(message=f"{digested['delivery']}\n{text}", data=text)
    return Completed(message="weekly run done", data=text)
