"""Title, author and tag rules (issue 15), with real strings in several languages."""

from __future__ import annotations

import gzip
from datetime import UTC, date, datetime, timedelta

import pyarrow.parquet as pq
import pytest
import trafilatura
from conftest import REPO

from tasks.extract.htmlmeta import author_links, read_page_meta
from tasks.extract.record import extract_record
from tasks.extract.textclean import clean_text
from tasks.normalise.authors import names_person, split_authors
from tasks.normalise.tags import split_tags
from tasks.normalise.titles import clean_title, pick_title
from tasks.process.write import articles_table
from tasks.records import ExtractOptions, RawRecord

OPTIONS = ExtractOptions(crawl_date=date(2025, 3, 18), pipeline_version="test", schema_version=1)

# ------------------------------------------------------------------------------ titles


@pytest.mark.parametrize(
    ("title", "site_name", "domain", "expected"),
    [
        # the examples
        ("Babiš: Vláda padne - Seznam Zprávy", None, "seznamzpravy.cz", "Babiš: Vláda padne"),
        ("Hochwasser in Bayern – DW – 13.06.2023", "DW", "dw.com", "Hochwasser in Bayern"),
        # the site name in other forms: accents, case, spaces, ".de", "www.", a prefix
        ("Neue Studie zu Schlaf | STERN.de", None, "stern.de", "Neue Studie zu Schlaf"),
        ("Neue Studie zu Schlaf - www.stern.de", None, "stern.de", "Neue Studie zu Schlaf"),
        ("Seznam Zpravy | Babiš: Vláda padne", None, "seznamzpravy.cz", "Babiš: Vláda padne"),
        ("Le Monde.fr : Réforme des retraites", "Le Monde.fr", "lemonde.fr", None),
        ("NRK: Stormen Ingunn treffer kysten", "NRK", "nrk.no", "Stormen Ingunn treffer kysten"),
        ("Stormen treffer kysten · NRK", "NRK", "nrk.no", "Stormen treffer kysten"),
        ("Stormen treffer kysten » VG", "VG", "vg.no", "Stormen treffer kysten"),
        ("El Gobierno aprueba la ley — EL PAÍS", "EL PAÍS", "elpais.com", None),
        ("Il governo approva la legge | la Repubblica", "la Repubblica", "repubblica.it", None),
        ("Kabinet valt over migratie | NOS", "NOS", "nos.nl", None),
        ("Regeringen faller – SVT Nyheter", "SVT Nyheter", "svt.se", None),
        ("엘제이-류화영 진흙탕 싸움 - Entermedia", None, "entermedia.co.kr", None),
        # site name plus a date, at the end or the start
        ("Flut in Libyen | tagesschau.de | 13.09.2023", None, "tagesschau.de", "Flut in Libyen"),
        ("DW | 2023-06-13 | Hochwasser in Bayern", "DW", "dw.com", "Hochwasser in Bayern"),
        ("Hochwasser in Bayern | 13.06.2023 | DW", "DW", "dw.com", "Hochwasser in Bayern"),
    ],
)
def test_clean_title_strips_site_names(title, site_name, domain, expected):
    headline = title.split(" - ")[0] if "Entermedia" in title else None
    default = {
        "Le Monde.fr : Réforme des retraites": "Réforme des retraites",
        "El Gobierno aprueba la ley — EL PAÍS": "El Gobierno aprueba la ley",
        "Il governo approva la legge | la Repubblica": "Il governo approva la legge",
        "Kabinet valt over migratie | NOS": "Kabinet valt over migratie",
        "Regeringen faller – SVT Nyheter": "Regeringen faller",
    }
    assert clean_title(title, site_name, domain) == (expected or headline or default[title])


@pytest.mark.parametrize(
    ("title", "site_name", "domain"),
    [
        # a colon inside the headline: neither side is the site
        ("Analysis: the long road to peace in Ukraine", "The Guardian", "theguardian.com"),
        ("Kommentar: Die Koalition hat keine Zeit mehr", "tagesschau.de", "tagesschau.de"),
        ("Ukraine: Selenskyj trifft Scholz in Berlin", "ZEIT ONLINE", "zeit.de"),
        # after a colon only the declared site name counts, not the domain's label
        ("Guardian: what our readers said", None, "theguardian.com"),
        # a dash between two parts of a headline
        ("Trump – Putin: what the call means for Kyiv", "BBC News", "bbc.co.uk"),
        ("Zeman – Babiš: spor o jmenování ministrů", "Seznam Zprávy", "seznamzpravy.cz"),
        # a date that is no site's companion stays ("Wahl am 13.06.2023" is the headline)
        ("Wahlen – 13.06.2023", "DW", "dw.com"),
        ("12:30 Uhr: Bundestag stimmt ab", "tagesschau.de", "tagesschau.de"),
    ],
)
def test_clean_title_keeps_headline_parts(title, site_name, domain):
    assert clean_title(title, site_name, domain) == title


