"""tasks.extract.pagemeta gives what trafilatura's own extract_metadata gives, minus the steps
we skip.

Runs over all 181 ScrapingHub benchmark pages bundled in benchmarks/data (MIT licence):
a trafilatura upgrade that changes its metadata steps fails here instead of silently
changing rows.
"""

from __future__ import annotations

import sys

import pytest
import trafilatura
from conftest import REPO
from trafilatura.metadata import extract_metadata
from trafilatura.settings import set_date_params

from tasks.extract.pagemeta import USED_FIELDS, page_metadata

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
