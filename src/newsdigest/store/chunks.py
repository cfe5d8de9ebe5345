"""Bound parameter lists: SQLite before 3.32 allows 999 bound parameters per statement."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

# Well under SQLite's oldest bound-parameter limit (999), with room for a few more parameters.
MAX_PARAMS = 900


def chunks(items: Sequence[T], size: int = MAX_PARAMS) -> list[Sequence[T]]:
    """``items`` in slices small enough for one ``IN (…)`` each."""
    return [items[i : i + size] for i in range(0, len(items), size)]
