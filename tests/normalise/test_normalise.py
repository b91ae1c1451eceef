"""tasks.normalise.fields: the rules that shape an article row."""

from __future__ import annotations

import gzip
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import trafilatura
from conftest import DATA, REPO

from tasks.normalise.fields import (
    TRACKING_PARAMS,
    article_id,
    canonical_url,
    clean_title,
    content_hash,
    detect_language,
    hamming,
    normalise_url,
    paragraphs,
    pick_published,
    registered_domain,
    simhash64,
    split_authors,
    stamped_on_save,
    word_count,
)

ECHOLIVE_TEXT = (DATA / "text" / "echolive-trump-putin.txt").read_text(encoding="utf-8")
NOW = datetime(2025, 7, 20, 12, 0, tzinfo=UTC)

ODD_INPUTS = [None, "", "   ", "\x00", "garbage", "http://", "://", "\ud800", 42, b"bytes", []]

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


# --------------------------------------------------------------------------- clean_title


@pytest.mark.parametrize(
    ("title", "site_name", "domain", "expected"),
    [
        ("Budget 2025 explained | The Irish Times", "The Irish Times", "irishtimes.com", None),
        # matched through the domain label, with or without "The", any separator
        ("Budget 2025 explained - The Irish Times", None, "irishtimes.com", None),
        ("Budget 2025 explained – Irish Times", None, "irishtimes.com", None),
        ("Budget 2025 explained — IRISH TIMES", None, "irishtimes.com", None),
        ("Budget 2025 explained :: irishtimes.com", None, "irishtimes.com", None),
        ("Budget 2025 explained · Irish-Times", None, "www.irishtimes.com", None),
        ("Budget 2025 explained | BBC News", None, "bbc.co.uk", None),
        ("Budget 2025 explained|EchoLive.ie", None, "echolive.ie", None),
        # prefixes: only the site's own name
        ("BBC News - Budget 2025 explained", "BBC News", "bbc.co.uk", None),
        ("The Irish Times | Budget 2025 explained", None, "irishtimes.com", None),
        # several suffixes
        ("Budget 2025 explained | Local News | Echo Live", "Echo Live", "echolive.ie", None),
        # short unknown part after "|" when a headline remains
        ("Budget 2025 explained in full | Opinion", None, None, "Budget 2025 explained in full"),
        ("Budget 2025 explained | Echo Live | Cork News", None, "echolive.ie", None),
        # a site name with separators of its own, and "Site: " prefixes
        (
            "LinkNaija | Nigeria's news platform: Budget 2025 explained",
            "LinkNaija | Nigeria's news platform",
            "linknaija.com",
            None,
        ),
        (
            "Budget 2025 explained - Remember 80/90 - Memorabilia",
            "Remember 80/90 - Memorabilia",
            None,
            None,
        ),
        ("The Irish Times: Budget 2025 explained", "The Irish Times", None, None),
        # empty parts at the ends
        ("Budget 2025 explained |", None, None, None),
        ("| Budget 2025 explained", "x", None, None),
        # spaces collapsed
        ("  Budget   2025\n explained ", None, None, None),
    ],
)
def test_clean_title_strips_site_name(title, site_name, domain, expected):
    assert clean_title(title, site_name, domain) == (expected or "Budget 2025 explained")


@pytest.mark.parametrize(
    ("title", "site_name", "domain"),
    [
        # a dash between words of the headline is not a site suffix
        ("Trump - Putin talks", "Irish Examiner", "irishexaminer.com"),
        ("Trump - Putin talks", None, None),
        ("Trump – Putin talks: what we know", "Echo Live", "echolive.ie"),
        ("Dublin-Cork rail line reopens", None, "dublin.ie"),
        # a long or unknown trailing part after "|" stays
        ("Budget 2025 | What it means for you and your family", None, None),
        ("Budget 2025 | Key points", None, None),  # too little would remain
        # only the site's name: kept rather than emptied
        ("The Irish Times", "The Irish Times", "irishtimes.com"),
        ("Opinion | Why the budget matters", "The Irish Times", "irishtimes.com"),
        ("Gardaí appeal | Cork crash", None, None),  # a short headline keeps its "| part"
        ("Irish Times readers react to the budget", "Irish Times", "irishtimes.com"),
        ("Irish Times: what readers said", None, "irishtimes.com"),  # only the site name counts
    ],
)
def test_clean_title_keeps_headlines(title, site_name, domain):
    assert clean_title(title, site_name, domain) == title


