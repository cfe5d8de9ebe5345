"""Digest flow: render the week's digest, then deliver it (retried I/O)."""

from __future__ import annotations

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from newsdigest import deliver, digest, store
from newsdigest.config import Config
from newsdigest.flows.common import load_config


@task(cache_policy=NO_CACHE)
def render(config: Config, week: str | None) -> digest.DigestResult:
    return digest.build(config, store.connect(config.store_url), week)


# deliver() retries SMTP with backoff itself; one task retry covers a database hiccup or a
# server that stayed down. It cannot send twice: the send record decides (see deliver.py).
@task(retries=1, retry_delay_seconds=60, cache_policy=NO_CACHE)
def send(config: Config, result: digest.DigestResult, dry_run: bool, resend: bool) -> str:
    outcome = deliver.deliver(config, store.connect(config.store_url), result, dry_run=dry_run, resend=resend)
    if outcome.status == "failed":
        raise RuntimeError(str(outcome))
    return str(outcome)


@flow(name="digest")
def digest_flow(
    config_file: str | None = None,
    state_dir: str | None = None,
    week: str | None = None,
    dry_run: bool = False,
    resend: bool = False,
) -> dict:
    """Render one week's digest into the archive and deliver it."""
    config = load_config(config_file, state_dir)
    result = render(config, week)
    delivery = send(config, result, dry_run, resend)
    summary = {
        "week": result.week,
        "html": str(result.html_path),
        "text": str(result.text_path),
        "stories": result.stories,
        "articles": result.articles,
        "delivery": delivery,
    }
    lines = [f"# Digest {result.week}", ""] + [f"- **{k}**: {v}" for k, v in summary.items()]
    create_markdown_artifact("\n".join(lines) + "\n", key="digest-summary", description="What the digest run did")
    return summary
