"""Crawl dates for backfill runs: ranges and which dates to skip."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from tasks.write import read_manifest


def date_range(start: date, end: date) -> list[date]:
    """Every date from `start` to `end`, both included."""
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


@dataclass(frozen=True, slots=True)
class DatePlan:
    day: date
    run: bool
    reason: str  # why it runs or is skipped, shown in the backfill summary


def plan_dates(
    days: list[date], output: str | Path, pipeline_version: str, force: bool = False
) -> list[DatePlan]:
    """Which dates a backfill must (re)process: every date whose articles partition is
    not committed by this pipeline version, or all of them with `force`."""
    plans = []
    for day in days:
        manifest = read_manifest(Path(output) / "articles" / f"crawl_date={day.isoformat()}")
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
