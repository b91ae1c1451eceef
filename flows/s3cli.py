"""CLI pieces for storage locations: the `--s3-endpoint` option and `newsflow cleanup`."""

from __future__ import annotations

import os
from typing import Annotated

import typer

S3Endpoint = Annotated[
    str | None,
    typer.Option(
        "--s3-endpoint",
        envvar="NEWSFLOW_S3_ENDPOINT",
        help="S3-compatible endpoint URL (MinIO, SeaweedFS, R2); credentials: AWS chain.",
        show_default=False,
    ),
]


def use_s3_endpoint(endpoint: str | None) -> None:
    """Make the endpoint the process-wide default: Prefect tasks and worker processes read
    NEWSFLOW_S3_ENDPOINT, so nothing else has to carry it."""
    if endpoint:
        os.environ["NEWSFLOW_S3_ENDPOINT"] = endpoint


def cleanup(
    location: Annotated[str, typer.Argument(help="Output root: a folder or s3://bucket/prefix.")],
    older_than_hours: Annotated[
        float, typer.Option(help="Only remove leftovers idle for longer than this.")
    ] = 6.0,
    s3_endpoint: S3Endpoint = None,
) -> None:
    """Remove orphaned, uncommitted files (dead runs' staging, uncommitted partition files)."""
    from tasks.cleanup import cleanup as run_cleanup
    from tasks.storage import StorageError

    use_s3_endpoint(s3_endpoint)
    try:
        report = run_cleanup(location, older_than_hours)
    except (StorageError, ValueError) as err:
        typer.echo(f"cleanup failed: {err}", err=True)
        raise typer.Exit(1) from err
    typer.echo(f"removed staging of {len(report.staging_runs)} run(s)")
    for run in report.staging_runs:
        typer.echo(f"  _staging/{run}")
    typer.echo(f"removed {len(report.orphan_files)} uncommitted partition file(s)")
    for key in report.orphan_files:
        typer.echo(f"  {key}")
