"""tasks.normalise.dates: the rules it gives an article row."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tasks.normalise.dates import (
    parse_datetime,
    parse_datetime_offset,
    pick_published,
    stamped_on_save,
)

NOW = datetime(2025, 7, 20, 12, 0, tzinfo=UTC)
PARSE_NOW = datetime(2025, 3, 20, 12, 0, tzinfo=UTC)

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


# --------------------------------------------------------------------------- parse_datetime


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # the offset is applied, the time of day kept
        ("2025-03-18T16:48:00+02:00", datetime(2025, 3, 18, 14, 48, tzinfo=UTC)),
        ("2025-03-18T16:48:00+0200", datetime(2025, 3, 18, 14, 48, tzinfo=UTC)),
        ("2019-11-20T04:31:13-06:00", datetime(2019, 11, 20, 10, 31, 13, tzinfo=UTC)),
        ("2025-03-18T16:48:00.123Z", datetime(2025, 3, 18, 16, 48, 0, 123000, tzinfo=UTC)),
        ("2019-11-20 13:42:06+08:00", datetime(2019, 11, 20, 5, 42, 6, tzinfo=UTC)),
        # naive -> UTC, date only -> midnight UTC
        ("2025-03-18T16:48:00", datetime(2025, 3, 18, 16, 48, tzinfo=UTC)),
        ("2025-03-18", datetime(2025, 3, 18, tzinfo=UTC)),
        ("20250318", datetime(2025, 3, 18, tzinfo=UTC)),
        # RFC 2822 and other common forms through the fallback parser
        ("Tue, 18 Mar 2025 16:48:00 +0200", datetime(2025, 3, 18, 14, 48, tzinfo=UTC)),
        ("Mon, 18 Nov 2019 16:07:38 -0600", datetime(2019, 11, 18, 22, 7, 38, tzinfo=UTC)),
        ("19 Nov 2019 07:09 GMT", datetime(2019, 11, 19, 7, 9, tzinfo=UTC)),
        ("November 19, 2019", datetime(2019, 11, 19, tzinfo=UTC)),
        ("18 March 2025 16:48 EST", datetime(2025, 3, 18, 21, 48, tzinfo=UTC)),
        # JavaScript's Date.toString(): "GMT+0200" means UTC+2, not POSIX UTC-2
        (
            "Wed Mar 18 2025 16:48:00 GMT+0200 (Central European Standard Time)",
            datetime(2025, 3, 18, 14, 48, tzinfo=UTC),
        ),
        ("01:38:07 PM IST Nov 20, 2019", datetime(2019, 11, 20, 8, 8, 7, tzinfo=UTC)),
        # epoch seconds and milliseconds
        ("1742316480", datetime(2025, 3, 18, 16, 48, tzinfo=UTC)),
        ("1742316480000", datetime(2025, 3, 18, 16, 48, tzinfo=UTC)),
        ("  2025-03-18T16:48:00Z \n", datetime(2025, 3, 18, 16, 48, tzinfo=UTC)),
    ],
)
def test_parse_datetime_keeps_time_and_converts_to_utc(value, expected):
    parsed = parse_datetime(value, now=PARSE_NOW)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "value",
    [
        "2025-13-45",
        "0000-00-00",
        "0000-00-00 00:00:00",
        "0001-01-01T00:00:00Z",  # a placeholder seen on real pages
        "1989-12-31T23:59:59Z",  # before 1990
        "2099-01-01",  # the future
        "2025-03-23T12:00:01Z",  # more than two days after PARSE_NOW
        "garbage",
        "Updated 5 minutes ago",
        "5",  # dateutil alone would fill in the current month and year
        "2019",  # year only
        "Nov 19",  # no year
        "",
        "   ",
        "x" * 200,
        None,
        12345,
        ["2025-03-18"],
    ],
)
def test_parse_datetime_rejects_invalid_and_implausible(value):
    assert parse_datetime(value, now=PARSE_NOW) is None


def test_parse_datetime_future_limit_is_two_days_after_now():
    assert parse_datetime("2025-03-22T11:59:00Z", now=PARSE_NOW) is not None
    assert parse_datetime("2025-03-22T12:01:00Z", now=PARSE_NOW) is None
    # default `now` is the current time
    assert parse_datetime("2020-01-01") == datetime(2020, 1, 1, tzinfo=UTC)


def test_parse_datetime_accepts_datetime_objects():
    naive = datetime(2025, 3, 18, 16, 48)
    assert parse_datetime(naive, now=PARSE_NOW) == datetime(2025, 3, 18, 16, 48, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-06-13T00:30:00+02:00", (datetime(2025, 6, 12, 22, 30, tzinfo=UTC), 120)),
        ("2025-06-13T00:30:00Z", (datetime(2025, 6, 13, 0, 30, tzinfo=UTC), 0)),
        ("2025-06-12T21:30:00-05:30", (datetime(2025, 6, 13, 3, 0, tzinfo=UTC), -330)),
        ("Fri, 13 Jun 2025 00:30:00 CEST", (datetime(2025, 6, 12, 22, 30, tzinfo=UTC), 120)),
        # no offset written: the UTC reading, and no offset to report
        ("2025-06-13T00:30:00", (datetime(2025, 6, 13, 0, 30, tzinfo=UTC), None)),
        ("2025-06-13", (datetime(2025, 6, 13, tzinfo=UTC), None)),
        ("1749774600", (datetime(2025, 6, 13, 0, 30, tzinfo=UTC), None)),
        ("not a date", None),
    ],
)
def test_parse_datetime_offset_keeps_the_written_offset(value, expected):
    assert parse_datetime_offset(value, now=datetime(2025, 7, 1, tzinfo=UTC)) == expected


# --------------------------------------------------------------------------- shown date

FETCHED = datetime(2026, 3, 31, tzinfo=UTC)
MONGODB = "https://www.mongodb.com/company/blog/engineering/token-count-based-batching"


def test_the_date_shown_under_the_headline_beats_htmldate() -> None:
    """No metadata date: htmldate reads the whole page and can take a related article's
    date; the by-line date under the headline is the page's own."""
    assert pick_published([], "2025-12-17", MONGODB, now=FETCHED, shown=date(2025, 12, 18)) == (
        datetime(2025, 12, 18, tzinfo=UTC),
        "text",
    )
    # no htmldate date at all
    assert pick_published([], None, MONGODB, now=FETCHED, shown=date(2025, 12, 18)) == (
        datetime(2025, 12, 18, tzinfo=UTC),
        "text",
    )
    # a shown date after the fetch is implausible: htmldate's stands
    assert pick_published([], "2025-06-17", MONGODB, now=FETCHED, shown=date(2026, 4, 3)) == (
        datetime(2025, 6, 17, tzinfo=UTC),
        "text",
    )


