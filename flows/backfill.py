"""Prefect `backfill` flow: (re)process a range of crawl dates, each as its own subflow run.

Dates whose partition is already committed by this pipeline version are skipped unless
`force`; a failed date does not stop the others, and rerunning the same backfill redoes
only what is missing or failed. Each date is the same `process` flow the nightly runs,
so rerunning a committed date replaces it atomically with the same rows.
"""

from __future__ import annotations

import os
from collections import deque
from datetime import date
from typing import Any

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.states import State
from prefect.task_runners import ThreadPoolTaskRunner

from flows.process import process_flow
from tasks.process.backfill_plan import date_range, plan_dates, raw_location
from tasks.process.options import parse_crawl_date
from tasks.process.pipeline import ProcessConfig, pipeline_version
from tasks.process.run_report import backfill_markdown, date_outcome, skipped_outcome
from tasks.storage.options import S3Options


class BackfillIncomplete(RuntimeError):
    """Some dates failed; the others are committed. Rerun the backfill to retry them.

    `rows` is every date's outcome, so that whoever ran the backfill can show them all."""

    def __init__(self, message: str, rows: list[dict[str, Any]]):
        super().__init__(message)
        self.rows = rows

    def __reduce__(self) -> tuple[Any, ...]:  # Prefect may pickle the failed state's exception
        return (type(self), (str(self), self.rows))


# One thread per date in flight: the thread only waits while the date's subflow runs its
# batches in worker processes.
@task(name="process-date", task_run_name="{day}", cache_policy=NO_CACHE)
def process_date(
    day: date, raw_root: str, output: str, options: dict[str, Any], dask_address: str | None
) -> dict[str, Any]:
    """Run the `process` subflow for one date; a failure becomes a 'failed' outcome."""
    try:
        config = ProcessConfig(
            input=raw_location(raw_root, day), crawl_date=day, output=output, **options
        )
    except ValueError as err:
        return date_outcome(day, None, str(err))
    flow = process_flow(dask_address)
    state: State = flow(config=config, dask_address=dask_address, return_state=True)  # type: ignore[assignment]  # return_state
    result = state.result(raise_on_failure=False)
    if state.is_completed() and isinstance(result, dict):
        return date_outcome(day, result)
    return date_outcome(day, None, state.message or result)


@flow(
    name="backfill",
    flow_run_name="backfill-{start}-to-{end}",
    task_runner=ThreadPoolTaskRunner(max_workers=32),  # type: ignore[arg-type]  # Prefect's generic
    log_prints=True,
)
def backfill(
    start: str,
    end: str,
    raw_root: str,
    output: str,
    force: bool = False,
    max_concurrency: int = 2,
    workers: int | None = None,
    batch_size: int = 200,
    doc_timeout: float = 60.0,
    dask_address: str | None = None,
    allow_empty: bool = False,
    worker_memory_mb: int | None = None,
    keep_non_articles: bool = False,
    s3: S3Options | None = None,
) -> list[dict[str, Any]]:
    """Process every crawl date from `start` to `end` (inclusive) from `raw_root` into
    `output`, up to `max_concurrency` dates at once. `allow_empty`: let a date without
    articles replace committed ones (refused by default: that date fails). The options
    are ProcessConfig's (tasks/process/pipeline.py); `s3`: how to reach s3:// locations."""
    if max_concurrency < 1:
        raise ValueError("max_concurrency must be >= 1")
    days = date_range(parse_crawl_date(start), parse_crawl_date(end))
    options: dict[str, Any] = {
        # the cores are shared by the dates in flight
        "workers": workers or max(1, (os.cpu_count() or 1) // max_concurrency),
        "batch_size": batch_size,
        "doc_timeout": doc_timeout,
        "allow_empty": allow_empty,
        "worker_memory_mb": worker_memory_mb,
        "keep_non_articles": keep_non_articles,
        "s3": s3,
    }
    # every option checked once, before any date starts (ValueError: the run fails at once)
    ProcessConfig(input=raw_root, crawl_date=days[0], output=output, **options)
    plans = plan_dates(days, output, pipeline_version(), force, s3=s3)
    outcomes = {p.day: skipped_outcome(p.day, p.reason) for p in plans if not p.run}
    in_flight: deque[tuple[date, PrefectFuture]] = deque()

    def finish_oldest() -> None:
        day, future = in_flight.popleft()
        outcomes[day] = future.result()

    for plan in (p for p in plans if p.run):
        while len(in_flight) >= max_concurrency:
            finish_oldest()
        in_flight.append(
            (plan.day, process_date.submit(plan.day, raw_root, output, options, dask_address))
        )
    while in_flight:
        finish_oldest()

    rows = [outcomes[day] for day in days]
    create_markdown_artifact(
        backfill_markdown(start, end, rows),
        key=f"backfill-{start}-to-{end}",
        description="newsflow backfill: every date and what happened to it",
    )
    failed = [row for row in rows if row["status"] == "failed"]
    if failed:
        raise BackfillIncomplete(
            f"{len(failed)} of {len(rows)} dates failed ("
            + ", ".join(f"{row['date']}: {row['reason']}" for row in failed[:5])
            + "); the others are committed. Rerun the backfill to retry the failed dates.",
            rows,
        )
    return rows
