"""Pipeline runs for the tests: synthetic rows and commits, raw inputs (single pages, JSONL,
WARC), and the committed tables read back with their accounts checked."""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
from conftest import DATA, REPO
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from schemas import PARTITIONING
from tasks.inspect.read import read_committed
from tasks.process.write import RunContext, articles_table, commit_partitions, write_staged_batch
from tasks.records import Failure, RawRecord

sys.path.append(str(REPO / "benchmarks"))  # the same-site corpus of benchmarks/site_boilerplate.py

from site_corpus import SitePage, write_jsonl  # noqa: E402

DAY = date(2025, 3, 18)


BOILERPLATE_HTML = DATA / "html" / "echolive-boilerplate.html"


def articles(out: Path, day: date = DAY) -> list[dict]:
    dataset = ds.dataset(out / "articles", format="parquet", partitioning=PARTITIONING)
    return dataset.to_table(filter=ds.field("crawl_date") == day).to_pylist()


def quarantine(out: Path, day: date = DAY) -> list[dict]:
    root = out / "quarantine"
    if not root.exists():
        return []
    dataset = ds.dataset(root, format="parquet", partitioning=PARTITIONING)
    return dataset.to_table(filter=ds.field("crawl_date") == day).to_pylist()


def assert_accounts_close(record: dict) -> None:
    c = record["counts"]
    assert c["records_in"] == c["articles"] + c["quarantined"] + c["duplicates"], c


def warc_bytes(records: list[tuple[str, str, bytes, str]]) -> bytes:
    """(warc type, url, body, content type) records as a gzipped WARC."""
    sink = io.BytesIO()
    writer = WARCWriter(sink, gzip=True)
    for kind, url, body, content_type in records:
        if kind == "response":
            headers = StatusAndHeaders(
                "200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1"
            )
            rec = writer.create_warc_record(
                url,
                "response",
                payload=io.BytesIO(body),
                http_headers=headers,
                warc_headers_dict={"WARC-Date": "2025-03-18T06:30:00Z"},
            )
        else:
            rec = writer.create_warc_record(url, kind, payload=io.BytesIO(body))
        writer.write_record(rec)
    return sink.getvalue()


def row(n: int, text: str | None = None, domain: str = "example.com") -> dict:
    body = text or f"article number {n} " * 20
    return {
        "article_id": f"id-{n:05d}",
        "url": f"https://{domain}/a/{n}",
        "canonical_url": f"https://{domain}/a/{n}",
        "source_domain": domain,
        "site_name": "Example",
        "title": f"Title {n}",
        "description": None,
        "authors": ["Jane Doe"],
        "published_at": datetime(2025, 3, 17, n % 24, tzinfo=UTC),
        "modified_at": None,
        "published_at_source": "meta",
        "language": "en",
        "section": None,
        "tags": [],
        "text": body,
        "page_type": "article",
        "word_count": len(body.split()),
        "content_hash": hashlib.blake2b(body.encode(), digest_size=16).hexdigest(),
        "simhash": n,
        "fetched_at": datetime(2025, 3, 18, 6, tzinfo=UTC),
        "source_uri": f"raw/file.warc.gz#offset={n}",
        "input_format": "warc",
        "charset": "utf-8",
        "charset_source": "http",
        "crawl_date": DAY,
        "pipeline_version": "test",
        "schema_version": 2,
    }


def failure(n: int) -> Failure:
    return Failure(f"raw/bad-{n}", "html", "decode", "binary", "looks like a PNG image", None, 10)


def ctx_for(out: Path, run_id: str) -> RunContext:
    return RunContext(output=out, crawl_date=DAY, run_id=run_id, pipeline_version="test")


def commit(out: Path, run_id: str, batches: list[tuple[list[dict], list[Failure]]]):
    ctx = ctx_for(out, run_id)
    for number, (rows, failures) in enumerate(batches):
        table, unwritable = articles_table(rows)
        assert unwritable == []
        write_staged_batch(ctx, number, table, failures)
    total = sum(len(r) + len(f) for r, f in batches)
    return ctx, commit_partitions(ctx, total)


