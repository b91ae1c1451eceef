"""The two things a raw input record can turn into before extraction.

Loaders yield `RawRecord` for every record they could read and `Failure` for every
record they could not; the extraction step turns a `RawRecord` into an article row
or another `Failure`. Both are small, picklable and cheap to send to a worker process.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal

InputFormat = Literal["html", "text", "jsonl", "warc"]
ContentKind = Literal["html", "text"]
Stage = Literal["load", "decode", "extract", "normalise", "write"]

# Key of an article row (as returned by the extraction worker) holding the repairs made while
# decoding it, e.g. ["nul_bytes_dropped"]; the driver counts and removes it before writing.
DECODE_NOTES_KEY = "decode_notes"


@dataclass(slots=True)
class RawRecord:
    """One raw article as read from the input, not yet decoded or extracted."""

    source_uri: str  # points back to the record: file path, `path#line=N`, `path#offset=N`
    input_format: InputFormat  # the container it came in
    content_kind: ContentKind  # what `content` holds: an HTML page or a plain-text article
    content: (
        bytes | str
    )  # bytes when the charset is still unknown, str when the container decoded it
    url: str | None = None
    fetched_at: datetime | None = None  # timezone-aware UTC
    http_charset: str | None = None  # charset from an HTTP Content-Type header (WARC)
    raw_size: int = 0  # bytes of the record as stored (before any decompression of the file)


def new_run_id(crawl_date: date) -> str:
    """`<crawl date>_<UTC start time>_<8 hex>`: sorts by date then start, unique per run
    (process and collect runs alike)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{crawl_date.isoformat()}_{stamp}_{uuid.uuid4().hex[:8]}"


@dataclass(slots=True)
class Failure:
    """A record that did not make it, with the stage and the reason: becomes a quarantine row."""

    source_uri: str
    input_format: str
    stage: Stage
    error_type: str  # short machine-readable reason, e.g. "empty", "binary", "timeout"
    error_message: str  # one human-readable line
    url: str | None = None
    raw_size: int = 0

    @classmethod
    def of(cls, record: RawRecord, stage: Stage, error_type: str, message: str) -> Failure:
        """The failure of a record that was read: it keeps the record's source, URL and size."""
        return cls(
            source_uri=record.source_uri,
            input_format=record.input_format,
            stage=stage,
            error_type=error_type,
            error_message=message,
            url=record.url,
            raw_size=record.raw_size,
        )


@dataclass(frozen=True, slots=True)
class ExtractOptions:
    """Settings every worker needs. The text-selection settings are no longer options: the
    block model (tasks/extract/selection.py) was trained on one fixed trafilatura configuration."""

    crawl_date: date
    pipeline_version: str
    # schemas.ARTICLES_SCHEMA_VERSION, passed in: importing schemas (pyarrow, ~0.4 s)
    # into the extraction workers would only slow their start
    schema_version: int
    # keep pages the router classifies as non-articles (listing, product, ...) as article
    # rows with their page_type, instead of quarantining them as extract/not_article
    keep_non_articles: bool = False
