"""Site boilerplate learned from the run (tasks/normalise/siteboiler.py): the matching rules, the
thresholds, and the pass through the real pipeline on a same-site corpus built from real
ScrapingHub pages (benchmarks/site_corpus.py), as HTML pages and as whole-page text dumps,
on local disk and on S3."""

from __future__ import annotations

import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import REPO, run_local
from runs import DAY, assert_accounts_close, commit, row, write_site_inputs

from tasks.normalise.siteboiler import (
    MIN_PAGES,
    BoilerplatePlan,
    normalised_words,
    paragraph_keys,
    paragraph_keys_table,
    plan_from_tables,
)
from tasks.normalise.text import text_columns
from tasks.process.write import articles_table

sys.path.append(str(REPO / "benchmarks"))

from site_corpus import (  # noqa: E402
    COOKIE_BANNER,
    COPYRIGHT,
    FOOTER_LINKS,
    NEWSLETTER,
    SitePage,
    build_site,
    site_articles,
)

SITE = "example.com"
BOILERPLATE = [
    "Sign up to our newsletter: the best stories of the day in your inbox.",
    "Cookie Policy Privacy Policy Brand Safety Terms Contact",
    "© 2025 Example Media. All rights reserved.",
]


def page(n: int, *extra: str, domain: str = SITE, canonical: bool = True) -> dict:
    """A synthetic article row of `domain` with its own three paragraphs plus `extra`."""
    own = [
        f"Paragraph {k} of story {'abcdefghijklmnopqrstuvwxyz'[n % 26] * (n + 1)}." for k in "xyz"
    ]
    text = "\n\n".join([*own[:2], *extra, own[2]])
    base = row(n, text=text, domain=domain)
    if not canonical:
        base["canonical_url"] = None
    base.update(text_columns(text, base["canonical_url"]))
    return base


def plan_for(rows: list[dict]) -> tuple[BoilerplatePlan, pa.Table]:
    table, bad = articles_table(rows)
    assert bad == []
    return plan_from_tables([paragraph_keys_table(table)]), table


def texts_after(rows: list[dict]) -> list[str]:
    plan, table = plan_for(rows)
    return plan.apply(table)[0].column("text").to_pylist()


# --- matching ------------------------------------------------------------------------------


def test_near_identical_variants_share_a_key() -> None:
    variants = [
        "Updated: Monday, March 17, 2025 at 10:32 — 3 comments",
        "UPDATED Tuesday March 18 2025 at 9:05 - 12 comments",
        "updated: tue, mar 4, 2025 at 23:59 · 1 comments",
    ]
    assert len({paragraph_keys(SITE, v)[0] for v in variants}) == 1
    assert normalised_words("Top 10 Stories!") == ["top", "0", "stories"]
    # another site's identical line is another key: sites never count for each other
    assert paragraph_keys(SITE, variants[0])[0] != paragraph_keys("other.org", variants[0])[0]
    # different words are different keys
    assert paragraph_keys(SITE, "Subscribe now")[0] != paragraph_keys(SITE, "Subscribe later")[0]


def test_truncated_teasers_match_their_full_form_but_long_paragraphs_do_not() -> None:
    full = "Sign up for our daily newsletter to get the best stories delivered every morning"
    cut = "Sign up for our daily newsletter to get the…"
    assert set(paragraph_keys(SITE, full)) & set(paragraph_keys(SITE, cut))
    lead = "WASHINGTON (AP) — President Donald Trump said on Tuesday that the "
    one = lead + "talks with the Chinese delegation went well and that a deal was close."
    two = lead + "economy was strong and that he expected the markets to rise further."
    assert not set(paragraph_keys(SITE, one)) & set(paragraph_keys(SITE, two))


def test_teaser_labels_match_but_quotes_do_not() -> None:
    a = paragraph_keys(SITE, "Read more: Budget 2025 explained in five charts")
    b = paragraph_keys(SITE, "READ MORE | Why the ferry was late again")
    assert set(a) & set(b)
    said_a = paragraph_keys(SITE, "He said: we will win this election")
    said_b = paragraph_keys(SITE, "He said: nobody saw the storm coming")
    assert not set(said_a) & set(said_b)
    assert paragraph_keys(SITE, "—") == ()


