"""What is in an output root, at a glance: rows per date/source/language, quarantine, runs.

Plain functions over pyarrow datasets (pyarrow is a runtime dependency; DuckDB and polars
are not), used by `newsflow stats` (flows/inspect_cli.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.dataset as ds

from tasks.inspect.show import open_table
from tasks.storage.errors import StorageError
from tasks.storage.fs import Storage, open_storage
from tasks.storage.options import S3Options

Counts = list[tuple[Any, int]]


@dataclass(slots=True)
class OutputStats:
    per_date: Counts = field(default_factory=list)
    per_source: Counts = field(default_factory=list)
    per_language: Counts = field(default_factory=list)
    quarantine: list[tuple[str, str, int]] = field(default_factory=list)  # stage, reason, rows
    runs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def articles(self) -> int:
        return sum(n for _, n in self.per_date)


def date_filter(start: date | None, end: date | None) -> pc.Expression | None:
    """crawl_date in [start, end] (inclusive; either side open): prunes whole partitions."""
    expr = None
    if start is not None:
        expr = pc.field("crawl_date") >= pc.scalar(start)
    if end is not None:
        upper = pc.field("crawl_date") <= pc.scalar(end)
        expr = upper if expr is None else expr & upper
    return expr


def count_by(
    dataset: ds.Dataset | None, columns: list[str], where: pc.Expression | None
) -> list[tuple[Any, ...]]:
    """(*values, rows) per distinct combination of `columns`, most rows first, then by value.

    Nulls are counted as their own group (shown as None).
    """
    if dataset is None:
        return []
    table = dataset.to_table(columns=columns, filter=where)
    grouped = table.group_by(columns, use_threads=False).aggregate([([], "count_all")])
    rows = [tuple(r[c] for c in columns) + (r["count_all"],) for r in grouped.to_pylist()]
    return sorted(rows, key=lambda r: (-r[-1], tuple("" if v is None else str(v) for v in r)))


def last_runs(
    output: str | Path | Storage,
    limit: int = 5,
    start: date | None = None,
    end: date | None = None,
    s3: S3Options | None = None,
) -> list[dict[str, Any]]:
    """The newest run records (by finish time) whose crawl date is in range."""
    store = open_storage(output, s3)
    records = []
    for entry in store.list("_runs/"):
        if not entry.key.endswith(".json"):
            continue
        try:
            record = json.loads(store.read_bytes(entry.key))
            day = date.fromisoformat(record["crawl_date"])
        except (OSError, StorageError, ValueError, KeyError, TypeError):
            continue  # a run record being written or hand-edited: not worth failing over
        if (start and day < start) or (end and day > end):
            continue
        records.append(record)
    records.sort(key=lambda r: r.get("timings", {}).get("finished_at", ""), reverse=True)
    return records[:limit]


def collect_stats(
    output: str | Path | Storage,
    start: date | None = None,
    end: date | None = None,
    runs: int = 5,
    s3: S3Options | None = None,
) -> OutputStats:
    """What is committed in `output` (a folder or s3://bucket/prefix) between the dates."""
    store = open_storage(output, s3)
    where = date_filter(start, end)
    articles = open_table(store, "articles")
    quarantine = open_table(store, "quarantine")
    per_date = count_by(articles, ["crawl_date"], where)
    return OutputStats(
        per_date=sorted(per_date),  # dates read best in calendar order
        per_source=count_by(articles, ["source_domain"], where),
        per_language=count_by(articles, ["language"], where),
        quarantine=count_by(quarantine, ["stage", "error_type"], where),
        runs=last_runs(store, runs, start, end),
    )
