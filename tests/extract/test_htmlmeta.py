"""tasks.extract.htmlmeta: metadata read from the parsed page (real pages and hand-written
markup)."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

import pytest
import trafilatura
from conftest import DATA
from lxml import etree, html

from tasks.extract.htmlmeta import PageMeta, read_page_meta
from tasks.normalise.authors import split_authors

HTML_DIR = DATA / "html"
NOW = datetime(2025, 3, 20, 12, 0, tzinfo=UTC)
URL = "https://www.echolive.ie/news/arid-41234567.html"


def tree_of(markup: str):
    return trafilatura.load_html(markup)


def page(head: str = "", body: str = "<p>Text</p>", html_attrs: str = "") -> str:
    return f"<html{html_attrs}><head>{head}</head><body>{body}</body></html>"


def json_ld(data: str) -> str:
    return f'<script type="application/ld+json">{data}</script>'


def meta_of(markup: str, url: str | None = URL) -> PageMeta:
    return read_page_meta(tree_of(markup), url, now=NOW)


def load_real(name: str):
    return trafilatura.load_html(gzip.decompress((HTML_DIR / name).read_bytes()))


# --------------------------------------------------------------------------- real pages


def test_real_page_json_ld_news_article_with_offset():
    url = (
        "https://www.slashgear.com/"
        "the-vw-id-space-vizzion-is-a-weird-ev-sports-wagon-with-a-secret-message-19600475/"
    )
    meta = read_page_meta(load_real("slashgear-06ee193d.html.gz"), url)
    # JSON-LD datePublished "2019-11-20T04:31:13-06:00" comes first, converted to UTC
    assert meta.published[0] == (datetime(2019, 11, 20, 10, 31, 13, tzinfo=UTC), "json-ld")
    # the page's article:published_time disagrees (+00:00): kept as a later candidate
    assert (datetime(2019, 11, 20, 4, 31, 13, tzinfo=UTC), "meta") in meta.published
    assert meta.modified == datetime(2019, 11, 20, 10, 55, 44, tzinfo=UTC)
    assert meta.declared_canonicals == [url]  # rel=canonical and og:url agree: listed once
    assert meta.html_lang == "en-US"
    assert meta.json_ld_authors == ["Chris Davies"]


def test_real_page_yoast_graph_with_author_reference():
    url = "https://www.expapp.com/blog/introducing-junior-gaspard-new-ceo-experience/"
    meta = read_page_meta(load_real("expapp-4648a420.html.gz"), url)
    # @graph: WebSite, WebPage (with the dates), Person referenced by "@id"
    assert meta.published[0] == (datetime(2018, 4, 9, 16, 2, 25, tzinfo=UTC), "json-ld")
    assert meta.modified == datetime(2018, 4, 9, 16, 5, 27, tzinfo=UTC)
    assert meta.json_ld_authors == ["Josh"]
    assert meta.section == "Spotlight"
    assert meta.declared_canonicals == [url]


def test_real_page_canonical_on_another_domain_is_reported_as_declared():
    url = "https://www.businessinsider.com/how-to-retire-early-steps-for-early-retirement"
    meta = read_page_meta(load_real("businessinsider-f81c6c05.html.gz"), url)
    # read_page_meta reports; normalise.canonical_url decides it is not trustworthy
    assert meta.declared_canonicals == [
        "https://www.businessinsider.de/how-to-retire-early-steps-for-early-retirement"
    ]
    assert meta.published[0] == (datetime(2019, 11, 13, tzinfo=UTC), "meta")  # date only
    assert meta.html_lang == "de"
    assert meta.json_ld_authors == []


def test_tree_is_not_modified():
    tree = load_real("slashgear-06ee193d.html.gz")
    before = html.tostring(tree)
    read_page_meta(tree, None)
    assert html.tostring(tree) == before


# --------------------------------------------------------------------------- canonicals


def test_canonicals_resolved_in_order_and_deduplicated():
    markup = page(
        '<link rel="canonical" href="/news/story-1.html">'
        '<link rel="alternate" href="https://www.echolive.ie/amp/story-1.html">'
        '<meta property="og:url" content="https://www.echolive.ie/news/og-url.html">'
        '<meta property="og:url" content="https://www.echolive.ie/news/story-1.html">'
        '<link rel="Canonical" href="android-app://ie.echolive/story-1">'
    )
    meta = meta_of(markup, "https://www.echolive.ie/news/story-1.html?utm_source=x")
    assert meta.declared_canonicals == [
        "https://www.echolive.ie/news/story-1.html",
        "https://www.echolive.ie/news/og-url.html",
    ]


def test_canonical_relative_to_base_href():
    markup = page('<base href="https://cdn.example.com/site/"><link rel="canonical" href="a/b">')
    meta = meta_of(markup, "https://www.example.com/x/y")
    assert meta.declared_canonicals == ["https://cdn.example.com/site/a/b"]


def test_relative_canonical_without_page_url_is_dropped():
    markup = page(
        '<link rel="canonical" href="/relative">'
        '<link rel="canonical" href="//www.example.com/protocol-relative">'
        '<meta property="og:url" content="https://www.example.com/absolute">'
    )
    assert meta_of(markup, None).declared_canonicals == ["https://www.example.com/absolute"]


def test_canonical_with_several_rel_tokens_and_body_placement():
    markup = page(body='<link rel="canonical nofollow" href="https://example.com/in-body"><p>x</p>')
    assert meta_of(markup).declared_canonicals == ["https://example.com/in-body"]


# --------------------------------------------------------------------------- JSON-LD


def test_json_ld_offset_example():
    markup = page(
        json_ld(
            '{"@context":"https://schema.org","@type":"NewsArticle",'
            '"datePublished":"2025-03-18T16:48:00+02:00",'
            '"dateModified":"2025-03-18T18:05:00+02:00"}'
        )
    )
    meta = meta_of(markup)
    assert meta.published == [(datetime(2025, 3, 18, 14, 48, tzinfo=UTC), "json-ld")]
    assert meta.modified == datetime(2025, 3, 18, 16, 5, tzinfo=UTC)


def test_json_ld_graph_with_list_type_ignores_image_and_organisation_dates():
    data = """{"@context": "https://schema.org", "@graph": [
        {"@type": "ImageObject", "datePublished": "2020-01-01T00:00:00Z",
         "author": {"@type": "Person", "name": "Photo Grapher"}},
        {"@type": "Organization", "@id": "https://www.echolive.ie/#org", "name": "Echo Live",
         "foundingDate": "1892-01-01"},
        {"@type": "Person", "@id": "https://www.echolive.ie/#jane", "name": "Jane Doe"},
        {"@type": ["NewsArticle", "Article"], "headline": "Trump and Putin speak",
         "datePublished": "2025-03-18T16:48:00+02:00",
         "author": [{"@id": "https://www.echolive.ie/#jane"},
                    {"@type": "Organization", "name": "Reuters"},
                    "https://www.echolive.ie/author/jane-doe",
                    {"@type": "Person", "name": "Jane Doe"},
                    "  AP  "],
         "articleSection": ["World", "Politics"]}
    ]}"""
    meta = meta_of(page(json_ld(data)))
    assert meta.published == [(datetime(2025, 3, 18, 14, 48, tzinfo=UTC), "json-ld")]
    # as declared (the repeat included); normalise.split_authors de-duplicates
    assert meta.json_ld_authors == ["Jane Doe", "Reuters", "Jane Doe", "AP"]
    assert split_authors(meta.json_ld_authors) == ["Jane Doe", "Reuters", "AP"]
    assert meta.section == "World"


def test_json_ld_nested_article_and_prefixed_type():
    data = """{"@context": "https://schema.org", "@type": "WebPage",
      "datePublished": "2025-03-01",
      "mainEntity": {"@type": "schema:ReportageNews", "datePublished": "2025-03-18T10:00:00Z",
                     "author": {"@type": "Person", "givenName": "Jane", "familyName": "Doe"}}}"""
    meta = meta_of(page(json_ld(data)))
    # the article object's date first, the page's after it
    assert [s for _, s in meta.published] == ["json-ld", "json-ld"]
    assert meta.published[0][0] == datetime(2025, 3, 18, 10, 0, tzinfo=UTC)
    assert meta.published[1][0] == datetime(2025, 3, 1, tzinfo=UTC)
    assert meta.json_ld_authors == ["Jane Doe"]


def test_json_ld_top_level_list_and_several_blocks():
    markup = page(
        json_ld(
            '[{"@type": "BreadcrumbList"}, {"@type": "BlogPosting",'
            ' "datePublished": "2025-03-18T08:00:00Z", "author": "Jane Doe"}]'
        )
        + json_ld('{"@type": "Article", "datePublished": "2025-03-17T08:00:00Z"}')
    )
    meta = meta_of(markup)
    assert [d.day for d, _ in meta.published] == [18, 17]
    assert meta.json_ld_authors == ["Jane Doe"]


@pytest.mark.parametrize(
    "broken",
    [
        # trailing commas
        '{"@type": "NewsArticle", "datePublished": "2025-03-18T16:48:00+02:00",}',
        # a raw newline inside a string
        '{"@type": "NewsArticle", "headline": "two\nlines",'
        ' "datePublished": "2025-03-18T16:48:00+02:00"}',
        # CDATA wrapper
        '//<![CDATA[\n{"@type": "NewsArticle",'
        ' "datePublished": "2025-03-18T16:48:00+02:00"}\n//]]>',
        # two objects one after the other
        '{"@type": "WebSite"}\n'
        '{"@type": "NewsArticle", "datePublished": "2025-03-18T16:48:00+02:00"}',
        # a broken object after a good one
        '{"@type": "NewsArticle", "datePublished": "2025-03-18T16:48:00+02:00"} {"oops": ',
    ],
)
def test_json_ld_tolerates_broken_json(broken):
    meta = meta_of(page(json_ld(broken)))
    assert meta.published[0] == (datetime(2025, 3, 18, 14, 48, tzinfo=UTC), "json-ld")


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "not json at all",
        "{",
        "null",
        "42",
        '"just a string"',
        '{"@type": 5, "datePublished": {"nested": true}, "author": 7}',
        '{"@type": "NewsArticle", "datePublished": ["2025-03-18"], "author": [null, {}, [[]]]}',
        "[" * 5000 + "]" * 5000,  # deeper than the JSON parser's recursion limit
        '{"a":' * 100 + "{}" + "}" * 100,  # deeper than our walk goes
    ],
)
def test_json_ld_garbage_never_raises(garbage):
    canonical = '<link rel="canonical" href="https://example.com/a">'
    meta = meta_of(page(json_ld(garbage) + canonical))
    assert meta.published == []
    assert meta.json_ld_authors == []
    assert meta.declared_canonicals == ["https://example.com/a"]  # the rest still read


def test_json_ld_script_type_variants():
    markup = page(
        '<script type="Application/LD+JSON; charset=utf-8">'
        '{"@type": "NewsArticle", "datePublished": "2025-03-18T08:00:00Z"}</script>'
        '<script type="text/javascript">var x = {"datePublished": "2025-01-01"};</script>'
    )
    assert meta_of(markup).published == [(datetime(2025, 3, 18, 8, tzinfo=UTC), "json-ld")]


def test_date_only_candidate_moves_behind_a_timed_one_for_the_same_day():
    markup = page(
        json_ld('{"@type": "NewsArticle", "datePublished": "November 19, 2019"}')
        + '<meta property="article:published_time" content="2019-11-19T11:21:08+00:00">'
    )
    meta = meta_of(markup)
    assert meta.published == [
        (datetime(2019, 11, 19, 11, 21, 8, tzinfo=UTC), "meta"),
        (datetime(2019, 11, 19, tzinfo=UTC), "json-ld"),
    ]


def test_date_only_candidate_stays_first_when_no_timed_one_is_near():
    markup = page(
        json_ld('{"@type": "NewsArticle", "datePublished": "2019-11-19"}')
        + '<meta property="article:published_time" content="2019-11-25T11:21:08+00:00">'
    )
    assert meta_of(markup).published[0] == (datetime(2019, 11, 19, tzinfo=UTC), "json-ld")


def test_a_midnight_stamp_counts_as_a_date_only_beside_a_timed_one():
    # two Article objects of one page (Yoast's graph and a theme's own): the first holds a
    # date field written out as midnight, the second the time of publication
    markup = page(
        json_ld('{"@type": "Article", "datePublished": "2023-05-17T00:00:00+0000"}')
        + json_ld('{"@type": "BlogPosting", "datePublished": "2023-05-18T04:39:05+00:00"}')
    )
    assert meta_of(markup, url=None).published == [
        (datetime(2023, 5, 18, 4, 39, 5, tzinfo=UTC), "json-ld"),
        (datetime(2023, 5, 17, tzinfo=UTC), "json-ld"),
    ]


def test_a_timed_midnight_alone_stays_first():
    markup = page(json_ld('{"@type": "NewsArticle", "datePublished": "2025-03-18T00:00:00Z"}'))
    assert meta_of(markup).published == [(datetime(2025, 3, 18, tzinfo=UTC), "json-ld")]


# --------------------------------------------------------------------------- meta tags, <time>


def test_invalid_and_future_dates_are_skipped_for_the_next_candidate():
    markup = page(
        json_ld('{"@type": "NewsArticle", "datePublished": "2025-13-45"}')
        + '<meta property="article:published_time" content="0000-00-00">'
        + '<meta name="pubdate" content="2099-01-01T00:00:00Z">'
        + '<meta name="parsely-pub-date" content="2025-03-18T16:48:00Z">',
        body='<time datetime="2025-03-17T09:00:00Z">Monday</time>',
    )
    meta = meta_of(markup)
    assert meta.published == [
        (datetime(2025, 3, 18, 16, 48, tzinfo=UTC), "meta"),
        (datetime(2025, 3, 17, 9, 0, tzinfo=UTC), "time-tag"),
    ]


@pytest.mark.parametrize(
    "tag",
    [
        '<meta property="article:published_time" content="{}">',
        '<meta property="og:article:published_time" content="{}">',
        '<meta itemprop="datePublished" content="{}">',
        '<meta name="date" content="{}">',
        '<meta name="pubdate" content="{}">',
        '<meta name="publishdate" content="{}">',
        '<meta name="DC.date" content="{}">',
        '<meta name="dcterms.created" content="{}">',
        '<meta name="parsely-pub-date" content="{}">',
        '<meta name="sailthru.date" content="{}">',
        '<meta name="article.published" content="{}">',
    ],
)
def test_published_meta_tags(tag):
    meta = meta_of(page(tag.format("Tue, 18 Mar 2025 16:48:00 +0200")))
    assert meta.published == [(datetime(2025, 3, 18, 14, 48, tzinfo=UTC), "meta")]


def test_meta_order_is_preference_order_not_page_order():
    markup = page(
        '<meta name="sailthru.date" content="2025-03-17T10:00:00Z">'
        '<meta property="article:published_time" content="2025-03-18T10:00:00Z">'
    )
    assert [d.day for d, _ in meta_of(markup).published] == [18, 17]


@pytest.mark.parametrize(
    ("tag", "expected_hour"),
    [
        ('<meta property="article:modified_time" content="2025-03-18T18:00:00+02:00">', 16),
        ('<meta property="og:updated_time" content="2025-03-18T17:00:00Z">', 17),
        ('<meta itemprop="dateModified" content="2025-03-18T15:00:00">', 15),
    ],
)
def test_modified_meta_tags(tag, expected_hour):
    assert meta_of(page(tag)).modified == datetime(2025, 3, 18, expected_hour, tzinfo=UTC)


def test_json_ld_modified_wins_over_meta():
    markup = page(
        '<meta property="article:modified_time" content="2025-03-18T18:00:00Z">'
        + json_ld('{"@type": "NewsArticle", "dateModified": "2025-03-18T19:00:00Z"}')
    )
    assert meta_of(markup).modified == datetime(2025, 3, 18, 19, tzinfo=UTC)


def test_time_tag_prefers_publication_markers():
    body = (
        '<time datetime="2025-03-10T08:00:00Z">related story</time>'
        '<time class="entry-date published" datetime="2025-03-18T09:30:00+01:00">18 Mar</time>'
        '<time itemprop="datePublished" datetime="2025-03-18T10:30:00+02:00">18 Mar</time>'
    )
    meta = meta_of(page(body=body))
    assert meta.published == [(datetime(2025, 3, 18, 8, 30, tzinfo=UTC), "time-tag")]


@pytest.mark.parametrize(
    "updated",
    [
        '<time itemProp="dateModified" class="date" dateTime="2025-01-02T09:06:08-06:00">'
        "January 2, 2025, 9:06am CST</time>",
        '<time class="date updated" dateTime="2025-01-02T09:06:08-06:00">January 2, 2025</time>',
        '<time class="entry-date updated" datetime="2025-01-02T09:06:08-06:00">2 Jan</time>',
    ],
)
def test_time_tag_marked_as_the_update_is_no_publication_date(updated):
    body = f"<p>Updated {updated}</p>"
    assert meta_of(page(body=body)).published == []
    published = '<time class="entry-date published" datetime="2024-11-05T10:00:00Z">5 Nov</time>'
    assert meta_of(page(body=published + body)).published == [
        (datetime(2024, 11, 5, 10, tzinfo=UTC), "time-tag")
    ]


def test_time_tag_falls_back_to_first_valid_time():
    body = (
        "<time>no attribute</time>"
        '<time datetime="yesterday">bad</time>'
        '<time datetime="2025-03-18">18 March</time>'
        '<time datetime="2025-03-01">1 March</time>'
    )
    assert meta_of(page(body=body)).published == [(datetime(2025, 3, 18, tzinfo=UTC), "time-tag")]


def test_same_datetime_from_several_sources_listed_once_with_best_source():
    markup = page(
        json_ld('{"@type": "NewsArticle", "datePublished": "2025-03-18T16:48:00+02:00"}')
        + '<meta property="article:published_time" content="2025-03-18T14:48:00Z">',
        body='<time datetime="2025-03-18T14:48:00+00:00">x</time>',
    )
    assert meta_of(markup).published == [(datetime(2025, 3, 18, 14, 48, tzinfo=UTC), "json-ld")]


# --------------------------------------------------------------------------- language, section


def test_html_lang_raw():
    assert meta_of(page(html_attrs=' lang="en-GB"')).html_lang == "en-GB"
    assert meta_of(page(html_attrs=' xml:lang="fr-FR"')).html_lang == "fr-FR"


def test_html_lang_falls_back_to_meta():
    content_language = '<meta http-equiv="Content-Language" content="de-AT">'
    assert meta_of(page(content_language)).html_lang == "de-AT"
    locale = '<meta property="og:locale" content="es_ES">'
    assert meta_of(page(locale)).html_lang == "es_ES"
    assert meta_of(page(locale, html_attrs=' lang=" "')).html_lang == "es_ES"
    assert meta_of(page()).html_lang is None


def test_section_from_meta_then_json_ld():
    both = page(
        '<meta property="article:section" content=" Local   News ">'
        + json_ld('{"@type": "NewsArticle", "articleSection": "World"}')
    )
    assert meta_of(both).section == "Local News"
    only_json_ld = page(json_ld('{"@type": "NewsArticle", "articleSection": "World"}'))
    assert meta_of(only_json_ld).section == "World"
    assert meta_of(page()).section is None


# --------------------------------------------------------------------------- robustness


@pytest.mark.parametrize(
    "tree",
    [
        None,
        "<html></html>",
        42,
        html.fromstring("<p>just a fragment</p>"),
        etree.ElementTree(html.fromstring("<html><head></head></html>")),
        etree.Comment("a comment"),
    ],
)
def test_never_raises_on_odd_trees(tree):
    meta = read_page_meta(tree, "not a url")
    assert isinstance(meta, PageMeta)


def test_element_tree_is_accepted():
    doc = etree.ElementTree(
        html.fromstring(page('<link rel="canonical" href="https://example.com/a">'))
    )
    assert read_page_meta(doc, None).declared_canonicals == ["https://example.com/a"]


def test_page_without_metadata_gives_empty_meta():
    assert meta_of(page()) == PageMeta()


@pytest.mark.parametrize("url", [None, "", "not a url", "http://[::1", "ftp://example.com/"])
def test_odd_page_urls(url):
    markup = page(
        '<link rel="canonical" href="https://example.com/a"><link rel="canonical" href="/relative">'
    )
    assert meta_of(markup, url).declared_canonicals[0] == "https://example.com/a"


def test_a_failing_part_leaves_a_log_line_and_the_others_still_fill(monkeypatch, caplog):
    import tasks.extract.htmlmeta as htmlmeta

    def _fill_lang(meta, page):
        raise KeyError("no such element")

    monkeypatch.setattr(htmlmeta, "_fill_lang", _fill_lang)
    page = html.fromstring(
        '<html lang="de"><head><link rel="canonical" href="https://example.com/a">'
        "</head><body><p>x</p></body></html>"
    )
    with caplog.at_level("WARNING", logger="tasks.extract.htmlmeta"):
        meta = read_page_meta(page, "https://example.com/a?x=1")
    assert meta.declared_canonicals == ["https://example.com/a"]  # the other parts ran
    assert meta.html_lang is None
    [line] = [r.getMessage() for r in caplog.records]
    assert "htmlmeta _fill_lang failed on https://example.com/a?x=1: KeyError" in line


def test_published_offsets_follow_each_candidate():
    markup = page(
        json_ld('{"@type": "NewsArticle", "datePublished": "2025-03-18T00:30:00+02:00"}')
        + '<meta property="article:published_time" content="2025-03-17T08:00:00">',
        body='<time datetime="2025-03-16T09:00:00-04:00">16 March</time>',
    )
    meta = meta_of(markup)
    assert [source for _, source in meta.published] == ["json-ld", "meta", "time-tag"]
    assert meta.published_offsets == {
        datetime(2025, 3, 17, 22, 30, tzinfo=UTC): 120,
        datetime(2025, 3, 16, 13, 0, tzinfo=UTC): -240,
    }  # the naive meta value wrote no offset


def test_same_instant_in_utc_and_in_the_publishers_zone_keeps_the_zone():
    """WordPress writes article:published_time in UTC and the visible <time> in the site's
    zone: the same instant, and the non-zero offset is the one that tells the page's day."""
    markup = page(
        '<meta property="article:published_time" content="2025-03-19T03:05:00+00:00">',
        body='<time datetime="2025-03-18T20:05:00-07:00">March 18, 2025</time>',
    )
    meta = meta_of(markup)
    when = datetime(2025, 3, 19, 3, 5, tzinfo=UTC)
    assert meta.published == [(when, "meta")]
    assert meta.published_offsets == {when: -420}