def test_pick_title_prefers_the_visible_headline_with_the_same_words():
    declared = "Nutritionists Explain the Biggest Diet Trends of 2025 | Prevention"
    h1 = "The 7 Biggest Diet and Nutrition Trends in 2025, According to Nutritionists"
    assert pick_title(declared, [h1], "Prevention", "prevention.com") == h1


def test_pick_title_ignores_unrelated_and_site_headings():
    declared = "Stormen Ingunn treffer kysten - NRK"
    # a section heading that shares no word, and the site's own name
    assert pick_title(declared, ["Siste nytt", "NRK"], "NRK", "nrk.no") == (
        "Stormen Ingunn treffer kysten"
    )


def test_pick_title_takes_a_single_headline_when_nothing_is_declared():
    assert pick_title(None, ["Regeringen faller"], None, "svt.se") == "Regeringen faller"
    assert pick_title(None, ["Ett", "Två"], None, "svt.se") is None
    assert pick_title(None, [], None, None) is None


def page_meta(body: str, head: str = ""):
    markup = f"<html><head>{head}</head><body>{body}</body></html>"
    return read_page_meta(trafilatura.load_html(markup), "https://example.com/a/b")


def test_headlines_skip_logo_and_masthead_h1():
    meta = page_meta(
        '<div id="header"><a href="/"><h1>엔터 미디어</h1></a></div>'
        '<h1 class="site-title">Entermedia</h1>'
        '<h1><a href="https://example.com/"><img src="logo.gif" alt="Logo"></a></h1>'
        "<nav><h1>Menü</h1></nav>"
        "<article><h1>엘제이-류화영 진흙탕 싸움</h1><p>본문</p></article>",
        "<title>엘제이-류화영 진흙탕 싸움 - Entermedia</title>",
    )
    assert meta.headlines == ["엘제이-류화영 진흙탕 싸움"]
    assert meta.declared_title == "엘제이-류화영 진흙탕 싸움 - Entermedia"


def test_headlines_in_article_first_and_words_kept_apart():
    meta = page_meta(
        "<h1>Section front</h1><main><header><h1>The Best Notion Alternatives<br>"
        "Top Note-taking Tools</h1></header></main>"
    )
    assert meta.headlines == ["The Best Notion Alternatives Top Note-taking Tools"]


def test_declared_title_order():
    head = (
        '<title>Tag title</title><meta property="og:title" content="OG title">'
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "LD"}</script>'
    )
    assert page_meta("<p>x</p>", head).declared_title == "OG title"
    head = '<title>Tag title</title><script type="application/ld+json">'
    head += '{"@type": "NewsArticle", "headline": "LD headline"}</script>'
    assert page_meta("<p>x</p>", head).declared_title == "LD headline"


def test_korean_demo_page_gets_its_headline_not_the_logo():
    html = gzip.decompress((REPO / "infra/demo/raw/0ec95c7261d1.html.gz").read_bytes())
    record = RawRecord("demo", "html", "html", html, url="http://www.entermedia.co.kr/news")
    row = extract_record(record, OPTIONS)
    assert isinstance(row, dict)
    assert row["title"] == "엘제이-류화영 진흙탕 싸움, 공적인 사안으로 봐야하는 이유"


