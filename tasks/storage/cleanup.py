"""Remove what dead runs left behind, on local disk and on S3 alike (`newsflow cleanup`).

- `_staging/<run id>/` folders idle for longer than the threshold (a run killed mid-way);
- S3 only: files inside a committed partition that its manifest does not list and that are
  older than the threshold (a commit killed between copying its files in and deleting the
  previous generation). Local partitions are swapped whole and cannot hold such files.

Nothing younger than the threshold is touched, so a run in progress is never disturbed, and
a partition is only repaired under its commit lock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tasks.process.write import ARTICLES, QUARANTINE, remove_stale_staging
from tasks.storage.fs import Storage, open_storage
from tasks.storage.options import S3Options

DEFAULT_OLDER_THAN_HOURS = 6.0


@dataclass
class CleanupReport:
    staging_runs: list[str] = field(default_factory=list)  # run ids whose staging was removed
    orphan_files: list[str] = field(default_factory=list)  # keys of uncommitted partition files


def cleanup(
    location: str | Path | Storage,
    older_than_hours: float = DEFAULT_OLDER_THAN_HOURS,
    s3: S3Options | None = None,
    dry_run: bool = False,
) -> CleanupReport:
    """Delete orphaned, uncommitted files older than `older_than_hours` under `location`
    (`dry_run`: report them, delete nothing)."""
    if older_than_hours < 0:
        raise ValueError("older_than_hours must be >= 0")
    store = open_storage(location, s3)
    seconds = older_than_hours * 3600
    report = CleanupReport(staging_runs=remove_stale_staging(store, seconds, dry_run))
    for table in (ARTICLES, QUARANTINE):
        for partition in store.list_dirs(table):
            if partition.startswith("crawl_date="):
                report.orphan_files += store.repair_partition(
                    f"{table}/{partition}", seconds, dry_run
                )
    return report
