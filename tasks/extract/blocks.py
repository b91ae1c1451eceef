"""Text blocks of an already-parsed page and the features the learned models read.

A *block* is the text an HTML block element (p, li, h2, td, div, ...) holds directly or
through inline children; text of nested block elements forms blocks of their own, so
every visible character of the body belongs to exactly one block, in document order.
One recursive walk over the tree gives every block with its tag, depth, link characters
and the class/id hints of its ancestors (as bits inherited down the walk: no per-block
ancestor search). The same code computes features at training time
(benchmarks/train_extractor.py) and at run time (tasks/extract/selection.py,
tasks/extract/pagetype.py), so the two can never drift apart.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from lxml.html import HtmlElement

BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "caption",
        "center",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "hr",
        "html",
        "li",
        "main",
        "menu",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
        "br",
    ]
)
# never visible text, or form controls whose labels are interface, not content
_SKIPPED_TAGS = frozenset(
    [
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "math",
        "head",
        "iframe",
        "object",
        "embed",
        "select",
        "option",
        "textarea",
        "button",
        "input",
        "canvas",
        "video",
        "audio",
        "map",
    ]
)
# tags whose presence among the ancestors is a feature (bit per tag)
_ANCESTOR_TAGS = (
    "article", "main", "aside", "nav", "footer", "header", "form", "figure", "li", "table",
    "blockquote", "section",
)  # fmt: skip
# class/id words: one bit each when any ancestor (or the element) carries one
HINTS = (
    "content", "article", "post", "entry", "story", "body", "text", "main", "comment",
    "footer", "nav", "menu", "sidebar", "side", "related", "share", "social", "widget", "ad",
    "promo", "banner", "cookie", "newsletter", "breadcrumb", "tag", "meta", "author", "byline",
    "caption", "subscribe", "popup", "modal", "header", "recommend", "more", "login", "card",
    "item", "list", "product", "price", "review", "reply", "thread", "doc", "toc", "hidden",
    "title", "date", "foot", "copyright", "legal", "form", "search", "teaser", "grid",
)  # fmt: skip
_HINT_BITS = {word: 1 << i for i, word in enumerate(HINTS)}
_TAG_BITS = {tag: 1 << i for i, tag in enumerate(_ANCESTOR_TAGS)}
_CLASS_WORD = re.compile(r"[a-z]+")
_WORD = re.compile(r"\w+")
_SPACES = re.compile(r"\s+")

# A short multilingual stop-word list: the ratio separates prose from menus and labels.
STOP_WORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "for",
        "with",
        "at",
        "by",
        "from",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "it",
        "its",
        "this",
        "that",
        "as",
        "but",
        "not",
        "have",
        "has",
        "had",
        "he",
        "she",
        "they",
        "we",
        "you",
        "i",
        "his",
        "her",
        "their",
        "our",
        "your",
        "will",
        "would",
        "can",
        "der",
        "die",
        "das",
        "und",
        "ist",
        "nicht",
        "ein",
        "eine",
        "zu",
        "den",
        "von",
        "mit",
        "sich",
        "des",
        "auf",
        "für",
        "im",
        "dem",
        "le",
        "la",
        "les",
        "et",
        "est",
        "un",
        "une",
        "des",
        "du",
        "en",
        "que",
        "qui",
        "dans",
        "pour",
        "pas",
        "au",
        "sur",
        "el",
        "los",
        "las",
        "y",
        "es",
        "un",
        "una",
        "que",
        "en",
        "por",
        "con",
        "para",
        "del",
        "se",
        "no",
        "al",
        "lo",
        "il",
        "di",
        "che",
        "è",
        "per",
        "non",
        "una",
        "sono",
        "della",
        "nel",
        "de",
        "het",
        "een",
        "en",
        "van",
        "is",
        "op",
        "te",
        "dat",
    ]
)


@dataclass(slots=True)
class Block:
    tag: str
    depth: int
    tag_bits: int  # _ANCESTOR_TAGS among the block's ancestors (and itself)
    bits: int  # HINTS words in the class/id of its ancestors (and itself)
    own_bits: int  # HINTS words of the block element itself
    parts: list[str] = field(default_factory=list)
    link_chars: int = 0
    text: str = ""


def _hint_bits(element: HtmlElement) -> int:
    attributes = element.attrib
    names = attributes.get("class", "") + " " + attributes.get("id", "")
    if names == " ":
        return 0
    bits = _names_bits.get(names)
    if bits is None:  # class names repeat all over a page: parse each spelling once
        bits = 0
        for word in _CLASS_WORD.findall(names.lower()):
            bits |= _HINT_BITS.get(word, 0)  # "article-body" gives article and body
        if len(_names_bits) < 50_000:
            _names_bits[names] = bits
    return bits


_names_bits: dict[str, int] = {}


def segment(root: HtmlElement) -> list[Block]:
    """Every non-empty text block under <body> (or the root), in document order."""
    body = root.find(".//body")
    start = body if body is not None else root
    blocks: list[Block] = []
    top = Block("body", 0, 0, 0, 0)
    blocks.append(top)
    _walk(start, top, blocks, 0, 0, 0, False)
    out = []
    for block in blocks:
        text = _SPACES.sub(" ", "".join(block.parts)).strip()
        if text:
            block.text = text
            out.append(block)
    return out


def _walk(
    element: HtmlElement,
    block: Block,
    blocks: list[Block],
    depth: int,
    tag_bits: int,
    bits: int,
    in_link: bool,
) -> None:
    """Add `element`'s text (not its tail: the caller owns that) to the right block."""
    tag = element.tag
    if not isinstance(tag, str):  # comments, processing instructions
        return
    if tag in _SKIPPED_TAGS:
        return
    own = _hint_bits(element)
    bits |= own
    tag_bits |= _TAG_BITS.get(tag, 0)
    if tag in BLOCK_TAGS and depth > 0:
        block = Block(tag, depth, tag_bits, bits, own)
        blocks.append(block)
    link = in_link or tag == "a"
    if element.text:
        block.parts.append(element.text)
        if link:
            block.link_chars += len(element.text.strip())
    for child in element:
        _walk(child, block, blocks, depth + 1, tag_bits, bits, link)
        if isinstance(child.tag, str) and child.tag in BLOCK_TAGS:
            # text after a nested block belongs to a fresh continuation of this block
            block = Block(block.tag, block.depth, block.tag_bits, block.bits, block.own_bits)
            blocks.append(block)
        if child.tail:
            block.parts.append(child.tail)
            if link:
                block.link_chars += len(child.tail.strip())


def tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def trigram_set(words: list[str]) -> set[tuple[str, ...]]:
    return set(zip(words, words[1:], words[2:], strict=False))


def coverage(words: list[str], grams: set[tuple[str, ...]], joined: str) -> float:
    """Share of a block's word trigrams found in a reference text (its trigrams `grams`,
    its words space-joined in `joined`); blocks under three words must occur verbatim."""
    if not words:
        return 0.0
    if len(words) < 3:
        return 1.0 if f" {' '.join(words)} " in joined else 0.0
    hits = sum(gram in grams for gram in zip(words, words[1:], words[2:], strict=False))
    return hits / (len(words) - 2)


class Reference:
    """A text to measure blocks against: trafilatura's output at run time, the ground truth
    at training time."""

    __slots__ = ("grams", "joined", "words")

    def __init__(self, text: str | None):
        self.words = tokens(text or "")
        self.grams = trigram_set(self.words)
        self.joined = f" {' '.join(self.words)} "

    def covers(self, words: list[str]) -> float:
        return coverage(words, self.grams, self.joined)


_TAG_GROUPS = ("p", "li", "h", "td", "div", "pre", "blockquote", "figcaption", "dd", "span")
_TAG_GROUP = {
    "p": "p", "li": "li", "dt": "dd", "dd": "dd", "td": "td", "th": "td", "tr": "td",
    "div": "div", "section": "div", "article": "div", "main": "div", "pre": "pre",
    "blockquote": "blockquote", "figcaption": "figcaption", "caption": "figcaption",
    "h1": "h", "h2": "h", "h3": "h", "h4": "h", "h5": "h", "h6": "h", "body": "span",
    "summary": "span",
}  # fmt: skip

BLOCK_FEATURES = (
    ["words", "chars", "link_density", "stop_ratio", "punct", "digits", "upper_start",
     "avg_word", "depth", "position", "char_position", "seed", "seed_prev", "seed_next",
     "seed_window", "words_prev", "words_next", "link_prev", "link_next", "page_words",
     "seed_share", "same_tag_run", "ends_sentence"]
    + [f"tag_{g}" for g in _TAG_GROUPS]
    + [f"in_{t}" for t in _ANCESTOR_TAGS]
    + [f"hint_{h}" for h in HINTS]
    + [f"own_{h}" for h in ("comment", "share", "caption", "related", "meta", "author", "date")]
)  # fmt: skip
_OWN_FEATURES = ("comment", "share", "caption", "related", "meta", "author", "date")


@dataclass(slots=True)
class PageBlocks:
    """The blocks of one page with their words and the seed extraction's coverage."""

    blocks: list[Block]
    words: list[list[str]]
    seed: list[float]  # share of each block found in the seed extraction (trafilatura)

    @property
    def total_words(self) -> int:
        return sum(len(w) for w in self.words)


def page_blocks(root: HtmlElement, seed_text: str | None) -> PageBlocks:
    blocks = segment(root)
    words = [tokens(b.text) for b in blocks]
    reference = Reference(seed_text)
    seed = [reference.covers(w) for w in words]
    return PageBlocks(blocks, words, seed)


