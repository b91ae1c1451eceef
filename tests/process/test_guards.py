"""Guards against silent loss (issue 11): an empty run never replaces a good day, options are
checked before any work, worker memory is bounded, symlinked inputs are followed once, a
run never reads its own output, Ctrl-C cleans up, stray NUL bytes do not discard a page."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from conftest import DEMO_RAW, REPO, run_local
from runs import BOILERPLATE_HTML, assert_accounts_close, quarantine
from typer.testing import CliRunner

from flows.cli import app
from tasks.ingest.decode import MAX_NUL_SHARE, NUL_BYTES_DROPPED, DecodeError, decode_bytes
from tasks.ingest.listing import list_inputs
from tasks.process.options import check_doc_timeout, parse_crawl_date
from tasks.process.pipeline import ProcessConfig
from tasks.process.pool import WorkerPool, default_worker_memory_mb, total_memory_mb
from tasks.process.write import EmptyPartitionRefused

DAY = date(2025, 3, 18)
NEWSFLOW = str(Path(sys.executable).with_name("newsflow"))


# --- an empty run never replaces a non-empty committed partition ----------------------


def _empty_inputs(kind: str, root: Path) -> Path:
    """An input folder that gives no article: empty, only unsupported files."""
    root.mkdir(parents=True)
    if kind == "unsupported":
        (root / "notes.pdf").write_bytes(b"%PDF-1.7 not an article")
        (root / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    return root


@pytest.mark.parametrize("kind", ["empty_folder", "unsupported_files"])
def test_an_empty_run_refuses_to_replace_committed_articles(backend, tmp_path, kind) -> None:
    kw = {"s3": backend.options}
    run_local(DEMO_RAW, backend.location, workers=1, **kw)
    before = {t: backend.files(t, DAY) for t in ("articles", "quarantine")}
    empty = _empty_inputs(kind.split("_")[0], tmp_path / "raw")

    with pytest.raises(EmptyPartitionRefused, match="13 committed articles.*--allow-empty"):
        run_local(empty, backend.location, workers=1, **kw)
    assert {t: backend.files(t, DAY) for t in ("articles", "quarantine")} == before
    assert backend.staging() == []

    record = run_local(empty, backend.location, workers=1, allow_empty=True, **kw)
    assert record["counts"]["articles"] == 0
    assert_accounts_close(record)
    assert backend.committed("articles", DAY).num_rows == 0


def test_a_run_where_every_record_times_out_refuses_too(backend, tmp_path) -> None:
    kw = {"s3": backend.options}
    run_local(DEMO_RAW, backend.location, workers=1, **kw)
    before = backend.files("articles", DAY)
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(BOILERPLATE_HTML, raw / "a.html")
    shutil.copy(BOILERPLATE_HTML, raw / "b.html")
    with pytest.raises(EmptyPartitionRefused):
        run_local(raw, backend.location, workers=1, doc_timeout=1e-4, **kw)
    assert backend.files("articles", DAY) == before
    assert backend.staging() == []


def test_an_empty_run_over_an_empty_or_missing_partition_is_fine(tmp_path) -> None:
    out = tmp_path / "out"
    empty = _empty_inputs("empty", tmp_path / "raw")
    first = run_local(empty, out, workers=1)  # nothing committed yet
    second = run_local(empty, out, workers=1)  # the committed partition is empty
    assert first["counts"]["articles"] == second["counts"]["articles"] == 0


def test_the_cli_exits_non_zero_on_an_empty_run_and_allow_empty_overrides(tmp_path) -> None:
    out = tmp_path / "out"
    run_local(DEMO_RAW, out, workers=1)
    empty = _empty_inputs("empty", tmp_path / "raw")
    args = ["process", str(empty), "--date", "2025-03-18", "-o", str(out), "--workers", "1"]
    refused = CliRunner().invoke(app, args)
    assert refused.exit_code == 1, refused.output
    assert "EmptyPartitionRefused" in refused.output and "--allow-empty" in refused.output
    assert len(list((out / "articles" / f"crawl_date={DAY}").glob("*.parquet"))) == 1
    allowed = CliRunner().invoke(app, [*args, "--allow-empty"])
    assert allowed.exit_code == 0, allowed.output
    assert list((out / "articles" / f"crawl_date={DAY}").glob("*.parquet")) == []


# --- options are checked before any work ------------------------------------------------


@pytest.mark.parametrize("value", ["2025-W11-1", "2025-3-1", "20250301", "2025-03-01T00:00", ""])
def test_crawl_dates_must_be_exactly_yyyy_mm_dd(value: str) -> None:
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_crawl_date(value)
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        ProcessConfig(input="in", crawl_date=value, output="out")  # type: ignore[arg-type]
    assert parse_crawl_date(" 2025-03-01 ") == date(2025, 3, 1)


@pytest.mark.parametrize(
    "args",
    [
        ["process", "{raw}", "--date", "2025-W11-1", "-o", "{out}"],
        ["process", "{raw}", "--date", "2025-3-1", "-o", "{out}"],
        ["show", "-o", "{out}", "--date", "20250301"],
        ["stats", "-o", "{out}", "--start", "2025-3-1"],
        ["backfill", "--start", "2025-W11-1", "--end", "2025-03-12", "--raw-root", "{raw}"],
        ["collect", "{raw}/sources.toml", "--date", "2025-W11-1", "--raw-root", "{raw}"],
    ],
)
def test_every_command_refuses_a_loose_date_before_any_work(tmp_path, args) -> None:
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    out.mkdir()
    (raw / "a.html").write_bytes(BOILERPLATE_HTML.read_bytes())
    argv = [a.format(raw=raw, out=out) for a in args]
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 2, result.output
    assert "YYYY-MM-DD" in result.output
    assert not (out / "articles").exists() and not (out / "_runs").exists()


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "-inf"])
def test_doc_timeout_must_be_positive_and_finite(tmp_path, value: str) -> None:
    with pytest.raises(ValueError, match="positive, finite"):
        check_doc_timeout(float(value))
    with pytest.raises(ValueError, match="positive, finite"):
        ProcessConfig(input="in", crawl_date=DAY, output="out", doc_timeout=float(value))
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.html").write_bytes(BOILERPLATE_HTML.read_bytes())
    argv = ["process", str(raw), "--date", "2025-03-18", "-o", str(tmp_path / "out")]
    result = CliRunner().invoke(app, [*argv, "--doc-timeout", value])
    assert result.exit_code == 2, result.output
    assert "positive, finite" in result.output
    assert not (tmp_path / "out").exists()


# --- worker memory is bounded -----------------------------------------------------------


def _table_page(megabytes: int) -> bytes:
    """A real page with one huge table: ~2 GB of lxml/trafilatura memory per 10 MB."""
    row = "<tr>" + "".join(f"<td>cell {i} of the row</td>" for i in range(10)) + "</tr>\n"
    rows = row * (megabytes * 2**20 // len(row))
    page = f"<html><body><article><h1>Results</h1><p>All of them.</p><table>{rows}</table>"
    return (page + "</article></body></html>").encode()


def test_a_page_over_the_worker_memory_limit_is_quarantined_and_the_batch_goes_on(
    tmp_path,
) -> None:
    # one JSONL file, so one piece (one job) holds the three pages in this order
    small = BOILERPLATE_HTML.read_text(encoding="utf-8")
    pages = [
        {"url": "https://a.example/1", "html": small},
        {"url": "https://a.example/huge-table", "html": _table_page(10).decode()},
        {"url": "https://a.example/2", "html": small},
    ]
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "pages.jsonl").write_text("".join(json.dumps(p) + "\n" for p in pages))
    out = tmp_path / "out"
    # 512 MiB: the worker also loads pyarrow to stage its piece (after its limit is set);
    # at 256 MiB libxml2 can fail inside trafilatura.load_html, which gives None (an
    # extract/unparsable_html row) instead of a MemoryError; at 1024 MiB the page passes
    record = run_local(
        raw, out, workers=1, worker_memory_mb=512, doc_timeout=300, max_record_bytes=2**25
    )
    assert_accounts_close(record)
    assert record["counts"]["records_in"] == 3
    assert record["counts"]["articles"] == 2  # the pages before and after were extracted
    assert record["counts"]["workers_replaced"] == 1
    (huge,) = quarantine(out)
    assert (huge["stage"], huge["error_type"]) == ("extract", "memory_limit")
    assert huge["source_uri"].endswith("pages.jsonl#line=2")
    assert "512 MiB" in huge["error_message"]


def test_the_default_worker_memory_follows_the_machine_and_the_worker_count() -> None:
    total = total_memory_mb()
    assert default_worker_memory_mb(1) == min(2048, int(0.8 * total))
    assert default_worker_memory_mb(64) == max(64, min(2048, int(0.8 * total / 64)))
    assert ProcessConfig("in", DAY, "out", workers=2).worker_memory == default_worker_memory_mb(2)
    assert ProcessConfig("in", DAY, "out", worker_memory_mb=300).worker_memory == 300
    with pytest.raises(ValueError, match="at least 64 MiB"):
        ProcessConfig("in", DAY, "out", worker_memory_mb=10)


def test_the_run_record_shows_the_worker_memory_limit(tmp_path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(BOILERPLATE_HTML, raw / "a.html")
    record = run_local(raw, tmp_path / "out", workers=1, worker_memory_mb=512)
    assert record["config"]["worker_memory_mb"] == 512
    assert record["counts"]["articles"] == 1


# --- input listing: symlinks followed once, the run's own output never read -------------


def test_symlinked_folders_and_files_are_followed_once_even_in_a_loop(tmp_path) -> None:
    real = tmp_path / "real"
    (real / "sub").mkdir(parents=True)
    (real / "sub" / "a.html").write_text("<p>a</p>")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "b.html").write_text("<p>b</p>")
    (elsewhere / "c.txt").write_text("c")
    root = tmp_path / "in"
    root.mkdir()
    (root / "linked-dir").symlink_to(elsewhere, target_is_directory=True)
    (root / "linked-dir-again").symlink_to(elsewhere, target_is_directory=True)
    (root / "linked-file.html").symlink_to(real / "sub" / "a.html")
    (root / "real").symlink_to(real, target_is_directory=True)
    (real / "sub" / "loop").symlink_to(root, target_is_directory=True)  # in -> real/sub -> in
    (root / "dangling.html").symlink_to(tmp_path / "gone.html")

    found = [f.key for f in list_inputs(root)]
    # each real file once, under the first name the sorted walk reaches it by; a dangling
    # link is listed (it becomes an io_error quarantine row, not a silent skip)
    assert found == [
        "dangling.html",
        "linked-dir/b.html",
        "linked-dir/c.txt",
        "linked-file.html",
    ]


def test_a_symlinked_sub_folder_is_processed(tmp_path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(BOILERPLATE_HTML, elsewhere / "a.html")
    root = tmp_path / "in"
    root.mkdir()
    (root / "2025").symlink_to(elsewhere, target_is_directory=True)
    record = run_local(root, tmp_path / "out", workers=1)
    assert (record["counts"]["records_in"], record["counts"]["articles"]) == (1, 1)


def _demo_copy(root: str, backend) -> None:
    """The demo raw zone at `root` (a folder, or a prefix of the backend's bucket)."""
    if root.startswith("s3://"):
        backend.upload_dir(DEMO_RAW, root.removeprefix(f"s3://{backend.bucket}/"))
    else:
        shutil.copytree(DEMO_RAW, root, dirs_exist_ok=True)


@pytest.mark.parametrize("where", ["inside", "same"])
def test_an_output_inside_the_input_is_never_read_back(backend, where: str) -> None:
    root = backend.location
    _demo_copy(f"{root}/raw" if where == "inside" else root, backend)
    out = f"{root}/out" if where == "inside" else root
    kw = {"s3": backend.options}
    first = run_local(root, out, workers=1, **kw)
    second = run_local(root, out, workers=1, **kw)
    third = run_local(root, out, workers=1, **kw)
    assert first["counts"] == second["counts"] == third["counts"]
    assert (first["counts"]["records_in"], first["inputs"]["files"]) == (14, 7)


def test_an_input_inside_the_output_is_still_read(tmp_path) -> None:
    out = tmp_path / "lake"
    shutil.copytree(DEMO_RAW, out / "raw")
    record = run_local(out / "raw", out, workers=1)
    assert record["counts"]["records_in"] == 14


# --- SIGINT removes the run's staging ---------------------------------------------------


def test_sigint_mid_run_removes_staging_and_keeps_the_old_partition(tmp_path) -> None:
    out = tmp_path / "out"
    run_local(DEMO_RAW, out, workers=1)
    before = sorted(p.read_bytes() for p in (out / "articles").rglob("*") if p.is_file())
    page = BOILERPLATE_HTML.read_text()
    raw = tmp_path / "raw"
    raw.mkdir()
    for part in range(200):  # many files: a JSONL file is one batch, read by one worker
        with gzip.open(raw / f"many-{part:03d}.jsonl.gz", "wt") as sink:
            for n in range(part * 10, part * 10 + 10):
                sink.write(json.dumps({"url": f"https://a.example/{n}", "html": page}) + "\n")
    args = [NEWSFLOW, "process", str(raw), "--date", DAY.isoformat(), "-o", str(out)]
    args += ["--workers", "1", "--batch-size", "5"]
    # a new session: the signal goes to the whole process group, as Ctrl-C in a terminal does
    proc = subprocess.Popen(
        args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        earlier = set((out / "_pieces").glob("*/*/*/_done.json"))  # the first run's
        staged = _wait_for(
            lambda: sorted(set((out / "_pieces").glob("*/*/*/_done.json")) - earlier), 120
        )
        assert staged, "no batch was staged"
        os.killpg(proc.pid, signal.SIGINT)
        output, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, output.decode(errors="replace")
    assert b"interrupted" in output
    # the run's own staging is gone; its complete pieces stay for a rerun to reuse
    assert not any((out / "_staging").iterdir())
    assert staged[0].exists()
    after = sorted(p.read_bytes() for p in (out / "articles").rglob("*") if p.is_file())
    assert after == before
    assert len(list((out / "_runs").iterdir())) == 1


def _wait_for(probe, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.05)
    return probe()


# --- stray NUL bytes ------------------------------------------------------------------------


def _page_with_nuls(nuls: int, size: int = 20_000) -> bytes:
    body = ("<p>" + "Words of an article about the harbour. " * 40 + "</p>\n").encode()
    page = b"<html><body><article>" + body * (size // len(body) + 1) + b"</article></body></html>"
    page = page[:size]
    step = len(page) // (nuls + 1)
    for n in range(1, nuls + 1):  # spread out, away from any tag
        cut = page.index(b" ", n * step)
        page = page[:cut] + b"\x00" + page[cut + 1 :]
    return page


def test_a_page_with_a_few_stray_nul_bytes_is_decoded_with_a_note() -> None:
    decoded = decode_bytes(_page_with_nuls(5))
    assert "\x00" not in decoded.text and "harbour" in decoded.text
    assert decoded.notes == (NUL_BYTES_DROPPED,)
    assert decode_bytes(_page_with_nuls(0)).notes == ()


def test_the_nul_threshold_is_one_percent_on_both_sides() -> None:
    size = 8000  # within the first 8 KB: both checks look at the same bytes
    at_limit = int(MAX_NUL_SHARE * size)
    assert decode_bytes(_page_with_nuls(at_limit, size)).notes == (NUL_BYTES_DROPPED,)
    with pytest.raises(DecodeError) as caught:
        decode_bytes(_page_with_nuls(at_limit + 3, size))
    assert caught.value.error_type == "binary"


@pytest.mark.parametrize(
    "data",
    [
        b"\x00" * 5000 + b"<html><body><p>hidden text</p></body></html>",
        b"<html>" + b"\x00\x01" * 3000,
        # NULs beyond the first 8 KB count too
        b"<html><body><p>" + b"a" * 9000 + b"\x00" * 2000 + b"</p></body></html>",
    ],
)
def test_a_page_that_is_mostly_nul_bytes_stays_binary(data: bytes) -> None:
    with pytest.raises(DecodeError) as caught:
        decode_bytes(data)
    assert caught.value.error_type == "binary"


def test_utf16_text_keeps_its_nul_bytes() -> None:
    text = "<html><body><p>日本語の記事です。</p></body></html>"
    decoded = decode_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    assert decoded.text == text and decoded.notes == ()


def test_a_page_with_stray_nuls_becomes_an_article_and_the_run_counts_the_repair(
    tmp_path,
) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    page = BOILERPLATE_HTML.read_bytes()
    cut = page.index(b"</p>")
    (raw / "nul.html").write_bytes(page[:cut] + b"\x00\x00" + page[cut:])
    record = run_local(raw, tmp_path / "out", workers=1)
    assert record["counts"]["articles"] == 1, quarantine(tmp_path / "out")
    assert record["counts"]["load_notes"][NUL_BYTES_DROPPED] == 1


def test_the_flows_refuse_an_empty_run_and_loose_options_unless_told(
    prefect_harness, tmp_path
) -> None:
    from flows.backfill import backfill
    from flows.nightly import nightly
    from flows.process import process
    from tasks.process.pipeline import ProcessConfig

    out = tmp_path / "out"
    run_local(DEMO_RAW, out, workers=1)
    empty = _empty_inputs("empty", tmp_path / "raw" / f"crawl_date={DAY}")
    raw_root = str(empty.parent)
    common = {"output": str(out), "crawl_date": DAY.isoformat(), "workers": 1}

    refused = process(config=ProcessConfig(input=str(empty), **common), return_state=True)
    assert refused.is_failed() and "EmptyPartitionRefused" in str(refused.message)
    night = nightly(raw_root=raw_root, **common, retries=0, return_state=True)
    assert night.is_failed()
    assert len(list((out / "articles" / f"crawl_date={DAY}").glob("*.parquet"))) == 1

    with pytest.raises(ValueError, match="positive, finite"):
        nightly(raw_root=raw_root, **common, doc_timeout=0.0, retries=0)
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        backfill(start="2025-W11-1", end="2025-03-18", raw_root=raw_root, output=str(out))
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        ProcessConfig(input=str(empty), output=str(out), crawl_date="20250318")

    config = ProcessConfig(input=str(empty), **common, allow_empty=True, worker_memory_mb=300)
    allowed = process(config=config)
    assert allowed["counts"]["articles"] == 0
    assert allowed["config"]["worker_memory_mb"] == 300


def test_abort_stops_a_running_job_at_once() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from tasks.process.pool import PoolClosed

    pool = WorkerPool(1, "ctx", doc_timeout=300)
    with ThreadPoolExecutor(1) as threads:
        running = threads.submit(pool.run_job, "test_pool:job", ["ok", "hang"])
        time.sleep(1.0)
        started = time.monotonic()
        pool.abort()
        with pytest.raises(PoolClosed):
            running.result(timeout=30)
        assert time.monotonic() - started < 10  # not the 300 s document limit
    with pytest.raises(PoolClosed):
        pool.run_job("test_pool:job", ["ok"])
