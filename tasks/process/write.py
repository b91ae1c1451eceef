"""Staging batches and committing one crawl date's partitions atomically (local disk or S3).

Layout under the output root (a folder or an s3://bucket/prefix, see tasks/storage/fs.py):

    articles/crawl_date=D/part-00000.parquet ...  what readers see (S3: part-<run id>-00000...)
    articles/crawl_date=D/_newsflow.json          commit manifest ("_": Parquet readers skip it)
    quarantine/crawl_date=D/part-00000.parquet
    _staging/<run id>/...                         work in progress, outside articles/
    _runs/<run id>.json                           run records

Each batch task writes its rows to `_staging/<run id>/batches/`. The commit pass reads those
files back in batch order (= input order), keeps the first row of every `article_id`,
writes the final files into `_staging/<run id>/commit/`, and then publishes them: on local
disk by swapping the new partition directory with the old one in a single
`renameat2(RENAME_EXCHANGE)` call, on S3 by a locked copy + conditional manifest replace
(docs/s3.md). A reader sees either the whole old partition or the whole new one, and a crash
at any earlier point leaves the old partition untouched.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from schemas import ARTICLES_FILE_SCHEMA, ARTICLES_SCHEMA, QUARANTINE_FILE_SCHEMA, partition_name
from tasks.errors import safe_error_text
from tasks.normalise.siteboiler import ApplyCounts, SiteStats, paragraph_keys_table
from tasks.records import Failure
from tasks.storage.errors import StorageError
from tasks.storage.fs import MANIFEST_NAME, Storage, open_storage

log = logging.getLogger(__name__)

ARTICLES = "articles"
QUARANTINE = "quarantine"
PARAGRAPH_KEYS = "paragraphs"  # per staged batch: each article's paragraph keys (siteboiler)

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
    """What every written row needs to know about the run.

    `output` is a local folder, an s3:// URI or a Storage; `store` is always the Storage.
    """

    output: Path | str | Storage
    crawl_date: date
    run_id: str
    pipeline_version: str
    store: Storage = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.store = open_storage(self.output)

    @property
    def staging(self) -> str:
        """Key of the run's staging folder."""
        return f"_staging/{self.run_id}"

    def partition_key(self, table: str) -> str:
        return f"{table}/{partition_name(self.crawl_date)}"

    def partition(self, table: str) -> str:
        """Where readers find the date's partition of `table` (path or URI)."""
        return self.store.uri_of(self.partition_key(table))


@dataclass(slots=True)
class CommitResult:
    articles: int = 0
    duplicates: int = 0
    quarantined: int = 0
    files: dict[str, list[str]] = field(default_factory=dict)
    site_boilerplate: ApplyCounts = field(default_factory=ApplyCounts)


# --- staging ---------------------------------------------------------------------------


def write_staged_batch(
    ctx: RunContext,
    batch_no: int,
    articles: pa.Table,
    failures: Sequence[Failure],
    notes: Counter[str] | None = None,
) -> None:
    """Write one batch's articles and quarantine rows under the run's staging folder.

    `notes` counts strings of the quarantine rows made valid UTF-8 (see `utf8_safe`).
    """
    write_staged(ctx, f"{ctx.staging}/batches", f"-{batch_no:06d}", articles, failures, notes)


def write_staged(
    ctx: RunContext,
    folder: str,
    suffix: str,
    articles: pa.Table,
    failures: Sequence[Failure],
    notes: Counter[str] | None = None,
) -> tuple[str, ...]:
    """Stage rows as `folder/<table><suffix>.parquet`; returns the tables written."""
    tables: dict[str, pa.Table] = {}
    if articles.num_rows:
        # paragraph keys are computed here, where the batch runs (an extraction worker), so
        # the commit pass only counts keys
        tables = {ARTICLES: articles, PARAGRAPH_KEYS: paragraph_keys_table(articles)}
    if failures:
        tables[QUARANTINE] = quarantine_table(failures, ctx, notes)
    for name, table in tables.items():
        _put_parquet(ctx.store, f"{folder}/{name}{suffix}.parquet", table, compression="lz4")
    return tuple(tables)


_ARROW_ERRORS = (pa.ArrowException, TypeError, ValueError, OverflowError)

# The run record's note for strings that were not valid UTF-8 when written (see utf8_safe).
INVALID_UTF8_NOTE = "write_invalid_utf8_replaced"
_SURROGATE = re.compile("[\ud800-\udfff]")


