"""tasks.ingest.load: listing inputs and streaming records, on real files written in tmp_path."""

from __future__ import annotations

import gzip
import io
import json
import os
import tracemalloc
import zlib
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import brotli
import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tasks.ingest.common import SUPPORTED_SUFFIXES
from tasks.ingest.decode import DecodeError, decode_bytes
from tasks.ingest.listing import list_inputs
from tasks.ingest.load import iter_records
from tasks.records import Failure, RawRecord

HTML = b"<html><head><title>T</title></head><body><p>Caf\xc3\xa9 society.</p></body></html>"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200)
MB = 2**20


def records(path: Path, **kwargs) -> list[RawRecord | Failure]:
    return list(iter_records(path, **kwargs))


def only(path: Path, **kwargs) -> RawRecord | Failure:
    (item,) = records(path, **kwargs)
    return item


def failure_types(items: list[RawRecord | Failure]) -> list[str]:
    return [item.error_type for item in items if isinstance(item, Failure)]


# ---------------------------------------------------------------- listing


def test_list_inputs_walks_sorted_and_skips_hidden(tmp_path: Path) -> None:
    for name in [
        "b/2.warc.gz",
        "b/1.html",
        "a.jsonl",
        "c/d/e.txt.gz",
        "notes.pdf",  # unsupported: listed, failed later, never dropped silently
        ".hidden.html",
        ".git/config.html",
        "_SUCCESS",
        "_runs/run.json",
        "b/_partial.html",
    ]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(HTML)

    found = list_inputs(tmp_path)

    assert [f.key for f in found] == [
        "a.jsonl",
        "b/1.html",
        "b/2.warc.gz",
        "c/d/e.txt.gz",
        "notes.pdf",
    ]
    assert list_inputs(str(tmp_path)) == found  # str or Path
    assert [f.uri for f in list_inputs(tmp_path / "b" / "_partial.html")] == [
        str(tmp_path / "b" / "_partial.html")
    ]
    with pytest.raises(FileNotFoundError):
        list_inputs(tmp_path / "missing")


