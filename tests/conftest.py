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


# PostgreSQL tests run against a real server started here. Locally they skip when the
# server binaries or the driver are missing; in CI (CI=true, as .ci/run runs) they must run.
_IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _postgres_missing() -> str | None:
    import importlib.util

    from pgserver import find_bindir

    if importlib.util.find_spec("psycopg") is None:
        return "psycopg is not installed (pip install -e '.[postgres]')"
    if find_bindir() is None:
        return "PostgreSQL server binaries not found (apt-get install postgresql)"
    return None


@pytest.fixture(scope="session")
def pg_server():
    """One PostgreSQL server for the session (~2 s to start), in a temporary folder."""
    from pgserver import PostgresServer, find_bindir

    missing = _postgres_missing()
    if missing:
        if _IN_CI:
            pytest.fail(f"CI must run the PostgreSQL tests: {missing}")
        pytest.skip(missing)
    with PostgresServer(find_bindir()) as server:
        yield server


@pytest.fixture
def pg_url(pg_server, request) -> str:
    """A fresh empty database on the session's server, named after the test."""
    import re

    name = re.sub(r"\W", "_", request.node.name)[:40].lower() + f"_{os.getpid()}_{id(request)}"
    return pg_server.create_database(name[:63])


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, state: Path) -> str:
    """Each store the project supports: SQLite in the test's state folder, and PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{state / 'newsdigest.db'}"
    return request.getfixturevalue("pg_url")
