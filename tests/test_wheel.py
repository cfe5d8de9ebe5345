"""The package installs anywhere: a wheel built from this repository, installed into a fresh
virtualenv outside it, runs the weekly flow on a folder outside it and renders the digest.

The new virtualenv gets the wheel alone (no dependencies, no network); a path file lets it see
the test virtualenv's installed libraries, but not the repository's sources (the editable
install's own path file is not processed from there), so the code that runs is the wheel's.
The flow reports to the session's Prefect harness instead of starting a server of its own.
"""

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, SEEDS

pytestmark = [pytest.mark.wheel, pytest.mark.prefect]


def _run(*args: str | Path, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=300, **kwargs)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    # Building without isolation needs the build backend at hand; the dev extra installs it,
    # so `make test` always builds. Offline: nothing is fetched.
    pytest.importorskip("hatchling", reason="building the wheel needs hatchling (in the dev extra)")
    out = tmp_path_factory.mktemp("wheel")
    _run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index", "-w", out, ROOT)
    [built] = out.glob("newsdigest-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh virtualenv outside the repository with the wheel installed; returns its bin folder."""
    env_dir = tmp_path_factory.mktemp("venv")
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site = _run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))").stdout.strip()
    # A bare path line (not `import site; site.addsitedir`): the test venv's path files,
    # among them the editable install pointing at src/, stay unprocessed.
    (Path(site) / "test_venv_libraries.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    _run(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index", wheel)
    return env_dir / "bin"


def test_wheel_has_no_top_level_flows_package(wheel) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"newsdigest", wheel.name.split("-py")[0] + ".dist-info"}
    assert "newsdigest/templates/digest.html.j2" in names
    assert "newsdigest/data/userdict.txt" in names


def test_installed_wheel_runs_the_weekly_flow_outside_the_repo(installed, prefect_harness, tmp_path) -> None:
    from prefect.settings import PREFECT_API_URL

    folder = tmp_path / "monitor"
    shutil.copytree(SEEDS, folder / "seeds")
    shutil.copy(ROOT / "newsdigest.toml", folder / "newsdigest.toml")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PREFECT_API_URL": PREFECT_API_URL.value()}

    where = _run(installed / "python", "-c", "import newsdigest; print(newsdigest.__file__)", cwd=folder, env=env)
    assert Path(where.stdout.strip()).is_relative_to(installed.parent), where.stdout
    result = _run(installed / "newsdigest", "run", "--dry-run", cwd=folder, env=env)

    [html] = (folder / "state" / "digests").glob("*-W*.html")
    assert "ingested 8 new articles" in result.stdout
    assert "金华市技师学院" in html.read_text(encoding="utf-8")
    assert list((folder / "state" / "outbox").glob("*.eml"))