def test_clean_title_never_empty():
    assert clean_title("The Irish Times | The Irish Times", "The Irish Times", None) == (
        "The Irish Times"
    )
    assert clean_title("|", None, None) == "|"


@pytest.mark.parametrize("title", [None, "", "   ", 5])
def test_clean_title_odd_input(title):
    assert clean_title(title, None, None) is None


def test_clean_title_odd_site_and_domain():
    assert clean_title("Headline here | Site", 5, "http://[::1") == "Headline here | Site"
    assert clean_title("Headline - Site", "", "") == "Headline - Site"


# --------------------------------------------------------------------------- split_authors


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("By Jane Doe and John Roe", ["Jane Doe", "John Roe"]),
        ("Reuters; AP", ["Reuters", "AP"]),
        ("Jane Doe, John Roe & Mary Major", ["Jane Doe", "John Roe", "Mary Major"]),
        ("Jane Doe | John Roe\nMary Major", ["Jane Doe", "John Roe", "Mary Major"]),
        ("by: Jane Doe", ["Jane Doe"]),
        ("BY JANE DOE AND JOHN ROE", ["JANE DOE", "JOHN ROE"]),
        ("Written by Jane Doe", ["Jane Doe"]),
        ("Words: Jane Doe | Photos: John Roe", ["Jane Doe"]),
        ("Byron Smith", ["Byron Smith"]),  # "By" only as a word
        ("Andrea Anderson and Sandy Band", ["Andrea Anderson", "Sandy Band"]),
        # duplicates, ignoring case, first spelling and order kept
        ("Jane Doe, JANE DOE, jane doe, John Roe", ["Jane Doe", "John Roe"]),
        (["Jane Doe", "jane doe", "John Roe and Jane Doe"], ["Jane Doe", "John Roe"]),
        # roles and degrees after a name
        ("By TOM KRISHER, AP Auto Writer", ["TOM KRISHER"]),
        ("Jane Doe, Staff Writer", ["Jane Doe"]),
        ("Rachael Link, MS, RD", ["Rachael Link"]),
        ("HNN Staff", ["HNN Staff"]),  # the only attribution there is
        ("Analysis by Chris Cillizza; CNN Editor-at-large", ["Chris Cillizza"]),
        # a date leaking into the byline; months that are names stay
        ("Jeff Foust Monday; November", ["Jeff Foust"]),
        ("Carrie Arnold November", ["Carrie Arnold"]),
        ("April Smith and June May", ["April Smith", "June May"]),
        # e-mails, URLs and handles
        (
            "Jane Doe (jane.doe@example.com), https://example.com/jane, @janedoe, www.x.com",
            ["Jane Doe"],
        ),
        ("Jane Doe @janedoe", ["Jane Doe"]),
        # a sentence that leaked into the byline
        ("This article was produced with the help of many people across the newsroom " * 2, []),
    ],
)
def test_split_authors(raw, expected):
    assert split_authors(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "  ", ",;|", "By", "and", 5, [None, 3, ""], []])
def test_split_authors_odd_input(raw):
    assert split_authors(raw) == []


# --------------------------------------------------------------------------- detect_language

ENGLISH = (
    "The council said the new bridge would open to traffic next spring, after engineers "
    "finished checking the foundations and the road surface."
)
GERMAN = (
    "Der Stadtrat hat am Dienstag beschlossen, dass die neue Brücke im kommenden Frühjahr "
    "für den Verkehr freigegeben wird, nachdem die Ingenieure die Fundamente geprüft haben."
)
FRENCH = (
    "Le conseil municipal a annoncé mardi que le nouveau pont serait ouvert à la circulation "
    "au printemps prochain, après la vérification des fondations par les ingénieurs."
)
SPANISH = (
    "El ayuntamiento anunció el martes que el nuevo puente se abrirá al tráfico la próxima "
    "primavera, después de que los ingenieros revisen los cimientos y la calzada."
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [(ENGLISH, "en"), (GERMAN, "de"), (FRENCH, "fr"), (SPANISH, "es"), (ECHOLIVE_TEXT, "en")],
)
def test_detect_language(text, expected):
    assert detect_language(text) == expected
    # a long, clear text wins over a wrong page declaration
    assert detect_language(text, "pt-BR") == expected


def test_short_text_uses_html_lang():
    assert detect_language("Hello", "en-GB") == "en"
    assert detect_language("Bonjour", "fr_FR") == "fr"
    assert detect_language("OK", "DE") == "de"
    assert detect_language("", "es-419") == "es"
    assert detect_language("12:45 — 3-1", "it") == "it"
    assert detect_language("Hello", "iw") == "he"  # deprecated code for Hebrew


