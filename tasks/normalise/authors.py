"""Authors: one credit per person or agency from bylines and JSON-LD (`split_authors`),
and the one name splitter (`split_names`) that plain-text credit lines use too."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from tasks.normalise.sitename import is_site_name, site_keys, text_key

__all__ = ["NEWS_AGENCIES", "is_agency", "names_person", "split_authors", "split_names"]

# Between two names: ";", ",", "|", "&", "•", line breaks, and "and" in the major European
# languages. "and"/"und" in any case ("BY JANE DOE AND JOHN ROE"); the short ones only in
# lower case between spaces, so initials ("Andrea E.", "Jan I. Berg") stay with their name.
NAME_SEPARATOR = re.compile(
    r"\s*(?:[;,|\n\r\t•·]|\s&\s|\s(?i:and|und)\s|\s(?:og|et|y|e|i|en|och|ja|és|și)\s)\s*"
)
_CONJUNCTIONS = frozenset({"and", "und", "og", "et", "och", "en"})
# Role words before a name: "By", "Von", "Autor", "Autorin", "Por", "Par", "Door", "Av",
# "Af", "Di", "Da", "Text:", "Written by", "Reporting by", ... (any case; "By" needs a
# space or a colon after it, so "Byron" stays whole).
_AUTHOR_PREFIX = re.compile(
    r"^(?:(?:written|words|text|reporting|posted|story|analysis|opinion|commentary|review|"
    r"interview|column|report)\s+by\b|(?:skrevet|geschrieben|écrit|escrito|scritto)\s+\w+\b|"
    r"(?:by|por|par|door|av|af|napsal[a]?|autor(?:in|en|a|e|es)?|auteurs?|author|"
    r"reporter)(?=[\s:]|$)|von(?=[\s:]|$)(?!\s+(?:der|den|dem|und)\b)|"
    r"(?:words|text|texto|tekst|testo|texte|authors?|autor(?:in)?|foto)\s*:)\s*:?\s*",
    re.IGNORECASE,
)
# Italian/Portuguese "Di"/"Da" before a name; only when a name of 2+ words follows, so
# surnames such as "Di Maio" and "Da Silva" stay whole.
_SHORT_PREFIX = re.compile(r"^(?:di|da)\s+(?=\S+\s+\S)", re.IGNORECASE)
# Credits for pictures and the like, not authors of the text.
_NOT_AUTHOR = re.compile(
    r"^(?:photos?|pictures?|images?|illustrations?|graphics?|video|photography|fotos?|"
    r"bilder?|grafik)\b\s*(?:by\b|:|von\b)",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"\S+@\S+\.\S+")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<!\w)@\w+")
_EMPTY_PARENS = re.compile(r"\(\s*\)|\[\s*\]")
# A trailing "(obe)", "(dpa)", "[jdo]": an author's initials (dropped) or an agency (kept
# as its own credit).
_TRAILING_PARENS = re.compile(r"\s*[(\[]\s*([\w./-]{1,15})\s*[)\]]$")
# "Staff Writer", "AP National Political Writer", "Senior Correspondent".
_ROLE = re.compile(
    r"^(?:[\w.&'-]+\s+){0,4}(?:writer|reporter|correspondent|editor|columnist|"
    r"contributor|journalist|staff|desk)s?(?:-at-large)?$",
    re.IGNORECASE,
)
# Degrees and credentials after a name: "Rachael Link, MS, RD".
_CREDENTIALS = frozenset(
    {"md", "phd", "ms", "msc", "ma", "ba", "bsc", "rd", "rdn", "rn", "mph", "do", "dds",
     "mba", "jd", "cpa", "cfa", "llb", "llm", "cpt", "ld", "cde", "facs", "frcp"}
)  # fmt: skip
# A date that leaked into the byline ("Jeff Foust Monday, November"). Months that are
# also given names (April, May, June, August) are left alone.
_TRAILING_UPDATE = re.compile(r"\s+(?:last\s+)?(?:updated|published|posted)\b.*$", re.IGNORECASE)
# "This post was written by Jane Doe"
_WRITTEN_BY = re.compile(
    r"^(?:this\s+)?(?:post|article|story|piece|guide|blog)\s+(?:was\s+)?(?:written|reported)"
    r"\s+by\s+",
    re.IGNORECASE,
)
_TRAILING_DATE_WORD = re.compile(
    r"(?:(?:^|\s+)(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|"
    r"february|march|july|september|october|november|december|published|updated|"
    r"(?:feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?))+$"
    # any month (also "May", "Jan") when a day or a year follows: "Supermove February 8"
    r"|\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
    r"\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?$",
    re.IGNORECASE,
)
# A job title run into the name without a comma: "Keith Barry Senior Autos Reporter",
# "Zackery Cuevas Writer", "Liz Kenny Former McKinsey Consultant".
_TRAILING_ROLE = re.compile(
    r"^(?:[\w.&'-]+\s+){0,3}(?:writer|reporter|correspondent|editor|columnist|contributor|"
    r"journalist|consultant|founder|co-founder|reviewer|blogger)s?$",
    re.IGNORECASE,
)
# Link texts and page chrome that trafilatura's by-line search sometimes returns.
_NOT_A_NAME = re.compile(
    r"^(?:(?:view|see|more)\b.*\bposts?|www\s.*|.*-layout-.*|page head.*)$", re.IGNORECASE
)
_READ_MORE = re.compile(r"^(?:read|see|view)\s+more\s+(?:about|from|by)\s+", re.IGNORECASE)
_MAX_AUTHOR_CHARS = 80  # longer is a sentence that leaked into the byline
# News agencies, by the names bylines give them (compared case- and punctuation-free).
NEWS_AGENCIES = frozenset(
    text_key(name)
    for name in (
        "dpa", "AFP", "Reuters", "AP", "Associated Press", "APA", "ANSA", "EFE", "KNA",
        "epd", "SDA", "Keystone-SDA", "SDA-ATS", "PA", "PA Media", "Press Association",
        "Agence France-Presse", "Agence France Presse", "Thomson Reuters", "Bloomberg",
        "dapd", "ddp", "sid", "AA", "Anadolu", "ANP", "Belga", "NTB", "TT", "Ritzau", "STT",
        "ČTK", "CTK", "PAP", "TASR", "MTI", "Lusa", "Europa Press", "Xinhua", "Kyodo",
        "Yonhap", "Yonhap News", "UPI", "CP", "Canadian Press", "AAP", "IANS", "PTI",
        "ANI", "Reuters/AP", "KNA/epd", "AFP/dpa", "dpa/AFP",
    )
)  # fmt: skip


def split_names(text: str) -> list[str]:
    """A credit cut at the separators between names (see `NAME_SEPARATOR`), pieces as
    written; shared by HTML bylines (`split_authors`) and plain-text credit lines."""
    return NAME_SEPARATOR.split(text) if isinstance(text, str) else []


def _is_descriptor(piece: str) -> bool:
    """A role or a credential following a name, not a name itself."""
    short_role = len(piece.split()) <= 2 and _TRAILING_ROLE.match(piece)  # "Lead Reviewer"
    return bool(_ROLE.match(piece) or short_role) or piece.replace(".", "").lower() in _CREDENTIALS


def names_person(
    authors: list[str], site_name: str | None = None, domain: str | None = None
) -> bool:
    """Whether a credit list names someone other than the site itself or an agency."""
    is_site = _site_matcher(site_name, domain)
    return any(not is_agency(n) and not is_site(n) for n in authors)


def is_agency(name: str) -> bool:
    """A news agency's credit: "dpa", "AFP", "Reuters", "Keystone-SDA", ..."""
    return text_key(name) in NEWS_AGENCIES


