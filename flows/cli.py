"""`newsflow` command line."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from flows.cli_options import date_option, doc_timeout_option
from flows.collect_cli import collect
from flows.s3cli import S3Endpoint, use_s3_endpoint
from flows.s3cli import cleanup as cleanup_command
from flows.stats_cli import stats
from flows.terminal import console, progress_bar
from tasks.errors import safe_error_text

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="newsflow: clean, queryable news.",
    # a traceback's local variables can hold a client error whose text quotes a credential
    pretty_exceptions_show_locals=False,
)
app.command()(collect)  # implementation in flows/collect_cli.py


app.command()(stats)


@app.callback()
def main() -> None:
    """Batch news pipeline: raw articles -> clean, normalised, partitioned Parquet."""


@app.command()
def process(
    input: Annotated[
        str,
        typer.Argument(
            help="A raw file or folder, or s3://bucket/prefix (html, txt, jsonl, warc)."
        ),
    ],
    crawl_date: Annotated[
        str, typer.Option("--date", help="Crawl date YYYY-MM-DD of these records.")
    ],
    output: Annotated[
        str, typer.Option("--output", "-o", help="Output root: a folder or s3://bucket/prefix.")
    ] = "data",
    workers: Annotated[
        int | None, typer.Option(help="Extraction processes (default: all cores).")
    ] = None,
    batch_size: Annotated[int, typer.Option(help="Records per batch task.")] = 200,
    doc_timeout: Annotated[
        float,
        typer.Option(
            callback=doc_timeout_option, help="Seconds one document may take (positive, finite)."
        ),
    ] = 60.0,
    worker_memory_mb: Annotated[
        int | None,
        typer.Option(
            help="Memory one extraction worker may use on top of its start, in MiB; a page "
            "over it is quarantined as extract/memory_limit "
            "(default: min(2048, 0.8 x machine memory / workers))."
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
        list[str] | None, typer.Option(help="WARC: keep only records of this domain (repeat).")
    ] = None,
    warc_since: Annotated[
        str | None, typer.Option(help="WARC: keep records with WARC-Date >= this (ISO, UTC).")
    ] = None,
    warc_until: Annotated[
        str | None, typer.Option(help="WARC: keep records with WARC-Date < this (ISO, UTC).")
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
        typer.Option(help="Run the batch tasks on this Dask scheduler (tcp://host:port)."),
    ] = None,
    s3_endpoint: S3Endpoint = None,
    keep_non_articles: Annotated[
        bool,
        typer.Option(
            "--keep-non-articles",
            help="Keep pages classified as listing, collection, forum, product, "
            "documentation or service as article rows (column page_type) instead of "
            "quarantining them as extract/not_article.",
        ),
    ] = False,
) -> None:
    """Process INPUT as the raw records of one crawl date into OUTPUT."""
    from tasks.pool import start_forkserver

    start_forkserver()  # the workers' imports now overlap with ours
    day = date_option(crawl_date)
    from tasks.load import WarcFilter

    try:
        WarcFilter.from_options(domain, warc_since, warc_until)
    except ValueError as err:
        raise typer.BadParameter(f"--warc-since/--warc-until must be ISO 8601: {err}") from err
    use_s3_endpoint(s3_endpoint)
    if not input.startswith("s3://") and not Path(input).exists():
        console.print(f"[red]error:[/] input {input} does not exist")
        raise typer.Exit(2)
    if workers is not None and workers < 1:
        raise typer.BadParameter("--workers must be >= 1")
    if worker_memory_mb is not None:
        from tasks.pool import check_worker_memory_mb

        try:
            check_worker_memory_mb(worker_memory_mb)
        except ValueError as err:
            raise typer.BadParameter(str(err), param_hint="--worker-memory-mb") from err
    prefect = prefect or dask_address is not None  # Dask runs go through prefect-dask
    parameters = {
        "input": str(input),
        "output": str(output),
        "crawl_date": day.isoformat(),
        "workers": workers,
        "batch_size": batch_size,
        "doc_timeout": doc_timeout,
        "worker_memory_mb": worker_memory_mb,
        "allow_empty": allow_empty,
        "warc_domains": domain,
        "warc_since": warc_since,
        "warc_until": warc_until,
        "keep_non_articles": keep_non_articles,
    }
    with _progress() as bar:
        task_id = bar.add_task("records", total=None)
        try:
            record = (_run_flow if prefect else _run_plain)(
                parameters, dask_address, lambda n: bar.advance(task_id, n)
            )
        except KeyboardInterrupt as err:  # staging is removed by then, like any failure
            console.print("[red]interrupted:[/] the run stopped and its staging files were removed")
            raise typer.Exit(130) from err
        except Exception as err:  # the run itself failed: say why, exit non-zero
            console.print(f"[red]run failed:[/] {safe_error_text(err)}")
            raise typer.Exit(1) from err
    _print_summary(record)


@app.command()
def show(
    output: Annotated[str, typer.Argument(help="Output root written by `newsflow process`.")],
    crawl_date: Annotated[str, typer.Option("--date", help="Crawl date YYYY-MM-DD.")],
    limit: Annotated[int, typer.Option(help="Article rows to show.")] = 5,
    s3_endpoint: S3Endpoint = None,
) -> None:
    """Query a committed date back from the Parquet: first articles and quarantine reasons."""
    from tasks.peek import first_articles, quarantine_reasons

    use_s3_endpoint(s3_endpoint)

    day = date_option(crawl_date)
    articles = first_articles(output, day, limit)
    table = Table(title=f"articles, crawl_date={day} (first {len(articles)})", title_justify="left")
    for column in ("title", "source_domain", "published_at (UTC)", "lang", "authors", "words"):
        table.add_column(column, overflow="ellipsis", no_wrap=True, max_width=60)
    for row in articles:
        published = row["published_at"]
        table.add_row(
            row["title"] or "",
            row["source_domain"] or "",
            published.strftime("%Y-%m-%d %H:%M") if published else "",
            row["language"] or "",
            ", ".join(row["authors"] or []),
            str(row["word_count"]),
        )
    out = Console(width=None if sys.stdout.isatty() else 160)
    out.print(table)
    reasons = quarantine_reasons(output, day)
    if reasons:
        q = Table(title="quarantine", title_justify="left")
        for column in ("stage", "error_type", "rows", "example"):
            q.add_column(column, overflow="fold")
        for stage, error_type, rows, example in reasons:
            q.add_row(stage, error_type, str(rows), example)
        out.print(q)


@app.command()
def backfill(
    start: Annotated[str, typer.Option(help="First crawl date YYYY-MM-DD.")],
    end: Annotated[str, typer.Option(help="Last crawl date YYYY-MM-DD (included).")],
    raw_root: Annotated[Path, typer.Option(help="Raw zone: RAW_ROOT/crawl_date=D/.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Output root.")] = Path("data"),
    force: Annotated[bool, typer.Option(help="Redo dates already committed.")] = False,
    max_concurrency: Annotated[int, typer.Option(help="Dates processed at once.")] = 2,
    workers: Annotated[int | None, typer.Option(help="Extraction processes per date.")] = None,
    allow_empty: Annotated[
        bool,
        typer.Option(
            "--allow-empty", help="Let a date without articles replace committed articles."
        ),
    ] = False,
    keep_non_articles: Annotated[
        bool,
        typer.Option(
            "--keep-non-articles",
            help="Keep non-article pages as article rows (column page_type) instead of "
            "quarantining them as extract/not_article.",
        ),
    ] = False,
) -> None:
    """Run the backfill flow here (no deployment needed) over START..END, inclusive."""
    for value in (start, end):
        date_option(value)  # a clear message before Prefect starts
    _quiet_prefect()
    from flows.backfill import backfill as backfill_flow

    state = backfill_flow(
        start=start,
        end=end,
        raw_root=str(raw_root),
        output=str(output),
        force=force,
        max_concurrency=max_concurrency,
        workers=workers,
        allow_empty=allow_empty,
        keep_non_articles=keep_non_articles,
        return_state=True,
    )
    rows = state.result(raise_on_failure=False)
    if isinstance(rows, BaseException):
        console.print(f"[red]backfill failed:[/] {rows}")
        raise typer.Exit(1)
    for row in rows:
        articles = f"{row['articles']:>6,} articles" if row["status"] == "done" else ""
        typer.echo(f"  {row['date']}  {row['status']:<8} {articles} {row['reason']}".rstrip())


@app.command()
def serve(
    raw_root: Annotated[str, typer.Option(help="Raw zone the deployments read.")],
    output: Annotated[str, typer.Option("--output", "-o", help="Output root.")],
    timezone: Annotated[
        str | None, typer.Option(help="Timezone of the nightly cron (default: prefect.yaml's).")
    ] = None,
    sources: Annotated[
        str | None, typer.Option(help="Sources TOML the nightly collects before processing.")
    ] = None,
) -> None:
    """Serve the nightly and backfill deployments of infra/prefect.yaml from this process
    (needs a Prefect server: PREFECT_API_URL). Ctrl-C stops serving."""
    from prefect import serve as prefect_serve

    from flows.deployments import runner_deployments

    prefect_serve(*runner_deployments(raw_root, output, timezone, sources=sources))


def _run_plain(parameters: dict, _dask_address: None, progress: Callable[[int], None]) -> dict:
    from tasks.load import WarcFilter
    from tasks.pipeline import ProcessConfig, run_local

    plain = dict(parameters)
    warc_filter = WarcFilter.from_options(
        plain.pop("warc_domains"), plain.pop("warc_since"), plain.pop("warc_until")
    )
    config = ProcessConfig(**plain, warc_filter=warc_filter)
    return run_local(config, progress=progress)


def _run_flow(parameters: dict, dask_address: str | None, progress: Callable[[int], None]) -> dict:
    _quiet_prefect()
    from flows.process import PROGRESS_LISTENERS, process_flow

    PROGRESS_LISTENERS.append(progress)
    try:
        return process_flow(dask_address)(**parameters, dask_address=dask_address)
    finally:
        PROGRESS_LISTENERS.remove(progress)


def _progress() -> Progress:
    return progress_bar("processing", "records")


def _print_summary(record: dict) -> None:
    from tasks.report import summary_rows

    # plain aligned lines, not a table: paths must never be cut or wrapped
    width = max(len(name) for name, _ in summary_rows(record))
    typer.echo("newsflow process")
    for name, value in summary_rows(record):
        typer.echo(f"  {name:<{width}}  {value}")


def _quiet_prefect() -> None:
    # Prefect's per-task log lines would bury the progress bar and the summary; warnings stay.
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    logging.getLogger("prefect").setLevel(logging.WARNING)


app.command("cleanup")(cleanup_command)

if __name__ == "__main__":
    app()
