"""Site boilerplate learned from the run itself.

A nightly run holds many pages of each site, and the blocks those pages share are the
site's template: footers, cookie text, newsletter boxes, "More in this section" lists,
related links. One page alone often cannot tell them from content (plain-text dumps least
of all); the other pages of the same site in the same crawl date can.

The rule (docs/architecture.md, "Site boilerplate"): a paragraph of an article's `text` is
removed when its key recurs on at least `MIN_PAGES` distinct pages of the same
`source_domain` in the run AND on at least `MIN_SHARE` of that site's pages. Keys:

- the paragraph's *normalised form*: case-folded, `\\w+` words only (punctuation and
  spacing gone), every run of digits as "0", English month and weekday names as "m", so
  "3 hours ago" and "12 hours ago", "March 17, 2025" and "April 2 2025" match;
- for a paragraph of `PREFIX_WORDS`..`2 * PREFIX_WORDS` words, also its first
  `PREFIX_WORDS` normalised words: a truncated teaser ("Sign up for our newsletter to get
  the…") matches its full form. Longer paragraphs have no prefix key, so two article
  paragraphs that merely open alike ("WASHINGTON (AP) — President …") never match;
- for a paragraph of at most `LABEL_MAX_WORDS` words that opens with a label of one to
  three words and ":" or "|" ("Read more: <headline>", "RELATED | <headline>"), also the
  label: the site's teaser lines go although each names another article.

A page counts once per site: rows repeating an earlier row's `article_id`, or another page
of the site's exact text (`content_hash`), add nothing to the counts, so copies of one
article never make its paragraphs look like a template. A site with fewer than `MIN_PAGES`
pages is untouched. A page whose every paragraph matches keeps its text unchanged: the rule
never empties an article (such a page is most likely a copy of another with a changed
time stamp, which the 20 % share already makes rare).

How it runs (bounded memory, any batch order, any number of workers): each staged batch
also stores a small side table, one row per article with its paragraph keys
(`paragraph_keys_table`, computed where the batch runs); the commit pass first reads only
those side tables (`SiteStats`) to find every key on `MIN_PAGES` pages or more and the pages
of every site (`BoilerplatePlan`), then applies the plan to each staged batch as it streams through
(`BoilerplatePlan.apply`), recomputing `word_count`, `content_hash`, `simhash` and a
content-derived `article_id` from the final text. Plain functions: no Prefect, no I/O.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from tasks.normalise.text import text_columns

MIN_PAGES = 3  # a block on fewer distinct pages of a site is never boilerplate
MIN_SHARE = 0.20  # ... nor one on fewer than this share of the site's pages in the run
PREFIX_WORDS = 8  # truncated variants: paragraphs of 8..16 words also match on their first 8
LABEL_MAX_WORDS = 24  # teasers: "Read more: <headline>" paragraphs up to this long match on
# their label, so the site's "Read more:" lines go even though each names another headline

PARAGRAPH_SEPARATOR = "\n\n"  # how `text` separates paragraphs (text.paragraphs)

# One row per staged article: what the planning pass needs, nothing more.
PARAGRAPH_KEYS_SCHEMA = pa.schema(
    [
        pa.field("article_id", pa.string()),
        pa.field("source_domain", pa.string()),
        pa.field("content_hash", pa.string()),
        pa.field("keys", pa.list_(pa.uint64())),
    ]
)

_DIGITS = re.compile(r"\d+")
# Verbs that make "<label>:" the start of a quote ("He said: …"), not a teaser's label.
_SPEECH = frozenset({"said", "says", "say", "told", "tells", "asked", "asks", "added", "wrote"})
# A label of one to three words, of two letters at least, then ":" or "|": "Read more:",
# "RELATED |", "Watch:".
_LABEL = re.compile(r"^\W*([^\W\d_]{2,}(?:[ '’-][^\W\d_]+){0,2})\s*[:|]\s+\w")
_WORD = re.compile(r"\w+")
# Dates written out change from page to page ("Updated Monday, March 17"): one token.
_DATE_WORDS = frozenset(
    {
        "january", "february", "march", "april", "may", "june", "july", "august",
        "september", "october", "november", "december", "jan", "feb", "mar", "apr", "jun",
        "jul", "aug", "sep", "sept", "oct", "nov", "dec", "monday", "tuesday", "wednesday",
        "thursday", "friday", "saturday", "sunday", "mon", "tue", "tues", "wed", "thu",
        "thur", "thurs", "fri", "sat", "sun",
    }
)  # fmt: skip


def normalised_words(paragraph: str) -> list[str]:
    """The words a paragraph is matched on: case-folded, digits as "0", dates as "m"."""
    words = _WORD.findall(_DIGITS.sub("0", paragraph.casefold()))
    return ["m" if word in _DATE_WORDS else word for word in words]


def _key(site: str, kind: str, words: list[str]) -> int:
    # Salted with the site: one array of keys serves every site, and a block of one site
    # never counts for another. 64 bits: ~1e-6 chance of any collision among 10M keys.
    data = f"{site}\x00{kind}\x00{' '.join(words)}".encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


def paragraph_keys(site: str, paragraph: str) -> tuple[int, ...]:
    """The keys one paragraph matches on (none for a paragraph without a word)."""
    words = normalised_words(paragraph)
    if not words:
        return ()
    keys = [_key(site, "f", words)]
    if PREFIX_WORDS <= len(words) <= 2 * PREFIX_WORDS:
        keys.append(_key(site, "p", words[:PREFIX_WORDS]))
    label = _LABEL.match(paragraph)
    if label and len(words) <= LABEL_MAX_WORDS:
        label_words = normalised_words(label.group(1))
        if _SPEECH.isdisjoint(label_words):
            keys.append(_key(site, "l", label_words))
    return tuple(keys)


def page_keys(site: str, text: str) -> list[int]:
    """The distinct keys of a page's paragraphs, sorted (one count per page)."""
    keys: set[int] = set()
    for paragraph in text.split(PARAGRAPH_SEPARATOR):
        keys.update(paragraph_keys(site, paragraph))
    return sorted(keys)


