"""Which WARC records a run keeps: `WarcFilter` (domains, a WARC-Date window), parsed from
the CLI/flow options once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from tasks.ingest.common import parse_iso_utc
from tasks.normalise.urls import host_of

__all__ = ["WarcFilter"]


@dataclass(frozen=True, slots=True)
class WarcFilter:
    """Which WARC records to keep (a CC-NEWS backfill wants a few sites or hours of a file).

    `domains`: a record is kept when its target host is one of them or a subdomain of one.
    `since`/`until`: WARC-Date window, [since, until), timezone-aware. A record without a
    parseable WARC-Date is kept only when no window is set.
    """

    domains: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None

    @classmethod
    def from_options(
        cls, domains: Iterable[str] | None, since: str | None, until: str | None
    ) -> WarcFilter | None:
        """From CLI/flow options (ISO 8601, naive = UTC); None when none is set.

        Raises ValueError for a date/time that is not ISO 8601.
        """
        names = tuple(d.strip().lower().rstrip(".") for d in domains or () if d.strip())
        if not names and not since and not until:
            return None
        return cls(names, _parse_option_time(since), _parse_option_time(until))

    def reason(self, url: str | None, warc_date: str | None) -> str | None:
        """'domain' or 'date' when the record is filtered out, else None."""
        if self.domains:
            host = host_of(url) or ""
            if not any(host == d or host.endswith("." + d) for d in self.domains):
                return "domain"
        if self.since is not None or self.until is not None:
            when = parse_iso_utc(warc_date)
            if when is None:
                return "date"
            if (self.since is not None and when < self.since) or (
                self.until is not None and when >= self.until
            ):
                return "date"
        return None


def _parse_option_time(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = parse_iso_utc(value)
    if parsed is None:
        datetime.fromisoformat(value.strip())  # raises ValueError naming a bad format
        raise ValueError(f"{value.strip()!r} is out of range once converted to UTC")
    return parsed
