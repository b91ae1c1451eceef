"""The extraction step's own failures: whatever breaks inside it is quarantined as stage
`extract` with the exception's class, never blamed on another stage."""

from __future__ import annotations

from datetime import date

import pytest

from tasks.extract.record import extract_record
from tasks.normalise import urls
from tasks.records import ExtractOptions, Failure, RawRecord

OPTIONS = ExtractOptions(crawl_date=date(2025, 3, 18), pipeline_version="test", schema_version=1)
PAGE = (
    "<html><head><title>Storm hits the coast</title></head><body><article><h1>Storm hits "
    "the coast</h1>"
    + "<p>The storm reached the coast on Monday night with strong winds.</p>" * 8
    + "</article></body></html>"
)


def record() -> RawRecord:
    return RawRecord(
        source_uri="page.html",
        input_format="html",
        content_kind="html",
        content=PAGE.encode(),
        url="https://news.example.com/2025/03/18/storm.html",
    )


def test_an_unexpected_error_inside_extraction_is_quarantined_as_extract(monkeypatch) -> None:
    assert not isinstance(extract_record(record(), OPTIONS), Failure)  # the page itself is fine

    class LibrarySurprise(Exception):
        pass

    def broken(*_args, **_kwargs):
        raise LibrarySurprise("tldextract choked")

    # a real component of the step failing in a way nobody planned for
    monkeypatch.setattr(urls, "canonical_url", broken)
    failed = extract_record(record(), OPTIONS)
    assert isinstance(failed, Failure)
    assert (failed.stage, failed.error_type) == ("extract", "LibrarySurprise")
    assert failed.error_message == "LibrarySurprise: tldextract choked"


@pytest.mark.parametrize("error", [RecursionError, MemoryError])
def test_the_special_errors_keep_their_own_handling(monkeypatch, error) -> None:
    def broken(*_args, **_kwargs):
        raise error()

    monkeypatch.setattr(urls, "canonical_url", broken)
    if error is MemoryError:  # the pool's memory limit: raised for the pool to handle
        with pytest.raises(MemoryError):
            extract_record(record(), OPTIONS)
    else:
        failed = extract_record(record(), OPTIONS)
        assert (failed.stage, failed.error_type) == ("extract", "too_deep")
