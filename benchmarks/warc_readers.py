"""warcio vs FastWARC: which one should `tasks/load.py` read WARC files with?

Writes WARC files from the 181 ScrapingHub benchmark pages (one warcinfo, then a request
and a response record per page, as a crawler writes them), then reads each file N times
with both libraries, doing what the loader does for every response record: target URI,
WARC-Date, HTTP status, Content-Type and charset, the whole decoded HTTP body and the
record offset. Prints the median records/s (all record types counted) per library.

Variants:
- `gz-identity`: per-record gzip members, plain HTTP bodies (what Common Crawl ships);
- `gz-chunked-gzip`: the same with every body sent `Transfer-Encoding: chunked` +
  `Content-Encoding: gzip`, so both readers have to de-chunk and decompress;
- `plain-identity`: an uncompressed .warc.

Run: /work/venv/bin/python benchmarks/warc_readers.py [--repeat N] [--pages DIR]
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fastwarc.warc import ArchiveIterator as FastIterator
from fastwarc.warc import WarcRecordType
from warcio.archiveiterator import ArchiveIterator as WarcioIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

DEFAULT_PAGES = Path(__file__).resolve().parents[2] / "shared/benchmarks/scrapinghub"


def load_pages(bench_dir: Path) -> list[tuple[str, bytes]]:
    """(url, html bytes) for every page of the benchmark, sorted by id."""
    truth = json.loads((bench_dir / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for path in sorted((bench_dir / "html").glob("*.html.gz")):
        page_id = path.name.removesuffix(".html.gz")
        pages.append((truth[page_id]["url"], gzip.decompress(path.read_bytes())))
    return pages


def chunked(body: bytes, size: int = 8192) -> bytes:
    """HTTP/1.1 chunked transfer coding of `body`."""
    parts = [
        b"%x\r\n" % len(body[i : i + size]) + body[i : i + size] + b"\r\n"
        for i in range(0, len(body), size)
    ]
    return b"".join(parts) + b"0\r\n\r\n"


def write_warc(path: Path, pages: list[tuple[str, bytes]], *, gz: bool, encode: bool) -> int:
    """Write warcinfo + (request, response) per page; return the number of records written."""
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=gz)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "newsflow"}))
        for url, html in pages:
            request_headers = StatusAndHeaders(
                "GET / HTTP/1.1", [("Host", url.split("/")[2])], is_http_request=True
            )
            writer.write_record(
                writer.create_warc_record(url, "request", http_headers=request_headers)
            )
            headers = [("Content-Type", "text/html; charset=utf-8")]
            body = html
            if encode:
                body = chunked(gzip.compress(html))
                headers += [("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")]
            http_headers = StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")
            record = writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), http_headers=http_headers
            )
            writer.write_record(record)
    return 1 + 2 * len(pages)


def read_warcio(path: Path) -> tuple[int, int]:
    """Read every record the way the loader does; return (records seen, body bytes)."""
    records = body_bytes = 0
    with path.open("rb") as stream:
        iterator = WarcioIterator(stream)
        for record in iterator:
            records += 1
            if record.rec_type != "response":
                continue
            record.rec_headers.get_header("WARC-Target-URI")
            record.rec_headers.get_header("WARC-Date")
            record.http_headers.get_statuscode()
            record.http_headers.get_header("Content-Type")
            body_bytes += len(record.content_stream().read())
            iterator.get_record_offset()
    return records, body_bytes


def read_fastwarc(path: Path) -> tuple[int, int]:
    """Same work with FastWARC (auto_decode="all" de-chunks and decompresses bodies)."""
    records = body_bytes = 0
    with path.open("rb") as stream:
        for record in FastIterator(stream, auto_decode="all"):
            records += 1
            if record.record_type != WarcRecordType.response:
                continue
            record.headers.get("WARC-Target-URI")
            record.record_date  # noqa: B018 - parses WARC-Date, as the loader does
            record.http_headers.status_code  # noqa: B018
            record.http_charset  # noqa: B018
            body_bytes += len(record.reader.read())
            record.stream_pos  # noqa: B018
    return records, body_bytes


def median_rate(reader: Callable[[Path], tuple[int, int]], path: Path, repeat: int) -> float:
    reader(path)  # warm the page cache and imports
    rates = []
    for _ in range(repeat):
        start = time.perf_counter()
        records, _ = reader(path)
        rates.append(records / (time.perf_counter() - start))
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--pages", type=Path, default=DEFAULT_PAGES)
    args = parser.parse_args()

    pages = load_pages(args.pages)
    variants = {
        "gz-identity": (True, False, ".warc.gz"),
        "gz-chunked-gzip": (True, True, ".warc.gz"),
        "plain-identity": (False, False, ".warc"),
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, (gz, encode, suffix) in variants.items():
            path = Path(tmp) / f"{name}{suffix}"
            count = write_warc(path, pages, gz=gz, encode=encode)
            # Both readers must agree on what they read before their speed means anything.
            assert read_warcio(path) == read_fastwarc(path), name
            warcio_rate = median_rate(read_warcio, path, args.repeat)
            fast_rate = median_rate(read_fastwarc, path, args.repeat)
            print(
                f"{name:16s} {count} records, {path.stat().st_size / 1e6:5.1f} MB: "
                f"warcio {warcio_rate:8.0f} rec/s, fastwarc {fast_rate:8.0f} rec/s "
                f"(x{fast_rate / warcio_rate:.1f}), median of {args.repeat}"
            )


if __name__ == "__main__":
    main()
