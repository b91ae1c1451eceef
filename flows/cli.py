"""`newsflow` command line: one convention for every command (flows/cli_options.py).

Commands in pipeline order: collect, process, backfill, serve, show, stats, cleanup.
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import Progress

from flows.cli_options import (
    Command,
    DryRun,
    EndDate,
    Group,
    Json,
    KeepNonArticles,
    OptionalCrawlDate,
    Output,
    RawRoot,
    S3Endpoint,
    StartDate,
    doc_timeout_option,
    echo_json,
    fail,
    quiet_prefect,
    s3_options,
)
from flows.collect_cli import collect
from flows.inspect_cli import cleanup, show, stats
from flows.terminal import console, progress_bar
from tasks.errors import safe_error_text
from tasks.process.options import resolve_crawl_date

if TYPE_CHECKING:
    from tasks.process.pipeline import ProcessConfig

app = typer.Typer(
    cls=Group,
    add_completion=False,
    no_args_is_help=True,
    help="newsflow: clean, queryable news.",
    # a traceback's local variables can hold a client error whose text quotes a credential
    pretty_exceptions_show_locals=False,
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError
        from importlib.metadata import version as package_version

        try:
            typer.echo(f"newsflow {package_version('newsflow')}")
        except PackageNotFoundError:  # run from a source tree that was never installed
            typer.echo("newsflow (not installed)")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Batch news pipeline: raw articles -> clean, normalised, partitioned Parquet."""


app.command(cls=Command)(collect)  # implementation in flows/collect_cli.py


@app.command(cls=Command)
def process(
    input: Annotated[
        str,
        typer.Argument(
            metavar="INPUT",
            help="A raw file or folder, or s3://bucket/prefix (html, txt, jsonl, warc).",
        ),
    ],
    crawl_date: OptionalCrawlDate = None,
    output: Output = "data",
    workers: Annotated[
        int | None, typer.Option(metavar="N", help="Extraction processes (default: all cores).")
    ] = None,
    batch_size: Annotated[int, typer.Option(metavar="N", help="Records per batch task.")] = 200,
    doc_timeout: Annotated[
        float,
        typer.Option(
            callback=doc_timeout_option,
            metavar="SECONDS",
            help="Seconds one document may take (positive, finite).",
        ),
    ] = 60.0,
    worker_memory_mb: Annotated[
        int | None,
        typer.Option(
            metavar="MIB",
            help="Memory one extraction worker may use on top of its start, in MiB; a page "
            "over it is quarantined as extract/memory_limit "
            "(default: min(2048, 0.8 x machine memory / workers)).",
        ),
    ] = None,
    allow_empty: Annotated[
        bool,
        typer.Option(
            "--allow-empty",
            help="Let a run without articles replace a date that has committed articles "
            "(refused by default: an empty or wrong input must not delete a good day).",
        ),
    ] = False,
    domain: Annotated[
        list[str] | None,
        typer.Option(metavar="DOMAIN", help="WARC: keep only records of this domain (repeat)."),
    ] = None,
    warc_since: Annotated[
        str | None,
        typer.Option(metavar="ISO", help="WARC: keep records with WARC-Date >= this (ISO, UTC)."),
    ] = None,
    warc_until: Annotated[
        str | None,
        typer.Option(metavar="ISO", help="WARC: keep records with WARC-Date < this (ISO, UTC)."),
    ] = None,
    prefect: Annotated[
        bool,
        typer.Option(
            "--prefect",
            help="Run as a tracked Prefect flow run (against PREFECT_API_URL, or a "
            "temporary local server). Default: the same pipeline without an orchestrator, "
            "which starts in ~2 s instead of 6-12 s. Deployed flows always use Prefect.",
        ),
    ] = False,
    dask_address: Annotated[
        str | None,
        typer.Option(
            metavar="ADDRESS", help="Run the batch tasks on this Dask scheduler (tcp://host:port)."
        ),
    ] = None,
    s3_endpoint: S3Endpoint = None,
    keep_non_articles: KeepNonArticles = False,
    as_json: Json = False,
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="Extract every input again instead of reusing the rows an earlier run of "
            "the date staged for unchanged files.",
        ),
    ] = False,
) -> None:
    """Process INPUT as the raw records of one crawl date into OUTPUT."""
    from tasks.process.pool import start_forkserver

    start_forkserver()  # the workers' imports now overlap with ours
    from tasks.ingest.filters import WarcFilter
    from tasks.process.pipeline import ProcessConfig
    from tasks.storage.uri import missing_local_path

    if missing_local_path(input):
        raise fail(f"input {input} does not exist", 2)
    try:
        warc_filter = WarcFilter.from_options(domain, warc_since, warc_until)
    except ValueError as err:
        raise typer.BadParameter(f"--warc-since/--warc-until must be ISO 8601: {err}") from err
    try:  # every option checked once, here, before anything starts
        config = ProcessConfig(
            input=input,
            crawl_date=resolve_crawl_date(crawl_date),
            output=output,
            workers=workers,
            batch_size=batch_size,
            doc_timeout=doc_timeout,
            warc_filter=warc_filter,
            s3=s3_options(s3_endpoint),
            allow_empty=allow_empty,
            worker_memory_mb=worker_memory_mb,
            keep_non_articles=keep_non_articles,
            full=full,
        )
    except ValueError as err:
        raise typer.BadParameter(str(err)) from err
    run = _run_flow if prefect or dask_address is not None else _run_plain  # Dask: prefect-dask
    with _progress() as bar:
        task_id = bar.add_task("records", total=None)
        try:
            record = run(config, dask_address, lambda n: bar.advance(task_id, n))
        except KeyboardInterrupt as err:  # staging is removed by then, like any failure
            console.print(
                "[red]interrupted:[/] the run stopped and its staging files were removed; "
                "a rerun reuses the batches it completed"
            )
            raise typer.Exit(130) from err
        except Exception as err:  # the run itself failed: say why, exit non-zero
            console.print(f"[red]run failed:[/] {safe_error_text(err)}")
            raise typer.Exit(1) from err
    if as_json:
        echo_json(record)
    else:
        _print_summary(record)