def test_unsupported_suffix_is_a_failure(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.7")
    item = only(path)
    assert isinstance(item, Failure)
    assert (item.stage, item.error_type, item.source_uri) == (
        "load",
        "unsupported_format",
        str(path),
    )


def test_supported_suffixes() -> None:
    assert SUPPORTED_SUFFIXES == (
        ".html",
        ".htm",
        ".html.gz",
        ".htm.gz",
        ".txt",
        ".txt.gz",
        ".jsonl",
        ".jsonl.gz",
        ".warc",
        ".warc.gz",
    )


# ---------------------------------------------------------------- single-record files


@pytest.mark.parametrize(
    ("name", "kind", "input_format"),
    [
        ("page.html", "html", "html"),
        ("page.htm", "html", "html"),
        ("PAGE.HTML", "html", "html"),
        ("article.txt", "text", "text"),
    ],
)
def test_plain_single_record_files(tmp_path: Path, name: str, kind: str, input_format: str) -> None:
    path = tmp_path / name
    path.write_bytes(HTML)
    assert only(path) == RawRecord(
        source_uri=str(path),
        input_format=input_format,
        content_kind=kind,
        content=HTML,
        url=None,
        fetched_at=None,
        http_charset=None,
        raw_size=len(HTML),
    )


@pytest.mark.parametrize(
    ("name", "kind"), [("page.html.gz", "html"), ("page.htm.gz", "html"), ("a.txt.gz", "text")]
)
def test_gzipped_single_record_files(tmp_path: Path, name: str, kind: str) -> None:
    path = tmp_path / name
    path.write_bytes(gzip.compress(HTML))
    item = only(path)
    assert isinstance(item, RawRecord)
    assert (item.content, item.content_kind, item.source_uri) == (HTML, kind, str(path))
    assert item.raw_size == path.stat().st_size  # stored (compressed) size


def test_multi_member_gzip_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "page.html.gz"
    path.write_bytes(gzip.compress(HTML[:20]) + gzip.compress(HTML[20:]))
    assert only(path).content == HTML


@pytest.mark.parametrize("name", ["e.html", "e.txt", "e.jsonl", "e.warc", "e.warc.gz", "e.html.gz"])
def test_empty_file(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_bytes(b"")
    item = only(tmp_path / name)
    assert isinstance(item, Failure)
    assert (item.stage, item.error_type) == ("load", "empty")


@pytest.mark.parametrize("name", ["e.html.gz", "e.jsonl.gz", "e.warc.gz"])
def test_gzip_of_nothing_is_empty(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_bytes(gzip.compress(b""))
    assert failure_types(records(tmp_path / name)) == ["empty"]


def test_binary_file_loads_then_fails_to_decode(tmp_path: Path) -> None:
    path = tmp_path / "image.html"
    path.write_bytes(PNG)
    item = only(path)
    assert isinstance(item, RawRecord) and item.content == PNG
    with pytest.raises(DecodeError) as caught:
        decode_bytes(item.content, item.http_charset, kind=item.content_kind)
    assert caught.value.error_type == "binary"


def test_twenty_megabyte_page_is_too_large(tmp_path: Path) -> None:
    path = tmp_path / "huge.html"
    path.write_bytes(b"<p>" + b"x" * (20 * MB) + b"</p>")
    item = only(path)
    assert isinstance(item, Failure)
    assert (item.error_type, item.raw_size) == ("too_large", path.stat().st_size)


def test_too_large_once_decompressed(tmp_path: Path) -> None:
    # 20 MB of HTML that compresses to ~20 KB: refused after reading limit + 1 bytes.
    path = tmp_path / "bomb.html.gz"
    path.write_bytes(gzip.compress(b"<p>" + b"x" * (20 * MB), compresslevel=1))
    item = only(path)
    assert isinstance(item, Failure) and item.error_type == "too_large"
    assert item.raw_size == path.stat().st_size
    assert isinstance(only(path, max_record_bytes=30 * MB), RawRecord)


def test_truncated_and_corrupt_gzip_page(tmp_path: Path) -> None:
    data = gzip.compress(HTML * 50)
    truncated = tmp_path / "cut.html.gz"
    truncated.write_bytes(data[: len(data) // 2])
    not_gzip = tmp_path / "plain.html.gz"
    not_gzip.write_bytes(HTML)
    damaged = tmp_path / "damaged.html.gz"
    damaged.write_bytes(data[:20] + b"\xff" * 40 + data[60:])

    assert failure_types(records(truncated)) == ["truncated_gzip"]
    assert failure_types(records(not_gzip)) == ["corrupt_gzip"]
    assert failure_types(records(damaged)) == ["corrupt_gzip"]


def test_unreadable_inputs_are_io_errors(tmp_path: Path) -> None:
    vanished = tmp_path / "gone.html"
    vanished.write_bytes(HTML)
    listed = list_inputs(tmp_path)
    vanished.unlink()
    (tmp_path / "folder.warc").mkdir()

    paths = [*listed, tmp_path / "folder.warc", tmp_path / "gone.jsonl.gz"]
    items = [item for path in paths for item in iter_records(path)]

    assert failure_types(items) == ["io_error", "io_error", "io_error"]
    assert all(item.error_message for item in items)


# ---------------------------------------------------------------- JSONL


def jsonl_lines() -> list[bytes]:
    return [
        json.dumps({"url": "https://a.example/1", "html": "<p>one</p>"}).encode(),
        b"",  # blank: not a record
        json.dumps(
            {"url": "https://a.example/2", "text": "Two.", "fetched_at": "2025-03-18T10:00:00Z"}
        ).encode(),
        b"{not json",
        b'["an", "array"]',
        json.dumps({"url": "https://a.example/5", "title": "no body"}).encode(),
        json.dumps(
            {
                "url": "https://a.example/6",
                "html": "<p>six</p>",
                "fetched_at": "2025-03-18T10:00:00",
            }
        ).encode(),
        json.dumps(
            {
                "url": "https://a.example/7",
                "html": "<p>7</p>",
                "fetched_at": "2025-03-18T12:00:00+02:00",
            }
        ).encode(),
        json.dumps(
            {"url": "https://a.example/8", "html": "<p>8</p>", "fetched_at": "last tuesday"}
        ).encode(),
        b'{"url": "https://a.example/9", "html": "caf\xe9"}',  # latin-1 bytes in a JSONL file
        json.dumps({"html": "", "text": "   "}).encode(),
        b"   ",  # whitespace only: blank
        json.dumps(
            {"url": "https://a.example/12", "html": "<p>é</p>", "text": "e"}, ensure_ascii=False
        ).encode(),
    ]


def check_jsonl_items(path: Path, items: list[RawRecord | Failure], counters: Counter) -> None:
    by_line = {int(item.source_uri.rsplit("#line=", 1)[1]): item for item in items}
    assert sorted(by_line) == [1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13]
    assert all(item.source_uri == f"{path}#line={n}" for n, item in by_line.items())

    assert by_line[1] == RawRecord(
        source_uri=f"{path}#line=1",
        input_format="jsonl",
        content_kind="html",
        content="<p>one</p>",
        url="https://a.example/1",
        raw_size=len(jsonl_lines()[0]),
    )
    assert (by_line[3].content_kind, by_line[3].content) == ("text", "Two.")
    assert by_line[3].fetched_at == datetime(2025, 3, 18, 10, tzinfo=UTC)
    assert by_line[7].fetched_at == datetime(2025, 3, 18, 10, tzinfo=UTC)  # naive = UTC
    assert by_line[8].fetched_at == datetime(2025, 3, 18, 10, tzinfo=UTC)  # +02:00 converted
    for n in (3, 7, 8):
        assert by_line[n].fetched_at.utcoffset() == timedelta(0)
    assert isinstance(by_line[9], RawRecord) and by_line[9].fetched_at is None  # kept
    assert counters["jsonl_invalid_fetched_at"] == 1
    assert (by_line[13].content_kind, by_line[13].content) == ("html", "<p>é</p>")

    failures = {n: item.error_type for n, item in by_line.items() if isinstance(item, Failure)}
    assert failures == {
        4: "invalid_json",
        5: "not_an_object",
        6: "missing_content",
        10: "invalid_utf8",
        11: "empty",
    }
    assert by_line[6].url == "https://a.example/5"
    assert all(
        item.stage == "load" and item.error_message
        for item in by_line.values()
        if isinstance(item, Failure)
    )


@pytest.mark.parametrize("name", ["in.jsonl", "in.jsonl.gz"])
def test_jsonl_records_and_bad_lines(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    data = b"\n".join(jsonl_lines()) + b"\n"
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    counters: Counter[str] = Counter()

    items = records(path, counters=counters)

    check_jsonl_items(path, items, counters)
    # Line numbers point back to the line in the (decompressed) file.
    lines = (
        gzip.decompress(path.read_bytes()) if name.endswith(".gz") else path.read_bytes()
    ).split(b"\n")
    for item in items:
        n = int(item.source_uri.rsplit("=", 1)[1])
        if isinstance(item, RawRecord):
            assert json.loads(lines[n - 1])["url"] == item.url


def test_jsonl_crlf_bom_and_no_final_newline(tmp_path: Path) -> None:
    path = tmp_path / "windows.jsonl"
    one = json.dumps({"url": "u1", "html": "<p>1</p>"}).encode()
    two = json.dumps({"url": "u2", "html": "<p>2</p>"}).encode()
    path.write_bytes(b"\xef\xbb\xbf" + one + b"\r\n" + two)
    items = records(path)
    assert [(item.url, item.source_uri, item.raw_size) for item in items] == [
        ("u1", f"{path}#line=1", len(one) + 3),
        ("u2", f"{path}#line=2", len(two)),
    ]


def test_jsonl_blank_only_file_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "blank.jsonl"
    path.write_bytes(b"\n\n  \n")
    assert failure_types(records(path)) == ["empty"]


def test_jsonl_line_over_the_limit_is_skipped_not_held(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    long_line = json.dumps({"url": "big", "html": "x" * 100_000}).encode()
    ok = json.dumps({"url": "ok", "html": "<p>fine</p>"}).encode()
    path.write_bytes(ok + b"\n" + long_line + b"\n" + ok + b"\n")

    items = records(path, max_record_bytes=1000)

    assert [getattr(item, "error_type", "ok") for item in items] == ["ok", "too_large", "ok"]
    assert items[1].source_uri == f"{path}#line=2"
    assert items[1].raw_size == len(long_line)
    assert items[2].source_uri == f"{path}#line=3"


def test_truncated_jsonl_gz_keeps_the_lines_before_the_cut(tmp_path: Path) -> None:
    lines = [
        json.dumps({"url": f"https://a.example/{n}", "html": f"<p>{os.urandom(300).hex()}</p>"})
        for n in range(200)
    ]
    data = gzip.compress("\n".join(lines).encode() + b"\n")
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])

    items = records(path)

    loaded = [item for item in items if isinstance(item, RawRecord)]
    assert 50 < len(loaded) < 150
    assert [item.url for item in loaded] == [f"https://a.example/{n}" for n in range(len(loaded))]
    last = items[-1]
    assert isinstance(last, Failure) and last.error_type == "truncated_gzip"
    assert last.source_uri == f"{path}#line={len(loaded) + 1}"
    assert len(items) == len(loaded) + 1


def test_jsonl_gz_with_garbage_after_good_lines(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl.gz"
    good = gzip.compress(json.dumps({"url": "u", "html": "<p>x</p>"}).encode() + b"\n")
    path.write_bytes(good + b"\x1f\x8b\x08\x00garbage that is not deflate at all")
    items = records(path)
    assert isinstance(items[0], RawRecord)
    assert failure_types(items) == ["corrupt_gzip"]


def test_streaming_a_50_mb_jsonl_gz_holds_one_record_at_a_time(tmp_path: Path) -> None:
    line = json.dumps(
        {"url": "https://a.example/x", "html": "<p>" + "news " * 1000 + "</p>"}
    ).encode()
    path = tmp_path / "big.jsonl.gz"
    count = 50 * MB // len(line)
    with gzip.open(path, "wb", compresslevel=1) as sink:
        block = (line + b"\n") * 1000
        for _ in range(count // 1000):
            sink.write(block)
    decompressed = (count // 1000) * 1000 * (len(line) + 1)

    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        seen = sum(1 for _ in iter_records(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert seen == (count // 1000) * 1000
    assert peak - before < decompressed / 50, f"peak {peak - before} bytes for {decompressed}"


# ---------------------------------------------------------------- WARC


def chunked(body: bytes, size: int = 100) -> bytes:
    parts = [
        b"%x\r\n" % len(body[i : i + size]) + body[i : i + size] + b"\r\n"
        for i in range(0, len(body), size)
    ]
    return b"".join(parts) + b"0\r\n\r\n"


PAGE_1252 = "<html><body><p>Caf\u00e9 \u201cquoted\u201d</p></body></html>".encode("cp1252")
FETCHED = "2025-03-18T09:30:00Z"


def response(
    writer: WARCWriter, url: str, body: bytes, status: str = "200 OK", headers=None, date=FETCHED
):
    http = StatusAndHeaders(
        status,
        headers if headers is not None else [("Content-Type", "text/html")],
        protocol="HTTP/1.1",
    )
    return writer.create_warc_record(
        url,
        "response",
        payload=io.BytesIO(body),
        http_headers=http,
        warc_headers_dict={"WARC-Date": date},
    )


def write_test_warc(path: Path, gz: bool) -> None:
    """A crawl with every kind of record the loader has to tell apart."""
    with path.open("wb") as sink:
        w = WARCWriter(sink, gzip=gz)
        w.write_record(w.create_warcinfo_record(path.name, {"software": "newsflow-tests"}))
        request = StatusAndHeaders(
            "GET /a HTTP/1.1", [("Host", "news.example")], is_http_request=True
        )
        w.write_record(
            w.create_warc_record("https://news.example/a", "request", http_headers=request)
        )
        w.write_record(
            response(
                w,
                "https://news.example/a",
                HTML,
                headers=[("Content-Type", "text/html; charset=UTF-8")],
            )
        )
        w.write_record(
            response(
                w,
                "https://news.example/latin",
                PAGE_1252,
                headers=[("Content-Type", 'text/html; charset="iso-8859-1"')],
                date="2025-03-18T11:30:00+02:00",
            )
        )
        w.write_record(
            w.create_revisit_record(
                "https://news.example/a",
                digest="sha1:AAAA",
                refers_to_uri="https://news.example/a",
                refers_to_date="2025-03-17T00:00:00Z",
                http_headers=StatusAndHeaders("200 OK", [], protocol="HTTP/1.1"),
            )
        )
        w.write_record(
            response(
                w, "https://news.example/missing", b"<h1>Not found</h1>", status="404 Not Found"
            )
        )
        w.write_record(
            response(
                w, "https://news.example/logo.png", PNG, headers=[("Content-Type", "image/png")]
            )
        )
        w.write_record(
            response(
                w,
                "https://news.example/chunked",
                chunked(gzip.compress(HTML * 20)),
                headers=[
                    ("Content-Type", "text/html"),
                    ("Content-Encoding", "gzip"),
                    ("Transfer-Encoding", "chunked"),
                ],
            )
        )
        w.write_record(
            w.create_warc_record(
                "https://news.example/a",
                "metadata",
                payload=io.BytesIO(b"outlinks: x"),
                warc_content_type="application/warc-fields",
            )
        )
        w.write_record(response(w, "https://news.example/no-type", HTML, headers=[]))
        w.write_record(
            response(
                w,
                "https://news.example/br",
                brotli.compress(HTML),
                headers=[("Content-Type", "application/xhtml+xml"), ("Content-Encoding", "br")],
            )
        )
        w.write_record(
            response(
                w,
                "https://news.example/deflate",
                zlib.compress(HTML),
                headers=[("Content-Type", "text/html"), ("Content-Encoding", "deflate")],
            )
        )
        # Stored de-chunked and decoded by the crawler, headers kept: taken as is.
        w.write_record(
            response(
                w,
                "https://news.example/stored-decoded",
                HTML,
                headers=[
                    ("Content-Type", "text/html"),
                    ("Transfer-Encoding", "chunked"),
                    ("Content-Encoding", "gzip"),
                ],
            )
        )
        w.write_record(
            w.create_warc_record(
                "https://news.example/res",
                "resource",
                payload=io.BytesIO(HTML),
                warc_content_type="text/html",
            )
        )
        w.write_record(
            response(w, "https://news.example/redirect", b"", status="301 Moved Permanently")
        )


EXPECTED_WARC = [
    ("https://news.example/a", "record", None),
    ("https://news.example/latin", "record", None),
    ("https://news.example/a", "failure", "warc_not_response"),
    ("https://news.example/missing", "failure", "http_404"),
    ("https://news.example/logo.png", "failure", "not_html"),
    ("https://news.example/chunked", "record", None),
    ("https://news.example/no-type", "record", None),
    ("https://news.example/br", "record", None),
    ("https://news.example/deflate", "record", None),
    ("https://news.example/stored-decoded", "record", None),
    ("https://news.example/res", "failure", "warc_not_response"),
    ("https://news.example/redirect", "failure", "http_301"),
]


@pytest.mark.parametrize("name", ["crawl.warc", "crawl.warc.gz"])
def test_warc_records(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    write_test_warc(path, gz=name.endswith(".gz"))
    counters: Counter[str] = Counter()

    items = records(path, counters=counters)

    got = [
        (
            item.url,
            "record" if isinstance(item, RawRecord) else "failure",
            getattr(item, "error_type", None),
        )
        for item in items
    ]
    assert got == EXPECTED_WARC
    assert counters == Counter(
        {"warc_skipped_warcinfo": 1, "warc_skipped_request": 1, "warc_skipped_metadata": 1}
    )

    loaded = {item.url: item for item in items if isinstance(item, RawRecord)}
    first = loaded["https://news.example/a"]
    assert (first.input_format, first.content_kind, first.content) == ("warc", "html", HTML)
    assert first.http_charset == "UTF-8"
    assert first.fetched_at == datetime(2025, 3, 18, 9, 30, tzinfo=UTC)
    assert first.fetched_at.tzinfo is not None and first.fetched_at.utcoffset() == timedelta(0)
    latin = loaded["https://news.example/latin"]
    assert latin.fetched_at == datetime(2025, 3, 18, 9, 30, tzinfo=UTC)
    assert latin.http_charset == "iso-8859-1"
    assert "Café “quoted”" in decode_bytes(latin.content, latin.http_charset).text
    assert loaded["https://news.example/chunked"].content == HTML * 20
    for url in ("no-type", "br", "deflate", "stored-decoded"):
        assert loaded[f"https://news.example/{url}"].content == HTML
    assert all(item.stage == "load" for item in items if isinstance(item, Failure))


@pytest.mark.parametrize("name", ["crawl.warc", "crawl.warc.gz"])
def test_warc_offsets_point_back_to_the_record(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    write_test_warc(path, gz=name.endswith(".gz"))
    items = records(path)
    assert all(item.source_uri.startswith(f"{path}#offset=") for item in items)

    for item in items:
        offset = int(item.source_uri.rsplit("=", 1)[1])
        with path.open("rb") as stream:
            stream.seek(offset)
            reader = ArchiveIterator(stream)
            record = next(iter(reader))
            assert record.rec_headers.get_header("WARC-Target-URI") == item.url
            if isinstance(item, RawRecord):
                assert record.rec_type == "response"
                record.raw_stream.read()  # (warcio's content_stream() breaks on brotli 1.2)
                if name.endswith(".gz"):  # stored length = the record's gzip member
                    assert item.raw_size == reader.get_record_length()


@pytest.mark.parametrize("name", ["cut.warc", "cut.warc.gz"])
def test_truncated_warc_yields_what_was_read(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    with path.open("wb") as sink:
        w = WARCWriter(sink, gzip=name.endswith(".gz"))
        for n in range(6):
            w.write_record(
                response(w, f"https://news.example/{n}", HTML + os.urandom(3000).hex().encode())
            )
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 7 // 12])  # in the middle of the 4th record

    items = records(path)

    assert [item.url for item in items if isinstance(item, RawRecord)] == [
        f"https://news.example/{n}" for n in range(3)
    ]
    assert failure_types(items) == ["corrupt_warc"]


def test_warc_with_garbage_after_good_records(tmp_path: Path) -> None:
    path = tmp_path / "garbage.warc.gz"
    with path.open("wb") as sink:
        w = WARCWriter(sink, gzip=True)
        for n in range(2):
            w.write_record(response(w, f"https://news.example/{n}", HTML))
        sink.write(b"\x1f\x8b\x08\x00 this is not a gzip member")
    items = records(path)
    assert [type(item).__name__ for item in items] == ["RawRecord", "RawRecord", "Failure"]
    assert items[-1].error_type == "corrupt_warc"


def test_undecodable_content_encodings(tmp_path: Path) -> None:
    path = tmp_path / "encodings.warc.gz"
    junk = bytes(range(256)) * 4
    with path.open("wb") as sink:
        w = WARCWriter(sink, gzip=True)
        for coding in ("gzip", "br", "zstd", "UTF-8"):
            headers = [("Content-Type", "text/html"), ("Content-Encoding", coding)]
            w.write_record(
                response(w, f"https://news.example/{coding}/junk", junk, headers=headers)
            )
            w.write_record(
                response(w, f"https://news.example/{coding}/html", HTML, headers=headers)
            )
    items = records(path)
    assert [getattr(item, "error_type", "ok") for item in items] == [
        "bad_content_encoding",
        "ok",
        "bad_content_encoding",
        "ok",
        "unsupported_content_encoding",
        "ok",
        "unsupported_content_encoding",
        "ok",
    ]
    assert all(item.content == HTML for item in items if isinstance(item, RawRecord))


def test_file_that_is_not_a_warc(tmp_path: Path) -> None:
    path = tmp_path / "page.warc"
    path.write_bytes(HTML)
    assert failure_types(records(path)) == ["corrupt_warc"]


def test_warc_body_over_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.warc.gz"
    with path.open("wb") as sink:
        w = WARCWriter(sink, gzip=True)
        w.write_record(response(w, "https://news.example/big", b"<p>" + b"x" * 5000 + b"</p>"))
        bomb = gzip.compress(b"<p>" + b"x" * 50_000, compresslevel=9)
        w.write_record(
            response(
                w,
                "https://news.example/bomb",
                bomb,
                headers=[("Content-Type", "text/html"), ("Content-Encoding", "gzip")],
            )
        )
        w.write_record(response(w, "https://news.example/ok", HTML))
    items = records(path, max_record_bytes=2000)
    assert [getattr(item, "error_type", "ok") for item in items] == ["too_large", "too_large", "ok"]


def test_one_counter_totals_several_files(tmp_path: Path) -> None:
    warc = tmp_path / "a.warc.gz"
    write_test_warc(warc, gz=True)
    page = tmp_path / "b.html"
    page.write_bytes(HTML)
    counters: Counter[str] = Counter()

    items = [item for path in (warc, page, warc) for item in iter_records(path, counters=counters)]

    assert len(items) == 2 * len(EXPECTED_WARC) + 1
    assert items[len(EXPECTED_WARC)].source_uri == str(page)
    assert counters["warc_skipped_request"] == 2
