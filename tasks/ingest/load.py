"""List raw inputs and stream them as `RawRecord`s, one record at a time.

Nothing here holds a whole input in memory: single-page files are read up to
`max_record_bytes + 1` bytes, JSONL is read line by line with a bounded `readline`, WARC
record by record. Nothing here raises for a broken input either: every record that cannot be
read becomes a `Failure(stage="load")` with a short `error_type`, so the run's accounting
closes (records in = articles + quarantined + duplicates).

| suffix            | records                  | source_uri              | content |
|-------------------|--------------------------|-------------------------|---------|
| .html .htm (.gz)  | one, content_kind html   | the path                | bytes   |
| .txt (.gz)        | one, content_kind text   | the path                | bytes   |
| .jsonl (.gz)      | one per non-blank line   | path#line=N (1-based)   | str     |
| .warc (.gz)       | one per response record  | path#offset=N (of file) | bytes   |

Load error types: unsupported_format, empty, io_error, too_large, truncated_gzip,
corrupt_gzip, invalid_utf8, invalid_json, not_an_object, missing_content, corrupt_warc,
warc_not_response, not_http, invalid_http, http_<status>, not_html, bad_content_encoding,
unsupported_content_encoding, and load_error for a loader bug (caught so one input cannot
stop a run).

WARC reader: FastWARC, measured against warcio with benchmarks/warc_readers.py: the 181
ScrapingHub pages as warcinfo + request/response pairs (363 records), every response body read
and decoded in full, records per CPU-second, median of 15 reads, three runs on a shared 2-core
machine (run-to-run spread up to 20 %):
    .warc.gz (per-record gzip), plain bodies, 6.3 MB   warcio  3,400-4,300   fastwarc 9,600
    .warc.gz, chunked + gzip-encoded bodies            warcio  3,300-3,600   fastwarc 4,300-4,400
    .warc (uncompressed), plain bodies, 31.6 MB        warcio 18,500-19,200  fastwarc 34,000-42,000
iter_records itself (FastWARC + building RawRecords) stays within that spread of bare
FastWARC. Reading costs ~0.1-0.3 ms per article against 25-50 ms of extraction, so the
choice matters less than robustness. FastWARC also reads whole-file-gzipped WARCs (with
offsets that cannot be seeked to), which warcio refuses after the first record.
FastWARC's own body decoding is not used (auto_decode="none"; we de-chunk and decompress
here): in FastWARC 2.0.1 `auto_decode="all"` silently ends the iteration after the first
record that is both chunked and gzip-encoded, and a `Transfer-Encoding: chunked` header on a
body stored de-chunked (pywb records do that) raises and kills the file. warcio is still
used to write WARCs (tests, collection); its `content_stream()` breaks on brotli 1.2
(`Decompressor` has no `unused_data`) and only de-chunks the exact value "chunked".
"""

from __future__ import annotations

import gzip
import json
import os
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from fastwarc.warc import ArchiveIterator, WarcRecord, WarcRecordType

from tasks.errors import safe_error_text
from tasks.ingest.decode import DecodeError, decode_content
from tasks.normalise.urls import host_of
from tasks.records import Failure, RawRecord
from tasks.storage.store import S3Options, StorageError, StoredFile, is_s3_uri, list_stored_files

# A local file or an object on S3 (same interface: name, stat(), open(), str()).
InputFile = Path | StoredFile

__all__ = [
    "DEFAULT_MAX_RECORD_BYTES",
    "SUPPORTED_SUFFIXES",
    "WarcFilter",
    "WarcSpan",
    "find_warc_record",
    "iter_all",
    "iter_records",
    "list_inputs",
]

DEFAULT_MAX_RECORD_BYTES = 10 * 2**20

