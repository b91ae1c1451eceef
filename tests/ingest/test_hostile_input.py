"""Input that once took a run down or lost records: out-of-range timestamps, lone surrogates,
file names that are not UTF-8. Each must cost at most its own record, noted or quarantined,
and the run's counts must close over every record actually present."""

from __future__ import annotations

import io
import json
import os
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import DATA, run_local
from runs import DAY, articles, assert_accounts_close, quarantine
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tasks.ingest.filters import WarcFilter
from tasks.ingest.load import iter_records
from tasks.process.write import INVALID_UTF8_NOTE, RunContext, articles_table, quarantine_table
from tasks.records import Failure, RawRecord

PAGE = (DATA / "html" / "echolive-boilerplate.html").read_text(encoding="utf-8")
# Valid ISO 8601 whose UTC form is outside datetime's range: parsing works, astimezone fails.
OUT_OF_RANGE = ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00"]


def warc_of(dates: list[str]) -> bytes:
    sink = io.BytesIO()
    writer = WARCWriter(sink, gzip=True)
    for n, when in enumerate(dates):
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        body = PAGE.replace("<title>", f"<title>{n} ").encode()
        record = writer.create_warc_record(
            f"https://news.example/2025/03/18/story-{n}.html",
            "response",
            payload=io.BytesIO(body),
            http_headers=http,
            warc_headers_dict={"WARC-Date": when},
        )
        writer.write_record(record)
    return sink.getvalue()


def jsonl_of(fetched: list[str]) -> str:
    return "".join(
        json.dumps(
            {
                "url": f"https://news.example/2025/03/18/line-{n}.html",
                "html": PAGE.replace("<title>", f"<title>line {n} "),
                "fetched_at": when,
            }
        )
        + "\n"
        for n, when in enumerate(fetched)
    )


# ---------------------------------------------------------------- timestamps


@pytest.mark.parametrize("bad", OUT_OF_RANGE)
def test_an_out_of_range_timestamp_costs_no_other_record(tmp_path: Path, bad: str) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    good = "2025-03-18T06:30:00Z"
    (raw / "a.jsonl").write_text(jsonl_of([good, bad, good, good, good]), encoding="utf-8")
    (raw / "b.warc.gz").write_bytes(warc_of([good, bad, good, good]))

    record = run_local(raw, tmp_path / "out", workers=1)

    c = record["counts"]
    assert c["records_in"] == 9  # 5 lines + 4 responses: nothing after the bad one is lost
    assert_accounts_close(record)
    assert c["load_notes"]["jsonl_invalid_fetched_at"] == 1
    assert c["load_notes"]["warc_invalid_date"] == 1
    rows = articles(tmp_path / "out") + quarantine(tmp_path / "out")
    assert len(rows) + c["duplicates"] == 9
    by_uri = {r["source_uri"]: r for r in articles(tmp_path / "out")}
    assert by_uri[f"{raw / 'a.jsonl'}#line=2"]["fetched_at"] is None  # the field is null
    assert by_uri[f"{raw / 'a.jsonl'}#line=5"]["fetched_at"] == datetime(
        2025, 3, 18, 6, 30, tzinfo=UTC
    )


def test_fetch_times_at_the_ends_of_the_range_still_give_articles(tmp_path: Path) -> None:
    # valid UTC, but "fetch time + 2 days" (the date plausibility bound) overflows
    raw = tmp_path / "raw"
    raw.mkdir()
    extremes = ["9999-12-31T23:59:59Z", "9999-12-31T23:59:59.999999+00:00", "0001-01-01T00:00Z"]
    (raw / "a.jsonl").write_text(jsonl_of(extremes), encoding="utf-8")

    record = run_local(raw, tmp_path / "out", workers=1)

    assert_accounts_close(record)
    assert record["counts"]["articles"] == 3, record["counts"]["quarantined_by_reason"]


