"""Crawl dates for nightly and backfill runs: ranges, raw locations, which dates to skip."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from schemas import partition_name
from tasks.collect.rawzone import partition_location
from tasks.process.write import MANIFEST_NAME
from tasks.storage.fs import open_storage
from tasks.storage.options import S3Options


def date_range(start: date, end: date) -> list[date]:
    """Every date from `start` to `end`, both included."""
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def raw_location(raw_root: str | Path, day: date) -> str:
    """The raw partition of one crawl date (the layout `collect` writes), local or s3://."""
    return partition_location(raw_root, day)


@dataclass(frozen=True, slots=True)
class DatePlan:
    day: date
    run: bool
    reason: str  # why it runs or is skipped, shown in the backfill summary


def plan_dates(
    days: list[date],
    output: str | Path,
    pipeline_version: str,
    force: bool = False,
    s3: S3Options | None = None,
) -> list[DatePlan]:
    """Which dates a backfill must (re)process: every date whose articles partition is
    not committed by this pipeline version, or all of them with `force`."""
    plans = []
    store = open_storage(output, s3)
    for day in days:
        manifest = store.read_json(f"articles/{partition_name(day)}/{MANIFEST_NAME}")
        committed = manifest.get("pipeline_version") if manifest else None
        if force:
            plans.append(DatePlan(day, True, "forced"))
        elif committed is None:
            plans.append(DatePlan(day, True, "not committed"))
        elif committed != pipeline_version:
            plans.append(DatePlan(day, True, f"committed by {committed}"))
        else:
            plans.append(DatePlan(day, False, f"already committed by {committed}"))
    return plans
