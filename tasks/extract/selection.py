"""Which text blocks of a page are its main content: trafilatura's extraction as a seed,
then a learned block classifier over the already-parsed tree that adds what trafilatura
missed and drops what it kept wrongly.

trafilatura runs once per page (defaults: comments and tables in, its own fallbacks on);
`tasks.extract.blocks` splits the same tree into text blocks and measures how much of each block
the seed kept; the model (`tasks/extract/models/blocks.json`, trained and evaluated out-of-fold by
benchmarks/train_extractor.py) scores every block from those seed features and its DOM
features (link density, stop words, tag, depth, position, class/id words, neighbours).
Blocks scoring at least 0.5 are kept, in page order, one paragraph each.

The pipeline uses the selected blocks only for pages the router classifies as
non-articles (kept with --keep-non-articles): out-of-fold the model beat trafilatura on
listings, collections, products and services but not on articles (see
docs/architecture.md, "Text selection and page routing").
"""

from __future__ import annotations

from typing import Any

import numpy as np
import trafilatura
from lxml.html import HtmlElement

from tasks.extract.blocks import PageBlocks, block_features, page_blocks
from tasks.extract.treemodel import TreeModel, packaged_model

KEEP_THRESHOLD = 0.5  # fixed before training: the model's own probability scale
SEED_COVERED = 0.5  # a block is the seed's when half its word trigrams are in the seed's text
BLOCK_MODEL = "blocks"


def seed_extraction(tree: HtmlElement, url: str | None) -> Any:
    """trafilatura's extraction with its defaults (the seed the block model was trained on):
    a `Document` or None. Works on a copy of `tree`."""
    return trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=False,
        include_comments=True,
        favor_precision=False,
        include_tables=True,
    )


def block_model() -> TreeModel:
    return packaged_model(BLOCK_MODEL)


def keep_scores(page: PageBlocks, model: TreeModel) -> np.ndarray:
    if not page.blocks:
        return np.zeros(0)
    return model.probabilities(np.asarray(block_features(page), dtype=np.float64))


def select_text(page: PageBlocks, model: TreeModel | None = None) -> str:
    """The kept blocks' text, paragraphs separated by a blank line."""
    scores = keep_scores(page, model or block_model())
    kept = [b.text for b, s in zip(page.blocks, scores, strict=True) if s >= KEEP_THRESHOLD]
    return "\n\n".join(kept)


def seed_plus_added(seed_text: str, page: PageBlocks, model: TreeModel | None = None) -> str:
    """trafilatura's text followed by the blocks the model keeps that the seed missed.

    Out-of-fold this beat the model's own block text on every kept non-article type but
    forums (docs/architecture.md): the seed's text and paragraphs stay as trafilatura wrote
    them (the seed rebuilt from blocks scored lower than the seed itself), the model only
    adds. Added blocks go after the seed: WCXB's word F1 ignores order, and adding is rare
    where order is scored (ScrapingHub's shingles: articles, which keep the seed alone)."""
    scores = keep_scores(page, model or block_model())
    added = [
        b.text
        for b, s, covered in zip(page.blocks, scores, page.seed, strict=True)
        if s >= KEEP_THRESHOLD and covered < SEED_COVERED
    ]
    return "\n\n".join([seed_text, *added]) if added else seed_text


def selected_text(
    tree: HtmlElement, seed_text: str | None, model: TreeModel | None = None
) -> tuple[str, PageBlocks]:
    page = page_blocks(tree, seed_text)
    return select_text(page, model), page
