"""Batches of references: planning, the worker side of a batch, and the store of staged pieces.

The driver never reads an input record. It lists the input files, plans *pieces* from their
names and sizes alone, and hands each piece to a worker as a `Batch` of references:

    Member(file, identity, span)   a whole file, or the WARC records starting in a byte span
    Batch(batch_no, key, members)  one piece: small files grouped, or one span of a big WARC

The worker (`run_piece`, in an extraction process of tasks/process/pool.py, on this machine or on
a Dask worker) opens its members itself with the streaming readers of tasks/ingest/load.py (local
or S3), extracts, and stages the piece's rows under

    _pieces/crawl_date=D/<key>/<run id>/{articles,paragraphs,quarantine}.parquet
    _pieces/crawl_date=D/<key>/<run id>/_done.json    written last: the piece is complete

`key` is a hash of what the rows depend on: each member's location, identity (size +
mtime, or ETag) and span, the pipeline version, the schema version and the options that
change rows. So a later run of the date that plans a piece with the same key reuses its
staged rows instead of extracting again (an unchanged rerun, the untouched files of a
changed date, the completed pieces of a killed run), and a changed file or pipeline_version
gives new keys. The commit pass still reads every piece's staged rows in plan order, so site
boilerplate and de-duplication see exactly what a from-scratch run sees.

A file of at least batch_bytes / 4 is a piece of its own. A WARC that can be split is read
in spans of about batch_bytes, and a smaller one in up to 4 spans of at least
batch_bytes / 8 (`span_count`: from its own size only). Grouping smaller files is
content-defined: a group closes after a file whose name hashes below (its size /
batch_bytes + 1 / batch_size), so adding or changing one file moves the boundaries of its
own group only, and every other group keeps its key.
"""

from __future__ import annotations

import hashlib
import json
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from schemas import partition_name
from tasks.ingest.filters import WarcFilter
from tasks.ingest.listing import InputFile
from tasks.ingest.load import iter_records
from tasks.ingest.warc import WarcSpan
from tasks.records import DECODE_NOTES_KEY, ExtractOptions, Failure, RawRecord
from tasks.storage.errors import StorageError
from tasks.storage.fs import Storage

if TYPE_CHECKING:
    from tasks.process.write import RunContext

PIECES = "_pieces"
DONE = "_done.json"
TABLES = ("articles", "paragraphs", "quarantine")
RUN_PIECE = "tasks.process.pieces:run_piece"
# a piece folder without _done.json idle this long belongs to a dead run (as _staging)
STALE_PIECE_SECONDS = 6 * 3600


@dataclass(frozen=True, slots=True)
class Member:
    """One input file, or the WARC records that start in [start, end) of it."""

    file: InputFile
    identity: str  # "size-mtime_ns" of a local file, "size-ETag" of an S3 object
    start: int = 0
    end: int | None = None  # None: the whole file

    def describe(self) -> list[Any]:
        return [str(self.file), self.identity, self.start, self.end]


@dataclass(slots=True)
class Batch:
    """One piece of work, by reference: the worker reads its members itself."""

    batch_no: int
    key: str
    members: tuple[Member, ...]
    max_record_bytes: int
    warc_filter: WarcFilter | None = None

    @property
    def is_span(self) -> bool:
        return len(self.members) == 1 and self.members[0].end is not None