def split_authors(
    raw: str | list[str] | None, site_name: str | None = None, domain: str | None = None
) -> list[str]:
    """One element per person or agency, in order, duplicates (ignoring case) dropped;
    always a list (`[]` when there is nobody).

    - splits on ";", ",", "|", "&", line breaks and "and", "und", "og", "et", "y", "e",
      "i", "en", "och" (the short ones in lower case only: "Andrea E." stays whole);
    - strips role words before a name in several languages: "By", "Von", "Autor",
      "Autorin", "Por", "Par", "Door", "Av", "Di"/"Da" (before a 2+ word name), "Text:",
      "Written by", ... and weekday/month words trailing a name ("Jeff Foust Monday");
    - drops trailing initials "(obe)", e-mail addresses, URLs, @handles, photo credits
      ("Photos: ...", "Foto: ...") and pieces of more than 80 characters; a trailing
      agency "(dpa)" becomes its own credit;
    - drops a role or degree after a name ("Jane Doe, Staff Writer", "Rachael Link, MS,
      RD"), but keeps a role given alone ("HNN Staff"), the only attribution there is;
    - the site itself ("STERN.de", "Deutsche Welle" on dw.com; matched like titles'
      site names, or by initials) is dropped when a person is named; agencies stay
      beside persons ("Jane Doe, dpa").
    "Doe, Jane" gives two names: bylines written surname-first are rare enough not to
    guess at.
    """
    values = raw if isinstance(raw, list) else [raw]
    names: list[str] = []
    seen: set[str] = set()
    for value in values:
        if not isinstance(value, str):
            continue
        for index, piece in enumerate(split_names(html.unescape(value))):
            for name in _clean_author(piece, first=index == 0):
                key = name.casefold()
                if key not in seen:
                    seen.add(key)
                    names.append(name)
    return _without_site_beside_persons(names, site_name, domain)