# suffix -> (input_format, content_kind for single-record files, gzip-compressed)
_FORMATS: dict[str, tuple[str, str | None, bool]] = {
    ".html": ("html", "html", False),
    ".htm": ("html", "html", False),
    ".html.gz": ("html", "html", True),
    ".htm.gz": ("html", "html", True),
    ".txt": ("text", "text", False),
    ".txt.gz": ("text", "text", True),
    ".jsonl": ("jsonl", None, False),
    ".jsonl.gz": ("jsonl", None, True),
    ".warc": ("warc", None, False),
    ".warc.gz": ("warc", None, True),
}
SUPPORTED_SUFFIXES = tuple(_FORMATS)

# Companions of a response in a crawl, not articles: skipped and counted.
# (FastWARC's record types are not hashable: keyed by their int value.)
_WARC_COMPANIONS = {
    int(WarcRecordType.warcinfo): "warcinfo",
    int(WarcRecordType.request): "request",
    int(WarcRecordType.metadata): "metadata",
}
_HTML_MIME_TYPES = {"text/html", "application/xhtml+xml", "application/vnd.wap.xhtml+xml"}
_GZIP_ERRORS = (gzip.BadGzipFile, zlib.error)  # BadGzipFile is an OSError: catch it first
_SKIP_CHUNK = 64 * 1024
_CHUNK_SIZE = re.compile(rb"[0-9a-fA-F]{1,16}")


def list_inputs(
    root: str | Path, s3: S3Options | None = None, exclude: Iterable[str] = ()
) -> list[InputFile]:
    """The input files under `root` (a file, or a folder walked recursively), sorted.

    `root` may be an s3://bucket/prefix URI (objects listed the same way, see
    `tasks.storage.store.list_stored_files`; `s3` says how to reach the endpoint).

    Files and folders whose name starts with "." or "_" are skipped (hidden files, `_runs/`,
    `_SUCCESS`, `_temporary/`), and so are `*.part` files (a WARC that `collect` is still
    writing, or that a crashed run left), unless `root` itself names the file. Files with an
    unsupported suffix are returned too: `iter_records` turns them into an "unsupported_format"
    Failure instead of dropping them silently. Raises FileNotFoundError for a missing root and
    OSError for a folder that cannot be listed: a run must not go on with part of its inputs.

    Symlinked folders and files are followed. Each real folder and file is listed once, under
    the first name the sorted walk reaches it by, so a symlink loop neither hangs nor
    duplicates records. `exclude`: locations (local paths or s3:// URIs, see
    `output_locations`) never listed, nor anything below them: a run's own output. One that
    contains `root` itself is ignored (input OUT/raw with output OUT is fine).
    """
    # an excluded location that holds the root itself (input = OUT/raw) excludes nothing
    root_key = _location_key(root)
    excluded = [e for e in map(_location_key, exclude) if not _is_below_any(root_key, [e])]
    if is_s3_uri(root):
        files = list_stored_files(str(root), s3)
        return [f for f in files if not _is_below_any(_location_key(str(f)), excluded)]
    root = Path(root)
    if not root.is_dir():
        if not root.exists():
            raise FileNotFoundError(f"input not found: {root}")
        return [root]

    def fail(error: OSError) -> None:
        raise error

    def listed_once(path: str) -> bool:
        try:
            info = os.stat(path)
        except OSError:
            return True  # a broken symlink: listed, so that it is quarantined, not skipped
        identity = (info.st_dev, info.st_ino)
        if identity in seen:
            return False
        seen.add(identity)
        return True

    seen: set[tuple[int, int]] = set()
    listed_once(str(root))  # a link back to the root is a loop too
    found = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=fail, followlinks=True):
        # a folder reached twice (a symlink loop, two links to one folder) is walked once
        kept = []
        for name in sorted(dirnames):
            path = os.path.join(dirpath, name)
            if _is_hidden(name) or _is_below_any(_location_key(path), excluded):
                continue
            if listed_once(path):
                kept.append(name)
        dirnames[:] = kept  # sorted, so the first name of a folder is the same every run
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            if _is_hidden(name) or _is_below_any(_location_key(path), excluded):
                continue
            if listed_once(path):
                found.append(Path(path))
    return sorted(found)


