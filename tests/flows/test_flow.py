"""The Prefect `process` flow and the `newsflow` CLI, against a real (temporary) Prefect API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
from conftest import DEMO_RAW, SAMPLE_TXT

DAY = "2025-03-18"
NEWSFLOW = Path(sys.executable).with_name("newsflow")


def test_process_flow_runs_batch_tasks_and_publishes_an_artifact(prefect_harness, tmp_path) -> None:
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from flows.process import process
    from tasks.process.pipeline import ProcessConfig

    out = tmp_path / "out"
    config = ProcessConfig(
        input=str(DEMO_RAW), output=str(out), crawl_date=DAY, workers=2, batch_size=4
    )
    state = process(config=config, return_state=True)
    assert state.is_completed()
    record = state.result()
    assert record["orchestrator"]["name"] == "prefect"
    # 14 records in 7 files, grouped by about 4 files (tasks/process/pieces.py): a few batch
    # tasks, not one per record
    batches = record["counts"]["batches"]
    assert 1 < batches < 14
    assert record["counts"]["articles"] == 13
    assert pq.read_table(out / "articles" / f"crawl_date={DAY}").num_rows == 13

    async def read_artifact():
        async with get_client() as client:
            flow_run = await client.read_flow_run(record["orchestrator"]["flow_run_id"])
            artifacts = await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[f"process-{DAY}"]))
            )
            task_runs = await client.read_task_runs()
            return flow_run, artifacts, task_runs

    import asyncio

    flow_run, artifacts, task_runs = asyncio.run(read_artifact())
    assert flow_run.name == f"process-{DAY}"
    # other tests publish the same key: this run's artifact is the one of its flow run
    [artifact] = [a for a in artifacts if a.flow_run_id == flow_run.id]
    assert "| articles written | 13 |" in artifact.data
    batch_runs = [t for t in task_runs if t.flow_run_id == flow_run.id]
    assert sorted(t.name for t in batch_runs) == [f"batch-{n}" for n in range(batches)]


def test_default_crawl_date_is_yesterday_utc(tmp_path) -> None:
    from tasks.process.options import resolve_crawl_date

    yesterday = (datetime.now(UTC) - timedelta(days=1)).date()
    assert resolve_crawl_date(None) == yesterday
    # `newsflow process` without --date, like the nightly without crawl_date
    proc = run_cli("process", str(SAMPLE_TXT), "-o", str(tmp_path), "--workers", "1", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["crawl_date"] == yesterday.isoformat()


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(NEWSFLOW), *args], capture_output=True, text=True, timeout=300, env=dict(os.environ)
    )


def test_cli_process_prints_a_summary_and_show_reads_it_back(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = run_cli("process", str(DEMO_RAW), "--date", DAY, "--output", str(out), "--workers", "2")
    assert proc.returncode == 0, proc.stderr
    for line in (
        "records in",
        "articles written",
        "quarantined",
        "load/truncated_gzip",
        "duplicates",
        "docs/s",
    ):
        assert line in proc.stdout, proc.stdout
    assert str(out / "articles" / f"crawl_date={DAY}") in proc.stdout
    assert "orchestrator" in proc.stdout and "none (plain run" in proc.stdout
    show = run_cli("show", "-o", str(out), "--date", DAY, "--limit", "3")
    assert show.returncode == 0, show.stderr
    assert "first 3" in show.stdout and "truncated_gzip" in show.stdout


def test_cli_prefect_flag_runs_a_tracked_flow_run_on_the_configured_api(
    prefect_harness, tmp_path: Path
) -> None:
    import asyncio

    from prefect import get_client
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}  # the harness's server
    proc = subprocess.run(
        [
            str(NEWSFLOW),
            "process",
            str(SAMPLE_TXT),
            "--date",
            DAY,
            "-o",
            str(tmp_path),
            "--prefect",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    flow_run_id = proc.stdout.split("prefect flow run ")[1].split()[0]

    async def read_flow_run():
        async with get_client() as client:
            return await client.read_flow_run(flow_run_id)

    assert asyncio.run(read_flow_run()).name == f"process-{DAY}"


def test_cli_errors_are_clear_and_non_zero(tmp_path: Path) -> None:
    missing = run_cli("process", str(tmp_path / "nope"), "--date", DAY, "--output", str(tmp_path))
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    bad_date = run_cli(
        "process", str(SAMPLE_TXT), "--date", "2025-02-30", "--output", str(tmp_path)
    )
    assert bad_date.returncode == 2 and "YYYY-MM-DD" in bad_date.stderr
    assert date.fromisoformat(DAY)
