"""Stories: reposts, excerpts and reprints join the earliest story; look-alikes stay apart.

The articles are two real articles from the seed print page (tests/data/dedupe/); reposts
are made from them the way sites do it: full-width punctuation, chrome lines, a cut, a
small edit. Assertions hold per document, whatever the splitter makes of it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from conftest import DATA, SEEDS

from newsdigest import dedupe, pipeline, store, stories
from newsdigest.models import Document, StoredArticle
from newsdigest.store import story_index

JINHUA = DATA / "dedupe" / "jinhua.txt"  # 金华市技师学院, 产教融合
HANGZHOU = DATA / "dedupe" / "hangzhou.txt"  # 杭州第一技师学院, 产教融合
WENZHOU = SEEDS / "001_076cfd08422e3cfe.txt"
DAY = datetime(2025, 6, 2, 8, 0)
_WIDE = str.maketrans({",": "，", ":": "：", ";": "；", "?": "？", "!": "！", "(": "（", ")": "）"})


def _paragraphs(path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _doc(name: str, text: str, site: str, published: date | None = None) -> Document:
    return Document(
        origin=f"drop/{name}.txt",
        data=text.encode("utf-8"),
        url=f"https://{site}/{name}.html",
        published_hint=published,
    )


def _repost(path) -> str:
    """Full-width punctuation, a breadcrumb on top and editor/share chrome at the end."""
    lines = [
        "当前位置：首页 > 要闻 > 正文",
        *(p.translate(_WIDE) for p in _paragraphs(path)),
        "（责任编辑：王小明）",
        "分享到：微信 微博 QQ空间",
    ]
    return "\n\n".join(lines)


def _excerpt(path) -> str:
    """Title, then the first two thirds of the body with a few words changed."""
    body = _paragraphs(path)[1:]
    cut = body[: len(body) * 2 // 3]
    cut[1] = cut[1].replace("金华市技师学院", "金华技师学院").replace("200余家", "两百余家")
    return "\n\n".join(["金华技师学院打造“金蓝领”摇篮", *cut])


def _ingest(cfg, engine, docs: list[Document], seen: datetime = DAY) -> pipeline.IngestReport:
    return pipeline.ingest(engine, pipeline.Settings.from_config(cfg), docs, seen=seen)


def _item(article_id: str, text: str, day: date, settings: dedupe.Settings) -> dedupe.Item:
    return dedupe.Item(article_id, dedupe.fingerprint(text, settings), day)


def _stories(engine) -> dict[str, set[str]]:
    """Document → the stories of its articles."""
    out: dict[str, set[str]] = {}
    for a in store.load_articles(engine):
        out.setdefault(a.origin, set()).add(a.story)
    return out


def test_repost_with_full_width_punctuation_and_chrome_joins_the_original(cfg, engine) -> None:
    report = _ingest(
        cfg,
        engine,
        [
            _doc("orig", JINHUA.read_text(encoding="utf-8"), "zjrb.zjol.com.cn"),
            _doc("repost", _repost(JINHUA), "www.jhnews.com.cn"),
        ],
    )
    got = _stories(engine)
    assert got["drop/repost.txt"] == got["drop/orig.txt"]
    assert report.duplicates == report.articles_new // 2


def test_width_whitespace_and_trailing_chrome_do_not_change_the_content_hash() -> None:
    text = "\n".join(_paragraphs(WENZHOU))
    variant = "\n\n  ".join(p.translate(_WIDE) for p in _paragraphs(WENZHOU)) + "\n责任编辑：李四\n扫一扫 关注我们"
    assert dedupe.content_hash(variant) == dedupe.content_hash(text)


def test_two_thirds_excerpt_with_a_small_edit_joins(cfg, engine) -> None:
    _ingest(
        cfg,
        engine,
        [
            _doc("orig", JINHUA.read_text(encoding="utf-8"), "zjrb.zjol.com.cn"),
            _doc("excerpt", _excerpt(JINHUA), "jhrb.jhnews.com.cn"),
        ],
    )
    got = _stories(engine)
    assert got["drop/excerpt.txt"] == got["drop/orig.txt"]


def test_two_colleges_on_the_same_theme_stay_apart(cfg, engine) -> None:
    settings = dedupe.Settings.from_config(cfg)
    a, b = (dedupe.fingerprint(p.read_text(encoding="utf-8"), settings) for p in (JINHUA, HANGZHOU))
    assert dedupe.similarity(a.signature, b.signature) < settings.threshold / 2
    _ingest(
        cfg,
        engine,
        [
            _doc("jinhua", JINHUA.read_text(encoding="utf-8"), "zjrb.zjol.com.cn"),
            _doc("hangzhou", HANGZHOU.read_text(encoding="utf-8"), "zjrb.zjol.com.cn"),
        ],
    )
    got = _stories(engine)
    assert not got["drop/jinhua.txt"] & got["drop/hangzhou.txt"]


def test_reprint_in_a_later_run_joins_the_earlier_story(cfg, engine) -> None:
    _ingest(cfg, engine, [_doc("orig", JINHUA.read_text(encoding="utf-8"), "zjrb.zjol.com.cn")])
    later = store.connect(cfg.store_url)  # a later run starts with a new story index
    report = _ingest(cfg, later, [_doc("reprint", _repost(JINHUA), "www.jhnews.com.cn")], seen=DAY + timedelta(days=7))
    got = _stories(later)
    assert got["drop/reprint.txt"] == got["drop/orig.txt"]
    assert report.duplicates == report.articles_new >= 1


def test_near_duplicate_in_a_later_run_joins_through_the_stored_signatures(cfg, engine) -> None:
    _ingest(
        cfg,
        engine,
        [
            _doc("orig", JINHUA.read_text(encoding="utf-8"), "zjrb.zjol.com.cn"),
            _doc("other", HANGZHOU.read_text(encoding="utf-8"), "zjrb.zjol.com.cn"),
        ],
    )
    report = _ingest(
        cfg, engine, [_doc("excerpt", _excerpt(JINHUA), "jhrb.jhnews.com.cn")], seen=DAY + timedelta(days=3)
    )
    got = _stories(engine)
    assert got["drop/excerpt.txt"] == got["drop/orig.txt"]
    assert report.duplicates == report.articles_new >= 1


def test_reprint_outside_the_window_starts_a_new_story(cfg, engine) -> None:
    _ingest(cfg, engine, [_doc("orig", JINHUA.read_text(encoding="utf-8"), "zjrb.zjol.com.cn")])
    window = int(cfg.get("dedupe", "window_days"))
    _ingest(cfg, engine, [_doc("old", _repost(JINHUA), "www.jhnews.com.cn")], seen=DAY + timedelta(days=window + 5))
    got = _stories(engine)
    assert not got["drop/old.txt"] & got["drop/orig.txt"]


def test_origin_is_the_earliest_published_even_when_ingested_later(cfg, engine) -> None:
    _ingest(cfg, engine, [_doc("reprint", _repost(JINHUA), "www.jhnews.com.cn", date(2025, 5, 28))])
    _ingest(
        cfg,
        engine,
        [
            _doc("orig", JINHUA.read_text(encoding="utf-8"), "zjrb.zjol.com.cn", date(2025, 5, 20)),
            _doc("excerpt", _excerpt(JINHUA), "jhrb.jhnews.com.cn", None),
        ],
        seen=DAY + timedelta(hours=1),
    )
    [story] = stories.group_stories(store.load_articles(engine))
    assert story.origin.origin == "drop/orig.txt"
    assert story.count == 3
    assert story.also == ("www.jhnews.com.cn", "jhrb.jhnews.com.cn")
    assert story.carried_by == "www.jhnews.com.cn, jhrb.jhnews.com.cn (2)"


def test_within_a_batch_the_earliest_published_starts_the_story(cfg, engine) -> None:
    _ingest(
        cfg,
        engine,
        [
            _doc("reprint", _repost(JINHUA), "www.jhnews.com.cn", date(2025, 5, 28)),
            _doc("orig", JINHUA.read_text(encoding="utf-8"), "zjrb.zjol.com.cn", date(2025, 5, 20)),
        ],
    )
    stored = store.load_articles(engine)
    origin_ids = {a.id for a in stored if a.origin == "drop/orig.txt"}
    assert {a.story for a in stored} <= origin_ids


def test_index_rows_are_written_once(cfg, engine) -> None:
    docs = [_doc("orig", JINHUA.read_text(encoding="utf-8"), "zjrb.zjol.com.cn")]
    _ingest(cfg, engine, docs)
    report = _ingest(cfg, engine, docs)
    with engine.connect() as conn:
        indexed = conn.execute(story_index.story_index.select()).all()
    assert report.already_known == 1 and len(indexed) == len(store.load_articles(engine))


@pytest.mark.parametrize("text", ["", "。，", "短"])
def test_texts_without_content_match_only_identical_text(text: str) -> None:
    settings = dedupe.Settings()
    items = [
        _item("a", text, date(2025, 1, 1), settings),
        _item("b", "完全不同的一段正文内容", date(2025, 1, 1), settings),
    ]
    entries = dedupe.match(items, [], settings)
    assert [e.story for e in entries] == ["a", "b"]


def test_group_stories_single_article_has_no_carried_by() -> None:
    art = StoredArticle(
        id="x",
        origin="o",
        part=0,
        title="t",
        body=("b",),
        published=None,
        first_seen=DAY,
        source=None,
        authors=(),
        regions=(),
        topics=(),
        keywords=(),
        summary="",
        story="x",
        url="https://news.example.cn/a/1.html",
    )
    [story] = stories.group_stories([art])
    assert story.carried_by == "" and story.count == 1 and stories.outlet(art) == "news.example.cn"


def test_index_finds_every_entry_sharing_a_band_key() -> None:
    settings = dedupe.Settings()
    text = "\n".join(_paragraphs(JINHUA))
    variants = [text, text.replace("金华市技师学院", "金华技师学院", 1), text.replace("200余家", "两百余家", 1)]
    stored = dedupe.Index(
        dedupe.match([_item(f"a{i}", t, date(2025, 5, 1 + i), settings) for i, t in enumerate(variants)], [], settings)
    )
    fp = dedupe.fingerprint(text.replace("6500", "六千五百", 1), settings)
    found = stored.matches(fp, date(2025, 5, 10), settings)
    assert sorted(e.article_id for e in found) == ["a0", "a1", "a2"]
    assert {e.story for e in found} == {"a0"}


def test_minhash_of_a_known_text_is_unchanged() -> None:
    """Signatures are stored and compared across runs: the hash family (numpy's draws from
    dedupe's seed) must not move with a library upgrade. pyproject's numpy pin points here."""
    signature = dedupe.minhash(dedupe.shingle_hashes("产教融合推动区域经济发展", 5), 4)
    assert signature.tolist() == [1335484483, 246298353, 707737478, 544570057]


def test_an_article_with_no_source_and_no_web_address_has_the_unknown_outlet_everywhere() -> None:
    known = StoredArticle(
        id="a",
        origin="drop/a.txt",
        part=0,
        title="t",
        body=("b",),
        published=None,
        first_seen=DAY,
        source="新华网",
        authors=(),
        regions=(),
        topics=(),
        keywords=(),
        summary="",
        story="a",
    )
    unknown = StoredArticle(**{**known.__dict__, "id": "b", "origin": "drop/b.txt", "source": None})
    [story] = stories.group_stories([known, unknown])
    assert stories.outlet(unknown) == stories.UNKNOWN_OUTLET == "来源不详"
    assert story.also == () and story.carried_by == ""  # only named outlets are listed


def test_a_long_text_is_hashed_window_by_window_to_the_same_signature(monkeypatch) -> None:
    settings = dedupe.Settings()
    normal = dedupe.normalize("产教融合推动区域经济高质量发展，校企合作共建产业学院。" * 40)
    monkeypatch.setattr(dedupe, "_WINDOW", 97)  # many windows, and every length around their edges
    for n in range(1, 400, 7):
        at_once = dedupe.minhash(dedupe.shingle_hashes(normal[:n], settings.shingle), settings.num_perm)
        assert (dedupe._text_minhash(normal[:n], settings.shingle, settings.num_perm) == at_once).all()
