"""Property-based fuzzing of every loader through the whole pipeline (issue 11).

Hypothesis builds an input folder of JSONL, WARC, HTML, html.gz and text files: random
bytes, extreme and invalid timestamps, lone surrogates, odd and non-UTF-8 file names, broken
gzip members, lying Content-Lengths and fields over the record size limit. Each example is
processed twice with the plain pipeline (no Prefect) and must:

- complete, with no exception escaping;
- read exactly the records the test knows it wrote (counted here from what was generated,
  by the loaders' documented contract, never by asking a reader);
- close its accounts: records in = articles + quarantined + duplicates;
- give the same article_ids when rerun.

Profiles (tests/conftest.py): the default runs a few examples, fast enough for `make test`;
`HYPOTHESIS_PROFILE=long` (`make fuzz`) runs hundreds.
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from conftest import DATA, run_local
from hypothesis import given
from hypothesis import strategies as st

from tasks.inspect.read import read_committed
from tasks.storage.fs import open_storage

DAY = date(2025, 3, 18)
MAX_RECORD_BYTES = 32 * 1024  # small, so that "huge fields" cost little to generate
REAL_PAGE = (DATA / "html" / "echolive-boilerplate.html").read_bytes()

TIMESTAMPS = [
    "2025-03-18T10:00:00Z",
    "2025-03-18T10:00:00",
    "9999-12-31T23:59:59-01:00",  # valid ISO, overflows when converted to UTC
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59.999999+00:00",
    "2025-13-45T99:99:99Z",
    "not a date",
    "",
    "2025-03-18T10:00:00+25:00",
]

# --- what goes into a file -----------------------------------------------------------------

text_chars = st.text(
    st.characters(codec=None, exclude_categories=()),  # lone surrogates included
    max_size=60,
)
page_bytes = st.one_of(
    st.just(REAL_PAGE),
    st.binary(max_size=400),
    # a real page with damage: cut short, bytes overwritten, NULs sprinkled
    st.tuples(st.integers(0, len(REAL_PAGE)), st.binary(max_size=8)).map(
        lambda cut: REAL_PAGE[: cut[0]] + cut[1] + REAL_PAGE[cut[0] + len(cut[1]) :]
    ),
    st.integers(1, 6).map(lambda n: REAL_PAGE.replace(b"</p>", b"\x00</p>", n)),
    text_chars.map(lambda t: f"<html><body><p>{t}</p></body></html>".encode("utf-8", "replace")),
    st.integers(MAX_RECORD_BYTES + 1, MAX_RECORD_BYTES + 5000).map(lambda n: b"<p>x" * (n // 4)),
)
timestamp = st.one_of(st.sampled_from(TIMESTAMPS), text_chars, st.integers(), st.none())
url = st.one_of(
    st.none(),
    st.integers(0, 10**6).map(lambda n: f"https://news.example/{n}"),
    text_chars.map(lambda t: f"https://news.example/{t}"),  # surrogates, spaces, anything
    text_chars,
)
_WHITESPACE = b" \t\r\x0b\x0c"


@st.composite
def jsonl_line(draw) -> tuple[bytes, bool]:
    """(the line without its newline, whether it is a record: non-blank)."""
    kind = draw(st.sampled_from(["object", "object", "garbage", "blank", "huge"]))
    if kind == "blank":
        return draw(
            st.binary(max_size=5).map(lambda b: bytes(_WHITESPACE[x % 5] for x in b))
        ), False
    if kind == "garbage":
        line = draw(st.binary(min_size=1, max_size=80).map(lambda b: b.replace(b"\n", b"?")))
        return (line if line.strip() else b"?" + line), True
    obj: dict[str, object] = {}
    if draw(st.booleans()):
        obj["url"] = draw(url)
    content_key = draw(st.sampled_from(["html", "text", "neither", "both"]))
    content = draw(page_bytes).decode("utf-8", "replace")
    if content_key in ("html", "both"):
        obj["html"] = content
    if content_key in ("text", "both"):
        obj["text"] = draw(text_chars)
    if draw(st.booleans()):
        obj["fetched_at"] = draw(timestamp)
    if kind == "huge":
        obj["html"] = "<p>" + "y" * MAX_RECORD_BYTES
    # ensure_ascii: surrogates travel as \udfff escapes, as in the adversarial run
    return json.dumps(obj).encode(), True


@dataclass
class FileSpec:
    name: str | bytes
    data: bytes
    records: int  # how many records the loaders must report for this file


def _jsonl_file(draw, compressed: bool) -> tuple[bytes, int]:
    lines = draw(st.lists(jsonl_line(), max_size=6))
    count = sum(is_record for _, is_record in lines)
    body = [line + b"\n" for line, _ in lines]
    if not compressed:
        data = b"".join(body)
        return data, count or 1  # a file of blank lines (or nothing) is one "empty" Failure
    members = [gzip.compress(line) for line in body] or [gzip.compress(b"")]
    damage = draw(st.sampled_from([None, None, "garbage_after", "truncated_member"]))
    if damage == "garbage_after":  # not a gzip header (nor zero padding): the rest is lost
        members.append(b"X" + draw(st.binary(max_size=20)))
    elif damage == "truncated_member":  # one more line, its member cut in half
        last = gzip.compress(b'{"url": "https://news.example/cut", "text": "words"}\n')
        members.append(last[: len(last) // 2])
    # one Failure stands for the unreadable rest of a broken file
    return b"".join(members), (count + (damage is not None)) or 1


def _warc_record(record_type: str, target: str, block: bytes, warc_date: str, lie: int) -> bytes:
    headers = [
        "WARC/1.0",
        f"WARC-Type: {record_type}",
        f"WARC-Record-ID: <urn:uuid:{uuid.uuid4()}>",
        f"WARC-Date: {warc_date}",
        f"WARC-Target-URI: {target}",
        "Content-Type: application/http; msgtype=response",
        f"Content-Length: {len(block) + lie}",
    ]
    head = "\r\n".join(headers).encode("utf-8", "surrogatepass") + b"\r\n\r\n"
    return head + block + b"\r\n\r\n"


@st.composite
def warc_record(draw, last: bool) -> tuple[str, bytes, bool]:
    """(WARC type, bytes of the HTTP block, is it a record the loader reports)."""
    record_type = draw(
        st.sampled_from(
            ["response"] * 5 + (["warcinfo", "request", "resource"] if not last else [])
        )
    )
    body = draw(page_bytes)
    status = draw(st.sampled_from([200, 200, 200, 404, 301]))
    http_length = len(body) + draw(st.sampled_from([0, 0, 1000, -5]))  # HTTP lies are harmless
    content_type = draw(st.sampled_from(["text/html; charset=utf-8", "text/html", "image/png"]))
    block = (
        f"HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {http_length}\r\n\r\n"
    ).encode() + body
    return record_type, block, record_type not in ("warcinfo", "request")


def _warc_file(draw, compressed: bool) -> tuple[bytes, int]:
    n = draw(st.integers(1, 4))
    records = [draw(warc_record(last=(i == n - 1))) for i in range(n)]
    count = sum(reported for _, _, reported in records)
    damage = draw(
        st.sampled_from(
            [None, None, "length_short", "length_long", "garbage_after"]
            + (["truncated_member"] if compressed else [])
        )
    )
    chunks = []
    for i, (record_type, block, _) in enumerate(records):
        lie = 0
        if i == n - 1 and damage == "length_short":
            # leaves some of the block's non-blank bytes after the record: only whitespace
            # left over would rightly be ignored by the reader
            kept = block.rstrip()
            lie = -(len(block) - len(kept)) - min(len(kept) - 1, draw(st.integers(1, 40)))
        elif i == n - 1 and damage == "length_long":
            lie = 10_000  # beyond the end of the file: a truncated record
        # a line break in a header would make two records of one: not what is tested here
        target = (draw(url) or "https://news.example/").replace("\r", " ").replace("\n", " ")
        record = _warc_record(record_type, target, block, draw(st.sampled_from(TIMESTAMPS)), lie)
        chunks.append(gzip.compress(record) if compressed else record)
    if damage == "truncated_member":
        chunks[-1] = chunks[-1][: len(chunks[-1]) // 2]  # the last record is lost in the cut
    if damage in ("length_short", "garbage_after"):
        # bytes left after the last record: one Failure for the unreadable rest
        if damage == "garbage_after":
            # (one stray byte after the last gzip member is not noticed by FastWARC: no
            # record could hide in it, so it is not what this checks)
            chunks.append(b"X" + draw(st.binary(min_size=1, max_size=20)))
        count += 1
    return b"".join(chunks), count


@st.composite
def file_spec(draw, index: int) -> FileSpec:
    kind = draw(
        st.sampled_from(
            ["jsonl", "jsonl.gz", "warc", "warc.gz", "html", "html.gz", "txt", "unsupported"]
        )
    )
    stem = draw(
        st.text(st.characters(codec="utf-8", exclude_characters="/\x00"), max_size=12)
    ).lstrip("._")
    name: str | bytes = f"{index:02d}-{stem}.{kind if kind != 'unsupported' else 'bin'}"
    if draw(st.integers(0, 5)) == 0:  # a file name that is not UTF-8
        name = os.fsencode(name).replace(b"-", b"-\xff", 1)
    if kind in ("jsonl", "jsonl.gz"):
        data, records = _jsonl_file(draw, kind.endswith(".gz"))
    elif kind in ("warc", "warc.gz"):
        data, records = _warc_file(draw, kind.endswith(".gz"))
    else:
        data = draw(page_bytes) if kind != "txt" else draw(text_chars).encode("utf-8", "replace")
        if kind == "html.gz":
            data = gzip.compress(data)
            if draw(st.booleans()):
                data = data[: draw(st.integers(0, len(data)))]  # truncated or corrupt gzip
        records = 1  # a single-record file is one record whatever happens to it
    return FileSpec(name, data, records)


inputs = st.integers(1, 5).flatmap(lambda n: st.tuples(*(file_spec(i) for i in range(n))))


# --- the property ----------------------------------------------------------------------------


@given(files=inputs)
def test_any_input_is_read_whole_accounted_for_and_reproducible(files: tuple[FileSpec, ...]):
    with tempfile.TemporaryDirectory(prefix="newsflow-fuzz-") as tmp:
        raw = Path(tmp, "raw")
        raw.mkdir()
        for spec in files:
            name = spec.name if isinstance(spec.name, bytes) else os.fsencode(spec.name)
            with open(os.path.join(os.fsencode(raw), name), "wb") as sink:
                sink.write(spec.data)
        expected = sum(spec.records for spec in files)
        out = Path(tmp, "out")

        first = run_local(raw, out, workers=1, batch_size=7, max_record_bytes=MAX_RECORD_BYTES)
        counts = first["counts"]
        assert counts["records_in"] == expected, (counts, [(s.name, s.records) for s in files])
        assert counts["records_in"] == (
            counts["articles"] + counts["quarantined"] + counts["duplicates"]
        ), counts
        ids = _article_ids(out)
        assert len(ids) == counts["articles"]

        # other batch boundaries, same result
        second = run_local(raw, out, workers=1, batch_size=3, max_record_bytes=MAX_RECORD_BYTES)
        totals = ("records_in", "articles", "quarantined", "duplicates", "quarantined_by_reason")
        assert {k: second["counts"][k] for k in totals} == {k: counts[k] for k in totals}
        assert _article_ids(out) == ids


def _article_ids(out: Path) -> list[str]:
    table = read_committed(open_storage(out), "articles", [DAY])
    if table.num_rows == 0:
        return []
    return sorted(table.column("article_id").to_pylist())
