"""Text cleaning: strip link-farm spam, site chrome, captions, metadata lines, repeats;
repair paragraphs broken by print layout.  (Placeholder: the cleaning issue fills it in.)"""

from __future__ import annotations

from newsdigest.models import Cleaned


def clean(text: str) -> Cleaned:
    """Clean one document's text into paragraphs, recording every removed block."""
    paragraphs = tuple(line.strip() for line in text.splitlines() if line.strip())
    return Cleaned(paragraphs=paragraphs)
