"""nightly and backfill flows under a real (temporary) Prefect API."""

from __future__ import annotations

import asyncio
import shutil
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import DEMO_RAW, SAMPLE_TXT

from schemas import partition_name
from tasks.process.backfill_plan import date_range, plan_dates

DAYS = [date(2025, 3, 17), date(2025, 3, 18), date(2025, 3, 19)]


def make_raw_zone(root: Path, days: list[date]) -> Path:
    for day in days:
        shutil.copytree(DEMO_RAW, root / partition_name(day))
    return root


def article_ids(output: Path, day: date) -> list[str]:
    table = pq.read_table(output / "articles" / f"crawl_date={day}", columns=["article_id"])
    return sorted(table.column("article_id").to_pylist())


def artifact(key: str) -> str:
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    async def read() -> str:
        async with get_client() as client:
            found = await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key]))
            )
            assert found, f"no artifact {key}"
            return max(found, key=lambda a: a.created).data  # the latest version of the key

    return asyncio.run(read())


def test_date_range_is_inclusive_and_rejects_a_reversed_range() -> None:
    assert date_range(DAYS[0], DAYS[2]) == DAYS
    assert date_range(DAYS[1], DAYS[1]) == [DAYS[1]]
    with pytest.raises(ValueError, match="before start"):
        date_range(DAYS[2], DAYS[0])


def test_plan_skips_dates_committed_by_this_version_unless_forced(tmp_path: Path) -> None:
    from conftest import run_local

    run_local(SAMPLE_TXT, tmp_path, day=DAYS[0])
    version = __import__("tasks.process.pipeline").process.pipeline.pipeline_version()
    plans = {p.day: p for p in plan_dates(DAYS[:2], tmp_path, version)}
    assert not plans[DAYS[0]].run and "already committed" in plans[DAYS[0]].reason
    assert plans[DAYS[1]].run and plans[DAYS[1]].reason == "not committed"
    newer = {p.day: p for p in plan_dates(DAYS[:1], tmp_path, "9.9+trafilatura.9")}
    assert newer[DAYS[0]].run and newer[DAYS[0]].reason == f"committed by {version}"
    assert all(p.run for p in plan_dates(DAYS[:2], tmp_path, version, force=True))


def test_nightly_processes_the_date_and_publishes_a_summary(prefect_harness, tmp_path) -> None:
    from flows.nightly import nightly

    raw = make_raw_zone(tmp_path / "raw", [DAYS[1]])
    record = nightly(raw_root=str(raw), output=str(tmp_path / "out"), crawl_date="2025-03-18")
    assert record["counts"]["articles"] == 13 and record["counts"]["quarantined"] == 1
    summary = artifact("nightly-2025-03-18")
    assert "| articles written | 13 |" in summary
    assert "load/truncated_gzip" in summary
    assert "## top sources" in summary and "| source | articles |" in summary


def test_nightly_fails_clearly_when_the_raw_zone_has_no_such_date(prefect_harness, tmp_path):
    from flows.nightly import nightly

    state = nightly(
        raw_root=str(tmp_path / "raw"),
        output=str(tmp_path / "out"),
        crawl_date="2025-03-18",
        retries=0,
        return_state=True,
    )
    assert state.is_failed()
    with pytest.raises(FileNotFoundError, match="crawl_date=2025-03-18"):
        state.result()


def test_backfill_runs_each_date_skips_committed_ones_and_retries_only_failures(
    prefect_harness, tmp_path
) -> None:
    from flows.backfill import BackfillIncomplete, backfill

    raw = make_raw_zone(tmp_path / "raw", [DAYS[0], DAYS[2]])  # DAYS[1] not collected yet
    out = tmp_path / "out"
    params = {"start": "2025-03-17", "end": "2025-03-19", "raw_root": str(raw), "output": str(out)}

    state = backfill(**params, max_concurrency=2, return_state=True)
    assert state.is_failed()  # one date failed; the others are committed
    with pytest.raises(BackfillIncomplete, match="1 of 3 dates failed"):
        state.result()
    first = artifact("backfill-2025-03-17-to-2025-03-19")
    assert "2 done, 0 skipped, 1 failed" in first and "input not found" in first
    ids = {day: article_ids(out, day) for day in (DAYS[0], DAYS[2])}
    assert all(len(v) == 13 for v in ids.values())

    shutil.copytree(DEMO_RAW, raw / partition_name(DAYS[1]))  # the missing date arrives
    rows = backfill(**params)
    assert [r["status"] for r in rows] == ["skipped", "done", "skipped"]
    assert {day: article_ids(out, day) for day in (DAYS[0], DAYS[2])} == ids
    assert "1 done, 2 skipped, 0 failed" in artifact("backfill-2025-03-17-to-2025-03-19")

    forced = backfill(**params, force=True, max_concurrency=3)
    assert [r["status"] for r in forced] == ["done", "done", "done"]
    assert all(r["articles"] == 13 and r["duplicates"] == 0 for r in forced)
    assert {day: article_ids(out, day) for day in (DAYS[0], DAYS[2])} == ids
    for day in DAYS:  # one generation per date: no stray files from the reruns
        assert pq.read_table(out / "articles" / f"crawl_date={day}").num_rows == 13
