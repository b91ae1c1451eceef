"""Read committed partitions back: the file list of the latest committed generation and
ready-made pyarrow / DuckDB / polars settings, for a local folder or an s3:// root.

    from tasks.inspect.read import committed_files, read_committed
    table = read_committed("s3://lake/news", crawl_dates=["2025-03-18"])   # pyarrow Table
    files = committed_files("s3://lake/news")    # ["s3://lake/news/articles/crawl_date=.../part-...parquet"]

Only files named by a partition's manifest (`_newsflow.json`) are returned, so a reader never
mixes generations, even while a commit is in flight or after a commit died half-way. The
recipes for pandas, polars, DuckDB and plain pyarrow are in docs/s3.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds

from schemas import PARTITIONING, partition_name
from tasks.storage.fs import Storage, open_storage
from tasks.storage.options import S3Options, duckdb_secret_sql, polars_storage_options

__all__ = [
    "arrow_filesystem",
    "committed_dataset",
    "committed_files",
    "duckdb_connect",
    "duckdb_secret_sql",
    "polars_storage_options",
    "read_committed",
]


def committed_files(
    location: str | Path | Storage,
    table: str = "articles",
    crawl_dates: Iterable[date | str] | None = None,
    s3: S3Options | None = None,
) -> list[str]:
    """Paths / s3:// URIs of the committed files of `table`, for all or some crawl dates."""
    store = open_storage(location, s3)
    return [store.uri_of(key) for key in _committed_keys(store, table, crawl_dates)]


def _committed_keys(
    store: Storage, table: str, crawl_dates: Iterable[date | str] | None
) -> list[str]:
    if crawl_dates is None:
        partitions = [p for p in store.list_dirs(table) if p.startswith("crawl_date=")]
    else:
        partitions = [partition_name(d) for d in crawl_dates]
    return [
        f"{table}/{partition}/{name}"
        for partition in sorted(partitions)
        for name in store.committed_names(f"{table}/{partition}")
    ]


def arrow_filesystem(location: str | Path | Storage, s3: S3Options | None = None) -> Any:
    """A pyarrow FileSystem that reaches `location` (S3: same endpoint and credentials)."""
    return open_storage(location, s3).arrow_filesystem()


def committed_dataset(
    location: str | Path | Storage,
    table: str = "articles",
    crawl_dates: Iterable[date | str] | None = None,
    s3: S3Options | None = None,
) -> ds.Dataset | None:
    """A pyarrow dataset over the committed files (crawl_date as a column), or None."""
    store = open_storage(location, s3)
    keys = _committed_keys(store, table, crawl_dates)
    if not keys:
        return None
    return ds.dataset(
        [store.arrow_path(key) for key in keys],
        filesystem=store.arrow_filesystem(),
        format="parquet",
        partitioning=PARTITIONING,
        partition_base_dir=store.arrow_path(table),
    )


def read_committed(
    location: str | Path | Storage,
    table: str = "articles",
    crawl_dates: Iterable[date | str] | None = None,
    columns: list[str] | None = None,
    s3: S3Options | None = None,
) -> pa.Table:
    """The committed rows of `table` as one Arrow table (empty when nothing is committed)."""
    dataset = committed_dataset(location, table, crawl_dates, s3)
    if dataset is None:
        return pa.table({})
    return dataset.to_table(columns=columns)


def duckdb_connect(s3: S3Options | None = None) -> Any:
    """A DuckDB connection with httpfs loaded and an S3 secret for `s3` (or the defaults).

    httpfs comes from the PyPI package duckdb-extension-httpfs (same version as duckdb), so
    nothing is downloaded at run time; without it, DuckDB's own `INSTALL httpfs` is tried.
    """
    import importlib.util

    import duckdb

    con = duckdb.connect()
    spec = importlib.util.find_spec("duckdb_extension_httpfs")
    bundled = None
    if spec and spec.submodule_search_locations:
        base = Path(next(iter(spec.submodule_search_locations)))
        bundled = base / "extensions" / f"v{duckdb.__version__}" / "httpfs.duckdb_extension"
    if bundled is not None and bundled.exists():
        con.execute(f"LOAD '{bundled}'")
    else:
        con.execute("INSTALL httpfs")
        con.execute("LOAD httpfs")
    con.execute(duckdb_secret_sql(s3))
    return con
