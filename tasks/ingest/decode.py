"""Raw bytes -> str, with the charset decision recorded.

The order follows what browsers do (WHATWG "determine the encoding"), cut down to what a
batch pipeline needs:

1. a byte-order mark (utf-8, utf-16, utf-32) wins over everything;
2. the charset of the HTTP Content-Type header;
3. `<meta charset>` / `<meta http-equiv=Content-Type content="...charset=...">` (or an XML
   declaration) in the first 4 KB, HTML only;
4. UTF-8: if the bytes decode strictly, they are UTF-8 (pure ASCII included); if they are
   UTF-8 with rare bad bytes, UTF-8 with replacement characters;
5. charset-normalizer on a 64 KB sample starting near the first non-ASCII byte, restricted
   to web encodings, with its frequent ties between single-byte codecs broken the way that
   gets Western European text right (cp1252) without losing Central European, Cyrillic,
   Greek, Turkish, Baltic or CJK pages;
6. cp1252 with replacement characters.

A declared charset (steps 2 and 3) that does not decode strictly falls through to the next
step: a page declaring utf-8 while being cp1252 is common. Labels are mapped the way browsers
map them: "iso-8859-1", "latin-1" and "ascii" mean cp1252, "gb2312" means gb18030,
"shift_jis" cp932, "euc-kr" cp949, "big5" big5hkscs.

Binary input (images, PDFs, archives, anything with more than 1 % NUL bytes or many control
characters) and empty input raise `DecodeError` before any of that, with a machine-readable
`error_type`. A text page with a few stray NUL bytes (a CMS or a crawler glitch; at most 1 %
of the bytes) is decoded with the NULs dropped, and `Decoded.notes` says so
("nul_bytes_dropped"). Text has no NULs at all; binary formats are full of them (a PNG or a
PDF has 5-40 %), and UTF-16/32 text, which has them by design, is told apart by its BOM or
its declared charset before this check.
"""

from __future__ import annotations

import codecs
import re
import zlib
from dataclasses import dataclass

import brotli  # a FastWARC dependency
import charset_normalizer

__all__ = ["Decoded", "DecodeError", "decode_bytes", "normalise_charset"]

BINARY_SNIFF_BYTES = 8 * 1024
META_SNIFF_BYTES = 4 * 1024
DETECT_SAMPLE_BYTES = 64 * 1024
# Above this share of C0 control characters the input is not text (text has ~0; random
# bytes have ~10 %).
MAX_CONTROL_SHARE = 0.05
# Above this share of U+FFFD after a lenient decode, the text is not worth extracting.
MAX_REPLACEMENT_SHARE = 0.10
# Up to this share of NUL bytes (in the first 8 KB and in the whole input), they are stray
# bytes in a text page and are dropped; above it the input is binary.
MAX_NUL_SHARE = 0.01
NUL_BYTES_DROPPED = "nul_bytes_dropped"

_BOMS = (
    # utf-32 first: its little-endian BOM starts with the utf-16 little-endian one.
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_BINARY_MAGIC = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",  # JPEG
    b"GIF87a",
    b"GIF89a",
    b"%PDF-",
    b"PK\x03\x04",  # zip, docx, epub, jar
    b"\x1f\x8b",  # gzip
    b"\x28\xb5\x2f\xfd",  # zstd
    b"BZh91",  # bzip2 (block size 9: what every tool writes)
    b"\xfd7zXZ\x00",  # xz
    b"7z\xbc\xaf\x27\x1c",
    b"Rar!\x1a\x07",
    b"\x00\x00\x01\x00",  # ico
    b"OggS",
    b"fLaC",
    b"ID3",  # mp3
    b"wOFF",
    b"wOF2",
    b"\x7fELF",
    b"\x00asm",  # wasm
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",  # old MS Office
)

# C0 controls other than \t \n \v \f \r and ESC (ISO-2022-JP uses ESC sequences).
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 11, 12, 13, 27))

