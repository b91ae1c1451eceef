"""tasks.extract.pagemeta gives what trafilatura's own extract_metadata gives, minus the steps
we skip.

Runs over all 181 ScrapingHub benchmark pages bundled in benchmarks/data (MIT licence):
a trafilatura upgrade that changes its metadata steps fails here instead of silently
changing rows.
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime

import pytest
import trafilatura
from conftest import REPO
from trafilatura.metadata import extract_metadata
from trafilatura.settings import set_date_params

from tasks.extract.pagemeta import USED_FIELDS, page_metadata
from tasks.extract.record import extract_record
from tasks.records import ExtractOptions, RawRecord

sys.path.append(str(REPO / "benchmarks"))
from corpus import pages  # noqa: E402

PAGES = [(page.page_id, page.url, page.html) for page in pages()]


def fields(document: trafilatura.settings.Document, names: tuple[str, ...]) -> dict[str, object]:
    return {name: getattr(document, name) for name in names}


def test_every_benchmark_page_is_there() -> None:
    assert len(PAGES) == 181


def test_same_metadata_as_trafilatura_on_every_benchmark_page() -> None:
    differing = []
    with_date_seen = 0
    for page_id, url, html in PAGES:
        # bare_extraction's call, on its own fresh tree (both read trees the same way)
        expected = extract_metadata(trafilatura.load_html(html), url, set_date_params(True))
        ours = page_metadata(trafilatura.load_html(html), url, with_date=True)
        names = (*USED_FIELDS, "date", "hostname")
        if fields(ours, names) != fields(expected, names):
            differing.append(page_id)
        with_date_seen += expected.date is not None
    assert differing == []
    assert with_date_seen > 150  # the comparison covered real dates, not only None == None


@pytest.mark.parametrize("index", [0, 60, 120, 180])
def test_skipping_date_and_categories_changes_nothing_else(index: int) -> None:
    _, url, html = PAGES[index]
    full = page_metadata(trafilatura.load_html(html), url, with_date=True)
    lean = page_metadata(trafilatura.load_html(html), url, with_date=False, with_categories=False)
    assert full.date is not None
    assert lean.date is None
    others = tuple(name for name in USED_FIELDS if name != "categories")
    assert fields(lean, others) == fields(full, others)


def test_without_categories_skips_only_the_link_search() -> None:
    """Categories declared in meta tags / JSON-LD stay; those found by searching the
    page's links (what with_categories=False skips) go."""
    declared = found_in_links = 0
    for _, url, html in PAGES:
        full = page_metadata(trafilatura.load_html(html), url, with_date=False)
        lean = page_metadata(
            trafilatura.load_html(html), url, with_date=False, with_categories=False
        )
        if lean.categories:
            declared += 1
            assert lean.categories == full.categories
        elif full.categories:
            found_in_links += 1
    assert declared > 0 and found_in_links > 0


def test_skips_the_licence_search() -> None:
    page = (
        "<html><head><title>A headline here</title></head><body><article><p>Text.</p>"
        "</article><footer><a href='https://creativecommons.org/licenses/by-sa/4.0/'>"
        "CC BY-SA 4.0</a></footer></body></html>"
    )
    assert extract_metadata(trafilatura.load_html(page)).license is not None
    assert page_metadata(trafilatura.load_html(page), None, with_date=False).license is None


def test_a_metadata_failure_quarantines_the_record_with_a_clear_reason(monkeypatch) -> None:
    """bare_extraction used to swallow a ValueError from its metadata step and return
    None; now the step is ours, the record says why it failed."""
    from datetime import date

    from tasks.extract import record as extract
    from tasks.process.pipeline import extract_options
    from tasks.records import Failure, RawRecord

    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("unexpected markup\nin the page")

    monkeypatch.setattr(extract, "page_metadata", broken)
    _, url, html = PAGES[0]
    record = RawRecord(
        source_uri="page.html", input_format="html", content_kind="html", content=html, url=url
    )
    result = extract.extract_record(record, extract_options(date(2025, 3, 18), "test"))
    assert isinstance(result, Failure)
    assert (result.stage, result.error_type) == ("extract", "metadata_failed")
    assert result.error_message == "ValueError: unexpected markup in the page"


# A page whose only date is in its text (no metadata, no date in the URL): htmldate's find.
UNDATED_META_PAGE = (
    "<html><head><title>Harbour works begin</title></head><body><article>"
    "<h1>Harbour works begin</h1><p class='byline'>Published 14 June 2024</p>"
    + "<p>The council began dredging the inner harbour on Monday, two years late.</p>" * 6
    + "</article></body></html>"
)


@pytest.mark.parametrize(
    ("fetched_at", "expected"),
    [
        (datetime(2024, 7, 1, 9, 0, tzinfo=UTC), "2024-06-14"),
        (datetime(2024, 6, 12, 23, 0, tzinfo=UTC), "2024-06-14"),  # within two days
        # a backfill of a page fetched in 2020 cannot have been published in 2024
        (datetime(2020, 5, 1, 9, 0, tzinfo=UTC), None),
        (datetime.max.replace(tzinfo=UTC), "2024-06-14"),  # the bound must not overflow
    ],
)
def test_htmldate_is_bounded_by_the_fetch_time_not_the_clock(fetched_at, expected) -> None:
    tree = trafilatura.load_html(UNDATED_META_PAGE)
    found = page_metadata(tree, "https://example.com/harbour", with_date=True, now=fetched_at)
    assert found.date == expected


