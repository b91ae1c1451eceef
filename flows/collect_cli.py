"""`newsflow collect`: the command, registered in flows/cli.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from flows.cli_options import (
    Json,
    OptionalCrawlDate,
    RawRoot,
    S3Endpoint,
    echo_json,
    fail,
    s3_options,
)
from flows.terminal import console, progress_bar
from tasks.errors import safe_error_text
from tasks.process.options import resolve_crawl_date


def collect(
    sources: Annotated[
        Path,
        typer.Argument(metavar="SOURCES", help="Sources config (TOML), see docs/collect.md."),
    ],
    crawl_date: OptionalCrawlDate = None,
    raw_root: RawRoot = "raw",
    refetch: Annotated[
        bool, typer.Option(help="Fetch URLs already archived on other dates again.")
    ] = False,
    s3_endpoint: S3Endpoint = None,
    as_json: Json = False,
) -> None:
    """Fetch the URLs, feeds and sitemaps in SOURCES politely into RAW_ROOT as WARC."""
    from tasks.collect.crawler import load_config, run_collect
    from tasks.collect.run_report import nothing_found_warning, summary_lines

    day: date = resolve_crawl_date(crawl_date)
    try:
        config = load_config(sources, day, raw_root, refetch=refetch)
    except (OSError, ValueError) as err:
        raise fail(str(err), 2) from err
    config = replace(config, s3=s3_options(s3_endpoint))
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
    warning = nothing_found_warning(summary)
    if as_json:
        echo_json(summary)
    else:
        for line in summary_lines(summary):
            typer.echo(line)
    if warning:  # on stderr, also with --json: a night that found nothing must be seen
        typer.echo(f"warning: {warning}", err=True)
