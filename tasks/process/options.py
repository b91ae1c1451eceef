"""Strict checks of run options, shared by the CLI and the flows, done before any work.

One parser for every crawl date given on the command line or as a flow parameter:
`date.fromisoformat` alone accepts ISO week dates (`2025-W11-1`) and basic forms
(`20250301`), and `strptime("%Y-%m-%d")` accepts `2025-3-1`; a typo must not silently
become another day's partition.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta

_CRAWL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_crawl_date(value: str | date) -> date:
    """`YYYY-MM-DD` (exactly) -> date; a date passes through. Raises ValueError otherwise."""
    if isinstance(value, date):
        return value
    text = value.strip() if isinstance(value, str) else value
    if not isinstance(text, str) or not _CRAWL_DATE.fullmatch(text):
        raise ValueError(f"{value!r} is not a YYYY-MM-DD date")
    try:
        return date.fromisoformat(text)
    except ValueError as err:  # 2025-02-30, month 13...
        raise ValueError(f"{value!r} is not a valid YYYY-MM-DD date: {err}") from err


def resolve_crawl_date(value: str | date | None) -> date:
    """An explicit date (strictly YYYY-MM-DD), or yesterday in UTC: the nightly's default,
    and `newsflow process`'s, so that a run by hand and a scheduled one pick the same day."""
    if value is None or value == "":
        return (datetime.now(UTC) - timedelta(days=1)).date()
    return parse_crawl_date(value)


def check_doc_timeout(seconds: float) -> float:
    """The per-document time limit: a positive, finite number of seconds.

    0 would quarantine every document as a timeout, and nan or inf can never expire.
    """
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise ValueError(f"doc_timeout must be a number of seconds, not {seconds!r}")
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"doc_timeout must be a positive, finite number of seconds, not {seconds}")
    return float(seconds)