@dataclass(slots=True)
class BatchSummary:
    batch_no: int
    records_in: int
    extracted: int  # article rows before de-duplication across the date
    failures: Counter[tuple[str, str]] = field(default_factory=Counter)  # (stage, error_type)
    # e.g. strings made valid UTF-8, stray NUL bytes dropped, WARC companions skipped
    notes: Counter[str] = field(default_factory=Counter)
    folder: str = ""  # where the piece's rows are staged (a key under the output root)
    tables: tuple[str, ...] = ()  # which of TABLES it staged
    span: tuple[int | None, int | None] | None = None  # WarcSpan (first, next) of a span piece
    reused: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "records_in": self.records_in,
            "extracted": self.extracted,
            "failures": [[s, e, n] for (s, e), n in sorted(self.failures.items())],
            "notes": dict(sorted(self.notes.items())),
            "tables": list(self.tables),
            "span": list(self.span) if self.span else None,
        }

    @classmethod
    def from_json(cls, batch_no: int, folder: str, data: dict[str, Any]) -> BatchSummary:
        span = data.get("span")
        return cls(
            batch_no=batch_no,
            records_in=int(data["records_in"]),
            extracted=int(data["extracted"]),
            failures=Counter({(s, e): int(n) for s, e, n in data["failures"]}),
            notes=Counter({k: int(v) for k, v in data["notes"].items()}),
            folder=folder,
            tables=tuple(data["tables"]),
            span=(span[0], span[1]) if span else None,
            reused=True,
        )


# --- planning (driver) -----------------------------------------------------------------


