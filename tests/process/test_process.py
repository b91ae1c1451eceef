"""The process pipeline end to end on real files: formats, bad input, idempotency, crashes.

These tests run the same driver the Prefect flow runs (tasks.process.pipeline.run_process) with a
plain thread pool; tests/flows/test_flow.py runs it under Prefect.
"""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import DATA, DEMO_RAW, SAMPLE_BOILERPLATE, SAMPLE_TXT, run_local
from runs import BOILERPLATE_HTML, DAY, articles, assert_accounts_close, quarantine, warc_bytes

from schemas import ARTICLES_FILE_SCHEMA, PARTITIONING
from tasks.process import write

# --- the sample article and the HTML page with boilerplate -------------------------------


def test_plain_text_sample_becomes_a_clean_article(tmp_path: Path) -> None:
    record = run_local(SAMPLE_TXT, tmp_path / "out", workers=1)
    assert_accounts_close(record)
    [row] = articles(tmp_path / "out")
    assert (
        row["title"] == "Trump and Putin speak for more than an hour as US seeks Ukraine ceasefire"
    )
    assert row["authors"] == ["Reuters", "Associated Press"]
    assert row["input_format"] == "text" and row["language"] == "en"
    text = row["text"]
    for gone in SAMPLE_BOILERPLATE:
        assert gone not in text, gone
    assert text.startswith(
        "US president Donald Trump and Russian president Vladimir Putin discussed"
    )
    assert "nearly a quarter of Ukraine’s electricity" in text
    assert text.endswith("they wouldn’t be here any longer,” Mr Trump said.")
    assert row["title"] not in text
    assert row["word_count"] == len(text.split())
    assert row["published_at"] is None and row["published_at_source"] == "none"


