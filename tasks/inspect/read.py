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
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs

from schemas import PARTITIONING, partition_name
from tasks.storage.store import (
    MANIFEST_NAME,
    LocalStorage,
    S3Options,
    S3Storage,
    Storage,
    aws_credentials,
    open_storage,
)


def committed_files(
    location: str | Path | Storage,
    table: str = "articles",
    crawl_dates: Iterable[date | str] | None = None,
    s3: S3Options | None = None,
) -> list[str]:
    """Paths / s3:// URIs of the committed files of `table`, for all or some crawl dates."""
    store = open_storage(location, s3)
    if crawl_dates is None:
        partitions = [p for p in store.list_dirs(table) if p.startswith("crawl_date=")]
    else:
        partitions = [partition_name(d) for d in crawl_dates]
    files: list[str] = []
    for partition in sorted(partitions):
        folder = f"{table}/{partition}"
        manifest = store.read_json(f"{folder}/{MANIFEST_NAME}")
        if manifest is not None:
            names = manifest.get("files", [])
        elif isinstance(store, LocalStorage):
            # local partitions are swapped whole, so the folder is one generation; quarantine
            # partitions written before manifests existed have none
            names = sorted(e.key.rsplit("/", 1)[-1] for e in store.list(folder))
            names = [n for n in names if n.endswith(".parquet") and not n.startswith((".", "_"))]
        else:
            names = []  # S3: no manifest, nothing committed
        files += [store.uri_of(f"{folder}/{name}") for name in names]
    return files


def arrow_filesystem(location: str | Path | Storage, s3: S3Options | None = None) -> Any:
    """A pyarrow FileSystem that reaches `location` (S3: same endpoint and credentials)."""
    store = open_storage(location, s3)
    if not isinstance(store, S3Storage):
        return pafs.LocalFileSystem()
    options = store.options
    kwargs: dict[str, Any] = {"region": options.region or "us-east-1"}
    if options.endpoint_url:
        parts = urlsplit(options.endpoint_url)
        kwargs["endpoint_override"] = parts.netloc.rsplit("@", 1)[-1]
        kwargs["scheme"] = parts.scheme or "https"
    creds = aws_credentials(options)
    if creds is not None:
        kwargs.update(
            access_key=creds.access_key, secret_key=creds.secret_key, session_token=creds.token
        )
    kwargs["force_virtual_addressing"] = options.addressing_style == "virtual"
    kwargs["retry_strategy"] = pafs.AwsStandardS3RetryStrategy(
        max_attempts=options.max_attempts or 8
    )
    return pafs.S3FileSystem(**kwargs)


def committed_dataset(
    location: str | Path | Storage,
    table: str = "articles",
    crawl_dates: Iterable[date | str] | None = None,
    s3: S3Options | None = None,
) -> ds.Dataset | None:
    """A pyarrow dataset over the committed files (crawl_date as a column), or None."""
    store = open_storage(location, s3)
    files = committed_files(store, table, crawl_dates)
    if not files:
        return None
    return ds.dataset(
        [_arrow_path(f) for f in files],
        filesystem=arrow_filesystem(store),
        format="parquet",
        partitioning=PARTITIONING,
        partition_base_dir=_arrow_path(store.uri_of(table)),
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


def duckdb_secret_sql(s3: S3Options | None = None, name: str = "newsflow") -> str:
    """`CREATE SECRET` for DuckDB's httpfs with the same endpoint and credentials.

    Holds the secret: run it, never log or store it.
    """
    options = (s3 or S3Options()).resolved()
    creds = aws_credentials(options)
    fields = {"TYPE": "s3", "REGION": options.region or "us-east-1"}
    if creds is not None:
        fields |= {"KEY_ID": creds.access_key, "SECRET": creds.secret_key}
        if creds.token:
            fields["SESSION_TOKEN"] = creds.token
    if options.endpoint_url:
        parts = urlsplit(options.endpoint_url)
        fields["ENDPOINT"] = parts.netloc.rsplit("@", 1)[-1]
        fields["USE_SSL"] = "true" if parts.scheme == "https" else "false"
    fields["URL_STYLE"] = "vhost" if options.addressing_style == "virtual" else "path"
    body = ", ".join(
        f"{k} {v}" if v in ("true", "false") or k == "TYPE" else f"{k} '{v}'"
        for k, v in fields.items()
    )
    return f"CREATE OR REPLACE SECRET {name} ({body})"


def polars_storage_options(s3: S3Options | None = None) -> dict[str, str]:
    """`storage_options` for polars' scan_parquet/read_parquet on S3 (holds the secret)."""
    options = (s3 or S3Options()).resolved()
    creds = aws_credentials(options)
    result = {"aws_region": options.region or "us-east-1"}
    if creds is not None:
        result |= {"aws_access_key_id": creds.access_key, "aws_secret_access_key": creds.secret_key}
        if creds.token:
            result["aws_session_token"] = creds.token
    if options.endpoint_url:
        result["aws_endpoint_url"] = options.endpoint_url
        result["aws_allow_http"] = str(options.endpoint_url.startswith("http://")).lower()
    if options.addressing_style != "virtual":
        result["aws_virtual_hosted_style_request"] = "false"
    return result


def _arrow_path(uri: str) -> str:
    return uri[len("s3://") :] if uri.startswith("s3://") else uri
