"""Bytes to text: BOM, declared charsets, UTF-8, GB18030, UTF-16, then charset-normalizer.

GB2312 and GBK are subsets of GB18030, and pages that declare them often use
characters outside them, so they are always decoded as GB18030. A decoded text
that is mostly replacement characters or mojibake is rejected instead of stored.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_WIDEN = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "gb_2312-80": "gb18030",
    "big5": "big5hkscs",
    "ascii": "utf-8",
    "us-ascii": "utf-8",
}
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9._-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._-]+)", re.I)
# Control characters other than \t \n \f \r (one regex pass, not a Python loop per character).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")
# Typical UTF-8 read as Latin-1/CP1252 (Ã©, â€œ) or as GBK (鍙, 锛): the signs of a wrong codec.
_MOJIBAKE = re.compile(r"[ÃÂâ][\x80-\xbf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]|锟斤拷|[鍙鏂浣绗]\w?[锛銆]")


_LENIENT_SHARE = 0.005  # at most 1 broken byte in 200 characters when decoding leniently
_NUL_SHARE = 0.01  # a few NUL bytes (a copy or a tool's glitch) in good UTF-8 text are dropped
_REPEAT_MIN = 20_000  # characters from which a text is checked for being one article repeated
_REPEAT_PROBE = 200  # characters of the text's start looked for again to find the period


class DecodeError(ValueError):
    """The bytes are not usable text; ``str(err)`` is a one-line reason."""


def normalise_charset(name: str | None) -> str | None:
    """A Python codec name for a declared charset, widened where decoders must be lenient."""
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    try:
        canonical = codecs.lookup(name).name
    except LookupError:
        return None
    return _WIDEN.get(name) or _WIDEN.get(canonical) or canonical


def declared_charsets(data: bytes, content_type: str | None = None) -> list[str]:
    """Charsets the document itself declares, most authoritative first."""
    found: list[str | None] = []
    if content_type and (m := _HEADER_CHARSET.search(content_type)):
        found.append(normalise_charset(m.group(1)))
    head = data[:2048]
    if m := _XML_DECL.search(head):
        found.append(normalise_charset(m.group(1).decode("ascii")))
    if m := _META_CHARSET.search(data[:8192]):
        found.append(normalise_charset(m.group(1).decode("ascii")))
    return [c for c in dict.fromkeys(found) if c]


def _bom(data: bytes) -> str | None:
    return next((codec for bom, codec in _BOMS if data.startswith(bom)), None)


def _looks_utf16(data: bytes) -> str | None:
    """UTF-16 without BOM: the high byte of every ASCII character (markup) is NUL."""
    sample = data[:400]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd > len(sample) // 8 and odd >= 4 * even:
        return "utf-16-le"
    if even > len(sample) // 8 and even >= 4 * odd:
        return "utf-16-be"
    return None


def quality_problem(text: str) -> str | None:
    """Why a decoded text is garbage, or None when it looks like real text."""
    if not text.strip():
        return "empty after decoding"
    sample = text[:20000]
    bad = sample.count("\ufffd") / len(sample)
    if bad > 0.02:
        return f"undecodable: {bad:.0%} replacement characters"
    controls = len(_CONTROL.findall(sample))
    if controls / len(sample) > 0.05:
        return "binary data, not text"
    if len(_MOJIBAKE.findall(sample)) > max(3, len(sample) // 200):
        return "mojibake: text decoded with the wrong charset"
    return None


def _try(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _damaged_utf8(data: bytes) -> str | None:
    """UTF-8 with a few bad bytes is kept (with U+FFFD); UTF-8 with many is rejected.

    Guessing a single-byte charset for such bytes (what charset-normalizer would do)
    turns every Chinese character into three letters of mojibake.
    """
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    wide = sum(1 for ch in text[:20000] if "\u0800" <= ch <= "\uffef" and ch != "\ufffd")
    # Bytes of another charset read as UTF-8 form almost no valid multi-byte sequences;
    # damaged UTF-8 still has many.
    if wide < 10 or wide * 5 < bad:
        return None
    return text.lstrip("\ufeff") if quality_problem(text) is None else _reject_damaged(bad, len(text))


def _reject_damaged(bad: int, size: int) -> str:
    raise DecodeError(f"undecodable: UTF-8 with {bad / max(size, 1):.0%} invalid bytes")


def _lenient_one(data: bytes, codec: str) -> str | None:
    try:
        text = data.decode(codec, errors="replace")
    except LookupError:
        return None
    # A handful of broken bytes in a real GBK page (cut multi-byte characters) is not garbage.
    if text.count("\ufffd") > len(text) * _LENIENT_SHARE or quality_problem(text) is not None:
        return None
    return text.lstrip("\ufeff")


def _lenient_decode(data: bytes, codecs_: list[str]) -> str | None:
    """The declared (or GB18030) decoding with the fewest broken bytes, if only very few are broken."""
    texts = [t for t in (_lenient_one(data, c) for c in dict.fromkeys(codecs_)) if t is not None]
    return min(texts, key=lambda t: t.count("\ufffd"), default=None)


def _without_nuls(data: bytes) -> bytes:
    """Good UTF-8 with a few NUL bytes in it, without them; anything else is binary data."""
    clean = data.replace(b"\x00", b"")
    text = _try(clean, "utf-8") if len(data) - len(clean) <= len(data) * _NUL_SHARE else None
    if text is None or quality_problem(text) is not None:
        raise DecodeError("binary data, not text")
    return clean


def collapse_repeats(text: str) -> str:
    """A text that is one article repeated over and over (a broken export, a scraper loop),
    as the article once.  Linear: one search for the period and one comparison of slices."""
    if len(text) < _REPEAT_MIN:
        return text
    head = text[:_REPEAT_PROBE]
    period = text.find(head, 1)
    if period <= 0 or period > len(text) // 3:
        return text
    # Shifted by one period the text equals itself (string comparison runs in C).
    if text[period:] != text[: len(text) - period]:
        return text
    return text[:period]


def decode(data: bytes, content_type: str | None = None, override: str | None = None) -> str:
    """Decode a document, raising DecodeError with a one-line reason when it cannot be."""
    if not data.strip():
        raise DecodeError("empty file" if not data else "blank file")
    if b"\x00" in data and not (_bom(data) or _looks_utf16(data)):
        data = _without_nuls(data)
    return collapse_repeats(_decode(data, content_type, override))


def _decode(data: bytes, content_type: str | None, override: str | None) -> str:
    candidates = [normalise_charset(override)] if override else []
    candidates += [_bom(data), _looks_utf16(data), *declared_charsets(data, content_type), "utf-8", "gb18030"]
    for codec in dict.fromkeys(c for c in candidates if c):
        text = _try(data, codec)
        if text is not None and quality_problem(text) is None:
            return text.lstrip("\ufeff")
    lenient = _lenient_decode(data, [c for c in candidates if c and c != "utf-8"])
    if lenient is not None:
        return lenient
    damaged = _damaged_utf8(data)
    if damaged is not None:
        return damaged
    best = from_bytes(data).best()
    text = str(best) if best is not None else data.decode("utf-8", errors="replace")
    problem = quality_problem(text)
    if problem:
        raise DecodeError(problem)
    return text.lstrip("\ufeff")