def test_html_page_with_cookie_banner_nav_related_and_footer(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(BOILERPLATE_HTML, raw / "page.html")
    record = run_local(raw, tmp_path / "out", workers=1)
    assert_accounts_close(record)
    [row] = articles(tmp_path / "out")
    text = row["text"]
    for gone in (
        "cookies",
        "Cookie Policy",
        "Privacy Policy",
        "Share on Facebook",
        "Subscribe",
        "More in this section",
        "Ceasefire talks to continue",
        "Sign up to our newsletter",
        "Examiner Echo Group",
        "Picture: AP Photo",
    ):
        assert gone not in text, gone
    assert text.startswith("US president Donald Trump and Russian president Vladimir Putin")
    assert "ZELENSKIY SAYS SOVEREIGNTY NOT NEGOTIABLE" in text
    assert text.endswith("Mr Trump said.")
    assert "\n\n" in text and "\n\n\n" not in text
    assert (
        row["title"] == "Trump and Putin speak for more than an hour as US seeks Ukraine ceasefire"
    )
    assert row["canonical_url"] == "https://www.echolive.ie/world/arid-41594010.html"
    assert row["source_domain"] == "echolive.ie"
    assert row["site_name"] == "Echo Live"
    assert row["published_at"] == datetime(2025, 3, 18, 14, 48, tzinfo=UTC)
    assert row["published_at_source"] == "json-ld"
    assert row["modified_at"] == datetime(2025, 3, 18, 16, 5, tzinfo=UTC)
    assert row["authors"] == ["Reuters", "Associated Press"]
    assert row["section"] == "World"
    assert row["language"] == "en"
    assert (row["charset"], row["charset_source"]) == ("utf-8", "meta")


# --- every input format ----------------------------------------------------------------


def test_every_input_format_is_read_and_points_back_to_its_record(tmp_path: Path) -> None:
    page = BOILERPLATE_HTML.read_bytes()
    other = page.replace(b"arid-41594010", b"arid-2")  # a second article id
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.html").write_bytes(page.replace(b"arid-41594010", b"arid-html"))
    (raw / "b.htm").write_bytes(page.replace(b"arid-41594010", b"arid-htm"))
    (raw / "c.html.gz").write_bytes(gzip.compress(page.replace(b"arid-41594010", b"arid-gz")))
    shutil.copy(SAMPLE_TXT, raw / "d.txt")
    lines = [
        json.dumps(
            {
                "url": "https://example.com/j1",
                "html": other.decode(),
                "fetched_at": "2025-03-18T05:00:00+01:00",
            }
        ),
        "",
        json.dumps(
            {"url": "https://example.com/j2", "text": SAMPLE_TXT.read_text(encoding="utf-8")}
        ),
    ]
    (raw / "e.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (raw / "f.jsonl.gz").write_bytes(gzip.compress((lines[0].replace("j1", "j3") + "\n").encode()))
    warc = warc_bytes(
        [
            ("warcinfo", "", b"software: test", ""),
            ("request", "https://warc.example.org/w1", b"GET /w1 HTTP/1.1\r\n\r\n", ""),
            (
                "response",
                "https://warc.example.org/w1",
                other.replace(b"arid-2", b"arid-w1"),
                "text/html; charset=utf-8",
            ),
        ]
    )
    (raw / "g.warc.gz").write_bytes(warc)
    (raw / "h.warc").write_bytes(gzip.decompress(warc).replace(b"/w1", b"/w2"))

    record = run_local(raw, tmp_path / "out", workers=2)
    assert_accounts_close(record)
    assert quarantine(tmp_path / "out") == []
    rows = {r["source_uri"].replace(str(raw) + "/", ""): r for r in articles(tmp_path / "out")}
    formats = {uri: r["input_format"] for uri, r in rows.items()}
    assert formats == {
        "a.html": "html",
        "b.htm": "html",
        "c.html.gz": "html",
        "d.txt": "text",
        "e.jsonl#line=1": "jsonl",
        "e.jsonl#line=3": "jsonl",
        "f.jsonl.gz#line=1": "jsonl",
        "g.warc.gz#offset=" + rows_offset(rows, "g.warc.gz"): "warc",
        "h.warc#offset=" + rows_offset(rows, "h.warc"): "warc",
    }
    assert rows["e.jsonl#line=1"]["fetched_at"] == datetime(2025, 3, 18, 4, tzinfo=UTC)
    assert rows["e.jsonl#line=1"]["url"] == "https://example.com/j1"
    assert rows["e.jsonl#line=3"]["title"].startswith("Trump and Putin")
    warc_row = rows["g.warc.gz#offset=" + rows_offset(rows, "g.warc.gz")]
    assert warc_row["url"] == "https://warc.example.org/w1"
    assert warc_row["fetched_at"] == datetime(2025, 3, 18, 6, 30, tzinfo=UTC)
    assert warc_row["charset_source"] == "http"
    assert record["counts"]["load_notes"] == {"warc_skipped_request": 2, "warc_skipped_warcinfo": 2}


def rows_offset(rows: dict, name: str) -> str:
    [uri] = [u for u in rows if u.startswith(name + "#offset=")]
    return uri.split("=", 1)[1]


# --- bad input ---------------------------------------------------------------------------


def test_bad_inputs_become_quarantine_rows_and_the_run_completes(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    good = BOILERPLATE_HTML.read_bytes()
    (raw / "empty.html").write_bytes(b"")
    (raw / "image.html").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40)
    (raw / "truncated.html.gz").write_bytes(gzip.compress(good)[:300])
    latin = (
        "<html><body><article>" + "<p>Le café de la place est fermé depuis très longtemps, "
        "a déclaré le maire à la presse locale mardi matin.</p>" * 8 + "</article></body></html>"
    )
    (raw / "latin1.html").write_bytes(latin.encode("cp1252"))
    (raw / "huge.html").write_bytes(
        b"<html><body>" + b"<p>word " * (20 * 2**20 // 8) + b"</body></html>"
    )
    (raw / "deep.html").write_bytes(
        b"<html><body>"
        + b"<div>" * 5000
        + b"<p>deep text</p>"
        + b"</div>" * 5000
        + b"</body></html>"
    )
    (raw / "lines.jsonl").write_text(
        "this is not json\n" + json.dumps({"url": "https://x.org/a", "html": good.decode()}) + "\n",
        encoding="utf-8",
    )
    (raw / "odd.warc.gz").write_bytes(warc_bytes([("resource", "https://x.org/file", b"data", "")]))

    record = run_local(raw, tmp_path / "out", workers=2)
    assert_accounts_close(record)
    reasons = {
        (Path(q["source_uri"].split("#")[0]).name, q["stage"], q["error_type"])
        for q in quarantine(tmp_path / "out")
    }
    assert ("empty.html", "load", "empty") in reasons
    assert ("image.html", "decode", "binary") in reasons
    assert ("truncated.html.gz", "load", "truncated_gzip") in reasons or (
        "truncated.html.gz",
        "load",
        "corrupt_gzip",
    ) in reasons
    assert ("huge.html", "load", "too_large") in reasons
    assert ("deep.html", "extract", "too_deep") in reasons
    assert ("lines.jsonl", "load", "invalid_json") in reasons
    assert ("odd.warc.gz", "load", "warc_not_response") in reasons
    assert len(reasons) == 7
    for q in quarantine(tmp_path / "out"):
        assert q["error_message"] and q["run_id"] == record["run_id"]
    rows = articles(tmp_path / "out")
    [french] = [r for r in rows if r["source_uri"].endswith("latin1.html")]
    assert "Le café de la place est fermé" in french["text"]
    assert french["language"] == "fr"
    assert any(r["source_uri"].endswith("lines.jsonl#line=2") for r in rows)
    assert record["counts"]["records_in"] == 9


def test_a_document_over_its_time_limit_is_quarantined_as_an_extract_timeout(
    tmp_path: Path,
) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(BOILERPLATE_HTML, raw / "a.html")
    shutil.copy(BOILERPLATE_HTML, raw / "b.html")
    record = run_local(raw, tmp_path / "out", workers=1, doc_timeout=1e-4)
    assert_accounts_close(record)
    assert {(q["stage"], q["error_type"]) for q in quarantine(tmp_path / "out")} == {
        ("extract", "timeout")
    }
    assert record["counts"]["workers_replaced"] == 2


# --- output contract, idempotency, crashes ---------------------------------------------


def test_demo_raw_zone_round_trips_through_pyarrow_pandas_duckdb(tmp_path: Path) -> None:
    out = tmp_path / "out"
    record = run_local(DEMO_RAW, out, workers=2)
    assert_accounts_close(record)
    counts = record["counts"]
    assert (counts["records_in"], counts["articles"], counts["quarantined"]) == (14, 13, 1)
    part = out / "articles" / f"crawl_date={DAY}"
    [name] = [p.name for p in part.glob("*.parquet")]
    assert pq.read_schema(part / name).remove_metadata() == ARTICLES_FILE_SCHEMA.remove_metadata()

    import duckdb
    import pandas as pd

    frame = pd.read_parquet(out / "articles", partitioning=PARTITIONING)
    assert len(frame) == 13
    assert str(frame["published_at"].dt.tz) == "UTC"
    assert list(frame.loc[frame["input_format"] == "text", "authors"].iloc[0]) == [
        "Reuters",
        "Associated Press",
    ]
    con = duckdb.connect()
    described = con.execute(
        f"DESCRIBE SELECT * FROM read_parquet('{out}/articles/*/*.parquet', hive_partitioning=true)"
    ).fetchall()
    types = {name: kind for name, kind, *_ in described}
    assert types["crawl_date"] == "DATE"
    assert types["published_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["authors"] == "VARCHAR[]"
    source = f"read_parquet('{out}/articles/*/*.parquet', hive_partitioning=true)"
    n, days = con.execute(f"SELECT count(*), count(DISTINCT crawl_date) FROM {source}").fetchone()
    assert (n, days) == (13, 1)


def test_rerunning_a_date_gives_identical_rows(backend) -> None:
    out = backend.location
    kw = {"s3": backend.options}
    first = run_local(DEMO_RAW, out, workers=2, **kw)
    before = backend.plain_read("articles", DAY).sort_by("article_id")
    second = run_local(DEMO_RAW, out, workers=1, batch_size=3, **kw)
    after = backend.plain_read("articles", DAY).sort_by("article_id")
    assert first["run_id"] != second["run_id"]
    assert after.num_rows == 13 and after.equals(before)
    assert backend.committed("articles", DAY).sort_by("article_id").equals(after)
    assert len(backend.plain_read("quarantine", DAY)) == 1
    assert len(backend.run_records()) == 2
    assert backend.staging() == []


def test_duplicate_records_are_counted_not_written(tmp_path: Path, backend) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in ("a.html", "b.html", "c.html"):  # same canonical URL three times
        shutil.copy(BOILERPLATE_HTML, raw / name)
    record = run_local(raw, backend.location, workers=2, s3=backend.options)
    assert_accounts_close(record)
    assert (record["counts"]["articles"], record["counts"]["duplicates"]) == (1, 2)
    [row] = backend.plain_read("articles", DAY).to_pylist()
    assert row["source_uri"].endswith("a.html")  # first in input order wins


def test_a_crash_during_the_write_leaves_the_old_partition(backend, monkeypatch) -> None:
    out = backend.location
    run_local(DEMO_RAW, out, workers=1, s3=backend.options)
    before = backend.files("articles", DAY)

    def disk_full(table, path, compression):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(write, "_write_file", disk_full)
    with pytest.raises(OSError, match="No space left"):
        run_local(DEMO_RAW, out, workers=1, s3=backend.options)
    assert backend.files("articles", DAY) == before
    assert backend.staging() == []
    assert len(backend.run_records()) == 1


# --- page types ----------------------------------------------------------------------


def _wcxb_page(page_type: str) -> tuple[str, dict]:
    """A real WCXB page of this type from tests/data/wcxb (see its README)."""
    pages = json.loads((DATA / "wcxb" / "pages.json").read_text(encoding="utf-8"))
    return next((name, p) for name, p in sorted(pages.items()) if p["page_type"] == page_type)


def _raw_with_a_listing_and_an_article(tmp_path: Path) -> tuple[Path, dict]:
    name, page = _wcxb_page("listing")
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(BOILERPLATE_HTML, raw / "article.html")
    lines = [{"url": page["url"], "html": gzip.decompress((DATA / "wcxb" / name).read_bytes())}]
    lines[0]["html"] = lines[0]["html"].decode("utf-8", errors="replace")
    (raw / "listing.jsonl").write_text(json.dumps(lines[0]) + "\n", encoding="utf-8")
    return raw, page


def test_a_non_article_page_is_quarantined_with_its_type(tmp_path: Path) -> None:
    raw, page = _raw_with_a_listing_and_an_article(tmp_path)
    record = run_local(raw, tmp_path / "out", workers=1)
    assert_accounts_close(record)
    assert record["counts"]["records_in"] == 2
    [row] = articles(tmp_path / "out")
    assert row["page_type"] == "article" and row["title"].startswith("Trump and Putin")
    [bad] = quarantine(tmp_path / "out")
    assert (bad["stage"], bad["error_type"]) == ("extract", "not_article")
    assert "page_type=listing" in bad["error_message"]
    assert bad["url"] == page["url"]


def test_keep_non_articles_keeps_the_page_with_its_type(tmp_path: Path) -> None:
    raw, page = _raw_with_a_listing_and_an_article(tmp_path)
    record = run_local(raw, tmp_path / "out", workers=1, keep_non_articles=True)
    assert_accounts_close(record)
    rows = {r["url"]: r for r in articles(tmp_path / "out")}
    assert len(rows) == 2 and not quarantine(tmp_path / "out")
    assert rows[page["url"]]["page_type"] == "listing"
    assert rows[page["url"]]["text"]


def test_plain_text_records_are_articles(tmp_path: Path) -> None:
    run_local(SAMPLE_TXT, tmp_path / "out", workers=1)
    [row] = articles(tmp_path / "out")
    assert row["page_type"] == "article"
