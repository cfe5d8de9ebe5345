"""HTML documents: main text and metadata through trafilatura.
(Placeholder: the cleaning issue makes it real.)"""

from __future__ import annotations

from newsdigest.models import Meta


def html_to_text(html: str, url: str | None = None) -> tuple[str, Meta]:
    """Main text of a page (paragraphs separated by newlines) and the metadata found."""
    import trafilatura

    text = trafilatura.extract(html, url=url, include_comments=False) or ""
    return text, Meta()
