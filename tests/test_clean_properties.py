"""Properties of the cleaner over generated text."""

from hypothesis import given, settings
from hypothesis import strategies as st

from newsdigest.clean import clean

CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF)
PUNCT = st.sampled_from([*list("，。、；：？！“”（）|｜丨 /:,.()-"), "\n", "\u3000"])
TEXT = st.text(st.one_of(CJK, PUNCT, st.characters(codec="utf-8")), max_size=400)
DOCS = st.lists(st.text(st.one_of(CJK, CJK, CJK, PUNCT, st.sampled_from("0123456789abc")), max_size=120), max_size=12)


@settings(max_examples=150, deadline=None)
@given(TEXT)
def test_never_raises_and_kinds_are_set(text) -> None:
    result = clean(text)
    assert all(r.kind for r in result.removed)
    assert all(p == p.strip() and p for p in result.paragraphs)


@settings(max_examples=150, deadline=None)
@given(DOCS)
def test_idempotent(lines) -> None:
    first = clean("\n".join(lines))
    assert clean("\n".join(first.paragraphs)).paragraphs == first.paragraphs


# Ordinary prose: sentences of 10-40 CJK characters with commas, each ending in 。
SENTENCE = st.builds(
    lambda a, b: a + "，" + b + "。", st.text(CJK, min_size=6, max_size=20), st.text(CJK, min_size=6, max_size=20)
)
PARAGRAPH = st.lists(SENTENCE, min_size=2, max_size=5).map("".join)


@settings(max_examples=150, deadline=None)
@given(st.lists(PARAGRAPH, min_size=1, max_size=6, unique=True))
def test_prose_paragraphs_are_never_removed(paragraphs) -> None:
    result = clean("\n".join(paragraphs))
    kept = "".join(result.paragraphs)
    for para in paragraphs:
        assert para[:12] in kept