@app.command(cls=Command)
def backfill(
    start: StartDate,
    end: EndDate,
    raw_root: RawRoot,
    output: Output = "data",
    force: Annotated[bool, typer.Option(help="Redo dates already committed.")] = False,
    max_concurrency: Annotated[int, typer.Option(metavar="N", help="Dates processed at once.")] = 2,
    workers: Annotated[
        int | None, typer.Option(metavar="N", help="Extraction processes per date.")
    ] = None,
    allow_empty: Annotated[
        bool,
        typer.Option(
            "--allow-empty", help="Let a date without articles replace committed articles."
        ),
    ] = False,
    s3_endpoint: S3Endpoint = None,
    dry_run: DryRun = False,
    as_json: Json = False,
    keep_non_articles: KeepNonArticles = False,
) -> None:
    """Run the backfill flow here (no deployment needed) over START..END, inclusive."""
    from tasks.process.backfill_plan import date_range, plan_dates
    from tasks.process.pipeline import pipeline_version

    # every argument is checked before Prefect starts (its start-up takes seconds)
    try:
        days = date_range(start, end)
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--end") from err
    if max_concurrency < 1:
        raise typer.BadParameter("must be >= 1", param_hint="--max-concurrency")
    if workers is not None and workers < 1:
        raise typer.BadParameter("must be >= 1", param_hint="--workers")
    s3 = s3_options(s3_endpoint)
    if dry_run:
        try:
            plans = plan_dates(days, output, pipeline_version(), force, s3=s3)
        except Exception as err:  # an unreachable or misconfigured output root
            raise fail(safe_error_text(err)) from err
        rows = [
            {
                "date": p.day.isoformat(),
                "status": "would run" if p.run else "skip",
                "reason": p.reason,
            }
            for p in plans
        ]
        _print_backfill(rows, as_json, dry_run=True)
        return
    quiet_prefect()
    from flows.backfill import BackfillIncomplete
    from flows.backfill import backfill as backfill_flow

    state = backfill_flow(
        start=start.isoformat(),
        end=end.isoformat(),
        raw_root=raw_root,
        output=output,
        force=force,
        max_concurrency=max_concurrency,
        workers=workers,
        allow_empty=allow_empty,
        s3=s3,
        keep_non_articles=keep_non_articles,
        return_state=True,
    )
    result = state.result(raise_on_failure=False)
    if isinstance(result, BackfillIncomplete):  # some dates failed: their table all the same
        _print_backfill(result.rows, as_json)
        console.print(f"[red]backfill failed:[/] {result}")
        raise typer.Exit(1)
    if isinstance(result, BaseException):
        console.print(f"[red]backfill failed:[/] {safe_error_text(result)}")
        raise typer.Exit(1)
    _print_backfill(result, as_json)