def output_locations(output: object) -> list[str]:
    """What a run writes under its output root (a Storage, path or URI): to be excluded
    from its input listing, where an output inside the input folder would be read back."""
    uri_of = getattr(output, "uri_of", None)
    if uri_of is None:
        from tasks.storage.store import open_storage

        uri_of = open_storage(output).uri_of  # type: ignore[arg-type]
    root = uri_of("")
    names = ("articles", "quarantine", "_staging", "_pieces", "_runs", "_locks")
    tables = [uri_of(name) for name in names]
    return [root, *tables]


def _location_key(location: str | os.PathLike[str]) -> str:
    """A comparable form of a path or URI: the real absolute path, or the URI."""
    text = os.fspath(location)
    if is_s3_uri(text):
        return text.rstrip("/")
    return os.path.realpath(text)


def _is_below_any(location: str, prefixes: list[str]) -> bool:
    return any(location == p or location.startswith(p.rstrip("/") + "/") for p in prefixes)


@dataclass(frozen=True, slots=True)
class WarcFilter:
    """Which WARC records to keep (a CC-NEWS backfill wants a few sites or hours of a file).

    `domains`: a record is kept when its target host is one of them or a subdomain of one.
    `since`/`until`: WARC-Date window, [since, until), timezone-aware. A record without a
    parseable WARC-Date is kept only when no window is set.
    """

    domains: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None

    @classmethod
    def from_options(
        cls, domains: Iterable[str] | None, since: str | None, until: str | None
    ) -> WarcFilter | None:
        """From CLI/flow options (ISO 8601, naive = UTC); None when none is set.

        Raises ValueError for a date/time that is not ISO 8601.
        """
        names = tuple(d.strip().lower().rstrip(".") for d in domains or () if d.strip())
        if not names and not since and not until:
            return None
        return cls(names, _parse_option_time(since), _parse_option_time(until))

    def reason(self, url: str | None, warc_date: str | None) -> str | None:
        """'domain' or 'date' when the record is filtered out, else None."""
        if self.domains:
            host = host_of(url) or ""
            if not any(host == d or host.endswith("." + d) for d in self.domains):
                return "domain"
        if self.since is not None or self.until is not None:
            when = _parse_iso_utc(warc_date)
            if when is None:
                return "date"
            if (self.since is not None and when < self.since) or (
                self.until is not None and when >= self.until
            ):
                return "date"
        return None


