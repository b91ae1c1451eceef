"""`newsflow show`, `stats` and `cleanup`: look into (and tidy) an output root, local or S3.

Registered in flows/cli.py. "Nothing committed" is an error (exit 1) with a message saying
where was looked: an empty table with exit 0 reads like a day without news.
"""

from __future__ import annotations

import sys
from dataclasses import asdict
from datetime import date
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from flows.cli_options import (
    CrawlDate,
    DryRun,
    Json,
    Output,
    S3Endpoint,
    date_option,
    echo_json,
    fail,
    s3_options,
)
from tasks.errors import safe_error_text

_RUN_COUNTS = ("records_in", "articles", "quarantined", "duplicates")


def _stdout() -> Console:
    # piped output keeps long titles and paths instead of wrapping them at 80 columns
    return Console(width=None if sys.stdout.isatty() else 160)


def show(
    crawl_date: CrawlDate,
    output: Output = "data",
    limit: Annotated[int, typer.Option(metavar="N", help="Article rows to show.")] = 5,
    s3_endpoint: S3Endpoint = None,
    as_json: Json = False,
) -> None:
    """Query a committed date back from the Parquet: first articles and quarantine reasons."""
    from tasks.inspect.show import first_articles, is_committed, quarantine_reasons
    from tasks.storage.errors import StorageError
    from tasks.storage.fs import open_storage

    try:
        store = open_storage(output, s3_options(s3_endpoint))
        if not is_committed(store, crawl_date):
            raise fail(f"nothing committed for crawl_date={crawl_date} in {output}")
        articles = first_articles(store, crawl_date, limit)
        reasons = quarantine_reasons(store, crawl_date)
    except (StorageError, ValueError, OSError) as err:
        raise fail(safe_error_text(err)) from err
    if as_json:
        quarantine = [
            {"stage": s, "error_type": e, "rows": n, "example": x} for s, e, n, x in reasons
        ]
        echo_json({"crawl_date": crawl_date, "articles": articles, "quarantine": quarantine})
        return
    table = Table(
        title=f"articles, crawl_date={crawl_date} (first {len(articles)})", title_justify="left"
    )
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
    out = _stdout()
    out.print(table)
    if reasons:
        q = Table(title="quarantine", title_justify="left")
        for column in ("stage", "error_type", "rows", "example"):
            q.add_column(column, overflow="fold")
        for stage, error_type, rows, example in reasons:
            q.add_row(stage, error_type, str(rows), example)
        out.print(q)


def stats(
    output: Output = "data",
    start: Annotated[
        date | None,
        typer.Option(parser=date_option, metavar="YYYY-MM-DD", help="First crawl date (incl.)."),
    ] = None,
    end: Annotated[
        date | None,
        typer.Option(parser=date_option, metavar="YYYY-MM-DD", help="Last crawl date (incl.)."),
    ] = None,
    top: Annotated[int, typer.Option(metavar="N", help="Sources to list.")] = 10,
    runs: Annotated[int, typer.Option(metavar="N", help="Run records to list.")] = 5,
    s3_endpoint: S3Endpoint = None,
    as_json: Json = False,
) -> None:
    """Rows per crawl date, source and language, quarantine by reason, and the last runs."""
    from tasks.inspect.stats import collect_stats
    from tasks.storage.errors import StorageError

    span = f"{start or '…'} to {end or '…'}"
    try:
        found = collect_stats(output, start, end, runs=runs, s3=s3_options(s3_endpoint))
    except (StorageError, ValueError, OSError) as err:
        raise fail(safe_error_text(err)) from err
    if not found.per_date and not found.quarantine:
        raise fail(f"nothing committed in {output} (crawl dates {span})")
    if as_json:
        echo_json(asdict(found) | {"articles": found.articles})
        return
    out = _stdout()
    out.print(f"[bold]{output}[/]  crawl dates {span}: {found.articles:,} articles")
    out.print(_counts("rows per crawl date", "crawl_date", found.per_date))
    shown = found.per_source[:top]
    rest = sum(n for _, n in found.per_source[top:])
    others = [(f"({len(found.per_source) - top} other sources)", rest)] if rest else []
    out.print(_counts(f"rows per source (top {top})", "source_domain", shown + others))
    out.print(_counts("rows per language", "language", found.per_language))
    quarantine = Table(title="quarantine by stage / reason", title_justify="left")
    for column in ("stage", "error_type", "rows"):
        quarantine.add_column(column, justify="right" if column == "rows" else "left")
    for stage, reason, n in found.quarantine:
        quarantine.add_row(stage, reason, f"{n:,}")
    out.print(quarantine if found.quarantine else "quarantine: empty")
    out.print(_runs_table(found.runs))


def cleanup(
    output: Output = "data",
    older_than_hours: Annotated[
        float,
        typer.Option(metavar="HOURS", help="Only remove leftovers idle for longer than this."),
    ] = 6.0,
    s3_endpoint: S3Endpoint = None,
    dry_run: DryRun = False,
    as_json: Json = False,
) -> None:
    """Remove orphaned, uncommitted files (dead runs' staging, uncommitted partition files)."""
    from tasks.storage.cleanup import cleanup as run_cleanup
    from tasks.storage.errors import StorageError

    try:
        report = run_cleanup(output, older_than_hours, s3_options(s3_endpoint), dry_run=dry_run)
    except (StorageError, ValueError) as err:
        raise fail(f"cleanup failed: {safe_error_text(err)}") from err
    if as_json:
        echo_json(asdict(report) | {"dry_run": dry_run})
        return
    verb = "would remove" if dry_run else "removed"
    typer.echo(f"{verb} staging of {len(report.staging_runs)} run(s)")
    for run in report.staging_runs:
        typer.echo(f"  _staging/{run}")
    typer.echo(f"{verb} {len(report.orphan_files)} uncommitted partition file(s)")
    for key in report.orphan_files:
        typer.echo(f"  {key}")


def _counts(title: str, name: str, rows: list[tuple[Any, int]]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column(name)
    table.add_column("rows", justify="right")
    for value, n in rows:
        table.add_row("(null)" if value is None else str(value), f"{n:,}")
    return table


def _runs_table(records: list[dict[str, Any]]) -> Table:
    table = Table(title="last runs (_runs/*.json)", title_justify="left")
    for column in ("finished (UTC)", "crawl_date", "status"):
        table.add_column(column)
    for column in ("in", "articles", "quarantined", "duplicates"):
        table.add_column(column, justify="right")
    table.add_column("run_id", overflow="fold")
    for r in records:
        counts = r.get("counts", {})
        table.add_row(
            r.get("timings", {}).get("finished_at", "")[:19].replace("T", " "),
            r.get("crawl_date", ""),
            r.get("status", ""),
            *(f"{counts.get(k, 0):,}" for k in _RUN_COUNTS),
            r.get("run_id", ""),
        )
    return table
