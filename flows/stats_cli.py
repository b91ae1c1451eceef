"""`newsflow stats OUTPUT [--start --end]`: last night's run without opening a notebook."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from flows.cli_options import date_option

_RUN_COUNTS = ("records_in", "articles", "quarantined", "duplicates")


def stats(
    output: Annotated[Path, typer.Argument(help="Output root written by `newsflow process`.")],
    start: Annotated[
        date | None,
        typer.Option(parser=date_option, metavar="YYYY-MM-DD", help="First crawl date (incl.)."),
    ] = None,
    end: Annotated[
        date | None,
        typer.Option(parser=date_option, metavar="YYYY-MM-DD", help="Last crawl date (incl.)."),
    ] = None,
    top: Annotated[int, typer.Option(help="Sources to list.")] = 10,
    runs: Annotated[int, typer.Option(help="Run records to list.")] = 5,
) -> None:
    """Rows per crawl date, source and language, quarantine by reason, and the last runs."""
    from tasks.stats import collect_stats

    if not output.is_dir():
        typer.echo(f"error: {output} is not a folder", err=True)  # never wrap a path
        raise typer.Exit(2)
    found = collect_stats(output, start, end, runs=runs)
    out = Console(width=None if sys.stdout.isatty() else 160)
    span = f"{start or '…'} to {end or '…'}"
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
