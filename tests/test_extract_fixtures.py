"""Hand-made pages, one per class of extraction failure (issue 12), through the text stages.

Each ``tests/fixtures/extract/<name>.json`` names the file, says in ``class`` which failure
it stands for, and lists what the result must show (keys below).  Nothing here is copied
from a real page: the real pages are scored by ``make eval``.
"""

import json
from datetime import date
from pathlib import Path

import pytest

from newsdigest import pipeline
from newsdigest.models import Article, Document, Rejected

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "extract"
CASES = sorted(FIXTURES.glob("*.json"))


def _read(case: dict) -> list[Article] | Rejected:
    path = FIXTURES / case["file"]
    data = path.read_bytes() * case["expect"].get("repeat", 1)
    kind = "text/html" if path.suffix == ".html" else None
    return pipeline.read_articles(Document(origin=str(path), data=data, content_type=kind))


@pytest.mark.parametrize("spec", CASES, ids=[p.stem for p in CASES])
def test_fixture(spec: Path) -> None:
    case = json.loads(spec.read_text("utf-8"))
    want, articles = case["expect"], _read(case)
    assert not isinstance(articles, Rejected), f"{case['class']}: rejected ({articles.reason})"
    first, text = articles[0], "\n".join(a.text for a in articles)
    checks = {
        "articles": lambda v: len(articles) == v,
        "title": lambda v: first.title == v,
        "titles": lambda v: [a.title for a in articles] == v,
        "authors": lambda v: list(first.authors) == v,
        "authors_each": lambda v: [list(a.authors) for a in articles] == v,
        "editor": lambda v: first.editor == v,
        "source": lambda v: first.source == v,
        "published": lambda v: first.published == date.fromisoformat(v),
        "first_paragraph": lambda v: first.body[0] == v,
        "contains": lambda v: all(s in text for s in v),
        "absent": lambda v: not any(s in text for s in v),
        "once": lambda v: all(text.count(s) == 1 for s in v),
        "repeat": lambda v: True,
    }
    failed = {key: value for key, value in want.items() if not checks[key](value)}
    got = {"titles": [a.title for a in articles], "authors": [a.authors for a in articles], "source": first.source}
    assert not failed, f"{case['class']}\nnot met: {failed}\ngot: {got}\ntext: {text[:300]}"
