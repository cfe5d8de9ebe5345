"""The command line, run as a user runs it (a subprocess of the installed console script)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, SEEDS

BIN = Path(sys.executable).parent / "newsdigest"


def newsdigest(state: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDIGEST_")}
    return subprocess.run(
        [str(BIN), "--state", str(state), "--config", str(ROOT / "newsdigest.toml"), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


def test_ingest_then_articles_json(state: Path) -> None:
    first = newsdigest(state, "ingest")
    assert first.returncode == 0, first.stderr
    again = newsdigest(state, "ingest")
    assert "new articles: 0" in again.stdout and "already known: 5" in again.stdout
    listed = json.loads(newsdigest(state, "articles", "--format", "json").stdout)
    keys = {
        "id",
        "origin",
        "title",
        "published",
        "first_seen",
        "source",
        "authors",
        "regions",
        "topics",
        "keywords",
        "summary",
        "story",
        "relevance",
        "relevant",
        "matched",
        "excluded",
        "in_scope",
        "entities",
    }
    assert listed["articles"] and all(set(a) == keys for a in listed["articles"])
    assert {Path(a["origin"]).parent for a in listed["articles"]} == {SEEDS}


def test_bad_inputs_give_one_line_reasons_and_exit_zero(state: Path, tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 4)
    result = newsdigest(state, "ingest", str(tmp_path), str(SEEDS / "002_c5d23d0c87816259.txt"))
    assert result.returncode == 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("rejected:")]
    assert sorted(lines) == sorted(
        [
            f"rejected: {tmp_path / 'binary.txt'}: binary data, not text",
            f"rejected: {tmp_path / 'empty.txt'}: empty file",
        ]
    )
    assert "new articles: 1" in result.stdout


def test_clean_json_lists_removed_blocks_with_their_kind(state: Path) -> None:
    result = newsdigest(state, "clean", str(SEEDS / "001_076cfd08422e3cfe.txt"), "--format", "json")
    assert result.returncode == 0, result.stderr
    [article] = json.loads(result.stdout)["articles"]
    assert set(article) == {"title", "published", "source", "authors", "body", "removed"}
    assert all(set(r) == {"kind", "text"} for r in article["removed"])
    assert not (state / "newsdigest.db").exists()  # clean touches no state


def test_errors_are_one_line_without_traceback(state: Path, tmp_path: Path) -> None:
    missing = newsdigest(state, "clean", str(tmp_path / "nope.txt"))
    assert (
        missing.returncode == 1 and missing.stderr.strip() == f"error: {tmp_path / 'nope.txt'}: no such file or folder"
    )
    bad = tmp_path / "bad.toml"
    bad.write_text("[digest\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDIGEST_")}
    result = subprocess.run([str(BIN), "--config", str(bad), "articles"], capture_output=True, text=True, env=env)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "not valid TOML" in result.stderr


def test_help_imports_no_heavy_module() -> None:
    """`newsdigest --help` stays quick: the stages, the store and Prefect load only in the commands."""
    heavy = ["sqlalchemy", "prefect", "jieba", "numpy", "trafilatura", "httpx", "jinja2", "newsdigest.pipeline"]
    code = "import sys; from newsdigest import cli; print(' '.join(m for m in sys.argv[1:] if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code, *heavy], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == []


def test_a_read_only_state_folder_is_one_clear_line(tmp_path: Path) -> None:
    import pytest

    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    state = tmp_path / "state"
    state.mkdir()
    state.chmod(0o555)
    try:
        done = newsdigest(state, "ingest", str(SEEDS))
    finally:
        state.chmod(0o755)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"the state folder {state} is read-only" in done.stderr and len(done.stderr.splitlines()) == 1


def test_a_state_path_that_is_a_file_is_one_clear_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    done = newsdigest(blocker / "state", "ingest", str(SEEDS))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "cannot create the state folder" in done.stderr and len(done.stderr.splitlines()) == 1
