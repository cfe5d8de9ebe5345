"""Article metadata: title, published date, source outlet, authors.
(Placeholder: first paragraph is the title.)"""

from __future__ import annotations

from newsdigest.models import Cleaned, Meta


def finalize(piece: Cleaned, page: Meta, hints: Meta) -> tuple[Meta, tuple[str, ...]]:
    """Resolve one article's metadata and return it with the body paragraphs left.

    ``piece.meta`` (from its own title/byline) wins over ``page`` (metadata lines of the
    whole document), which wins over ``hints`` (feed item title, HTML metadata).
    """
    paragraphs = piece.paragraphs
    title = piece.meta.title or hints.title
    if not title and paragraphs:
        title, paragraphs = paragraphs[0], paragraphs[1:]
    return Meta(title=title, published=piece.meta.published or page.published or hints.published,
                source=piece.meta.source or page.source or hints.source,
                authors=piece.meta.authors or page.authors or hints.authors), paragraphs
