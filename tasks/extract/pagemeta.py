"""trafilatura's page metadata, without the parts newsflow does not use.

`bare_extraction(with_metadata=True)` runs `trafilatura.metadata.extract_metadata`,
which spends about a quarter of the whole extraction time. Three of its searches are
wasted on us: the licence (no column for it, ~0.8 ms a page); htmldate's date when the
page's JSON-LD / meta / <time> already gave `tasks.extract.htmlmeta` a publication date with its
time of day (~0.6 ms); the categories in the page's links when the page declared its
section (~1.6 ms). `page_metadata` runs the same steps in the same order with
trafilatura's own functions and skips those; the extraction itself is then called with
`with_metadata=False`.

tests/extract/test_pagemeta.py checks on every benchmark page that the result equals
`extract_metadata`'s for every field we read, so a trafilatura upgrade that changes
the steps shows up as a failing test, not as silently different rows.
"""

from __future__ import annotations

import logging
import re
from copy import deepcopy
from datetime import UTC, date, datetime, timedelta
from typing import Any

from htmldate import find_date
from htmldate.core import ITEMPROP_ATTRS_MODIFIED, NAME_MODIFIED, PROPERTY_MODIFIED
from lxml.html import HtmlElement
from trafilatura.metadata import (
    META_URL,
    Document,
    examine_meta,
    extract_author,
    extract_catstags,
    extract_domain,
    extract_meta_json,
    extract_sitename,
    extract_title,
    extract_url,
)
from trafilatura.settings import set_date_params

from tasks.extract.htmlmeta import shown_date_in_month
from tasks.normalise.dates import FUTURE_SLACK

LOGGER = logging.getLogger(__name__)

# The Document fields newsflow reads (tasks.extract.record); `date` only when asked for.
USED_FIELDS = ("title", "author", "url", "sitename", "description", "categories", "tags")

# The meta keys htmldate reads as a modification time (and, looking for the original date,
# falls back on): dropped for `_original_date`'s second search.
_MODIFIED_META = frozenset(NAME_MODIFIED | PROPERTY_MODIFIED | ITEMPROP_ATTRS_MODIFIED)


def page_metadata(
    tree: HtmlElement,
    url: str | None,
    *,
    with_date: bool,
    with_categories: bool = True,
    now: datetime | None = None,
    modified: datetime | None = None,
) -> Document:
    """Title, author, site name, description, tags, and (if asked for) categories and
    htmldate's date of a parsed page, as `trafilatura.metadata.extract_metadata` finds
    them. Reads `tree` like trafilatura does (some steps work on copies).

    Categories from the page's meta tags and JSON-LD are always there; `with_categories`
    adds trafilatura's search of the links in the page (~1.6 ms), which newsflow only
    needs when the page declared no section of its own.

    `now` (the record's fetch time) bounds htmldate's date as `parse_datetime` bounds the
    metadata's: no later than two days after it. Without it htmldate's own bound is the
    wall clock, so a backfill of pages fetched years ago would accept dates after their
    fetch (a later "updated" stamp, a comment, a footer's year) as their publication.
    `modified` (the page's declared modification time) is not taken for htmldate's date
    when the page shows an earlier one (`_original_date`)."""
    # bare_extraction's default htmldate settings (EXTENSIVE_DATE_SEARCH on); per call,
    # because they hold today's date as the latest plausible one
    date_params = set_date_params(True)
    if now is not None:
        date_params["max_date"] = _latest_day(now)
    metadata = examine_meta(tree)
    if metadata.author and " " not in metadata.author:
        metadata.author = None  # trafilatura's rule: a one-word meta author is a handle
    try:
        metadata = extract_meta_json(tree, metadata)
    except Exception as err:  # noqa: BLE001 - trafilatura guards this call the same way
        LOGGER.debug("error in JSON metadata extraction: %s", err)
    if not metadata.title:
        metadata.title = extract_title(tree)
    if not metadata.author:
        metadata.author = extract_author(tree)
    if not metadata.url:
        metadata.url = extract_url(tree, url)
    if metadata.url:
        metadata.hostname = extract_domain(metadata.url, fast=True)
    if with_date:
        found = _original_date(tree, {**date_params, "url": metadata.url}, modified)
        metadata.date = _within_url_month(tree, found, url or metadata.url)
    if not metadata.sitename:
        metadata.sitename = extract_sitename(tree)
    if metadata.sitename:
        metadata.sitename = metadata.sitename.lstrip("@")
        if "." not in metadata.sitename and not metadata.sitename[:1].isupper():
            metadata.sitename = metadata.sitename.title()
    elif metadata.url:
        match = META_URL.match(metadata.url)
        if match:
            metadata.sitename = match[1]
    if not metadata.categories and with_categories:
        metadata.categories = extract_catstags("category", tree)
    if not metadata.tags:
        metadata.tags = extract_catstags("tag", tree)
    metadata.filedate = date_params.get("max_date")
    metadata.clean_and_trim()
    return metadata


