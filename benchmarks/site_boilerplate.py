"""Site boilerplate removal (tasks/normalise/siteboiler.py): word F1 with and without it,
and its cost.

Every page goes through `tasks.extract.record.extract_record` (what the workers do); "with" then
runs the commit pass's site step on all rows of the corpus together: the side tables
(`paragraph_keys_table`), the plan (`SiteStats`) and `BoilerplatePlan.apply`. Scores are
WCXB's word F1 (benchmarks/word_f1.py) and the ScrapingHub token-shingle F1.

    python benchmarks/site_boilerplate.py [--site-pages 8] [--cost-rows 5000]

Corpora:
  (a) same-site HTML:   ScrapingHub articles in one site's template (benchmarks/site_corpus.py)
  (b) same-site dumps:  the same pages as whole-page text dumps
  (c) ScrapingHub dumps: the 181 pages as text dumps (benchmarks/make_text_dumps.py), their
                        own sites (at most 2 pages each: the site pass must leave them alone)
  (d) ScrapingHub HTML: the 181 pages (must be unchanged)
Cost: the rows of all four, copied onto many sites, through side tables + plan + apply.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
from corpus import pages as scrapinghub_pages  # noqa: E402
from make_text_dumps import render_text_dump  # noqa: E402
from shingle_f1 import score  # noqa: E402
from site_corpus import build_site, site_articles  # noqa: E402
from word_f1 import word_f1  # noqa: E402

from tasks.extract.record import extract_record  # noqa: E402
from tasks.normalise.siteboiler import (  # noqa: E402
    MIN_PAGES,
    ApplyCounts,
    SiteStats,
    paragraph_keys_table,
    plan_from_tables,
)  # noqa: E402
from tasks.process.pipeline import extract_options  # noqa: E402
from tasks.process.write import articles_table  # noqa: E402
from tasks.records import RawRecord  # noqa: E402

OPTIONS = extract_options(date(2025, 3, 18), "benchmark")


def extract(url: str, content: str | bytes, kind: str) -> dict | None:
    record = RawRecord(
        source_uri=url, input_format="jsonl", content_kind=kind, content=content, url=url
    )
    row = extract_record(record, OPTIONS)
    return row if isinstance(row, dict) else None


def rows_table(items: list[tuple[str, str | bytes, str]]) -> tuple[pa.Table, list[int]]:
    """Extracted rows of (url, content, kind) items, and which items gave no row."""
    rows, missing = [], []
    for n, (url, content, kind) in enumerate(items):
        row = extract(url, content, kind)
        if row is None:
            missing.append(n)
        else:
            rows.append(row)
    table, bad = articles_table(rows)
    assert not bad
    return table, missing


def site_pass(table: pa.Table) -> pa.Table:
    stats = SiteStats()
    stats.add(paragraph_keys_table(table))
    stripped, _ = stats.plan().apply(table)
    return stripped


def report(name: str, table: pa.Table, truths: list[str], missing: list[int]) -> None:
    truths = [t for n, t in enumerate(truths) if n not in set(missing)]
    without = table.column("text").to_pylist()
    with_ = site_pass(table).column("text").to_pylist()
    changed = sum(a != b for a, b in zip(without, with_, strict=True))
    for label, texts in (("without", without), ("with", with_)):
        pairs = list(zip(texts, truths, strict=True))
        print(
            f"{name:22} {label:8} word F1 {word_f1(pairs):.3f}  shingle F1 {score(pairs).f1:.3f}"
            f"  pages {len(pairs)} (+{len(missing)} no row)"
        )
    print(f"{'':22} pages changed by the site pass: {changed}")


def cost(tables: list[pa.Table], rows_wanted: int) -> None:
    """Seconds per 1,000 rows of the batch side (side table) and the commit side (plan + apply)."""
    base = pa.concat_tables(tables)
    copies, total = [], 0
    n = 0
    while total < rows_wanted:
        # each copy is another site: same templates, same articles, new domain and ids
        domain = pc.binary_join_element_wise(base.column("source_domain"), f"-{n}", "")
        ids = pc.binary_join_element_wise(base.column("article_id"), f"-{n}", "")
        copy = base.set_column(
            base.schema.get_field_index("source_domain"), "source_domain", domain
        )
        copy = copy.set_column(copy.schema.get_field_index("article_id"), "article_id", ids)
        copies.append(copy)
        total += copy.num_rows
        n += 1
    batches = [b for c in copies for b in pa.Table.to_batches(c, max_chunksize=200)]
    batches = [pa.Table.from_batches([b]) for b in batches]
    started = time.perf_counter()
    sides = [paragraph_keys_table(b) for b in batches]
    side_s = time.perf_counter() - started
    started = time.perf_counter()
    stats = SiteStats()
    for side in sides:
        stats.add(side)
    plan = stats.plan()
    plan_s = time.perf_counter() - started
    started = time.perf_counter()
    counts = ApplyCounts()
    for batch in batches:
        counts.add(plan.apply(batch)[1])
    apply_s = time.perf_counter() - started
    per_k = 1000 / total
    print(
        f"cost over {total} rows, {len(counts.sites)} sites lost paragraphs "
        f"({counts.rows_changed} rows changed): "
        f"side tables {side_s * per_k:.3f} s/1,000 rows (in the batches), "
        f"plan {plan_s * per_k:.3f} s/1,000, apply {apply_s * per_k:.3f} s/1,000 "
        f"(commit pass: {(plan_s + apply_s) * per_k:.3f} s/1,000 rows)"
    )


def scale(pages: int, sites: int = 5_000, own_keys: int = 20, template_keys: int = 8) -> None:
    """The planning pass alone at CC-NEWS scale, on synthetic side tables: `pages` pages over
    `sites` sites (Zipf-like sizes), each page with `own_keys` keys of its own and
    `template_keys` of its site's; peak memory traced (numpy and Python allocations)."""
    import tracemalloc

    import numpy as np

    from tasks.normalise.siteboiler import PARAGRAPH_KEYS_SCHEMA

    rng = np.random.default_rng(15)
    weights = 1 / np.arange(1, sites + 1)
    site_of_page = rng.choice(sites, size=pages, p=weights / weights.sum())
    template = rng.integers(0, 2**63, size=(sites, template_keys), dtype=np.uint64)
    tables = []
    for start in range(0, pages, 200):
        rows = range(start, min(start + 200, pages))
        keys = [
            np.concatenate(
                [template[site_of_page[n]], rng.integers(0, 2**63, own_keys, dtype=np.uint64)]
            )
            for n in rows
        ]
        tables.append(
            pa.table(
                {
                    "article_id": [f"{n:032x}" for n in rows],
                    "source_domain": [f"site{site_of_page[n]}.example" for n in rows],
                    "content_hash": [f"{n:032x}" for n in rows],
                    "keys": pa.array(keys, type=pa.list_(pa.uint64())),
                },
                schema=PARAGRAPH_KEYS_SCHEMA,
            )
        )
    side_mb = sum(t.nbytes for t in tables) / 2**20
    started = time.perf_counter()
    plan_from_tables(tables)
    elapsed = time.perf_counter() - started
    tracemalloc.start()  # a second run, traced (tracing slows it down)
    plan = plan_from_tables(tables)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"planning {pages} pages / {sites} sites / {own_keys + template_keys} keys per page: "
        f"{elapsed:.1f} s, peak traced memory {peak / 2**20:.0f} MB "
        f"(side tables, read one at a time in a run: {side_mb:.0f} MB in all); "
        f"{len(plan.keys)} keys on {MIN_PAGES}+ pages of their site"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site-pages", type=int, default=8, help="articles in the same site")
    parser.add_argument("--cost-rows", type=int, default=5000, help="rows for the cost run")
    parser.add_argument(
        "--scale", type=int, default=0, help="only the planning pass on this many synthetic pages"
    )
    args = parser.parse_args()
    if args.scale:
        scale(args.scale)
        return

    site = build_site(site_articles(args.site_pages))
    truths = [p.truth for p in site]
    html_table, html_missing = rows_table([(p.url, p.html, "html") for p in site])
    report("(a) same-site HTML", html_table, truths, html_missing)
    dump_table, dump_missing = rows_table([(p.url, p.dump, "text") for p in site])
    report("(b) same-site dumps", dump_table, truths, dump_missing)

    bench = scrapinghub_pages()
    bench_truths = [p.truth for p in bench]
    dumps = [(p.url, render_text_dump(p.html), "text") for p in bench]
    sh_dump_table, sh_dump_missing = rows_table(dumps)
    report("(c) ScrapingHub dumps", sh_dump_table, bench_truths, sh_dump_missing)
    sh_html_table, sh_html_missing = rows_table([(p.url, p.html, "html") for p in bench])
    report("(d) ScrapingHub HTML", sh_html_table, bench_truths, sh_html_missing)

    cost([html_table, dump_table, sh_dump_table, sh_html_table], args.cost_rows)


if __name__ == "__main__":
    main()
