"""The ScrapingHub article-extraction benchmark pages, shared by the benchmark scripts.

Data: benchmarks/data/scrapinghub (181 pages + ground truth, MIT licence, see its LICENSE).
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

DATA = Path(__file__).resolve().parent / "data" / "scrapinghub"


@dataclass(frozen=True, slots=True)
class Page:
    page_id: str
    url: str
    html: bytes
    truth: str


def pages(root: Path = DATA) -> list[Page]:
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    return [
        Page(
            page_id,
            item["url"],
            gzip.decompress((root / "html" / f"{page_id}.html.gz").read_bytes()),
            item["articleBody"],
        )
        for page_id, item in sorted(truth.items())
    ]


def write_warc(path: Path, records: Iterable[tuple[str, bytes]], fetched_at: datetime) -> None:
    """Write (url, html) pairs as gzipped WARC response records, as `collect` would."""
    with open(path, "wb") as sink:
        writer = WARCWriter(sink, gzip=True)
        date = fetched_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        for url, html in records:
            headers = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
            )
            record = writer.create_warc_record(
                url,
                "response",
                payload=io.BytesIO(html),
                http_headers=headers,
                warc_headers_dict={"WARC-Date": date},
            )
            writer.write_record(record)


def repeat(corpus: list[Page], count: int) -> Iterator[tuple[str, bytes]]:
    """`count` records cycling over the pages, each with a distinct URL and article_id.

    The pages' own canonical links are renamed, or every copy would collapse onto the
    page's canonical URL and be counted as one article plus duplicates.
    """
    for n in range(count):
        page = corpus[n % len(corpus)]
        html = page.html.replace(b'rel="canonical"', b'rel="x-canonical"')
        html = html.replace(b'property="og:url"', b'property="x-og:url"')
        yield f"{page.url}{'&' if '?' in page.url else '?'}copy={n}", html