def _parse_option_time(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = _parse_iso_utc(value)
    if parsed is None:
        datetime.fromisoformat(value.strip())  # raises ValueError naming a bad format
        raise ValueError(f"{value.strip()!r} is out of range once converted to UTC")
    return parsed


def iter_records(
    path: InputFile | str,
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
    counters: Counter[str] | None = None,
    warc_filter: WarcFilter | None = None,
    span: WarcSpan | None = None,
) -> Iterator[RawRecord | Failure]:
    """Yield every record of one input file as a RawRecord, or a Failure when it cannot be read.

    Never raises for a broken input. A record (page, JSONL line, WARC HTTP body) larger than
    `max_record_bytes` becomes a "too_large" Failure without being read into memory whole.

    JSONL: one object per line with "url" (optional) and "html" or "text" ("html" wins when
    both hold text), and optionally "fetched_at" (ISO 8601, naive means UTC). An unparseable
    "fetched_at" does not fail the article: the record loads with fetched_at=None, as when it
    is missing, and `counters["jsonl_invalid_fetched_at"]` is incremented so it is not lost
    silently. Blank lines are not records.

    WARC: response records only. warcinfo, request and metadata records are skipped and
    counted in `counters["warc_skipped_<type>"]`; any other record type is a
    "warc_not_response" Failure. Non-2xx responses fail with "http_<status>", non-HTML
    Content-Types with "not_html" (no Content-Type is taken as HTML).

    `warc_filter`: WARC records it rejects are skipped unread and counted in
    `counters["warc_filtered_domain"]` / `counters["warc_filtered_date"]`.

    `counters`, when given, is incremented in place (also by skipped records, which yield
    nothing): pass one Counter to several calls to total a run.

    `span`: only the WARC records that start in [span.start, span.end) of the (stored,
    compressed) file, found without reading the file before span.start (see `WarcSpan`).

    A StorageError (S3 unreachable, credentials refused, after retries) is raised, not
    quarantined: an outage must fail the run, not empty the partition.
    """
    path = path if isinstance(path, StoredFile) else Path(path)
    suffix = _supported_suffix(path)
    if suffix is None:
        yield _failure(
            str(path), "unknown", "unsupported_format", f"unsupported file type: {path.name}"
        )
        return
    input_format, content_kind, compressed = _FORMATS[suffix]
    if counters is None:
        counters = Counter()
    try:
        if input_format == "jsonl":
            yield from _jsonl_records(path, compressed, max_record_bytes, counters)
        elif input_format == "warc":
            yield from _warc_records(path, max_record_bytes, counters, warc_filter, span)
        elif span is not None:
            raise ValueError(f"only WARC files are read by byte range, not {path.name}")
        else:
            yield from _single_record(
                path, input_format, content_kind, compressed, max_record_bytes
            )
    except StorageError:
        raise
    except OSError as error:  # the readers handle their own; this is the safety net
        yield _failure(str(path), input_format, "io_error", _describe(error))
    except Exception as error:  # noqa: BLE001 - a loader bug must not stop the whole run
        yield _failure(str(path), input_format, "load_error", _describe(error))


def iter_all(
    paths: Iterable[InputFile],
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
    counters: Counter[str] | None = None,
    warc_filter: WarcFilter | None = None,
) -> Iterator[RawRecord | Failure]:
    """`iter_records` over every path, in order."""
    for path in paths:
        yield from iter_records(path, max_record_bytes, counters, warc_filter)


# ---------------------------------------------------------------- single-record files


def _single_record(
    path: InputFile, input_format: str, content_kind: str, compressed: bool, limit: int
) -> Iterator[RawRecord | Failure]:
    uri = str(path)
    try:
        stored_size = path.stat().st_size
    except OSError as error:
        yield _failure(uri, input_format, "io_error", _describe(error))
        return
    if stored_size == 0:
        yield _failure(uri, input_format, "empty", "empty file")
        return
    if not compressed and stored_size > limit:
        yield _too_large(uri, input_format, stored_size, limit, stored_size)
        return
    try:
        with _open(path, compressed) as stream:
            # Reading one byte past the limit is how a too-large .gz is noticed without
            # decompressing all of it.
            content = stream.read(limit + 1)
    except EOFError as error:
        yield _failure(uri, input_format, "truncated_gzip", _describe(error), stored_size)
        return
    except _GZIP_ERRORS as error:
        yield _failure(uri, input_format, "corrupt_gzip", _describe(error), stored_size)
        return
    except OSError as error:
        yield _failure(uri, input_format, "io_error", _describe(error), stored_size)
        return
    if len(content) > limit:
        yield _too_large(uri, input_format, None, limit, stored_size)
    elif not content:
        yield _failure(uri, input_format, "empty", "decompresses to nothing", stored_size)
    else:
        yield RawRecord(
            source_uri=uri,
            input_format=input_format,  # type: ignore[arg-type]
            content_kind=content_kind,  # type: ignore[arg-type]
            content=content,
            raw_size=stored_size,
        )


# ---------------------------------------------------------------- JSONL


def _jsonl_records(
    path: InputFile, compressed: bool, limit: int, counters: Counter[str]
) -> Iterator[RawRecord | Failure]:
    uri = str(path)
    try:
        if path.stat().st_size == 0:
            yield _failure(uri, "jsonl", "empty", "empty file")
            return
        stream = _open(path, compressed)
    except OSError as error:
        yield _failure(uri, "jsonl", "io_error", _describe(error))
        return

    line_no = 0
    produced = False
    with stream:
        try:
            for line, size in _bounded_lines(stream, limit):
                line_no += 1
                line_uri = f"{uri}#line={line_no}"
                if line is None:
                    yield _too_large(line_uri, "jsonl", size, limit, size)
                    produced = True
                    continue
                if line_no == 1 and line.startswith(b"\xef\xbb\xbf"):
                    line = line[3:]  # a UTF-8 BOM that editors put at the start of the file
                if not line.strip():
                    continue
                produced = True
                yield _jsonl_record(line, line_uri, size, counters)
        except EOFError as error:
            yield _rest_failure(uri, line_no, "truncated_gzip", error)
            return
        except _GZIP_ERRORS as error:
            yield _rest_failure(uri, line_no, "corrupt_gzip", error)
            return
        except OSError as error:
            yield _rest_failure(uri, line_no, "io_error", error)
            return
    if not produced:
        yield _failure(uri, "jsonl", "empty", "no records (only blank lines)")


def _bounded_lines(stream: IO[bytes], limit: int) -> Iterator[tuple[bytes | None, int]]:
    """Yield (line without its line end, stored length) per physical line.

    A line longer than `limit` is yielded as (None, its length): it is skipped in chunks,
    so at most `limit + 1` bytes of it are ever held.
    """
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        if line.endswith(b"\n") or len(line) <= limit:
            content = line.rstrip(b"\r\n")
            yield content, len(content)
            continue
        size = len(line)
        while True:
            chunk = stream.readline(_SKIP_CHUNK)
            size += len(chunk)
            if not chunk or chunk.endswith(b"\n"):
                break
        yield None, size - (1 if chunk.endswith(b"\n") else 0)


def _jsonl_record(line: bytes, uri: str, size: int, counters: Counter[str]) -> RawRecord | Failure:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as error:
        return _failure(uri, "jsonl", "invalid_utf8", f"not UTF-8: {error}", size)
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError) as error:
        return _failure(uri, "jsonl", "invalid_json", f"not JSON: {_describe(error)}", size)
    if not isinstance(obj, dict):
        kind = type(obj).__name__
        return _failure(uri, "jsonl", "not_an_object", f"JSON {kind}, expected an object", size)

    url = obj.get("url")
    url = url.strip() if isinstance(url, str) and url.strip() else None
    content_kind, content = _jsonl_content(obj)
    if content is None:
        has_empty = any(isinstance(obj.get(key), str) for key in ("html", "text"))
        error_type = "empty" if has_empty else "missing_content"
        message = "blank html/text" if has_empty else 'no "html" or "text" string'
        return _failure(uri, "jsonl", error_type, message, size, url)

    fetched_at = _parse_iso_utc(obj.get("fetched_at"))
    if fetched_at is None and obj.get("fetched_at") is not None:
        counters["jsonl_invalid_fetched_at"] += 1
    return RawRecord(
        source_uri=uri,
        input_format="jsonl",
        content_kind=content_kind,  # type: ignore[arg-type]
        content=content,
        url=url,
        fetched_at=fetched_at,
        raw_size=size,
    )


