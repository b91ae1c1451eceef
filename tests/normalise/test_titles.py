"""tasks.normalise.titles: the rules it gives an article row."""

from __future__ import annotations

import pytest

from tasks.normalise.titles import clean_title

# --------------------------------------------------------------------------- clean_title


@pytest.mark.parametrize(
    ("title", "site_name", "domain", "expected"),
    [
        ("Budget 2025 explained | The Irish Times", "The Irish Times", "irishtimes.com", None),
        # matched through the domain label, with or without "The", any separator
        ("Budget 2025 explained - The Irish Times", None, "irishtimes.com", None),
        ("Budget 2025 explained – Irish Times", None, "irishtimes.com", None),
        ("Budget 2025 explained — IRISH TIMES", None, "irishtimes.com", None),
        ("Budget 2025 explained :: irishtimes.com", None, "irishtimes.com", None),
        ("Budget 2025 explained · Irish-Times", None, "www.irishtimes.com", None),
        ("Budget 2025 explained | BBC News", None, "bbc.co.uk", None),
        ("Budget 2025 explained|EchoLive.ie", None, "echolive.ie", None),
        # prefixes: only the site's own name
        ("BBC News - Budget 2025 explained", "BBC News", "bbc.co.uk", None),
        ("The Irish Times | Budget 2025 explained", None, "irishtimes.com", None),
        # several suffixes
        ("Budget 2025 explained | Local News | Echo Live", "Echo Live", "echolive.ie", None),
        # short unknown part after "|" when a headline remains
        ("Budget 2025 explained in full | Opinion", None, None, "Budget 2025 explained in full"),
        ("Budget 2025 explained | Echo Live | Cork News", None, "echolive.ie", None),
        # a site name with separators of its own, and "Site: " prefixes
        (
            "LinkNaija | Nigeria's news platform: Budget 2025 explained",
            "LinkNaija | Nigeria's news platform",
            "linknaija.com",
            None,
        ),
        (
            "Budget 2025 explained - Remember 80/90 - Memorabilia",
            "Remember 80/90 - Memorabilia",
            None,
            None,
        ),
        ("The Irish Times: Budget 2025 explained", "The Irish Times", None, None),
        # empty parts at the ends
        ("Budget 2025 explained |", None, None, None),
        ("| Budget 2025 explained", "x", None, None),
        # spaces collapsed
        ("  Budget   2025\n explained ", None, None, None),
    ],
)
def test_clean_title_strips_site_name(title, site_name, domain, expected):
    assert clean_title(title, site_name, domain) == (expected or "Budget 2025 explained")


@pytest.mark.parametrize(
    ("title", "site_name", "domain"),
    [
        # a dash between words of the headline is not a site suffix
        ("Trump - Putin talks", "Irish Examiner", "irishexaminer.com"),
        ("Trump - Putin talks", None, None),
        ("Trump – Putin talks: what we know", "Echo Live", "echolive.ie"),
        ("Dublin-Cork rail line reopens", None, "dublin.ie"),
        # a long or unknown trailing part after "|" stays
        ("Budget 2025 | What it means for you and your family", None, None),
        ("Budget 2025 | Key points", None, None),  # too little would remain
        # only the site's name: kept rather than emptied
        ("The Irish Times", "The Irish Times", "irishtimes.com"),
        ("Opinion | Why the budget matters", "The Irish Times", "irishtimes.com"),
        ("Gardaí appeal | Cork crash", None, None),  # a short headline keeps its "| part"
        ("Irish Times readers react to the budget", "Irish Times", "irishtimes.com"),
        ("Irish Times: what readers said", None, "irishtimes.com"),  # only the site name counts
    ],
)
def test_clean_title_keeps_headlines(title, site_name, domain):
    assert clean_title(title, site_name, domain) == title


def test_clean_title_never_empty():
    assert clean_title("The Irish Times | The Irish Times", "The Irish Times", None) == (
        "The Irish Times"
    )
    assert clean_title("|", None, None) == "|"


@pytest.mark.parametrize("title", [None, "", "   ", 5])
def test_clean_title_odd_input(title):
    assert clean_title(title, None, None) is None


def test_clean_title_odd_site_and_domain():
    assert clean_title("Headline here | Site", 5, "http://[::1") == "Headline here | Site"
    assert clean_title("Headline - Site", "", "") == "Headline - Site"