# ------------------------------------------------------------------------------ authors


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # conjunctions in the major European languages
        ("Felix Schröder und Jörg Soldwisch", ["Felix Schröder", "Jörg Soldwisch"]),
        ("Kari Nordmann og Ola Nordmann", ["Kari Nordmann", "Ola Nordmann"]),  # no / da
        ("Jean Dupont et Marie Curie", ["Jean Dupont", "Marie Curie"]),
        ("María García y José Pérez", ["María García", "José Pérez"]),
        ("Mario Rossi e Luca Bianchi", ["Mario Rossi", "Luca Bianchi"]),
        ("Anna Kowalska i Jan Nowak", ["Anna Kowalska", "Jan Nowak"]),
        ("Jan de Vries en Piet Jansen", ["Jan de Vries", "Piet Jansen"]),
        ("Anna Svensson och Erik Berg", ["Anna Svensson", "Erik Berg"]),
        ("Jane Doe & John Roe", ["Jane Doe", "John Roe"]),
        ("Jan Novák, Petr Svoboda", ["Jan Novák", "Petr Svoboda"]),
        # role prefixes, any case
        ("Autor Monika Bolliger", ["Monika Bolliger"]),
        ("Autorin: Monika Bolliger", ["Monika Bolliger"]),
        ("Von Jörg Soldwisch", ["Jörg Soldwisch"]),
        ("von Jörg Soldwisch", ["Jörg Soldwisch"]),
        ("Por María García", ["María García"]),
        ("Par Jean Dupont", ["Jean Dupont"]),
        ("Door Jan de Vries", ["Jan de Vries"]),
        ("Av Kari Nordmann", ["Kari Nordmann"]),
        ("Di Mario Rossi", ["Mario Rossi"]),
        ("Text: Jan Novák", ["Jan Novák"]),
        ("Written by Jane Doe", ["Jane Doe"]),
        ("This post was written by Danielle Padula", ["Danielle Padula"]),
        # trailing initials, handles, an agency in parentheses, "updated" tails
        ("Elena Oberholzer (obe)", ["Elena Oberholzer"]),
        ("Elena Oberholzer [obe]", ["Elena Oberholzer"]),
        ("Jane Doe @janedoe", ["Jane Doe"]),
        ("Elena Oberholzer (dpa)", ["Elena Oberholzer", "dpa"]),
        ("Cazzy Magennis Last Updated August 1", ["Cazzy Magennis"]),
        # agencies stay beside persons
        ("Jane Doe, dpa", ["Jane Doe", "dpa"]),
        ("Kari Nordmann og NTB", ["Kari Nordmann", "NTB"]),
        ("AFP", ["AFP"]),
        # entities
        ("Maria &amp; Katerina", ["Maria", "Katerina"]),
    ],
)
def test_split_authors_rules(raw, expected):
    assert split_authors(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Andrea E.", ["Andrea E."]),  # an initial, not the Italian "e"
        ("Jan I. Berg", ["Jan I. Berg"]),  # not the Polish "i"
        ("Di Maio", ["Di Maio"]),  # a surname, not "by"
        ("Da Silva", ["Da Silva"]),
        ("Von der Leyen", ["Von der Leyen"]),
        ("Ursula von der Leyen", ["Ursula von der Leyen"]),
        ("Byron Smith", ["Byron Smith"]),
        ("Anders Andersen", ["Anders Andersen"]),  # "and" inside a word
        ("José Ortega Y Gasset", ["José Ortega Y Gasset"]),  # capital "Y": part of a name
    ],
)
def test_split_authors_keeps_names_whole(raw, expected):
    assert split_authors(raw) == expected


@pytest.mark.parametrize(
    ("raw", "site_name", "domain", "expected"),
    [
        (["STERN.de", "Jana Müller"], "STERN.de", "stern.de", ["Jana Müller"]),
        (["stern.de", "Jana Müller"], None, "stern.de", ["Jana Müller"]),
        (["Deutsche Welle", "Jane Doe"], "DW", "dw.com", ["Jane Doe"]),
        ("Seznam Zprávy, Jan Novák", "Seznam Zprávy", "seznamzpravy.cz", ["Jan Novák"]),
        # the site alone, or the site and an agency: nobody else is credited
        ("Deutsche Welle", "DW", "dw.com", ["Deutsche Welle"]),
        ("STERN.de, dpa", "STERN.de", "stern.de", ["STERN.de", "dpa"]),
        # an agency that is the site stays beside a person
        ("Reuters, Jane Doe", "Reuters", "reuters.com", ["Reuters", "Jane Doe"]),
    ],
)
def test_split_authors_site_only_without_persons(raw, site_name, domain, expected):
    assert split_authors(raw, site_name, domain) == expected


def test_names_person():
    assert not names_person(["STERN.de", "dpa"], "STERN.de", "stern.de")
    assert names_person(["Jana Müller"], "STERN.de", "stern.de")
    assert not names_person([], None, None)


def test_split_authors_is_always_a_list():
    for raw in (None, "", "By", "und", 3, [None], []):
        assert split_authors(raw) == []