def _print_backfill(rows: list[dict[str, Any]], as_json: bool, dry_run: bool = False) -> None:
    if as_json:
        echo_json({"dry_run": dry_run, "dates": rows})
        return
    for row in rows:
        articles = f"{row['articles']:>6,} articles" if row["status"] == "done" else ""
        typer.echo(f"  {row['date']}  {row['status']:<9} {articles} {row['reason']}".rstrip())


@app.command(cls=Command)
def serve(
    raw_root: RawRoot,
    output: Output,
    timezone: Annotated[
        str | None,
        typer.Option(metavar="TZ", help="Timezone of the nightly cron (default: prefect.yaml's)."),
    ] = None,
    sources: Annotated[
        str | None,
        typer.Option(metavar="FILE", help="Sources TOML the nightly collects before processing."),
    ] = None,
    s3_endpoint: S3Endpoint = None,
) -> None:
    """Serve the nightly and backfill deployments of infra/prefect.yaml from this process
    (needs a Prefect server: PREFECT_API_URL).

    Ctrl-C stops serving and pauses the deployments: no scheduled run until served again."""
    quiet_prefect()
    from prefect import serve as prefect_serve

    from flows.deployments import runner_deployments

    deployments = runner_deployments(
        raw_root, output, timezone, sources=sources, s3=s3_options(s3_endpoint)
    )
    prefect_serve(*deployments)


app.command(cls=Command)(show)  # show, stats, cleanup: flows/inspect_cli.py
app.command(cls=Command)(stats)
app.command(cls=Command)(cleanup)


def _run_plain(
    config: ProcessConfig, _dask_address: str | None, progress: Callable[[int], None]
) -> dict[str, Any]:
    from tasks.process.pipeline import run_local

    return run_local(config, progress=progress)


def _run_flow(
    config: ProcessConfig, dask_address: str | None, progress: Callable[[int], None]
) -> dict[str, Any]:
    quiet_prefect()
    from flows.process import process_flow

    flow = process_flow(dask_address)
    record: dict[str, Any] = flow(config=config, dask_address=dask_address, progress=progress)  # type: ignore[assignment]  # with_options loses the return type
    return record


def _progress() -> Progress:
    return progress_bar("processing", "records")


def _print_summary(record: dict[str, Any]) -> None:
    from tasks.process.run_report import summary_rows

    # plain aligned lines, not a table: paths must never be cut or wrapped
    width = max(len(name) for name, _ in summary_rows(record))
    typer.echo("newsflow process")
    for name, value in summary_rows(record):
        typer.echo(f"  {name:<{width}}  {value}")


def run() -> None:
    """The `newsflow` program (pyproject's console script): `app`, leaving without tearing
    the interpreter down once the exit handlers have run and the output is flushed.

    Freeing every object that pyarrow, pandas and the extraction libraries made takes
    ~0.25 s at the end of every command, and a caller reading our output waits for it.
    Only an ordinary exit takes this way; an exception or Ctrl-C ends as Python ends it.
    """
    status = {"code": 1}
    atexit.register(_leave, status)  # before the handlers of what the command imports: last
    try:
        app()
        status["code"] = 0
    except SystemExit as stop:
        if stop.code is None or isinstance(stop.code, int):
            status["code"] = stop.code or 0
            raise
        atexit.unregister(_leave)
        raise
    except BaseException:
        atexit.unregister(_leave)
        raise


def _leave(status: dict[str, int]) -> None:
    # the one handler registered before ours that matters: log handlers flush and close
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status["code"])


if __name__ == "__main__":
    run()