_META_CHARSET = re.compile(
    rb"""<meta[^>]*?charset\s*=\s*["']?\s*([a-z0-9_:.+-]+)""",
    re.IGNORECASE,
)
_NON_ASCII = re.compile(rb"[\x80-\xff]")
# Bytes that are the same punctuation or symbol in cp1252, cp1250 and cp1257 (plus the pound
# sign): curly quotes, dashes, ellipsis, bullet, euro, trademark, nbsp, (c), (r), degree...
_SHARED_PUNCTUATION = {
    bytes([b])
    for b in (
        *(0x80, 0x82, 0x84, 0x85, 0x86, 0x87, 0x89, 0x8B, 0x9B, 0x99),
        *range(0x91, 0x98),
        *(0xA0, 0xA3, 0xA6, 0xA7, 0xA9, 0xAB, 0xAC, 0xAD, 0xAE, 0xB0, 0xB1, 0xB6, 0xB7, 0xBB),
    )
}
# The WHATWG Encoding Standard's legacy encodings, by charset-normalizer's (Python's) names.
# Not UTF-8 or UTF-16: decode_bytes has ruled those out before asking the detector, which
# on large samples tolerates a few undecodable bytes and can still answer utf_8.
_WEB_ENCODINGS = {
    *("cp866", "koi8_r", "koi8_u", "mac_roman"),
    *("mac_cyrillic", "cp874", "gb18030", "gbk", "gb2312", "big5", "big5hkscs", "euc_jp"),
    *("iso2022_jp", "shift_jis", "cp932", "euc_kr", "cp949"),
    *(f"cp{n}" for n in range(1250, 1259)),
    *(f"iso8859_{n}" for n in (2, 3, 4, 5, 6, 7, 8, 10, 13, 14, 15, 16)),
}
# charset-normalizer's language names -> the Windows codepage pages in that language use.
_NATIVE_CODEC = {
    **dict.fromkeys(("Polish", "Czech", "Slovak", "Hungarian", "Croatian"), "cp1250"),
    **dict.fromkeys(("Slovene", "Romanian"), "cp1250"),
    **dict.fromkeys(("Russian", "Ukrainian", "Bulgarian", "Serbian", "Belarusian"), "cp1251"),
    **dict.fromkeys(("Lithuanian", "Latvian", "Estonian"), "cp1257"),
    "Greek": "cp1253",
    "Turkish": "cp1254",
    "Hebrew": "cp1255",
    "Arabic": "cp1256",
    "Vietnamese": "cp1258",
    "Thai": "cp874",
}
# What cp1252 text in Western European languages contains beyond ASCII.
_WESTERN_CHARS = set(
    "àáâãäåæçèéêëìíîïñòóôõöøùúûüÿßœšžÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜŸŒŠŽ"
    "€‚„…†‡‰‹›‘’“”•–—™\xa0\xad¡¢£¦§¨©ª«¬®¯°±²´µ¶·¸º»¼½¾¿×÷"
)
_XML_ENCODING = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([a-z0-9_:.+-]+)""", re.IGNORECASE)

# Python codec name -> the codec browsers actually use for that label (WHATWG Encoding).
_BROWSER_CODEC = {
    "ascii": "cp1252",
    "iso8859-1": "cp1252",
    "latin-1": "cp1252",
    "iso8859-9": "cp1254",
    "tis-620": "cp874",
    "iso8859-11": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "shift_jis": "cp932",
    "euc_kr": "cp949",
    "big5": "big5hkscs",
}
# Text codecs Python knows that no web page legitimately uses; utf-7 is banned by WHATWG
# because it enables XSS.
_REFUSED_CODECS = {
    "utf-7",
    "unicode-escape",
    "raw-unicode-escape",
    "idna",
    "punycode",
    "undefined",
}
_WIDE_CODECS = ("utf-16", "utf-32")


@dataclass(slots=True)
class Decoded:
    text: str
    charset: str  # python codec name actually used, normalised ("utf-8", "cp1252", ...)
    charset_source: str  # "bom", "http", "meta", "detected", "default"
    notes: tuple[str, ...] = ()  # repairs made to the bytes, e.g. ("nul_bytes_dropped",)


class DecodeError(Exception):
    """Bytes that cannot become article text. `error_type`: "empty", "binary", "undecodable"."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def normalise_charset(label: str | bytes | None) -> str | None:
    """A charset label as found in a header or a page -> the Python codec to decode it with.

    None when the label is missing, unknown to Python, or not a codec a web page may use.
    """
    if not label:
        return None
    if isinstance(label, bytes):
        label = label.decode("ascii", "replace")
    try:  # a blank label is unknown too
        info = codecs.lookup(label.strip().strip("\"'").strip().lower())
    except LookupError:
        return None
    try:
        # bytes-to-bytes codecs (base64, zlib, rot13...) are found by lookup but refuse to
        # decode text, with LookupError. (Empty input skips that check, hence b"a".)
        b"a".decode(info.name)
    except LookupError:
        return None
    except UnicodeError:
        pass  # a real text codec that just cannot decode a lone "a" (utf-16, utf-32)
    name = _BROWSER_CODEC.get(info.name, info.name)
    return None if name in _REFUSED_CODECS else name


