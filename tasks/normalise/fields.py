"""Normalisation rules for the article row: URLs, domains, titles, authors, language,
dates and the duplicate keys (content hash, simhash, article id).

Every public function takes odd input (None, empty strings, garbage) without raising:
one strange article must not fail a batch.
"""

from __future__ import annotations

import functools
import hashlib
import html
import ipaddress
import re
import unicodedata
import zlib
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import quote, unquote_plus, urljoin, urlsplit, urlunsplit

import numpy as np
import tldextract
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from tasks.extract.htmlmeta import parse_datetime

__all__ = [
    "article_id",
    "canonical_url",
    "clean_title",
    "content_hash",
    "detect_language",
    "hamming",
    "normalise_url",
    "paragraphs",
    "METADATA_DATE_SOURCES",
    "pick_published",
    "stamped_on_save",
    "pick_title",
    "host_of",
    "registered_domain",
    "simhash64",
    "split_authors",
    "split_tags",
    "text_columns",
    "word_count",
]

# --------------------------------------------------------------------------- URLs

# Query parameters that only say how a reader arrived (campaigns, click ids, share
# widgets). Drawn from courlan's TRACKERS_RE, ClearURLs and Firefox query stripping,
# but as exact names and prefixes: courlan's pattern is a substring search
# ("gallery", "global", "source", "cid", "session", ... also match) and would merge
# distinct pages into one article_id. courlan.normalize_url also sorts the query and
# keeps fragments, which is why it is not used here.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid",
        "ysclid", "twclid", "ttclid", "li_fat_id", "igshid", "igsh", "srsltid",
        "mc_cid", "mc_eid", "_ga", "_gl", "_ke", "mkt_tok", "__twitter_impression",
        "ref", "ref_src", "ref_url", "referrer", "cmpid", "cmp", "icid", "ocid", "ncid",
        "smid", "smtyp", "sr_share", "soc_src", "soc_trk", "s_cid", "s_kwcid", "ef_id",
        "xtor", "wt.mc_id", "_hsenc", "_hsmi", "__hstc", "__hssc", "__hsfp",
        "hsctatracking", "spm", "rb_clickid", "fb_action_ids", "fb_action_types",
        "fb_ref", "fb_source", "action_object_map", "action_type_map", "action_ref_map",
        "clickid", "partnerid", "trk", "trkcampaign", "sc_campaign", "sc_channel",
    }
)  # fmt: skip
TRACKING_PREFIXES = (
    "utm_", "oly_", "vero_", "mtm_", "pk_", "matomo_", "piwik_", "hsa_", "itm_", "at_",
    "ga_",
)  # fmt: skip

# Characters left as they are when percent-encoding a path or a query: RFC 3986
# reserved and unreserved characters, plus "%" so existing escapes survive.
_SAFE_PATH = "/%:@!$&'()*+,;=-._~"
_SAFE_QUERY = _SAFE_PATH + "?"
_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(name: str) -> bool:
    key = unquote_plus(name).strip().lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)


def _clean_query(query: str) -> str:
    """The query without tracking parameters, other parameters in their order, as written."""
    kept = []
    for pair in query.split("&"):
        if pair and not _is_tracking(pair.split("=", 1)[0]):
            kept.append(_encode(pair, _SAFE_QUERY))
    return "&".join(kept)


def _encode(part: str, safe: str) -> str:
    """Percent-encode what a browser would (spaces, non-ASCII); upper-case existing escapes.

    "/café" and "/caf%c3%a9" both become "/caf%C3%A9", so a canonical link and a fetched
    URL that differ only in encoding give the same article_id.
    """
    encoded = quote(part, safe=safe)
    return _ESCAPE.sub(lambda m: m.group(0).upper(), encoded)


def normalise_url(url: str | None) -> str | None:
    """Lower-case scheme and host, no fragment, no default port, no user:password,
    no tracking parameters, other parameters kept in order; None if not http(s)."""
    if not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        host = parts.hostname  # lower-cased, without user info, port or IPv6 brackets
        port = parts.port  # ValueError when not a number in 0..65535
        if scheme not in _DEFAULT_PORTS or not host:
            return None
        host = host.rstrip(".")  # "example.com." is the same host
        if not host or any(c.isspace() or c in "<>\"'{}|\\^`" for c in host):
            return None
        if ":" in host:
            host = f"[{host}]"  # IPv6 literal
        netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
        path = _encode(parts.path or "/", _SAFE_PATH)
        return urlunsplit((scheme, netloc, path, _clean_query(parts.query), ""))
    except ValueError:  # bad port, bad IPv6 literal, lone surrogates (UnicodeError)
        return None


