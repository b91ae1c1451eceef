"""JSONL inputs: one RawRecord per non-blank line, read with a bounded `readline` so one huge
line is a "too_large" Failure, not a whole line in memory."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import IO

from tasks.ingest.common import (
    READ_ERRORS,
    describe,
    failure,
    open_input,
    parse_iso_utc,
    read_error_type,
    too_large,
)
from tasks.ingest.listing import InputFile
from tasks.records import Failure, RawRecord

_SKIP_CHUNK = 64 * 1024


def jsonl_records(
    path: InputFile, compressed: bool, limit: int, counters: Counter[str]
) -> Iterator[RawRecord | Failure]:
    uri = str(path)
    stream = open_input(path, compressed)  # an OSError here is iter_records' io_error
    line_no = 0
    produced = False
    with stream:
        try:
            for line, size in _bounded_lines(stream, limit):
                line_no += 1
                line_uri = f"{uri}#line={line_no}"
                if line is None:
                    yield too_large(line_uri, "jsonl", size, limit, size)
                    produced = True
                    continue
                if line_no == 1 and line.startswith(b"\xef\xbb\xbf"):
                    line = line[3:]  # a UTF-8 BOM that editors put at the start of the file
                if not line.strip():
                    continue
                produced = True
                yield _jsonl_record(line, line_uri, size, counters)
        except READ_ERRORS as error:
            # the input broke after `line_no` lines: one Failure stands for the rest of it
            broken = f"unreadable from line {line_no + 1} on: {describe(error)}"
            yield failure(f"{uri}#line={line_no + 1}", "jsonl", read_error_type(error), broken)
            return
    if not produced:
        yield failure(uri, "jsonl", "empty", "no records (only blank lines)")


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
        return failure(uri, "jsonl", "invalid_utf8", f"not UTF-8: {error}", size)
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError) as error:
        return failure(uri, "jsonl", "invalid_json", f"not JSON: {describe(error)}", size)
    if not isinstance(obj, dict):
        kind = type(obj).__name__
        return failure(uri, "jsonl", "not_an_object", f"JSON {kind}, expected an object", size)

    url = obj.get("url")
    url = url.strip() if isinstance(url, str) and url.strip() else None
    content_kind, content = _jsonl_content(obj)
    if content is None:
        has_empty = any(isinstance(obj.get(key), str) for key in ("html", "text"))
        error_type = "empty" if has_empty else "missing_content"
        message = "blank html/text" if has_empty else 'no "html" or "text" string'
        return failure(uri, "jsonl", error_type, message, size, url)

    fetched_at = parse_iso_utc(obj.get("fetched_at"))
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
