"""What every input reader shares: the suffix -> format table, opening a file (gzip or not),
the Failure records of the load stage, and ISO 8601 times as tz-aware UTC."""

from __future__ import annotations

import gzip
import zlib
from datetime import UTC, datetime
from typing import IO, cast

from tasks.errors import safe_error_text
from tasks.ingest.listing import InputFile
from tasks.records import Failure

DEFAULT_MAX_RECORD_BYTES = 10 * 2**20

# suffix -> (input_format, content_kind for single-record files, gzip-compressed)
FORMATS: dict[str, tuple[str, str | None, bool]] = {
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
SUPPORTED_SUFFIXES = tuple(FORMATS)

GZIP_ERRORS = (gzip.BadGzipFile, zlib.error)  # BadGzipFile is an OSError: catch it first
READ_ERRORS = (EOFError, *GZIP_ERRORS, OSError)


def read_error_type(error: BaseException) -> str:
    """What a READ_ERRORS error of a file being read says about it."""
    if isinstance(error, EOFError):
        return "truncated_gzip"
    return "corrupt_gzip" if isinstance(error, GZIP_ERRORS) else "io_error"


def open_input(path: InputFile, compressed: bool) -> IO[bytes]:
    """A binary stream of the file, decompressed when `compressed`; closing it closes all."""
    stream = path.open()
    if not compressed:
        return stream
    try:
        return cast(IO[bytes], _ClosingGzip(stream))  # a GzipFile is a binary stream
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


def format_of(path: InputFile) -> tuple[str, str | None, bool] | None:
    """The FORMATS entry of the file's suffix; None: an unsupported file."""
    name = path.name.lower()
    return next((FORMATS[s] for s in SUPPORTED_SUFFIXES if name.endswith(s)), None)


def parse_iso_utc(value: object) -> datetime | None:
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


def too_large(
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
    return failure(uri, input_format, "too_large", message, raw_size, url)


def failure(
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


def describe(error: BaseException) -> str:
    return safe_error_text(error)  # never an HTTP client's text (tasks/errors.py)