# Built once per process. Offline: the public suffix list snapshot bundled with
# tldextract (suffix_list_urls=(), no cache directory). Private suffixes are included
# so that each blogspot.com / github.io site is its own source, not one giant domain.
_TLD_EXTRACT = tldextract.TLDExtract(
    suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True
)


def host_of(url_or_host: str | None) -> str | None:
    """Lower-cased host of a URL or bare host, without user info, port, brackets or a
    trailing dot; None when there is none or the URL is malformed (never raises)."""
    if not isinstance(url_or_host, str):
        return None
    text = url_or_host.strip()
    if "://" not in text:
        text = "//" + text  # a bare host, possibly with a port or a path
    try:
        host = urlsplit(text).hostname
    except ValueError:
        return None
    host = (host or "").rstrip(".")
    return host or None


def registered_domain(url: str | None) -> str | None:
    """Registered domain of a URL or host ("news.bbc.co.uk" -> "bbc.co.uk"), offline.

    IP addresses, localhost and hosts without a known public suffix come back as the host.
    """
    if not isinstance(url, str) or not url.strip():
        return None
    host = host_of(url)
    if host is None:
        return None
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    try:
        domain = _TLD_EXTRACT(host).top_domain_under_public_suffix
    except Exception:  # tldextract on a pathological host name
        return host
    return domain or host


def _is_root(url: str) -> bool:
    parts = urlsplit(url)
    return parts.path in ("", "/") and not parts.query


def canonical_url(url: str | None, declared: list[str] | None) -> str | None:
    """The page's declared canonical when it is trustworthy, else the URL; normalised.

    Trustworthy: http(s) and on the same registered domain as `url`. A canonical on
    another domain (a syndication partner, an aggregator's source) would give two
    publishers' copies the same article_id. A canonical pointing to the site's home
    page from an article URL is a common CMS misconfiguration and is ignored too.
    With no usable `url`, the first usable declared canonical is taken.
    """
    base = normalise_url(url)
    domain = registered_domain(base) if base else None
    for candidate in declared or []:
        if not isinstance(candidate, str) or not candidate.strip():
            continue
        try:
            absolute = urljoin(url, candidate.strip()) if base else candidate.strip()
        except ValueError:
            continue
        normalised = normalise_url(absolute)
        if normalised is None:
            continue
        if base is None:
            return normalised
        if registered_domain(normalised) != domain:
            continue
        if _is_root(normalised) and not _is_root(base):
            continue
        return normalised
    return base


# --------------------------------------------------------------------------- titles

# " | ", "|", " - ", " – ", " — ", " :: ", " · ", " • ", " » ", ": " (dashes need spaces
# so hyphenated words stay whole; a colon needs a space after it so "12:30" stays whole).
_TITLE_SEPARATOR = re.compile(r"(\s*[|｜]\s*|\s+(?:::|[-–—·•»])\s+|\s*:\s+)")
# A date beside the site's name: " – DW – 13.06.2023", " | Site | 2024-05-01".
_TITLE_DATE = re.compile(
    r"\d{1,2}[./-]\s?\d{1,2}[./-]\s?\d{2,4}|\d{4}-\d{2}-\d{2}|"
    r"\d{1,2}\.?\s+\w+\.?\s+\d{4}|\w+\.?\s+\d{1,2},?\s+\d{4}"
)
# After a whole site name at the start ("Site: Headline") / before one at the end.
_SITE_PREFIX_END = re.compile(r"\s*(?:[|｜:]|::|\s[-–—·•»])\s*")
_SITE_SUFFIX_START = re.compile(r"\s*(?:[|｜]|::|[-–—·•»]\s)\s*$")
# Words a site name adds to its domain label: "BBC News" on bbc.co.uk.
_GENERIC_SITE_WORDS = ("news", "online", "com", "tv", "live", "digital", "media")
_SHORT_SUFFIX_WORDS = 4  # "| Local News", "| Opinion": dropped after "|" even if unknown
_SHORT_SUFFIX_CHARS = 40
_MIN_KEPT_WORDS = 3  # ... but only when a real headline remains