def paragraph_keys_table(articles: pa.Table) -> pa.Table:
    """The side table staged beside a batch's articles (rows without a site get no keys)."""
    sites = articles.column("source_domain").to_pylist()
    texts = articles.column("text").to_pylist()
    keys = [
        page_keys(site, text or "") if site else [] for site, text in zip(sites, texts, strict=True)
    ]
    return pa.table(
        {
            "article_id": articles.column("article_id"),
            "source_domain": articles.column("source_domain"),
            "content_hash": articles.column("content_hash"),
            "keys": pa.array(keys, type=pa.list_(pa.uint64())),
        },
        schema=PARAGRAPH_KEYS_SCHEMA,
    )


@dataclass(slots=True)
class SiteStats:
    """Paragraph-key counts over a run's side tables, fed in batch (= input) order.

    Memory: 8 bytes per distinct key of a counted page (twice that while the counts are
    made) plus two integers per page for the copies already seen: ~150 MB for a CC-NEWS
    day of 300,000 pages with 28 keys each (benchmarks/site_boilerplate.py --scale).
    """

    pages: Counter[str] = field(default_factory=Counter)
    _seen: set[int] = field(default_factory=set)  # article ids and (site, text) pairs
    _keys: list[np.ndarray] = field(default_factory=list)

    def add(self, side: pa.Table) -> None:
        ids = side.column("article_id").to_pylist()
        sites = side.column("source_domain").to_pylist()
        hashes = side.column("content_hash").to_pylist()
        column = side.column("keys").combine_chunks()
        offsets = column.offsets.to_numpy()
        flat = column.flatten().to_numpy(zero_copy_only=False)
        keep = np.zeros(len(flat), dtype=bool)
        for row, (article_id, site, digest) in enumerate(zip(ids, sites, hashes, strict=True)):
            if not site:
                continue
            # a row repeating an earlier page adds nothing: copies are not a template
            marks = (_mark("id", article_id), _mark(site, digest))
            if not self._seen.isdisjoint(marks):
                continue
            self._seen.update(marks)
            self.pages[site] += 1
            keep[offsets[row] : offsets[row + 1]] = True
        self._keys.append(flat[keep].astype(np.uint64, copy=False))

    def plan(self) -> BoilerplatePlan:
        """Every key found on at least MIN_PAGES pages, with its count (counts used up)."""
        keys = np.concatenate(self._keys) if self._keys else np.zeros(0, np.uint64)
        self._keys = []
        keys.sort()
        # sorted: a key on MIN_PAGES pages or more starts a run of that many equal values
        span = MIN_PAGES - 1
        frequent = np.unique(keys[:-span][keys[span:] == keys[:-span]])
        counts = np.searchsorted(keys, frequent, "right") - np.searchsorted(keys, frequent)
        return BoilerplatePlan(dict(self.pages), frequent, counts)