def _jsonl_content(obj: dict) -> tuple[str, str | None]:
    """("html" or "text", the content) from the first of the two holding non-blank text."""
    for key in ("html", "text"):
        value = obj.get(key)
        if isinstance(value, str) and value.strip():
            return key, value
    return "html", None


def _rest_failure(uri: str, lines_read: int, error_type: str, error: BaseException) -> Failure:
    """The input broke after `lines_read` lines: one Failure stands for the rest of the file."""
    return _failure(
        f"{uri}#line={lines_read + 1}",
        "jsonl",
        error_type,
        f"unreadable from line {lines_read + 1} on: {_describe(error)}",
    )


# ---------------------------------------------------------------- WARC


@dataclass(slots=True)
class WarcSpan:
    """A byte range of a WARC file whose records one worker reads, and what it found.

    A record belongs to the span its first byte is in. A span that does not start at 0
    finds its first record itself (`find_warc_record`): the next gzip member that inflates
    to "WARC/1.", or in a plain WARC the next line "WARC/1.x" after a blank line, so the
    planner never reads the file. `first` (the offset of that record; None when no record
    starts in the span) and `next` (the offset of the first record at or after `end`, read
    on sequentially, or the file size) are filled in while reading: span k's `next` must
    equal span k+1's `first`, which the pipeline checks (a body that only looks like a
    record boundary fails the run loudly instead of losing or duplicating records). `next`
    stays None after a corrupt record.
    """

    start: int
    end: int
    first: int | None = None
    next: int | None = None


