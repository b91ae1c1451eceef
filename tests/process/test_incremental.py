"""Batches of references, incremental reruns and resume (tasks/process/pieces.py, issue 14).

Every comparison is with a from-scratch run of the same inputs, column by column: reuse
must be invisible in the output. Quarantine's run_id is the committing run's in both.
"""

from __future__ import annotations

import gzip
import io
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, run_local
from runs import DAY, kill_group_when, make_raw, page, tables, write_warc
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tasks.ingest.listing import input_file
from tasks.process.pieces import DONE, PIECES, plan_batches
from tasks.storage.fs import open_storage

NEWSFLOW = str(REPO / ".venv" / "bin" / "newsflow")


SMALL = {"batch_size": 3, "batch_bytes": 6_000, "workers": 2}  # WARCs split into spans
CLI = {"batch_size": 3, "workers": 2}


def test_split_warcs_give_the_rows_of_whole_reads(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    write_warc(raw / "a.warc.gz", range(0, 25), gz=True)
    write_warc(raw / "b.warc", range(25, 45), gz=False)
    split = run_local(raw, tmp_path / "split", **SMALL)
    whole = run_local(raw, tmp_path / "whole", workers=2, batch_bytes=10**9)
    assert split["counts"]["batches"] > 8 and whole["counts"]["batches"] == 1
    assert split["counts"]["articles"] == 45
    assert tables(tmp_path / "split", split) == tables(tmp_path / "whole", whole)


def test_a_warc_under_batch_bytes_is_split_by_its_own_size_alone(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    a, b = raw / "a.warc.gz", raw / "b.warc.gz"
    write_warc(a, range(0, 30), gz=True)
    size = a.stat().st_size
    kw: dict[str, Any] = {
        "batch_size": 200,
        "batch_bytes": 2 * size,
        "max_record_bytes": 10**6,
        "warc_filter": None,
        "versions": {},
    }
    # half of batch_bytes: still 4 spans of >= batch_bytes / 8, so workers get pieces
    alone = plan_batches([input_file(a)], **kw)
    assert len(alone) == 4 and all(batch.is_span for batch in alone)
    # another file of the date changes none of a's keys (nor would the worker count:
    # plan_batches does not know it)
    write_warc(b, range(30, 60), gz=True)
    both = plan_batches([input_file(a), input_file(b)], **kw)
    assert [batch.key for batch in both[:4]] == [batch.key for batch in alone]
    assert len(both) == 8
    # too small for two spans of batch_bytes / 8: read whole
    whole = plan_batches([input_file(a)], **{**kw, "batch_bytes": 9 * size})
    assert len(whole) == 1 and not whole[0].is_span


def test_rerun_reuses_unchanged_files_and_matches_a_run_from_scratch(tmp_path: Path) -> None:
    raw = make_raw(tmp_path / "raw")
    out = tmp_path / "out"
    first = run_local(raw, out, **SMALL)
    assert first["reused"]["batches"] == 0
    before = tables(out, first)
    again = run_local(raw, out, **SMALL)
    assert again["reused"]["batches"] == again["counts"]["batches"]
    assert tables(out, again) == before

    # add a file, change two, remove two (one of them only quarantined)
    (raw / "late.html").write_text(page(500))
    (raw / "page-03.html").write_text(page(3, seed=9))
    write_warc(raw / "crawl.warc.gz", range(200, 216), gz=True)
    (raw / "page-07.html").unlink()
    (raw / "empty.html").unlink()
    rerun = run_local(raw, out, **SMALL)
    assert 0 < rerun["reused"]["batches"] < rerun["counts"]["batches"]
    scratch = run_local(raw, tmp_path / "scratch", **SMALL)
    assert scratch["counts"] == rerun["counts"]
    got = tables(out, rerun)
    assert got == tables(tmp_path / "scratch", scratch)
    sources = {row["source_uri"] for rows in got.values() for row in rows}
    assert not any(s.endswith(("page-07.html", "empty.html")) for s in sources)
    # only the pieces the date still needs stay staged
    folders = {p.parent for p in (out / PIECES).rglob(DONE)}
    assert len(folders) == rerun["counts"]["batches"]

    full = run_local(raw, out, full=True, **SMALL)
    assert full["reused"]["batches"] == 0
    assert tables(out, full) == got


# --- resume after SIGKILL ------------------------------------------------------------------


def test_a_run_killed_at_several_points_resumes_with_its_staged_pieces(backend, tmp_path) -> None:
    from tasks.process.pipeline import ProcessConfig
    from tasks.process.pipeline import run_local as run_config

    raw = make_raw(tmp_path / "raw", pages=24)
    source: str = str(raw)
    env = {**os.environ, "PREFECT_LOGGING_LEVEL": "WARNING"}
    if backend.options is not None:  # S3: the raw data lives in the bucket only
        env["NEWSFLOW_S3_ENDPOINT"] = backend.options.endpoint_url
        store = open_storage(f"s3://{backend.bucket}/raw", backend.options)
        for path in sorted(raw.iterdir()):
            store.write_bytes(path.name, path.read_bytes())
        source = f"s3://{backend.bucket}/raw"
        shutil.rmtree(raw)

    def config(output: str) -> ProcessConfig:
        # as the CLI below plans: the same pieces, the same keys
        return ProcessConfig(input=source, crawl_date=DAY, output=output, s3=backend.options, **CLI)

    reference_out = str(tmp_path / "reference")
    reference = run_config(config(reference_out))
    expected = tables(reference_out, reference)
    total = reference["counts"]["batches"]

    args = [NEWSFLOW, "process", source, "--date", DAY.isoformat(), "-o", backend.location]
    args += ["--workers", "2", "--batch-size", "3"]
    store = backend.store
    for pieces in (1, total // 2):

        def complete(pieces: int = pieces) -> bool:
            return sum(e.key.endswith(DONE) for e in store.list(PIECES)) >= pieces

        killed = kill_group_when(args, env, REPO, complete)
        assert killed, "the run finished before the kill"
        complete = {e.key for e in store.list(PIECES) if e.key.endswith(DONE)}
        record = run_config(config(backend.location))
        assert record["reused"]["batches"] >= len(complete) >= pieces
        assert record["counts"] == reference["counts"]
        assert tables(backend.location, record, backend.options) == expected


@pytest.mark.parametrize("gz", [True, False])
def test_a_record_boundary_inside_a_body_fails_the_run_instead_of_losing_records(
    tmp_path: Path, gz: bool
) -> None:
    """A WARC stored inside a WARC record's body looks like record boundaries to a span
    that starts inside it: the spans disagree and nothing is published."""
    from tasks.process.pieces import SpanMismatch

    inner = tmp_path / ("inner.warc.gz" if gz else "inner.warc")
    write_warc(inner, range(0, 40), gz=gz)
    raw = tmp_path / "raw"
    raw.mkdir()
    with (raw / ("outer.warc.gz" if gz else "outer.warc")).open("wb") as sink:
        writer = WARCWriter(sink, gzip=False)  # stored as is: the inner bytes stay visible
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], "HTTP/1.1")
        record = writer.create_warc_record(
            "https://warc.example/dump",
            "response",
            payload=io.BytesIO(inner.read_bytes()),
            http_headers=http,
        )
        writer.write_record(record)
    if gz:  # one gzip member for the whole record, stored blocks so the inner members show
        data = (raw / "outer.warc.gz").read_bytes()
        (raw / "outer.warc.gz").write_bytes(gzip.compress(data, compresslevel=0))
    with pytest.raises(SpanMismatch):
        run_local(raw, tmp_path / "out", workers=1, batch_bytes=8_000)
    assert not (tmp_path / "out" / "articles").exists()


def test_spans_of_warcs_on_s3_give_the_rows_of_whole_local_reads(s3, tmp_path: Path) -> None:
    """Workers seek into S3 objects (ranged GETs) to find their spans' first records."""
    from tasks.process.pipeline import ProcessConfig
    from tasks.process.pipeline import run_local as run_config

    raw = tmp_path / "raw"
    raw.mkdir()
    write_warc(raw / "a.warc.gz", range(0, 25), gz=True)
    write_warc(raw / "b.warc", range(25, 45), gz=False)
    for path in sorted(raw.iterdir()):
        s3.store.write_bytes(f"raw/{path.name}", path.read_bytes())
    split = run_config(
        ProcessConfig(
            input=f"{s3.location}/raw", crawl_date=DAY, output=s3.location, s3=s3.options, **SMALL
        )
    )
    whole = run_local(raw, tmp_path / "whole", workers=2, batch_bytes=10**9)
    assert split["counts"]["batches"] > 8
    got = tables(s3.location, split, s3.options)
    for rows in got.values():
        for row in rows:
            row["source_uri"] = row["source_uri"].replace(f"{s3.location}/raw", str(raw))
    assert got == tables(tmp_path / "whole", whole)


def test_an_edit_to_row_making_code_changes_the_pipeline_version(tmp_path, monkeypatch) -> None:
    # pieces and backfill dates are reused only under the same pipeline_version: an edited
    # rule must change it even when nobody bumps the package version
    import sys

    import tasks.process.pipeline as pipeline

    package = tmp_path / "rowcode_probe"
    (package / "rules").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    rule = package / "rules" / "titles.py"
    rule.write_text("SEPARATORS = '-|'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(pipeline, "_ROW_CODE", ("rowcode_probe", "tasks.records"))

    def version() -> str:
        pipeline.code_version.cache_clear()
        return pipeline.code_version()

    try:
        before = version()
        assert before == version()  # deterministic
        rule.write_text("SEPARATORS = '-|:'\n")
        edited = version()
        rule.write_text("SEPARATORS = '-|'\n")
        assert edited != before
        assert version() == before  # content, not time stamps
        (package / "rules" / "authors.py").write_text("")  # a new module counts too
        assert version() != before
    finally:
        pipeline.code_version.cache_clear()
        sys.modules.pop("rowcode_probe", None)
    assert pipeline.pipeline_version().rsplit("+code.", 1)[1] == pipeline.code_version()
