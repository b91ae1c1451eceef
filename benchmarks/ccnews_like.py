"""Synthetic CC-NEWS-like WARCs from the benchmark pages, for the scale benchmarks.

As CC-NEWS ships: one gzip member per record, a warcinfo record, then request, response and
metadata records per page. Pages cycle over the 181 ScrapingHub benchmark pages with
distinct URLs and canonical links (benchmarks/corpus.py `repeat`), so every copy is its
own article. ~35 KB of WARC per page: 20,000 pages make ~700 MB. Generate into /tmp:

    python benchmarks/ccnews_like.py /tmp/ccnews --records 20000 --files 1
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Iterable
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import pages, repeat  # noqa: E402

WARC_DATE = "2025-03-18T06:00:00Z"


def write_ccnews(path: Path, records: Iterable[tuple[str, bytes]]) -> int:
    """Write one CC-NEWS-like WARC; returns the number of response records."""
    count = 0
    tmp = path.with_name(path.name + ".part")
    with tmp.open("wb") as sink:
        writer = WARCWriter(sink, gzip=True, warc_version="WARC/1.0")
        writer.write_record(writer.create_warcinfo_record(path.name, {"isPartOf": "CC-NEWS"}))
        for url, html in records:
            when = {"WARC-Date": WARC_DATE}
            request = StatusAndHeaders("GET / HTTP/1.1", [("Host", "x")], is_http_request=True)
            writer.write_record(
                writer.create_warc_record(
                    url, "request", http_headers=request, warc_headers_dict=when
                )
            )
            http = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
            )
            writer.write_record(
                writer.create_warc_record(
                    url,
                    "response",
                    payload=io.BytesIO(html),
                    http_headers=http,
                    warc_headers_dict=when,
                )
            )
            writer.write_record(
                writer.create_warc_record(
                    url,
                    "metadata",
                    payload=io.BytesIO(b"fetchTimeMs: 120\r\n"),
                    warc_content_type="application/warc-fields",
                    warc_headers_dict=when,
                )
            )
            count += 1
    tmp.rename(path)
    return count


def build(folder: Path, records: int, files: int, offset: int = 0) -> list[Path]:
    """`files` WARCs holding `records` pages in all (kept when they exist already)."""
    folder.mkdir(parents=True, exist_ok=True)
    corpus = pages()
    stream = repeat(corpus, offset + records)
    for _ in range(offset):
        next(stream)
    paths = []
    per_file = -(-records // files)
    for number in range(files):
        path = folder / f"CC-NEWS-20250318{number:06d}-{offset:05d}.warc.gz"
        take = min(per_file, records - number * per_file)
        if not path.exists():
            write_ccnews(path, (next(stream) for _ in range(take)))
        else:
            for _ in range(take):
                next(stream)
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--files", type=int, default=1)
    args = parser.parse_args()
    for path in build(args.folder, args.records, args.files):
        print(f"{path}  {path.stat().st_size / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