_GZIP_MEMBER = b"\x1f\x8b\x08"
_WARC_LINE = re.compile(rb"(?:^|\n)(WARC/1\.[01]\r?\n)")
_SCAN_CHUNK = 1 << 20


def find_warc_record(stream: IO[bytes], start: int, end: int, compressed: bool) -> int | None:
    """Offset of the first WARC record at or after `start` and before `end`, else None.

    Reads forward from `start` only (a ranged read on S3), at most to `end` plus one record
    header. A candidate is confirmed by inflating its first bytes (gzip) or by its line.
    """
    # from 1 byte earlier, so that a plain record starting exactly at `start` shows its "\n"
    base = max(start - 1, 0)
    stream.seek(base)
    buffer = b""
    while base + len(buffer) < end + 64:
        chunk = stream.read(_SCAN_CHUNK)
        buffer += chunk
        at = 0 if base else -1
        while True:
            at = _next_candidate(buffer, at + 1, compressed)
            if at is None or base + at >= end:
                break
            if base + at >= start and _confirmed(buffer, at, compressed, more=bool(chunk)):
                return base + at
        if not chunk:
            return None
        keep = len(buffer) - 4096  # a candidate near the end is looked at with more bytes
        if keep > 0:
            base, buffer = base + keep, buffer[keep:]
    return None


def _next_candidate(buffer: bytes, at: int, compressed: bool) -> int | None:
    if compressed:
        found = buffer.find(_GZIP_MEMBER, max(at, 0))
        return None if found < 0 else found
    match = _WARC_LINE.search(buffer, max(at - 1, 0))
    return None if match is None else match.start(1)


def _confirmed(buffer: bytes, at: int, compressed: bool, more: bool) -> bool:
    if not compressed:
        # "^" matches only at the buffer's start, which is `start - 1`: no record there
        return at > 0
    window = buffer[at : at + 4096]
    if len(window) < 64 and more:
        return False  # looked at again once more bytes are in
    try:
        head = zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(window, 16)
    except zlib.error:
        return False
    return head.startswith(b"WARC/1.")


def _warc_records(
    path: InputFile,
    limit: int,
    counters: Counter[str],
    warc_filter: WarcFilter | None,
    span: WarcSpan | None = None,
) -> Iterator[RawRecord | Failure]:
    uri = str(path)
    try:
        file_size = path.stat().st_size
        if file_size == 0:
            yield _failure(uri, "warc", "empty", "empty file")
            return
        stream = path.open("rb")  # closed by the with below
    except OSError as error:
        yield _failure(uri, "warc", "io_error", _describe(error))
        return

    # A record's stored length is only known once the next record starts, so each result is
    # held back by one record.
    pending: RawRecord | Failure | None = None
    pending_pos = 0
    seen = 0
    end = file_size if span is None else min(span.end, file_size)
    with stream:
        if span is not None:
            first = 0
            if span.start > 0:
                compressed = path.name.lower().endswith(".gz")
                first = find_warc_record(stream, span.start, end, compressed)
            span.first = first
            if first is None:  # no record starts in the span (a record larger than it)
                return
            stream.seek(first)
        try:
            # strict_mode=False: tolerate the non-conformant headers real crawlers write.
            records = ArchiveIterator(stream, parse_http=False, strict_mode=False)
            for record in records:
                pos = record.stream_pos
                if span is not None and pos >= end:  # the next span's first record
                    if pending is not None:
                        pending.raw_size = max(pos - pending_pos, 0) or pending.raw_size
                        yield pending
                    if span is not None:
                        span.next = pos
                    return
                seen += 1
                if pending is not None:
                    pending.raw_size = max(pos - pending_pos, 0) or pending.raw_size
                    yield pending
                    pending = None
                result = _warc_result(record, f"{uri}#offset={pos}", limit, counters, warc_filter)
                if result is not None:
                    pending, pending_pos = result, pos
        except StorageError:
            raise
        except Exception as error:  # noqa: BLE001 - FastWARC raises OSError, ValueError...
            if span is not None:
                span.next = None  # where the next record starts is unknown
            if pending is not None:
                yield pending
            yield _failure(
                uri,
                "warc",
                "corrupt_warc",
                f"unreadable after {seen} records: {_describe(error)}",
            )
            return
    if span is not None:
        span.next = file_size
    if pending is not None:
        pending.raw_size = max(file_size - pending_pos, 0) or pending.raw_size
        yield pending
    if seen == 0 and (span is None or span.start == 0):
        yield _failure(uri, "warc", "empty", "no WARC records")