_PUNCT = re.compile(r"[.,;:!?]")
_DIGIT = re.compile(r"\d")
_GROUP_INDEX = {g: i for i, g in enumerate(_TAG_GROUPS)}
_TAG_COLUMNS = np.asarray([_TAG_BITS[t] for t in _ANCESTOR_TAGS], dtype=np.int64)
_HINT_COLUMNS = np.asarray([_HINT_BITS[h] for h in HINTS], dtype=np.int64)
_OWN_COLUMNS = np.asarray([_HINT_BITS[h] for h in _OWN_FEATURES], dtype=np.int64)


def _shifted(values: np.ndarray, by: int, fill: float) -> np.ndarray:
    """values[i - by] (by > 0: the previous block's), `fill` past either end."""
    out = np.full_like(values, fill)
    if by > 0:
        out[by:] = values[:-by]
    else:
        out[:by] = values[-by:]
    return out


def block_features(page: PageBlocks) -> np.ndarray:
    """(blocks, BLOCK_FEATURES) float64; per-block Python work is kept to the text scans,
    everything else is numpy over the whole page."""
    blocks, words = page.blocks, page.words
    n = len(blocks)
    features = np.zeros((n, len(BLOCK_FEATURES)))
    if not n:
        return features
    counts = np.asarray([len(w) for w in words], dtype=np.float64)
    chars = np.asarray([len(b.text) for b in blocks], dtype=np.float64)
    link = np.minimum(1.0, np.asarray([b.link_chars for b in blocks]) / np.maximum(1.0, chars))
    seed = np.asarray(page.seed, dtype=np.float64)
    stops = np.asarray([sum(t in STOP_WORDS for t in w) for w in words], dtype=np.float64)
    word_chars = np.asarray([sum(map(len, w)) for w in words], dtype=np.float64)
    texts = [b.text for b in blocks]
    punct = np.asarray([len(_PUNCT.findall(t)) for t in texts], dtype=np.float64)
    digits = np.asarray([len(_DIGIT.findall(t)) for t in texts], dtype=np.float64)
    upper = np.asarray([t[:1].isupper() for t in texts], dtype=np.float64)
    ends = np.asarray([t[-1:] in ".!?\"”'" for t in texts], dtype=np.float64)
    tags = [b.tag for b in blocks]
    run = np.zeros(n)
    for i in range(1, n):
        run[i] = min(20.0, run[i - 1] + 1) if tags[i] == tags[i - 1] else 0.0
    total = max(1.0, counts.sum())
    safe = np.maximum(1.0, counts)
    window = np.convolve(np.pad(seed, 3, constant_values=0.0), np.ones(7), "valid")
    window_len = np.convolve(np.pad(np.ones(n), 3), np.ones(7), "valid")
    offsets = np.concatenate([[0.0], np.cumsum(counts)[:-1]])
    columns = [
        counts, chars, link, stops / safe, punct / safe, digits / np.maximum(1.0, chars), upper,
        word_chars / safe, np.asarray([b.depth for b in blocks], dtype=np.float64),
        np.arange(n) / max(1, n - 1), offsets / total, seed, _shifted(seed, 1, -1.0),
        _shifted(seed, -1, -1.0), window / window_len, _shifted(counts, 1, -1.0),
        _shifted(counts, -1, -1.0), _shifted(link, 1, -1.0), _shifted(link, -1, -1.0),
        np.full(n, total), np.full(n, float((counts * seed).sum() / total)), run, ends,
    ]  # fmt: skip
    base = len(columns)
    features[:, :base] = np.stack(columns, axis=1)
    groups = np.asarray([_GROUP_INDEX[_TAG_GROUP.get(t, "span")] for t in tags])
    features[np.arange(n), base + groups] = 1.0
    base += len(_TAG_GROUPS)
    tag_bits = np.asarray([b.tag_bits for b in blocks], dtype=np.int64)
    features[:, base : base + len(_TAG_COLUMNS)] = (tag_bits[:, None] & _TAG_COLUMNS) != 0
    base += len(_TAG_COLUMNS)
    bits = np.asarray([b.bits for b in blocks], dtype=np.int64)
    features[:, base : base + len(_HINT_COLUMNS)] = (bits[:, None] & _HINT_COLUMNS) != 0
    base += len(_HINT_COLUMNS)
    own = np.asarray([b.own_bits for b in blocks], dtype=np.int64)
    features[:, base:] = (own[:, None] & _OWN_COLUMNS) != 0
    return features


def repeated_siblings(root: HtmlElement) -> tuple[int, int]:
    """(largest group of same-tag-and-class siblings, number of groups of >= 4): item grids,
    listings and forum threads repeat one element shape many times."""
    largest = groups = 0
    for element in root.iter("ul", "ol", "div", "section", "tbody", "main"):
        if len(element) < 4:
            continue
        shapes = Counter(
            (child.tag, child.get("class") or "")
            for child in element
            if isinstance(child.tag, str) and len(child)
        )
        if not shapes:
            continue
        top = max(shapes.values())
        if top >= 4:
            groups += 1
            largest = max(largest, top)
    return largest, groups
