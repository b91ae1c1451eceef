"""tasks.normalise.text: the rules it gives an article row."""

from __future__ import annotations

import pytest

from tasks.normalise.text import paragraphs, word_count

# --------------------------------------------------------------------------- text


def test_paragraphs():
    raw = "First paragraph.  \nSecond\t paragraph\u00a0here.\n\n\n   \nThird. \n"
    assert paragraphs(raw) == "First paragraph.\n\nSecond paragraph here.\n\nThird."
    assert paragraphs("\r\nOne\r\nTwo\r\n") == "One\n\nTwo"
    assert paragraphs(paragraphs(raw)) == paragraphs(raw)


@pytest.mark.parametrize("text", [None, "", "  \n \n", 5])
def test_paragraphs_odd_input(text):
    assert paragraphs(text) == ""


def test_word_count():
    assert word_count("Trump and Putin\n\nspeak.") == 4
    assert word_count("") == 0
    assert word_count(None) == 0
    assert word_count(5) == 0