@pytest.mark.parametrize("bad", OUT_OF_RANGE)
def test_warc_date_filter_with_an_out_of_range_date_skips_that_record_only(
    tmp_path: Path, bad: str
) -> None:
    path = tmp_path / "a.warc.gz"
    path.write_bytes(warc_of(["2025-03-18T06:30:00Z", bad, "2025-03-18T07:30:00Z"]))
    window = WarcFilter.from_options(None, "2025-03-18T00:00", "2025-03-19T00:00")
    counters: Counter[str] = Counter()

    items = list(iter_records(path, counters=counters, warc_filter=window))

    assert [type(i) for i in items] == [RawRecord, RawRecord]
    assert counters["warc_filtered_date"] == 1


@pytest.mark.parametrize("bad", OUT_OF_RANGE)
def test_an_out_of_range_option_time_is_a_value_error(bad: str) -> None:
    # the CLI turns ValueError into a usage error; an OverflowError would be a traceback
    with pytest.raises(ValueError, match="out of range"):
        WarcFilter.from_options(None, bad, None)


# ---------------------------------------------------------------- surrogates, file names


def test_lone_surrogates_and_non_utf8_file_names_do_not_take_the_run_down(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    lines = [
        '{"url": "http://s.example/\\udfff"}',  # no content: a quarantine row with that url
        '{"url": "http://s.example/2025/03/18/\\ud800story.html", "html": '
        + json.dumps(PAGE.replace("<title>", "<title>surrogate \ud83d "))
        + "}",
        json.dumps({"url": "https://news.example/2025/03/18/fine.html", "html": PAGE}),
    ]
    (raw / "s.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    bad_name = os.fsencode(raw) + b"/\xff\xfe-page.html"
    with open(bad_name, "wb") as handle:
        handle.write(PAGE.replace("<title>", "<title>bytes name ").encode())
    with open(os.fsencode(raw) + b"/\xff-empty.html", "wb"):
        pass  # an empty file: a quarantine row whose source_uri is not UTF-8

    record = run_local(raw, tmp_path / "out", workers=1)

    assert_accounts_close(record)
    c = record["counts"]
    assert c["records_in"] == 5
    notes = c["load_notes"]
    assert notes[INVALID_UTF8_NOTE] >= 3
    stored = articles(tmp_path / "out") + quarantine(tmp_path / "out")
    assert len(stored) + c["duplicates"] == 5
    texts = [v for row in stored for v in row.values() if isinstance(v, str)]
    for value in texts:
        value.encode("utf-8")  # every string in the files is valid UTF-8
    uris = {row["source_uri"] for row in stored}
    assert f"{raw}/\ufffd\ufffd-page.html" in uris and f"{raw}/\ufffd-empty.html" in uris
    urls = {row["url"] for row in stored}
    assert "http://s.example/\ufffd" in urls


def test_one_unwritable_row_becomes_a_write_quarantine_row(tmp_path: Path) -> None:
    ctx = RunContext(tmp_path, DAY, "run-1", "test")
    good = Failure("a.html", "html", "decode", "binary", "binary content")
    # a raw_size no int64 holds: this row cannot be stored as it is
    broken = Failure("b.html", "html", "decode", "binary", "binary content", raw_size=2**70)
    table = quarantine_table([good, broken, good], ctx)
    rows = table.to_pylist()
    assert len(rows) == 3
    assert [r["stage"] for r in rows] == ["decode", "write", "decode"]
    assert rows[1]["source_uri"] == "b.html" and rows[1]["error_type"] == "unwritable_row"
    path = tmp_path / "q.parquet"
    pq.write_table(table, path)
    assert pq.read_table(path).num_rows == 3


def test_article_strings_are_made_valid_utf8_in_one_place() -> None:
    row = {
        "article_id": "x",
        "url": "http://s.example/\udfff",
        "authors": ["Ann \ud800Lee"],
        "published_at_source": "none",
        "tags": [],
        "text": "t",
        "page_type": "article",
        "word_count": 1,
        "content_hash": "h",
        "simhash": 1,
        "source_uri": "a.jsonl#line=1",
        "input_format": "jsonl",
        "pipeline_version": "p",
        "schema_version": 1,
    }
    notes: Counter[str] = Counter()
    table, failures = articles_table([row], notes)
    assert failures == [] and notes == {INVALID_UTF8_NOTE: 2}
    [stored] = table.to_pylist()
    assert stored["url"] == "http://s.example/\ufffd" and stored["authors"] == ["Ann \ufffdLee"]
