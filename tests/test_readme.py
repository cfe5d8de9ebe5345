"""The README stays true: every command it shows exists (in the style of sqlite-utils' doc tests)."""

import re

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
