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


@pytest.mark.prefect
def test_ingest_on_a_local_dask_cluster_stores_what_threads_store(prefect_harness, tmp_path, monkeypatch) -> None:
    """300 synthetic documents with reprints (scripts/synth.py): two local Dask workers, with
    their larger batches, store the same articles grouped in the same stories as threads."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(ROOT / "scripts"))
    import synth

    from newsdigest import store
    from newsdigest.flows.ingest import ingest_flow

    folder = tmp_path / "drop"
    folder.mkdir()
    for doc in synth.corpus(300, seed=3):
        (folder / f"{doc.name}.txt").write_text(doc.text(), encoding="utf-8")

    def stories(kind: str) -> list[list[str]]:
        monkeypatch.setenv("NEWSDIGEST_RUNNER_KIND", kind)
        state = tmp_path / kind
        summary = ingest_flow(config_file=str(ROOT / "newsdigest.toml"), state_dir=str(state), paths=[str(folder)])
        assert summary["articles_new"] >= 300
        groups: dict[str, list[str]] = {}
        for a in store.load_articles(store.connect(config.load(ROOT / "newsdigest.toml", state).store_url)):
            groups.setdefault(a.story, []).append(f"{Path(a.origin).name}#{a.part}")
        return sorted(sorted(g) for g in groups.values())

    threads = stories("thread")
    assert any(len(g) > 1 for g in threads)  # the reprints were grouped
    monkeypatch.setattr(runner, "TASKS_PER_WORKER", 1)  # batches of 200 at this size, as 20,000 get 500
    assert runner.batch_size(_cfg(kind="dask"), 2, 300) == 200
    assert stories("dask") == threads