def test_plain_text_credit_lines_use_the_same_splitter():
    raw = (
        "Regierung stellt Haushalt vor\n\n"
        "Von Felix Schröder und Jörg Soldwisch\n\n"
        + "Die Bundesregierung hat am Mittwoch ihren Entwurf für den Haushalt vorgestellt. " * 4
        + "\n\nDer Bundestag soll im Herbst darüber abstimmen, wie es in Berlin hieß. " * 3
    )
    # the plain-text classifier finds English "By" lines; the names split in any language
    cleaned = clean_text(raw.replace("Von Felix", "By Felix"), language="de")
    assert cleaned.authors == ["Felix Schröder", "Jörg Soldwisch"]


# ------------------------------------------------------------------------------ tags


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            ["delhi pollution, oxygen bar, AQI; Delhi Pollution,  oxygen  bar , smog"],
            ["delhi pollution", "oxygen bar", "AQI", "smog"],
        ),
        (["Politik", "politik", "Berlin; Bundestag"], ["Politik", "Berlin", "Bundestag"]),
        ("Økonomi, Ålesund, økonomi", ["Økonomi", "Ålesund"]),
        ([" ", ",", ";"], []),
        (None, []),
    ],
)
def test_split_tags(raw, expected):
    assert split_tags(raw) == expected


# ------------------------------------------------------------------------------ rows


def test_rows_never_have_null_list_columns():
    text = RawRecord(
        "t.txt",
        "text",
        "text",
        "Headline of the day\n\n" + "A sentence of the article body, long enough. " * 20,
    )
    html = RawRecord(
        "p.html",
        "html",
        "html",
        "<html><body><article><h1>Headline</h1>"
        + "<p>A sentence of the article body, long enough to be kept. </p>" * 10
        + "</article></body></html>",
        url="https://example.com/a",
    )
    for record in (text, html):
        row = extract_record(record, OPTIONS)
        assert isinstance(row, dict)
        assert row["authors"] == [] and row["tags"] == []


def test_html_row_tags_split_and_authors_cleaned():
    head = (
        '<meta name="keywords" content="Hochwasser, Bayern; hochwasser, Regen">'
        '<meta name="author" content="Von Felix Schröder und Jörg Soldwisch">'
        '<meta property="og:site_name" content="DW">'
        '<meta property="og:title" content="Hochwasser in Bayern – DW – 13.06.2023">'
    )
    body = (
        "<article><h1>Hochwasser in Bayern</h1>" + "<p>Der Regen hält an, sagen Experten. </p>" * 12
    )
    record = RawRecord(
        "p.html",
        "html",
        "html",
        f"<html><head>{head}</head><body>{body}</article></body></html>",
        url="https://www.dw.com/de/hochwasser/a-1",
    )
    row = extract_record(record, OPTIONS)
    assert isinstance(row, dict)
    assert row["title"] == "Hochwasser in Bayern"
    assert row["authors"] == ["Felix Schröder", "Jörg Soldwisch"]
    assert row["tags"] == ["Hochwasser", "Bayern", "Regen"]


def test_author_links_take_links_that_spell_the_name_in_one_byline_box():
    tree = trafilatura.load_html(
        "<html><body><div class='by'>Von <a href='/autoren/joerg-soldwisch/'>Jörg Soldwisch</a>"
        " und <a href='https://example.com/author/felix-schroder'>Felix Schröder</a></div>"
        "<p>Text</p><a href='https://bsky.app/profile/someone'>Bluesky</a>"
        "<a href='/author/jane-doe'>View all posts</a>"
        "<div><div><div><a href='/author/ann-other'>Ann Other</a></div></div></div>"
        "</body></html>"
    )
    # "Jörg" vs "joerg" does not spell the same: only the rel/slug matches count
    assert author_links(tree) == ["Felix Schröder"]
    tree = trafilatura.load_html(
        "<html><body><p class='byline'><a rel='author' href='/u/17'>Kari Nordmann</a> og "
        "<a href='/people/ola-nordmann'>Ola Nordmann</a></p></body></html>"
    )
    assert author_links(tree) == ["Kari Nordmann", "Ola Nordmann"]
    assert author_links(None) == []