def test_htmldate_keeps_the_urls_date_over_the_shown_one() -> None:
    url = "https://blog.example.com/2025/12/20/advent-of-code-week-2"
    assert pick_published([], "2025-12-20", url, now=FETCHED, shown=date(2025, 12, 1)) == (
        datetime(2025, 12, 20, tzinfo=UTC),
        "url",
    )


def test_metadata_beats_the_shown_date() -> None:
    # a by-line date is often the last update's, unlabelled: declared metadata wins
    assert pick_published(META, "2025-03-17", None, now=FETCHED, shown=date(2025, 3, 1)) == (
        META[0][0],
        "json-ld",
    )


def test_a_resaved_publication_time_gives_way_to_the_shown_date_earlier_everywhere() -> None:
    """corti.ai: datePublished 2025-12-19T22:02:58.705Z, dateModified 13 s earlier (the
    last save), the page shows "Dec 18, 2025" under the headline."""
    saved = datetime(2025, 12, 19, 22, 2, 58, 705000, tzinfo=UTC)
    modified = saved - timedelta(seconds=13)
    candidates = [(saved, "json-ld")]
    url = "https://www.corti.ai/stories/gim-a-new-standard-for-mechanistic-interpretability"
    got = pick_published(
        candidates, "2025-12-19", url, now=FETCHED, modified=modified, shown=date(2025, 12, 18)
    )
    assert got == (datetime(2025, 12, 18, tzinfo=UTC), "text")
    # saved at 03:00 UTC, 18 Dec is still 19:00 the day before in California: same save
    early = datetime(2025, 12, 19, 3, 0, tzinfo=UTC)
    got = pick_published(
        [(early, "json-ld")], None, url, now=FETCHED, modified=early, shown=date(2025, 12, 18)
    )
    assert got == (early, "json-ld")


@pytest.mark.parametrize(
    ("day", "when", "expected"),
    [
        ("2025-12-18", "2025-12-19T22:02:00+00:00", True),
        ("2025-12-18", "2025-12-19T12:00:00+00:00", True),  # 00:00 on the 19th at UTC-12
        ("2025-12-18", "2025-12-19T11:59:00+00:00", False),  # 23:59 on the 18th at UTC-12
        ("2025-12-19", "2025-12-19T22:02:00+00:00", False),
        ("2025-12-20", "2025-12-19T22:02:00+00:00", False),
    ],
)
def test_earlier_everywhere(day: str, when: str, expected: bool) -> None:
    from tasks.normalise.dates import earlier_everywhere

    assert earlier_everywhere(parse_datetime(day), parse_datetime(when)) is expected