def utf8_safe(value: Any) -> tuple[Any, int]:
    """`value` with every string in it valid UTF-8, and how many strings had to change.

    Python strings can hold lone surrogates that UTF-8 (and so Parquet) cannot: a JSON
    `"\\udfff"` escape, a file name that was not UTF-8 (read with surrogateescape). Each
    becomes U+FFFD. Lists (authors, tags) are walked; other values are returned as they are.
    """
    if isinstance(value, str):
        try:
            value.encode("utf-8")  # 4x faster than a regex search on article texts
            return value, 0
        except UnicodeEncodeError:
            return _SURROGATE.sub("\ufffd", value), 1
    if isinstance(value, list):
        pairs = [utf8_safe(item) for item in value]
        changed = sum(n for _, n in pairs)
        return ([safe for safe, _ in pairs], changed) if changed else (value, 0)
    return value, 0


def _utf8_rows(rows: Iterable[dict[str, Any]], notes: Counter[str] | None) -> list[dict[str, Any]]:
    """The rows with every string valid UTF-8 (the one place both tables go through; only
    for a batch Arrow refused, so new row dicts cost nothing that matters)."""
    checked = [{key: utf8_safe(value) for key, value in row.items()} for row in rows]
    replaced = sum(n for row in checked for _, n in row.values())
    if replaced and notes is not None:
        notes[INVALID_UTF8_NOTE] += replaced
    return [{key: safe for key, (safe, _) in row.items()} for row in checked]


def articles_table(
    rows: Sequence[dict[str, Any]], notes: Counter[str] | None = None
) -> tuple[pa.Table, list[Failure]]:
    """Rows as an Arrow table; a row Arrow cannot store is one bad record (stage `write`)."""
    bad: list[Failure] = []

    def refuse(row: dict[str, Any], err: Exception) -> None:
        url = row.get("url") if isinstance(row.get("url"), str) else None
        source, kind = str(row.get("source_uri", "?")), str(row.get("input_format", "?"))
        message = safe_error_text(err, limit=500)
        bad.append(Failure(source, kind, "write", type(err).__name__, message, url))

    return _checked_table(rows, ARTICLES_FILE_SCHEMA, notes, refuse), bad


def quarantine_table(
    failures: Iterable[Failure], ctx: RunContext, notes: Counter[str] | None = None
) -> pa.Table:
    """The quarantine rows of `failures`, one per failure, whatever they hold.

    Strings are made valid UTF-8 (counted in `notes`); a row Arrow still cannot store
    (a field of the wrong type or range) is replaced by a `write/unwritable_row` row for the
    same record, so the row count, and the run's accounting, never change.
    """
    run = {"run_id": ctx.run_id, "pipeline_version": ctx.pipeline_version}
    rows = [{**asdict(failure), **run} for failure in failures]
    return _checked_table(rows, QUARANTINE_FILE_SCHEMA, notes, _unwritable_row)


def _checked_table(
    rows: Sequence[dict[str, Any]],
    schema: pa.Schema,
    notes: Counter[str] | None,
    bad_row: Callable[[dict[str, Any], Exception], dict[str, Any] | None],
) -> pa.Table:
    """`rows` as a table of `schema`; a row Arrow cannot store becomes `bad_row(row, error)`
    (None: left out). Strings that are not valid UTF-8 are made so (counted in `notes`) only
    when Arrow refuses the batch: no cost on the batches (nearly all) that convert at once."""
    table = _table_or_none(rows, schema)
    if table is None:
        rows = _utf8_rows(rows, notes)
        table = _table_or_none(rows, schema)
    if table is not None:
        return table
    kept = []
    for row in rows:  # find the culprit rows one by one; the rest of the batch is fine
        try:
            _table([row], schema)
            kept.append(row)
        except _ARROW_ERRORS as err:
            replacement = bad_row(row, err)
            if replacement is not None:
                kept.append(replacement)
    return pa.Table.from_pylist(kept, schema=schema)