def byline_author(tree: HtmlElement) -> str | None:
    """The author trafilatura finds in the page's by-line elements (not its metadata),
    for pages whose metadata credits only the site. Works on a copy (~1-3 ms)."""
    return extract_author(tree)


def _latest_day(now: datetime) -> str:
    """The last plausible publication day for a record fetched at `now`, as htmldate takes
    it ("YYYY-MM-DD", compared as a naive day)."""
    try:
        latest = (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(UTC) + FUTURE_SLACK
    except OverflowError:  # a fetch time at the very end of datetime's range
        latest = datetime.max
    return latest.date().isoformat()


def _original_date(
    tree: HtmlElement, params: dict[str, Any], modified: datetime | None
) -> str | None:
    """htmldate's date ("YYYY-MM-DD"), unless it is the page's declared modification day
    and the page shows an earlier date: then that one.

    With no publication date in the page's meta tags, htmldate returns their modification
    time as its "original" date before it reads the page's text, so the last update hides
    a visible "Published January 3, 2024". Searching again without the modification meta
    tags (on a copy) finds that date; it is taken only when it is earlier. A second
    htmldate search (~1-2 ms), only on such pages."""
    found = find_date(tree, **params)
    if found is None or modified is None:
        return found
    try:
        found_day = date.fromisoformat(found)
    except ValueError:  # htmldate's outputformat is ISO; anything else is left as it is
        return found
    modified_day = modified.astimezone(UTC).date()
    # within a day: htmldate reads the modification time in the page's zone, not UTC
    if abs(found_day - modified_day) > timedelta(days=1):
        return found
    unmodified = deepcopy(tree)
    for meta in list(unmodified.iter("meta")):
        keys = {(meta.get(a) or "").strip().lower() for a in ("name", "property", "itemprop")}
        if keys & _MODIFIED_META:
            meta.drop_tree()
    earlier = find_date(unmodified, **params)
    try:
        if earlier is not None and date.fromisoformat(earlier) < min(found_day, modified_day):
            return earlier
    except ValueError:
        pass
    return found


# A URL that dates the page to a month, as blogs' archives do: ".../archive/2025/12/slug"
# (a full ".../2025/12/20/" date is htmldate's own first source).
_URL_MONTH = re.compile(r"/((?:19|20)\d{2})/(0?[1-9]|1[0-2])/(?!\d{1,2}/)")


def _within_url_month(tree: HtmlElement, found: str | None, url: str | None) -> str | None:
    """htmldate's date, unless the URL dates the page to another month: then the first date
    in that month the page's text shows, if any (htmldate's date came from a sidebar or a
    copyright line; the URL is the publisher's own filing of the page)."""
    match = _URL_MONTH.search(url or "")
    if match is None:
        return found
    year, month = int(match[1]), int(match[2])
    if found is not None and found[:7] == f"{year:04d}-{month:02d}":
        return found
    shown = shown_date_in_month(tree, year, month)
    return shown.isoformat() if shown is not None else found