def _key(text: str) -> str:
    """Case, accent, space and punctuation-insensitive form: "The Irish Times" ->
    "theirishtimes", "Seznam Zprávy" -> "seznamzpravy"."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in folded if ch.isalnum())


def _site_keys(site_name: str | None, domain: str | None) -> tuple[set[str], set[str]]:
    """Keys a title part must equal to be the site's name, and domain labels."""
    keys: set[str] = set()
    if isinstance(site_name, str):
        for part in [site_name, *_TITLE_SEPARATOR.split(site_name)[::2]]:
            key = _key(part)
            if key:
                keys.update({key, key.removeprefix("the")})
    labels: set[str] = set()
    host = host_of(domain) if isinstance(domain, str) and domain.strip() else None
    if host:
        registered = registered_domain(host) or host
        keys.add(_key(registered))  # "irishtimes.com" written out in the title
        label = _key(registered.split(".")[0])
        if label:
            labels.add(label)
            keys.add(label)
    keys.discard("")
    return keys, labels


def _is_site(part: str, keys: set[str], labels: set[str]) -> bool:
    key = _key(part).removeprefix("www")
    if not key:
        return False
    if key in keys or key.removeprefix("the") in keys:
        return True
    return any(key == label + word for label in labels for word in _GENERIC_SITE_WORDS)


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
    keys, labels = _site_keys(site_name, domain)
    pieces = _TITLE_SEPARATOR.split(title)
    texts, separators = pieces[0::2], pieces[1::2]

    name_keys, _ = _site_keys(site_name, None)

    def is_site(part: str, separator: str = "") -> bool:
        # after/before a colon only the declared site name counts: "Irish Times: what
        # readers said" on irishtimes.com is a headline
        if separator.strip() == ":":
            return bool(part.strip()) and _is_site(part, name_keys, set())
        return not part.strip() or _is_site(part, keys, labels)

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
    keys, labels = _site_keys(site_name, domain)
    candidates = [clean_title(h, site_name, domain) for h in headlines or []]
    candidates = [c for c in candidates if c and not _is_site(c, keys, labels)]
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


# --------------------------------------------------------------------------- authors

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
    _key(name)
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
    return _key(name) in NEWS_AGENCIES


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
    keys, labels = _site_keys(site_name, domain)

    def is_site(name: str) -> bool:
        if _is_site(name, keys, labels):
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


def split_tags(raw: str | list[str] | None) -> list[str]:
    """Tags one per element: values split on "," and ";", trimmed, duplicates dropped
    ignoring case (the first spelling stays), in order; always a list."""
    values = raw if isinstance(raw, list) else [raw]
    tags: dict[str, str] = {}
    for value in values:
        if not isinstance(value, str):
            continue
        for piece in re.split(r"[,;]", value):
            tag = " ".join(piece.split())
            if tag:
                tags.setdefault(tag.casefold(), tag)
    return list(tags.values())


# --------------------------------------------------------------------------- language


@functools.cache
def language_identifier() -> LanguageIdentifier:
    """The language model, loaded once per process on first use (~0.4-0.8 s). Extraction
    workers get it preloaded from the forkserver (tasks/process/worker_init.py); the driver
    process never needs it."""
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


# ~0.35 ms (cost grows with length); on the 181 ScrapingHub benchmark articles the first
# 600 characters give the same language as the whole text every time.
_LANGUAGE_SAMPLE_CHARS = 600
_MIN_TEXT_CHARS = 40  # below this the text alone is too weak a signal
_MIN_CONFIDENCE = 0.5  # normalised probability of the best language
# The model's codes that are not ISO 639-1 but belong to a macrolanguage that is.
_TO_639_1 = {"arz": "ar", "ary": "ar", "yue": "zh", "wuu": "zh", "uzs": "uz", "gug": "gn"}
# Deprecated codes still seen in <html lang>.
_OLD_CODES = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "mo": "ro"}
_LANG_TAG = re.compile(r"^\s*([A-Za-z]{2})(?:$|[-_\s,;])")


