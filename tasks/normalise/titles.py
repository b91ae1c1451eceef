"""Titles: the article's headline (`pick_title`) without the site's name around it
(`clean_title`)."""

from __future__ import annotations

import re

from tasks.normalise.sitename import TITLE_SEPARATOR, is_site_name, site_keys

__all__ = ["clean_title", "pick_title"]

# A date beside the site's name: " – DW – 13.06.2023", " | Site | 2024-05-01".
_TITLE_DATE = re.compile(
    r"\d{1,2}[./-]\s?\d{1,2}[./-]\s?\d{2,4}|\d{4}-\d{2}-\d{2}|"
    r"\d{1,2}\.?\s+\w+\.?\s+\d{4}|\w+\.?\s+\d{1,2},?\s+\d{4}"
)
# After a whole site name at the start ("Site: Headline") / before one at the end.
_SITE_PREFIX_END = re.compile(r"\s*(?:[|｜:]|::|\s[-–—·•»])\s*")
_SITE_SUFFIX_START = re.compile(r"\s*(?:[|｜]|::|[-–—·•»]\s)\s*$")
_SHORT_SUFFIX_WORDS = 4  # "| Local News", "| Opinion": dropped after "|" even if unknown
_SHORT_SUFFIX_CHARS = 40
_MIN_KEPT_WORDS = 3  # ... but only when a real headline remains


def clean_title(title: str | None, site_name: str | None, domain: str | None) -> str | None:
    """The headline without the site's name around it.

    Drops trailing " | Site", " - Site", " — Site", " :: Site", " · Site" parts (and
    leading "Site | " / "Site: " parts) that match the site name or the domain's label
    (ignoring case, spaces, punctuation and a leading "The"), and short trailing parts
    after "|" ("| Local News") when a headline of at least three words remains. A dash
    between two ordinary words ("Trump - Putin talks") is never cut. Never returns an
    empty string.
    """
    if not isinstance(title, str):
        return None
    title = " ".join(title.split())
    if not title:
        return None
    title = _strip_whole_site_name(title, site_name)
    keys, labels = site_keys(site_name, domain)
    pieces = TITLE_SEPARATOR.split(title)
    texts, separators = pieces[0::2], pieces[1::2]

    name_keys, _ = site_keys(site_name, None)

    def is_site(part: str, separator: str = "") -> bool:
        # after/before a colon only the declared site name counts: "Irish Times: what
        # readers said" on irishtimes.com is a headline
        if separator.strip() == ":":
            return bool(part.strip()) and is_site_name(part, name_keys, set())
        return not part.strip() or is_site_name(part, keys, labels)

    def is_dated_site(parts: list[str], seps: list[str]) -> bool:
        """ "Site | 13.06.2023" at that end: a date next to the site's name goes with it."""
        return (
            len(parts) > 2
            and _TITLE_DATE.fullmatch(parts[0]) is not None
            and is_site(parts[1], seps[1])
        )

    # The site's name first, at either end; short "| Section" parts only after that, so
    # "The Irish Times | Budget 2025 explained" loses its prefix, not its headline.
    while len(texts) > 1 and (
        is_site(texts[-1], separators[-1]) or is_dated_site(texts[::-1], separators[::-1])
    ):
        site_removed = is_site(texts[-1], separators[-1])
        del texts[-1], separators[-1]
        if site_removed and len(texts) > 1 and _TITLE_DATE.fullmatch(texts[-1]):
            del texts[-1], separators[-1]  # "Headline | 13.06.2023 | Site"
    while len(texts) > 1 and (is_site(texts[0], separators[0]) or is_dated_site(texts, separators)):
        site_removed = is_site(texts[0], separators[0])
        del texts[0], separators[0]
        if site_removed and len(texts) > 1 and _TITLE_DATE.fullmatch(texts[0]):
            del texts[0], separators[0]  # "Site | 13.06.2023 | Headline"
    while len(texts) > 1 and ("|" in separators[-1] or "｜" in separators[-1]):
        rest = _join(texts[:-1], separators[:-1])
        if not _is_short_suffix(texts[-1], rest):
            break
        del texts[-1], separators[-1]
        while len(texts) > 1 and is_site(texts[-1]):  # "Headline | Site | Section"
            del texts[-1], separators[-1]

    cleaned = _join(texts, separators).strip()
    return cleaned or title


# Word overlap (Jaccard) an <h1> needs with the declared title to be taken as the same
# headline, worded for readers; tuned on the WCXB dev pages of one half of the domains.
_MIN_HEADLINE_OVERLAP = 0.1
_WORD = re.compile(r"\w+")


def _overlap(a: str, b: str) -> float:
    wa, wb = set(_WORD.findall(a.casefold())), set(_WORD.findall(b.casefold()))
    return len(wa & wb) / len(wa | wb) if wa and wb else 0.0


def pick_title(
    declared: str | None, headlines: list[str] | None, site_name: str | None, domain: str | None
) -> str | None:
    """The article's headline: the page's <h1> as readers see it when it is the same
    headline as the declared one (og:title, JSON-LD headline, <title>), else the declared
    title; both without the site's name (`clean_title`).

    `headlines` are the page's non-masthead <h1> texts (`htmlmeta.PageMeta.headlines`).
    The <h1> that shares the most words with the declared title wins if it shares at least
    a tenth of them; one that is only the site's name never does. With no declared title, a
    page's single <h1> is the headline.
    """
    title = clean_title(declared, site_name, domain)
    keys, labels = site_keys(site_name, domain)
    cleaned = (clean_title(h, site_name, domain) for h in headlines or [])
    candidates = [c for c in cleaned if c and not is_site_name(c, keys, labels)]
    if title is None:
        return candidates[0] if len(candidates) == 1 else None
    best = max(candidates, key=lambda c: _overlap(c, title), default=None)
    if best is not None and _overlap(best, title) >= _MIN_HEADLINE_OVERLAP:
        return best
    return title


def _strip_whole_site_name(title: str, site_name: str | None) -> str:
    """ "LinkNaija | Nigeria's news: Headline" with that whole string as the site name:
    a site name containing separators of its own would otherwise lose only one part."""
    if not isinstance(site_name, str):
        return title
    site = " ".join(site_name.split())
    if len(site) < 3 or len(site) >= len(title):
        return title
    folded, site_folded = title.casefold(), site.casefold()
    if folded.startswith(site_folded):
        match = _SITE_PREFIX_END.match(title, len(site))
        if match and match.end() < len(title):
            return title[match.end() :]
    if folded.endswith(site_folded):
        rest = title[: len(title) - len(site)]
        match = _SITE_SUFFIX_START.search(rest)
        if match and match.start() > 0:
            return rest[: match.start()]
    return title


def _join(texts: list[str], separators: list[str]) -> str:
    out = texts[0]
    for separator, text in zip(separators, texts[1:], strict=True):
        out += separator + text
    return out


def _is_short_suffix(part: str, rest: str) -> bool:
    words = part.split()
    return (
        len(words) <= _SHORT_SUFFIX_WORDS
        and len(part.strip()) <= _SHORT_SUFFIX_CHARS
        and len(rest.split()) >= _MIN_KEPT_WORDS
    )
