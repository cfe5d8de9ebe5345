"""The README stays true: every command it shows exists (in the style of sqlite-utils' doc tests)."""

import re
import subprocess

from conftest import ROOT
from typer.testing import CliRunner

from newsdigest.cli import app

README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```sh\n(.*?)```", README, re.S)
COMMANDS = [line.split("#")[0].strip() for block in BLOCKS for line in block.splitlines() if line.strip()]


def test_quickstart_has_exactly_make_run_and_make_test() -> None:
    quickstart = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", quickstart, re.S).group(1)
    assert [line.split("#")[0].strip() for line in block.splitlines()] == ["make run", "make test"]


def test_every_make_target_shown_exists() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z-]+):", makefile, re.M))
    shown = {c.split()[1] for c in COMMANDS if c.startswith("make ")}
    assert shown and shown <= targets


def test_every_cli_command_shown_exists_and_takes_those_options() -> None:
    # In-process: each `--help` is the same click command the console script runs, without
    # starting an interpreter per command.
    runner = CliRunner()
    for command in (c for c in COMMANDS if c.startswith(".venv/bin/newsdigest")):
        words = command.split()[1:]
        sub = words[0]
        result = runner.invoke(app, [sub, "--help"], env={"COLUMNS": "200"})
        help_text = result.output
        assert result.exit_code == 0 and "Usage:" in help_text, command
        for option in (w for w in words if w.startswith("--")):
            assert option in help_text, f"{command}: {option} not in `{sub} --help`"


LAYOUT = README.split("## Layout", 1)[1].split("\n## ", 1)[0]
NAMED = set(re.findall(r"`([^`]+)`", LAYOUT))
PACKAGE = ROOT / "src" / "newsdigest"
MIGRATIONS = "store/migrations/mNNNN_*.py"


def test_layout_names_every_top_level_folder() -> None:
    """Every top-level folder the repository tracks (not .venv, build output or bench results)."""
    tracked = subprocess.run(["git", "ls-files"], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    folders = {line.split("/")[0] for line in tracked.splitlines() if "/" in line and not line.startswith(".")}
    named = {path.split("/")[0] for path in NAMED if "/" in path}
    assert folders - named == set()


def test_layout_names_every_module_and_only_modules_that_exist() -> None:
    """Module by module, both ways: each module under src/newsdigest/ is in the Layout's
    table (migrations by their pattern), and each module the table names exists."""
    modules = {
        p.relative_to(PACKAGE).as_posix()
        for p in PACKAGE.rglob("*.py")
        if p.name not in {"__init__.py", "__main__.py"} and p.parent.name != "migrations"
    }
    named = set(re.findall(r"^\| `([^`]+\.py)` \|", LAYOUT, re.M))  # the module table's first column
    assert modules - named == set(), "modules missing from the README's Layout"
    assert MIGRATIONS in named
    stale = {n for n in named - {MIGRATIONS} if not (PACKAGE / n).exists()}
    assert stale == set(), "the README's Layout names modules that do not exist"


FORBIDDEN = re.compile(
    r"^\s*(?:from newsdigest(?:\.store|\.config)\b|from newsdigest import [^\n]*\b(?:store|config)\b"
    r"|import prefect|from prefect\b)",
    re.M,
)


def test_stage_modules_import_no_store_config_or_prefect() -> None:
    """What the Layout says: a module of the processing half or of the output (the store's
    own modules aside) is plain functions over data; ``pipeline`` and ``publish`` compose them."""
    rows = re.findall(r"^\| `([^`/]+\.py)` \| [^|]+ \| ([^|]+) \|", LAYOUT, re.M)
    stages = {name for name, where in rows if where.strip().startswith(("processing half", "output"))}
    assert {"clean.py", "digest.py", "deliver.py"} <= stages
    offenders = {name for name in stages if FORBIDDEN.search((PACKAGE / name).read_text(encoding="utf-8"))}
    assert offenders == set()