def test_short_text_without_html_lang():
    assert detect_language("Hello") is None  # too weak a signal
    assert detect_language("Der Bundestag hat heute") == "de"  # short but confident


@pytest.mark.parametrize("html_lang", [None, "", "x-default", "eng", "*", "12", 5])
def test_unusable_html_lang(html_lang):
    assert detect_language("Hello", html_lang) is None


@pytest.mark.parametrize("text", ODD_INPUTS)
def test_detect_language_odd_input(text):
    detect_language(text)
    detect_language(text, "en")


# --------------------------------------------------------------------------- hashes and ids


def test_content_hash_ignores_whitespace_and_case():
    a = content_hash("Trump and Putin speak\n\nfor more than an hour.")
    b = content_hash("  trump AND putin   speak for more\tthan an HOUR. ")
    assert a == b
    assert re.fullmatch(r"[0-9a-f]{32}", a)
    assert content_hash("Trump and Putin speak for an hour.") != a
    assert content_hash("Straße") == content_hash("STRASSE")  # casefold, not lower


@pytest.mark.parametrize("text", ODD_INPUTS)
def test_content_hash_odd_input(text):
    assert re.fullmatch(r"[0-9a-f]{32}", content_hash(text))


def test_article_id():
    by_url = article_id("https://www.echolive.ie/a", "ignored")
    assert re.fullmatch(r"[0-9a-f]{32}", by_url)
    assert by_url == article_id("https://www.echolive.ie/a", "other")
    assert by_url != article_id("https://www.echolive.ie/b", "ignored")
    digest = content_hash("some text")
    by_content = article_id(None, digest)
    assert by_content == article_id("", digest)
    assert by_content != article_id(None, content_hash("other text"))
    assert by_content != by_url
    assert re.fullmatch(r"[0-9a-f]{32}", article_id(None, None))


def edited(text: str) -> str:
    """The same story with one sentence reworded and the last line dropped."""
    lines = text.splitlines()
    lines[2] = lines[2].replace("shakes hands with", "greets")
    return "\n".join(lines[:-1])


@pytest.fixture(scope="module")
def other_article() -> str:
    tree = trafilatura.load_html(
        gzip.decompress((DATA / "html" / "slashgear-06ee193d.html.gz").read_bytes())
    )
    return trafilatura.extract(tree)


def test_simhash_near_duplicates_are_close():
    assert edited(ECHOLIVE_TEXT) != ECHOLIVE_TEXT
    assert hamming(simhash64(ECHOLIVE_TEXT), simhash64(edited(ECHOLIVE_TEXT))) < 10
    # formatting and case do not matter at all
    reformatted = " ".join(ECHOLIVE_TEXT.upper().split())
    assert simhash64(reformatted) == simhash64(ECHOLIVE_TEXT)


def test_simhash_unrelated_texts_are_far(other_article):
    assert hamming(simhash64(ECHOLIVE_TEXT), simhash64(other_article)) > 20
    assert hamming(simhash64(ENGLISH), simhash64(GERMAN)) > 20


def test_simhash_word_order_matters():
    assert simhash64("alpha beta gamma delta") != simhash64("delta gamma beta alpha")


def test_simhash_is_stable_across_processes():
    text = "The quick brown fox jumps over the lazy dog near the river bank at dawn."
    assert simhash64(text) == 11882883139937727783  # a regression here changes stored data
    code = f"from tasks.normalise.fields import simhash64; print(simhash64({text!r}))"
    other = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env={"PYTHONHASHSEED": "12345", "PATH": ""},
    )
    assert int(other.stdout) == 11882883139937727783


@pytest.mark.parametrize("text", ["one", "one two", "one two three", ECHOLIVE_TEXT])
def test_simhash_range(text):
    value = simhash64(text)
    assert isinstance(value, int)
    assert 0 <= value < 2**64


@pytest.mark.parametrize("text", [*ODD_INPUTS, "!!! ??? ...", "\n\n"])
def test_simhash_odd_input(text):
    value = simhash64(text)
    assert isinstance(value, int) and 0 <= value < 2**64


def test_hamming():
    assert hamming(0, 0) == 0
    assert hamming(0, 2**64 - 1) == 64
    assert hamming(0b1011, 0b0001) == 2
    assert hamming(None, 0) == 64
    assert hamming("x", 0) == 64


# --------------------------------------------------------------------------- text


def test_paragraphs():
    raw = "First paragraph.  \nSecond\t paragraph\u00a0here.\n\n\n   \nThird. \n"
    assert paragraphs(raw) == "First paragraph.\n\nSecond paragraph here.\n\nThird."
    assert paragraphs("\r\nOne\r\nTwo\r\n") == "One\n\nTwo"
    assert paragraphs(paragraphs(raw)) == paragraphs(raw)


