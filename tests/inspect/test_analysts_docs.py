"""docs/analysts.md cannot rot: its Python recipes run, top to bottom, on pipeline output.

Each fenced ```python block runs in one shared namespace (as a reader pasting them in order
would), after the doc's own set-up block, with `root`, `start` and `end` pointed at the
test data. Spark's block is the only one not run (no JVM here). Whenever a block assigns
`articles`, its types and the crawl dates it holds are checked.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from analyst_data import DOC, assert_analyst_types, python_blocks

from schemas import ARTICLES_SCHEMA_VERSION

pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword")  # DuckDB vs pandas 3.1


def test_doc_has_the_recipes_the_issue_asks_for() -> None:
    blocks = python_blocks(DOC.read_text(encoding="utf-8"))
    for tool in ("import pandas", "import polars", "import duckdb", "import pyarrow.dataset"):
        assert any(tool in b for b in blocks), tool
    assert sum("pyspark" in b for b in blocks) == 1
    text = DOC.read_text(encoding="utf-8")
    for link in ("data-dictionary.md", "s3.md", "data-dictionary.md#schema-versions"):
        assert f"]({link})" in text, link
    for key in ("article_id", "canonical_url", "content_hash"):
        assert f"| `{key}` |" in text, key


def test_every_recipe_runs_and_returns_the_documented_types(
    analyst_data, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup, *recipes = python_blocks(DOC.read_text(encoding="utf-8"))
    assert "root = " in setup and "start, end = " in setup
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "analysts_doc"}
    exec(compile(setup, f"{DOC}:setup", "exec"), namespace)
    first, middle, last = analyst_data.dates
    # two of the three dates, so a recipe that ignores the range is caught
    namespace.update(root=str(analyst_data.output), start=middle, end=last)
    checked = 0
    for n, block in enumerate(recipes, 1):
        if "pyspark" in block:
            continue
        before = namespace.get("articles")
        exec(compile(block, f"{DOC}:block{n}", "exec"), namespace)
        articles = namespace.get("articles")
        if articles is not before:
            assert assert_analyst_types(articles) == [middle, last], block[:80]
            checked += 1
    assert checked == 5  # pandas, polars, DuckDB, pyarrow.dataset, committed files

    # the results of the other recipes are what they claim
    assert len(namespace["fresh"]) and (namespace["fresh"]["crawl_date"].min().date() >= middle)
    assert set(namespace["hits"]["source_domain"]) == {"wiremirror.co.uk"}  # day 2's copy
    syndicated = namespace["syndicated"]
    assert analyst_data.mirror_urls[1] in syndicated["urls"].iloc[0]  # the copy on day 2
    latest = namespace["latest"].df()
    assert latest["article_id"].is_unique
    expected_rows = sum(r["counts"]["articles"] for r in analyst_data.runs[1:])
    assert len(namespace["articles_df"]) == expected_rows
    assert len(namespace["committed"].files) == 2
    assert namespace["versions"] == {str(ARTICLES_SCHEMA_VERSION).encode()}
    local_days = namespace["local_days"]  # the publisher's calendar day recipe
    assert len(local_days) and local_days["published_day_local"].notna().all()
