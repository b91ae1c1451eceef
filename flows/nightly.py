"""Prefect `nightly` flow: collect (when a sources file is given), then process yesterday's
raw zone (or a given date), and publish a summary artifact. The deployment in
infra/prefect.yaml runs it on a cron schedule.

Retrying the `process` step is safe because a date's partition is replaced atomically
with the same rows; a run fails only when the run itself cannot complete, never because
some articles were quarantined.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import flow
from prefect.artifacts import create_markdown_artifact
from prefect.runtime import flow_run

from flows.collect import collect
from flows.process import process_flow
from tasks.inspect.show import top_sources
from tasks.process.backfill_plan import raw_location
from tasks.process.options import resolve_crawl_date
from tasks.process.pipeline import ProcessConfig
from tasks.process.run_report import nightly_markdown
from tasks.storage.fs import open_storage
from tasks.storage.options import S3Options

NIGHTLY_TIMEOUT_S = 6 * 3600  # a night's run that is still going after 6 h is stuck


def _run_name() -> str:
    return f"nightly-{resolve_crawl_date(flow_run.parameters.get('crawl_date'))}"


@flow(name="nightly", flow_run_name=_run_name, timeout_seconds=NIGHTLY_TIMEOUT_S, log_prints=True)
def nightly(
    raw_root: str,
    output: str,
    crawl_date: str | None = None,
    workers: int | None = None,
    batch_size: int = 200,
    doc_timeout: float = 60.0,
    dask_address: str | None = None,
    sources: str | None = None,
    retries: int = 2,
    retry_delay_s: float = 600.0,
    allow_empty: bool = False,
    worker_memory_mb: int | None = None,
    keep_non_articles: bool = False,
    s3: S3Options | None = None,
) -> dict[str, Any]:
    """Collect `sources` (a sources TOML, optional) into `raw_root` for `crawl_date`
    (default: yesterday, UTC), then process that raw partition into `output`.
    `allow_empty`: let a night without articles replace committed ones (refused by
    default, so that an empty raw zone fails the run loudly)."""
    day: date = resolve_crawl_date(crawl_date)
    # every option checked before collecting: a bad one must not cost a night
    config = ProcessConfig(
        input=raw_location(raw_root, day),
        crawl_date=day,
        output=output,
        workers=workers,
        batch_size=batch_size,
        doc_timeout=doc_timeout,
        allow_empty=allow_empty,
        worker_memory_mb=worker_memory_mb,
        keep_non_articles=keep_non_articles,
        s3=s3,
    )
    if sources:
        # Retrying collect is safe too: URLs already archived for the date are skipped.
        collect.with_options(retries=retries, retry_delay_seconds=retry_delay_s)(
            sources=sources, raw_root=raw_root, crawl_date=day.isoformat(), s3=s3
        )
    process_step = process_flow(dask_address).with_options(
        retries=retries, retry_delay_seconds=retry_delay_s
    )
    record: dict[str, Any] = process_step(config=config, dask_address=dask_address)  # type: ignore[assignment]  # with_options loses the return type
    create_markdown_artifact(
        nightly_markdown(record, top_sources(open_storage(output, s3), day)),
        key=f"nightly-{day.isoformat()}",
        description="newsflow nightly run summary",
    )
    return record