@pytest.mark.parametrize("text", [None, "", "  \n \n", 5])
def test_paragraphs_odd_input(text):
    assert paragraphs(text) == ""


def test_word_count():
    assert word_count("Trump and Putin\n\nspeak.") == 4
    assert word_count("") == 0
    assert word_count(None) == 0
    assert word_count(5) == 0


# --------------------------------------------------------------------------- pick_published

META = [(datetime(2025, 3, 18, 14, 48, tzinfo=UTC), "json-ld")]


def test_meta_candidate_wins():
    assert pick_published(META, "2025-03-17", "https://e.com/2025/03/17/a") == (
        META[0][0],
        "json-ld",
    )
    time_tag = [(datetime(2025, 3, 18, 9, tzinfo=UTC), "time-tag")]
    assert pick_published(time_tag, "2025-03-17", None) == (time_tag[0][0], "time-tag")


def test_unusable_meta_candidates_are_skipped():
    candidates = [
        ("not a datetime", "meta"),
        (datetime(2025, 3, 18, tzinfo=UTC), "unknown-source"),
        (datetime(2099, 1, 1, tzinfo=UTC), "meta"),
        None,
        (datetime(2025, 3, 18, 16, 48), "meta"),  # naive: UTC
    ]
    assert pick_published(candidates, None, None, now=NOW) == (
        datetime(2025, 3, 18, 16, 48, tzinfo=UTC),
        "meta",
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://www.echolive.ie/news/2025/03/18/trump-putin/",
        "https://www.echolive.ie/news/2025-03-18-trump-putin",
        "https://www.echolive.ie/news/2025/3/18/trump-putin",
        "https://www.echolive.ie/news/20250318/trump-putin",
        "https://www.echolive.ie/news/trump-putin-20250318.html",
        "https://www.theguardian.com/world/2025/mar/18/trump-putin",
        "https://www.echolive.ie/news/2025_03_18_trump",
    ],
)
def test_trafilatura_date_found_in_url(url):
    assert pick_published([], "2025-03-18", url) == (datetime(2025, 3, 18, tzinfo=UTC), "url")


@pytest.mark.parametrize(
    "url",
    [
        None,
        "https://www.echolive.ie/news/arid-41234567.html",
        "https://www.echolive.ie/news/2025/03/17/other-day",
        "https://www.echolive.ie/news/2025/03/",
        "https://www.echolive.ie/news/1202503181/",  # digits of a longer number
    ],
)
def test_trafilatura_date_from_text(url):
    assert pick_published([], "2025-03-18", url) == (datetime(2025, 3, 18, tzinfo=UTC), "text")


@pytest.mark.parametrize("date", [None, "", "2025-13-45", "0000-00-00", "2099-01-01", "soon", 5])
def test_nothing_usable(date):
    assert pick_published([], date, "https://e.com/2025/03/18/") == (None, "none")
    assert pick_published(None, date, None) == (None, "none")


def test_publication_stamped_on_the_last_save_gives_way_to_an_earlier_page_date():
    """datePublished == dateModified (a CMS that rewrites both on every save) and the page
    shows an older original date (htmldate): the older date is the publication."""
    saved = datetime(2025, 6, 24, 9, 30, tzinfo=UTC)
    candidates = [(saved, "json-ld")]
    url = "https://e.com/blog/how-much-to-charge"
    assert pick_published(candidates, "2024-08-25", url, now=NOW, modified=saved) == (
        datetime(2024, 8, 25, tzinfo=UTC),
        "text",
    )
    # a real later modification: the declared publication stands
    later = saved + timedelta(days=30)
    assert pick_published(candidates, "2024-08-25", url, now=NOW, modified=later) == (
        saved,
        "json-ld",
    )
    # one calendar day earlier is the publisher's local day, not an older article
    assert pick_published(candidates, "2025-06-23", url, now=NOW, modified=saved) == (
        saved,
        "json-ld",
    )
    # no modification time declared: nothing to suspect
    assert pick_published(candidates, "2024-08-25", url, now=NOW) == (saved, "json-ld")


def test_stamped_on_save():
    when = datetime(2025, 6, 24, 9, 30, tzinfo=UTC)
    assert stamped_on_save(when, when + timedelta(hours=3))
    assert not stamped_on_save(when, when + timedelta(days=3))
    assert not stamped_on_save(when, None) and not stamped_on_save(None, when)
