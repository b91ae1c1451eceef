"""benchmarks/metadata_quality.py: the date-miss breakdown (which misses a publication-date
rule could fix at all)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import pytest
from conftest import REPO

sys.path.append(str(REPO / "benchmarks"))

from metadata_quality import Page, date_miss_kind  # noqa: E402

PUBLISHED = datetime(2025, 1, 4, tzinfo=UTC)
MODIFIED = datetime(2025, 12, 16, 1, 52, tzinfo=UTC)


def page(html: str, truth: str) -> Page:
    return Page("0000", "https://www.nucamp.co/blog/x", html.encode(), "article", None, None, truth)


@pytest.mark.parametrize(
    ("html", "truth", "row", "expected"),
    [
        ("<p>Nov 2015</p>", "2015-11", {}, "month-only annotation"),
        ("<p>Dec 15, 2025</p>", "2025-12-15", None, "quarantined"),
        ("<p>December 14th 2025</p>", "2025-12-15", {}, "not in the HTML"),
        # the declared modification day, later than the publication given
        (
            "<p>By Ludo Fourrage</p><p>December 15th 2025</p>",
            "2025-12-15",
            {"published_at": PUBLISHED, "modified_at": MODIFIED},
            "modification day",
        ),
        # nucamp.co: "Last Updated: <strong>December 15th 2025</strong>", nothing declared
        (
            "<p>Last Updated: <strong>December 15th 2025</strong></p>",
            "2025-12-15",
            {"published_at": PUBLISHED, "modified_at": None},
            "shown as updated",
        ),
        ("<p>15.12.2025</p>", "2025-12-15", {"published_at": PUBLISHED}, "other"),
        ("<p>2025年12月15日</p>", "2025-12-15", {"published_at": PUBLISHED}, "other"),
    ],
)
def test_date_miss_kind(html: str, truth: str, row: dict | None, expected: str) -> None:
    assert date_miss_kind(page(html, truth), row) == expected