def _html_language(html_lang: str | None) -> str | None:
    """ "en-GB", "en_US", "EN", "en, fr" -> two-letter code; None for anything else."""
    if not isinstance(html_lang, str):
        return None
    match = _LANG_TAG.match(html_lang)
    if not match:
        return None
    code = match.group(1).lower()
    return _OLD_CODES.get(code, code)


def detect_language(text: str | None, html_lang: str | None = None) -> str | None:
    """ISO 639-1 code of the text (py3langid, offline, on its first 600 characters).

    The page's declared language is used only when the text is shorter than 40
    characters or the detection is not confident (probability < 0.5); a short text
    that is detected confidently still wins when the page declares nothing.
    """
    declared = _html_language(html_lang)
    sample = text[:_LANGUAGE_SAMPLE_CHARS].strip() if isinstance(text, str) else ""
    if not any(ch.isalpha() for ch in sample):
        return declared
    try:
        code, confidence = language_identifier().classify(sample)
    except Exception:  # py3langid on unusual input
        return declared
    code = _TO_639_1.get(code, code)
    detected = code if len(code) == 2 and confidence >= _MIN_CONFIDENCE else None
    if detected and len(sample) >= _MIN_TEXT_CHARS:
        return detected
    return declared or detected


# --------------------------------------------------------------------------- text and ids


def paragraphs(text: str | None) -> str:
    """trafilatura's text with one paragraph per line -> paragraphs separated by exactly
    one blank line, runs of spaces collapsed, no leading or trailing spaces."""
    if not isinstance(text, str):
        return ""
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n\n".join(line for line in lines if line)


def word_count(text: str | None) -> int:
    """Whitespace-separated tokens."""
    return len(text.split()) if isinstance(text, str) else 0