def test_extraction_bounds_htmldate_by_the_record_fetch_time() -> None:
    # A date later than the fetch (here in the URL) is implausible for that record: bounded
    # by the clock, htmldate returned it and it was then rejected, hiding the page's own
    # earlier "Published" date; bounded by the fetch time, htmldate returns the page's date.
    page = UNDATED_META_PAGE.replace("14 June 2024", "14 June 2019")
    record = RawRecord(
        source_uri="harbour.html",
        input_format="html",
        content_kind="html",
        content=page.encode(),
        url="https://example.com/2024/03/03/harbour",
        fetched_at=datetime(2020, 5, 1, 9, 0, tzinfo=UTC),
    )
    row = extract_record(record, ExtractOptions(date(2020, 5, 1), "test", schema_version=3))
    assert isinstance(row, dict)
    assert (row["published_at"], row["published_at_source"]) == (
        datetime(2019, 6, 14, tzinfo=UTC),
        "text",
    )


def _dated_page(byline: str) -> str:
    """A page whose meta tags give only the last update; `byline` is what readers see."""
    return (
        "<html><head><title>Data analytics platforms</title>"
        '<meta property="article:modified_time" content="2025-09-15T15:41:43+00:00">'
        "</head><body><article><h1>Data analytics platforms: features and benefits</h1>"
        f"<p class='meta'>{byline}</p>"
        + "<p>Analytics platforms gather data from many sources into one place.</p>" * 6
        + "</article></body></html>"
    )


MODIFIED = datetime(2025, 9, 15, 15, 41, 43, tzinfo=UTC)
FETCHED = datetime(2026, 3, 31, tzinfo=UTC)


def test_htmldate_date_that_is_the_update_gives_way_to_an_earlier_shown_date() -> None:
    tree = trafilatura.load_html(_dated_page("By Jane Doe on January 3, 2024"))
    plain = page_metadata(tree, "https://example.com/a", with_date=True, now=FETCHED)
    assert plain.date == "2025-09-15"  # htmldate alone: the modification meta tag
    found = page_metadata(
        tree, "https://example.com/a", with_date=True, now=FETCHED, modified=MODIFIED
    )
    assert found.date == "2024-01-03"


def test_htmldate_date_stays_the_update_when_the_page_shows_nothing_earlier() -> None:
    tree = trafilatura.load_html(_dated_page("By Jane Doe"))
    found = page_metadata(
        tree, "https://example.com/a", with_date=True, now=FETCHED, modified=MODIFIED
    )
    assert found.date == "2025-09-15"


# blog.firedrake.org: no date metadata, the URL files the post under December 2025, the
# page shows "20 December 2025" under the title; an archive sidebar lists older months.
FIREDRAKE_URL = "https://blog.firedrake.org/archive/2025/12/Advent_of_Code_2025_week_2.html"
FIREDRAKE_PAGE = (
    "<html><head><title>Advent of Code 2025 week 2</title></head><body>"
    "<div class='title'><h1><a href='/'>RogerBW's Blog</a></h1></div>"
    "<table><tr><td><fieldset><legend>Advent of Code 2025 week 2</legend> 20 December 2025"
    "<div class='body'>"
    + "<p>I did Advent of Code again, and these are my notes on days 8 to 14.</p>"
    * 6
    + "</div></fieldset></td><td><p>Archive</p><p>Posted 1 January 2014: Hello</p>"
    "<p>Posted 3 March 2019: Board games</p></td></tr></table></body></html>"
)


def test_htmldate_outside_the_urls_month_gives_way_to_a_date_in_that_month() -> None:
    fetched = datetime(2026, 3, 31, tzinfo=UTC)
    found = page_metadata(
        trafilatura.load_html(FIREDRAKE_PAGE), FIREDRAKE_URL, with_date=True, now=fetched
    )
    assert found.date == "2025-12-20"
    # the page shows no date in that month: htmldate's date stands (nothing better to give)
    other_month = FIREDRAKE_URL.replace("/2025/12/", "/2025/11/")
    found = page_metadata(
        trafilatura.load_html(FIREDRAKE_PAGE), other_month, with_date=True, now=fetched
    )
    assert found.date is not None and not found.date.startswith("2025-11")


def test_the_byline_date_under_the_headline_beats_htmldates_sidebar_date() -> None:
    """mongodb.com's blog: no date metadata; the by-line under the headline shows the date,
    and a "related posts" box before the article has dated entries that htmldate, reading
    the page's date-classed elements first, takes."""
    page = (
        "<html><head><title>Token-count-based Batching</title></head><body>"
        "<aside><h2>Related</h2><p><a href='/blog/a'>Vector search at scale</a>"
        "<span class='date'>December 17, 2025</span></p></aside><article>"
        "<h1>Token-count-based Batching: Faster, Cheaper Embedding Inference</h1>"
        "<span>December 18, 2025<!-- --> <!-- -->・ 3 min read</span>"
        + "<p>Embedding model inference often struggles with efficiency when serving"
        " large volumes of short requests, a common pattern in search.</p>"
        * 6
        + "</article></body></html>"
    )
    url = "https://www.mongodb.com/company/blog/engineering/token-count-based-batching"
    fetched = datetime(2026, 3, 31, tzinfo=UTC)
    assert page_metadata(trafilatura.load_html(page), url, with_date=True, now=fetched).date == (
        "2025-12-17"
    )
    record = RawRecord(
        source_uri="batching.html",
        input_format="html",
        content_kind="html",
        content=page.encode(),
        url=url,
        fetched_at=fetched,
    )
    row = extract_record(record, ExtractOptions(date(2026, 3, 31), "test", schema_version=3))
    assert isinstance(row, dict)
    assert (row["published_at"], row["published_at_source"]) == (
        datetime(2025, 12, 18, tzinfo=UTC),
        "text",
    )
