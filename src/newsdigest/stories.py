"""Stories for display: stored articles grouped by story, the origin first, and who else
carried it. ``outlet`` is the one name of an article's outlet, for the digest and the
``articles`` command alike.

Which story an article belongs to was decided when it was saved (``dedupe`` and
``store.story_index``); this module only reads that label.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from newsdigest.models import StoredArticle

# An article that names no source and has no web address: shown as such, never left blank,
# and never listed in a story's "also carried by".
UNKNOWN_OUTLET = "来源不详"


@dataclass(frozen=True)
class Story:
    """One story as the digest shows it: the origin article and who else carried it."""

    id: str
    origin: StoredArticle
    members: tuple[StoredArticle, ...]  # origin first, then by date
    also: tuple[str, ...]  # named outlets other than the origin's, in order of appearance
    count: int  # number of articles in the story (origin included)

    @property
    def carried_by(self) -> str:
        """``"outlet, outlet (N)"`` with N the other articles, or "" for a single article."""
        return f"{', '.join(self.also)} ({self.count - 1})" if self.count > 1 and self.also else ""


def _host(link: str | None) -> str | None:
    try:
        parts = urlsplit((link or "").strip())
    except ValueError:
        return None
    return parts.hostname if parts.scheme.lower() in {"http", "https"} else None


def outlet(article: StoredArticle) -> str:
    """Who carried the article: its stated source, else the host of its link (or of its
    origin, when that is a web address), else ``UNKNOWN_OUTLET``."""
    return article.source or _host(article.url) or _host(article.origin) or UNKNOWN_OUTLET


def _origin_key(article: StoredArticle) -> tuple:
    return (article.published or article.first_seen.date(), article.first_seen, article.origin, article.part)


def group_stories(articles: list[StoredArticle]) -> list[Story]:
    """One Story per story id among ``articles``, oldest origin first.

    The origin is the earliest published member (first seen when undated) among the
    articles given: a digest of one week sees only that week's members of a story.
    """
    groups: dict[str, list[StoredArticle]] = {}
    for article in articles:
        groups.setdefault(article.story, []).append(article)
    stories = []
    for story_id, members in groups.items():
        ordered = tuple(sorted(members, key=_origin_key))
        home = outlet(ordered[0])
        others = (outlet(a) for a in ordered[1:])
        also = tuple(dict.fromkeys(o for o in others if o not in (home, UNKNOWN_OUTLET)))
        stories.append(Story(story_id, ordered[0], ordered, also, len(ordered)))
    return sorted(stories, key=lambda s: _origin_key(s.origin))