# --- the rule --------------------------------------------------------------------------------


def test_blocks_on_enough_pages_of_a_site_go_and_the_rest_stays() -> None:
    rows = [page(n, *BOILERPLATE) for n in range(4)]
    after = texts_after(rows)
    for before, text in zip(rows, after, strict=True):
        assert all(block not in text for block in BOILERPLATE)
        own = [p for p in before["text"].split("\n\n") if p not in BOILERPLATE]
        assert text == "\n\n".join(own)


def test_thresholds_minimum_pages_and_share_of_the_site() -> None:
    block = BOILERPLATE[0]
    # on 2 pages of 2: below the minimum number of pages
    assert texts_after([page(0, block), page(1, block)])[0].count(block) == 1
    # on 3 pages of 16 (19 %): below the share
    rows = [page(n, block) for n in range(3)] + [page(n) for n in range(3, 16)]
    assert texts_after(rows)[0].count(block) == 1
    # on 3 pages of 15 (20 %): removed
    rows = [page(n, block) for n in range(3)] + [page(n) for n in range(3, 15)]
    assert block not in texts_after(rows)[0]
    assert MIN_PAGES == 3


def test_a_site_with_a_single_page_is_untouched() -> None:
    rows = [page(n, *BOILERPLATE) for n in range(5)]
    rows.append(page(9, *BOILERPLATE, domain="lonely.org"))
    after = texts_after(rows)
    assert after[-1] == rows[-1]["text"]
    assert BOILERPLATE[0] not in after[0]


def test_copies_of_one_article_count_once() -> None:
    # the same article under three URLs: its paragraphs are not a template
    copies = [
        page(1) | {"article_id": f"copy-{n}", "canonical_url": f"https://x/{n}"} for n in range(3)
    ]
    assert texts_after(copies) == [c["text"] for c in copies]
    # the same row three times (one article_id) neither
    assert texts_after([page(1), page(1), page(1)]) == [page(1)["text"]] * 3


def test_an_article_is_never_emptied() -> None:
    rows = [page(n, *BOILERPLATE) for n in range(4)]
    rows.append(row(7, text="\n\n".join(BOILERPLATE)))
    plan, table = plan_for(rows)
    stripped, counts = plan.apply(table)
    assert stripped.column("text").to_pylist()[-1] == "\n\n".join(BOILERPLATE)
    assert (counts.rows_changed, counts.rows_kept_whole, counts.paragraphs_removed) == (4, 1, 12)


def test_derived_columns_follow_the_final_text() -> None:
    rows = [page(n, *BOILERPLATE, canonical=n != 0) for n in range(4)]
    plan, table = plan_for(rows)
    stripped = plan.apply(table)[0].to_pylist()
    for before, after in zip(rows, stripped, strict=True):
        assert after["text"] != before["text"]
        expected = text_columns(after["text"], after["canonical_url"])
        assert {k: after[k] for k in expected} == expected
    assert stripped[0]["article_id"] != rows[0]["article_id"]  # content-derived id
    assert stripped[1]["article_id"] == rows[1]["article_id"]  # URL-derived id


def test_duplicates_are_found_on_the_final_text(tmp_path: Path) -> None:
    # two records without a canonical URL that differ only in site boilerplate: one
    # article and one duplicate once the boilerplate is gone, and the counts close
    rows = [page(n, *BOILERPLATE) for n in range(4)]
    twin_a = page(20, BOILERPLATE[0], canonical=False)
    twin_b = page(20, BOILERPLATE[1], canonical=False) | {"source_uri": "raw/b"}
    _, result = commit(
        tmp_path / "out", "run-dup", [(rows[:2], []), (rows[2:] + [twin_a, twin_b], [])]
    )
    assert (result.articles, result.duplicates) == (5, 1)
    assert result.site_boilerplate.rows_changed == 6
    table = pq.read_table(tmp_path / "out" / "articles" / f"crawl_date={DAY}")
    assert all(b not in t for t in table.column("text").to_pylist() for b in BOILERPLATE)


