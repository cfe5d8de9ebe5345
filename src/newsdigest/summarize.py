"""Extractive summary: the two or three sentences that carry the article's keywords.

Sentences are scored by the TF-IDF weights the tagger already computed (no second
tokenisation), with a bonus for the lead, and returned in their original order.
"""

from __future__ import annotations

import re

# A sentence ends at 。！？!? (and a closing quote right after it). The end is optional
# in the pattern and checked after the match: required, a run of text with no end
# (a 5 MB line) was scanned again from each of its characters, quadratic time.
_SENTENCE = re.compile(r"[^。！？!?]+(?P<end>[。！？!?]+[”’」』\"]?)?")
# "…。”某某相关负责人介绍。" — the attribution after a quote says nothing on its own.
_ATTRIBUTION = re.compile(r"^.{0,20}(?:介绍|表示|说|坦言|指出|告诉记者|感慨|笑道)(?:说|道)?[。!！]$")
MIN_CHARS = 15
MAX_CHARS = 200


def sentences(paragraphs: tuple[str, ...] | list[str]) -> list[str]:
    out = []
    for para in paragraphs:
        for found in _SENTENCE.finditer(para):
            if not found["end"]:
                continue  # trailing text without a sentence end
            sentence = found[0].strip()
            if len(sentence) >= MIN_CHARS and not _ATTRIBUTION.match(sentence):
                out.append(sentence)
    return out


def _score(sentence: str, weights: dict[str, float], position: int) -> float:
    hits = sum(w for k, w in weights.items() if k in sentence)
    lead = 1.5 if position == 0 else 1.0
    # Long sentences collect more keywords by length alone; damp that.
    return lead * hits / (len(sentence) ** 0.5)


def summarize(paragraphs: tuple[str, ...] | list[str], weights: dict[str, float], count: int = 3) -> str:
    """Two or three of the article's own sentences, in order, within MAX_CHARS."""
    candidates = sentences(paragraphs)
    if not candidates:
        return ""
    ranked = sorted(range(len(candidates)), key=lambda i: -_score(candidates[i], weights, i))
    chosen: list[int] = []
    total = 0
    for i in ranked:
        size = len(candidates[i])
        if len(chosen) >= count or (chosen and total + size > MAX_CHARS):
            continue
        chosen.append(i)
        total += size
    text = "".join(candidates[i] for i in sorted(chosen))
    return text if len(text) <= MAX_CHARS + 40 else text[:MAX_CHARS].rstrip("，,、；;") + "……"
