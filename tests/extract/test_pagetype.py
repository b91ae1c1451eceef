"""The router's v2 features (issue 13: listings, documentation and service pages), each on
real pages of tests/data/wcxb that show it, against a page of another type that does not."""

from __future__ import annotations

import gzip
import json
from functools import cache

import pytest
import trafilatura
from conftest import DATA

from tasks.extract.pagetype import ROUTER_FEATURES, ROUTER_FEATURES_2, router_features
from tasks.extract.selection import seed_extraction

WCXB = DATA / "wcxb"
PAGES = json.loads((WCXB / "pages.json").read_text(encoding="utf-8"))
ARTICLE = "0419.html.gz"  # tobyhede.com blog post: none of the furniture below


@cache
def features(name: str) -> dict[str, float]:
    tree = trafilatura.load_html(gzip.decompress((WCXB / name).read_bytes()))
    url = PAGES[name]["url"]
    seed = seed_extraction(tree, url)
    row = router_features(tree, url, seed.text if seed is not None else "")
    assert len(row) == len(ROUTER_FEATURES)
    return dict(zip(ROUTER_FEATURES, row, strict=True))


def snippet_features(html: str, url: str, seed: str = "") -> dict[str, float]:
    tree = trafilatura.load_html(html)
    return dict(zip(ROUTER_FEATURES, router_features(tree, url, seed), strict=True))


# (feature, page that has it, its minimum there, page without it: value there < minimum)
SHOWN_ON_REAL_PAGES = [
    ("url_legal", "4901.html.gz", 1, ARTICLE),  # higheredjobs.com/career/ResumeService.cfm
    ("url_legal", "2911.html.gz", 1, ARTICLE),  # news.ycombinator.com/jobs
    ("host_docs", "0687.html.gz", 1, ARTICLE),  # docs.ansible.com
    ("host_forum", "0525.html.gz", 1, ARTICLE),  # forum.doom9.org
    ("host_news", "2911.html.gz", 1, ARTICLE),  # news.ycombinator.com
    ("title_docs", "2997.html.gz", 1, ARTICLE),  # "Tutorial: Get started with Go"
    ("h1_docs", "2997.html.gz", 1, ARTICLE),
    ("title_forum", "0525.html.gz", 1, ARTICLE),  # "Doom9's Forum - ..."
    ("title_listing", "2911.html.gz", 1, ARTICLE),  # "Jobs | Hacker News"
    ("generator_forum", "0525.html.gz", 1, ARTICLE),  # vBulletin
    ("generator_blog", "4854.html.gz", 1, ARTICLE),  # WordPress
    ("title_separators", "2997.html.gz", 2, "4107.html.gz"),
    ("rel_next", "0687.html.gz", 2, ARTICLE),  # Sphinx: <link rel="next|prev">
    ("rel_next", "2911.html.gz", 1, ARTICLE),  # "More" link, rel="next"
    ("headline_links", "2911.html.gz", 20, ARTICLE),  # one headline link per job post
    ("headline_links_per_long_p", "2911.html.gz", 20, "0687.html.gz"),
    ("contact_links", "4470.html.gz", 3, ARTICLE),  # tel: and mailto: links
    ("nav_links", "0687.html.gz", 50, ARTICLE),  # the docs' side navigation
    ("p_max", "0687.html.gz", 500, "0556.html.gz"),  # forum posts hold no long <p>
    ("rep_text_share", "4548.html.gz", 0.3, ARTICLE),  # a guide's list of linked items
    ("rep_linked_items", "4548.html.gz", 10, ARTICLE),
    ("class_admonition", "0687.html.gz", 1, ARTICLE),  # Sphinx's note boxes
    ("class_highlight", "0687.html.gz", 1, ARTICLE),  # highlighted code
    ("class_nav", "4470.html.gz", 100, ARTICLE),
    ("class_login", "4901.html.gz", 1, ARTICLE),
    ("seed_cue_docs_nav", "0687.html.gz", 2, "4107.html.gz"),  # "Next", "See also"
    ("seed_cue_account", "4901.html.gz", 1, ARTICLE),  # "pricing" in the main text
    ("seed_cue_dates", "2911.html.gz", 20, "4107.html.gz"),  # "3 days ago" per job post
]


