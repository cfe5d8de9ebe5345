"""What relevance and entity extraction cost, next to tokenising the same text.

    .venv/bin/python scripts/bench_relevance.py

Over the labelled set of tests/data/relevance (323 articles): time of ``relevance.score``
on every article, of ``entities.extract`` (jieba.posseg + rules) on the relevant ones (what
the pipeline does) and on all of them, and of ``tag.tokenize`` on the same texts, measured
side by side in one run (these machines are noisy: compare the ratios).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from relevance_eval import labelled, profile  # noqa: E402

from newsdigest import entities, relevance, tag  # noqa: E402


def _time(fn, items) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    for item in items:
        fn(item)
    return time.perf_counter() - start


def main() -> None:
    items = list(labelled())
    prof = profile()
    entities.extract("", "预热")  # load jieba and the dictionaries before timing
    chars = sum(len(i["title"]) + len(i["body"]) for i in items)
    kept = [i for i in items if relevance.score(prof, i["title"], i["body"]).relevant]
    kept_chars = sum(len(i["title"]) + len(i["body"]) for i in kept)
    t_tok = _time(lambda i: tag.tokenize(i["title"] + "\n" + i["body"]), items)
    t_rel = _time(lambda i: relevance.score(prof, i["title"], i["body"]), items)
    t_ent_kept = _time(lambda i: entities.extract(i["title"], i["body"]), kept)
    t_ent_all = _time(lambda i: entities.extract(i["title"], i["body"]), items)
    print(f"{len(items)} articles, {chars:,} characters; {len(kept)} relevant, {kept_chars:,} characters")
    print(f"tag.tokenize, all:          {t_tok:6.2f} s  ({chars / t_tok / 1000:,.0f}k chars/s)")
    print(f"relevance.score, all:       {t_rel:6.2f} s  ({t_rel / t_tok:.2f} x tokenize)")
    print(f"entities.extract, relevant: {t_ent_kept:6.2f} s  ({t_ent_kept / t_tok:.2f} x tokenize of all)")
    print(f"entities.extract, all:      {t_ent_all:6.2f} s  ({t_ent_all / t_tok:.2f} x tokenize of all)")


if __name__ == "__main__":
    main()