WORDS = [
    "harbour",
    "council",
    "budget",
    "river",
    "school",
    "train",
    "market",
    "storm",
    "vote",
    "bridge",
]


def kill_group_when(
    args: list[str],
    env: dict[str, str],
    cwd: Path,
    until: Callable[[], bool],
    timeout: float = 300.0,
) -> bool:
    """Run a command in its own session and SIGKILL its whole process group (workers
    included) as soon as `until()` is true. False when the command finished first, or
    `timeout` s passed without `until()`."""
    proc = subprocess.Popen(
        args,
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and proc.poll() is None:
            if until():
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(60)
                _wait_group_gone(proc.pid)
                return True
            time.sleep(0.05)
        return False
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(60)


def _wait_group_gone(pgid: int, timeout: float = 30) -> None:
    """Until no process of the killed group is left (workers die a moment after)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


def page(n: int, seed: int = 0) -> str:
    rng = random.Random(n * 1000 + seed)
    paragraphs = "".join(
        "<p>" + " ".join(rng.choice(WORDS) for _ in range(40)) + f" {n}.</p>" for _ in range(4)
    )
    return f"<html><body><article><h1>Story {n}</h1>{paragraphs}</article></body></html>"


def write_warc(path: Path, numbers: range, gz: bool) -> None:
    with path.open("wb") as sink:
        writer = WARCWriter(sink, gzip=gz)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test"}))
        for n in numbers:
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], "HTTP/1.1")
            writer.write_record(
                writer.create_warc_record(
                    f"https://warc.example/{n}",
                    "response",
                    payload=io.BytesIO(page(n).encode()),
                    http_headers=http,
                    warc_headers_dict={"WARC-Date": "2025-03-18T10:00:00Z"},
                )
            )


def make_raw(raw: Path, pages: int = 12) -> Path:
    """Single pages, a JSONL with a duplicate and a bad line, both kinds of WARC, an empty
    page (quarantined)."""
    raw.mkdir(parents=True)
    for n in range(pages):
        (raw / f"page-{n:02d}.html").write_text(page(n))
    lines = [json.dumps({"url": f"https://j.example/{n}", "html": page(100 + n)}) for n in range(6)]
    lines += [lines[0], "{not json"]
    (raw / "feed.jsonl").write_text("\n".join(lines) + "\n")
    write_warc(raw / "crawl.warc.gz", range(200, 215), gz=True)
    write_warc(raw / "crawl-plain.warc", range(300, 310), gz=False)
    (raw / "empty.html").write_text("")
    return raw


def tables(location: str | Path, record: dict[str, Any], s3=None) -> dict[str, list[dict]]:
    """Both committed tables as rows; quarantine's run_id checked to be the run's own."""
    articles = read_committed(str(location), "articles", [DAY], s3=s3).to_pylist()
    quarantine = read_committed(str(location), "quarantine", [DAY], s3=s3).to_pylist()
    assert {row.pop("run_id") for row in quarantine} <= {record["run_id"]}
    c = record["counts"]
    assert c["records_in"] == c["articles"] + c["quarantined"] + c["duplicates"]
    return {"articles": articles, "quarantine": quarantine}


def raw_record(name: str) -> RawRecord:
    return RawRecord(
        source_uri=name, input_format="html", content_kind="html", content=name.encode()
    )


def write_site_inputs(raw: Path, site_pages: list[SitePage]) -> None:
    raw.mkdir(parents=True)
    write_jsonl(raw / "site-html.jsonl", site_pages[:3], "html")
    write_jsonl(raw / "site-text.jsonl", site_pages[3:], "text")
    lonely = site_pages[0]
    with open(raw / "zz-lonely.jsonl", "w", encoding="utf-8") as sink:
        url = "https://lonely.example.org/only-page"
        sink.write(json.dumps({"url": url, "text": lonely.dump}) + "\n")