def _blake2b_16(data: str) -> str:
    return hashlib.blake2b(data.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def content_hash(text: str | None) -> str:
    """Exact-duplicate key: blake2b-128 hex of the case-folded, whitespace-collapsed text."""
    normalised = " ".join(text.casefold().split()) if isinstance(text, str) else ""
    return _blake2b_16(normalised)


def article_id(canonical: str | None, text_hash: str | None) -> str:
    """Stable id: blake2b-128 hex of the canonical URL, or of "content:" + content hash."""
    if isinstance(canonical, str) and canonical:
        return _blake2b_16(canonical)
    return _blake2b_16("content:" + (text_hash if isinstance(text_hash, str) else ""))


def text_columns(text: str, canonical: str | None) -> dict[str, str | int]:
    """The row's columns that follow from its final text: extraction computes them, and the
    site-boilerplate pass recomputes them after removing paragraphs
    (tasks/normalise/siteboiler.py)."""
    digest = content_hash(text)
    return {
        "article_id": article_id(canonical, digest),
        "content_hash": digest,
        "simhash": simhash64(text),
        "word_count": word_count(text),
    }


_TOKEN = re.compile(r"\w+")
_MASK64 = (1 << 64) - 1
_U64 = np.uint64


def _rotl(values: np.ndarray, bits: int) -> np.ndarray:
    return (values << _U64(bits)) | (values >> _U64(64 - bits))


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every input bit affects every output bit (wraps mod 2**64)."""
    values = values ^ (values >> _U64(30))
    values = values * _U64(0xBF58476D1CE4E5B9)
    values = values ^ (values >> _U64(27))
    values = values * _U64(0x94D049BB133111EB)
    return values ^ (values >> _U64(31))


def simhash64(text: str | None) -> int:
    """64-bit simhash over word 3-shingles (\\w+ tokens, lower-cased); 0 for no tokens.

    Token hashes are CRC-32 based (the same in every process and run, unlike hash());
    a shingle's hash combines its three token hashes with rotations (order matters)
    and a 64-bit mixer, all vectorised in numpy. Bit i of the result is set when more
    than half of the shingle hashes have bit i set.
    """
    if not isinstance(text, str):
        return 0
    tokens = _TOKEN.findall(text.lower())
    if not tokens:
        return 0
    # Token hash: CRC-32 and byte length of the UTF-8 token (stable everywhere, ~4x
    # cheaper per call than blake2b), spread over 64 bits by the mixer.
    encoded = [t.encode("utf-8", "surrogatepass") for t in tokens]
    raw = np.array([zlib.crc32(b) | (len(b) << 32) for b in encoded], dtype=np.uint64)
    hashed = _mix(raw)
    if len(hashed) >= 3:
        shingles = hashed[:-2] ^ _rotl(hashed[1:-1], 21) ^ _rotl(hashed[2:], 42)
    elif len(hashed) == 2:  # too few words for a 3-shingle: one shingle of what there is
        shingles = hashed[:1] ^ _rotl(hashed[1:], 21)
    else:
        shingles = hashed
    shingles = _mix(shingles)
    # bit i of each hash -> column i (little-endian bytes, least significant bit first)
    as_bytes = shingles.astype("<u8").view(np.uint8).reshape(-1, 8)
    bits = np.unpackbits(as_bytes, axis=1, bitorder="little")
    majority = bits.sum(axis=0, dtype=np.int64) * 2 > len(shingles)
    return int(np.packbits(majority, bitorder="little").view("<u8")[0])


def hamming(a: int, b: int) -> int:
    """Number of differing bits between two 64-bit simhashes (64 when either is unusable)."""
    try:
        return ((int(a) ^ int(b)) & _MASK64).bit_count()
    except (TypeError, ValueError, OverflowError):
        return 64


# --------------------------------------------------------------------------- dates

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# `published_at` sources read from the page's own metadata (with a time and UTC offset)
METADATA_DATE_SOURCES = frozenset({"json-ld", "meta", "time-tag"})


def _url_has_date(url: str | None, day: datetime) -> bool:
    """Whether the URL carries that date: 2025/03/18, 2025-3-18, 20250318, 2025/mar/18."""
    if not isinstance(url, str):
        return False
    y, m, d = day.year, day.month, day.day
    month_name = _MONTHS[m - 1]
    patterns = (
        rf"(?<!\d){y}(?P<sep>[/_.-])0?{m}(?P=sep)0?{d}(?!\d)",
        rf"(?<!\d){y}{m:02d}{d:02d}(?!\d)",
        rf"(?<!\d){y}/{month_name}[a-z]*/0?{d}(?!\d)",
    )
    return any(re.search(p, url, re.IGNORECASE) for p in patterns)


# A declared publication time this close to the declared modification time was most
# likely stamped by the CMS on the last save, not at first publication.
_STAMPED_WITHIN = timedelta(days=1)
# ... and htmldate's date must be earlier by more than a time-zone's worth of calendar day
_EARLIER_BY = timedelta(days=2)


def stamped_on_save(published: datetime | None, modified: datetime | None) -> bool:
    """Whether the page's declared publication and modification times are the same save:
    then an earlier date shown on the page (htmldate) is worth asking for."""
    if published is None or modified is None:
        return False
    return abs(published - modified) <= _STAMPED_WITHIN


def pick_published(
    meta_candidates: list[tuple[datetime, str]] | None,
    trafilatura_date: str | None,
    url: str | None,
    now: datetime | None = None,
    modified: datetime | None = None,
) -> tuple[datetime | None, str]:
    """Publication time and where it came from.

    The first plausible page-metadata candidate ("json-ld", "meta", "time-tag") wins;
    else trafilatura's date (YYYY-MM-DD, from htmldate) as midnight UTC, with source
    "url" when the URL contains that date and "text" otherwise; else (None, "none").
    One exception: when the metadata candidate is `stamped_on_save` (within a day of the
    declared `modified` time, as CMSs that rewrite both on every save give) and htmldate's
    date, which looks for the page's *original* date, is at least two days earlier, the
    earlier date wins: republishing an old article must not make it new.
    `now` bounds plausible dates, as in `htmlmeta.parse_datetime`.
    """
    page_date = parse_datetime(trafilatura_date, now)  # "YYYY-MM-DD" -> midnight UTC
    for candidate in meta_candidates or []:
        try:
            when, source = candidate
        except (TypeError, ValueError):
            continue
        if source in METADATA_DATE_SOURCES and isinstance(when, datetime):
            parsed = parse_datetime(when, now)
            if parsed is None:
                continue
            resaved = stamped_on_save(parsed, parse_datetime(modified, now))
            if not (resaved and page_date is not None and parsed - page_date >= _EARLIER_BY):
                return parsed, source
            break
    if page_date is not None:
        return page_date, "url" if _url_has_date(url, page_date) else "text"
    return None, "none"