def _mark(kind: str, value: str | None) -> int:
    data = f"{kind}\x00{value}".encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


@dataclass(slots=True)
class ApplyCounts:
    rows_changed: int = 0
    paragraphs_removed: int = 0
    rows_kept_whole: int = 0  # every paragraph matched: text left as it was
    sites: set[str] = field(default_factory=set)  # sites that lost paragraphs

    def add(self, other: ApplyCounts) -> None:
        self.rows_changed += other.rows_changed
        self.paragraphs_removed += other.paragraphs_removed
        self.rows_kept_whole += other.rows_kept_whole
        self.sites |= other.sites


@dataclass(frozen=True, slots=True)
class BoilerplatePlan:
    """What the whole run says about each site, decided before any row is written: the pages
    of every site and the keys found on at least MIN_PAGES pages (sorted, with counts).
    Keys are salted with their site, so a key's count is its own site's."""

    pages: dict[str, int]
    keys: np.ndarray
    counts: np.ndarray

    def _is_boilerplate(self, site: str, paragraphs: list[str]) -> list[bool]:
        needed = max(MIN_PAGES, MIN_SHARE * self.pages.get(site, 0))
        keys = [paragraph_keys(site, p) for p in paragraphs]
        flat = np.array([k for ks in keys for k in ks], dtype=np.uint64)
        at = np.searchsorted(self.keys, flat).clip(max=len(self.keys) - 1)  # keys: not empty
        found = (self.keys[at] == flat) & (self.counts[at] >= needed)
        verdicts, start = [], 0
        for ks in keys:
            verdicts.append(bool(np.any(found[start : start + len(ks)])))
            start += len(ks)
        return verdicts

    def strip(self, site: str | None, text: str) -> tuple[str, int, bool]:
        """The text without the site's boilerplate paragraphs, how many were removed, and
        whether every paragraph matched (then the text is kept whole: never emptied)."""
        if not site or self.pages.get(site, 0) < MIN_PAGES or not len(self.keys) or not text:
            return text, 0, False
        paragraphs = text.split(PARAGRAPH_SEPARATOR)
        verdicts = self._is_boilerplate(site, paragraphs)
        kept = [p for p, boilerplate in zip(paragraphs, verdicts, strict=True) if not boilerplate]
        if not kept:
            return text, 0, True
        return PARAGRAPH_SEPARATOR.join(kept), len(paragraphs) - len(kept), False

    def apply(self, articles: pa.Table) -> tuple[pa.Table, ApplyCounts]:
        """Strip the boilerplate of every row, with the columns derived from the text."""
        counts = ApplyCounts()
        if not len(self.keys) or articles.num_rows == 0:
            return articles, counts
        sites = articles.column("source_domain").to_pylist()
        if not any(self.pages.get(site, 0) >= MIN_PAGES for site in sites if site):
            return articles, counts
        texts = articles.column("text").to_pylist()
        canonicals = articles.column("canonical_url").to_pylist()
        columns = {
            name: articles.column(name).to_pylist()
            for name in ("word_count", "content_hash", "simhash", "article_id")
        }
        for row, (site, text) in enumerate(zip(sites, texts, strict=True)):
            stripped, removed, all_matched = self.strip(site, text)
            counts.rows_kept_whole += all_matched
            if not removed:
                continue
            counts.rows_changed += 1
            counts.paragraphs_removed += removed
            counts.sites.add(site)
            texts[row] = stripped
            for name, value in text_columns(stripped, canonicals[row]).items():
                columns[name][row] = value
        if not counts.rows_changed:
            return articles, counts
        updated = articles
        for name, values in {"text": texts, **columns}.items():
            index = updated.schema.get_field_index(name)
            field_ = updated.schema.field(index)
            updated = updated.set_column(index, field_, pa.array(values, type=field_.type))
        return updated, counts


def plan_from_tables(sides: Iterable[pa.Table]) -> BoilerplatePlan:
    """The plan for side tables given in batch order (tests and benchmarks)."""
    stats = SiteStats()
    for side in sides:
        stats.add(side)
    return stats.plan()
