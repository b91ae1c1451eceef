"""Option parsing shared by the CLI commands: one strict crawl-date parser everywhere."""

from __future__ import annotations

from datetime import date

import typer

from tasks.options import check_doc_timeout, parse_crawl_date


def date_option(value: str | date) -> date:
    """A `--date`/`--start`/`--end` value: strictly YYYY-MM-DD, else a usage error (exit 2)."""
    try:
        return parse_crawl_date(value)
    except ValueError as err:
        raise typer.BadParameter(str(err)) from err


def doc_timeout_option(value: float) -> float:
    """`--doc-timeout`: positive and finite, else a usage error (exit 2)."""
    try:
        return check_doc_timeout(value)
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--doc-timeout") from err
