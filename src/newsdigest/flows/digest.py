"""Digest flow: render the week's digest, then deliver it (retried I/O)."""

from __future__ import annotations

import logging

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from newsdigest import digest, publish, store
from newsdigest.config import Config
from newsdigest.flows.common import load_config

log = logging.getLogger("newsdigest.flows.digest")


@task(cache_policy=NO_CACHE)
def render(config: Config, week: str | None) -> digest.DigestResult:
    return publish.build(config, store.connect(config.store_url), week)


# publish.deliver() retries SMTP with backoff itself, within [smtp] timeout; the one task retry covers
# a database hiccup (an exception), never a refusal: a failed or uncertain send is an outcome,
# recorded, that the next run acts on. It cannot send twice: the send record decides (publish.py).
@task(retries=1, retry_delay_seconds=10, cache_policy=NO_CACHE)
def send(config: Config, result: digest.DigestResult, dry_run: bool, resend: bool) -> tuple[str, bool]:
    outcome = publish.deliver(config, store.connect(config.store_url), result, dry_run=dry_run, resend=resend)
    return str(outcome), outcome.ok


@flow(name="digest")
def digest_flow(
    config_file: str | None = None,
    state_dir: str | None = None,
    week: str | None = None,
    dry_run: bool = False,
    resend: bool = False,
) -> dict:
    """Render one week's digest into the archive and deliver it."""
    return run_digest(load_config(config_file, state_dir), week, dry_run, resend)


def run_digest(config: Config, week: str | None, dry_run: bool, resend: bool) -> dict:
    """The digest run's work and its summary artifact, inside whichever flow runs it."""
    result = render(config, week)
    log.info(
        "digest %s: %d stories from %d articles in %s", result.week, result.stories, result.articles, result.html_path
    )
    delivery, delivered = send(config, result, dry_run, resend)
    log.info("delivery: %s", delivery)
    summary = {
        "week": result.week,
        "html": str(result.html_path),
        "text": str(result.text_path),
        "stories": result.stories,
        "articles": result.articles,
        "delivery": delivery,
        "delivery_ok": delivered,
    }
    lines = [f"# Digest {result.week}", ""] + [f"- **{k}**: {v}" for k, v in summary.items()]
    create_markdown_artifact("\n".join(lines) + "\n", key="digest-summary", description="What the digest run did")
    return summary
