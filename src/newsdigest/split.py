"""Split a print page holding several articles into one piece per article.

``clean`` keeps the bare-name bylines of a print page (``李晟瞳 戴斌``) as paragraphs
only when the page holds at least two ``title / byline`` pairs; each such pair starts
an article here.  A page banner (``深化产教融合 赋能区域经济``) on its own line or glued
before the first title is no article: it is recorded as removed, kind ``banner``.
"""

from __future__ import annotations

import re

from newsdigest import meta as m
from newsdigest.models import Cleaned, Meta, Removed, RemovedKind

# Two parallel phrases of equal length, the usual shape of a page banner.
_BANNER = re.compile(r"^(\S{4,8}) (\S{4,8}) (?=\S)")
_TITLE_MAX = 60


def split(page: Cleaned) -> list[Cleaned]:
    """Pieces of a page; each piece's ``meta`` holds what its own title/byline said."""
    paras = page.paragraphs
    starts = [i for i in range(len(paras) - 2) if _is_title(paras[i]) and m.print_article_start(*paras[i : i + 3])]
    if len(starts) < 2:
        return [page]
    pieces: list[Cleaned] = []
    removed = [Removed(RemovedKind.BANNER, p) for p in paras[: starts[0]]]
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(paras)
        title = paras[start]
        if n == 0 and (banner := _BANNER.match(title)) and len(banner.group(1)) == len(banner.group(2)):
            removed.append(Removed(RemovedKind.BANNER, banner.group(0).strip()))
            title = title[banner.end() :]
        info = Meta(title=title, authors=_byline(paras[start + 1]) or ())
        pieces.append(Cleaned(paragraphs=paras[start + 2 : end], removed=tuple(removed), meta=info))
        removed = []
    return pieces


def _is_title(text: str) -> bool:
    """Short, and not ending a sentence; a closing quote ends a title that opened it
    (``订单班里的“未出校门先上岗”``), not a quoted sentence."""
    if text.endswith("”") and "“" in text and not _SENTENCE_MARK.search(text):
        return len(text) <= _TITLE_MAX
    return len(text) <= _TITLE_MAX and not text.endswith(("。", "！", "？", "!", "?", "；", "”"))


_SENTENCE_MARK = re.compile(r"[。！？!?；]")


def _byline(text: str) -> tuple[str, ...] | None:
    return m.print_byline(text)
