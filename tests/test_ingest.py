"""Ingest through the plain pipeline functions: idempotent, and bad input never stops a run."""

import shutil
from pathlib import Path

from conftest import SEEDS

from newsdigest import pipeline, sources, store


def _ingest(cfg, engine, paths):
    docs, rejected = sources.collect(cfg, engine, [str(p) for p in paths])
    return pipeline.ingest(engine, pipeline.Settings.from_config(cfg), docs, rejected)


def test_second_ingest_adds_nothing(cfg, engine) -> None:
    first = _ingest(cfg, engine, [SEEDS])
    assert first.documents_in == 5 and first.articles_new >= 5 and not first.rejected
    before = store.load_articles(engine)
    second = _ingest(cfg, engine, [SEEDS])
    assert second.articles_new == 0 and second.already_known == 5
    assert store.load_articles(engine) == before


def test_bad_files_are_rejected_with_reasons_and_good_ones_kept(cfg, engine, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    shutil.copy(SEEDS / "002_c5d23d0c87816259.txt", folder / "good.txt")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blank.txt").write_bytes(b"\n \n\t")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 20)
    (folder / "garbage.txt").write_bytes(("金华".encode() + b"\xff\xfe\xfa") * 400)
    report = _ingest(cfg, engine, [folder, tmp_path / "missing.txt"])
    reasons = {Path(r.origin).name: r.reason for r in report.rejected}
    assert reasons == {
        "empty.txt": "empty file",
        "blank.txt": "blank file",
        "binary.txt": "binary data, not text",
        "garbage.txt": reasons["garbage.txt"],
        "missing.txt": "no such file or folder",
    }
    assert "\n" not in "".join(reasons.values())
    assert [a.origin for a in store.load_articles(engine)] == [str(folder / "good.txt")]
    assert {r["reason"] for r in store.load_rejects(engine)} == set(reasons.values())


def test_exact_reprint_under_another_name_joins_the_story(cfg, engine, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    text = (SEEDS / "002_c5d23d0c87816259.txt").read_text(encoding="utf-8")
    (folder / "a.txt").write_text(text, encoding="utf-8")
    (folder / "b.txt").write_text(text.replace(",", "，"), encoding="gb18030")
    report = _ingest(cfg, engine, [folder])
    stories = {a.story for a in store.load_articles(engine)}
    assert report.articles_new == 2 and report.duplicates == 1 and len(stories) == 1


def test_migrations_are_recorded_once(cfg) -> None:
    engine = store.connect(cfg.store_url)
    assert store.migrate(engine) == []


def test_drop_folder_reads_only_known_files_inside_it(cfg, engine, tmp_path: Path) -> None:
    from newsdigest import sources

    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.txt"
    secret.write_text("机密：系统口令文件的内容，不应进入周报。" * 5, encoding="utf-8")
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "ok.txt").write_text("校企合作共建产业学院，推动产教融合走深走实。" * 5, encoding="utf-8")
    (drop / "inside-link.txt").symlink_to(drop / "ok.txt")
    (drop / "leak.txt").symlink_to(secret)
    (drop / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    (drop / "sub").symlink_to(outside, target_is_directory=True)
    docs, rejected = sources.read_paths([drop])
    assert sorted(Path(d.origin).name for d in docs) == ["inside-link.txt", "ok.txt"] and rejected == []


def test_process_is_pure_and_its_values_travel_to_workers(cfg) -> None:
    """What Dask ships: the run's settings and each document's processed value, pickled. The
    processed article carries its tags, summary and fingerprint; no database was touched."""
    import pickle
    from dataclasses import FrozenInstanceError

    import pytest

    settings = pipeline.Settings.from_config(cfg)
    docs, _ = sources.read_paths([SEEDS])
    results = [pipeline.process(d, settings) for d in docs]
    assert not (cfg.state_dir / "newsdigest.db").exists()
    assert pickle.loads(pickle.dumps(settings)) == settings
    for res in results:
        back = pickle.loads(pickle.dumps(res))
        assert [p.id for p in back.articles] == [p.id for p in res.articles]
        for p in res.articles:
            assert p.tags.keywords and p.tags.summary and len(p.fingerprint.signature) == settings.dedupe.num_perm
    with pytest.raises(FrozenInstanceError):
        results[0].articles[0].tags = None  # type: ignore[misc]


def test_past_the_run_deadline_what_is_stored_stays_and_the_rest_waits_for_the_next_run(cfg, engine) -> None:
    import time

    from newsdigest import sources

    docs, rejected = sources.read_paths([SEEDS])
    settings = pipeline.Settings.from_config(cfg)
    cut = pipeline.ingest(engine, settings, docs, rejected, deadline=time.monotonic() - 1, batch_size=2)
    # the first batch is stored all the same (a run always makes progress), the rest waits
    assert cut.left == 3 and cut.as_dict()["left_for_next_run"].endswith(
        "3 documents not processed, left for the next run"
    )
    first = {a.origin for a in store.load_articles(engine)}
    assert len(first) == 2
    rest = pipeline.ingest(engine, settings, docs, rejected)
    assert rest.left == 0 and rest.already_known == 2 and "left_for_next_run" not in rest.as_dict()
    assert len({a.id for a in store.load_articles(engine)}) == 8 and first < {
        a.origin for a in store.load_articles(engine)
    }


def test_the_run_deadline_comes_from_the_run_section(cfg) -> None:
    assert pipeline.deadline_of(cfg) is None
    cfg.sections["run"]["deadline"] = 600
    assert pipeline.deadline_of(cfg) is not None and not pipeline.past(pipeline.deadline_of(cfg))
