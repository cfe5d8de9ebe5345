"""The watch profile's quality on the labelled set stays at or above its pins.

Figures come from tests/relevance_eval.py (``make eval`` prints them); pins live in
tests/relevance_baseline.json and only move up. The issue's targets: recall and precision
of the digest's selection ≥ 0.95 on at least 300 labelled articles.
"""

import importlib.util
import json
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def figures() -> dict[str, float]:
    spec = importlib.util.spec_from_file_location("relevance_eval", HERE / "relevance_eval.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.evaluate()


def test_every_figure_holds_its_pin(figures: dict[str, float]) -> None:
    pins = json.loads((HERE / "relevance_baseline.json").read_text("utf-8"))
    worse = {name: (figures[name], pin) for name, pin in pins.items() if figures[name] < pin - 1e-9}
    assert not worse, f"figures below their pins (now, pinned): {worse}"


def test_the_targets_of_the_issue(figures: dict[str, float]) -> None:
    assert figures["relevance_articles"] >= 300
    assert figures["relevance_recall"] >= 0.95
    assert figures["relevance_precision"] >= 0.95
