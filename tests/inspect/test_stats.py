"""tasks/inspect/stats.py and `newsflow stats` on three crawl dates the pipeline wrote."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pyarrow.dataset as ds

from schemas import PARTITIONING
from tasks.inspect.stats import collect_stats, count_by, date_filter, last_runs

NEWSFLOW = Path(sys.executable).with_name("newsflow")


def _rows(output: Path) -> list[dict]:
    dataset = ds.dataset(output / "articles", partitioning=PARTITIONING)
    return dataset.to_table(columns=["crawl_date", "source_domain", "language"]).to_pylist()


def test_counts_match_the_data_and_the_run_records(analyst_data) -> None:
    found = collect_stats(analyst_data.output)
    rows = _rows(analyst_data.output)
    assert found.per_date == sorted(Counter(r["crawl_date"] for r in rows).items())
    assert found.per_date == [
        (date.fromisoformat(r["crawl_date"]), r["counts"]["articles"]) for r in analyst_data.runs
    ]
    assert dict(found.per_source) == Counter(r["source_domain"] for r in rows)
    assert dict(found.per_language) == Counter(r["language"] for r in rows)
    counts = [n for _, n in found.per_source]
    assert counts == sorted(counts, reverse=True)  # most rows first
    assert found.per_source[0] == ("wiremirror.co.uk", 3)  # the syndicated copies
    # every date had one empty file and one truncated download
    assert found.quarantine == [("load", "empty", 3), ("load", "truncated_gzip", 3)]
    assert found.articles == len(rows)


def test_date_range_is_inclusive_and_prunes_partitions(analyst_data) -> None:
    first, middle, last = analyst_data.dates
    found = collect_stats(analyst_data.output, start=middle, end=middle)
    assert [d for d, _ in found.per_date] == [middle]
    assert found.quarantine == [("load", "empty", 1), ("load", "truncated_gzip", 1)]
    assert [r["crawl_date"] for r in found.runs] == [middle.isoformat()]
    assert [d for d, _ in collect_stats(analyst_data.output, start=middle).per_date] == [
        middle,
        last,
    ]
    assert [d for d, _ in collect_stats(analyst_data.output, end=first).per_date] == [first]
    dataset = ds.dataset(analyst_data.output / "articles", partitioning=PARTITIONING)
    assert len(list(dataset.get_fragments(filter=date_filter(middle, middle)))) == 1
    assert date_filter(None, None) is None


def test_last_runs_newest_first_and_unreadable_records_skipped(analyst_data, tmp_path) -> None:
    runs = tmp_path / "_runs"
    shutil.copytree(analyst_data.output / "_runs", runs)
    (runs / "half-written.json").write_text('{"run_id": "x", "crawl_da')
    (runs / "no-date.json").write_text(json.dumps({"run_id": "y"}))
    records = last_runs(tmp_path, limit=2)
    expected = sorted(analyst_data.runs, key=lambda r: r["timings"]["finished_at"])[::-1][:2]
    assert [r["run_id"] for r in records] == [r["run_id"] for r in expected]
    assert len(last_runs(tmp_path, limit=10)) == 3


def test_empty_output_root_gives_empty_stats(tmp_path) -> None:
    found = collect_stats(tmp_path)
    assert found.per_date == found.per_source == found.quarantine == found.runs == []
    assert found.articles == 0
    assert count_by(None, ["language"], None) == []


def run_stats(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(NEWSFLOW), "stats", *args], capture_output=True, text=True, timeout=120
    )


def test_cli_prints_every_table(analyst_data) -> None:
    first, middle, last = analyst_data.dates
    done = run_stats("-o", str(analyst_data.output), "--start", str(middle), "--top", "3")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for title in (
        "rows per crawl date",
        "rows per source (top 3)",
        "rows per language",
        "quarantine by stage / reason",
        "last runs",
    ):
        assert title in out
    assert str(middle) in out and str(last) in out and str(first) not in out
    assert "truncated_gzip" in out and "other sources)" in out
    rows = sum(n for d, n in collect_stats(analyst_data.output, start=middle).per_date)
    assert f"{rows} articles" in out


def test_cli_rejects_bad_input(tmp_path) -> None:
    bad_date = run_stats("-o", str(tmp_path), "--start", "2019-13-01")
    assert bad_date.returncode == 2 and "2019-13-01" in bad_date.stderr
    missing = run_stats("-o", str(tmp_path / "nope"))
    assert missing.returncode == 1 and "nothing committed in" in missing.stderr
    assert str(tmp_path / "nope") in missing.stderr
