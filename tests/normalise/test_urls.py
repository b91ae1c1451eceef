"""tasks.normalise.urls: the rules it gives an article row."""

from __future__ import annotations

import pytest
from conftest import ODD_INPUTS

from tasks.normalise.urls import TRACKING_PARAMS, canonical_url, normalise_url, registered_domain

# --------------------------------------------------------------------------- normalise_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # scheme and host lower-cased, path case kept
        ("HTTPS://WWW.EchoLive.IE/News/Arid-41.html", "https://www.echolive.ie/News/Arid-41.html"),
        # fragment dropped
        ("https://example.com/a#comments", "https://example.com/a"),
        # default ports dropped, other ports kept
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("http://example.com:443/a", "http://example.com:443/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        # tracking parameters stripped, the others kept in their order
        (
            "https://example.com/a?utm_source=tw&b=2&fbclid=X&a=1&utm_medium=social&gclid=Y",
            "https://example.com/a?b=2&a=1",
        ),
        (
            "https://example.com/a?id=7&mc_cid=1&mc_eid=2&_ga=3&_gl=4&igshid=5&mkt_tok=6",
            "https://example.com/a?id=7",
        ),
        (
            "https://example.com/a?page=2&oly_enc_id=1&vero_id=2&__twitter_impression=true"
            "&ref_src=twsrc&cmpid=rss&msclkid=1&dclid=2&gbraid=3&wbraid=4&yclid=5",
            "https://example.com/a?page=2",
        ),
        # parameter names are compared case-insensitively, values kept as written
        ("https://example.com/a?UTM_Source=x&Q=Hello+World", "https://example.com/a?Q=Hello+World"),
        # only tracking parameters: no "?" left
        ("https://example.com/a?utm_campaign=x", "https://example.com/a"),
        # blank parameters and empty pairs
        ("https://example.com/a?&&x=&y", "https://example.com/a?x=&y"),
        # parameters that merely contain a tracker's letters are content: kept
        (
            "https://example.com/a?gallery=3&source=ap&cid=12&global=1&session=2",
            "https://example.com/a?gallery=3&source=ap&cid=12&global=1&session=2",
        ),
        # empty path becomes "/", trailing dot of the host dropped
        ("https://Example.com", "https://example.com/"),
        ("https://example.com./a", "https://example.com/a"),
        # credentials never kept
        ("https://user:secret@example.com/a", "https://example.com/a"),
        # encoding normalised: spaces and non-ASCII escaped, escapes upper-cased
        ("https://example.com/caf%c3%a9", "https://example.com/caf%C3%A9"),
        ("https://example.com/café news", "https://example.com/caf%C3%A9%20news"),
        ("https://example.com/a?q=ü", "https://example.com/a?q=%C3%BC"),
        # IPv6 literal
        ("http://[::1]:80/a", "http://[::1]/a"),
        ("  https://example.com/a  ", "https://example.com/a"),
    ],
)
def test_normalise_url(url, expected):
    assert normalise_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/a",
        "mailto:jane@example.com",
        "javascript:void(0)",
        "/relative/path",
        "example.com/no-scheme",
        "https://",
        "https://example.com:99999/",  # port out of range
        "https://example.com:port/",
        "http://[::1/",  # unbalanced bracket
        "https://exa mple.com/",
        *ODD_INPUTS,
    ],
)
def test_normalise_url_rejects(url):
    assert normalise_url(url) is None


