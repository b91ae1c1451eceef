"""Read a committed date back, the way an analyst would (pyarrow dataset, hive partitions)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, TypeAlias

import pyarrow.compute as pc
import pyarrow.dataset as ds

from schemas import partition_name
from tasks.inspect.read import committed_dataset, committed_files
from tasks.process.write import MANIFEST_NAME
from tasks.storage.fs import Storage, open_storage

_SHOWN = ["title", "source_domain", "published_at", "language", "authors", "word_count"]


Location: TypeAlias = Path | str | Storage


def open_table(output: Location, table: str) -> ds.Dataset | None:
    """A table's committed files of every date (local folder or s3://), with crawl_date
    as a date column; None before any run."""
    return committed_dataset(output, table)


def _partition(output: Location, table: str, crawl_date: date) -> ds.Dataset | None:
    """The date's committed files (the manifest's list: local folder or s3://)."""
    return committed_dataset(output, table, [crawl_date])


def is_committed(output: Location, crawl_date: date) -> bool:
    """Whether a run committed `crawl_date`: a manifest for its articles or quarantine (a
    committed day may have no article rows), or files of a partition written before
    manifests existed."""
    store = open_storage(output)
    partition = partition_name(crawl_date)
    return any(
        store.read_json(f"{table}/{partition}/{MANIFEST_NAME}") is not None
        or committed_files(store, table, [crawl_date])
        for table in ("articles", "quarantine")
    )


def first_articles(output: Location, crawl_date: date, limit: int) -> list[dict[str, Any]]:
    dataset = _partition(output, "articles", crawl_date)
    if dataset is None:
        return []
    day = pc.field("crawl_date") == pc.scalar(crawl_date)
    return dataset.head(limit, columns=_SHOWN, filter=day).to_pylist()


def quarantine_reasons(output: Location, crawl_date: date) -> list[tuple[str, str, int, str]]:
    """(stage, error_type, rows, one example message) for a date's quarantine."""
    dataset = _partition(output, "quarantine", crawl_date)
    if dataset is None:
        return []
    day = pc.field("crawl_date") == pc.scalar(crawl_date)
    table = dataset.to_table(columns=["stage", "error_type", "error_message"], filter=day)
    grouped = table.group_by(["stage", "error_type"], use_threads=False).aggregate(
        [("error_message", "count"), ("error_message", "first")]
    )
    return sorted(
        (r["stage"], r["error_type"], r["error_message_count"], r["error_message_first"] or "")
        for r in grouped.to_pylist()
    )


def top_sources(output: Location, crawl_date: date, limit: int = 10) -> list[tuple[str, int]]:
    """The sources with the most articles on a committed date, most first."""
    dataset = _partition(output, "articles", crawl_date)
    if dataset is None:
        return []
    day = pc.field("crawl_date") == pc.scalar(crawl_date)
    domains = dataset.to_table(columns=["source_domain"], filter=day).column("source_domain")
    counts = pc.value_counts(domains).to_pylist()
    ranked = sorted(((c["values"] or "", c["counts"]) for c in counts), key=lambda x: (-x[1], x[0]))
    return ranked[:limit]
