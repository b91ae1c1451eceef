"""Deployments: infra/prefect.yaml through Prefect's own loader, and a real `prefect server`
with `newsflow serve` running a backfill triggered through the API (all on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import inspect
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from conftest import DEMO_RAW

from flows.deployments import PREFECT_YAML, load_deployments, runner_deployments
from flows.local_server import local_prefect_server, stop_process_group
from schemas import partition_name

BIN = Path(sys.executable).parent
DAYS = [date(2025, 3, 17), date(2025, 3, 18), date(2025, 3, 19)]


def test_prefect_yaml_declares_the_nightly_cron_and_a_manual_backfill() -> None:
    specs = {spec.name: spec for spec in load_deployments()}
    assert set(specs) == {"newsflow-nightly", "newsflow-backfill"}
    (nightly,) = specs["newsflow-nightly"].schedules
    assert nightly["schedule"].cron == "0 2 * * *"
    assert nightly["schedule"].timezone == "UTC"
    assert specs["newsflow-nightly"].concurrency_limit == 1
    assert specs["newsflow-backfill"].schedules == []
    assert specs["newsflow-nightly"].flow().name == "nightly"
    assert specs["newsflow-backfill"].flow().name == "backfill"


def test_deployment_parameters_are_flow_parameters_and_non_articles_are_quarantined() -> None:
    # a parameter the flow does not take fails every scheduled run; keep_non_articles is
    # spelt out so an operator sees where to turn it on
    specs = {spec.name: spec for spec in load_deployments()}
    for deployment in yaml.safe_load(PREFECT_YAML.read_text())["deployments"]:
        flow = specs[deployment["name"]].flow()
        accepted = set(inspect.signature(flow.fn).parameters)
        assert set(deployment["parameters"]) <= accepted, deployment["name"]
        assert deployment["parameters"]["keep_non_articles"] is False


def test_served_deployments_take_the_schedule_from_the_yaml_and_a_timezone_override() -> None:
    deployments = {
        d.name: d for d in runner_deployments("raw", "out", "Europe/Dublin", sources="s.toml")
    }
    assert deployments["newsflow-nightly"].parameters["sources"] == "s.toml"
    schedule = deployments["newsflow-nightly"].schedules[0].schedule
    assert (schedule.cron, schedule.timezone) == ("0 2 * * *", "Europe/Dublin")
    assert deployments["newsflow-backfill"].parameters == {"raw_root": "raw", "output": "out"}


def test_served_deployments_carry_the_s3_endpoint_as_a_parameter() -> None:
    from flows.backfill import backfill
    from flows.nightly import nightly
    from tasks.storage.options import S3Options

    s3 = S3Options(endpoint_url="http://127.0.0.1:8333")
    served = runner_deployments("s3://raw/news", "s3://lake/news", s3=s3)
    for deployment in served:
        assert deployment.parameters["output"] == "s3://lake/news"
        stored = deployment.parameters["s3"]
        assert stored["endpoint_url"] == "http://127.0.0.1:8333"
    # what a run gets back from the stored JSON: the S3Options again (pydantic, via Prefect)
    for flow in (nightly, backfill):
        params = flow.validate_parameters(
            {"raw_root": "r", "output": "o", "s3": served[0].parameters["s3"]}
            | ({"start": "2025-03-01", "end": "2025-03-02"} if flow is backfill else {})
        )
        assert params["s3"] == s3


def test_a_broken_prefect_yaml_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "prefect.yaml"
    broken.write_text(
        "deployments:\n  - name: x\n    schedules:\n      - cron: 5\n        timezone: [1]\n"
    )
    with pytest.raises(ValueError, match="does not validate"):
        load_deployments(broken)


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory) -> Iterator[tuple[str, dict[str, str]]]:
    with local_prefect_server(tmp_path_factory.mktemp("prefect-server")) as env:
        yield env["PREFECT_API_URL"], env


def _run(api: str, coro_factory):
    from prefect.client.orchestration import PrefectClient

    async def go():
        async with PrefectClient(api=api) as client:
            return await coro_factory(client)

    return asyncio.run(go())


def _wait_for_deployment(api: str, name: str, serve: subprocess.Popen, log: Path):
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert serve.poll() is None, log.read_text()
        try:
            return _run(api, lambda c: c.read_deployment_by_name(name))
        except Exception:  # not registered yet
            time.sleep(1)
    pytest.fail(f"deployment {name} not served in 120 s:\n{log.read_text()}")


def _run_backfill(api: str, deployment_id, start: str, end: str):
    async def trigger_and_wait(client):
        run = await client.create_flow_run_from_deployment(
            deployment_id, parameters={"start": start, "end": end}
        )
        for _ in range(600):
            run = await client.read_flow_run(run.id)
            if run.state and run.state.is_final():
                return run
            await asyncio.sleep(0.5)
        raise AssertionError(f"backfill run {run.id} not finished: {run.state}")

    return _run(api, trigger_and_wait)


def _ids(out: Path) -> dict[date, list[str]]:
    return {
        day: sorted(
            pq.read_table(out / "articles" / f"crawl_date={day}", columns=["article_id"])
            .column("article_id")
            .to_pylist()
        )
        for day in DAYS
    }


def test_served_backfill_triggered_through_the_api_is_idempotent(prefect_server, tmp_path):
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey, FlowRunFilter

    api, env = prefect_server
    raw, out = tmp_path / "raw", tmp_path / "out"
    for day in DAYS:
        shutil.copytree(DEMO_RAW, raw / partition_name(day))
    log = tmp_path / "serve.log"
    with open(log, "wb") as log_file:
        serve = subprocess.Popen(
            [str(BIN / "newsflow"), "serve", "--raw-root", str(raw), "--output", str(out)],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deployment = _wait_for_deployment(api, "backfill/newsflow-backfill", serve, log)
            nightly = _wait_for_deployment(api, "nightly/newsflow-nightly", serve, log)
            assert nightly.schedules[0].schedule.cron == "0 2 * * *"

            first = _run_backfill(api, deployment.id, "2025-03-17", "2025-03-19")
            assert first.state.is_completed(), (first.state, log.read_text()[-3000:])
            ids = _ids(out)
            assert all(len(v) == 13 for v in ids.values())

            async def read_run_details(client, run_id=first.id):
                artifacts = await client.read_artifacts(
                    artifact_filter=ArtifactFilter(
                        key=ArtifactFilterKey(any_=["backfill-2025-03-17-to-2025-03-19"])
                    )
                )
                subflows = await client.read_flow_runs(
                    flow_run_filter=FlowRunFilter(
                        parent_flow_run_id={"any_": [run_id]},
                    )
                )
                return artifacts, subflows

            artifacts, subflows = _run(api, read_run_details)
            assert "3 done, 0 skipped, 0 failed" in artifacts[0].data
            # each date is its own subflow run, named after the date
            assert sorted(r.name for r in subflows) == [f"process-{d}" for d in DAYS]

            second = _run_backfill(api, deployment.id, "2025-03-17", "2025-03-19")
            assert second.state.is_completed()
            assert _ids(out) == ids
            artifacts, subflows = _run(api, lambda c: read_run_details(c, second.id))
            latest = max(artifacts, key=lambda a: a.created)
            assert "0 done, 3 skipped, 0 failed" in latest.data
            assert subflows == []
        finally:
            stop_process_group(serve)