def decode_bytes(data: bytes, http_charset: str | None = None, kind: str = "html") -> Decoded:
    """Decode `data` (an HTML page when kind="html", plain text when kind="text").

    Raises DecodeError("empty") for empty or whitespace-only input, DecodeError("binary") for
    images, PDFs, archives and other non-text bytes, DecodeError("undecodable") when even the
    lenient fallback leaves mostly replacement characters.
    """
    if not data or data.isspace():
        raise DecodeError("empty", "no content (empty or whitespace only)")

    bom_codec, bom_length = _sniff_bom(data)
    if bom_codec is not None:
        notes: tuple[str, ...] = ()
        if not _is_wide(bom_codec):
            data, notes = _text_bytes(data)
        text = data[bom_length:].decode(bom_codec, errors="replace")
        return _finish(text, bom_codec, "bom", lenient=True, notes=notes)

    declared_http = normalise_charset(http_charset)
    # UTF-16/32 without a BOM legitimately contains NUL bytes, but only when declared.
    data, notes = _text_bytes(data, wide=declared_http is not None and _is_wide(declared_http))

    declared_meta = _sniff_meta_charset(data) if kind == "html" else None
    for codec, source in ((declared_http, "http"), (declared_meta, "meta"), ("utf-8", "detected")):
        if codec is not None and (decoded := _try_decode(data, codec)) is not None:
            return _finish(decoded, codec, source, notes=notes)

    lenient = _mostly_utf8(data)
    if lenient is not None:
        return _finish(lenient, "utf-8", "detected", lenient=True, notes=notes)

    detected = _detect(data)
    if detected is not None:
        # The detector judged a sample; a stray bad byte further on should not undo that.
        text = data.decode(detected, errors="replace")
        return _finish(text, detected, "detected", lenient=True, notes=notes)

    text = data.decode("cp1252", errors="replace")
    return _finish(text, "cp1252", "default", lenient=True, notes=notes)


def _drop_stray_nuls(data: bytes) -> bytes:
    """`data` without its NUL bytes when they are few; DecodeError("binary") when not."""
    sample_nuls = data.count(b"\x00", 0, BINARY_SNIFF_BYTES)
    if sample_nuls > MAX_NUL_SHARE * min(len(data), BINARY_SNIFF_BYTES):
        raise DecodeError("binary", f"binary content ({sample_nuls} NUL bytes in the first 8 KB)")
    nuls = data.count(b"\x00")
    if nuls > MAX_NUL_SHARE * len(data):
        raise DecodeError("binary", f"binary content ({nuls} NUL bytes in {len(data)})")
    return data.replace(b"\x00", b"")


def _sniff_bom(data: bytes) -> tuple[str | None, int]:
    return next(((codec, len(bom)) for bom, codec in _BOMS if data.startswith(bom)), (None, 0))


