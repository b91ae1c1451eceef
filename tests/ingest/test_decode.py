"""tasks.ingest.decode: bytes -> str with the charset decision recorded (real bytes, no mocks)."""

from __future__ import annotations

import codecs

import pytest

from tasks.ingest.decode import Decoded, DecodeError, decode_bytes, normalise_charset

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"


def page(body: str, head: str = "") -> str:
    return f"<!doctype html><html><head>{head}<title>t</title></head><body>{body}</body></html>"


# ---------------------------------------------------------------- the decision order


def test_valid_utf8_with_meta_charset() -> None:
    data = page("Café “quoted” – naïve", '<meta charset="utf-8">').encode("utf-8")
    assert decode_bytes(data) == Decoded(data.decode("utf-8"), "utf-8", "meta")


def test_meta_http_equiv_form() -> None:
    head = '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'
    data = page("Привет, мир", head).encode("cp1251")
    decoded = decode_bytes(data)
    assert (decoded.charset, decoded.charset_source) == ("cp1251", "meta")
    assert "Привет, мир" in decoded.text


def test_http_charset_wins_over_meta() -> None:
    data = page("Größe", '<meta charset="utf-8">').encode("cp1252")
    decoded = decode_bytes(data, http_charset="windows-1252")
    assert (decoded.charset, decoded.charset_source) == ("cp1252", "http")
    assert "Größe" in decoded.text


def test_latin1_and_ascii_labels_mean_cp1252_as_in_browsers() -> None:
    # 0x93/0x94 are curly quotes in cp1252 but C1 controls in real ISO-8859-1.
    data = page("\u201chello\u201d café").encode("cp1252")
    for label in ("ISO-8859-1", "latin1", '"iso-8859-1"', "us-ascii"):
        decoded = decode_bytes(data, http_charset=label)
        assert (decoded.charset, decoded.charset_source) == ("cp1252", "http")
        assert "\u201chello\u201d café" in decoded.text


def test_page_declaring_utf8_but_really_cp1252_falls_through() -> None:
    data = page("Le café est très bon, à Paris. Crème brûlée.", '<meta charset="utf-8">')
    decoded = decode_bytes(data.encode("cp1252"), http_charset="utf-8")
    assert decoded.charset_source in ("detected", "default")
    assert decoded.charset == "cp1252"
    assert "Le café est très bon, à Paris. Crème brûlée." in decoded.text


def test_undeclared_latin1_page_keeps_cafe() -> None:
    decoded = decode_bytes(page("café").encode("cp1252"))
    assert decoded.charset_source in ("detected", "default")
    assert "café" in decoded.text


UNDECLARED = [
    # (codec the page is written in, codec expected back, text)
    ("cp1252", "cp1252", "The minister said the “new package” – worth £3bn – isn’t enough…"),
    ("cp1252", "cp1252", "Não há informação disponível sobre a eleição. As ações caíram."),
    ("cp1252", "cp1252", "El presidente anunció el miércoles una reforma. ¿Cuándo? Mañana."),
    ("cp1252", "cp1252", "Le gouvernement a présenté un projet très attendu à l'hôpital."),
    ("cp1252", "cp1252", "Die Bundesregierung hat ein Maßnahmenpaket für Familien beschlossen."),
    ("cp1252", "cp1252", "Il governo ha approvato giovedì un decreto: è più che simbolico."),
    (
        "cp1250",
        "cp1250",
        "Rząd przyjął w środę projekt ustawy. Związki zawodowe zapowiedziały protesty.",
    ),
    (
        "cp1250",
        "cp1250",
        "Vláda ve středu schválila návrh zákona o reformě důchodového systému. Podle ministra "
        "se změny dotknou více než dvou milionů lidí. Opozice rozhodnutí kritizovala a tvrdí, "
        "že návrh nebyl dostatečně projednán s odbory. Odboráři již ohlásili stávku, která by "
        "mohla začít příští týden v celé zemi.",
    ),
    (
        "cp1251",
        "cp1251",
        "Правительство в среду одобрило законопроект о реформе пенсионной системы.",
    ),
    ("cp1253", "cp1253", "Η κυβέρνηση ενέκρινε την Τετάρτη το νομοσχέδιο για τη μεταρρύθμιση."),
    (
        "cp1254",
        "cp1254",
        "Hükümet çarşamba günü emeklilik sistemine ilişkin yasa tasarısını onayladı. Bakanın "
        "açıklamasına göre değişiklikler dokuz milyondan fazla kişiyi etkileyecek.",
    ),
    (
        "cp1257",
        "cp1257",
        "Vyriausybė trečiadienį pritarė pensijų sistemos reformos įstatymo projektui. Pasak "
        "ministro, pokyčiai palies daugiau nei pusę milijono gyventojų.",
    ),
    (
        "koi8_r",
        "koi8-r",
        "Правительство в среду одобрило законопроект о реформе пенсионной системы.",
    ),
    ("shift_jis", "cp932", "東京の天気は晴れです。明日は雨が降るでしょう。"),
    ("gb2312", "gb18030", "北京今天天气晴朗，明天可能会下雨。"),
]


