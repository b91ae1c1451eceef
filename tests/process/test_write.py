"""Staging, de-duplication and the atomic partition swap, on synthetic rows."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from conftest import REPO, TESTS
from runs import DAY, commit, ctx_for, failure, row

from schemas import ARTICLES_FILE_SCHEMA, PARTITIONING
from tasks.process import write
from tasks.process.write import (
    AccountingError,
    articles_table,
    commit_partitions,
    remove_stale_staging,
    write_staged_batch,
)
from tasks.storage.fs import MANIFEST_NAME, open_storage
from tasks.storage.swap import publish_directory


def read_manifest(partition: Path) -> dict | None:
    return open_storage(partition).read_json(MANIFEST_NAME)


def partition_ids(out: Path) -> list[str]:
    table = pq.read_table(out / "articles" / f"crawl_date={DAY}")
    return sorted(table.column("article_id").to_pylist())


def test_commit_writes_sorted_zstd_partition_with_manifest(tmp_path: Path) -> None:
    rows = [
        row(n, domain=d) for n, d in zip(range(30), ["b.org", "a.com", "c.net"] * 10, strict=True)
    ]
    _, result = commit(tmp_path, "run1", [(rows[:15], [failure(1)]), (rows[15:], [failure(2)])])
    assert (result.articles, result.quarantined, result.duplicates) == (30, 2, 0)
    part = tmp_path / "articles" / f"crawl_date={DAY}"
    files = sorted(p.name for p in part.iterdir())
    assert files == ["_newsflow.json", "part-00000.parquet"]
    meta = pq.read_metadata(part / "part-00000.parquet")
    assert meta.row_group(0).column(0).compression == "ZSTD"
    domains = pq.read_table(part / "part-00000.parquet").column("source_domain").to_pylist()
    assert domains == sorted(domains)
    assert (
        pq.read_schema(part / "part-00000.parquet").remove_metadata()
        == ARTICLES_FILE_SCHEMA.remove_metadata()
    )
    manifest = read_manifest(part)
    assert manifest["rows"] == 30 and manifest["run_id"] == "run1"
    assert not (tmp_path / "_staging" / "run1" / "commit" / "articles").exists()


def test_first_row_of_each_article_id_wins_and_duplicates_are_counted(tmp_path: Path) -> None:
    first = row(1, text="the first copy " * 10)
    again = row(1, text="a later copy " * 10)
    _, result = commit(tmp_path, "r", [([first, row(2)], []), ([again, row(3)], [])])
    assert (result.articles, result.duplicates) == (3, 1)
    table = pq.read_table(tmp_path / "articles" / f"crawl_date={DAY}").to_pylist()
    kept = next(r for r in table if r["article_id"] == "id-00001")
    assert kept["text"].startswith("the first copy")


def test_rerun_replaces_the_partition_and_leaves_nothing_of_the_old(tmp_path: Path) -> None:
    commit(tmp_path, "old", [([row(n) for n in range(10)], [failure(1)])])
    commit(tmp_path, "new", [([row(n) for n in range(5, 8)], [])])
    assert partition_ids(tmp_path) == ["id-00005", "id-00006", "id-00007"]
    # the new run had no failures: the date's quarantine is empty, not the old one
    assert not (tmp_path / "quarantine" / f"crawl_date={DAY}").exists()
    assert read_manifest(tmp_path / "articles" / f"crawl_date={DAY}")["run_id"] == "new"
    assert sorted(p.name for p in (tmp_path / "articles").iterdir()) == [f"crawl_date={DAY}"]


def test_counts_that_do_not_close_publish_nothing(tmp_path: Path) -> None:
    commit(tmp_path, "old", [([row(1)], [])])
    ctx = ctx_for(tmp_path, "bad")
    write_staged_batch(ctx, 0, articles_table([row(2), row(3)])[0], [])
    with pytest.raises(AccountingError, match="4 records in, but 2 articles"):
        commit_partitions(ctx, 4)  # 4 records went in, only 2 came out
    assert partition_ids(tmp_path) == ["id-00001"]


def test_a_crash_while_writing_final_files_leaves_the_old_partition(tmp_path, monkeypatch) -> None:
    commit(tmp_path, "old", [([row(n) for n in range(4)], [failure(1)])])
    before = {
        p.name: p.read_bytes() for p in (tmp_path / "articles" / f"crawl_date={DAY}").iterdir()
    }
    real = write._write_file
    calls = {"n": 0}

    def failing_write(table, path, compression):
        calls["n"] += 1
        if compression == "zstd" and "articles" in str(path):
            raise OSError(28, "No space left on device")
        return real(table, path, compression)

    monkeypatch.setattr(write, "_write_file", failing_write)
    with pytest.raises(OSError, match="No space left"):
        commit(tmp_path, "crashing", [([row(n) for n in range(100, 110)], [])])
    after = {
        p.name: p.read_bytes() for p in (tmp_path / "articles" / f"crawl_date={DAY}").iterdir()
    }
    assert after == before
    assert (
        len(ds.dataset(tmp_path / "quarantine", partitioning=PARTITIONING).to_table()) == 1
    )  # old quarantine intact too


def test_sigkill_in_the_middle_of_a_commit_then_rerun(tmp_path: Path) -> None:
    commit(tmp_path, "old", [([row(n) for n in range(4)], [])])
    # A child process stages a big batch and is killed while it writes final files.
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        sys.path[:0] = {[str(TESTS), str(REPO)]!r}
        from runs import commit, row
        from tasks.process import write
        real = write._write_file
        def kill_mid_write(table, path, compression):
            if compression == "zstd" and "articles" in str(path):
                with open(path, "wb") as half:
                    half.write(b"PAR1 half a file")
                os.kill(os.getpid(), signal.SIGKILL)
            return real(table, path, compression)
        write._write_file = kill_mid_write
        out = __import__("pathlib").Path({str(tmp_path)!r})
        commit(out, "killed", [([row(n) for n in range(50)], [])])
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == -9, proc.stderr
    assert partition_ids(tmp_path) == [f"id-{n:05d}" for n in range(4)]
    assert (tmp_path / "_staging" / "killed").exists()
    # the dead run's staging is invisible to readers and is swept once it is stale
    assert len(ds.dataset(tmp_path / "articles", partitioning=PARTITIONING).to_table()) == 4
    old = os.path.getmtime(tmp_path / "_staging" / "killed") - 7 * 3600
    for p in [tmp_path / "_staging" / "killed", *(tmp_path / "_staging" / "killed").iterdir()]:
        os.utime(p, (old, old))
    assert remove_stale_staging(tmp_path) == ["killed"]
    commit(tmp_path, "rerun", [([row(n) for n in range(50)], [])])
    assert partition_ids(tmp_path) == [f"id-{n:05d}" for n in range(50)]


def test_publish_directory_swaps_whole_directories(tmp_path: Path) -> None:
    target = tmp_path / "t" / "crawl_date=2025-03-18"
    first = tmp_path / "gen1"
    first.mkdir()
    (first / "part-00000.parquet").write_text("one")
    publish_directory(first, target)
    second = tmp_path / "gen2"
    second.mkdir()
    (second / "part-00000.parquet").write_text("two")
    (second / "part-00001.parquet").write_text("two-b")
    publish_directory(second, target)
    assert sorted(p.read_text() for p in target.iterdir()) == ["two", "two-b"]
    assert not first.exists() and not second.exists()


def test_a_row_arrow_cannot_store_is_quarantined_at_stage_write() -> None:
    bad = row(2)
    bad["word_count"] = 2**40  # does not fit int32
    table, failures = articles_table([row(1), bad, row(3)])
    assert table.column("article_id").to_pylist() == ["id-00001", "id-00003"]
    assert [(f.stage, f.source_uri) for f in failures] == [("write", bad["source_uri"])]