# --- a same-site corpus of real pages ----------------------------------------------------


@pytest.fixture(scope="module")
def site_pages() -> list[SitePage]:
    return build_site(site_articles(6))


def _removed_and_kept(site_pages: list[SitePage], kind: str) -> tuple[list[str], list[str]]:
    from tasks.extract.record import extract_record
    from tasks.process.pipeline import extract_options
    from tasks.records import RawRecord

    options = extract_options(DAY, "test")
    rows = []
    for p in site_pages:
        content = p.html if kind == "html" else p.dump
        record = RawRecord(p.url, "jsonl", kind, content, url=p.url)
        rows.append(extract_record(record, options))
    plan, table = plan_for(rows)
    after = plan.apply(table)[0].column("text").to_pylist()
    removed = [
        para
        for before, text in zip(table.column("text").to_pylist(), after, strict=True)
        for para in before.split("\n\n")
        if para not in text.split("\n\n")
    ]
    return removed, after


@pytest.mark.parametrize("kind", ["html", "text"])
def test_site_template_blocks_go_and_article_paragraphs_stay(site_pages, kind) -> None:
    removed, after = _removed_and_kept(site_pages, kind)
    assert NEWSLETTER in removed  # on every page, inside the article body
    truth_lines = {line.strip() for p in site_pages for line in p.truth.splitlines()}
    assert removed and not truth_lines & set(removed)  # nothing of any article went
    for text, p in zip(after, site_pages, strict=True):
        for block in (NEWSLETTER, COOKIE_BANNER, FOOTER_LINKS, COPYRIGHT):
            assert block not in text
        assert not any(line.startswith("Read more:") for line in text.split("\n\n"))
        kept = set(text.split("\n\n"))
        body = [line.strip() for line in p.truth.splitlines() if len(line.split()) > 12]
        assert sum(line in kept for line in body) >= 0.9 * len(body)


def _sorted_rows(table: pa.Table) -> list[dict]:
    return sorted(table.to_pylist(), key=lambda r: r["article_id"])


def test_the_pass_runs_in_the_pipeline_whatever_the_batches_and_workers(
    tmp_path: Path, site_pages, backend
) -> None:
    raw = tmp_path / "raw"
    write_site_inputs(raw, site_pages)
    out = backend.location
    first = run_local(raw, out, workers=1, batch_size=1, s3=backend.options)
    one_by_one = _sorted_rows(backend.plain_read("articles", DAY))
    second = run_local(raw, out, workers=2, batch_size=50, s3=backend.options)
    together = _sorted_rows(backend.plain_read("articles", DAY))
    assert one_by_one == together
    for record in (first, second):
        assert_accounts_close(record)
        assert record["counts"]["articles"] == 7
        assert record["counts"]["site_boilerplate"]["sites"] == 1
        assert record["counts"]["site_boilerplate"]["rows_changed"] == 6
    by_url = {r["url"]: r for r in together}
    lonely = by_url["https://lonely.example.org/only-page"]
    assert NEWSLETTER in lonely["text"]  # a single page of its site: untouched
    for p in site_pages:
        assert NEWSLETTER not in by_url[p.url]["text"]
    assert backend.staging() == []


def test_rerun_and_the_cli_give_the_same_rows(tmp_path: Path, site_pages) -> None:
    from typer.testing import CliRunner

    from flows.cli import app

    raw = tmp_path / "raw"
    write_site_inputs(raw, site_pages)
    run_local(raw, tmp_path / "a", workers=2, batch_size=2)
    result = CliRunner().invoke(
        app, ["process", str(raw), "--date", DAY.isoformat(), "--output", str(tmp_path / "b")]
    )
    assert result.exit_code == 0, result.output
    a = pq.read_table(tmp_path / "a" / "articles" / f"crawl_date={DAY}")
    b = pq.read_table(tmp_path / "b" / "articles" / f"crawl_date={DAY}")
    assert a.equals(b)
    assert sum(NEWSLETTER in t for t in a.column("text").to_pylist()) == 1  # the lonely page
