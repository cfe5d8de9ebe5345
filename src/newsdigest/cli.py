"""The ``newsdigest`` command line (typer): thin wrappers over the pipeline functions.

``run`` goes through the Prefect weekly flow (as the schedule does); ``ingest`` and
``digest`` call the same plain functions directly, so that a quick look at one file
or one week does not pay for starting an orchestration server.
"""

from __future__ import annotations

import gc
import json
import os
import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from newsdigest import config as config_mod

# The stages, the store and Prefect are imported inside the commands that use them:
# `newsdigest --help` and a mistyped option then answer at once (SQLAlchemy, numpy,
# jieba's tables and Prefect together take ~1.5 s to import on these machines).
if TYPE_CHECKING:
    from newsdigest import pipeline

# Whether the user chose Prefect's log level (then -v and serve leave it alone).
_PREFECT_LEVEL_CHOSEN = "PREFECT_LOGGING_LEVEL" in os.environ
# Quiet, offline Prefect unless the user asked otherwise.
for _key, _value in {
    # Prefect forwards the project's own log records (newsdigest.*) to the API.
    "PREFECT_LOGGING_EXTRA_LOGGERS": "newsdigest",
    "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    # Prefect logs a failing task's traceback at ERROR; the CLI reports failures
    # itself in one line. PREFECT_LOGGING_LEVEL=INFO shows Prefect's own log.
    "PREFECT_LOGGING_LEVEL": "CRITICAL",
    "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL",
}.items():
    os.environ.setdefault(_key, _value)

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Monitor Chinese regional news and turn it into a weekly digest.",
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


class Format(StrEnum):
    table = "table"
    json = "json"
    text = "text"


@dataclass(frozen=True)
class Context:
    config_file: Path | None
    state_dir: Path | None

    def load(self) -> config_mod.Config:
        return config_mod.load(self.config_file, self.state_dir)


def error_line(message: str) -> None:
    """One line on stderr: the message is printed as is, never read as markup."""
    first = message.strip().splitlines()[0] if message.strip() else "unknown error"
    err.print(f"[red]error:[/red] {escape(first)}", highlight=False)


def fail(message: str, code: int = 1) -> None:
    """One line on stderr and an exit status, never a traceback."""
    error_line(message)
    raise typer.Exit(code)


def check_week(week: str | None) -> None:
    """Validate --week before any work starts."""
    if week:
        from newsdigest.digest import iso_week

        try:
            iso_week(week)
        except ValueError as exc:
            fail(f"--week {week}: {exc}", 2)


@app.callback()
def main_options(
    ctx: typer.Context,
    state: Annotated[Path | None, typer.Option("--state", envvar="NEWSDIGEST_STATE", help="State folder.")] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", envvar="NEWSDIGEST_CONFIG", help="Configuration file (default ./newsdigest.toml)."),
    ] = None,
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, help="Log what happens (-v: INFO, -vv: DEBUG) on stderr.")
    ] = 0,
) -> None:
    from newsdigest import logs

    logs.configure(verbose)
    if verbose:
        prefect_level("INFO" if verbose == 1 else "DEBUG")
    ctx.obj = Context(config, state)


def prefect_level(level: str) -> None:
    """Prefect's log level, unless the user chose one (before Prefect is imported)."""
    if not _PREFECT_LEVEL_CHOSEN:
        os.environ["PREFECT_LOGGING_LEVEL"] = level


def _engine(cfg: config_mod.Config) -> Any:
    from newsdigest import store

    return store.connect(cfg.store_url)


def _print_report(report: pipeline.IngestReport) -> None:
    out.print(
        f"documents: {report.documents_in}  new articles: {report.articles_new}  "
        f"already known: {report.already_known}  duplicates: {report.duplicates}  "
        f"rejected: {len(report.rejected)}",
        highlight=False,
    )
    for r in report.rejected:
        err.print(f"rejected: {r.origin}: {r.reason}", highlight=False, markup=False)
    if line := report.left_line():
        out.print(line, highlight=False, markup=False)