def test_tracking_list_covers_the_documented_names():
    for name in ("fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "mc_cid"):
        assert name in TRACKING_PARAMS
    assert normalise_url("https://e.com/?utm_anything=1&oly_anon_id=2") == "https://e.com/"


# --------------------------------------------------------------------------- registered_domain


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://www.echolive.ie/x", "echolive.ie"),
        ("news.bbc.co.uk", "bbc.co.uk"),
        ("https://NEWS.BBC.CO.UK:443/news", "bbc.co.uk"),
        ("https://www.abc.net.au/news/x", "abc.net.au"),
        ("https://www.smh.com.au/", "smh.com.au"),
        ("https://example.co.jp/", "example.co.jp"),
        # private suffixes: each blog is its own source
        ("https://someblog.blogspot.com/2025/03/post.html", "someblog.blogspot.com"),
        ("https://user.github.io/page", "user.github.io"),
        # IPs and localhost: the host itself
        ("http://127.0.0.1:8080/a", "127.0.0.1"),
        ("http://[2001:db8::1]/a", "2001:db8::1"),
        ("localhost", "localhost"),
        ("http://localhost:8000/x", "localhost"),
        # no known suffix: the host
        ("http://intranet.local/x", "intranet.local"),
        ("example.com.", "example.com"),
    ],
)
def test_registered_domain(value, expected):
    assert registered_domain(value) == expected


@pytest.mark.parametrize("value", [None, "", "   ", "http://", "http://[::1", 42])
def test_registered_domain_odd_input(value):
    assert registered_domain(value) is None


# --------------------------------------------------------------------------- canonical_url

PAGE = "https://www.irishexaminer.com/news/arid-41234567.html?utm_source=rss#top"


def test_canonical_on_same_domain_is_taken_and_normalised():
    declared = ["https://WWW.IrishExaminer.com/news/arid-41234567.html?utm_medium=x"]
    assert canonical_url(PAGE, declared) == "https://www.irishexaminer.com/news/arid-41234567.html"


def test_canonical_on_a_subdomain_of_the_same_registered_domain_is_taken():
    declared = ["https://amp.irishexaminer.com/news/arid-41234567.html"]
    assert canonical_url(PAGE, declared) == declared[0]


def test_canonical_on_another_registered_domain_is_ignored():
    # a syndication partner's copy pointing at the original publisher
    declared = ["https://www.echolive.ie/news/arid-41234567.html"]
    assert canonical_url(PAGE, declared) == "https://www.irishexaminer.com/news/arid-41234567.html"


def test_first_trustworthy_canonical_wins():
    declared = [
        "android-app://com.irishexaminer/news/1",
        "https://www.msn.com/en-ie/news/1",
        "https://www.irishexaminer.com/news/canonical.html",
        "https://www.irishexaminer.com/news/og-url.html",
    ]
    assert canonical_url(PAGE, declared) == "https://www.irishexaminer.com/news/canonical.html"


def test_relative_canonical_is_resolved_against_the_url():
    assert (
        canonical_url("https://www.echolive.ie/news/a/b.html", ["../c.html"])
        == "https://www.echolive.ie/news/c.html"
    )


def test_canonical_pointing_at_the_home_page_is_ignored_for_an_article():
    assert canonical_url("https://www.echolive.ie/news/a.html", ["https://www.echolive.ie/"]) == (
        "https://www.echolive.ie/news/a.html"
    )
    # ... but the home page may declare itself
    assert canonical_url("https://echolive.ie", ["https://www.echolive.ie/"]) == (
        "https://www.echolive.ie/"
    )


def test_canonical_without_url_takes_first_declared():
    declared = ["/relative", "mailto:x@example.com", "https://Example.com/a?fbclid=1"]
    assert canonical_url(None, declared) == "https://example.com/a"
    assert canonical_url("not a url", declared) == "https://example.com/a"


@pytest.mark.parametrize("declared", [[], None, [None, 5, "", "   "], ["http://[::1"]])
def test_canonical_falls_back_to_the_url(declared):
    assert canonical_url(PAGE, declared) == "https://www.irishexaminer.com/news/arid-41234567.html"


@pytest.mark.parametrize("url", ODD_INPUTS)
def test_canonical_odd_input(url):
    assert canonical_url(url, []) is None
    assert canonical_url(url, ["https://example.com/a"]) == "https://example.com/a"
