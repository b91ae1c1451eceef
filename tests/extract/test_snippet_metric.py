"""benchmarks/snippet_f1.py's metric: WCXB with/without snippets found in a text."""

from __future__ import annotations

import sys

import pytest
from conftest import REPO

sys.path.append(str(REPO / "benchmarks"))

from snippet_f1 import fold, found, page_score  # noqa: E402

TEXT = fold(
    "Homeowners in the valley were told on Tuesday that the bridge will close.\n\n"
    "“It’s a landmark decision,” the mayor said — and the council agreed."
)


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        ("Home", False),  # not inside "Homeowners": word boundaries
        ("homeowners in the   valley", True),  # case and spaces folded
        ('"It\'s a landmark decision," the mayor said', True),  # straightened quotes
        ("the mayor said — and", True),  # a snippet edge that is no word character
        ("bridge will clo", False),  # a short snippet is matched to its word end
        ("Homeowners in the valley were told on Tuesday that the bridge will close.", True),
    ],
)
def test_found(snippet: str, expected: bool) -> None:
    assert found(snippet, TEXT) is expected


def test_cut_snippet_may_end_mid_word() -> None:
    text = fold(
        "In 2018, Courtney Peterson published what proved to be a landmark paper in the "
        "burgeoning field."
    )
    cut = "In 2018, Courtney Peterson published what proved to be a landmark paper in the b"
    assert len(cut) == 80 and found(cut, text)
    assert not found(cut[:60] + "b", text)  # ... only those cut at exactly 80 characters


def test_page_score() -> None:
    score = page_score(
        "The bridge will close.\n\nSubscribe to our newsletter",
        ["The bridge will close.", "The ferry runs again."],
        ["Subscribe to our newsletter", "Privacy Policy"],
    )
    assert (score.recall, score.exclusion) == (0.5, 0.5) and score.f1 == 0.5
    assert page_score("", ["a b c"], ["x"]).f1 == 0.0  # no row: nothing found
    assert page_score("anything", [], []).f1 == 1.0
