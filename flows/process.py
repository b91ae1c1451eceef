"""Prefect `process` flow: one crawl date from raw records to committed Parquet partitions.

The flow only wires things together; the logic lives in `tasks.pipeline` and is the same
code the tests run without Prefect. One Prefect task per *batch* (hundreds of records),
never per article: Prefect's per-task cost is milliseconds, an article's extraction ~25 ms.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from prefect import Flow, flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner

from tasks.load import WarcFilter
from tasks.options import parse_crawl_date
from tasks.pipeline import (
    Batch,
    BatchSummary,
    ProcessConfig,
    Submit,
    process_batch,
    process_batch_here,
    run_process,
)
from tasks.pool import WorkerPool
from tasks.report import summary_markdown
from tasks.write import RunContext

# Callables told how many records just finished (the CLI's progress bar). A module-level
# list because flow parameters must stay JSON-serialisable for deployments.
PROGRESS_LISTENERS: list[Callable[[int], None]] = []


def _report_progress(records_done: int) -> None:
    for listener in PROGRESS_LISTENERS:
        listener(records_done)


def resolve_crawl_date(value: str | date | None) -> date:
    """An explicit date (strictly YYYY-MM-DD), or yesterday in UTC (the nightly default)."""
    if value is None or value == "":
        return (datetime.now(UTC) - timedelta(days=1)).date()
    return parse_crawl_date(value)


def _run_name() -> str:
    # resolve the default before naming, or a scheduled run would be called "process-None"
    return f"process-{resolve_crawl_date(flow_run.parameters.get('crawl_date'))}"


# Batch tasks run in threads: each one hands its batch to a worker *process* of the
# pool, so threads only wait on pipes. Inputs are not hashed for caching (NO_CACHE): reuse
# is by staged piece (tasks/pieces.py); a batch holds references, the task returns counts.
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
    task_runner=ThreadPoolTaskRunner(max_workers=2 * (os.cpu_count() or 1) + 2),
    log_prints=True,
)
def process(
    input: str,
    output: str,
    crawl_date: str | None = None,
    workers: int | None = None,
    batch_size: int = 200,
    doc_timeout: float = 60.0,
    warc_domains: list[str] | None = None,
    warc_since: str | None = None,
    warc_until: str | None = None,
    dask_address: str | None = None,
    allow_empty: bool = False,
    worker_memory_mb: int | None = None,
    keep_non_articles: bool = False,
    full: bool = False,
) -> dict[str, Any]:
    """Process the raw records in `input` as crawl date `crawl_date` into `output`.

    With `dask_address`, batches run on that Dask cluster; call the flow returned by
    `process_flow(dask_address)` so that the task runner matches. `warc_domains`,
    `warc_since`, `warc_until` (ISO 8601, naive = UTC): keep only those WARC records
    (CC-NEWS backfills); see `tasks.load.WarcFilter`. `allow_empty`: let a run without
    articles replace a date with committed articles (refused by default).
    `keep_non_articles`: pages routed as listings, products, forums... stay in articles
    with their page_type instead of going to quarantine (extract/not_article).
    `worker_memory_mb`: per-worker memory limit (default: see tasks.pool).
    `full`: extract everything again instead of reusing the rows earlier runs staged for
    unchanged inputs (tasks/pieces.py).
    """
    # options are checked before anything starts (ValueError: the flow run fails at once)
    config = ProcessConfig(
        input=input,
        crawl_date=resolve_crawl_date(crawl_date),
        output=output,
        workers=workers,
        batch_size=batch_size,
        doc_timeout=doc_timeout,
        warc_filter=WarcFilter.from_options(warc_domains, warc_since, warc_until),
        allow_empty=allow_empty,
        worker_memory_mb=worker_memory_mb,
        keep_non_articles=keep_non_articles,
        full=full,
    )
    orchestrator: dict[str, Any] = {"name": "prefect", "flow_run_id": str(flow_run.id)}
    submit: Submit = extract_batch.submit
    if dask_address:
        config.workers = workers or dask_cluster_threads(dask_address)
        orchestrator |= {"task_runner": "dask", "dask_address": dask_address}
        submit = lambda batch, _pool, ctx: extract_batch_here.submit(  # noqa: E731
            batch, ctx, config.doc_timeout, worker_memory_mb, keep_non_articles
        )
    record = run_process(
        config, submit=submit, progress=_report_progress, orchestrator=orchestrator
    )
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

    return process.with_options(task_runner=DaskTaskRunner(address=dask_address))


def dask_cluster_threads(address: str) -> int:
    """Worker threads of a running Dask cluster: how many batches to keep in flight."""
    from distributed import Client

    with Client(address, timeout=30) as client:
        return max(1, sum(client.nthreads().values()))