@pytest.mark.parametrize(("feature", "page", "minimum", "other"), SHOWN_ON_REAL_PAGES)
def test_a_v2_feature_on_a_real_page(feature: str, page: str, minimum: float, other: str):
    assert feature in ROUTER_FEATURES_2
    assert features(page)[feature] >= minimum
    assert features(other)[feature] < minimum


def test_every_v2_feature_is_tested_on_a_real_page_or_a_snippet() -> None:
    tested = {f for f, *_ in SHOWN_ON_REAL_PAGES} | SNIPPET_TESTED
    # the word groups of one family (host_docs, host_forum, ...) share one test
    families = {_family(f) for f in ROUTER_FEATURES_2}
    assert families <= {_family(f) for f in tested}, families - {_family(f) for f in tested}


FAMILIES = ("seed_cue_", "cue_", "url_", "host_", "title_", "h1_", "generator_", "class_")
COUNTS = {"title_words", "title_separators", "h1_words"}  # not word groups


def _family(feature: str) -> str:
    if feature in COUNTS:
        return feature
    return next((f for f in FAMILIES if feature.startswith(f)), feature)


SNIPPET_TESTED = {"url_index", "host_shop", "title_words", "h1_words", "paged_links",
                  "rep_item_chars", "headings_per_long_p", "linked_heading_share"}  # fmt: skip


# a news section front in miniature (its shape as on the WCXB listings; the text is made up):
# the features no page of tests/data/wcxb shows
LISTING = """<html><head><title>Latest News | Example Daily</title></head><body>
<h1>Latest news</h1>
<div class="river">
 <div class="story"><h3><a href="/2025/03/a">Council approves the new budget after a long
  debate</a></h3><p>The vote was 7-2.</p></div>
 <div class="story"><h3><a href="/2025/03/b">School district names interim superintendent
  for the year</a></h3><p>She starts Monday.</p></div>
 <div class="story"><h3><a href="/2025/03/c">Storm knocks out power to thousands across the
  county</a></h3><p>Crews are working.</p></div>
 <div class="story"><h3><a href="/2025/03/d">Local bakery wins a state award for its
  sourdough bread</a></h3><p>Third win in a row.</p></div>
</div>
<nav class="pagination"><a href="/news?page=2">2</a> <a href="/news/page/3">3</a></nav>
</body></html>"""


def test_snippet_features_of_a_listing() -> None:
    row = snippet_features(LISTING, "https://www.example-daily.com/news/")
    assert row["url_index"] == 1  # a section's own address
    assert row["title_words"] == 5 and row["h1_words"] == 2
    assert row["paged_links"] == 2
    assert row["rep_linked_items"] == 4 and 40 < row["rep_item_chars"] < 80
    assert row["rep_text_share"] > 0.8
    assert row["linked_heading_share"] == 1.0  # every heading is an item's link
    assert row["headings_per_long_p"] == 4.0  # four headings, no long paragraph
    article = snippet_features(LISTING, "https://www.example-daily.com/2025/03/17/council-budget")
    assert article["url_index"] == 0


def test_snippet_host_and_whole_title_words() -> None:
    shop = "<html><head><title>Vintage lamp</title></head><body><p>Brass.</p></body></html>"
    row = snippet_features(shop, "https://shop.example.com/lamp")
    assert row["host_shop"] == 1
    assert row["title_listing"] == 0  # "tag" is not a word of "Vintage"
    row = snippet_features(shop, "https://www.shopify-reviews.com/lamp")
    assert row["host_shop"] == 0  # a word of the host, not a part of one