@app.command()
def ingest(
    ctx: typer.Context,
    inputs: Annotated[
        list[str] | None, typer.Argument(help="Files, folders or URLs; default: every configured source.")
    ] = None,
) -> None:
    """Ingest the configured sources, or only the given files, folders or URLs."""
    from rich.progress import Progress

    from newsdigest import pipeline, sources

    cfg = ctx.obj.load()
    deadline = pipeline.deadline_of(cfg)
    engine = _engine(cfg)
    got = sources.gather(cfg, engine, inputs or None, deadline)
    with Progress(console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task("ingesting", total=len(got.documents))
        report = pipeline.ingest(
            engine,
            pipeline.Settings.from_config(cfg),
            got.documents,
            got.rejected,
            progress=lambda n: progress.advance(task, n),
            deadline=deadline,
        )
    report.unfetched = got.left
    _print_report(report)


@app.command("sources")
def sources_cmd(
    ctx: typer.Context, format: Annotated[Format, typer.Option("--format", help="table or json")] = Format.table
) -> None:
    """Health of feed and page sources: last success, last error, items seen/new/rejected."""
    from rich.table import Table

    from newsdigest.store import fetchstate

    cfg = ctx.obj.load()
    rows = fetchstate.health_report(_engine(cfg), cfg.sources)
    if format is Format.json:
        out.print_json(json.dumps({"sources": rows}, ensure_ascii=False, default=str))
        return
    table = Table("source", "kind", "status", "last success", "seen", "new", "rejected", "last error")
    for r in rows:
        table.add_row(
            r["name"],
            r["kind"],
            r["last_status"],
            r["last_success"] or "–",
            str(r["items_seen"]),
            str(r["items_new"]),
            str(r["items_rejected"]),
            r["last_error"] or r["bozo"] or "",
        )
    out.print(table)
    for r in rows:
        for rej in r["rejects"]:
            out.print(f"rejected: {r['name']}: {rej['origin']}: {rej['reason']}", highlight=False, markup=False)


def _digest_and_deliver(cfg: config_mod.Config, week: str | None, dry_run: bool, resend: bool) -> None:
    from newsdigest import publish

    check_week(week)
    engine = _engine(cfg)
    result = publish.build(cfg, engine, week)
    out.print(f"digest {result.week}: {result.html_path}", highlight=False)
    outcome = publish.deliver(cfg, engine, result, dry_run=dry_run, resend=resend)
    out.print(str(outcome), highlight=False, markup=False)
    if not outcome.ok:
        raise typer.Exit(1)


@app.command("digest")
def digest_cmd(
    ctx: typer.Context,
    week: Annotated[str | None, typer.Option(help="ISO week YYYY-Www; default this week.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Write the .eml, send nothing.")] = False,
    resend: Annotated[bool, typer.Option("--resend", help="Send even if sent before.")] = False,
) -> None:
    """Render the digest of a week from stored articles (and send it unless --dry-run)."""
    _digest_and_deliver(ctx.obj.load(), week, dry_run, resend)


@app.command()
def run(
    ctx: typer.Context,
    week: Annotated[str | None, typer.Option(help="ISO week YYYY-Www; default this week.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Write the .eml, send nothing.")] = False,
    resend: Annotated[bool, typer.Option("--resend", help="Send even if sent before.")] = False,
) -> None:
    """Ingest every configured source, then build (and send) the digest: the weekly Prefect flow."""
    cfg = ctx.obj.load()  # fail on a bad configuration before Prefect starts
    check_week(week)
    from rich.progress import Progress

    from newsdigest import reaper

    reaper.watch()  # the temporary Prefect server dies with us, even on kill -9
    from newsdigest.flows import runner, warm

    if runner.settings(cfg)[0] == "thread":
        warm.start()  # the stages and jieba load in a worker process while Prefect starts here
    from newsdigest import logs
    from newsdigest.flows.weekly import weekly_flow

    with Progress(console=err, transient=True, disable=not err.is_terminal) as progress:
        bar = progress.add_task("ingesting", total=None)
        with logs.progress_to(lambda done, total: progress.update(bar, completed=done, total=total)):
            state = weekly_flow(
                config_file=str(ctx.obj.config_file) if ctx.obj.config_file else None,
                state_dir=str(cfg.state_dir),
                week=week,
                dry_run=dry_run,
                resend=resend,
                return_state=True,
            )
    # What is left is to print and exit. Python's exit collects every object Prefect, the
    # stages and the run allocated (~0.6 s here); frozen, they are left to the process's end.
    gc.freeze()
    if not state.is_completed():
        # A failed or uncertain delivery: its one-line reason, then what the run did.
        first, _, rest = (state.message or "see the Prefect log").partition("\n")
        if rest:
            out.print(rest, highlight=False, markup=False)
        fail(f"weekly flow {state.name.lower()}: {first}")
    out.print(state.result(), highlight=False, markup=False)


def _article_json(a: Any, judged: Any) -> dict[str, Any]:
    return {
        "id": a.id,
        "origin": a.origin,
        "title": a.title,
        "published": a.published.isoformat() if a.published else None,
        "first_seen": a.first_seen.isoformat(timespec="seconds"),
        "source": a.source,
        "authors": list(a.authors),
        "regions": list(a.regions),
        "topics": list(a.topics),
        "keywords": list(a.keywords),
        "summary": a.summary,
        "story": a.story,
        "relevance": judged.score,
        "relevant": judged.relevant,
        "matched": [m.as_dict() for m in judged.matched],
        "excluded": list(judged.excluded),
        "in_scope": judged.in_scope,
        "entities": [e.as_dict() for e in a.entities] if a.entities is not None else None,
    }


@app.command()
def articles(
    ctx: typer.Context,
    format: Annotated[Format, typer.Option("--format", help="table or json")] = Format.table,
    week: Annotated[str | None, typer.Option(help="Only articles first seen in this ISO week.")] = None,
    relevant: Annotated[bool, typer.Option("--relevant", help="Only articles relevant to the watch profile.")] = False,
) -> None:
    """List stored articles: one line per story in the table; every document in JSON, with
    its relevance to the watch profile and the matched terms."""
    from newsdigest import relevance

    cfg = ctx.obj.load()
    judge = relevance.judge(relevance.Profile.from_dict(cfg.profile))
    items = [(a, judge(a)) for a in _stored_articles(cfg, week)]
    if relevant:
        items = [(a, r) for a, r in items if r.relevant]
    if format is Format.json:
        rows = [_article_json(a, r) for a, r in items]
        out.print_json(json.dumps({"articles": rows}, ensure_ascii=False))
        return
    score = {a.id: r.score for a, r in items}
    # The table shows one line per story (JSON lists every document, duplicates included).
    from rich.table import Table

    from newsdigest import stories

    table = Table("published", "title", "source", "regions", "relevance", "also carried by", "story")
    for story in stories.group_stories([a for a, _ in items]):
        a = story.origin
        table.add_row(
            str(a.published or "–"),
            a.title[:40],
            stories.outlet(a),
            " ".join(a.regions),
            f"{score[a.id]:g}",
            story.carried_by or "–",
            story.id[:8],
        )
    out.print(table)


def _stored_articles(cfg: Any, week: str | None) -> list[Any]:
    """Stored articles, all or those first seen in ``week``."""
    from newsdigest import store

    since = until = None
    if week:
        from newsdigest.digest import iso_week

        check_week(week)
        _, since, until = iso_week(week, tz=cfg.get("digest", "timezone"))
    return store.load_articles(_engine(cfg), since, until)


@app.command("entities")
def entities_cmd(
    ctx: typer.Context,
    week: Annotated[str | None, typer.Option(help="Only articles first seen in this ISO week.")] = None,
    format: Annotated[Format, typer.Option("--format", help="table or json")] = Format.table,
) -> None:
    """Who is in the news: organisations and people named in the relevant stories, by how
    many stories name them."""
    from newsdigest import entities, relevance, selection, stories

    cfg = ctx.obj.load()
    judge = relevance.judge(relevance.Profile.from_dict(cfg.profile))
    kept, _ = selection.split(stories.group_stories(_stored_articles(cfg, week)), judge)
    rows = selection.tally(kept, entities.named)
    if format is Format.json:
        found = [{"name": w.name, "kind": w.kind, "stories": w.count, "titles": list(w.stories)} for w in rows]
        out.print_json(json.dumps({"entities": found}, ensure_ascii=False))
        return
    from rich.table import Table

    table = Table("name", "kind", "stories", "for example")
    for w in rows:
        table.add_row(w.name, w.kind, str(w.count), w.stories[0][:40])
    out.print(table)


def _clean_json(articles: list[Any]) -> dict[str, Any]:
    return {
        "articles": [
            {
                "title": a.title,
                "published": a.published.isoformat() if a.published else None,
                "source": a.source,
                "authors": list(a.authors),
                "body": a.text,
                "removed": [{"kind": r.kind, "text": r.text} for r in a.removed],
            }
            for a in articles
        ]
    }


@app.command("clean")
def clean_cmd(
    path: Annotated[Path, typer.Argument(help="A text or HTML file.")],
    format: Annotated[Format, typer.Option("--format", help="text or json")] = Format.text,
) -> None:
    """Show what the pipeline makes of one document, touching no state."""
    from newsdigest import pipeline, sources
    from newsdigest.models import Rejected

    docs, rejected = sources.read_paths([path])
    if rejected or not docs:
        fail(f"{path}: {rejected[0].reason if rejected else 'no readable file'}")
    result = pipeline.read_articles(docs[0])  # the text stages only: no tags, no summary
    if isinstance(result, Rejected):
        fail(f"{path}: {result.reason}")
        return
    if format is Format.json:
        out.print_json(json.dumps(_clean_json(result), ensure_ascii=False))
        return
    for a in result:
        out.print(
            f"# {a.title}\n{a.published or '–'} · {a.source or '–'} · {' '.join(a.authors) or '–'}\n",
            highlight=False,
            markup=False,
        )
        out.print(a.text + "\n", highlight=False, markup=False)


@app.command("discover")
def discover_cmd(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="A site's home page.")],
    max_pages: Annotated[int, typer.Option("--max-pages", min=1, help="List pages a first run follows.")] = 3,
    max_age_days: Annotated[int, typer.Option("--max-age-days", min=1, help="Sitemap URLs this recent.")] = 7,
) -> None:
    """Find a site's feeds, sitemaps and list pages; print them as [[sources]] blocks to paste."""
    from newsdigest import discover
    from newsdigest.fetch import Fetcher, FetchSettings

    cfg = ctx.obj.load()
    with Fetcher(FetchSettings.from_mapping(cfg.sections.get("fetch"))) as fetcher:
        try:
            found = discover.discover(url, fetcher, max_pages, max_age_days)
        except discover.DiscoverError as exc:
            fail(str(exc))
    for suggestion in found:
        out.print(suggestion.toml() + "\n", highlight=False, markup=False)
    err.print(f"{len(found)} source{'s' if len(found) != 1 else ''} found on {url}", highlight=False, markup=False)