@pytest.mark.parametrize(("written", "expected", "text"), UNDECLARED)
def test_undeclared_legacy_charsets_are_detected(written: str, expected: str, text: str) -> None:
    # charset-normalizer alone reads short Western text as cp1250 ("trčs"), cp1258, cp850 or
    # mac_roman more often than one would like.
    decoded = decode_bytes(page(f"<p>{text}</p>" * 3).encode(written))
    assert (decoded.charset, decoded.charset_source) == (expected, "detected")
    assert text in decoded.text


LONG_ASCII_HEAD = "<script>" + "var x = 1;\n" * 7000 + "</script>"  # 77 KB, no charset hint


def test_utf8_with_a_stray_bad_byte_stays_utf8() -> None:
    body = "<p>café crème “quoted”</p>" * 50
    data = page(body, LONG_ASCII_HEAD + '<meta charset="utf-8">').encode("utf-8")
    data = data.replace(b"</body>", b"\xff</body>")  # one cut multi-byte character
    decoded = decode_bytes(data)
    assert (decoded.charset, decoded.charset_source) == ("utf-8", "detected")
    assert body in decoded.text and decoded.text.count("\ufffd") == 1


def test_detector_looks_past_a_long_ascii_head() -> None:
    text = "Привет, как дела? Это тест русского текста для определения кодировки."
    decoded = decode_bytes(page(text * 20, LONG_ASCII_HEAD).encode("cp1251"))
    assert (decoded.charset, decoded.charset_source) == ("cp1251", "detected")
    assert text in decoded.text


def test_undeclared_utf8_is_detected_strictly() -> None:
    decoded = decode_bytes(page("日本語のテキスト").encode("utf-8"))
    assert (decoded.charset, decoded.charset_source) == ("utf-8", "detected")


def test_shift_jis_label_decodes_with_the_browser_codec() -> None:
    data = page("東京の天気は晴れです", '<meta charset="Shift_JIS">').encode("cp932")
    decoded = decode_bytes(data)
    assert (decoded.charset, decoded.charset_source) == ("cp932", "meta")
    assert "東京の天気は晴れです" in decoded.text


def test_unknown_declared_charset_is_ignored() -> None:
    data = page("café", '<meta charset="x-no-such-thing">').encode("utf-8")
    decoded = decode_bytes(data, http_charset="bogus")
    assert (decoded.charset, decoded.charset_source) == ("utf-8", "detected")


def test_meta_utf16_on_ascii_markup_means_utf8() -> None:
    data = page("café", '<meta charset="utf-16">').encode("utf-8")
    decoded = decode_bytes(data)
    assert (decoded.charset, decoded.charset_source) == ("utf-8", "meta")
    assert "café" in decoded.text