# --------------------------------------------------------------------------- shown date

RELATED = (
    "<aside><h2>Related</h2><ul><li><a href='/a'>Earlier story</a> "
    "<span>December 2, 2025</span></li></ul></aside>"
)


def shown(body: str):
    from tasks.extract.htmlmeta import shown_publication_date

    return shown_publication_date(tree_of(page(body=body)))


@pytest.mark.parametrize(
    ("byline", "expected"),
    [
        # mongodb.com's engineering blog: the date and reading time under the headline
        ("<span>December 18, 2025<!-- --> <!-- -->・ 3 min read</span>", "2025-12-18"),
        # corti.ai: abbreviated month
        ("<div><div>Dec 18, 2025</div><div>X min read</div></div>", "2025-12-18"),
        # day first, ordinal, author before it (the-shooting-star.com)
        ("<p>By Shivya Nath</p><p>12th February 2025</p><p>139 shares</p>", "2025-02-12"),
        # German, day first with a dot
        ("<p>Von Felix Schröder, 18. Dezember 2025, 14:05 Uhr</p>", "2025-12-18"),
        # numeric forms
        ("<p>2025-11-03 · 14 min read</p>", "2025-11-03"),
        ("<p>Veröffentlicht am 03.12.2025</p>", "2025-12-03"),
        # an update date is skipped; the publication date after it is taken
        ("<p>Updated: Dec 19, 2025</p><p>Published Dec 1, 2025</p>", "2025-12-01"),
        # only an update date (bold.org): none
        ("<span>Updated:<!-- --> <span>December 31, 2024</span></span>", None),
        ("<p>Last Updated: <strong>December 15th 2025</strong></p>", None),
        ("<p>Zuletzt aktualisiert am 18.12.2025</p>", None),
        # month and year only is not a day
        ("<p>December 2025</p>", None),
    ],
)
def test_shown_date_is_the_first_date_under_the_headline(byline: str, expected) -> None:
    body = f"<article><h1>Token-count-based batching</h1>{byline}<p>Body text.</p></article>"
    found = shown(body + RELATED)
    assert (found.isoformat() if found else None) == expected


