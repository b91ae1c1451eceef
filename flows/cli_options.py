"""What every `newsflow` command shares: one spelling per option, strict parsing, one way to
reach S3, and a Prefect that stays quiet.

One convention: `--output/-o` for the output root, `--raw-root` for the raw zone,
`--s3-endpoint` wherever a location may be s3://, dates typed YYYY-MM-DD and strict,
metavars in capitals. The types below are used as-is by every command, so a change here
changes all of them.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup, TyperOption

from tasks.process.options import check_doc_timeout, parse_crawl_date

if TYPE_CHECKING:  # storage pulls in urllib3 (~0.2 s): not on every command's start-up
    from tasks.storage.options import S3Options


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


def _date(help_text: str, flag: str = "--date") -> Any:
    return typer.Option(flag, parser=date_option, metavar="YYYY-MM-DD", help=help_text)


LOCATION_HELP = "a folder or s3://bucket/prefix"

Output = Annotated[
    str,
    typer.Option("--output", "-o", metavar="LOCATION", help=f"Output root: {LOCATION_HELP}."),
]
RawRoot = Annotated[
    str,
    typer.Option(
        "--raw-root",
        metavar="LOCATION",
        help=f"Raw zone root (RAW_ROOT/crawl_date=D/): {LOCATION_HELP}.",
    ),
]
CrawlDate = Annotated[date, _date("Crawl date.")]
OptionalCrawlDate = Annotated[date | None, _date("Crawl date (default: yesterday, UTC).")]
StartDate = Annotated[date, _date("First crawl date.", "--start")]
EndDate = Annotated[date, _date("Last crawl date (included).", "--end")]
S3Endpoint = Annotated[
    str | None,
    typer.Option(
        "--s3-endpoint",
        envvar="NEWSFLOW_S3_ENDPOINT",
        metavar="URL",
        help="S3-compatible endpoint URL (MinIO, SeaweedFS, R2); credentials: AWS chain.",
        show_default=False,
    ),
]
Json = Annotated[
    bool,
    typer.Option(
        "--json", help="Print a machine-readable summary (JSON) on stdout, and nothing else."
    ),
]
KeepNonArticles = Annotated[
    bool,
    typer.Option(
        "--keep-non-articles",
        help="Keep pages classified as listing, collection, forum, product, documentation "
        "or service as article rows (column page_type) instead of quarantining them as "
        "extract/not_article.",
    ),
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Say what would be done, change nothing.")]


class _PlainHelp:
    """Help and usage in one style: metavars in capitals (`INPUT`, `YYYY-MM-DD`, `N`),
    no `{INPUT}` braces, no `<bool>`/`<str>` type labels (Typer's defaults)."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        for param in self.get_params(ctx):  # type: ignore[attr-defined]
            # arguments show their name already; flags take no value
            shown = param.metavar if isinstance(param, TyperOption) else None
            param.display_type_rich = lambda ctx, shown=shown: shown
        super().format_help(ctx, formatter)  # type: ignore[misc]

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return [p.strip("{}") for p in super().collect_usage_pieces(ctx)]  # type: ignore[misc]


class Command(_PlainHelp, TyperCommand):
    """Every `newsflow` command (`app.command(cls=Command)`)."""


class Group(_PlainHelp, TyperGroup):
    """The `newsflow` group itself."""


def s3_options(endpoint: str | None) -> S3Options | None:
    """The `--s3-endpoint` as S3Options, handed explicitly to whatever opens a location
    (no environment writes: a flow or library caller gets the same behaviour by passing it).
    None: storage falls back to NEWSFLOW_S3_* and the AWS chain."""
    from tasks.storage.options import S3Options

    return S3Options(endpoint_url=endpoint) if endpoint else None


def echo_json(payload: Any) -> None:
    """One JSON document on stdout (dates in ISO 8601, other objects as strings)."""
    typer.echo(json.dumps(payload, default=_json_value, indent=2, sort_keys=True))


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else str(value)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print `error: message` on stderr (plain text: a path is never wrapped or cut) and
    return the Exit to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


# Prefect's own settings, for runs started from the CLI: its anonymous telemetry is sent
# by the temporary local server, which competes with the run for the SQLite database and
# prints a 130-line "database is locked / Failed to send telemetry" traceback the user did
# not cause. Only defaults: a user's explicit setting wins.
_PREFECT_CLI_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    # per-task log lines would bury the progress bar and the summary; warnings stay
    "PREFECT_LOGGING_LEVEL": "WARNING",
}


def quiet_prefect() -> None:
    """Call before Prefect is imported: its settings are read when it starts, and the
    temporary server inherits this process's environment."""
    for name, value in _PREFECT_CLI_DEFAULTS.items():
        os.environ.setdefault(name, value)
    logging.getLogger("prefect").setLevel(logging.WARNING)
