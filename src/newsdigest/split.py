"""Split a print page holding several articles into one piece per article.
(Placeholder: returns the page as one piece.)"""

from __future__ import annotations

from newsdigest.models import Cleaned


def split(page: Cleaned) -> list[Cleaned]:
    """Pieces of a page; each piece's ``meta`` holds what its own title/byline said."""
    return [page]
