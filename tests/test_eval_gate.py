"""The quality gate: every figure of tests/evaluation.py stays at or beyond its pin, over
exactly the corpus the pins were measured on.

Pins live in tests/eval_baseline.json and only ever move towards better; the corpus checksum
beside them changes only together with a deliberate change of the scored data.
"""

import importlib.util
import json
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def evaluation():
    spec = importlib.util.spec_from_file_location("newsdigest_eval", HERE / "evaluation.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, module.evaluate()


def _baseline() -> dict:
    return json.loads((HERE / "eval_baseline.json").read_text("utf-8"))


def test_every_figure_holds_its_pin(evaluation) -> None:
    module, figures = evaluation
    pins = _baseline()["pins"]
    assert set(pins) <= set(figures), "a pinned figure is no longer measured"
    worse = {
        name: (figures[name], pin)
        for name, pin in pins.items()
        if (figures[name] > pin + 1e-9 if name in module.LOWER_IS_BETTER else figures[name] < pin - 1e-9)
    }
    assert not worse, f"figures below their pins (now, pinned): {worse}"


def test_scored_corpus_is_the_pinned_one(evaluation) -> None:
    module, _ = evaluation
    assert module.corpus_checksum() == _baseline()["corpus_sha256"], (
        "the scored corpus changed: re-measure, then pin its new checksum with the figures"
    )


def test_gate_covers_every_corpus(evaluation) -> None:
    _, figures = evaluation
    assert figures["cwced_pages"] == 69 and figures["hplt_unnatural_total"] == 51 and figures["gold_pages"] == 116
    assert figures["linkfarm_chars_removed_pct"] >= 98
    assert figures["hplt_clean_chars_removed_pct"] <= 2
