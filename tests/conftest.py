"""Shared fixtures. Prefect runs quiet and offline, against one temporary server per session."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

_PREFECT_HOME = tempfile.mkdtemp(prefix="newsdigest-prefect-")
for key, value in {
    "PREFECT_HOME": _PREFECT_HOME,
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL",
}.items():
    os.environ[key] = value
for key in [k for k in os.environ if k.startswith("NEWSDIGEST_")]:
    del os.environ[key]

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect server for every flow test in the session (~10 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def state(tmp_path: Path) -> Path:
    path = tmp_path / "state"
    path.mkdir()
    return path


@pytest.fixture
def cfg(state: Path):
    """The project's own newsdigest.toml, with state in a temporary folder."""
    from newsdigest import config

    return config.load(ROOT / "newsdigest.toml", state, env={})


@pytest.fixture
def engine(cfg):
    from newsdigest import store

    return store.connect(cfg.store_url)
