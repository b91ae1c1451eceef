"""`newsflow` command line."""

from __future__ import annotations

import logging
import os
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from flows.s3cli import S3Endpoint, use_s3_endpoint
from flows.s3cli import cleanup as cleanup_command

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="newsflow: clean, queryable news."
)
console = Console(stderr=True)


@app.callback()
def main() -> None:
    """Batch news pipeline: raw articles -> clean, normalised, partitioned Parquet."""


def _parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as err:
        raise typer.BadParameter(f"{value!r} is not a YYYY-MM-DD date") from err


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
    doc_timeout: Annotated[float, typer.Option(help="Seconds one document may take.")] = 60.0,
    s3_endpoint: S3Endpoint = None,
) -> None:
    """Process INPUT as the raw records of one crawl date into OUTPUT."""
    day = _parse_date(crawl_date)
    use_s3_endpoint(s3_endpoint)
    if not input.startswith("s3://") and not Path(input).exists():
        console.print(f"[red]error:[/] input {input} does not exist")
        raise typer.Exit(2)
    if workers is not None and workers < 1:
        raise typer.BadParameter("--workers must be >= 1")
    _quiet_prefect()
    from flows.process import PROGRESS_LISTENERS
    from flows.process import process as process_flow

    with _progress() as bar:
        task_id = bar.add_task("records", total=None)
        listener = lambda n: bar.advance(task_id, n)  # noqa: E731
        PROGRESS_LISTENERS.append(listener)
        try:
            record = process_flow(
                input=input,
                output=output,
                crawl_date=day.isoformat(),
                workers=workers,
                batch_size=batch_size,
                doc_timeout=doc_timeout,
            )
        except Exception as err:  # the run itself failed: say why, exit non-zero
            console.print(f"[red]run failed:[/] {type(err).__name__}: {err}")
            raise typer.Exit(1) from err
        finally:
            PROGRESS_LISTENERS.remove(listener)
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

    day = _parse_date(crawl_date)
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


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]processing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("records"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not sys.stderr.isatty(),
    )


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
