"""Page metadata that trafilatura does not give us, read from the already-parsed lxml tree.

trafilatura's metadata keeps only the *date* of publication (htmldate), has no
canonical-link list and no modified date. We read those from the same tree the pipeline
hands to `trafilatura.bare_extraction` (which works on a copy), in one pass over the
`<meta>`, `<link>`, `<base>`, `<time>` and `<script type="application/ld+json">` elements.

Dates are parsed by `tasks.normalise.dates.parse_datetime` (its docstring gives the rules),
bounded by `now`, the record's fetch time.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

from htmldate.extractors import MONTH_NUMBERS  # htmldate's multilingual month names
from lxml import html as lxml_html

from tasks.normalise.dates import parse_datetime, parse_datetime_offset

_log = logging.getLogger(__name__)

__all__ = [
    "PageMeta",
    "author_links",
    "shown_date_in_month",
    "shown_publication_date",
    "read_page_meta",
]


@dataclass(slots=True)
class PageMeta:
    """What `read_page_meta` found; empty fields when the page says nothing."""

    # rel=canonical href(s) then og:url, absolute http(s) URLs, page order, no duplicates
    declared_canonicals: list[str] = field(default_factory=list)
    # <html lang>, else meta content-language / og:locale; raw, not normalised
    html_lang: str | None = None
    # (UTC datetime, "json-ld" | "meta" | "time-tag"), best first, each datetime once
    published: list[tuple[datetime, str]] = field(default_factory=list)
    # the UTC offset, in minutes, that the page wrote with each `published` datetime
    # ("2025-06-13T00:30+02:00" -> 120); absent for naive, date-only and epoch values
    published_offsets: dict[datetime, int] = field(default_factory=dict)
    modified: datetime | None = None  # UTC
    section: str | None = None
    # JSON-LD author names, as written (splitting is authors.split_authors' job)
    json_ld_authors: list[str] = field(default_factory=list)
    # texts of the page's <h1> elements that are no logo or masthead: those inside the
    # article (<article>, <main>, an Article itemtype) if any, else all; page order
    headlines: list[str] = field(default_factory=list)
    # the title the page declares: og:title, twitter:title, JSON-LD headline, else <title>
    declared_title: str | None = None


# --------------------------------------------------------------------------- meta tags

# Keys are lower-cased name/property/itemprop values; order = preference.
_PUBLISHED_KEYS = (
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "datepublished",
    "date",
    "pubdate",
    "publishdate",
    "publish_date",
    "dc.date",
    "dc.date.issued",
    "dcterms.created",
    "dcterms.issued",
    "dcterms.date",
    "parsely-pub-date",
    "sailthru.date",
    "article.published",
)
_MODIFIED_KEYS = ("article:modified_time", "og:updated_time", "datemodified")
_LANG_KEYS = ("content-language", "og:locale", "language", "dc.language")
_SECTION_KEYS = ("article:section",)


def _meta_index(metas: list[Any]) -> dict[str, list[str]]:
    """Every meta key -> its content values in page order.

    One element can carry several keys (`<meta name="og:url" property="og:url">`).
    """
    index: dict[str, list[str]] = {}
    for el in metas:
        content = el.get("content")
        if content is None or not content.strip():
            continue
        keys = {
            (el.get(attr) or "").strip().lower()
            for attr in ("property", "name", "itemprop", "http-equiv")
        }
        keys.discard("")
        for key in keys:
            index.setdefault(key, []).append(content.strip())
    return index


def _first_meta(index: dict[str, list[str]], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        for value in index.get(key, ()):
            return value
    return None


# --------------------------------------------------------------------------- JSON-LD

_MAX_JSON_LD_CHARS = 1_000_000  # a bigger block is a data dump, not page metadata
_MAX_NODES = 5_000  # objects visited per page
_MAX_DEPTH = 12
_TRAILING_COMMA = re.compile(r",\s*([\]}])")
_WRAPPERS = re.compile(r"^\s*(?://)?\s*<!\[CDATA\[|//\s*\]\]>\s*$|\]\]>\s*$|^\s*<!--|-->\s*$")
_ARTICLE_TYPES = frozenset(
    {
        "blogposting",
        "liveblogposting",
        "socialmediaposting",
        "discussionforumposting",
        "report",
        "reportagenews",
    }
)


def _load_json(text: str) -> list[Any]:
    """Parsed JSON values of one script block; tolerant of the usual breakage.

    Control characters inside strings (strict=False), CDATA/comment wrappers, trailing
    commas and several objects concatenated in one block are all seen in the wild.
    """
    text = text.strip()
    if not text or len(text) > _MAX_JSON_LD_CHARS:
        return []
    try:
        return [json.loads(text, strict=False)]
    except RecursionError:  # nested deeper than the parser allows: nothing to salvage
        return []
    except ValueError:
        pass
    text = _TRAILING_COMMA.sub(r"\1", _WRAPPERS.sub("", text)).strip().rstrip(";")
    decoder = json.JSONDecoder(strict=False)
    values: list[Any] = []
    position = 0
    while position < len(text):
        # skip separators between concatenated values
        while position < len(text) and text[position] in " \t\r\n,;":
            position += 1
        if position >= len(text):
            break
        try:
            value, position = decoder.raw_decode(text, position)
        except (ValueError, RecursionError):
            break
        values.append(value)
    return values


def _type_names(node: dict[str, Any]) -> list[str]:
    """@type as lower-case local names: "schema:NewsArticle", ["Article", ...], URLs."""
    raw = node.get("@type")
    names = raw if isinstance(raw, list) else [raw]
    out = []
    for name in names:
        if isinstance(name, str) and name:
            out.append(re.split(r"[/:#]", name)[-1].lower())
    return out


def _is_article(types: list[str]) -> bool:
    return any(t.endswith("article") or t in _ARTICLE_TYPES for t in types)


def _is_page(types: list[str]) -> bool:
    return any(t.endswith("page") for t in types)


def _walk(value: Any, budget: list[int], depth: int = 0) -> Iterator[dict[str, Any]]:
    """Every dict in a JSON value, pre-order (page order), within node and depth limits."""
    if depth > _MAX_DEPTH or budget[0] <= 0:
        return
    if isinstance(value, dict):
        budget[0] -= 1
        yield value
        for child in value.values():
            if isinstance(child, (dict, list)):
                yield from _walk(child, budget, depth + 1)
    elif isinstance(value, list):
        for child in value:
            if isinstance(child, (dict, list)):
                yield from _walk(child, budget, depth + 1)


@dataclass(slots=True)
class _JsonLd:
    articles: list[dict[str, Any]] = field(default_factory=list)  # *Article, BlogPosting, ...
    pages: list[dict[str, Any]] = field(default_factory=list)  # WebPage, ItemPage, ...
    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)  # "@id" -> full object

    def date_values(self, key: str, fallback_key: str | None = None) -> list[Any]:
        """Values of `key` on article objects, then `fallback_key` on them, then on pages.

        Dates of images, videos, organisations or breadcrumbs are never looked at.
        """
        out = [a.get(key) for a in self.articles]
        if fallback_key:
            out += [a.get(fallback_key) for a in self.articles]
        out += [p.get(key) for p in self.pages]
        return [v for v in out if v]


def _collect_json_ld(scripts: list[Any]) -> _JsonLd:
    found = _JsonLd()
    budget = [_MAX_NODES]
    for script in scripts:
        for value in _load_json(script.text or ""):
            for node in _walk(value, budget):
                node_id = node.get("@id")
                if isinstance(node_id, str) and len(node) > 1:
                    found.by_id.setdefault(node_id, node)
                types = _type_names(node)
                if _is_article(types):
                    found.articles.append(node)
                elif _is_page(types):
                    found.pages.append(node)
    return found


def _person_names(value: Any, by_id: dict[str, dict[str, Any]], depth: int = 0) -> list[str]:
    """Names from an author value: "Jane", {"name": ...}, {"@id": ...} references, lists."""
    if depth > 4:
        return []
    name: Any
    if isinstance(value, str):
        name = " ".join(value.split())
        # a bare URL is an author *page*, not a name
        return [name] if name and not re.match(r"(?i)(?:https?:)?//|www\.", name) else []
    if isinstance(value, list):
        return [n for item in value[:50] for n in _person_names(item, by_id, depth + 1)]
    if not isinstance(value, dict):
        return []
    name = value.get("name")
    if not name and (value.get("givenName") or value.get("familyName")):
        parts = [value.get("givenName"), value.get("familyName")]
        name = " ".join(p for p in parts if isinstance(p, str))
    if not name and isinstance(value.get("@id"), str):
        target = by_id.get(value["@id"])
        if target is not None and target is not value:
            return _person_names(target, by_id, depth + 1)
    return _person_names(name, by_id, depth + 1) if name else []


def _json_ld_authors(found: _JsonLd) -> list[str]:
    # as declared, repeats included: authors.split_authors cleans and de-duplicates
    names: list[str] = []
    for node in found.articles or found.pages:
        names.extend(_person_names(node.get("author"), found.by_id))
    return names


def _json_ld_section(found: _JsonLd) -> str | None:
    for node in found.articles:
        section = node.get("articleSection")
        if isinstance(section, list):
            section = next((s for s in section if isinstance(s, str) and s.strip()), None)
        if isinstance(section, str) and section.strip():
            return " ".join(section.split())
    return None


# --------------------------------------------------------------------------- <time>


# class words of a <time> that shows the last update (hAtom's "updated", WordPress's
# "entry-date updated", "date-modified"): not a publication date
_UPDATED_CLASS = re.compile(r"updated|modified", re.IGNORECASE)


def _time_values(times: list[Any]) -> list[str]:
    """datetime attributes of <time> elements, the publication-looking ones first; those
    marked as the modification time (itemprop dateModified, class "updated") left out."""
    preferred, others = [], []
    for el in times:
        value = el.get("datetime")
        if not value:
            continue
        itemprop = (el.get("itemprop") or "").lower()
        classes = (el.get("class") or "").lower()
        if itemprop == "datemodified" or _UPDATED_CLASS.search(classes):
            continue
        if itemprop == "datepublished" or "pub" in classes or el.get("pubdate") is not None:
            preferred.append(value)
        else:
            others.append(value)
    return preferred + others


# --------------------------------------------------------------------------- URLs


def _absolute(href: str | None, base: str | None) -> str | None:
    """`href` resolved against `base`, if that gives an absolute http(s) URL."""
    if not href or not href.strip():
        return None
    href = href.strip()
    try:
        resolved = urljoin(base, href) if base else href
    except ValueError:  # a broken base (unbalanced IPv6 bracket): absolute hrefs still count
        resolved = href
    try:
        parts = urlsplit(resolved)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return resolved


def _declared_canonicals(
    links: list[Any], bases: list[Any], index: dict[str, list[str]], url: str | None
) -> list[str]:
    base = url
    if bases:
        # <base href> changes what relative links mean, as it does in a browser
        base = _absolute(bases[0].get("href"), url) or base
    hrefs = [el.get("href") for el in links if "canonical" in (el.get("rel") or "").lower().split()]
    hrefs += index.get("og:url", [])
    out: list[str] = []
    for href in hrefs:
        absolute = _absolute(href, base)
        if absolute and absolute not in out:
            out.append(absolute)
    return out


# --------------------------------------------------------------------------- entry point

_TAGS = ("meta", "link", "base", "time", "script", "h1", "title")
_SAME_DAY = timedelta(hours=36)


@dataclass(slots=True)
class _Page:
    """The elements one walk over the tree found, and what they parse to."""

    root: Any
    url: str | None
    now: datetime | None
    elements: dict[str, list[Any]]
    index: dict[str, list[str]]
    json_ld: _JsonLd


def _root(tree: Any) -> Any:
    if hasattr(tree, "getroot"):  # an ElementTree rather than an element
        tree = tree.getroot()
    return tree if isinstance(tree, lxml_html.etree._Element) else None


def _scan(root: Any, url: str | None, now: datetime | None) -> _Page:
    elements: dict[str, list[Any]] = {tag: [] for tag in _TAGS}
    for el in root.iter(*_TAGS):  # one walk over the tree for all seven element kinds
        elements[el.tag].append(el)
    scripts = [s for s in elements["script"] if "ld+json" in (s.get("type") or "").lower()]
    return _Page(root, url, now, elements, _meta_index(elements["meta"]), _collect_json_ld(scripts))


def read_page_meta(
    tree: lxml_html.HtmlElement | None, url: str | None, now: datetime | None = None
) -> PageMeta:
    """Metadata trafilatura does not give us, from the parsed page; never raises.

    `now` bounds plausible dates (default: the current time). Passing the record's
    fetch time makes reruns over old raw data give the same result.
    """
    meta = PageMeta()
    try:
        root = _root(tree)
        if root is None:
            return meta
        page = _scan(root, url, now)
    except Exception as err:  # a page that breaks this must still go on to trafilatura
        _log_failure("page scan", url, err)
        return meta
    # The parts are independent: one failing must not cost the others.
    for fill in (
        _fill_canonicals,
        _fill_lang,
        _fill_published,
        _fill_modified,
        _fill_section,
        _fill_authors,
        _fill_headlines,
        _fill_declared_title,
    ):
        try:
            fill(meta, page)
        except Exception as err:
            _log_failure(fill.__name__, url, err)
            continue
    return meta


def _log_failure(part: str, url: str | None, err: Exception) -> None:
    # One line, not a traceback: these parts are best effort (the page goes on without
    # them), but a failure is a bug to find, so it must leave a trace; debug adds the stack.
    _log.warning("htmlmeta %s failed on %s: %s: %s", part, url, type(err).__name__, err)
    _log.debug("htmlmeta %s traceback", part, exc_info=err)


def _fill_canonicals(meta: PageMeta, page: _Page) -> None:
    meta.declared_canonicals = _declared_canonicals(
        page.elements["link"], page.elements["base"], page.index, page.url
    )


def _fill_lang(meta: PageMeta, page: _Page) -> None:
    root = page.root
    candidates = [
        root.get("lang"),
        root.get("{http://www.w3.org/XML/1998/namespace}lang"),
        root.get("xml:lang"),
        _first_meta(page.index, _LANG_KEYS),
    ]
    meta.html_lang = next((c.strip() for c in candidates if c and c.strip()), None)


def _fill_published(meta: PageMeta, page: _Page) -> None:
    candidates: list[tuple[Any, str]] = [
        (v, "json-ld") for v in page.json_ld.date_values("datePublished", "dateCreated")
    ]
    candidates += [(v, "meta") for key in _PUBLISHED_KEYS for v in page.index.get(key, ())]
    # only the best <time> counts: a page lists many (related stories, comments)
    times = _time_values(page.elements["time"])
    best_time = next((v for v in times if parse_datetime(v, page.now) is not None), None)
    if best_time is not None:
        candidates.append((best_time, "time-tag"))
    found: list[tuple[datetime, str, bool]] = []
    for value, source in candidates:
        parsed = parse_datetime_offset(value, page.now) if isinstance(value, str) else None
        if parsed is None:
            continue
        when, offset = parsed
        if all(when != f[0] for f in found):
            found.append((when, source, ":" in value and not _MIDNIGHT.search(value)))
        # CMSs write the same instant as "+00:00" in one place and in the publisher's zone
        # in another (WordPress: og meta in UTC, the visible <time> at -08:00): a non-zero
        # offset for the same instant says more about the publisher's day
        if offset is not None and meta.published_offsets.get(when) in (None, 0):
            meta.published_offsets[when] = offset
    meta.published = [(when, source) for when, source, _ in _prefer_timed(found)]


# A time of exactly midnight ("2023-05-17T00:00:00+0000"): a CMS field that holds a date
# only, written out as a datetime; it says no more than "2023-05-17".
_MIDNIGHT = re.compile(r"[T ]00:00(?::00(?:\.0+)?)?(?:Z|[+-]\d{2}:?\d{2})?\s*$", re.IGNORECASE)


def _prefer_timed(found: list[tuple[datetime, str, bool]]) -> list[tuple[datetime, str, bool]]:
    """Move a date-only candidate (or one at exactly midnight) behind a timed one for the
    same day.

    Pages often give `datePublished: "2014-09-15"` next to `"2014-09-15T20:22:02+00:00"`:
    the second says more. 36 h covers the date being local while the time is UTC.
    """
    timed = [when for when, _, has_time in found if has_time]

    def vague(item: tuple[datetime, str, bool]) -> bool:
        return not item[2] and any(abs(t - item[0]) < _SAME_DAY for t in timed)

    return [f for f in found if not vague(f)] + [f for f in found if vague(f)]


def _fill_modified(meta: PageMeta, page: _Page) -> None:
    values = page.json_ld.date_values("dateModified")
    values += [v for key in _MODIFIED_KEYS for v in page.index.get(key, ())]
    for value in values:
        parsed = parse_datetime(value, page.now) if isinstance(value, str) else None
        if parsed is not None:
            meta.modified = parsed
            return


def _fill_section(meta: PageMeta, page: _Page) -> None:
    section = _first_meta(page.index, _SECTION_KEYS)
    meta.section = " ".join(section.split()) if section else _json_ld_section(page.json_ld)


def _fill_authors(meta: PageMeta, page: _Page) -> None:
    meta.json_ld_authors = _json_ld_authors(page.json_ld)


# --------------------------------------------------------------------------- <h1>

# class/id words of a site's logo or masthead heading, and of the page chrome around it
_MASTHEAD = re.compile(
    r"logo|brand|masthead|navbar|site-?(?:title|name|header|branding)", re.IGNORECASE
)
_ARTICLE_SCOPE = frozenset({"article", "main"})
# elements whose text starts a new word in a heading ("Best X<br>Top Y", "<div>" lines)
_BREAKING = frozenset({"br", "div", "p", "small", "time", "li"})
_MAX_HEADLINE_CHARS = 300
_LOGO_TEXT_CHARS = 30  # a heading this short around an <img> is a logo's alt text


def _heading_text(el: Any) -> str:
    parts: list[str] = []

    def walk(node: Any) -> None:
        if node.tag in _BREAKING:
            parts.append(" ")
        if node.text:
            parts.append(node.text)
        for child in node:
            if isinstance(child.tag, str):
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(el)
    return " ".join("".join(parts).split())


def _links_home(el: Any) -> bool:
    for link in el.iter("a"):
        href = (link.get("href") or "").strip()
        try:
            parts = urlsplit(href)
        except ValueError:
            continue
        if href and parts.path in ("", "/", "./") and not parts.query and not parts.fragment:
            return True
    return False


def _is_masthead(h1: Any, text: str) -> bool:
    """A site's logo or name set as <h1>: in <nav> or the page's "header" box, marked
    logo/brand/site-title, linking to the home page, or a short text around an image."""
    for el in (h1, *h1.iterancestors()):
        if el.tag in _ARTICLE_SCOPE or el.tag == "body":
            break
        names = f"{el.get('class') or ''} {el.get('id') or ''}"
        if el.tag == "nav" or _MASTHEAD.search(names) or "header" in names.lower().split():
            return True
        if el.tag == "a" and _links_home(el):
            return True
    if _links_home(h1):
        return True
    return len(text) < _LOGO_TEXT_CHARS and h1.find(".//img") is not None


def _in_article(el: Any) -> bool:
    return any(
        a.tag in _ARTICLE_SCOPE or "article" in (a.get("itemtype") or "").lower()
        for a in el.iterancestors()
    )


def _fill_headlines(meta: PageMeta, page: _Page) -> None:
    inside: list[str] = []
    outside: list[str] = []
    for h1 in page.elements["h1"]:
        text = _heading_text(h1)
        if not text or len(text) > _MAX_HEADLINE_CHARS or _is_masthead(h1, text):
            continue
        (inside if _in_article(h1) else outside).append(text)
    meta.headlines = inside or outside


_TITLE_KEYS = ("og:title", "twitter:title")


def _fill_declared_title(meta: PageMeta, page: _Page) -> None:
    candidates = [_first_meta(page.index, _TITLE_KEYS)]
    candidates += [a.get("headline") for a in page.json_ld.articles]
    candidates += [el.text_content() for el in page.elements["title"][:1]]
    for value in candidates:
        if isinstance(value, str) and value.strip():
            meta.declared_title = " ".join(value.split())
            return


# --------------------------------------------------------------------------- author links

# An author's page: ".../author/jane-doe", ".../autoren/jane-doe/", ".../people/jane-doe".
_AUTHOR_PAGE = re.compile(
    r"/(?:authors?|autor(?:en|in)?|auteurs?|writers?|people|profiles?|team|staff|"
    r"contributors?|journalist(?:en)?|redakteur(?:e|in)?|reporters?)/([^/?#]+)/?$",
    re.IGNORECASE,
)
_MAX_LINK_NAME_WORDS = 4
_BYLINE_BOX_LEVELS = 3  # co-authors' links sit within this many levels of the first one


def _slug_key(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in folded if ch.isalnum())


def author_links(tree: lxml_html.HtmlElement | None) -> list[str]:
    """Names in links to the author's own page, for pages whose metadata names nobody.

    A link counts when it is `rel="author"` or points to an author page (/author/<slug>,
    /autoren/<slug>, /people/<slug>, ...) whose slug spells the link text ("Jane Doe" ->
    /author/jane-doe): a "Follow on Bluesky" or "View all posts" link is no name. Only
    links in the same by-line box as the first one (a few levels up) are taken, so the
    authors of related stories further down stay out. Never raises."""
    try:
        root = _root(tree)
        if root is None:
            return []
        names: list[str] = []
        box: set[Any] = set()
        for link in root.iter("a"):
            text = " ".join(link.text_content().split())
            if not text or len(text.split()) > _MAX_LINK_NAME_WORDS:
                continue
            href = (link.get("href") or "").split("?")[0].split("#")[0]
            page = _AUTHOR_PAGE.search(href)
            by_rel = "author" in (link.get("rel") or "").lower().split()
            if not by_rel and not (page and _slug_key(page.group(1)) == _slug_key(text)):
                continue
            ancestors = list(itertools.islice(link.iterancestors(), _BYLINE_BOX_LEVELS))
            if names and not box.intersection(ancestors):
                continue
            box.update(ancestors)
            if text not in names:
                names.append(text)
        return names
    except Exception as err:
        _log_failure("author_links", None, err)
        return []


# --------------------------------------------------------------------------- shown date

# The date a reader sees under the headline ("By Jane Doe · December 18, 2025 · 3 min read"):
# the first full date (day, month, year) in the text that follows the article's <h1>, unless
# the words just before it mark it as the last update ("Updated:", "Last modified").
# Month names: htmldate's table (English, German, French, Indonesian, Turkish).
_SHOWN_WINDOW_CHARS = 300  # a by-line is right under the headline; further on, the body starts
_MONTH = r"(?P<mon>[^\W\d_]{3,10})\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?\.?"
_YEAR = r"(?P<year>(?:19|20)\d{2})"
# December 18, 2025 / 18 Dec 2025, 18. Dezember 2025 / 2025-12-18 / 18.12.2025
_SHOWN_DATE_PATTERNS = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        rf"(?<!\w){_MONTH}\s+{_DAY},?\s+{_YEAR}(?!\d)",
        rf"(?<![\w.]){_DAY}\s+(?:of\s+|de\s+)?{_MONTH},?\s+(?:de\s+)?{_YEAR}(?!\d)",
        rf"(?<![\d.]){_YEAR}-(?P<mm>\d{{1,2}})-(?P<day>\d{{1,2}})(?!\d)",
        rf"(?<![\d.])(?P<day>\d{{1,2}})\.\s?(?P<mm>\d{{1,2}})\.\s?{_YEAR}(?!\d)",
    )
)
# "Updated", "Last modified:", "Reviewed on", "Aktualisiert am", "Mis à jour le", "Actualizado"
_UPDATE_CUE = re.compile(
    r"(?:updat|modif|revis|review|refresh|edited|aktualisiert|mis à jour|actualiz)\w*\W{0,3}"
    r"(?:\w+\W{1,3}){0,2}$",
    re.IGNORECASE,
)
_UPDATE_CUE_CHARS = 40
_NO_TEXT = frozenset({"script", "style", "noscript", "template", "svg", "button"})


def _month_number(name: str) -> int | None:
    return MONTH_NUMBERS.get(name.replace("ı", "i").replace("İ", "i").lower())


def _dates_in(text: str) -> list[tuple[int, date, bool]]:
    """(position, date, marked as an update) of each full date written in `text`."""
    found = []
    for pattern in _SHOWN_DATE_PATTERNS:
        for match in pattern.finditer(text):
            groups = match.groupdict()
            month = _month_number(groups["mon"]) if groups.get("mon") else int(groups["mm"])
            if month is None:
                continue
            try:
                day = date(int(groups["year"]), month, int(groups["day"]))
            except ValueError:
                continue
            before = text[max(0, match.start() - _UPDATE_CUE_CHARS) : match.start()]
            found.append((match.start(), day, _UPDATE_CUE.search(before) is not None))
    return sorted(found)


def _text_after(el: Any, limit: int) -> str:
    """About `limit` characters of the text that follows `el` in document order (its tail,
    its following siblings, then its ancestors' tails and following siblings), not beyond
    the end of the <article>/<main> that holds it: a short article is followed by sidebars
    and related-article lists with their own dates."""
    scope = next((a for a in el.iterancestors() if a.tag in _ARTICLE_SCOPE), None)
    parts: list[str] = []
    size = 0

    def add(text: str | None) -> bool:
        nonlocal size
        words = " ".join((text or "").split())
        if words:
            parts.append(words)
            size += len(words) + 1
        return size >= limit

    node = el
    while node is not None:
        if add(node.tail):
            break
        for sibling in node.itersiblings():
            for event, sub in lxml_html.etree.iterwalk(sibling, events=("start", "end")):
                text_bearing = isinstance(sub.tag, str) and sub.tag not in _NO_TEXT
                if add(sub.text if event == "start" and text_bearing else None):
                    return " ".join(parts)[:limit]
                if event == "end" and sub is not sibling and add(sub.tail):
                    return " ".join(parts)[:limit]
            if add(sibling.tail):
                return " ".join(parts)[:limit]
        node = node.getparent()
        if node is scope:
            break
    return " ".join(parts)[:limit]


def shown_publication_date(tree: lxml_html.HtmlElement | None) -> date | None:
    """The publication date the page shows under its headline, or None.

    The article's <h1> (as for the title: inside <article>/<main> first, logo and masthead
    headings skipped); the first full date in the ~300 characters of text after it, skipping
    dates the words before mark as the last update ("Updated Dec 18, 2025"). This is the
    by-line date a reader takes for the publication date; htmldate, reading the whole page,
    can take a date from a sidebar or a related-articles list instead. Never raises."""
    try:
        root = _root(tree)
        if root is None:
            return None
        inside: list[Any] = []
        outside: list[Any] = []
        for h1 in root.iter("h1"):
            text = _heading_text(h1)
            if text and len(text) <= _MAX_HEADLINE_CHARS and not _is_masthead(h1, text):
                (inside if _in_article(h1) else outside).append(h1)
        headline = next(iter(inside or outside), None)
        if headline is None:
            return None
        window = _text_after(headline, _SHOWN_WINDOW_CHARS)
        return next((day for _, day, update in _dates_in(window) if not update), None)
    except Exception as err:  # best effort, like read_page_meta's parts
        _log_failure("shown date", None, err)
        return None


def shown_date_in_month(tree: lxml_html.HtmlElement | None, year: int, month: int) -> date | None:
    """The first full date in the page's visible text that falls in `year`-`month` and is
    not marked as an update, or None. For pages whose URL dates them to a month
    ("/archive/2025/12/…"): a date htmldate found outside that month came from elsewhere on
    the page (a sidebar, a copyright line). Reads the whole text (~1-5 ms), so only called
    on such pages. Never raises."""
    try:
        root = _root(tree)
        if root is None:
            return None
        body = next(root.iter("body"), root)
        texts = []
        for event, el in lxml_html.etree.iterwalk(body, events=("start", "end")):
            if event == "start" and isinstance(el.tag, str) and el.tag not in _NO_TEXT:
                texts.append(el.text or "")
            elif event == "end" and el is not body:
                texts.append(el.tail or "")
        text = " ".join(" ".join(texts).split())
        found = (day for _, day, update in _dates_in(text) if not update)
        return next((d for d in found if (d.year, d.month) == (year, month)), None)
    except Exception as err:  # best effort, like read_page_meta's parts
        _log_failure("dated text", None, err)
        return None
