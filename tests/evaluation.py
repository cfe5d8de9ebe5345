"""Quality gate of the text stages over real third-party data in tests/data/.

    .venv/bin/python tests/evaluation.py      # prints the table (``make eval``)

``tests/test_eval_gate.py`` holds every figure to its pin in ``tests/eval_baseline.json``
(pins only move towards better) and the scored corpus to its checksum there: a changed
page or gold file is a deliberate, visible change of the baseline, never a silent one.

Corpora (see the PROVENANCE files beside them):
- html/cwced: 69 pages with human gold body / author / date.
  body F1 is bag-of-characters (order-blind multiset overlap of non-space characters)
  between our article bodies and the gold ``cleaned`` text, averaged over pages.
  date: our published date must equal the gold's Y-M-D (gold with only year or year-month
  is compared on those fields); gold UNKNOWN counts as right when we give no date.
  author: right when our first author (or, with none, the editor: the gold credits whoever
  the page names, often ``编辑：X``) is one of the gold names; gold UNKNOWN counts as right
  when we give none.  The page whose author/date files are empty and date files
  that hold no date (one holds a name) have no gold: they are left out of that figure.
- html/trafilatura/evaldata_zh_subset.json: share of "with" snippets present and of
  "without" snippets absent in our text.
- spam/hplt_zho_Hans_annotated: share of the clean snippets' characters removed, and how
  many of the unnatural snippets get something removed as spam.
- spam/pages_excerpts: share of link-farm characters removed (the lines holding ≥ 3 bars).
- html/gold_meta.json: human title and author gold for every page of html/ (see its ``how``
  and PROVENANCE).  title: ours equals the gold (or one of its ``title_alt``, given only in
  doubtful cases) with whitespace ignored; the 3 pages that show no headline (null) are not
  scored.  authors: the set of credited writers equals the gold's (or an ``authors_alt``);
  editors, photographers and organisations are not authors; an empty gold wants none.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import sys
from collections import Counter
from datetime import date
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from newsdigest import clean, decode, extract, meta, split  # noqa: E402
from newsdigest.models import Meta  # noqa: E402

DATA = ROOT / "tests" / "data"
BASELINE = ROOT / "tests" / "eval_baseline.json"
GOLD = DATA / "html" / "gold_meta.json"
# Every file the figures are computed from: their checksum is pinned beside the figures.
CORPUS = (DATA / "html", DATA / "spam" / "hplt_zho_Hans_annotated", DATA / "spam" / "pages_excerpts")
_SPACE = re.compile(r"\s+")
_GOLD_DATE = re.compile(r"^((?:19|20)\d\d)(?:-(\d{1,2}))?(?:-(\d{1,2}))?")
# Figures where smaller is better; every other figure is better when larger.
LOWER_IS_BETTER = frozenset({"hplt_clean_chars_removed_pct"})


def articles(text: str, hints: Meta) -> list[tuple[Meta, tuple[str, ...]]]:
    page = clean.clean(text)
    return [meta.finalize(piece, page.meta, hints) for piece in split.split(page)]


@cache
def extracted(relative: str, url: str | None = None) -> tuple[list[tuple[Meta, tuple[str, ...]]], Meta]:
    """The articles of one page of ``html/`` (and the HTML metadata), computed once per run."""
    try:
        html = decode.decode((DATA / "html" / relative).read_bytes(), None, None)
    except decode.DecodeError:  # the pipeline rejects it: scored as an empty result
        return [], Meta()
    text, hints = extract.html_to_text(html, url)
    return articles(text, hints), hints


def corpus_checksum() -> str:
    """sha256 over the path and bytes of every file of the scored corpora."""
    digest = hashlib.sha256()
    for path in sorted(p for base in CORPUS for p in base.rglob("*") if p.is_file()):
        digest.update(f"{path.relative_to(DATA).as_posix()}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def char_f1(ours: str, gold: str) -> float:
    a, b = Counter(_SPACE.sub("", ours)), Counter(_SPACE.sub("", gold))
    common = sum((a & b).values())
    if not a or not b:
        return float(a == b)
    p, r = common / sum(a.values()), common / sum(b.values())
    return 0.0 if common == 0 else 2 * p * r / (p + r)


def _date_right(ours: date | None, gold: str) -> bool | None:
    gold = gold.strip()
    if gold.upper() in ("UNKNOWN", "UNKNWON"):
        return ours is None
    g = _GOLD_DATE.match(gold)
    if not g:
        return None  # no gold date (empty file, or a name in the date file)
    want = [int(x) for x in g.groups() if x]
    return ours is not None and [ours.year, ours.month, ours.day][: len(want)] == want


def _author_right(ours: tuple[str, ...], gold: str) -> bool | None:
    gold = gold.strip()
    if not gold:
        return None
    if gold.upper() in ("UNKNOWN", "UNKNWON"):
        return not ours
    names = set(re.split(r"[\s、,，]+", gold))
    return bool(ours) and ours[0] in names


def cwced() -> dict[str, float]:
    base = DATA / "html" / "cwced"
    f1s, dates, authors = [], [], []
    for page in sorted((base / "original").glob("*.html")):
        stem = page.stem
        found, hints = extracted(page.relative_to(DATA / "html").as_posix())
        body = "\n".join("\n".join(b) for _, b in found)
        info = found[0][0] if found else hints
        f1s.append(char_f1(body, (base / "cleaned" / f"{stem}.txt").read_text("utf-8", "replace")))
        d = _date_right(info.published, (base / "date" / f"{stem}.txt").read_text("utf-8", "replace"))
        a = _author_right(
            info.authors or ((info.editor,) if info.editor else ()),
            (base / "author" / f"{stem}.txt").read_text("utf-8", "replace"),
        )
        dates += [] if d is None else [d]
        authors += [] if a is None else [a]
    return {
        "cwced_body_char_f1": sum(f1s) / len(f1s),
        "cwced_date_accuracy": sum(dates) / len(dates),
        "cwced_author_accuracy": sum(authors) / len(authors),
        "cwced_pages": len(f1s),
    }


def trafilatura_subset() -> dict[str, float]:
    cases = _trafilatura_cases()
    with_ok = with_n = without_ok = without_n = 0
    for url, case in cases.items():
        found, _ = extracted(f"trafilatura/{case['file']}", url)
        body = "\n".join("\n".join(b) for _, b in found)
        with_n += len(case.get("with", []))
        with_ok += sum(s in body for s in case.get("with", []))
        without_n += len(case.get("without", []))
        without_ok += sum(s not in body for s in case.get("without", []))
    return {
        "trafilatura_with_share": with_ok / max(with_n, 1),
        "trafilatura_without_share": without_ok / max(without_n, 1),
    }


def hplt() -> dict[str, float]:
    path = DATA / "spam" / "hplt_zho_Hans_annotated" / "zho_Hans_batch0.tsv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))[1:]
    clean_total = clean_removed = flagged = unnatural = 0
    for row in rows:
        text = row[3]
        kept = "".join(clean.clean(text).paragraphs)
        gone = max(0, len(_SPACE.sub("", text)) - len(_SPACE.sub("", kept)))
        if row[1].strip() == "1":
            unnatural += 1
            flagged += any(r.kind == "spam" for r in clean.clean(text).removed)
        else:
            clean_total += len(_SPACE.sub("", text))
            clean_removed += gone
    return {
        "hplt_clean_chars_removed_pct": 100 * clean_removed / clean_total,
        "hplt_unnatural_flagged": flagged,
        "hplt_unnatural_total": unnatural,
    }


def link_farms() -> dict[str, float]:
    total = removed = 0
    for path in sorted((DATA / "spam" / "pages_excerpts").glob("*.txt")):
        text = path.read_text("utf-8")
        farm = [line for line in text.splitlines() if line.count("|") >= 3]
        kept = "\n".join(clean.clean(text).paragraphs)
        for line in farm:
            cells = [c.strip() for c in line.split("|") if c.strip()]
            total += sum(map(len, cells))
            removed += sum(len(c) for c in cells if c not in kept)
    return {"linkfarm_chars_removed_pct": 100 * removed / max(total, 1)}


def _squeeze(text: str | None) -> str:
    return _SPACE.sub("", text or "")


def gold_meta() -> dict[str, float]:
    """Title and author accuracy against the human gold of every page (none without the file)."""
    if not GOLD.exists():
        return {}
    pages = json.loads(GOLD.read_text("utf-8"))["pages"]
    urls = {f"trafilatura/{c['file']}": u for u, c in _trafilatura_cases().items()}
    titles, authors = [], []
    for relative, gold in sorted(pages.items()):
        title, names = _gold_misses(relative, gold, urls.get(relative))
        titles += [] if title is None else [not title]
        authors += [] if names is None else [not names]
    return {
        "gold_title_accuracy": sum(titles) / max(len(titles), 1),
        "gold_author_accuracy": sum(authors) / max(len(authors), 1),
        "gold_pages": len(pages),
    }


def _gold_misses(relative: str, gold: dict, url: str | None) -> tuple[str | None, str | None]:
    """What we got wrong on one page (title, authors): '' when right, None when there is no gold."""
    found, hints = extracted(relative, url)
    info = found[0][0] if found else hints
    title = names = None
    if gold.get("title"):  # a page that shows no headline (null) is not scored
        titles = {_squeeze(t) for t in (gold["title"], *gold.get("title_alt", ()))}
        title = "" if _squeeze(info.title) in titles else f"{info.title!r} ≠ {gold['title']!r}"
    if gold.get("authors") is not None:
        ours = {_squeeze(a) for a in info.authors}
        wanted = [{_squeeze(a) for a in names} for names in (gold["authors"], *gold.get("authors_alt", ()))]
        names = "" if ours in wanted else f"{sorted(ours)} ≠ {sorted(wanted[0])}"
    return title, names


def print_misses() -> None:
    """Every page whose title or authors differ from the gold (``tests/evaluation.py --misses``)."""
    pages = json.loads(GOLD.read_text("utf-8"))["pages"]
    urls = {f"trafilatura/{c['file']}": u for u, c in _trafilatura_cases().items()}
    for relative, gold in sorted(pages.items()):
        for what, miss in zip(("title", "authors"), _gold_misses(relative, gold, urls.get(relative)), strict=True):
            if miss:
                print(f"{relative}\t{what}\t{miss}")


def _trafilatura_cases() -> dict[str, dict]:
    return json.loads((DATA / "html" / "trafilatura" / "evaldata_zh_subset.json").read_text("utf-8"))


def evaluate() -> dict[str, float]:
    return {**cwced(), **trafilatura_subset(), **gold_meta(), **hplt(), **link_farms()}


def main() -> None:
    figures = evaluate()
    baseline = json.loads(BASELINE.read_text("utf-8"))
    pins = baseline["pins"]
    print(f"{'figure':34} {'value':>9} {'pinned':>9}  better")
    for name, value in figures.items():
        pin = pins.get(name)
        direction = "lower" if name in LOWER_IS_BETTER else "higher"
        print(f"{name:34} {value:9.3f} {'' if pin is None else format(pin, '9.3f'):>9}  {direction}")
    checksum = corpus_checksum()
    same = "matches the pin" if checksum == baseline["corpus_sha256"] else "DIFFERS from the pin"
    print(f"corpus sha256 {checksum} ({same})")


if __name__ == "__main__":
    print_misses() if "--misses" in sys.argv else main()