def _warc_result(
    record: WarcRecord,
    uri: str,
    limit: int,
    counters: Counter[str],
    warc_filter: WarcFilter | None = None,
) -> RawRecord | Failure | None:
    """What one WARC record turns into: None for a companion or filtered record (counted)."""
    record_type = record.record_type
    companion = _WARC_COMPANIONS.get(int(record_type))
    if companion is not None:
        counters[f"warc_skipped_{companion}"] += 1
        return None
    url = _target_uri(record.headers.get("WARC-Target-URI"))
    if warc_filter is not None:
        # before the HTTP block is parsed: the body of a filtered record is never read
        why = warc_filter.reason(url, record.headers.get("WARC-Date"))
        if why is not None:
            counters[f"warc_filtered_{why}"] += 1
            return None
    size = record.content_length
    if record_type != WarcRecordType.response:
        name = record.headers.get("WARC-Type") or str(record_type)
        return _failure(
            uri, "warc", "warc_not_response", f"WARC-Type {name} is not a response", size, url
        )

    record.parse_http(strict_mode=False)
    http = record.http_headers
    if not record.is_http or http is None:
        return _failure(uri, "warc", "not_http", "response record without HTTP", size, url)
    status = http.status_code
    if status is None:
        return _failure(uri, "warc", "invalid_http", "no HTTP status line", size, url)
    if not 200 <= status < 300:
        return _failure(uri, "warc", f"http_{status}", f"HTTP status {status}", size, url)
    mime, charset = _parse_content_type(http.get("Content-Type"))
    if mime is not None and mime not in _HTML_MIME_TYPES:
        return _failure(uri, "warc", "not_html", f"Content-Type {mime}", size, url)

    payload_length = record.content_length  # of the HTTP body, once parse_http has run
    body = record.reader.read(limit + 1)
    if len(body) > limit:
        return _too_large(uri, "warc", payload_length, limit, size, url)
    if len(body) < payload_length:
        return _failure(
            uri,
            "warc",
            "corrupt_warc",
            f"record truncated: {len(body)} of {payload_length} body bytes",
            size,
            url,
        )
    if "chunked" in (http.get("Transfer-Encoding") or "").lower():
        body = _dechunk(body)
    try:
        body = decode_content(body, http.get("Content-Encoding"), limit)
    except DecodeError as error:
        return _failure(uri, "warc", error.error_type, str(error), size, url)
    if not body or body.isspace():
        return _failure(uri, "warc", "empty", "empty HTTP body", size, url)
    warc_date = record.headers.get("WARC-Date")
    fetched_at = _parse_iso_utc(warc_date)
    if fetched_at is None and warc_date:
        counters["warc_invalid_date"] += 1  # the article loads with fetched_at null
    return RawRecord(
        source_uri=uri,
        input_format="warc",
        content_kind="html",
        content=body,
        url=url,
        fetched_at=fetched_at,
        http_charset=charset,
        raw_size=size,  # replaced by the stored length once the next record's offset is known
    )


