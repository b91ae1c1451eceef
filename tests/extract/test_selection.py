"""The shipped text-selection and page-type models on real pages: they load, are small and
deterministic, and route real pages of every WCXB page type (tests/data/wcxb)."""

from __future__ import annotations

import gzip
import json
from datetime import date

import numpy as np
import pytest
import trafilatura
from conftest import DATA

from tasks.extract.blocks import BLOCK_FEATURES, block_features, page_blocks
from tasks.extract.pagetype import PAGE_TYPES, ROUTER_FEATURES, classify, router_model
from tasks.extract.record import extract_record
from tasks.extract.selection import (
    block_model,
    seed_extraction,
    seed_plus_added,
    select_text,
    selected_text,
)
from tasks.extract.treemodel import MODELS, load_model, models_version
from tasks.process.pipeline import extract_options
from tasks.records import RawRecord

WCXB = DATA / "wcxb"
ROUTED = json.loads((WCXB / "pages.json").read_text(encoding="utf-8"))


def _tree(path):
    return trafilatura.load_html(gzip.decompress(path.read_bytes()))


def test_shipped_models_are_small_and_match_their_feature_lists() -> None:
    for name, features in (("blocks", BLOCK_FEATURES), ("pagetype", ROUTER_FEATURES)):
        path = MODELS / f"{name}.json"
        assert path.stat().st_size < 5_000_000
        assert load_model(path).features == tuple(features)
    assert set(router_model().classes) == set(PAGE_TYPES)
    assert models_version().startswith("blocks.") and ".pagetype." in models_version()


def test_the_block_model_gives_the_same_text_twice_and_matches_a_fresh_load() -> None:
    url = "https://www.slashgear.com/the-vw-id-space-vizzion-is-a-weird-ev-sports-wagon-with-a-secret-message-19600475/"
    tree = _tree(DATA / "html" / "slashgear-06ee193d.html.gz")
    seed = seed_extraction(tree, url).text
    first, page = selected_text(tree, seed)
    second, _ = selected_text(tree, seed)
    fresh = load_model(MODELS / "blocks.json")
    assert first == second == select_text(page, fresh)
    rows = block_features(page)
    assert np.array_equal(block_model().raw_scores(rows), fresh.raw_scores(rows))
    # the article body is selected, the page's navigation is not
    assert "first ID.3 all-electric car based on the new MEB platform" in first
    assert len(first.split()) > 200
    assert "Privacy Policy" not in first


@pytest.mark.parametrize("name", sorted(ROUTED))
def test_the_router_on_real_pages_of_every_type(name: str) -> None:
    page = ROUTED[name]
    tree = _tree(WCXB / name)
    seed = seed_extraction(tree, page["url"])
    seed_text = seed.text if seed is not None else ""
    kind = classify(tree, page["url"], seed_text)
    assert kind.page_type == page["page_type"]
    fresh = load_model(MODELS / "pagetype.json")
    assert classify(tree, page["url"], seed_text, fresh) == kind  # deterministic


def test_the_test_pages_cover_every_page_type() -> None:
    assert {p["page_type"] for p in ROUTED.values()} == set(PAGE_TYPES)


def test_an_article_is_routed_and_extracted_without_the_block_split(monkeypatch) -> None:
    # the block split was most of what routing cost an article; only kept non-articles
    # need it now
    import tasks.extract.record

    def no_block_split(*args, **kwargs):
        raise AssertionError("the block split ran for an article")

    monkeypatch.setattr(tasks.extract.record, "page_blocks", no_block_split)
    url = "https://www.slashgear.com/the-vw-id-space-vizzion-is-a-weird-ev-sports-wagon-with-a-secret-message-19600475/"
    html = gzip.decompress((DATA / "html" / "slashgear-06ee193d.html.gz").read_bytes())
    record = RawRecord(
        source_uri="slashgear", input_format="html", content_kind="html", content=html, url=url
    )
    row = extract_record(record, extract_options(date(2025, 3, 18), "test"))
    assert isinstance(row, dict), row
    assert row["page_type"] == "article"
    assert "first ID.3 all-electric car based on the new MEB platform" in row["text"]


def _kept_non_article(name: str) -> tuple[dict, str, object]:
    page = ROUTED[name]
    html = gzip.decompress((WCXB / name).read_bytes())
    record = RawRecord(
        source_uri=name, input_format="html", content_kind="html", content=html, url=page["url"]
    )
    options = extract_options(date(2025, 3, 18), "test", keep_non_articles=True)
    row = extract_record(record, options)
    assert isinstance(row, dict), row
    tree = _tree(WCXB / name)
    return row, seed_extraction(tree, page["url"]).text, tree


def test_a_kept_listing_is_trafilaturas_text_plus_the_blocks_the_model_adds() -> None:
    row, seed, tree = _kept_non_article("4548.html.gz")
    assert row["page_type"] == "listing"
    page = page_blocks(tree, seed)
    text = seed_plus_added(seed, page)
    assert text == seed_plus_added(seed, page, load_model(MODELS / "blocks.json"))
    assert text.startswith(seed)  # the seed's own text and order stay
    added = text[len(seed) :].strip()
    assert added, "the model adds blocks trafilatura missed on this listing"
    scores = dict(zip((b.text for b in page.blocks), block_model().probabilities(
        np.asarray(block_features(page))), strict=True))  # fmt: skip
    covered = dict(zip((b.text for b in page.blocks), page.seed, strict=True))
    for block in added.split("\n\n"):  # only kept blocks the seed did not cover
        assert scores[block] >= 0.5 and covered[block] < 0.5
    first_added = added.split("\n\n")[0].split()[:6]
    assert " ".join(first_added) in " ".join(row["text"].split())  # through the pipeline


def test_a_kept_forum_gets_the_models_blocks_not_the_seed_plus_additions() -> None:
    row, seed, tree = _kept_non_article("0556.html.gz")
    assert row["page_type"] == "forum"
    page = page_blocks(tree, seed)
    words, selected = row["text"].split(), select_text(page).split()
    assert words == selected[-len(words) :]  # the model's blocks, less the leading title
    assert words != seed_plus_added(seed, page).split()[-len(words) :]