def test_shown_date_ignores_dates_far_below_the_headline_and_in_sidebars() -> None:
    body_text = "<p>" + "Embedding model inference often struggles with efficiency. " * 8 + "</p>"
    body = f"<article><h1>Token-count-based batching</h1>{body_text}</article>{RELATED}"
    assert shown(body) is None
    # a sidebar before the headline is not under it either
    before = f"{RELATED}<article><h1>Token-count-based batching</h1>{body_text}</article>"
    assert shown(before) is None


def test_shown_date_skips_the_masthead_heading() -> None:
    # blog.firedrake.org: the site name is the page's first <h1>, linking home; the date
    # after it is a navigation bar's, not a by-line
    body = (
        "<div class='title'><h1><a href='/'>RogerBW's Blog</a></h1></div><p>1 January 2014</p>"
        "<article><h1>Advent of Code 2025 week 2</h1><p>20 December 2025</p></article>"
    )
    assert str(shown(body)) == "2025-12-20"
    assert shown("<div><h1><a href='/'>RogerBW's Blog</a></h1></div><p>1 January 2014</p>") is None


def test_shown_date_without_a_headline_or_tree() -> None:
    from tasks.extract.htmlmeta import shown_publication_date

    assert shown("<p>December 18, 2025</p>") is None
    assert shown_publication_date(None) is None


def test_shown_date_in_month() -> None:
    from tasks.extract.htmlmeta import shown_date_in_month

    body = (
        "<p>Posted 1 January 2014: Hello</p><p>Updated 2 December 2025</p>"
        "<script>var d = '5 December 2025';</script><p>20 December 2025</p>"
    )
    tree = tree_of(page(body=body))
    assert str(shown_date_in_month(tree, 2025, 12)) == "2025-12-20"
    assert str(shown_date_in_month(tree, 2014, 1)) == "2014-01-01"
    assert shown_date_in_month(tree, 2025, 11) is None
    assert shown_date_in_month(None, 2025, 12) is None
