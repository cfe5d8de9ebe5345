"""Quality of the watch profile on the labelled set in tests/data/relevance/.

    .venv/bin/python tests/relevance_eval.py            # the figures (part of ``make eval``)
    .venv/bin/python tests/relevance_eval.py --misses   # which articles are misjudged, with scores

Figures:
- relevance_precision / relevance_recall: the digest's selection (articles whose relevance
  under the default profile of newsdigest.toml reaches the threshold) against the labels.
- entity_precision: of the organisations and people extracted from the hand-checked sample
  (entities_checked.json: for each article, every name a reader confirmed as a real
  organisation or person named there), the share that was confirmed. A name extracted but
  not in the list counts as wrong until a person checks it.
``tests/test_relevance_gate.py`` holds the figures to their pins in relevance_baseline.json.
"""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from newsdigest import config, entities, relevance, tag  # noqa: E402

DATA = ROOT / "tests" / "data" / "relevance"
BASELINE = ROOT / "tests" / "relevance_baseline.json"


def synthetic(name: str, label: bool) -> list[dict]:
    """Blocks of ``## title`` + body lines from one of the synthetic files."""
    items, title, lines = [], None, []
    text = (DATA / name).read_text(encoding="utf-8")
    for line in [*text.splitlines(), "## "]:
        if line.startswith("## "):
            if title:
                body = "\n\n".join(s for s in lines if s.strip())
                items.append({"id": f"{name}#{len(items)}", "kind": "synthetic", "title": title, "body": body})
            title, lines = line[3:].strip(), []
        elif title is not None:
            lines.append(line)
    return [{**i, "relevant": label, "note": ""} for i in items]


@cache
def labelled() -> tuple[dict, ...]:
    with (DATA / "labelled.jsonl").open(encoding="utf-8") as fh:
        items = [json.loads(line) for line in fh if line.strip()]
    items += synthetic("synthetic_relevant.txt", True) + synthetic("synthetic_other.txt", False)
    items += synthetic("heldout_relevant.txt", True) + synthetic("heldout_other.txt", False)
    items += synthetic("heldout2_relevant.txt", True) + synthetic("heldout2_other.txt", False)
    items += synthetic("heldout3_relevant.txt", True) + synthetic("heldout3_other.txt", False)
    return tuple(items)


def profile() -> relevance.Profile:
    return relevance.Profile.from_dict(config.load(ROOT / "newsdigest.toml", env={}).profile)


def judged() -> list[tuple[dict, relevance.Relevance]]:
    prof = profile()
    out = []
    for item in labelled():
        regions = tag.tag(item["title"], item["body"], ()).regions if prof.regions else ()
        out.append((item, relevance.score(prof, item["title"], item["body"], regions)))
    return out


def _figures(results: list[tuple[dict, relevance.Relevance]], prefix: str) -> dict[str, float]:
    tp = sum(i["relevant"] and r.relevant for i, r in results)
    fp = sum(not i["relevant"] and r.relevant for i, r in results)
    fn = sum(i["relevant"] and not r.relevant for i, r in results)
    return {
        f"{prefix}_precision": tp / max(tp + fp, 1),
        f"{prefix}_recall": tp / max(tp + fn, 1),
        f"{prefix}_articles": len(results),
        f"{prefix}_relevant_articles": tp + fn,
    }


def selection_figures() -> dict[str, float]:
    """On the whole set, and on the held-out articles alone (written after the vocabulary was
    fixed, never used to tune it: the honest figure for articles the profile has not seen)."""
    results = judged()
    heldout = [(i, r) for i, r in results if i["id"].startswith("heldout3_")]
    return {**_figures(results, "relevance"), **_figures(heldout, "heldout")}


def entity_figures() -> dict[str, float]:
    checked = json.loads((DATA / "entities_checked.json").read_text(encoding="utf-8"))
    by_id = {i["id"]: i for i in labelled()}
    right = total = 0
    for key, names in checked["articles"].items():
        item = by_id[key]
        found = {e.name for e in entities.extract(item["title"], item["body"])}
        total += len(found)
        right += len(found & set(names))
    return {"entity_precision": right / max(total, 1), "entity_sample_names": total}


def evaluate() -> dict[str, float]:
    return {**selection_figures(), **entity_figures()}


def print_misses() -> None:
    for item, r in judged():
        if item["relevant"] != r.relevant:
            kind = "missed" if item["relevant"] else "wrongly kept"
            terms = ", ".join(f"{m.term}({m.where} {m.points:g})" for m in r.matched[:5])
            print(f"{kind}: {item['id']} 《{item['title'][:30]}》 score {r.score:g}: {terms}")
    checked = json.loads((DATA / "entities_checked.json").read_text(encoding="utf-8"))
    by_id = {i["id"]: i for i in labelled()}
    for key, names in checked["articles"].items():
        item = by_id[key]
        wrong = [e.name for e in entities.extract(item["title"], item["body"]) if e.name not in names]
        if wrong:
            print(f"entities not confirmed in {key}: {'、'.join(wrong)}")


def main() -> None:
    if "--misses" in sys.argv:
        print_misses()
        return
    figures = evaluate()
    pins = json.loads(BASELINE.read_text("utf-8"))
    print(f"{'figure':34} {'value':>9} {'pinned':>9}")
    for name, value in figures.items():
        pin = pins.get(name)
        print(f"{name:34} {value:9.3f} {'' if pin is None else format(pin, '9.3f'):>9}")


if __name__ == "__main__":
    main()
