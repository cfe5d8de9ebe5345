"""The compact tables are jieba's own, entry for entry, and share their strings."""

from __future__ import annotations

import subprocess
import sys

from newsdigest import lexicon


def _jiebas_tables() -> tuple[dict, int, dict, dict, float, set]:
    """What jieba itself loads (in a fresh process: here jieba.dt holds the compact table)."""
    code = (
        "import marshal, sys, jieba, jieba.posseg, jieba.analyse\n"
        "jieba.setLogLevel(60)\n"
        "freq, total = jieba.Tokenizer.gen_pfdict(jieba.dt.get_dict_file())\n"
        "t = jieba.analyse.default_tfidf\n"
        "sys.stdout.buffer.write(marshal.dumps((freq, total, jieba.posseg.dt.word_tag_tab, t.idf_freq,"
        " t.median_idf, set(t.STOP_WORDS))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, timeout=300)
    import marshal

    return marshal.loads(done.stdout)


def test_the_tables_are_jiebas_and_share_their_strings() -> None:
    freq, total, tags, idf, median, stop = _jiebas_tables()
    built = lexicon.build()
    assert built.freq == freq and built.total == total
    assert built.tags == tags
    assert built.idf == idf and built.median_idf == median
    assert stop == lexicon.STOP_WORDS
    # One string per word: a tag's key is the prefix dictionary's key (ids of the keys).
    keys = {id(k) for k in built.freq}
    assert sum(id(k) in keys for k in built.tags) / len(built.tags) > 0.99
    assert len({id(v) for v in built.tags.values()}) == len(set(built.tags.values()))


def test_load_installs_the_prefix_dictionary_into_jieba_and_caches_it(tmp_path, monkeypatch) -> None:
    import jieba

    loaded = lexicon.load()
    assert jieba.dt.FREQ is loaded.freq and jieba.dt.initialized
    monkeypatch.setattr(jieba.dt, "tmp_dir", str(tmp_path))
    path = lexicon._cache_path(*lexicon._files())
    assert path.parent == tmp_path
    lexicon._write(path, lexicon.build())
    again = lexicon._read(path)
    assert again is not None and again.tags == loaded.tags and again.idf == loaded.idf
    assert not list(tmp_path.glob("*.tmp"))
