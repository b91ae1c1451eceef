"""Prefect `collect` flow: fetch one crawl date's news into the raw zone as WARC.

Wiring only: the work is `tasks.collect.crawler.run_collect`, the same function the CLI and the
tests call. One task for the whole crawl: the crawl is one asyncio event loop whose
politeness state (per-host gates, robots.txt cache) must be shared by all its fetches, and
Prefect's per-task cost would dwarf a single fetch. `nightly` chains this flow with `process`.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from tasks.collect.crawler import CollectConfig, load_config, run_collect
from tasks.collect.run_report import summary_markdown
from tasks.process.options import resolve_crawl_date
from tasks.storage.options import S3Options


def _run_name() -> str:
    return f"collect-{resolve_crawl_date(flow_run.parameters.get('crawl_date'))}"


@task(name="collect-crawl", cache_policy=NO_CACHE)
def collect_crawl(config: CollectConfig) -> dict[str, Any]:
    return run_collect(config)


@flow(name="collect", flow_run_name=_run_name, log_prints=True)
def collect(
    sources: str,
    raw_root: str,
    crawl_date: str | None = None,
    refetch: bool = False,
    s3: S3Options | None = None,
) -> dict[str, Any]:
    """Collect the URLs, feeds and sitemaps listed in `sources` into `raw_root` for
    `crawl_date` (default: yesterday, UTC)."""
    config = load_config(sources, resolve_crawl_date(crawl_date), raw_root, refetch=refetch)
    config.s3 = s3
    summary = collect_crawl(config)
    create_markdown_artifact(
        summary_markdown(summary),
        key=f"collect-{config.crawl_date.isoformat()}",
        description="newsflow collect run summary",
    )
    return summary
