"""WARC inputs: one RawRecord per HTTP response record, streamed record by record; a span of
a big file starts at the first record after its start offset (`find_warc_record`).

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

import re
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from fastwarc.warc import ArchiveIterator, WarcRecord, WarcRecordType

from tasks.ingest.common import describe, failure, parse_iso_utc, too_large
from tasks.ingest.decode import DecodeError, decode_content
from tasks.ingest.filters import WarcFilter
from tasks.ingest.listing import InputFile
from tasks.records import Failure, RawRecord
from tasks.storage.errors import StorageError

__all__ = ["WarcSpan", "find_warc_record", "warc_records"]

# Companions of a response in a crawl, not articles: skipped and counted.
# (FastWARC's record types are not hashable: keyed by their int value.)
_WARC_COMPANIONS = {
    int(WarcRecordType.warcinfo): "warcinfo",
    int(WarcRecordType.request): "request",
    int(WarcRecordType.metadata): "metadata",
}
_HTML_MIME_TYPES = {"text/html", "application/xhtml+xml", "application/vnd.wap.xhtml+xml"}
_CHUNK_SIZE = re.compile(rb"[0-9a-fA-F]{1,16}")


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
        at: int | None = 0 if base else -1
        while at is not None:
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


def warc_records(
    path: InputFile,
    file_size: int,
    limit: int,
    counters: Counter[str],
    warc_filter: WarcFilter | None,
    span: WarcSpan | None = None,
) -> Iterator[RawRecord | Failure]:
    uri = str(path)
    stream = path.open()  # closed by the with below; an OSError is iter_records' io_error
    # A record's stored length is only known once the next record starts, so each result is
    # held back by one record.
    pending: RawRecord | Failure | None = None
    pending_pos = 0
    seen = 0
    end = file_size if span is None else min(span.end, file_size)
    with stream:
        if span is not None:
            compressed = path.name.lower().endswith(".gz")
            span.first = find_warc_record(stream, span.start, end, compressed) if span.start else 0
            if span.first is None:  # no record starts in the span (a record larger than it)
                return
            stream.seek(span.first)
        try:
            # strict_mode=False: tolerate the non-conformant headers real crawlers write.
            records = ArchiveIterator(stream, parse_http=False, strict_mode=False)
            for record in records:
                pos = record.stream_pos
                if pending is not None:
                    pending.raw_size = max(pos - pending_pos, 0) or pending.raw_size
                    yield pending
                    pending = None
                if span is not None and pos >= end:  # the next span's first record
                    span.next = pos
                    return
                seen += 1
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
            broken = f"unreadable after {seen} records: {describe(error)}"
            yield failure(uri, "warc", "corrupt_warc", broken)
            return
    if span is not None:
        span.next = file_size
    if pending is not None:
        pending.raw_size = max(file_size - pending_pos, 0) or pending.raw_size
        yield pending
    if seen == 0 and (span is None or span.start == 0):
        yield failure(uri, "warc", "empty", "no WARC records")


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

    def refuse(error_type: str, message: str) -> Failure:
        return failure(uri, "warc", error_type, message, size, url)

    if record_type != WarcRecordType.response:
        name = record.headers.get("WARC-Type") or str(record_type)
        return refuse("warc_not_response", f"WARC-Type {name} is not a response")

    record.parse_http(strict_mode=False)
    http = record.http_headers
    if not record.is_http or http is None:
        return refuse("not_http", "response record without HTTP")
    status = http.status_code
    if status is None:
        return refuse("invalid_http", "no HTTP status line")
    if not 200 <= status < 300:
        return refuse(f"http_{status}", f"HTTP status {status}")
    mime, charset = _parse_content_type(http.get("Content-Type"))
    if mime is not None and mime not in _HTML_MIME_TYPES:
        return refuse("not_html", f"Content-Type {mime}")

    payload_length = record.content_length  # of the HTTP body, once parse_http has run
    body = record.reader.read(limit + 1)
    if len(body) > limit:
        return too_large(uri, "warc", payload_length, limit, size, url)
    if len(body) < payload_length:
        return refuse(
            "corrupt_warc", f"record truncated: {len(body)} of {payload_length} body bytes"
        )
    if "chunked" in (http.get("Transfer-Encoding") or "").lower():
        body = _dechunk(body)
    try:
        body = decode_content(body, http.get("Content-Encoding"), limit)
    except DecodeError as error:
        return refuse(error.error_type, str(error))
    if not body or body.isspace():
        return refuse("empty", "empty HTTP body")
    warc_date = record.headers.get("WARC-Date")
    fetched_at = parse_iso_utc(warc_date)
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
    return (value or "").strip().removeprefix("<").removesuffix(">").strip() or None
