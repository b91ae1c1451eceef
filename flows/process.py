"""Prefect `process` flow: one crawl date from raw records to committed Parquet partitions.

The flow only wires things together; the logic lives in `tasks.process.pipeline` and is the same
code the tests run without Prefect. One Prefect task per *batch* (hundreds of records),
never per article: Prefect's per-task cost is milliseconds, an article's extraction ~25 ms.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any

from prefect import Flow, flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner

from tasks.process.options import parse_crawl_date
from tasks.process.pipeline import (
    Batch,
    BatchSummary,
    ProcessConfig,
    Progress,
    Submit,
    process_batch,
    process_batch_here,
    run_process,
)
from tasks.process.pool import WorkerPool
from tasks.process.run_report import summary_markdown
from tasks.process.write import RunContext


def _run_name() -> str:
    config = flow_run.parameters["config"]
    day = config["crawl_date"] if isinstance(config, dict) else config.crawl_date
    return f"process-{parse_crawl_date(day)}"


# Batch tasks run in threads: each one hands its batch to a worker *process* of the
# pool, so threads only wait on pipes. Inputs are not hashed for caching (NO_CACHE): reuse
# is by staged piece (tasks/process/pieces.py); a batch holds references, the task returns counts.
@task(name="extract-batch", task_run_name="batch-{batch.batch_no}", cache_policy=NO_CACHE)
def extract_batch(batch: Batch, pool: WorkerPool, ctx: RunContext) -> BatchSummary:
    return process_batch(batch, pool, ctx)


# The same batch on a Dask worker: the driver's extraction pool cannot travel, so the
# batch uses a pool owned by the Dask worker process (see process_batch_here).
@task(name="extract-batch", task_run_name="batch-{batch.batch_no}", cache_policy=NO_CACHE)
def extract_batch_here(
    batch: Batch,
    ctx: RunContext,
    doc_timeout: float,
    worker_memory_mb: int | None,
    keep_non_articles: bool = False,
) -> BatchSummary:
    return process_batch_here(
        batch,
        ctx,
        doc_timeout,
        worker_memory_mb=worker_memory_mb,
        keep_non_articles=keep_non_articles,
    )


@flow(
    name="process",
    flow_run_name=_run_name,
    task_runner=ThreadPoolTaskRunner(max_workers=2 * (os.cpu_count() or 1) + 2),  # type: ignore[arg-type]  # Prefect's generic
    log_prints=True,
)
def process(
    config: ProcessConfig,
    dask_address: str | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Process the raw records of `config.input` as crawl date `config.crawl_date` into
    `config.output`: the same validated ProcessConfig the CLI, the nightly and the backfill
    build (every option is described there, tasks/process/pipeline.py).

    With `dask_address`, batches run on that Dask cluster; call the flow returned by
    `process_flow(dask_address)` so that the task runner matches. `progress` is told how
    many records just finished (the CLI's progress bar; not stored by Prefect).
    """
    orchestrator: dict[str, Any] = {"name": "prefect", "flow_run_id": str(flow_run.id)}
    submit: Submit = extract_batch.submit
    if dask_address:
        config = replace(config, workers=config.workers or dask_cluster_threads(dask_address))
        orchestrator |= {"task_runner": "dask", "dask_address": dask_address}
        submit = lambda batch, _pool, ctx: extract_batch_here.submit(  # noqa: E731
            batch, ctx, config.doc_timeout, config.worker_memory_mb, config.keep_non_articles
        )
    record = run_process(config, submit=submit, progress=progress, orchestrator=orchestrator)
    create_markdown_artifact(
        summary_markdown(record),
        key=f"process-{config.crawl_date.isoformat()}",
        description="newsflow process run summary",
    )
    return record


def process_flow(dask_address: str | None = None) -> Flow:
    """The `process` flow with the task runner that matches where its batches run."""
    if not dask_address:
        return process
    from prefect_dask import DaskTaskRunner

    return process.with_options(task_runner=DaskTaskRunner(address=dask_address))  # type: ignore[arg-type]


def dask_cluster_threads(address: str) -> int:
    """Worker threads of a running Dask cluster: how many batches to keep in flight."""
    from distributed import Client

    with Client(address, timeout=30) as client:
        return max(1, sum(client.nthreads().values()))
