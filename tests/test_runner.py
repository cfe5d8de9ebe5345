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


def test_batches_are_larger_on_dask_and_always_whole_save_batches() -> None:
    """A Dask task run costs far more than a thread's, so Dask gets fewer, larger batches —
    still several per worker, and whole save batches, so stories do not depend on the runner."""
    from newsdigest import pipeline

    assert runner.batch_size(_cfg(), 1, 20_000) == pipeline.BATCH
    dask = _cfg(kind="dask")
    sizes = {n: runner.batch_size(dask, 2, n) for n in (50, 2_000, 5_000, 20_000, 200_000)}
    assert sizes == {50: 100, 2_000: 200, 5_000: 400, 20_000: 500, 200_000: 500}
    assert all(size % pipeline.BATCH == 0 for size in sizes.values())
