"""[runner] in newsdigest.toml (or NEWSDIGEST_RUNNER_*) picks where documents are processed."""

import pytest
from conftest import ROOT

from newsdigest import config
from newsdigest.config import ConfigError
from newsdigest.flows import runner


def _cfg(**env):
    return config.load(
        ROOT / "newsdigest.toml", None, env={f"NEWSDIGEST_RUNNER_{k.upper()}": v for k, v in env.items()}
    )


def test_threads_by_default_and_dask_by_setting() -> None:
    assert runner.settings(_cfg()) == ("thread", 2, "")
    assert runner.describe(_cfg()) == "thread pool"
    assert runner.describe(_cfg(kind="dask", workers="3")) == "local Dask cluster of 3 workers"
    remote = _cfg(kind="dask", address="tcp://10.0.0.5:8786")
    assert runner.describe(remote) == "Dask scheduler tcp://10.0.0.5:8786"
    from prefect_dask import DaskTaskRunner

    made = runner.task_runner(remote)
    assert isinstance(made, DaskTaskRunner) and made.address == "tcp://10.0.0.5:8786"


@pytest.mark.parametrize(("env", "message"), [({"kind": "spark"}, "thread or dask"), ({"workers": "0"}, "at least 1")])
def test_a_bad_runner_setting_is_a_one_line_error(env, message) -> None:
    with pytest.raises(ConfigError, match=message):
        runner.settings(_cfg(**env))
