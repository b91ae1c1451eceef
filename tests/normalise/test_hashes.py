"""tasks.normalise.hashes: the rules it gives an article row."""

from __future__ import annotations

import gzip
import re
import subprocess
import sys

import pytest
import trafilatura
from conftest import DATA, ECHOLIVE_TEXT, ODD_INPUTS, REPO
from test_language import ENGLISH, GERMAN

from tasks.normalise.hashes import article_id, content_hash, hamming, simhash64

# --------------------------------------------------------------------------- hashes and ids


def test_content_hash_ignores_whitespace_and_case():
    a = content_hash("Trump and Putin speak\n\nfor more than an hour.")
    b = content_hash("  trump AND putin   speak for more\tthan an HOUR. ")
    assert a == b
    assert re.fullmatch(r"[0-9a-f]{32}", a)
    assert content_hash("Trump and Putin speak for an hour.") != a
    assert content_hash("Straße") == content_hash("STRASSE")  # casefold, not lower


@pytest.mark.parametrize("text", ODD_INPUTS)
def test_content_hash_odd_input(text):
    assert re.fullmatch(r"[0-9a-f]{32}", content_hash(text))


def test_article_id():
    by_url = article_id("https://www.echolive.ie/a", "ignored")
    assert re.fullmatch(r"[0-9a-f]{32}", by_url)
    assert by_url == article_id("https://www.echolive.ie/a", "other")
    assert by_url != article_id("https://www.echolive.ie/b", "ignored")
    digest = content_hash("some text")
    by_content = article_id(None, digest)
    assert by_content == article_id("", digest)
    assert by_content != article_id(None, content_hash("other text"))
    assert by_content != by_url
    assert re.fullmatch(r"[0-9a-f]{32}", article_id(None, None))


def edited(text: str) -> str:
    """The same story with one sentence reworded and the last line dropped."""
    lines = text.splitlines()
    lines[2] = lines[2].replace("shakes hands with", "greets")
    return "\n".join(lines[:-1])


@pytest.fixture(scope="module")
def other_article() -> str:
    tree = trafilatura.load_html(
        gzip.decompress((DATA / "html" / "slashgear-06ee193d.html.gz").read_bytes())
    )
    return trafilatura.extract(tree)


def test_simhash_near_duplicates_are_close():
    assert edited(ECHOLIVE_TEXT) != ECHOLIVE_TEXT
    assert hamming(simhash64(ECHOLIVE_TEXT), simhash64(edited(ECHOLIVE_TEXT))) < 10
    # formatting and case do not matter at all
    reformatted = " ".join(ECHOLIVE_TEXT.upper().split())
    assert simhash64(reformatted) == simhash64(ECHOLIVE_TEXT)


def test_simhash_unrelated_texts_are_far(other_article):
    assert hamming(simhash64(ECHOLIVE_TEXT), simhash64(other_article)) > 20
    assert hamming(simhash64(ENGLISH), simhash64(GERMAN)) > 20


def test_simhash_word_order_matters():
    assert simhash64("alpha beta gamma delta") != simhash64("delta gamma beta alpha")


def test_simhash_is_stable_across_processes():
    text = "The quick brown fox jumps over the lazy dog near the river bank at dawn."
    assert simhash64(text) == 11882883139937727783  # a regression here changes stored data
    code = f"from tasks.normalise.hashes import simhash64; print(simhash64({text!r}))"
    other = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env={"PYTHONHASHSEED": "12345", "PATH": ""},
    )
    assert int(other.stdout) == 11882883139937727783


@pytest.mark.parametrize("text", ["one", "one two", "one two three", ECHOLIVE_TEXT])
def test_simhash_range(text):
    value = simhash64(text)
    assert isinstance(value, int)
    assert 0 <= value < 2**64


@pytest.mark.parametrize("text", [*ODD_INPUTS, "!!! ??? ...", "\n\n"])
def test_simhash_odd_input(text):
    value = simhash64(text)
    assert isinstance(value, int) and 0 <= value < 2**64


def test_hamming():
    assert hamming(0, 0) == 0
    assert hamming(0, 2**64 - 1) == 64
    assert hamming(0b1011, 0b0001) == 2
    assert hamming(None, 0) == 64
    assert hamming("x", 0) == 64