def _text_bytes(data: bytes, wide: bool = False) -> tuple[bytes, tuple[str, ...]]:
    """`data` checked to be text, with stray NUL bytes dropped (and noted), or DecodeError.

    `wide`: UTF-16/32, where NULs are part of the text and are neither counted nor dropped.
    """
    if data.startswith(_BINARY_MAGIC) or data[4:12] in (b"ftypisom", b"ftypmp42"):
        raise DecodeError("binary", f"binary content (starts with {data[:8]!r})")
    notes: tuple[str, ...] = ()
    if not wide and b"\x00" in data:
        data, notes = _drop_stray_nuls(data), (NUL_BYTES_DROPPED,)
        if not data or data.isspace():
            raise DecodeError("empty", "no content once stray NUL bytes are dropped")
    sample = data[:BINARY_SNIFF_BYTES]
    if wide:
        sample = sample.replace(b"\x00", b"")
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if controls > MAX_CONTROL_SHARE * len(sample):
        raise DecodeError(
            "binary", f"binary content ({controls} control bytes in the first {len(sample)})"
        )
    return data, notes


def _is_wide(codec: str) -> bool:
    return codec.startswith(_WIDE_CODECS)


def _sniff_meta_charset(data: bytes) -> str | None:
    head = data[:META_SNIFF_BYTES]
    match = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    if match is None:
        return None
    codec = normalise_charset(match.group(1))
    # A page whose markup we just read as ASCII cannot be UTF-16/32: browsers read it as UTF-8.
    if codec is not None and _is_wide(codec):
        return "utf-8"
    return codec


def _try_decode(data: bytes, codec: str) -> str | None:
    if _is_wide(codec) and b"\x00" not in data[:BINARY_SNIFF_BYTES]:
        # Latin or ASCII text in UTF-16/32 is full of NULs; without any, the declaration is wrong
        # and decoding "succeeds" into CJK garbage.
        return None
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return None


def _mostly_utf8(data: bytes) -> str | None:
    """The text when `data` is UTF-8 with a few bad bytes (a cut multi-byte character in a
    CMS snippet is common); None when the invalid bytes are not rare next to valid sequences."""
    text = data.decode("utf-8", errors="replace")
    # Each valid multi-byte character makes the text shorter than the bytes; each invalid
    # byte becomes one U+FFFD. cp1252 text has almost no valid multi-byte sequences.
    multibyte = len(data) - len(text)
    return text if text.count("\ufffd") * 10 <= multibyte else None


def _detect(data: bytes) -> str | None:
    """charset-normalizer's pick on a bounded sample, ties going to cp1252 as in browsers."""
    # Sample from the first non-ASCII byte on: pages often open with tens of KB of ASCII
    # script and style, which tell the detector nothing.
    first = _NON_ASCII.search(data)
    start = max(first.start() - 256, 0) if first else 0
    sample = data[start : start + DETECT_SAMPLE_BYTES]
    if len(data) > start + DETECT_SAMPLE_BYTES:
        # Cut at a line end so the sample does not end inside a multi-byte character.
        cut = sample.rfind(b"\n", DETECT_SAMPLE_BYTES - 4096)
        if cut > 0:
            sample = sample[: cut + 1]
    high_bytes = set(_NON_ASCII.findall(sample))
    if high_bytes <= _SHARED_PUNCTUATION:
        # Only quotes, dashes, nbsp, (c)...: English-like text, the same in every Windows
        # Latin codepage, and a detector only guesses (mac_roman, cp850, big5 seen).
        return "cp1252"
    matches = [
        (match, codec)
        for match in charset_normalizer.from_bytes(sample)
        if (codec := _web_codec(match)) is not None
    ]
    if not matches:
        return None
    best, best_codec = matches[0]
    # charset-normalizer separates the single-byte codecs poorly: they often tie, and ties
    # go by name (French "très" comes back as cp1250 "trčs", Turkish as cp1250). Among the
    # near-best candidates: cp1252, the web's legacy default, when the text reads as Western
    # European in it; else the codec native to the language the detector recognised; else
    # the best candidate that is not cp1252 when the text does not read as Western.
    # (Measured on 18 languages x 6 page shapes and the 181 benchmark pages re-encoded in
    # cp1252: all right. Short Czech, Turkish or Baltic snippets can still come out wrong.)
    tier = [
        (match, codec)
        for match, codec in matches
        if match.chaos <= best.chaos + 0.02 and match.coherence >= best.coherence - 0.1
    ]
    western = _reads_as_western(high_bytes)
    if western and any("cp1252" in match.could_be_from_charset for match, _ in tier):
        return "cp1252"
    native = _NATIVE_CODEC.get(best.language)
    for match, _ in tier:
        if native in match.could_be_from_charset:
            return native
    if not western:
        for match, codec in matches:
            if "cp1252" not in match.could_be_from_charset:
                return normalise_charset(codec)
    return normalise_charset(best_codec)