def test_meta_is_only_read_for_html() -> None:
    # As HTML the meta wins (cp1251 decodes anything); as plain text it is just text.
    data = "<meta charset=windows-1251> café".encode()
    assert decode_bytes(data, kind="html").charset == "cp1251"
    decoded = decode_bytes(data, kind="text")
    assert (decoded.charset, decoded.charset_source) == ("utf-8", "detected")
    assert decoded.text.endswith("café")


# ---------------------------------------------------------------- byte-order marks


@pytest.mark.parametrize(
    ("bom", "codec", "expected"),
    [
        (codecs.BOM_UTF8, "utf-8", "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le", "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be", "utf-32-be"),
    ],
)
def test_bom_wins_and_is_stripped(bom: bytes, codec: str, expected: str) -> None:
    text = page("café – ok", '<meta charset="iso-8859-1">')
    decoded = decode_bytes(bom + text.encode(codec), http_charset="iso-8859-2")
    assert decoded == Decoded(text, expected, "bom")


def test_utf16_without_bom_when_declared_by_http() -> None:
    text = page("café")
    decoded = decode_bytes(text.encode("utf-16-le"), http_charset="utf-16le")
    assert decoded == Decoded(text, "utf-16-le", "http")


def test_utf16_declared_on_utf8_bytes_is_not_trusted() -> None:
    data = page("café").encode("utf-8")
    decoded = decode_bytes(data, http_charset="utf-16")
    assert (decoded.charset, decoded.text) == ("utf-8", data.decode("utf-8"))


# ---------------------------------------------------------------- refusals


@pytest.mark.parametrize("data", [b"", b"   \r\n\t ", codecs.BOM_UTF8 + b"  \n"])
def test_empty_or_whitespace(data: bytes) -> None:
    with pytest.raises(DecodeError) as caught:
        decode_bytes(data)
    assert caught.value.error_type == "empty"
    assert str(caught.value)


@pytest.mark.parametrize(
    "data",
    [
        PNG,
        b"\xff\xd8\xff\xe0\x00\x10JFIF",
        b"GIF89a\x01\x00",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
        b"PK\x03\x04\x14\x00\x06\x00",
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00",
        b"<html><body>text with a NUL \x00 inside</body></html>",
        bytes(range(1, 9)) * 200 + b"<html>",  # control characters, no NUL
    ],
)
def test_binary_is_refused(data: bytes) -> None:
    with pytest.raises(DecodeError) as caught:
        decode_bytes(data, http_charset="utf-8")
    assert caught.value.error_type == "binary"


def test_mostly_undecodable_text_is_refused() -> None:
    data = codecs.BOM_UTF8 + bytes(range(0x80, 0x100)) * 20
    with pytest.raises(DecodeError) as caught:
        decode_bytes(data)
    assert caught.value.error_type == "undecodable"


def test_charset_labels() -> None:
    assert normalise_charset("UTF8") == "utf-8"
    assert normalise_charset(' "Windows-1252" ') == "cp1252"
    assert normalise_charset("gb2312") == "gb18030"
    assert normalise_charset("euc-kr") == "cp949"
    assert normalise_charset("big5") == "big5hkscs"
    assert normalise_charset("utf-16") == "utf-16"
    # Known to Python but not text codecs, or banned on the web: never used.
    for label in ("base64", "rot13", "zlib", "utf-7", "unicode_escape", "", None, "nope"):
        assert normalise_charset(label) is None


def test_common_case_is_decided_by_the_declaration_not_a_detector_run() -> None:
    # the cost (~10 us, against milliseconds for charset-normalizer): benchmarks/hot_paths.py
    data = page("Plain article text. " * 100, '<meta charset="utf-8">').encode("utf-8")
    decoded = decode_bytes(data)
    assert (decoded.charset, decoded.charset_source) == ("utf-8", "meta")
