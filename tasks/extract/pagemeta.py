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
from datetime import UTC, datetime

from htmldate import find_date
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

from tasks.normalise.dates import FUTURE_SLACK

LOGGER = logging.getLogger(__name__)

# The Document fields newsflow reads (tasks.extract.record); `date` only when asked for.
USED_FIELDS = ("title", "author", "url", "sitename", "description", "categories", "tags")


def page_metadata(
    tree: HtmlElement,
    url: str | None,
    *,
    with_date: bool,
    with_categories: bool = True,
    now: datetime | None = None,
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
    fetch (a later "updated" stamp, a comment, a footer's year) as their publication."""
    # bare_extraction's default htmldate settings (EXTENSIVE_DATE_SEARCH on); per call,
    # because they hold today's date as the latest plausible one
    date_params = set_date_params(True)
    if now is not None:
        latest = (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(UTC) + FUTURE_SLACK
        date_params["max_date"] = latest.date().isoformat()  # htmldate compares naive days
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
        metadata.date = find_date(tree, **{**date_params, "url": metadata.url})
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