@app.command()
def serve(ctx: typer.Context) -> None:
    """Serve the ingest and weekly flows on their cron schedules, in this process (needs a Prefect server)."""
    prefect_level("INFO")  # served runs send what they log to the API at this level
    from newsdigest import reaper
    from newsdigest.flows.serve import serve as serve_flows

    reaper.watch()  # the Prefect server it starts dies with it, even on kill -9
    serve_flows(ctx.obj.load(), ctx.obj.config_file)


@app.command()
def deploy(
    ctx: typer.Context,
    pool: Annotated[str, typer.Option("--pool", help="Prefect work pool (process type; created if missing).")],
    source: Annotated[
        str, typer.Option("--source", help="Checkout holding flows/ as the workers see it: a folder or a git URL.")
    ] = ".",
) -> None:
    """Register the ingest and weekly deployments in a work pool: `prefect worker start --pool NAME` runs them."""
    from newsdigest.flows.serve import deploy as deploy_flows

    for line in deploy_flows(ctx.obj.load(), ctx.obj.config_file, pool, source):
        out.print(line, highlight=False, markup=False)


def main() -> None:
    """Entry point: every failure ends as one line on stderr."""
    try:
        app()
    except config_mod.ConfigError as exc:
        error_line(str(exc))
        sys.exit(2)
    except Exception as exc:  # the last line of defence: never show a traceback
        if os.environ.get("NEWSDIGEST_DEBUG"):
            raise
        error_line(f"{type(exc).__name__}: {exc}")
        sys.exit(1)
