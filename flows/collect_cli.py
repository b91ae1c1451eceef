"""`newsflow collect`: the command, registered in flows/cli.py."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flows.cli_options import date_option
from flows.s3cli import S3Endpoint, use_s3_endpoint
from flows.terminal import console, progress_bar
from tasks.errors import safe_error_text


def collect(
    sources: Annotated[Path, typer.Argument(help="Sources config (TOML), see docs/collect.md.")],
    crawl_date: Annotated[str, typer.Option("--date", help="Crawl date YYYY-MM-DD.")],
    raw: Annotated[
        str, typer.Option("--raw", help="Raw zone root: a folder or s3://bucket/prefix.")
    ] = "raw",
    refetch: Annotated[
        bool, typer.Option(help="Fetch URLs already archived on other dates again.")
    ] = False,
    s3_endpoint: S3Endpoint = None,
) -> None:
    """Fetch the URLs, feeds and sitemaps in SOURCES politely into RAW as WARC."""
    from tasks.collect import load_config, run_collect
    from tasks.collect_report import summary_lines

    day = date_option(crawl_date)
    use_s3_endpoint(s3_endpoint)
    try:
        config = load_config(sources, day, raw, refetch=refetch)
    except (OSError, ValueError) as err:
        console.print(f"[red]error:[/] {err}")
        raise typer.Exit(2) from err
    bar = progress_bar("collecting", "articles")
    with bar:
        task_id = bar.add_task("articles", total=None)
        try:
            summary = run_collect(
                config, progress=lambda done, todo: bar.update(task_id, completed=done, total=todo)
            )
        except Exception as err:  # the run itself failed (lock held, disk full): say why
            console.print(f"[red]collect failed:[/] {safe_error_text(err)}")
            raise typer.Exit(1) from err
    for line in summary_lines(summary):
        typer.echo(line)
