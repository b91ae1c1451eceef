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


The readers: tasks/ingest/page.py, jsonl.py and warc.py (its docstring has the WARC reader
measurements); the listing: tasks/ingest/listing.py.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator

from tasks.ingest.common import DEFAULT_MAX_RECORD_BYTES, describe, failure, format_of
from tasks.ingest.filters import WarcFilter
from tasks.ingest.jsonl import jsonl_records
from tasks.ingest.listing import InputFile, input_file
from tasks.ingest.page import page_record
from tasks.ingest.warc import WarcSpan, warc_records
from tasks.records import Failure, RawRecord
from tasks.storage.errors import StorageError

__all__ = ["iter_records"]


def iter_records(
    path: InputFile | str | os.PathLike[str],
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
    try:
        path = input_file(path)
    except OSError as error:  # a local path that cannot even be stat'ed
        yield failure(str(path), "unknown", "io_error", describe(error))
        return
    found = format_of(path)
    if found is None:
        yield failure(
            str(path), "unknown", "unsupported_format", f"unsupported file type: {path.name}"
        )
        return
    input_format, content_kind, compressed = found
    if counters is None:
        counters = Counter()
    try:
        size = path.stored_size()  # FileNotFoundError for a file that was not there to list
        if size == 0:
            yield failure(str(path), input_format, "empty", "empty file")
        elif input_format == "jsonl":
            yield from jsonl_records(path, compressed, max_record_bytes, counters)
        elif input_format == "warc":
            yield from warc_records(path, size, max_record_bytes, counters, warc_filter, span)
        elif span is not None:
            raise ValueError(f"only WARC files are read by byte range, not {path.name}")
        else:  # a single-record format always names its content kind
            kind = content_kind or "html"
            yield from page_record(path, size, input_format, kind, compressed, max_record_bytes)
    except StorageError:
        raise
    except OSError as error:  # opening a file; the readers handle errors while reading
        yield failure(str(path), input_format, "io_error", describe(error))
    except Exception as error:  # noqa: BLE001 - a loader bug must not stop the whole run
        yield failure(str(path), input_format, "load_error", describe(error))
