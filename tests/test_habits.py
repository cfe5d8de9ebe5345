"""Project habits that are easy to let drift: the pre-commit hook formats with the ruff
`make lint` uses, and every pin in pyproject.toml says why beside it."""

import itertools
import re
import tomllib

from conftest import ROOT

PYPROJECT = (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def test_pre_commit_uses_the_pinned_ruff() -> None:
    pinned = next(
        d for d in tomllib.loads(PYPROJECT)["project"]["optional-dependencies"]["dev"] if d.startswith("ruff")
    )
    hook = (ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    assert "https://github.com/astral-sh/ruff-pre-commit" in hook
    assert re.search(r"rev: v(\S+)", hook).group(1) == pinned.removeprefix("ruff==")
    assert "id: ruff-check" in hook and "id: ruff-format" in hook


def test_every_pin_has_a_reason_beside_it() -> None:
    """Each line that names a versioned requirement comes right after a comment (its reason)."""
    lines = PYPROJECT.splitlines()
    requirement = re.compile(r'"[A-Za-z][\w.\-]*(\[[\w,]+\])?\s*(==|>=|<=|~=|!=|<|>)')
    unexplained = [
        line.strip()
        for before, line in itertools.pairwise(lines)
        if requirement.search(line) and not before.strip().startswith("#")
    ]
    assert unexplained == []
