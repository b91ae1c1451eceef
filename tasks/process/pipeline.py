"""The `process` pipeline for one crawl date, independent of any orchestrator.

    list inputs -> plan pieces (references: file, identity, byte span; tasks/process/pieces.py)
        -> reuse the pieces an earlier run staged, unchanged
        -> the rest: each worker reads, extracts and stages its piece
        -> commit the partition atomically from every piece, in input order -> run record

The driver reads no input record: it lists, plans, and commits.

`run_process` takes a `submit` callable that runs `process_batch` somewhere and returns a
future: the Prefect flow passes its task's `.submit` (one Prefect task per batch), tests
and tools can pass a plain thread pool's. Everything else is the same code.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import importlib.util
import os
import platform
import resource
import threading
import time
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Protocol

from schemas import ARTICLES_SCHEMA_VERSION
from tasks.extract.treemodel import models_version
from tasks.ingest.filters import WarcFilter
from tasks.ingest.listing import list_inputs, output_locations
from tasks.process.options import check_doc_timeout, parse_crawl_date
from tasks.process.pieces import (
    RUN_PIECE,
    Batch,
    BatchSummary,
    PieceJob,
    check_spans,
    index_pieces,
    piece_folder,
    plan_batches,
    prune_pieces,
    reuse,
    staged_keys,
)
from tasks.process.pool import WorkerPool, check_worker_memory_mb, default_worker_memory_mb
from tasks.process.write import (
    RunContext,
    commit_partitions,
    remove_staging,
    remove_stale_staging,
    write_run_record,
)
from tasks.records import ExtractOptions, new_run_id
from tasks.storage.fs import open_storage
from tasks.storage.options import S3Options

__all__ = ["Batch", "BatchSummary", "ProcessConfig", "process_batch", "run_local", "run_process"]


def pipeline_version() -> str:
    """newsflow's version plus the extractor's, the shipped models' (content hashes of
    tasks/extract/models/*.json) and the row-making code's: a new trafilatura, a retrained
    model or an edited rule can change every row, so none of them may reuse the pieces or
    skip the backfill dates that the old pipeline made."""
    return (
        f"{_version('newsflow')}+trafilatura.{_version('trafilatura')}"
        f"+models.{models_version()}+code.{code_version()}"
    )


# The code that makes a staged row, from the raw bytes to the row: reading, decoding,
# extraction, normalisation, the per-batch side tables, the schemas. Not storage, the pool
# or the commit pass: they do not change a row's content (the commit pass runs every time).
_ROW_CODE = ("tasks.ingest", "tasks.extract", "tasks.normalise", "tasks.records", "schemas")


@functools.cache
def code_version() -> str:
    """8 hex digits over the source of the row-making modules (names and bytes), found
    without importing them: the driver never loads the extraction code."""
    digest = hashlib.blake2b(digest_size=4)
    for name in _ROW_CODE:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise RuntimeError(f"cannot find the source of {name}")
        if spec.submodule_search_locations:  # a package: every module in it
            root = Path(next(iter(spec.submodule_search_locations)))
            files = sorted(root.rglob("*.py"))
        else:
            root, files = Path(spec.origin).parent, [Path(spec.origin)]
        for path in files:
            digest.update(f"{name}/{path.relative_to(root).as_posix()}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "0+unknown"


def extract_options(
    crawl_date: date, pipeline_version: str, keep_non_articles: bool = False
) -> ExtractOptions:
    """What every extraction worker needs to know about the run."""
    return ExtractOptions(
        crawl_date=crawl_date,
        pipeline_version=pipeline_version,
        schema_version=ARTICLES_SCHEMA_VERSION,
        keep_non_articles=keep_non_articles,
    )


@dataclass(slots=True)
class ProcessConfig:
    input: str
    crawl_date: date
    output: str
    workers: int | None = None  # None: all cores
    # files per batch task (~5 s of extraction, Prefect overhead < 0.5 %) when they hold one
    # record each; a batch also closes at about batch_bytes of stored input, and a WARC
    # larger than that is split into spans of about batch_bytes (tasks/process/pieces.py)
    batch_size: int = 200
    batch_bytes: int = 8 * 2**20
    doc_timeout: float = 60.0  # seconds one document may take before its worker is killed
    max_record_bytes: int = 10 * 2**20  # larger records are quarantined (load, too_large)
    # CC-NEWS backfills: keep only these WARC records; the others are counted in load_notes
    warc_filter: WarcFilter | None = None
    # input/output may be s3://bucket/prefix URIs; None: NEWSFLOW_S3_* and the AWS chain
    s3: S3Options | None = None
    # a run that would replace a non-empty committed articles partition with an empty one
    # refuses (EmptyPartitionRefused) unless this is set: an empty or wrong input folder
    # must fail a scheduled run loudly, not delete a good day
    allow_empty: bool = False
    # address-space limit of one extraction worker;
    # None: tasks.process.pool.default_worker_memory_mb
    worker_memory_mb: int | None = None
    # keep pages routed as non-articles (tasks/extract/pagetype.py) as rows instead of quarantine
    keep_non_articles: bool = False
    # extract every piece again instead of reusing the rows an earlier run staged for
    # unchanged inputs (after a code change that did not change pipeline_version)
    full: bool = False

    def __post_init__(self) -> None:
        # checked before any work: a bad option must not cost a run (or quarantine everything)
        self.crawl_date = parse_crawl_date(self.crawl_date)
        self.doc_timeout = check_doc_timeout(self.doc_timeout)
        if self.workers is not None and self.workers < 1:
            raise ValueError(f"workers must be >= 1, not {self.workers}")
        if self.worker_memory_mb is not None:
            check_worker_memory_mb(self.worker_memory_mb)

    @property
    def worker_count(self) -> int:
        return max(1, self.workers or os.cpu_count() or 1)

    @property
    def worker_memory(self) -> int:
        """The per-worker memory limit in MiB (explicit, or the machine's default)."""
        return self.worker_memory_mb or default_worker_memory_mb(self.worker_count)


class _Future(Protocol):
    def result(self) -> BatchSummary: ...


Submit = Callable[[Batch, WorkerPool, RunContext], _Future]
Progress = Callable[[int], None]  # called with the number of records just finished


def process_batch(batch: Batch, pool: WorkerPool, ctx: RunContext) -> BatchSummary:
    """One piece, read, extracted and staged by a worker process of `pool`; returns counts."""
    folder = piece_folder(ctx.crawl_date.isoformat(), batch.key, ctx.run_id)
    return pool.run_job(RUN_PIECE, PieceJob(batch, ctx, folder))


# Pools of the processes that run batches away from the driver (Dask workers), by
# (options, doc_timeout, workers). A backfill changes options with every date, so only
# the most recent few stay open.
_HERE_POOLS: OrderedDict[tuple[ExtractOptions, float, int, int], WorkerPool] = OrderedDict()
_HERE_POOLS_LOCK = threading.Lock()
_HERE_POOLS_KEPT = 2


def process_batch_here(
    batch: Batch,
    ctx: RunContext,
    doc_timeout: float,
    workers: int = 1,
    worker_memory_mb: int | None = None,
    keep_non_articles: bool = False,
) -> BatchSummary:
    """`process_batch` in whatever process runs it (a Dask worker), with that process's
    own killable extraction pool; the driver's pool cannot travel over the network.
    `worker_memory_mb` None: the default for the machine the batch runs on."""
    options = extract_options(ctx.crawl_date, ctx.pipeline_version, keep_non_articles)
    memory_mb = worker_memory_mb or default_worker_memory_mb(workers)
    key = (options, doc_timeout, workers, memory_mb)
    with _HERE_POOLS_LOCK:
        pool = _HERE_POOLS.get(key)
        if pool is None:
            pool = _HERE_POOLS[key] = WorkerPool(
                workers, options, doc_timeout, memory_limit_mb=memory_mb
            )
        _HERE_POOLS.move_to_end(key)
        while len(_HERE_POOLS) > _HERE_POOLS_KEPT:
            _HERE_POOLS.popitem(last=False)[1].close()
    return process_batch(batch, pool, ctx)


@atexit.register
def _close_here_pools() -> None:
    with _HERE_POOLS_LOCK:
        while _HERE_POOLS:
            _HERE_POOLS.popitem()[1].close()


def run_process(
    config: ProcessConfig,
    submit: Submit,
    progress: Progress | None = None,
    run_id: str | None = None,
    orchestrator: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Process one crawl date end to end; returns the run record (also written to _runs/)."""
    started = time.time()
    output = open_storage(config.output, config.s3)
    ctx = RunContext(
        output=output,
        crawl_date=config.crawl_date,
        run_id=run_id or new_run_id(config.crawl_date),
        pipeline_version=pipeline_version(),
    )
    remove_stale_staging(output)
    # an output folder inside the input folder is never read back as input
    inputs = list_inputs(config.input, config.s3, exclude=output_locations(output))
    plan = plan_batches(
        inputs,
        batch_size=config.batch_size,
        batch_bytes=config.batch_bytes,
        max_record_bytes=config.max_record_bytes,
        warc_filter=config.warc_filter,
        versions=_row_versions(config, ctx.pipeline_version),
    )
    # the pieces earlier runs of the date staged (one listing); unchanged ones are reused
    index = index_pieces(ctx.store, config.crawl_date.isoformat())
    done: dict[int, BatchSummary] = {}
    todo: list[Batch] = []
    for batch in plan:
        summary = None if config.full else reuse(ctx.store, batch, index)
        if summary is None:
            todo.append(batch)
        else:
            done[batch.batch_no] = summary
            if progress:
                progress(summary.records_in)
    options = extract_options(config.crawl_date, ctx.pipeline_version, config.keep_non_articles)
    pool = WorkerPool(
        config.worker_count,
        options,
        config.doc_timeout,
        memory_limit_mb=config.worker_memory,
    )
    try:
        with pool:
            # one batch per worker plus one ready to go: workers never wait
            in_flight = config.worker_count + 1
            for summary in _run_batches(todo, pool, ctx, submit, in_flight, progress):
                done[summary.batch_no] = summary
            workers_replaced = pool.replaced
        extracted_at = time.time()
        summaries = [done[batch.batch_no] for batch in plan]
        check_spans(plan, done)
        records_in = sum(s.records_in for s in summaries)
        commit = commit_partitions(
            ctx,
            records_in,
            extra_manifest={"inputs": [str(config.input)]},
            allow_empty=config.allow_empty,
            staged=staged_keys(summaries),
        )
        # what the date no longer needs: pieces of removed or changed files, old versions
        prune_pieces(ctx.store, index, summaries)
    finally:
        # on any failure, Ctrl-C included: _run_batches has stopped every batch by now, so
        # nothing writes into the staging folder after it is removed. Staged pieces stay:
        # a rerun reuses the complete ones.
        remove_staging(ctx)
    finished = time.time()

    failures: Counter[tuple[str, str]] = sum((s.failures for s in summaries), Counter())
    notes: Counter[str] = sum((s.notes for s in summaries), Counter())
    record = {
        "run_id": ctx.run_id,
        "status": "completed",
        "crawl_date": config.crawl_date.isoformat(),
        "pipeline_version": ctx.pipeline_version,
        "versions": _versions(),
        "orchestrator": orchestrator or {"name": "none"},
        "config": {
            "workers": config.worker_count,
            "batch_size": config.batch_size,
            "doc_timeout_s": config.doc_timeout,
            "worker_memory_mb": config.worker_memory,
            "allow_empty": config.allow_empty,
            "max_record_bytes": config.max_record_bytes,
            "warc_filter": _filter_config(config.warc_filter),
            "full": config.full,
        },
        "inputs": {"location": str(config.input), "files": len(inputs)},
        "outputs": {
            "articles": ctx.partition("articles"),
            "quarantine": ctx.partition("quarantine"),
            "files": commit.files,
        },
        "counts": {
            "records_in": records_in,
            "articles": commit.articles,
            "quarantined": commit.quarantined,
            "duplicates": commit.duplicates,
            "quarantined_by_reason": {
                f"{stage}/{error}": n for (stage, error), n in sorted(failures.items())
            },
            # records that are not articles (WARC warcinfo/request/metadata), WARC records
            # left out by the warc_filter (warc_filtered_domain/_date), and loader notes
            # such as JSONL lines whose fetched_at could not be read, strings made valid UTF-8,
            # pages decoded with stray NUL bytes dropped (nul_bytes_dropped)
            "load_notes": dict(sorted(notes.items())),
            "batches": len(summaries),
            "workers_replaced": workers_replaced,
            # paragraphs that recur across a site's pages in this run
            # (tasks/normalise/siteboiler.py)
            "site_boilerplate": {
                "sites": len(commit.site_boilerplate.sites),
                "rows_changed": commit.site_boilerplate.rows_changed,
                "paragraphs_removed": commit.site_boilerplate.paragraphs_removed,
                "rows_kept_whole": commit.site_boilerplate.rows_kept_whole,
            },
        },
        # batches (and their records) whose rows an earlier run staged from the same,
        # unchanged inputs: not extracted again (tasks/process/pieces.py)
        "reused": {
            "batches": sum(s.reused for s in summaries),
            "records": sum(s.records_in for s in summaries if s.reused),
        },
        "timings": {
            "started_at": _iso(started),
            "finished_at": _iso(finished),
            "extract_s": round(extracted_at - started, 3),
            "commit_s": round(finished - extracted_at, 3),
            "total_s": round(finished - started, 3),
            "docs_per_s": round(records_in / max(finished - started, 1e-9), 2),
        },
        "peak_rss_mb": _peak_rss_mb(),
    }
    record["run_record"] = write_run_record(output, ctx.run_id, record)
    return record


def run_local(config: ProcessConfig, progress: Progress | None = None) -> dict[str, Any]:
    """The same pipeline without any orchestrator: batch functions on a bounded thread pool."""
    with ThreadPoolExecutor(max_workers=config.worker_count + 1) as threads:
        return run_process(
            config,
            submit=lambda batch, pool, ctx: threads.submit(process_batch, batch, pool, ctx),
            progress=progress,
            orchestrator={"name": "local"},
        )


def _run_batches(
    batches: Iterable[Batch],
    pool: WorkerPool,
    ctx: RunContext,
    submit: Submit,
    max_in_flight: int,
    progress: Progress | None,
) -> list[BatchSummary]:
    """Submit batches with a bounded number in flight, so memory does not grow with input."""
    in_flight: deque[_Future] = deque()
    done: list[BatchSummary] = []

    def collect_oldest() -> None:
        summary = in_flight.popleft().result()
        done.append(summary)
        if progress:
            progress(summary.records_in)

    try:
        for batch in batches:
            while len(in_flight) >= max_in_flight:
                collect_oldest()
            in_flight.append(submit(batch, pool, ctx))
        while in_flight:
            collect_oldest()
    except BaseException:
        # A failed batch or Ctrl-C: stop the others now (their workers are killed, so they
        # end in a moment) and wait for them, so that none of them stages a file after the
        # caller has removed the staging folder.
        pool.abort()
        for future in in_flight:
            with contextlib.suppress(BaseException):
                future.result()
        raise
    return done


def _row_versions(config: ProcessConfig, pipeline_version: str) -> dict[str, Any]:
    """Everything besides the input that a staged row depends on (part of a piece's key)."""
    return {
        "crawl_date": config.crawl_date.isoformat(),
        "pipeline_version": pipeline_version,
        "schema_version": ARTICLES_SCHEMA_VERSION,
        "keep_non_articles": config.keep_non_articles,
        "max_record_bytes": config.max_record_bytes,
        "warc_filter": _filter_config(config.warc_filter),
    }


def _filter_config(warc_filter: WarcFilter | None) -> dict[str, Any] | None:
    if warc_filter is None:
        return None
    return {
        "domains": list(warc_filter.domains),
        "since": warc_filter.since.isoformat() if warc_filter.since else None,
        "until": warc_filter.until.isoformat() if warc_filter.until else None,
    }


def _versions() -> dict[str, str]:
    packages = ("newsflow", "trafilatura", "pyarrow", "prefect", "lxml", "py3langid")
    return {"python": platform.python_version(), **{p: _version(p) for p in packages}}


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds")


def _peak_rss_mb() -> float:
    """Peak resident memory of this process and its (finished) worker processes, in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, children) / 1024, 1)
