"""Single-record files (.html, .htm, .txt, optionally gzipped): one RawRecord per file, read
up to `max_record_bytes + 1` bytes, never whole."""

from __future__ import annotations

from collections.abc import Iterator

from tasks.ingest.common import (
    READ_ERRORS,
    describe,
    failure,
    open_input,
    read_error_type,
    too_large,
)
from tasks.ingest.listing import InputFile
from tasks.records import Failure, RawRecord


def page_record(
    path: InputFile,
    stored_size: int,
    input_format: str,
    content_kind: str,
    compressed: bool,
    limit: int,
) -> Iterator[RawRecord | Failure]:
    uri = str(path)
    if not compressed and stored_size > limit:
        yield too_large(uri, input_format, stored_size, limit, stored_size)
        return
    try:
        with open_input(path, compressed) as stream:
            # Reading one byte past the limit is how a too-large .gz is noticed without
            # decompressing all of it.
            content = stream.read(limit + 1)
    except READ_ERRORS as error:
        yield failure(uri, input_format, read_error_type(error), describe(error), stored_size)
        return
    if len(content) > limit:
        yield too_large(uri, input_format, None, limit, stored_size)
    elif not content:
        yield failure(uri, input_format, "empty", "decompresses to nothing", stored_size)
    else:
        yield RawRecord(
            source_uri=uri,
            input_format=input_format,  # type: ignore[arg-type]
            content_kind=content_kind,  # type: ignore[arg-type]
            content=content,
            raw_size=stored_size,
        )
