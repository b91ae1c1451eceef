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
