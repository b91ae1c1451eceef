"""Same-site corpora built from real pages: several ScrapingHub benchmark articles (MIT,
benchmarks/data/scrapinghub) set into one site's template, as HTML pages and as whole-page
text dumps. Used by tests/normalise/test_siteboiler.py and benchmarks/site_boilerplate.py.

The template carries what news sites repeat on every page: a cookie banner, the masthead
and navigation, a dated by-line, a share bar, a newsletter box and a "Read more" teaser
inside the article, "More in this section" (links to the site's other articles, rotating)
and "Most read" lists, and a footer with its link line and copyright. Each page's expected
text is the benchmark's ground-truth `articleBody` of the article set into it.

    from site_corpus import build_site, site_articles
    pages = build_site(site_articles(8))      # 8 pages of https://news.example.com/...
"""

from __future__ import annotations

import html
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import lxml.html

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import corpus  # noqa: E402
from make_text_dumps import render_text_dump  # noqa: E402

from tasks.normalise.titles import clean_title  # noqa: E402

SITE = "https://news.example.com"  # registered domain example.com (a reserved name)
SITE_NAME = "The Example Herald"
RELATED = 4  # "More in this section" links per page: each title is on RELATED other pages
MOST_READ = 5

COOKIE_BANNER = (
    "We use cookies and similar technologies to give you the best experience on our "
    "website, to personalise content and ads and to analyse our traffic. By continuing to "
    "browse you agree to our use of cookies. You can change your preferences at any time "
    "in our Cookie Policy."
)
NEWSLETTER = (
    "Sign up to the Morning Briefing: the day's top stories from The Example Herald, "
    "delivered to your inbox every weekday at 7am. You can unsubscribe at any time."
)
SHARE = "Share this article: Facebook Twitter WhatsApp Email"
FOOTER_LINKS = (
    "About us Contact us Cookie Policy Privacy Policy Brand Safety Terms and Conditions "
    "Advertise with us Careers"
)
COPYRIGHT = "© 2025 The Example Herald Ltd. All rights reserved. Registered in England No. 0123456."


@dataclass(frozen=True, slots=True)
class SitePage:
    url: str
    title: str
    html: str  # the page in the site's template
    dump: str  # the page rendered as a browser's "select all, copy" text
    truth: str  # the article body alone (the benchmark's ground truth)
    page_id: str  # the ScrapingHub page it came from


def site_articles(count: int, root: Path = corpus.DATA) -> list[corpus.Page]:
    """`count` English benchmark articles of moderate length, the same ones every time."""
    import py3langid

    chosen = []
    for page in corpus.pages(root):
        if 1_500 <= len(page.truth) <= 6_000 and py3langid.classify(page.truth)[0] == "en":
            chosen.append(page)
        if len(chosen) == count:
            break
    return chosen


def page_title(page: corpus.Page) -> str:
    """The original page's headline (og:title, else <title>, without its old site's name),
    else its first words."""
    tree = lxml.html.document_fromstring(page.html)
    for value in tree.xpath('//meta[@property="og:title"]/@content') + tree.xpath("//title/text()"):
        title = clean_title(value, None, page.url)
        if title:
            return title
    return " ".join(page.truth.split()[:10])


def _paragraphs(truth: str) -> list[str]:
    return [line.strip() for line in truth.splitlines() if line.strip()]


def _links(items: Sequence[tuple[str, str]]) -> str:
    return "".join(f'<li><a href="{html.escape(u)}">{html.escape(t)}</a></li>' for u, t in items)


def render_page(
    number: int,
    title: str,
    url: str,
    paragraphs: list[str],
    related: Sequence[tuple[str, str]],
    most_read: Sequence[tuple[str, str]],
) -> str:
    """One article in the site's template."""
    body = [f"<p>{html.escape(p)}</p>" for p in paragraphs]
    # CMS-injected blocks inside the article body, where an extractor cannot tell them
    # from the text by their markup
    middle = len(body) // 2
    body.insert(middle, f'<p class="promo">{html.escape(NEWSLETTER)}</p>')
    teaser_url, teaser_title = related[0]
    body.insert(
        max(1, middle // 2),
        f'<p><strong>Read more:</strong> <a href="{html.escape(teaser_url)}">'
        f"{html.escape(teaser_title)}</a></p>",
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{html.escape(title)} | {SITE_NAME}</title>
<link rel="canonical" href="{html.escape(url)}">
<meta property="og:site_name" content="{SITE_NAME}">
</head><body>
<div id="cookie-consent" class="cookie-banner"><p>{html.escape(COOKIE_BANNER)}</p>
<button>Accept all</button> <button>Manage preferences</button></div>
<header><div class="logo"><a href="{SITE}/">{SITE_NAME}</a></div>
<nav><ul><li><a href="{SITE}/">Home</a></li><li><a href="{SITE}/news">News</a></li>
<li><a href="{SITE}/business">Business</a></li><li><a href="{SITE}/tech">Technology</a></li>
<li><a href="{SITE}/culture">Culture</a></li>
<li><a href="{SITE}/opinion">Opinion</a></li></ul></nav>
</header>
<main><article>
<h1>{html.escape(title)}</h1>
<p class="byline">Tuesday 18 March 2025, {7 + number % 10:02d}:{(7 * number) % 60:02d} GMT</p>
<p class="share">{SHARE}</p>
{"".join(body)}
<p class="share">{SHARE}</p>
<section class="related"><h2>More in this section</h2><ul>{_links(related)}</ul></section>
</article>
<aside class="most-read"><h2>Most read</h2><ol>{_links(most_read)}</ol></aside>
</main>
<footer><p>{FOOTER_LINKS}</p><p>{html.escape(COPYRIGHT)}</p></footer>
</body></html>
"""


def build_site(articles: Sequence[corpus.Page], site: str = SITE) -> list[SitePage]:
    """Every article as a page of one site, in the site's template, with its text dump."""
    titles = [page_title(a) for a in articles]
    urls = [f"{site}/news/{n:03d}-{a.page_id[:10]}" for n, a in enumerate(articles)]
    most_read = list(zip(urls, titles, strict=True))[:MOST_READ]
    pages = []
    for n, article in enumerate(articles):
        others = [
            (urls[i % len(urls)], titles[i % len(urls)]) for i in range(n + 1, n + 1 + RELATED)
        ]
        others = [item for item in others if item[0] != urls[n]] or [(site, SITE_NAME)]
        page = render_page(n, titles[n], urls[n], _paragraphs(article.truth), others, most_read)
        pages.append(
            SitePage(
                url=urls[n],
                title=titles[n],
                html=page,
                dump=render_text_dump(page),
                truth=article.truth,
                page_id=article.page_id,
            )
        )
    return pages


def write_jsonl(path: Path, pages: Sequence[SitePage], kind: str) -> None:
    """The pages as a JSONL input of `newsflow process`: `url` plus `html` or `text` (dump)."""
    with open(path, "w", encoding="utf-8") as sink:
        for page in pages:
            content = page.html if kind == "html" else page.dump
            sink.write(json.dumps({"url": page.url, kind: content}, ensure_ascii=False) + "\n")
