"""`process` on Common Crawl CC-NEWS style WARC files, with the domain / WARC-Date filter."""

from __future__ import annotations

import io
import json
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow.dataset as ds
from benchpages import page
from conftest import run_local
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from schemas import PARTITIONING
from tasks.ingest.filters import WarcFilter
from tasks.ingest.load import iter_records

DAY = date(2025, 3, 18)
# (host, hour of WARC-Date on DAY)
RECORDS = [
    ("www.irishtimes.com", 1),
    ("news.irishtimes.com", 5),
    ("www.echolive.ie", 2),
    ("www.example.org", 7),
    ("irishtimes.com.evil.example", 3),  # not a subdomain of irishtimes.com
    ("www.irishtimes.com", 23),
]


def write_ccnews(path: Path) -> None:
    """Per-record gzip, warcinfo then request/response/metadata per page, as CC-NEWS ships."""
    with open(path, "wb") as sink:
        writer = WARCWriter(sink, gzip=True, warc_version="WARC/1.0")
        writer.write_record(writer.create_warcinfo_record(path.name, {"isPartOf": "CC-NEWS"}))
        for n, (host, hour) in enumerate(RECORDS):
            url = f"https://{host}/news/2025/03/18/story-{n}.html"
            when = f"2025-03-18T{hour:02d}:15:00Z"
            request = writer.create_warc_record(
                url,
                "request",
                http_headers=StatusAndHeaders(
                    "GET / HTTP/1.1", [("Host", host)], is_http_request=True
                ),
                warc_headers_dict={"WARC-Date": when},
            )
            response = writer.create_warc_record(
                url,
                "response",
                payload=io.BytesIO(page(n)),
                http_headers=StatusAndHeaders(
                    "200 OK", [("Content-Type", "text/html; charset=UTF-8")], protocol="HTTP/1.1"
                ),
                warc_headers_dict={"WARC-Date": when},
            )
            metadata = writer.create_warc_record(
                url,
                "metadata",
                payload=io.BytesIO(b"fetchTimeMs: 120\r\n"),
                warc_content_type="application/warc-fields",
                warc_headers_dict={"WARC-Date": when},
            )
            for record in (request, response, metadata):
                writer.write_record(record)


def test_filter_by_domain_and_date_counts_what_it_leaves_out(tmp_path: Path) -> None:
    warc = tmp_path / "CC-NEWS-20250318000000-00001.warc.gz"
    write_ccnews(warc)
    counters: Counter[str] = Counter()
    keep = WarcFilter(
        domains=("irishtimes.com",),
        since=datetime(2025, 3, 18, 0, tzinfo=UTC),
        until=datetime(2025, 3, 18, 12, tzinfo=UTC),
    )
    kept = list(iter_records(warc, counters=counters, warc_filter=keep))
    assert [r.url for r in kept] == [
        "https://www.irishtimes.com/news/2025/03/18/story-0.html",
        "https://news.irishtimes.com/news/2025/03/18/story-1.html",
    ]
    assert counters == {
        "warc_skipped_warcinfo": 1,
        "warc_skipped_request": 6,
        "warc_skipped_metadata": 6,
        "warc_filtered_domain": 3,
        "warc_filtered_date": 1,  # the 23:15 irishtimes.com record
    }
    assert kept[0].fetched_at == datetime(2025, 3, 18, 1, 15, tzinfo=UTC)
    # no filter: every response
    assert len(list(iter_records(warc))) == len(RECORDS)


def test_process_backfills_from_a_cc_news_file_with_a_filter(tmp_path: Path) -> None:
    warc = tmp_path / "raw" / "CC-NEWS-20250318000000-00001.warc.gz"
    warc.parent.mkdir()
    write_ccnews(warc)
    record = run_local(
        warc.parent,
        tmp_path / "out",
        DAY,
        workers=1,
        warc_filter=WarcFilter(domains=("irishtimes.com", "echolive.ie")),
    )
    counts = record["counts"]
    assert counts["records_in"] == 4
    assert counts["records_in"] == counts["articles"] + counts["quarantined"] + counts["duplicates"]
    assert counts["load_notes"]["warc_filtered_domain"] == 2
    assert record["config"]["warc_filter"]["domains"] == ["irishtimes.com", "echolive.ie"]
    rows = (
        ds.dataset(tmp_path / "out" / "articles", format="parquet", partitioning=PARTITIONING)
        .to_table(columns=["url", "fetched_at"])
        .to_pylist()
    )
    assert {r["url"].split("/")[2] for r in rows} <= {
        "www.irishtimes.com",
        "news.irishtimes.com",
        "www.echolive.ie",
    }


def test_cli_process_takes_the_filter_options(prefect_harness, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from flows.cli import app

    warc = tmp_path / "CC-NEWS-20250318000000-00001.warc.gz"
    write_ccnews(warc)
    out = tmp_path / "out"
    # another date than tests/flows/test_flow.py's: the session's Prefect API keeps every
    # artifact, and that test reads the `process-2025-03-18` one
    args = ["process", str(warc), "--date", "2025-03-20", "--output", str(out)]
    filters = ["--domain", "echolive.ie", "--warc-since", "2025-03-18T02:00", "--workers", "1"]
    result = CliRunner().invoke(app, args + filters)
    assert result.exit_code == 0, result.output
    assert "records in" in result.output
    [run] = list((out / "_runs").glob("*.json"))
    notes = json.loads(run.read_text())["counts"]["load_notes"]
    assert notes["warc_filtered_domain"] == 5
    bad = CliRunner().invoke(app, args + ["--warc-until", "yesterday"])
    assert bad.exit_code == 2 and "ISO 8601" in bad.output
