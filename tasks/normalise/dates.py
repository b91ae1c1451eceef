"""Dates: metadata date values parsed to tz-aware UTC (`parse_datetime`), and the choice of
the article's publication time among the page's candidates (`pick_published`).

Parsing rules (`parse_datetime`):
- the time of day and the UTC offset are kept; every result is converted to UTC
  (`2025-03-18T16:48:00+02:00` -> `2025-03-18 14:48 UTC`); `parse_datetime_offset` also
  returns the offset the value was written with (the publisher's calendar day);
- a value without an offset (naive) is taken as UTC: pages rarely say which local time
  they mean, and UTC keeps reruns reproducible whatever the machine's time zone;
- a date without a time is midnight UTC;
- invalid values and implausible ones (before 1990, or more than two days after `now`,
  which callers set to the record's fetch time) are rejected, so the caller moves on to
  the next candidate.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, tzinfo

from dateutil import parser as _dateutil
from dateutil.tz import tzoffset

__all__ = [
    "EARLIEST",
    "FUTURE_SLACK",
    "METADATA_DATE_SOURCES",
    "earlier_everywhere",
    "parse_datetime",
    "parse_datetime_offset",
    "pick_published",
    "stamped_on_save",
]


EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=2)  # time zones and pre-dated embargoed stories

# Abbreviations seen on news pages. dateutil knows only UTC/GMT by itself, and would
# otherwise use the *machine's* zone when the name happens to match it.
# IST is ambiguous (India/Ireland/Israel); India's +05:30 is by far the most common on
# pages that print it (Irish and Israeli sites give ISO offsets in their metadata).
_TZ_HOURS = {
    "UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "BST": 1, "WEST": 1, "CET": 1,
    "IST": 5.5, "CEST": 2, "EET": 2, "EEST": 3, "MSK": 3, "EST": -5, "EDT": -4,
    "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7, "AKST": -9,
    "AKDT": -8, "HST": -10, "JST": 9, "KST": 9, "HKT": 8, "SGT": 8, "AWST": 8,
    "ACST": 9.5, "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13,
}  # fmt: skip

# dateutil reads "GMT+0200" the POSIX way (UTC-2); JavaScript's Date.toString() means +02:00.
_GMT_OFFSET = re.compile(r"\b(?:GMT|UTC)\s*(?=[+-]\d)", re.IGNORECASE)
_PARENTHESISED = re.compile(r"\([^)]*\)")  # "(Central European Summer Time)"
_EPOCH = re.compile(r"\d{10}(?:\d{3})?")  # seconds or milliseconds since 1970
# Two defaults that differ in year, month and day: a component missing from the string
# shows up as a difference between the two parses, and such partial dates are rejected.
_DEFAULT_A = datetime(1904, 1, 1)
_DEFAULT_B = datetime(1905, 2, 2)


def _tzinfos(name: str | None, offset: int | None) -> tzinfo | None:
    if name is None:
        return None if offset is None else tzoffset(None, offset)
    hours = _TZ_HOURS.get(name.upper())
    return None if hours is None else tzoffset(name, int(hours * 3600))


def _parse_loose(value: str) -> datetime | None:
    """RFC 2822, "November 19, 2019", "Tue Nov 19 2019 03:05:46 GMT+0000", ..."""
    text = _GMT_OFFSET.sub("", _PARENTHESISED.sub(" ", value)).strip()
    if not text:
        return None
    try:
        first = _dateutil.parse(text, default=_DEFAULT_A, tzinfos=_tzinfos)
        second = _dateutil.parse(text, default=_DEFAULT_B, tzinfos=_tzinfos)
    except (ValueError, OverflowError, TypeError):
        return None
    if first.date() != second.date():
        return None  # year, month or day missing: "Nov 19", "5", "2019"
    return first


def _to_utc(value: datetime) -> datetime | None:
    try:
        if value.tzinfo is None or value.utcoffset() is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        return None  # e.g. year 1 with a positive offset


def _plausible(value: datetime, now: datetime | None) -> bool:
    reference = now if now is not None else datetime.now(UTC)
    if reference.tzinfo is None:
        reference = reference.replace(tzinfo=UTC)
    try:
        latest = reference + FUTURE_SLACK
    except OverflowError:  # a fetch time at the very end of datetime's range
        latest = datetime.max.replace(tzinfo=UTC)
    return EARLIEST <= value <= latest


def parse_datetime(value: object, now: datetime | None = None) -> datetime | None:
    """A plausible tz-aware UTC datetime from a metadata value, or None.

    ISO 8601 first (`datetime.fromisoformat`), then epoch seconds/milliseconds, then
    dateutil for the other common forms. Naive values are taken as UTC, date-only
    values give midnight UTC. `now` (default: the current time) bounds the future.
    """
    parsed = parse_datetime_offset(value, now)
    return None if parsed is None else parsed[0]


def parse_datetime_offset(
    value: object, now: datetime | None = None
) -> tuple[datetime, int | None] | None:
    """`parse_datetime`'s UTC datetime and the UTC offset in minutes the value was written
    with (None when it had none: naive, date-only, epoch). The offset gives the publisher's
    own calendar day: "2025-06-13T00:30+02:00" is 12 June in UTC but 13 June on the page."""
    if isinstance(value, datetime):
        parsed: datetime | None = value
    elif isinstance(value, str):
        text = value.strip()
        if not text or len(text) > 80:  # longer strings are prose, not dates
            return None
        parsed = _parse_string(text)
    else:
        return None
    if parsed is None:
        return None
    # an epoch count is a bare instant: it says nothing of the publisher's zone
    epoch = isinstance(value, str) and _EPOCH.fullmatch(value.strip()) is not None
    offset = None if epoch else _offset_minutes(parsed)
    parsed = _to_utc(parsed)
    if parsed is None or not _plausible(parsed, now):
        return None
    return parsed, offset


_MAX_OFFSET_MINUTES = 18 * 60  # datetime's own bound; real zones stay within -12..+14 h


def _offset_minutes(value: datetime) -> int | None:
    try:
        offset = value.utcoffset()
    except (OverflowError, ValueError):
        return None
    if offset is None:
        return None
    minutes = round(offset.total_seconds() / 60)
    return minutes if abs(minutes) <= _MAX_OFFSET_MINUTES else None


def _parse_string(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    if _EPOCH.fullmatch(text):
        seconds = int(text) / (1000 if len(text) == 13 else 1)
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return _parse_loose(text)


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# `published_at` sources read from the page's own metadata (with a time and UTC offset)
METADATA_DATE_SOURCES = frozenset({"json-ld", "meta", "time-tag"})


def _url_has_date(url: str | None, day: datetime) -> bool:
    """Whether the URL carries that date: 2025/03/18, 2025-3-18, 20250318, 2025/mar/18."""
    if not isinstance(url, str):
        return False
    y, m, d = day.year, day.month, day.day
    month_name = _MONTHS[m - 1]
    patterns = (
        rf"(?<!\d){y}(?P<sep>[/_.-])0?{m}(?P=sep)0?{d}(?!\d)",
        rf"(?<!\d){y}{m:02d}{d:02d}(?!\d)",
        rf"(?<!\d){y}/{month_name}[a-z]*/0?{d}(?!\d)",
    )
    return any(re.search(p, url, re.IGNORECASE) for p in patterns)


# A declared publication time this close to the declared modification time was most
# likely stamped by the CMS on the last save, not at first publication.
_STAMPED_WITHIN = timedelta(days=1)
# Local clocks run from UTC-12 to UTC+14: a day before (when - 12 h)'s UTC day is earlier
# than `when`'s calendar day wherever the publisher is.
_WESTMOST_OFFSET = timedelta(hours=12)


def stamped_on_save(published: datetime | None, modified: datetime | None) -> bool:
    """Whether the page's declared publication and modification times are the same save:
    then an earlier date shown on the page (htmldate) is worth asking for."""
    if published is None or modified is None:
        return False
    return abs(published - modified) <= _STAMPED_WITHIN


def earlier_everywhere(day: datetime, when: datetime) -> bool:
    """Whether the calendar day `day` (a date-only value, midnight UTC) is before `when`'s
    calendar day in every time zone, so it cannot be the same moment written in the
    publisher's zone: 18 Dec is earlier than 19 Dec 22:00 UTC, not than 19 Dec 03:00 UTC
    (18 Dec 19:00 in California)."""
    return day.date() < (when - _WESTMOST_OFFSET).date()


def pick_published(
    meta_candidates: list[tuple[datetime, str]] | None,
    trafilatura_date: str | None,
    url: str | None,
    now: datetime | None = None,
    modified: datetime | None = None,
    shown: date | None = None,
) -> tuple[datetime | None, str]:
    """Publication time and where it came from.

    The first plausible page-metadata candidate ("json-ld", "meta", "time-tag") wins;
    else the date the page shows under its headline (`shown`, the by-line date of
    `tasks.extract.htmlmeta.shown_publication_date`), else trafilatura's date (YYYY-MM-DD,
    from htmldate), as midnight UTC, with source "url" when the URL contains that date and
    "text" otherwise; else (None, "none"). htmldate's date is kept over the shown one
    only when it is the URL's date: htmldate reads the whole page, and takes dates from
    sidebars, related-article lists and comments.
    One exception: when the metadata candidate is `stamped_on_save` (within a day of the
    declared `modified` time, as CMSs that rewrite both on every save give) and a date the
    page shows (`shown`, else htmldate's original date) is `earlier_everywhere`, the
    earlier date wins: republishing an old article must not make it new.
    `now` bounds plausible dates, as in `parse_datetime`.
    """
    page_date = _page_date(trafilatura_date, shown, url, now)
    for candidate in meta_candidates or []:
        try:
            when, source = candidate
        except (TypeError, ValueError):
            continue
        if source in METADATA_DATE_SOURCES and isinstance(when, datetime):
            parsed = parse_datetime(when, now)
            if parsed is None:
                continue
            resaved = stamped_on_save(parsed, parse_datetime(modified, now))
            earlier = [d for d in page_date if earlier_everywhere(d, parsed)]
            if not (resaved and earlier):
                return parsed, source
            page_date = earlier
            break
    if page_date:
        return page_date[0], "url" if _url_has_date(url, page_date[0]) else "text"
    return None, "none"


def _page_date(
    trafilatura_date: str | None, shown: date | None, url: str | None, now: datetime | None
) -> list[datetime]:
    """The dates the page itself gives, as midnight UTC, best first: the shown by-line
    date, then htmldate's; htmldate's first when it is the URL's date."""
    found = parse_datetime(trafilatura_date, now)  # "YYYY-MM-DD" -> midnight UTC
    shown_at = parse_datetime(shown.isoformat(), now) if shown is not None else None
    ranked = [found, shown_at] if found and _url_has_date(url, found) else [shown_at, found]
    return [d for i, d in enumerate(ranked) if d is not None and d not in ranked[:i]]
