"""What each seed must give, end to end: ingest into a fresh store, then read back.

The expectations are not here: each seed has its own `seeds/NNN_….expect.toml` beside it
(title, region, date, source, authors, strings that must not appear), read by one
parametrised test. The drop folder does not read `.toml` files, so they are never ingested.
"""

import tomllib
from pathlib import Path

import pytest
from conftest import ROOT, SEEDS

from newsdigest import pipeline, sources, store

SEED_FILES = sorted(SEEDS.glob("*.txt"))


def expectations(seed: Path) -> dict:
    return tomllib.loads(seed.with_suffix(".expect.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    from newsdigest import config

    state = tmp_path_factory.mktemp("seeds-state")
    cfg = config.load(ROOT / "newsdigest.toml", state, env={})
    engine = store.connect(cfg.store_url)
    docs, rejected = sources.collect(cfg, engine, [str(SEEDS)])
    pipeline.ingest(engine, pipeline.Settings.from_config(cfg), docs, rejected)
    return store.load_articles(engine)


def test_drop_folder_ingests_the_seeds_and_not_their_expectations(stored) -> None:
    assert {Path(a.origin) for a in stored} == set(SEED_FILES)


def _check_title(article, want: dict) -> None:
    if "title" in want:
        assert article.title == want["title"]
        return
    # No title line in the text: a short one derived from the lead, not the subheading.
    assert want["title_from_lead"] and 6 <= len(article.title) <= 40, article.title
    assert article.title in article.body[0] and article.title != want["not_title"]


@pytest.mark.parametrize("seed", SEED_FILES, ids=[p.name[:3] for p in SEED_FILES])
def test_seed_gives_what_its_expectation_file_says(stored, seed) -> None:
    want = expectations(seed)
    got = [a for a in stored if Path(a.origin) == seed]
    assert len(got) == len(want["articles"]), [a.title for a in got]
    for article, expected in zip(got, want["articles"], strict=True):
        _check_title(article, expected)
        assert article.body and article.body[0] != article.title  # the title is not repeated in the body
        assert list(article.regions[:2]) == expected["region"]
        assert (article.published.isoformat() if article.published else "") == expected["published"]
        assert (article.source or "") == expected["source"]
        assert list(article.authors) == expected["authors"]
        assert article.summary
        text = "\n".join((article.title, *article.body, article.summary, *article.authors, article.source or ""))
        for needle in want["forbidden"]:
            assert needle not in text, needle