def _without_site_beside_persons(
    names: list[str], site_name: str | None, domain: str | None
) -> list[str]:
    if len(names) < 2:
        return names
    is_site = _site_matcher(site_name, domain)
    persons = [n for n in names if not is_agency(n) and not is_site(n)]
    if not persons:
        return names  # an organisation is the only credit there is
    return [n for n in names if is_agency(n) or not is_site(n)]


def _site_matcher(site_name: str | None, domain: str | None) -> Callable[[str], bool]:
    """A test for credits that name the site itself (as titles' site names are matched,
    or by the initials of its words: "Deutsche Welle" on dw.com)."""
    keys, labels = site_keys(site_name, domain)

    def is_site(name: str) -> bool:
        if is_site_name(name, keys, labels):
            return True
        words = [w for w in re.split(r"[\s-]+", name) if w]
        initials = "".join(w[0] for w in words).casefold()
        return len(words) > 1 and initials in labels

    return is_site


def _clean_author(piece: str, first: bool = True) -> list[str]:
    """The name in one piece of a byline (and an agency credited in trailing
    parentheses), or nothing; a piece after the first that is only a role or a degree
    ("Staff Writer", "MS") is nothing."""
    if _NOT_AUTHOR.match(piece.strip()):
        return []
    text = _HANDLE.sub(" ", _URL.sub(" ", _EMAIL.sub(" ", piece)))
    text = " ".join(_EMPTY_PARENS.sub(" ", text).split())
    extra: list[str] = []
    trailing = _TRAILING_PARENS.search(text)
    if trailing and trailing.start() > 0:
        text = text[: trailing.start()]
        if is_agency(trailing.group(1)):
            extra.append(trailing.group(1))
    previous = None
    while previous != text:  # "By: Words by Jane" and other stacked prefixes
        previous = text
        text = _WRITTEN_BY.sub("", _AUTHOR_PREFIX.sub("", text)).strip(" :-–—·•")
        text = _SHORT_PREFIX.sub("", text)
    text = _TRAILING_DATE_WORD.sub("", _TRAILING_UPDATE.sub("", _READ_MORE.sub("", text)))
    if not first and _is_descriptor(text):
        return extra
    text = _without_trailing_role(text)
    if _NOT_A_NAME.match(text):
        return extra
    if text.casefold() in _CONJUNCTIONS:
        return extra
    if not text or len(text) > _MAX_AUTHOR_CHARS or not any(c.isalpha() for c in text):
        return extra
    return [text, *extra]


def _without_trailing_role(text: str) -> str:
    """ "Keith Barry Senior Autos Reporter" -> "Keith Barry": the name is kept from the
    first two words on, the rest goes when it reads as a job title."""
    words = text.split()
    for start in range(2, len(words)):
        if _TRAILING_ROLE.match(" ".join(words[start:])):
            return " ".join(words[:start])
    return text
