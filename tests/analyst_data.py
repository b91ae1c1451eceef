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
import re
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa

from schemas import ARTICLES_SCHEMA

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


TIMESTAMPS = ("published_at", "modified_at", "fetched_at")


LISTS = ("authors", "tags")


def _assert_pandas(df: pd.DataFrame) -> None:
    assert all(type(v) is date for v in df["crawl_date"]), df["crawl_date"].dtype
    for column in TIMESTAMPS:
        assert str(df[column].dt.tz) == "UTC", (column, df[column].dtype)
    published = df["published_at"].dropna()
    assert len(published) and all(t.utcoffset() == timedelta(0) for t in published)
    for column in LISTS:
        values = df[column].dropna()
        assert len(values) and all(isinstance(v, list) for v in values), df[column].dtype
        assert all(isinstance(item, str) for v in values for item in v)
    assert any(len(v) for v in df["authors"].dropna())  # not only empty lists


def _assert_polars(df: pl.DataFrame) -> None:
    schema = df.schema
    assert schema["crawl_date"] == pl.Date
    for column in TIMESTAMPS:
        assert schema[column] == pl.Datetime("us", "UTC"), column
    for column in LISTS:
        assert schema[column] == pl.List(pl.String), column
    assert schema["simhash"] == pl.UInt64


def _assert_arrow(table: pa.Table) -> None:
    for name in ("crawl_date", *TIMESTAMPS, *LISTS, "simhash", "word_count"):
        assert table.schema.field(name).type == ARTICLES_SCHEMA.field(name).type, name


def _assert_duckdb(relation: duckdb.DuckDBPyRelation) -> None:
    types = dict(zip(relation.columns, map(str, relation.types), strict=True))
    assert types["crawl_date"] == "DATE"
    for column in TIMESTAMPS:
        assert types[column] == "TIMESTAMP WITH TIME ZONE", column
    for column in LISTS:
        assert types[column] == "VARCHAR[]", column
    assert types["simhash"] == "UBIGINT"
    _assert_pandas_from_duckdb(relation.df())


def _assert_pandas_from_duckdb(df: pd.DataFrame) -> None:
    # DuckDB hands pandas NumPy dtypes: a DATE is a datetime64 at midnight, lists are lists
    assert str(df["crawl_date"].dtype).startswith("datetime64"), df["crawl_date"].dtype
    for column in TIMESTAMPS:
        assert str(df[column].dt.tz) in ("UTC", "Etc/UTC"), (column, df[column].dtype)


def assert_analyst_types(articles: Any) -> list[date]:
    """Check the types of whatever a recipe produced; returns its crawl dates."""
    if isinstance(articles, pd.DataFrame):
        _assert_pandas(articles)
        return sorted(set(articles["crawl_date"]))
    if isinstance(articles, pl.DataFrame):
        _assert_polars(articles)
        return sorted(set(articles["crawl_date"].to_list()))
    if isinstance(articles, pa.Table):
        _assert_arrow(articles)
        return sorted(set(articles.column("crawl_date").to_pylist()))
    if isinstance(articles, duckdb.DuckDBPyRelation):
        _assert_duckdb(articles)
        return sorted(r[0] for r in articles.aggregate("crawl_date", "crawl_date").fetchall())
    raise TypeError(f"no type check for {type(articles).__name__}")


DOC = REPO / "docs" / "analysts.md"


FENCE = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def python_blocks(text: str) -> list[str]:
    return FENCE.findall(text)