def plan_batches(
    inputs: Sequence[InputFile],
    *,
    batch_size: int,
    batch_bytes: int,
    max_record_bytes: int,
    warc_filter: WarcFilter | None,
    versions: dict[str, Any],
) -> list[Batch]:
    """Pieces of `inputs`, in input order, from names and sizes only (a file that cannot be
    stat'ed is planned whole: its reader quarantines it). A WARC larger than `batch_bytes`
    that can be split (plain, or gzipped record by record) becomes spans of ~batch_bytes."""
    planned: list[tuple[Member, ...]] = []
    group: list[Member] = []
    group_bytes = 0
    for file in inputs:
        # what says a file is unchanged: size + mtime (ns) on disk, size + ETag on S3
        size, ident = file.size or 0, file.identity
        spans = span_count(size, batch_bytes)
        if spans > 1 and _splittable_warc(file):
            step = -(-size // spans)
            alone = [Member(file, ident, k * step, min((k + 1) * step, size)) for k in range(spans)]
        elif size >= batch_bytes // 4:  # a piece of its own: parallel, reused or redone alone
            alone = [Member(file, ident)]
        else:
            group.append(Member(file, ident))
            group_bytes += size
            # content-defined boundary (see the module docstring), capped so that a run of
            # unlucky hashes cannot build one huge batch
            chance = size / max(batch_bytes, 1) + 1 / max(batch_size, 1)
            full = len(group) >= 2 * batch_size or group_bytes >= 2 * batch_bytes
            if _unit_hash(file) >= chance and not full:
                continue
            alone = []
        if group:
            planned.append(tuple(group))
            group, group_bytes = [], 0
        planned.extend((member,) for member in alone)
    if group:
        planned.append(tuple(group))
    return [
        Batch(
            batch_no=number,
            key=piece_key(members, versions),
            members=members,
            max_record_bytes=max_record_bytes,
            warc_filter=warc_filter,
        )
        for number, members in enumerate(planned)
    ]


# a splittable WARC of a few MiB is still read in several spans (see span_count)
MIN_SPANS_PER_FILE = 4
MIN_SPAN_FRACTION = 8  # a span is never smaller than batch_bytes / 8 (1 MiB by default)


def span_count(size: int, batch_bytes: int) -> int:
    """How many spans a splittable WARC of `size` bytes is read in (1: whole).

    About batch_bytes each, but up to MIN_SPANS_PER_FILE of at least
    batch_bytes / MIN_SPAN_FRACTION for a smaller file: a small date of a few WARCs
    of a few MiB still makes several pieces per worker, so the workers stay busy to the end
    and a killed run loses only the small pieces in flight. From the file's own size only:
    a key never depends on the other files of the date or on the worker count.
    """
    min_span = max(batch_bytes // MIN_SPAN_FRACTION, 1)
    return max(-(-size // max(batch_bytes, 1)), min(MIN_SPANS_PER_FILE, size // min_span), 1)


def piece_key(members: Sequence[Member], versions: dict[str, Any]) -> str:
    described = json.dumps(
        {"members": [m.describe() for m in members], **versions}, sort_keys=True, default=str
    )
    return hashlib.sha256(described.encode()).hexdigest()[:32]


def _unit_hash(file: InputFile) -> float:
    """A number in [0, 1) fixed by the file's name (not its content, position or folder:
    the same files on local disk and on S3 make the same pieces)."""
    digest = hashlib.blake2b(file.name.encode("utf-8", "surrogateescape"), digest_size=8)
    return int.from_bytes(digest.digest(), "big") / 2**64


def _splittable_warc(file: InputFile) -> bool:
    """A .warc, or a .warc.gz whose first gzip member ends within its first 256 KiB (one
    member per record, as CC-NEWS ships). A WARC gzipped as one stream has no offsets to
    start from: it is read whole. Inflates at most that first member."""
    name = file.name.lower()
    if name.endswith(".warc"):
        return True
    if not name.endswith(".warc.gz"):
        return False
    try:
        with file.open() as stream:
            head = stream.read(1 << 18)
    except (OSError, StorageError):
        return False
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    try:
        inflater.decompress(head, 1 << 22)
    except zlib.error:
        return False
    return inflater.eof and inflater.unused_data[:3] in (b"\x1f\x8b\x08", b"")


def check_spans(batches: Sequence[Batch], summaries: dict[int, BatchSummary]) -> None:
    """Consecutive spans of a WARC must meet: span k read on to the record span k+1 found
    first. A record boundary found inside a body (a WARC stored in a WARC record) would
    lose or duplicate records, so it fails the run instead (rerun with a batch_bytes larger
    than the file to read it whole)."""
    carry: tuple[str, int | None] | None = None
    for batch in batches:
        if not batch.is_span:
            carry = None
            continue
        member = batch.members[0]
        first, next_ = summaries[batch.batch_no].span or (None, None)
        if carry is not None and carry[0] == str(member.file) and carry[1] is not None:
            end = member.end or 0
            ok = carry[1] >= end if first is None else carry[1] == first
            if not ok:
                raise SpanMismatch(
                    f"{member.file}: the span before byte {member.start} read on to offset "
                    f"{carry[1]}, the span from there found its first record at {first}; "
                    "nothing published (raise batch_bytes above the file size to read it whole)"
                )
            if first is None:
                continue  # the record that covers this span was read by an earlier one
        carry = (str(member.file), next_)


class SpanMismatch(RuntimeError):
    """Two spans of a WARC disagree on where a record starts: nothing is published."""


# --- the worker side ---------------------------------------------------------------------


@dataclass(slots=True)
class PieceJob:
    batch: Batch
    ctx: RunContext
    folder: str  # _pieces/crawl_date=D/<key>/<run id>


def run_piece(
    job: PieceJob,
    options: ExtractOptions,
    skip: dict[int, tuple[str, str]],
    started: Callable[[int], None],
) -> BatchSummary:
    """Read, extract and stage one piece (in an extraction worker; see WorkerPool.run_job)."""
    from tasks.extract.record import extract_record  # preloaded in the workers' forkserver
    from tasks.process.write import articles_table, write_staged

    batch = job.batch
    rows: list[dict[str, Any]] = []
    failures: list[Failure] = []
    notes: Counter[str] = Counter()
    spans: list[WarcSpan] = []
    records_in = 0
    for index, item in enumerate(_read(batch, notes, spans)):
        records_in += 1
        if isinstance(item, Failure):
            failures.append(item)
            continue
        if index in skip:
            failures.append(Failure.of(item, "extract", *skip[index]))
            continue
        started(index)
        result = extract_record(item, options)
        if isinstance(result, Failure):
            failures.append(result)
        else:
            notes.update(result.pop(DECODE_NOTES_KEY, None) or ())  # e.g. NUL bytes dropped
            rows.append(result)
    started(-1)  # no record runs any more: staging is not under the per-record time limit
    table, unwritable = articles_table(rows, notes)
    failures.extend(unwritable)
    tables = write_staged(job.ctx, job.folder, "", table, failures, notes)
    summary = BatchSummary(
        batch_no=batch.batch_no,
        records_in=records_in,
        extracted=table.num_rows,
        failures=Counter((f.stage, f.error_type) for f in failures),
        notes=notes,
        folder=job.folder,
        tables=tables,
        span=(spans[0].first, spans[0].next) if spans else None,
    )
    # last: a piece with this marker is complete (what a later run may reuse)
    job.ctx.store.write_json(f"{job.folder}/{DONE}", summary.to_json())
    return summary


def _read(
    batch: Batch, counters: Counter[str], spans: list[WarcSpan]
) -> Iterator[RawRecord | Failure]:
    for member in batch.members:
        span = None
        if member.end is not None:
            span = WarcSpan(member.start, member.end)
            spans.append(span)
        before = _local_identity(member)
        yield from iter_records(
            member.file, batch.max_record_bytes, counters, batch.warc_filter, span
        )
        # an S3 object is read with If-Match on its ETag; a local file is compared
        # before and after: rows are never stored under an identity they do not have
        if before is not None and _local_identity(member) != before:
            raise StorageError(f"{member.file} changed while it was read; run again")


def _local_identity(member: Member) -> str | None:
    if member.file.store.pins_reads:
        return None
    try:
        now = member.file.current_identity()
    except OSError:
        return "unreadable"
    if member.identity not in (now, "unreadable"):
        raise StorageError(f"{member.file} changed after the run listed it; run again")
    return now


# --- the store of staged pieces (driver) --------------------------------------------------


def pieces_prefix(crawl_date: str) -> str:
    return f"{PIECES}/{partition_name(crawl_date)}"


@dataclass(slots=True)
class PieceIndex:
    """The staged pieces of a date, from one listing: key -> complete folders, and every
    folder with the newest time anything in it was written."""

    complete: dict[str, list[str]] = field(default_factory=dict)
    folders: dict[str, float] = field(default_factory=dict)


def index_pieces(store: Storage, crawl_date: str) -> PieceIndex:
    index = PieceIndex()
    prefix = pieces_prefix(crawl_date)
    for entry in store.list(prefix):  # sorted: a key's complete folders in folder order
        parts = entry.key[len(prefix) + 1 :].split("/")
        if len(parts) != 3:
            continue
        folder = f"{prefix}/{parts[0]}/{parts[1]}"
        index.folders[folder] = max(index.folders.get(folder, 0.0), entry.mtime)
        if parts[2] == DONE:
            index.complete.setdefault(parts[0], []).append(folder)
    return index


def reuse(store: Storage, batch: Batch, index: PieceIndex) -> BatchSummary | None:
    """The summary of a complete staged piece with `batch`'s key, or None."""
    for folder in index.complete.get(batch.key, ()):
        data = store.read_json(f"{folder}/{DONE}")
        if data is not None:
            return BatchSummary.from_json(batch.batch_no, folder, data)
    return None


def staged_keys(summaries: Sequence[BatchSummary]) -> dict[str, list[str]]:
    """table -> its staged Parquet keys, in plan order (what the commit pass reads)."""
    keys: dict[str, list[str]] = {table: [] for table in TABLES}
    for summary in summaries:
        for table in summary.tables:
            keys[table].append(f"{summary.folder}/{table}.parquet")
    return keys


def prune_pieces(
    store: Storage, index: PieceIndex, used: Sequence[BatchSummary], now: float | None = None
) -> int:
    """After a commit: delete the staged pieces the date no longer needs (removed or changed
    files, older pipeline versions, other copies of a used piece), and incomplete folders
    of dead runs. An incomplete folder written to recently may be a concurrent run's: kept.
    Returns the folders deleted."""
    keep = {s.folder for s in used}
    cutoff = (now or time.time()) - STALE_PIECE_SECONDS
    complete = {f for folders in index.complete.values() for f in folders}
    removed = 0
    for folder, written in index.folders.items():
        if folder in keep or (folder not in complete and written >= cutoff):
            continue
        store.delete_prefix(folder)
        removed += 1
    return removed


def piece_folder(crawl_date: str, key: str, run_id: str) -> str:
    return f"{pieces_prefix(crawl_date)}/{key}/{run_id}"
