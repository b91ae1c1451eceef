"""tasks.normalise.language: the rules it gives an article row."""

from __future__ import annotations

import pytest
from conftest import ECHOLIVE_TEXT, ODD_INPUTS

from tasks.normalise.language import detect_language

# --------------------------------------------------------------------------- detect_language

ENGLISH = (
    "The council said the new bridge would open to traffic next spring, after engineers "
    "finished checking the foundations and the road surface."
)
GERMAN = (
    "Der Stadtrat hat am Dienstag beschlossen, dass die neue Brücke im kommenden Frühjahr "
    "für den Verkehr freigegeben wird, nachdem die Ingenieure die Fundamente geprüft haben."
)
FRENCH = (
    "Le conseil municipal a annoncé mardi que le nouveau pont serait ouvert à la circulation "
    "au printemps prochain, après la vérification des fondations par les ingénieurs."
)
SPANISH = (
    "El ayuntamiento anunció el martes que el nuevo puente se abrirá al tráfico la próxima "
    "primavera, después de que los ingenieros revisen los cimientos y la calzada."
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [(ENGLISH, "en"), (GERMAN, "de"), (FRENCH, "fr"), (SPANISH, "es"), (ECHOLIVE_TEXT, "en")],
)
def test_detect_language(text, expected):
    assert detect_language(text) == expected
    # a long, clear text wins over a wrong page declaration
    assert detect_language(text, "pt-BR") == expected


def test_short_text_uses_html_lang():
    assert detect_language("Hello", "en-GB") == "en"
    assert detect_language("Bonjour", "fr_FR") == "fr"
    assert detect_language("OK", "DE") == "de"
    assert detect_language("", "es-419") == "es"
    assert detect_language("12:45 — 3-1", "it") == "it"
    assert detect_language("Hello", "iw") == "he"  # deprecated code for Hebrew


def test_short_text_without_html_lang():
    assert detect_language("Hello") is None  # too weak a signal
    assert detect_language("Der Bundestag hat heute") == "de"  # short but confident


@pytest.mark.parametrize("html_lang", [None, "", "x-default", "eng", "*", "12", 5])
def test_unusable_html_lang(html_lang):
    assert detect_language("Hello", html_lang) is None


@pytest.mark.parametrize("text", ODD_INPUTS)
def test_detect_language_odd_input(text):
    detect_language(text)
    detect_language(text, "en")


# ------------------------------------------------------------- the model's decompressed copy


def test_the_cached_model_is_py3langid_s_own(tmp_path, monkeypatch) -> None:
    import numpy as np
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    from tasks.normalise import language

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    language.language_identifier.cache_clear()
    try:
        cached = language.language_identifier()
        [copy] = (tmp_path / "newsflow").iterdir()
        assert copy.suffix == ".npz" and not list(tmp_path.rglob("*.part"))
        again = language.language_identifier.__wrapped__()  # read back from the copy
    finally:
        language.language_identifier.cache_clear()
    packaged = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    for model in (cached, again):
        for name in ("nb_ptc", "nb_pc", "nb_classes", "tk_nextmove", "tk_row", "tk_output"):
            mine, theirs = getattr(model, name), getattr(packaged, name)
            assert type(mine) is type(theirs), name
            assert np.array_equal(mine, theirs), name
        for text in (ENGLISH, GERMAN, FRENCH, SPANISH):
            assert model.classify(text) == packaged.classify(text)


def test_without_a_writable_cache_the_model_loads_from_the_package(tmp_path, monkeypatch) -> None:
    from tasks.normalise import language

    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would go")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    language.language_identifier.cache_clear()
    try:
        assert language.language_identifier().classify(GERMAN)[0] == "de"
    finally:
        language.language_identifier.cache_clear()


def test_a_broken_cached_copy_falls_back_and_is_written_again(tmp_path, monkeypatch) -> None:
    from tasks.normalise import language

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    language.language_identifier.cache_clear()
    try:
        language.language_identifier()
        [copy] = (tmp_path / "newsflow").iterdir()
        whole = copy.read_bytes()
        copy.write_bytes(whole[: len(whole) // 3])  # a copy cut short by something else
        language.language_identifier.cache_clear()
        assert language.language_identifier().classify(GERMAN)[0] == "de"
        assert not copy.exists()  # removed: the next run writes it again
        language.language_identifier.cache_clear()
        language.language_identifier()
        assert copy.read_bytes() == whole
    finally:
        language.language_identifier.cache_clear()