def _table(rows: Sequence[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    """`from_pylist`, plus the check it does not make: a null in a non-nullable column
    (Arrow would store it, and readers trusting the schema would break) is refused."""
    table = pa.Table.from_pylist(list(rows), schema=schema)
    for name in (f.name for f in schema if not f.nullable):
        if table.column(name).null_count:
            raise pa.ArrowInvalid(f"null in non-nullable column {name!r}")
    return table


def _table_or_none(rows: Sequence[dict[str, Any]], schema: pa.Schema) -> pa.Table | None:
    try:
        return _table(rows, schema)
    except _ARROW_ERRORS:
        return None


def _unwritable_row(row: dict[str, Any], err: Exception) -> dict[str, Any]:
    """A row for a record whose own quarantine row could not be stored: strings only (the
    run's run_id and pipeline_version, which are, stay)."""

    def text(key: str) -> str | None:
        return row[key] if isinstance(row.get(key), str) else None

    return {
        **row,
        "source_uri": text("source_uri") or "?",
        "url": text("url"),
        "input_format": text("input_format"),
        "stage": "write",
        "error_type": "unwritable_row",
        "error_message": f"its {text('stage')}/{text('error_type')} "
        f"quarantine row could not be stored: {type(err).__name__}",
        "raw_size": None,
    }


# --- commit ----------------------------------------------------------------------------


class AccountingError(RuntimeError):
    """Records in != articles + quarantined + duplicates: something was lost; publish nothing."""


class EmptyPartitionRefused(RuntimeError):
    """The run has no articles but the date's committed partition has: nothing published.

    An empty input folder, a folder of unsupported files or every record timing out must
    fail a scheduled run loudly instead of deleting a good day. `allow_empty` overrides.
    """


def commit_partitions(
    ctx: RunContext,
    records_in: int,
    extra_manifest: dict[str, Any] | None = None,
    allow_empty: bool = False,
    staged: dict[str, list[str]] | None = None,
) -> CommitResult:
    """Build the final files of both tables from the staged batches and publish them.

    `staged`: table -> staged Parquet keys in input order (the run's pieces, some staged by
    earlier runs); None: the files under `_staging/<run id>/batches/`. Quarantine rows get
    this run's run_id whichever run staged them, as a from-scratch run would write.

    Nothing is published unless every input record is accounted for, nor (unless
    `allow_empty`) when a run without articles would replace a non-empty committed articles
    partition (EmptyPartitionRefused; checked under the date's commit lock).
    """
    result = CommitResult()
    store = ctx.store
    if staged is None:
        batches = f"{ctx.staging}/batches"
        staged = {t: _staged(store, batches, t) for t in (ARTICLES, PARAGRAPH_KEYS, QUARANTINE)}
    commit_root = f"{ctx.staging}/commit"

    q_tables = (_with_run_id(_read_parquet(store, k), ctx) for k in staged[QUARANTINE])
    result.quarantined = _write_files(store, q_tables, f"{commit_root}/{QUARANTINE}", sort=False)

    # Site boilerplate (tasks/normalise/siteboiler.py): plan from the small side tables first, then
    # strip each staged batch as it streams through, before de-duplication, so duplicates
    # are found on the final text.
    stats = SiteStats()
    for key in staged[PARAGRAPH_KEYS]:
        stats.add(_read_parquet(store, key))
    plan = stats.plan()
    del stats

    seen: set[str] = set()

    def deduplicated() -> Iterator[pa.Table]:
        for key in staged[ARTICLES]:
            stripped, counts = plan.apply(_read_parquet(store, key))
            result.site_boilerplate.add(counts)
            yield _first_of_each_id(stripped, seen, result)

    written = _write_files(store, deduplicated(), f"{commit_root}/{ARTICLES}", sort=True)
    result.articles = len(seen)
    accounted = result.articles + result.quarantined + result.duplicates
    if accounted != records_in or written != result.articles:
        raise AccountingError(
            f"{records_in} records in, but {result.articles} articles + {result.quarantined} "
            f"quarantined + {result.duplicates} duplicates = {accounted}; nothing published"
        )
    manifest = {
        "crawl_date": ctx.crawl_date.isoformat(),
        "run_id": ctx.run_id,
        "pipeline_version": ctx.pipeline_version,
        "schema_version": int(ARTICLES_SCHEMA.metadata[b"newsflow.schema_version"]),
        "committed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **(extra_manifest or {}),
    }

    # One lock per date around both tables: concurrent runs of a date never interleave, so
    # articles and quarantine always come from the same run and the last to commit wins.
    # Quarantine first: once the articles partition is replaced the date is complete.
    with store.commit_lock(partition_name(ctx.crawl_date), ctx.run_id):
        if result.articles == 0 and not allow_empty:
            _refuse_to_empty(store, ctx.partition_key(ARTICLES), records_in)
        for table, rows in ((QUARANTINE, result.quarantined), (ARTICLES, result.articles)):
            where = (f"{commit_root}/{table}", ctx.partition_key(table))
            table_manifest = {**manifest, "table": table, "rows": rows}
            result.files[table] = store.publish_partition(*where, ctx.run_id, table_manifest)
    return result


def _refuse_to_empty(store: Storage, partition: str, records_in: int) -> None:
    """EmptyPartitionRefused when `partition` holds committed articles."""
    manifest = store.read_json(f"{partition}/{MANIFEST_NAME}")
    if manifest is not None:
        committed = int(manifest.get("rows") or 0)
        what = f"{committed} committed articles (run {manifest.get('run_id', '?')})"
    else:  # written before manifests, or by hand: any Parquet file counts as non-empty
        committed = sum(1 for e in store.list(partition) if e.key.endswith(".parquet"))
        what = f"{committed} Parquet files"
    if committed:
        raise EmptyPartitionRefused(
            f"this run has no articles ({records_in} records in), but "
            f"{store.uri_of(partition)} holds {what}; nothing published. "
            "Check the input, or pass --allow-empty to empty the date."
        )


def _with_run_id(table: pa.Table, ctx: RunContext) -> pa.Table:
    column = table.schema.get_field_index("run_id")
    run_ids = pa.array([ctx.run_id] * table.num_rows, type=pa.string())
    return table.set_column(column, table.schema.field(column), run_ids)


def _staged(store: Storage, batches: str, table: str) -> list[str]:
    return [e.key for e in store.list(batches) if fnmatchcase(e.name, f"{table}-*.parquet")]


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


def _write_files(store: Storage, tables: Iterable[pa.Table], directory: str, sort: bool) -> int:
    """Concatenate tables into files of at most MAX_FILE_BYTES (in memory), sorted per file.

    Returns the rows the written files hold, read back from their footers.
    """
    rows = 0
    for number, chunk in enumerate(_chunks(tables, MAX_FILE_BYTES)):
        table = chunk.sort_by(SORT_KEYS) if sort else chunk
        rows += _put_parquet(store, f"{directory}/part-{number:05d}.parquet", table, "zstd")
    return rows


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


def _put_parquet(store: Storage, key: str, table: pa.Table, compression: str) -> int:
    """Write `table` as Parquet at `key`; returns the row count its footer says it holds.

    Local: written in place (fsynced). S3: written to a local temporary file first and
    uploaded in one PUT, so an object is either absent or complete.
    """
    with store.writing(key) as path:
        _write_file(table, path, compression)
        return pq.read_metadata(path).num_rows


def _read_parquet(store: Storage, key: str) -> pa.Table:
    with store.open_arrow(key) as source:
        return pq.read_table(source)


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


def write_run_record(output: Path | str | Storage, run_id: str, record: dict[str, Any]) -> str:
    """Store the run record at `_runs/<run id>.json`; returns its path or URI."""
    store = open_storage(output)
    key = f"_runs/{run_id}.json"
    store.write_json(key, record)
    return store.uri_of(key)


# --- housekeeping ----------------------------------------------------------------------


def remove_staging(ctx: RunContext) -> None:
    """Best effort: runs in a `finally`, so it must not hide the error that got us here;
    what it cannot delete is removed later by `remove_stale_staging` (`newsflow cleanup`)."""
    try:
        ctx.store.delete_prefix(ctx.staging)
    except (OSError, StorageError) as err:
        where = ctx.store.uri_of(ctx.staging)
        log.warning("could not remove staging %s: %s", where, safe_error_text(err))


def remove_stale_staging(
    output: Path | str | Storage,
    older_than_seconds: float = STALE_STAGING_SECONDS,
    dry_run: bool = False,
) -> list[str]:
    """Delete staging folders of runs that died (SIGKILL, power loss) and were idle for long.

    A run's last activity: on disk the newest mtime of its folder and the folders one level
    down (batch files land there, which bumps that folder's mtime); on S3 the newest object.
    Returns the run ids removed (with `dry_run`: that would be removed; nothing is).
    """
    store = open_storage(output)
    cutoff = time.time() - older_than_seconds
    removed = []
    for run in store.list_dirs("_staging"):  # sorted
        when = store.last_activity(f"_staging/{run}")
        if when is not None and when < cutoff:
            if not dry_run:
                store.delete_prefix(f"_staging/{run}")
            removed.append(run)
    return removed
