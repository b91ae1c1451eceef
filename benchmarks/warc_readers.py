"""warcio vs FastWARC: which one should `tasks/ingest/load.py` read WARC files with?

Writes WARC files from the 181 ScrapingHub benchmark pages (one warcinfo, then a request
and a response record per page, as a crawler writes them), then reads each file N times
with both libraries, doing what the loader does for every response record: target URI,
WARC-Date, HTTP status, Content-Type and charset, the whole decoded HTTP body and the
record offset. Prints the median records/s (all record types counted) per library, and
for `tasks.ingest.load.iter_records` itself (FastWARC plus building the RawRecords).

Variants:
- `gz-identity`: per-record gzip members, plain HTTP bodies (what Common Crawl ships);
- `gz-chunked-gzip`: the same with every body sent `Transfer-Encoding: chunked` +
  `Content-Encoding: gzip`, so the readers have to de-chunk and decompress (warcio with
  its `content_stream()`, FastWARC with the loader's own decoding);
- `plain-identity`: an uncompressed .warc.

Run: python benchmarks/warc_readers.py [--repeat N] [--pages DIR]
(default pages: benchmarks/data/scrapinghub, the same 181 pages as shared/benchmarks)
"""

from __future__ import annotations

import argparse
import gzip
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fastwarc.warc import ArchiveIterator as FastIterator
from fastwarc.warc import WarcRecordType
from warcio.archiveiterator import ArchiveIterator as WarcioIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from corpus import DATA, pages  # noqa: E402

from tasks.ingest.decode import decode_content  # noqa: E402
from tasks.ingest.load import iter_records  # noqa: E402
from tasks.ingest.warc import _dechunk  # noqa: E402

MAX_BYTES = 10 * 2**20


def load_pages(bench_dir: Path) -> list[tuple[str, bytes]]:
    """(url, html bytes) for every page of the benchmark, sorted by id."""
    return [(page.url, page.html) for page in pages(bench_dir)]


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
    """Same work with FastWARC as the loader uses it: bodies de-chunked and decompressed by
    tasks.ingest.load's own helpers (its auto_decode="all" is not safe, see
    tasks/ingest/load.py)."""
    records = body_bytes = 0
    with path.open("rb") as stream:
        for record in FastIterator(stream, parse_http=False, strict_mode=False):
            records += 1
            if record.record_type != WarcRecordType.response:
                continue
            record.parse_http(strict_mode=False)
            http = record.http_headers
            record.headers.get("WARC-Target-URI")
            record.headers.get("WARC-Date")
            http.status_code  # noqa: B018
            http.get("Content-Type")
            body = record.reader.read(MAX_BYTES + 1)
            if "chunked" in (http.get("Transfer-Encoding") or "").lower():
                body = _dechunk(body)
            body = decode_content(body, http.get("Content-Encoding"), MAX_BYTES)
            body_bytes += len(body)
            record.stream_pos  # noqa: B018
    return records, body_bytes


def read_loader(path: Path) -> tuple[int, int]:
    """tasks.ingest.load.iter_records end to end (RawRecord objects, companions counted)."""
    responses = body_bytes = 0
    for item in iter_records(path):
        responses += 1
        body_bytes += len(item.content)
    # Every record of the file was read to get these: rate over all of them, like the others.
    return 1 + 2 * responses, body_bytes


def median_rate(reader: Callable[[Path], tuple[int, int]], path: Path, repeat: int) -> float:
    # CPU time of this process: the readers are single-threaded, and other work on the
    # machine then shifts the numbers much less than wall-clock time does.
    reader(path)  # warm the page cache and imports
    rates = []
    for _ in range(repeat):
        start = time.process_time()
        records, _ = reader(path)
        rates.append(records / (time.process_time() - start))
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--pages", type=Path, default=DATA, help="benchmark folder")
    args = parser.parse_args()

    corpus = load_pages(args.pages)
    variants = {
        "gz-identity": (True, False, ".warc.gz"),
        "gz-chunked-gzip": (True, True, ".warc.gz"),
        "plain-identity": (False, False, ".warc"),
    }
    readers = {"warcio": read_warcio, "fastwarc": read_fastwarc, "iter_records": read_loader}
    reads = f"median of {args.repeat} reads"
    print(f"{len(corpus)} pages; records (all types) per CPU-second, {reads}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, (gz, encode, suffix) in variants.items():
            path = Path(tmp) / f"{name}{suffix}"
            count = write_warc(path, corpus, gz=gz, encode=encode)
            # The readers must agree on what they read before their speed means anything.
            results = {reader(path) for reader in readers.values()}
            assert len(results) == 1, (name, results)
            rates = {
                label: median_rate(reader, path, args.repeat) for label, reader in readers.items()
            }
            columns = "  ".join(f"{label} {rate:7.0f}" for label, rate in rates.items())
            speedup = rates["fastwarc"] / rates["warcio"]
            size = path.stat().st_size / 1e6
            print(
                f"{name:16s} {count} records {size:5.1f} MB  {columns}  (fastwarc x{speedup:.1f})"
            )


if __name__ == "__main__":
    main()