def _dechunk(body: bytes) -> bytes:
    """Undo HTTP chunked transfer coding.

    A body that only claims to be chunked (stored de-chunked by the crawler, header kept)
    comes back as it is; a body cut short (WARC-Truncated) keeps what it has.
    """
    parts: list[bytes] = []
    pos = 0
    while pos < len(body):
        line_end = body.find(b"\n", pos)
        size = _chunk_size(body[pos:line_end]) if line_end >= 0 else None
        end = line_end + 1 + (size or 0)
        if size is None or (not parts and end > len(body)):
            # Not a chunk header, or a first "chunk" longer than the whole body: not chunked
            # after all (or broken from here on). Keep the rest as it is.
            return b"".join(parts) + body[pos:]
        if size == 0:
            break
        parts.append(body[line_end + 1 : end])
        pos = end + (2 if body.startswith(b"\r\n", end) else 1)
    return b"".join(parts)


def _chunk_size(line: bytes) -> int | None:
    match = _CHUNK_SIZE.fullmatch(line.split(b";", 1)[0].strip())
    return int(match.group(), 16) if match else None


# ---------------------------------------------------------------- small helpers


def _open(path: InputFile, compressed: bool) -> IO[bytes]:
    """A binary stream of the file, decompressed when `compressed`; closing it closes all."""
    stream = path.open("rb")
    if not compressed:
        return stream
    try:
        return _ClosingGzip(stream)
    except BaseException:
        stream.close()
        raise


class _ClosingGzip(gzip.GzipFile):
    """GzipFile over a stream it owns (gzip.open only owns files it opened by name)."""

    def __init__(self, raw: IO[bytes]) -> None:
        super().__init__(fileobj=raw, mode="rb")
        self._raw = raw

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._raw.close()


def _supported_suffix(path: InputFile) -> str | None:
    name = path.name.lower()
    for suffix in SUPPORTED_SUFFIXES:
        if name.endswith(suffix):
            return suffix
    return None


def _is_hidden(name: str) -> bool:
    return name.startswith((".", "_")) or name.endswith(".part")


def _parse_iso_utc(value: object) -> datetime | None:
    """An ISO 8601 string -> tz-aware UTC datetime (naive means UTC); None if not parseable.

    None too for a time whose UTC form is outside datetime's range (9999-12-31T23:59:59-01:00,
    0001-01-01T00:00:00+01:00): `astimezone` raises OverflowError for those, and an exception
    here would end the reader's generator and lose the rest of the file.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def _parse_content_type(value: str | None) -> tuple[str | None, str | None]:
    """'text/html; charset="utf-8"' -> ("text/html", "utf-8"); a garbage type counts as none."""
    if not value:
        return None, None
    mime, *params = value.split(";")
    mime = mime.strip().lower()
    charset = None
    for param in params:
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset":
            charset = val.strip().strip("\"'").strip() or None
    return (mime if "/" in mime else None), charset


def _target_uri(value: str | None) -> str | None:
    # WARC/1.0's grammar showed the URI in angle brackets and some writers followed it.
    if not value:
        return None
    value = value.strip().removeprefix("<").removesuffix(">").strip()
    return value or None


def _too_large(
    uri: str,
    input_format: str,
    size: int | None,
    limit: int,
    raw_size: int,
    url: str | None = None,
) -> Failure:
    if size is None:  # only `limit + 1` bytes were read to find out
        message = f"over the {limit}-byte limit once decompressed"
    else:
        message = f"{size} bytes, over the {limit}-byte limit"
    return _failure(uri, input_format, "too_large", message, raw_size, url)


def _failure(
    uri: str,
    input_format: str,
    error_type: str,
    message: str,
    raw_size: int = 0,
    url: str | None = None,
) -> Failure:
    return Failure(
        source_uri=uri,
        input_format=input_format,
        stage="load",
        error_type=error_type,
        error_message=message,
        url=url,
        raw_size=raw_size,
    )


def _describe(error: BaseException) -> str:
    return safe_error_text(error)  # never an HTTP client's text (tasks/errors.py)
