"""One raw record in, one article row or one Failure out. Runs inside worker processes.

Every HTML page is parsed exactly once (`trafilatura.load_html`); our own metadata
(canonical links, dates with their time of day, JSON-LD) and trafilatura's
(`tasks.extract.pagemeta`: title, authors, site name, tags) are read from that tree, and the
same tree goes to `trafilatura.bare_extraction` (the seed, which works on a copy), to the
block model that selects the text from it (`tasks.extract.selection`) and to the page-type router
(`tasks.extract.pagetype`): non-articles become Failures (extract/not_article) unless kept.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

import trafilatura
from lxml.html import HtmlElement

from tasks.extract import pagetype
from tasks.extract.blocks import page_blocks
from tasks.extract.htmlmeta import author_links, read_page_meta, shown_publication_date
from tasks.extract.pagemeta import byline_author, page_metadata
from tasks.extract.selection import seed_extraction, seed_plus_added, select_text
from tasks.extract.textclean import clean_text
from tasks.ingest.decode import DecodeError, decode_bytes
from tasks.normalise import urls
from tasks.normalise.authors import names_person, split_authors
from tasks.normalise.dates import METADATA_DATE_SOURCES, pick_published, stamped_on_save
from tasks.normalise.language import detect_language
from tasks.normalise.tags import split_tags
from tasks.normalise.text import paragraphs, text_columns
from tasks.normalise.titles import pick_title
from tasks.records import DECODE_NOTES_KEY, ExtractOptions, Failure, RawRecord, Stage

# libxml2 stops nesting at this depth: deeper pages come back flattened or empty.
_LIBXML_MAX_DEPTH = 255


class _StageError(Exception):
    def __init__(self, stage: Stage, error_type: str, message: str):
        super().__init__(message)
        self.stage = stage
        self.error_type = error_type


def extract_record(record: RawRecord, options: ExtractOptions) -> dict[str, Any] | Failure:
    """The whole per-record pipeline; errors become a Failure with a stage. Only MemoryError
    (the worker's memory limit) is raised, for the pool to handle."""
    try:
        row = _from_text(record) if record.content_kind == "text" else _from_html(record, options)
        return _finish(row, record, options)
    except _StageError as err:
        return Failure.of(record, err.stage, err.error_type, str(err))
    except RecursionError:
        return Failure.of(record, "extract", "too_deep", "document nesting exceeds recursion limit")
    except MemoryError:
        # the worker's memory limit (tasks/process/pool.py): the pool quarantines the record as
        # extract/memory_limit and replaces the worker, whose libraries may be half-broken
        raise
    except Exception as err:  # a bug or a library surprise on one document must not fail the run
        # stage extract: this is the extraction step's catch-all (decode and load failures
        # have their own stages above); the error type is the exception's class
        return Failure.of(record, "extract", type(err).__name__, _one_line(err))


def _decode(record: RawRecord) -> tuple[str, str | None, str | None, list[str]]:
    """Text, charset, charset source and the repairs made while decoding (DECODE_NOTES_KEY)."""
    if isinstance(record.content, str):
        return record.content, None, "container", []
    try:
        decoded = decode_bytes(record.content, record.http_charset, kind=record.content_kind)
    except DecodeError as err:
        raise _StageError("decode", err.error_type, str(err)) from err
    return decoded.text, decoded.charset, decoded.charset_source, list(decoded.notes)


def _from_html(record: RawRecord, options: ExtractOptions) -> dict[str, Any]:
    html, charset, charset_source, decode_notes = _decode(record)
    tree = trafilatura.load_html(html)
    if tree is None:
        raise _StageError("extract", "unparsable_html", "no HTML tree could be built")
    now = _reference_time(record, options)
    meta = read_page_meta(tree, record.url, now=now)
    # htmldate's date and trafilatura's categories are only needed when the page gave no
    # dated metadata / no section of its own, or a publication time stamped on the last save
    first_published = meta.published[0][0] if meta.published else None
    with_date = first_published is None or stamped_on_save(first_published, meta.modified)
    try:
        document = page_metadata(
            tree,
            record.url,
            with_date=with_date,
            with_categories=not meta.section,
            now=now,
            modified=meta.modified,
        )
    except (TypeError, ValueError) as err:  # bare_extraction dropped such pages silently
        raise _StageError("extract", "metadata_failed", _one_line(err)) from err
    # the by-line date is read where htmldate's is (before the extraction reads the tree)
    shown = shown_publication_date(tree) if with_date else None
    extracted = seed_extraction(tree, record.url)
    seed_text = extracted.text if extracted is not None else ""
    if not (seed_text or "").strip():
        raise _no_content(tree)
    canonical = urls.canonical_url(record.url, meta.declared_canonicals)
    # a bare file has no URL: the page's own canonical link gives the router its URL shape
    kind = pagetype.classify(tree, record.url or canonical, seed_text)
    if not kind.is_article and not options.keep_non_articles:
        raise _StageError(
            "extract",
            "not_article",
            f"page_type={kind.page_type} (article probability {kind.article_probability:.2f})",
        )
    document.text = _page_text(tree, seed_text, kind.page_type)

    domain = urls.registered_domain(record.url or canonical)
    title = pick_title(
        meta.declared_title or document.title, meta.headlines, document.sitename, domain
    )
    text = _without_leading_title(paragraphs(document.text), title, document.title)
    if not text:
        raise _no_content(tree)
    published_at, published_source = pick_published(
        meta.published,
        document.date,
        record.url or canonical,
        now=now,
        modified=meta.modified,
        shown=shown,
    )
    authors = _authors(tree, meta.json_ld_authors or document.author, document.sitename, domain)
    return {
        "url": record.url,
        "canonical_url": canonical,
        "source_domain": domain,
        "site_name": document.sitename or None,
        "title": title,
        "description": document.description or None,
        "authors": authors,
        "published_at": published_at,
        # htmldate's date-only fallbacks ("url", "text") carry no offset of their own
        "published_at_utc_offset_minutes": meta.published_offsets.get(published_at)
        if published_at is not None and published_source in METADATA_DATE_SOURCES
        else None,
        "modified_at": meta.modified,
        "published_at_source": published_source,
        "language": detect_language(text, meta.html_lang),
        "section": meta.section or _first(document.categories),
        "tags": split_tags(document.tags),
        "text": text,
        "page_type": kind.page_type,
        "charset": charset,
        "charset_source": charset_source,
        DECODE_NOTES_KEY: decode_notes,
    }


def _page_text(tree: HtmlElement, seed_text: str, page_type: str) -> str:
    """Articles keep trafilatura's text: out-of-fold, the block model lost to it on articles
    (WCXB 0.934 vs 0.937, ScrapingHub 0.927 vs 0.958), so only kept non-articles pay for the
    block split. Forums get the model's blocks (trafilatura's text when it keeps none); the
    other non-article types get trafilatura's text plus the blocks the model adds, chosen
    per routed type inside nested folds (docs/architecture.md, "Text selection")."""
    if page_type == "article":
        return seed_text
    page = page_blocks(tree, seed_text)
    if page_type == "forum":
        selected = select_text(page)
        return selected if selected.strip() else seed_text
    return seed_plus_added(seed_text, page)


def _authors(
    tree: HtmlElement, declared: list[str] | str | None, site: str | None, domain: str | None
) -> list[str]:
    """The page's credits; when they name nobody but the site, the visible by-line and
    then links to an author's own page are read for a person (extra tree walks, only on
    such pages)."""
    authors = split_authors(declared, site, domain)
    if authors and not names_person(authors, site, domain):
        authors = split_authors([*authors, byline_author(tree) or ""], site, domain)
    if not names_person(authors, site, domain):
        authors = split_authors([*authors, *author_links(tree)], site, domain)
    return authors


def _from_text(record: RawRecord) -> dict[str, Any]:
    raw, charset, charset_source, decode_notes = _decode(record)
    # the classifier's stopword lists are per language: guess it from the raw dump first
    cleaned = clean_text(raw, language=detect_language(raw))
    if not cleaned.text.strip():
        raise _StageError("extract", "no_content", "no article paragraphs found in the text")
    canonical = urls.canonical_url(record.url, [])
    text = paragraphs(cleaned.text)
    domain = urls.registered_domain(record.url)
    return {
        "url": record.url,
        "canonical_url": canonical,
        "source_domain": domain,
        "site_name": None,
        "title": cleaned.title,
        "description": None,
        "authors": split_authors(cleaned.authors, None, domain),
        "published_at": None,
        "published_at_utc_offset_minutes": None,
        "modified_at": None,
        "published_at_source": "none",
        "language": detect_language(text),
        "section": None,
        "tags": [],
        "text": text,
        # plain text has no DOM, URL shape or metadata to route on: a text feed is taken to
        # deliver articles, as before page types existed
        "page_type": "article",
        "charset": charset,
        "charset_source": charset_source,
        DECODE_NOTES_KEY: decode_notes,
    }


def _finish(row: dict[str, Any], record: RawRecord, options: ExtractOptions) -> dict[str, Any]:
    """Columns that are computed the same way for every input kind."""
    # list columns are never null, whatever path built the row: [] when there is nothing
    row["authors"] = list(row.get("authors") or [])
    row["tags"] = list(row.get("tags") or [])
    row.update(text_columns(row["text"], row["canonical_url"]))
    row["fetched_at"] = record.fetched_at
    row["source_uri"] = record.source_uri
    row["input_format"] = record.input_format
    row["crawl_date"] = options.crawl_date
    row["pipeline_version"] = options.pipeline_version
    row["schema_version"] = options.schema_version
    return row


def _reference_time(record: RawRecord, options: ExtractOptions) -> datetime:
    """ "Now" for plausibility checks on dates: the fetch time, else the end of the crawl
    date. Never the clock, or re-processing old raw data could give different rows."""
    if record.fetched_at is not None:
        return record.fetched_at
    return datetime.combine(options.crawl_date, time.max, tzinfo=UTC)


# Short paragraphs the block model may keep above the headline: kicker, section label.
_ABOVE_TITLE_WORDS = 12


def _without_leading_title(text: str, *titles: str | None) -> str:
    """Drop a leading paragraph that only repeats the headline (the page's <h1>) and the
    short labels above it: the title has its own column, and a body that starts with it
    counts the headline twice."""
    keys = {_fold(title) for title in titles if title}
    paragraphs = text.split("\n\n")
    for i, paragraph in enumerate(paragraphs[:3]):
        if _fold(paragraph) in keys:
            if all(len(p.split()) <= _ABOVE_TITLE_WORDS for p in paragraphs[:i]):
                return "\n\n".join(paragraphs[i + 1 :])
            break
    return text


def _fold(value: str) -> str:
    return " ".join(value.casefold().split())


def _no_content(tree: HtmlElement) -> _StageError:
    if _depth_reaches(tree, _LIBXML_MAX_DEPTH):
        return _StageError(
            "extract",
            "too_deep",
            f"HTML nested deeper than the parser's {_LIBXML_MAX_DEPTH}-level limit; no text found",
        )
    return _StageError("extract", "no_content", "trafilatura found no article text")


def _depth_reaches(tree: HtmlElement, limit: int) -> bool:
    # Only called when extraction found nothing, so the walk costs nothing on good pages.
    return any(
        sum(1 for _ in el.iterancestors()) >= limit - 1 for el in tree.iter() if len(el) == 0
    )


def _one_line(err: BaseException, limit: int = 500) -> str:
    text = f"{type(err).__name__}: {err}".replace("\n", " ")
    return text[:limit]


def _first(values: list[str] | None) -> str | None:
    return values[0] if values else None
