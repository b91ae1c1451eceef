"""The `process` flow's batch tasks on a real Dask cluster (2 worker processes on loopback)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import DEMO_RAW, run_local

DAY = "2025-03-18"


@pytest.fixture(scope="module")
def dask_cluster() -> Iterator[str]:
    import dask
    from distributed import LocalCluster

    # Dask worker processes are daemonic by default, and daemonic processes may not start
    # children: each Dask worker starts its own killable extraction process.
    with (
        dask.config.set({"distributed.worker.daemon": False}),
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
    ):
        yield cluster.scheduler_address


def _rows(out: Path) -> list[dict]:
    rows = pq.read_table(out / "articles" / f"crawl_date={DAY}").to_pylist()
    return sorted(rows, key=lambda row: row["article_id"])


def test_a_date_processed_on_dask_gives_the_rows_of_the_local_runner(
    prefect_harness, dask_cluster, tmp_path
) -> None:
    from distributed import Client

    from flows.process import process_flow
    from tasks.process.pipeline import ProcessConfig

    local = run_local(DEMO_RAW, tmp_path / "local", batch_size=3)
    config = ProcessConfig(
        input=str(DEMO_RAW), output=str(tmp_path / "dask"), crawl_date=DAY, batch_size=3
    )
    record = process_flow(dask_cluster)(config=config, dask_address=dask_cluster)
    assert record["orchestrator"]["task_runner"] == "dask"
    assert record["config"]["workers"] == 2  # the cluster's threads, asked from the scheduler
    assert record["counts"] == local["counts"]
    assert _rows(tmp_path / "dask") == _rows(tmp_path / "local")
    # the batches really ran in the Dask workers: each started its own extraction pool
    with Client(dask_cluster) as client:
        pools = client.run(
            lambda: len(__import__("tasks.process.pipeline").process.pipeline._HERE_POOLS)
        )
    assert sum(pools.values()) >= 1


def test_site_boilerplate_on_dask_gives_the_rows_of_the_local_runner(
    prefect_harness, dask_cluster, tmp_path
) -> None:
    # the side tables of paragraph keys are written in the Dask workers; the commit pass
    # in the driver must come to the same rows as a local run with other batch sizes
    from runs import write_site_inputs
    from site_corpus import NEWSLETTER, build_site, site_articles

    from flows.process import process_flow
    from tasks.process.pipeline import ProcessConfig

    raw = tmp_path / "raw"
    write_site_inputs(raw, build_site(site_articles(6)))
    local = run_local(raw, tmp_path / "local", batch_size=50, workers=1)
    config = ProcessConfig(
        input=str(raw), output=str(tmp_path / "dask"), crawl_date=DAY, batch_size=1
    )
    record = process_flow(dask_cluster)(config=config, dask_address=dask_cluster)
    # batch_size 1: one batch per input file (a JSONL file is read by one worker)
    assert record["counts"]["batches"] == 3 and local["counts"]["batches"] == 1
    assert record["counts"] | {"batches": 1} == local["counts"]
    assert record["counts"]["site_boilerplate"]["rows_changed"] == 6
    rows = _rows(tmp_path / "dask")
    assert rows == _rows(tmp_path / "local")
    assert sum(NEWSLETTER in row["text"] for row in rows) == 1  # only the single-page site


def test_dask_workers_read_their_batches_from_s3_themselves(prefect_harness, s3, tmp_path) -> None:
    """The raw data lives only in SeaweedFS: batches carry references, and each Dask worker
    reads its own byte spans from S3 (the driver never holds a record)."""
    import dask
    from distributed import LocalCluster
    from runs import make_raw, tables, write_warc

    from flows.process import process_flow
    from tasks.inspect.read import read_committed
    from tasks.process.pipeline import ProcessConfig

    raw = make_raw(tmp_path / "raw")
    write_warc(raw / "big.warc.gz", range(400, 440), gz=True)
    local = run_local(raw, tmp_path / "local", batch_size=3)
    store = s3.store
    for path in sorted(raw.iterdir()):
        store.write_bytes(f"raw/{path.name}", path.read_bytes())
    # the S3 options travel in the config (as `newsflow process --s3-endpoint` passes
    # them); the cluster is started here, after the fixture put the S3 credentials in the
    # environment its workers inherit
    config = ProcessConfig(
        input=f"{s3.location}/raw",
        output=s3.location,
        crawl_date=DAY,
        batch_size=3,
        s3=s3.options,
    )
    with (
        dask.config.set({"distributed.worker.daemon": False}),
        LocalCluster(
            n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
        ) as cluster,
    ):
        record = process_flow(cluster.scheduler_address)(
            config=config, dask_address=cluster.scheduler_address
        )
    assert record["counts"]["records_in"] == local["counts"]["records_in"]
    for table in ("articles", "quarantine"):
        got = read_committed(s3.location, table, None, s3=s3.options).to_pylist()
        want = tables(tmp_path / "local", local)[table]
        for row in got:
            row.pop("run_id", None)
            row["source_uri"] = row["source_uri"].replace(f"{s3.location}/raw", str(raw))
        assert sorted(got, key=_order) == sorted(want, key=_order)


def _order(row: dict) -> tuple[str, str]:
    return row["source_uri"], row.get("article_id") or ""