def _web_codec(match: charset_normalizer.CharsetMatch) -> str | None:
    """A web encoding among the codecs that decode the sample to this match's text.

    DOS and old Mac codepages (cp850, cp775, hp_roman8...) score well on Western text, but
    no web page uses them.
    """
    return next((c for c in match.could_be_from_charset if c in _WEB_ENCODINGS), None)


def _reads_as_western(high_bytes: set[bytes]) -> bool:
    """Whether every non-ASCII byte is, in cp1252, a character Western European text uses."""
    try:
        return all(byte.decode("cp1252") in _WESTERN_CHARS for byte in high_bytes)
    except UnicodeDecodeError:  # 0x81, 0x8D, 0x8F, 0x90, 0x9D: undefined in cp1252
        return False


def _finish(
    text: str, codec: str, source: str, lenient: bool = False, notes: tuple[str, ...] = ()
) -> Decoded:
    if not text or text.isspace():
        raise DecodeError("empty", "no content after decoding (whitespace only)")
    if lenient:
        replaced = text.count("\ufffd")
        if replaced > 10 and replaced > MAX_REPLACEMENT_SHARE * len(text):
            raise DecodeError(
                "undecodable",
                f"{replaced} of {len(text)} characters undecodable as {codec} ({source})",
            )
    return Decoded(text=text, charset=codecs.lookup(codec).name, charset_source=source, notes=notes)


# ---------------------------------------------------------------- HTTP Content-Encoding


def decode_content(body: bytes, content_encoding: str | None, limit: int) -> bytes:
    """Undo the HTTP Content-Encoding (gzip, deflate, br; several are applied in reverse),
    never past `limit` bytes. Used by the WARC loader and the crawler's discovery alike.

    Raises DecodeError ("unsupported_content_encoding", "bad_content_encoding",
    "too_large"); a body that is plain markup despite its header is returned as it is."""
    codings = [c.strip().lower() for c in (content_encoding or "").split(",")]
    for coding in reversed([c for c in codings if c and c != "identity"]):
        body = _decompress(body, coding, limit)
    return body


def _decompress(body: bytes, coding: str, limit: int) -> bytes:
    try:
        if coding in ("gzip", "x-gzip"):
            output = _zlib_decompress(body, zlib.MAX_WBITS | 16, limit)
        elif coding == "deflate":
            # The spec says zlib-wrapped; many servers send raw deflate.
            try:
                output = _zlib_decompress(body, zlib.MAX_WBITS, limit)
            except zlib.error:
                output = _zlib_decompress(body, -zlib.MAX_WBITS, limit)
        elif coding == "br":
            output = brotli.Decompressor().process(body, output_buffer_limit=limit + 1)
        else:
            if _looks_like_markup(body):
                return body  # a nonsense header ("UTF-8", "none") on a plain body
            raise DecodeError("unsupported_content_encoding", f"Content-Encoding {coding}")
    except (zlib.error, brotli.error) as error:
        # Crawlers often store the body decoded but keep the header.
        if _looks_like_markup(body):
            return body
        raise DecodeError("bad_content_encoding", f"{coding}: {error}") from error
    if len(output) > limit:
        raise DecodeError("too_large", f"body over {limit} bytes once {coding}-decoded")
    return output


def _zlib_decompress(body: bytes, wbits: int, limit: int) -> bytes:
    # max_length bounds the output: a small gzip bomb cannot blow up memory.
    return zlib.decompressobj(wbits).decompress(body, limit + 1)


def _looks_like_markup(body: bytes) -> bool:
    return body.lstrip(b" \t\r\n\xef\xbb\xbf")[:1] == b"<"
