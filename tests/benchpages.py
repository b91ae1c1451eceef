"""Real news pages from the ScrapingHub benchmark, for the crawler's test sites to serve."""

from __future__ import annotations

import gzip

from conftest import REPO

PAGES = REPO / "benchmarks" / "data" / "scrapinghub" / "html"


def page(n: int) -> bytes:
    """A real news page from the ScrapingHub benchmark (canonical links renamed, so every
    page keeps the URL it was served under)."""
    files = sorted(PAGES.glob("*.html.gz"))
    html = gzip.decompress(files[n].read_bytes())
    return html.replace(b'rel="canonical"', b'rel="x-canonical"').replace(
        b'property="og:url"', b'property="x-og:url"'
    )