def test_html_row_falls_back_to_author_links_and_visible_byline():
    body = "<p>Der Regen hält an, sagen Experten in der Stadt. </p>" * 12
    linked = RawRecord(
        "p.html",
        "html",
        "html",
        "<html><body><article><h1>Hochwasser</h1><div class='meta'>"
        "<a href='/author/elena-oberholzer'>Elena Oberholzer</a></div>"
        f"{body}</article></body></html>",
        url="https://www.nzz.ch/a-1",
    )
    assert extract_record(linked, OPTIONS)["authors"] == ["Elena Oberholzer"]
    site_only = RawRecord(
        "p.html",
        "html",
        "html",
        '<html><head><script type=\'application/ld+json\'>{"@type": "NewsArticle", '
        '"author": {"@type": "Organization", "name": "STERN.de"}}</script>'
        "</head><body><article>"
        "<h1>Neue Studie</h1><p class='author'>Von Jana Müller</p>"
        f"{body}</article></body></html>",
        url="https://www.stern.de/a-1",
    )
    assert extract_record(site_only, OPTIONS)["authors"] == ["Jana Müller"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # a date or a job title run into the name, link texts that are no names
        ("Russell Miller Dec", ["Russell Miller"]),
        ("Supermove February 8", ["Supermove"]),
        ("Keith Barry Senior Autos Reporter", ["Keith Barry"]),
        ("Zackery Cuevas Writer", ["Zackery Cuevas"]),
        ("Rasmus Barslund Founder, Lead Reviewer", ["Rasmus Barslund"]),
        ("Read more about The Upwork Team", ["The Upwork Team"]),
        ("View more posts", []),
        ("Www Facebook Com", []),
        # names that look like those stay
        ("Jan Berg", ["Jan Berg"]),
        ("Anna May", ["Anna May"]),
        ("HNN Staff", ["HNN Staff"]),
    ],
)
def test_split_authors_drops_leaked_dates_roles_and_link_texts(raw, expected):
    assert split_authors(raw) == expected


# ------------------------------------------------------------------------------ dates


def test_row_keeps_the_publishers_utc_offset():
    """00:30 on 18 March in +02:00 is 17 March in UTC: the offset gives the page's own day."""
    body = "<p>A sentence of the article body, long enough to be kept. </p>" * 10
    head = (
        '<script type="application/ld+json">{"@type": "NewsArticle", '
        '"datePublished": "2025-03-18T00:30:00+02:00"}</script>'
    )
    record = RawRecord(
        "p.html",
        "html",
        "html",
        f"<html><head>{head}</head><body><article><h1>Headline</h1>{body}</article></body></html>",
        url="https://example.com/a",
    )
    row = extract_record(record, OPTIONS)
    assert row["published_at"] == datetime(2025, 3, 17, 22, 30, tzinfo=UTC)
    assert row["published_at_utc_offset_minutes"] == 120
    local = row["published_at"] + timedelta(minutes=row["published_at_utc_offset_minutes"])
    assert local.date() == date(2025, 3, 18)


def test_row_without_a_written_offset_has_none():
    body = "<p>A sentence of the article body, long enough to be kept. </p>" * 10
    record = RawRecord(
        "p.html",
        "html",
        "html",
        '<html><head><meta property="article:published_time" content="2025-03-18">'
        f"</head><body><article><h1>Headline</h1>{body}</article></body></html>",
        url="https://example.com/a",
    )
    row = extract_record(record, OPTIONS)
    assert row["published_at"] == datetime(2025, 3, 18, tzinfo=UTC)
    assert row["published_at_utc_offset_minutes"] is None


def test_row_without_author_or_tags_is_stored_as_empty_lists_under_a_not_null_schema(tmp_path):
    body = "<p>A sentence of the article body, long enough to be kept. </p>" * 10
    record = RawRecord(
        "p.html",
        "html",
        "html",
        f"<html><body><article><h1>Headline</h1>{body}</article></body></html>",
        url="https://example.com/a",
    )
    row = extract_record(record, OPTIONS)
    table, bad = articles_table([row])
    assert bad == []
    pq.write_table(table, tmp_path / "a.parquet")
    stored = pq.read_table(tmp_path / "a.parquet")
    assert stored.column("authors").to_pylist() == [[]]
    assert stored.column("tags").to_pylist() == [[]]
    schema = pq.read_schema(tmp_path / "a.parquet")
    assert not schema.field("authors").nullable and not schema.field("tags").nullable
    # a row that breaks the promise is refused, not written as null
    broken, refused = articles_table([{**row, "authors": None}])
    assert broken.num_rows == 0 and [f.error_message for f in refused] == [
        "ArrowInvalid: null in non-nullable column 'authors'"
    ]
