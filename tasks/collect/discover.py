"""Finding article URLs: feeds, sitemaps, homepages and URL lists (parsing only, no I/O).

The parsing is trafilatura's (`trafilatura.feeds`, `trafilatura.sitemaps`), fed with bodies
that `tasks.collect.fetch` fetched politely; trafilatura's own download helpers are not used, as
they would bypass robots.txt, the per-host delays, the SSRF guard and the WARC archive.
Which URLs are worth fetching is courlan's call (`article_url`).
"""

from __future__ import annotations

import contextlib
import gzip
import zlib
from collections.abc import Iterable

from courlan import check_url, is_navigation_page, is_not_crawlable
from trafilatura.feeds import FeedParameters, determine_feed, extract_links, get_hostinfo
from trafilatura.sitemaps import SitemapObject

from tasks.ingest.decode import DecodeError, decode_content

__all__ = ["article_url", "body_text", "feed_links", "homepage_feeds", "sitemap_links"]


def article_url(url: str) -> str | None:
    """The normalised URL if it looks like an article page, else None.

    courlan's strict check drops media/binary extensions, spam and structural pages and
    tracking parameters; navigation pages (tags, categories, page 2 ...) and pages that are
    not crawlable (login, feeds, archives) are dropped too.
    """
    checked = check_url(url.strip(), strict=True)
    if checked is None:
        return None
    normalised = checked[0]
    if is_navigation_page(normalised) or is_not_crawlable(normalised):
        return None
    return normalised


def body_text(body: bytes, content_encoding: str | None, limit: int) -> str:
    """A fetched feed/sitemap/homepage body as text: content- and file-gzip undone, bounded."""
    # an encoding that cannot be undone: keep the body as it came
    with contextlib.suppress(DecodeError):
        body = decode_content(body, content_encoding, limit)
    if body[:2] == b"\x1f\x8b":  # a .xml.gz sitemap served as a file, not as an encoding
        try:
            body = zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(body, limit)
        except (zlib.error, gzip.BadGzipFile):
            return ""
    return body.decode("utf-8", errors="replace")


def feed_links(feed_url: str, text: str) -> list[str]:
    """Links to entries of an RSS, Atom or JSON feed (same site, as trafilatura keeps them)."""
    domain, base = get_hostinfo(feed_url)
    if domain is None:
        return []
    return extract_links(text, FeedParameters(base, domain, feed_url))


def homepage_feeds(page_url: str, html: str) -> list[str]:
    """Feeds a homepage announces (<link rel=alternate> or feed-looking <a> links)."""
    domain, base = get_hostinfo(page_url)
    if domain is None:
        return []
    return determine_feed(html, FeedParameters(base, domain, page_url))


def sitemap_links(sitemap_url: str, text: str) -> tuple[list[str], list[str]]:
    """(page URLs, nested sitemap URLs) of a sitemap, sitemap index or Google News sitemap."""
    domain, base = get_hostinfo(sitemap_url)
    if domain is None:
        return [], []
    sitemap = SitemapObject(base, domain, [])
    sitemap.current_url = sitemap_url
    sitemap.content = text
    sitemap.process()
    return sitemap.urls, sitemap.sitemap_urls


def unique(urls: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(urls))
