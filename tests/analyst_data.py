"""A small multi-date output made by the pipeline itself, for the analysts' tests.

Three crawl dates of real benchmark pages (written as WARC, as `collect` would), with:
- syndication: a wire story re-published verbatim by another site on the same day and the
  next day (same `content_hash`), and once with a one-sentence edit (different
  `content_hash`, simhash a few bits away);
- quarantine: a truncated download and an empty file on every date.

The pages were published around 18-20 November 2019, so the crawl dates are set there and
filters on `published_at` select something real.
"""

from __future__ import annotations

import gzip
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.append(str(REPO / "benchmarks"))

from corpus import Page, pages, write_warc  # noqa: E402

from tasks.process.pipeline import ProcessConfig, run_local  # noqa: E402

DATES = (date(2019, 11, 19), date(2019, 11, 20), date(2019, 11, 21))
PAGES_PER_DATE = 14
MIRROR = "https://www.wiremirror.co.uk/world/"  # a site that re-publishes wire stories
EDIT = b" A spokesperson declined to comment further on Tuesday."


@dataclass(frozen=True, slots=True)
class AnalystData:
    output: Path
    dates: tuple[date, ...]
    runs: list[dict]
    wire_url: str  # the original of the syndicated story
    mirror_urls: list[str]  # its verbatim copies (same content_hash)
    edited_url: str  # its edited copy (near-duplicate)


def _wire_story(corpus: list[Page]) -> Page:
    """A Reuters story whose first sentence can be found (and edited) in its HTML."""
    for page in corpus:
        first = page.truth.split(".")[0].encode()
        if "(Reuters)" in page.truth[:40] and len(first) > 40 and first in page.html:
            return page
    raise LookupError("no Reuters story in the benchmark pages")


def _edited(page: Page) -> bytes:
    sentence = page.truth.split(".")[0].encode() + b"."
    return page.html.replace(sentence, sentence + EDIT, 1)


def _copy_url(page: Page, n: int) -> str:
    return f"{MIRROR}{page.page_id[:12]}-{n}"


def build(root: Path, workers: int = 2) -> AnalystData:
    corpus = pages()
    wire = _wire_story(corpus)
    others = [p for p in corpus if p is not wire]
    runs = []
    mirrors = [_copy_url(wire, 1), _copy_url(wire, 2)]
    edited = _copy_url(wire, 3)
    for i, day in enumerate(DATES):
        raw = root / "raw" / f"crawl_date={day.isoformat()}"
        raw.mkdir(parents=True)
        chunk = others[i * PAGES_PER_DATE : (i + 1) * PAGES_PER_DATE]
        records = [(p.url, p.html) for p in chunk]
        if i == 0:
            records += [(wire.url, wire.html), (mirrors[0], wire.html), (edited, _edited(wire))]
        if i == 1:
            records.append((mirrors[1], wire.html))
        fetched = datetime(day.year, day.month, day.day, 5, 30, tzinfo=UTC)
        write_warc(raw / "crawl.warc.gz", records, fetched)
        (raw / "truncated-download.html.gz").write_bytes(gzip.compress(chunk[0].html)[:400])
        (raw / "empty.html").write_bytes(b"")
        config = ProcessConfig(
            input=str(raw), crawl_date=day, output=str(root / "out"), workers=workers
        )
        runs.append(run_local(config))
    return AnalystData(root / "out", DATES, runs, wire.url, mirrors, edited)


if __name__ == "__main__":  # build one by hand: python tests/analyst_data.py DIR
    built = build(Path(sys.argv[1]))
    print(built.output, [r["counts"] for r in built.runs])
