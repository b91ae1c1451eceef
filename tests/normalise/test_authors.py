"""tasks.normalise.authors: the rules it gives an article row."""

from __future__ import annotations

import pytest

from tasks.normalise.authors import split_authors

# --------------------------------------------------------------------------- split_authors


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("By Jane Doe and John Roe", ["Jane Doe", "John Roe"]),
        ("Reuters; AP", ["Reuters", "AP"]),
        ("Jane Doe, John Roe & Mary Major", ["Jane Doe", "John Roe", "Mary Major"]),
        ("Jane Doe | John Roe\nMary Major", ["Jane Doe", "John Roe", "Mary Major"]),
        ("by: Jane Doe", ["Jane Doe"]),
        ("BY JANE DOE AND JOHN ROE", ["JANE DOE", "JOHN ROE"]),
        ("Written by Jane Doe", ["Jane Doe"]),
        ("Words: Jane Doe | Photos: John Roe", ["Jane Doe"]),
        ("Byron Smith", ["Byron Smith"]),  # "By" only as a word
        ("Andrea Anderson and Sandy Band", ["Andrea Anderson", "Sandy Band"]),
        # duplicates, ignoring case, first spelling and order kept
        ("Jane Doe, JANE DOE, jane doe, John Roe", ["Jane Doe", "John Roe"]),
        (["Jane Doe", "jane doe", "John Roe and Jane Doe"], ["Jane Doe", "John Roe"]),
        # roles and degrees after a name
        ("By TOM KRISHER, AP Auto Writer", ["TOM KRISHER"]),
        ("Jane Doe, Staff Writer", ["Jane Doe"]),
        ("Rachael Link, MS, RD", ["Rachael Link"]),
        ("HNN Staff", ["HNN Staff"]),  # the only attribution there is
        ("Analysis by Chris Cillizza; CNN Editor-at-large", ["Chris Cillizza"]),
        # a date leaking into the byline; months that are names stay
        ("Jeff Foust Monday; November", ["Jeff Foust"]),
        ("Carrie Arnold November", ["Carrie Arnold"]),
        ("April Smith and June May", ["April Smith", "June May"]),
        # e-mails, URLs and handles
        (
            "Jane Doe (jane.doe@example.com), https://example.com/jane, @janedoe, www.x.com",
            ["Jane Doe"],
        ),
        ("Jane Doe @janedoe", ["Jane Doe"]),
        # a sentence that leaked into the byline
        ("This article was produced with the help of many people across the newsroom " * 2, []),
    ],
)
def test_split_authors(raw, expected):
    assert split_authors(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "  ", ",;|", "By", "and", 5, [None, 3, ""], []])
def test_split_authors_odd_input(raw):
    assert split_authors(raw) == []
