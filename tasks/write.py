"""Staging batches and committing one crawl date's partitions atomically (local disk).

Layout under the output root:

    articles/crawl_date=D/part-00000.parquet ...  what readers see
    articles/crawl_date=D/_newsflow.json          commit manifest ("_": Parquet readers skip it)
    quarantine/crawl_date=D/part-00000.parquet
    _staging/<run id>/...                         work in progress, outside articles/
    _runs/<run id>.json                           run records

Each batch task writes its rows to `_staging/<run id>/batches/`. The commit pass reads those
files back in batch order (= input order), keeps the first row of every `article_id`,
writes the final files into `_staging/<run id>/commit/`, fsyncs them, and then swaps the
new partition directory with the old one in a single `renameat2(RENAME_EXCHANGE)` call:
a reader sees either the whole old partition or the whole new one, and a crash at any
earlier point leaves the old partition untouched. See docs/storage.md for the failure cases.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import shutil
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from schemas import ARTICLES_FILE_SCHEMA, ARTICLES_SCHEMA, QUARANTINE_FILE_SCHEMA
from tasks.records import Failure

ARTICLES = "articles"
QUARANTINE = "quarantine"
MANIFEST_NAME = "_newsflow.json"

# Final files: sorted by these columns so row-group statistics prune queries by source
# and publication time; zstd; row groups small enough to skip, files big enough not to
# drown a query engine in footers.
SORT_KEYS = [
    ("source_domain", "ascending"),
    ("published_at", "ascending"),
    ("article_id", "ascending"),
]
ROW_GROUP_ROWS = 2_000
MAX_FILE_BYTES = 64 * 2**20  # in-memory Arrow size of one output file before compression
STALE_STAGING_SECONDS = 6 * 3600


@dataclass(slots=True)
class RunContext:
    """What every written row needs to know about the run."""

    output: Path
    crawl_date: date
    run_id: str
    pipeline_version: str

    @property
    def staging(self) -> Path:
        return self.output / "_staging" / self.run_id

    def partition(self, table: str) -> Path:
        return self.output / table / f"crawl_date={self.crawl_date.isoformat()}"


@dataclass(slots=True)
class CommitResult:
    articles: int = 0
    duplicates: int = 0
    quarantined: int = 0
    files: dict[str, list[str]] = field(default_factory=dict)


# --- staging ---------------------------------------------------------------------------


def write_staged_batch(
    ctx: RunContext, batch_no: int, articles: pa.Table, failures: Sequence[Failure]
) -> None:
    """Write one batch's articles and quarantine rows under the run's staging folder."""
    batches = ctx.staging / "batches"
    batches.mkdir(parents=True, exist_ok=True)
    if articles.num_rows:
        _write_file(articles, batches / f"{ARTICLES}-{batch_no:06d}.parquet", compression="lz4")
    if failures:
        table = quarantine_table(failures, ctx)
        _write_file(table, batches / f"{QUARANTINE}-{batch_no:06d}.parquet", compression="lz4")


_ARROW_ERRORS = (pa.ArrowException, TypeError, ValueError, OverflowError)


def articles_table(rows: Sequence[dict[str, Any]]) -> tuple[pa.Table, list[Failure]]:
    """Rows as an Arrow table; a row Arrow cannot store is one bad record (stage `write`)."""
    try:
        return pa.Table.from_pylist(list(rows), schema=ARTICLES_FILE_SCHEMA), []
    except _ARROW_ERRORS:
        pass  # find the culprit rows one by one; the rest of the batch is fine
    good: list[dict[str, Any]] = []
    bad: list[Failure] = []
    for row in rows:
        try:
            pa.Table.from_pylist([row], schema=ARTICLES_FILE_SCHEMA)
            good.append(row)
        except _ARROW_ERRORS as err:
            bad.append(
                Failure(
                    source_uri=row.get("source_uri", "?"),
                    input_format=row.get("input_format", "?"),
                    stage="write",
                    error_type=type(err).__name__,
                    error_message=str(err)[:500],
                    url=row.get("url"),
                )
            )
    return pa.Table.from_pylist(good, schema=ARTICLES_FILE_SCHEMA), bad


def quarantine_table(failures: Iterable[Failure], ctx: RunContext) -> pa.Table:
    rows = [
        {
            "source_uri": f.source_uri,
            "url": f.url,
            "input_format": f.input_format,
            "stage": f.stage,
            "error_type": f.error_type,
            "error_message": f.error_message,
            "raw_size": f.raw_size,
            "run_id": ctx.run_id,
            "pipeline_version": ctx.pipeline_version,
        }
        for f in failures
    ]
    return pa.Table.from_pylist(rows, schema=QUARANTINE_FILE_SCHEMA)


# --- commit ----------------------------------------------------------------------------


class AccountingError(RuntimeError):
    """Records in != articles + quarantined + duplicates: something was lost; publish nothing."""


def commit_partitions(
    ctx: RunContext, records_in: int, extra_manifest: dict[str, Any] | None = None
) -> CommitResult:
    """Build the final files of both tables from the staged batches and publish them.

    Nothing is published unless every input record is accounted for.
    """
    result = CommitResult()
    batches = ctx.staging / "batches"
    commit_root = ctx.staging / "commit"

    quarantine_dir = commit_root / QUARANTINE
    q_tables = (pq.read_table(p) for p in _staged(batches, QUARANTINE))
    result.files[QUARANTINE] = _write_files(q_tables, quarantine_dir, sort=False)
    result.quarantined = _rows_in(quarantine_dir, result.files[QUARANTINE])

    articles_dir = commit_root / ARTICLES
    seen: set[str] = set()
    deduplicated = (
        _first_of_each_id(pq.read_table(p), seen, result) for p in _staged(batches, ARTICLES)
    )
    result.files[ARTICLES] = _write_files(deduplicated, articles_dir, sort=True)
    result.articles = len(seen)
    accounted = result.articles + result.quarantined + result.duplicates
    if accounted != records_in:
        raise AccountingError(
            f"{records_in} records in, but {result.articles} articles + {result.quarantined} "
            f"quarantined + {result.duplicates} duplicates = {accounted}; nothing published"
        )
    manifest = {
        "crawl_date": ctx.crawl_date.isoformat(),
        "run_id": ctx.run_id,
        "pipeline_version": ctx.pipeline_version,
        "schema_version": int(ARTICLES_SCHEMA.metadata[b"newsflow.schema_version"]),
        "rows": result.articles,
        "files": result.files[ARTICLES],
        "committed_at": _utc_now_iso(),
        **(extra_manifest or {}),
    }
    _write_json(articles_dir / MANIFEST_NAME, manifest)

    # Quarantine first: once the articles swap happens the date is complete.
    publish_directory(quarantine_dir, ctx.partition(QUARANTINE))
    publish_directory(articles_dir, ctx.partition(ARTICLES))
    return result


def _staged(batches: Path, table: str) -> list[Path]:
    return sorted(batches.glob(f"{table}-*.parquet")) if batches.exists() else []


def _first_of_each_id(table: pa.Table, seen: set[str], result: CommitResult) -> pa.Table:
    """Keep the first row of every article_id across the whole date (input order wins)."""
    keep = []
    for article_id in table.column("article_id").to_pylist():
        new = article_id not in seen
        keep.append(new)
        if new:
            seen.add(article_id)
        else:
            result.duplicates += 1
    return table.filter(pa.array(keep, type=pa.bool_()))


def _write_files(tables: Iterable[pa.Table], directory: Path, sort: bool) -> list[str]:
    """Concatenate tables into files of at most MAX_FILE_BYTES (in memory), sorted per file."""
    directory.mkdir(parents=True, exist_ok=True)
    names: list[str] = []
    for chunk in _chunks(tables, MAX_FILE_BYTES):
        table = chunk.sort_by(SORT_KEYS) if sort else chunk
        name = f"part-{len(names):05d}.parquet"
        _write_file(table, directory / name, compression="zstd")
        names.append(name)
    return names


def _chunks(tables: Iterable[pa.Table], max_bytes: int) -> Iterator[pa.Table]:
    pending: list[pa.Table] = []
    size = 0
    for table in tables:
        if table.num_rows == 0:
            continue
        pending.append(table)
        size += table.nbytes
        if size >= max_bytes:
            yield pa.concat_tables(pending).combine_chunks()
            pending, size = [], 0
    if pending:
        yield pa.concat_tables(pending).combine_chunks()


def _rows_in(directory: Path, names: list[str]) -> int:
    return sum(pq.read_metadata(directory / n).num_rows for n in names)


def _write_file(table: pa.Table, path: Path, compression: str) -> None:
    with open(path, "wb") as sink:
        pq.write_table(
            table,
            sink,
            compression=compression,
            row_group_size=ROW_GROUP_ROWS,
            write_statistics=True,
            write_page_index=True,
        )
        sink.flush()
        os.fsync(sink.fileno())


def _write_json(path: Path, payload: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as sink:
        json.dump(payload, sink, indent=2, sort_keys=True, default=str)
        sink.flush()
        os.fsync(sink.fileno())
    os.replace(tmp, path)


def write_run_record(output: Path, run_id: str, record: dict[str, Any]) -> Path:
    runs = output / "_runs"
    runs.mkdir(parents=True, exist_ok=True)
    path = runs / f"{run_id}.json"
    _write_json(path, record)
    return path


def read_manifest(partition: Path) -> dict[str, Any] | None:
    try:
        return json.loads((partition / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


# --- atomic directory swap -------------------------------------------------------------

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_libc = ctypes.CDLL(None, use_errno=True)


def publish_directory(new: Path, target: Path) -> None:
    """Make `new` visible at `target`, replacing what was there, in one atomic step.

    An empty `new` (no files) removes the old partition: the date now has no rows.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    _fsync_dir(new)
    has_files = any(new.iterdir())
    if not target.exists():
        if has_files:
            os.rename(new, target)
            _fsync_dir(target.parent)
        return
    if not has_files:
        graveyard = new.with_name(new.name + ".old")
        os.rename(target, graveyard)
        shutil.rmtree(graveyard, ignore_errors=True)
        return
    if _exchange(new, target):
        _fsync_dir(target.parent)
        shutil.rmtree(new, ignore_errors=True)  # `new` now holds the previous generation
        return
    # No RENAME_EXCHANGE (not Linux, or a filesystem without it): two renames, with a short
    # window in which the date has no partition; never a mix of old and new files.
    graveyard = new.with_name(new.name + ".old")
    os.rename(target, graveyard)
    os.rename(new, target)
    shutil.rmtree(graveyard, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    renameat2 = getattr(_libc, "renameat2", None)
    if renameat2 is None:
        return False
    rc = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- housekeeping ----------------------------------------------------------------------


def remove_staging(ctx: RunContext) -> None:
    shutil.rmtree(ctx.staging, ignore_errors=True)


def remove_stale_staging(
    output: Path, older_than_seconds: float = STALE_STAGING_SECONDS
) -> list[str]:
    """Delete staging folders of runs that died (SIGKILL, power loss) and were idle for long."""
    root = output / "_staging"
    removed: list[str] = []
    if not root.exists():
        return removed
    cutoff = time.time() - older_than_seconds
    for child in root.iterdir():
        try:
            # batch files land one level down, so the newest of the two mtimes says when
            # the run last made progress
            last_activity = max(p.stat().st_mtime for p in [child, *child.iterdir()])
            if last_activity < cutoff:
                shutil.rmtree(child, ignore_errors=True)
                removed.append(child.name)
        except FileNotFoundError:
            continue
    return removed


def _utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
