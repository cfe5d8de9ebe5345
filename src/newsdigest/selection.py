"""What the digest holds: the relevant stories, in rank order, and who is in them.

Plain functions over stories (``stories.Story``) and two lookups the caller passes in: the
relevance of an article (stored, or scored again under the current profile) and its
entities. A story is relevant when one of its articles is; its relevance is its best
article's. Stories rank by points a reader can redo:

    relevance score + COVERAGE_POINTS × (outlets − 1) − DAY_POINTS × days older than the newest

with in-scope stories (when the profile has a region scope) before the others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from newsdigest.entities import ORG, Entity
from newsdigest.models import StoredArticle
from newsdigest.relevance import Relevance
from newsdigest.stories import Story

COVERAGE_POINTS = 3.0  # each further outlet that carried the story
DAY_POINTS = 0.5  # each day the story is older than the week's newest
WHO_ROWS = 12  # rows of the "who is in the news" table
WHO_STORIES = 3  # stories listed per row

Judge = Callable[[StoredArticle], Relevance]
Names = Callable[[StoredArticle], tuple[Entity, ...]]


@dataclass(frozen=True)
class Who:
    """One row of the "who is in the news" table."""

    name: str
    kind: str  # org | person
    stories: tuple[str, ...]  # titles of the stories naming it, best ranked first
    count: int  # how many of the week's relevant stories name it
    aliases: tuple[str, ...] = ()


def story_relevance(story: Story, judge: Judge) -> Relevance:
    """The relevance of the story's best article (a relevant one before a higher score)."""
    return max((judge(a) for a in story.members), key=lambda r: (r.relevant, r.score))


def split(stories: Iterable[Story], judge: Judge) -> tuple[list[Story], list[Story]]:
    """(relevant, off-profile) stories, each list in the order given."""
    keep: list[Story] = []
    off: list[Story] = []
    for s in stories:
        (keep if story_relevance(s, judge).relevant else off).append(s)
    return keep, off


def outlets(story: Story) -> int:
    return 1 + len(story.also)


def points(story: Story, judge: Judge, day: Callable[[Story], date], newest: date) -> float:
    """Rank points: relevance, plus coverage, minus age (see the module docstring)."""
    age = (newest - day(story)).days
    return story_relevance(story, judge).score + COVERAGE_POINTS * (outlets(story) - 1) - DAY_POINTS * max(age, 0)


def rank(stories: list[Story], judge: Judge, day: Callable[[Story], date]) -> list[Story]:
    """Stories best first: in scope first, then by points, then title and id (total order)."""
    if not stories:
        return []
    newest = max(day(s) for s in stories)

    def key(s: Story) -> tuple:
        out_of_scope = story_relevance(s, judge).in_scope is False
        return (out_of_scope, -round(points(s, judge, day, newest), 6), s.origin.title, s.id)

    return sorted(stories, key=key)


def _lead(found: tuple[Entity, ...]) -> Entity | None:
    """The story's most named organisation (a person when it names none)."""
    return min(found, key=lambda e: (e.kind != ORG, -e.mentions, e.name), default=None)


def _named(ranked: list[Story], names: Names) -> list[tuple[Story, dict[str, Entity]]]:
    return [(s, {e.name: e for a in s.members for e in names(a)}) for s in ranked]


def tally(ranked: list[Story], names: Names) -> list[Who]:
    """Every name in the stories, by how many stories name it (then by name)."""
    found: dict[str, list[Story]] = {}
    first: dict[str, Entity] = {}
    for story, named in _named(ranked, names):
        for name, entity in named.items():
            found.setdefault(name, []).append(story)
            first.setdefault(name, entity)
    rows = [
        Who(n, first[n].kind, tuple(s.origin.title for s in found[n][:WHO_STORIES]), len(found[n]), first[n].aliases)
        for n in found
    ]
    return sorted(rows, key=lambda w: (-w.count, w.kind != ORG, w.name))


def who(ranked: list[Story], names: Names, rows: int = WHO_ROWS) -> list[Who]:
    """Who is in the news: names in several stories first, then each story's leading
    organisation in rank order, up to ``rows``; each with the stories that name it."""
    every = {w.name: w for w in tally(ranked, names)}
    shared = [n for n, w in every.items() if w.count > 1]
    leads = [e.name for _, named in _named(ranked, names) if (e := _lead(tuple(named.values())))]
    return [every[n] for n in list(dict.fromkeys(shared + leads))[:rows]]


def off_profile_by_source(off: Iterable[Story], source_of: Callable[[StoredArticle], str]) -> dict[str, int]:
    """How many off-profile articles each source brought."""
    counts: dict[str, int] = {}
    for story in off:
        for a in story.members:
            src = source_of(a)
            counts[src] = counts.get(src, 0) + 1
    return counts
