"""Bytes to text: each case names the encoding problem it stands for."""

import codecs

import pytest

from newsdigest.decode import DecodeError, decode

TEXT = "金华市技师学院打造“金蓝领”摇篮,培育高技能人才。"


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (TEXT.encode("utf-8"), "plain UTF-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "UTF-8 with BOM"),
        (TEXT.encode("gb18030"), "GB18030 without declaration"),
        (TEXT.encode("gbk"), "GBK read as GB18030"),
        (TEXT.encode("utf-16"), "UTF-16 with BOM"),
    ],
)
def test_decodes(data: bytes, why: str) -> None:
    assert decode(data) == TEXT, why


def test_utf16_without_bom_is_recognised_by_its_markup() -> None:
    xml = f"<?xml version='1.0'?><rss><title>{TEXT}</title></rss>"
    assert decode(xml.encode("utf-16-le")) == xml
    assert decode(xml.encode("utf-16-be")) == xml


def test_declared_gb2312_uses_gb18030_for_characters_outside_gb2312() -> None:
    text = "<html><head><meta charset='gb2312'></head><body>镕基 𠮷</body></html>"
    assert "镕基" in decode(text.encode("gb18030"))


def test_http_header_charset_wins_over_guessing() -> None:
    assert decode(TEXT.encode("big5", errors="ignore"), content_type="text/html; charset=big5")


@pytest.mark.parametrize(
    ("data", "reason"),
    [(b"", "empty file"), (b"  \n\t\n", "blank file"), (bytes(range(256)) * 8, "binary data, not text")],
)
def test_rejects_with_one_line_reason(data: bytes, reason: str) -> None:
    with pytest.raises(DecodeError) as err:
        decode(data)
    assert str(err.value) == reason
