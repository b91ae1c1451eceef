"""Read a committed date back, the way an analyst would (pyarrow dataset, hive partitions)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.dataset as ds

from schemas import PARTITIONING

_SHOWN = ["title", "source_domain", "published_at", "language", "authors", "word_count"]


def open_table(output: Path, table: str) -> ds.Dataset | None:
    """A table (`articles`, `quarantine`) as a hive-partitioned dataset; None before any run."""
    root = Path(output) / table
    if not root.exists():
        return None
    return ds.dataset(root, format="parquet", partitioning=PARTITIONING)


def first_articles(output: Path, crawl_date: date, limit: int) -> list[dict[str, Any]]:
    dataset = open_table(output, "articles")
    if dataset is None:
        return []
    day = pc.field("crawl_date") == pc.scalar(crawl_date)
    return dataset.head(limit, columns=_SHOWN, filter=day).to_pylist()


def quarantine_reasons(output: Path, crawl_date: date) -> list[tuple[str, str, int, str]]:
    """(stage, error_type, rows, one example message) for a date's quarantine."""
    dataset = open_table(output, "quarantine")
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


def top_sources(output: Path, crawl_date: date, limit: int = 10) -> list[tuple[str, int]]:
    """The sources with the most articles on a committed date, most first."""
    dataset = open_table(output, "articles")
    if dataset is None:
        return []
    day = pc.field("crawl_date") == pc.scalar(crawl_date)
    domains = dataset.to_table(columns=["source_domain"], filter=day).column("source_domain")
    counts = pc.value_counts(domains).to_pylist()
    ranked = sorted(((c["values"] or "", c["counts"]) for c in counts), key=lambda x: (-x[1], x[0]))
    return ranked[:limit]
