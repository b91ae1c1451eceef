"""Extraction quality and page-type routing: newsflow against trafilatura, readability and
jusText on ScrapingHub (181 articles, token-shingle F1) and WCXB dev (1,497 pages in 7
page types, word F1 macro per page), in one table.

newsflow's figures are out-of-fold: every page goes through `tasks.extract.record.extract_record`
(exactly what the pipeline's workers do) with the models of the fold that held its domain
out (benchmarks/.cache/oof/*-fold<k>.json, written by benchmarks/train_extractor.py, which
must have run first). Texts are taken with keep_non_articles on, so that text quality and
routing are measured separately; the routing columns use the router's decisions.

    python benchmarks/train_extractor.py && python benchmarks/quality.py
    python benchmarks/quality.py --scrapinghub-only   # the former ScrapingHub-only table
    python benchmarks/quality.py --newsflow-only      # skip the baselines (uncached: slow)

Per-page outputs and timings are cached in benchmarks/.cache/ (per trafilatura version;
delete quality-newsflow-*.json after retraining). ms/page is the mean wall time per page
of the first (uncached) run of each extractor, on a shared machine: indicative only.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import justext  # noqa: E402
import lxml.html  # noqa: E402
import trafilatura  # noqa: E402
from benchdata import (  # noqa: E402
    CACHE,
    BenchPage,
    all_pages,
    decoded,
    scrapinghub_f1,
    wcxb_scores,
)
from trafilatura.readability_lxml import Document as ReadabilityDocument  # noqa: E402

from tasks.extract.record import extract_record  # noqa: E402
from tasks.extract.treemodel import models_from  # noqa: E402
from tasks.process.pipeline import extract_options  # noqa: E402
from tasks.records import ExtractOptions, RawRecord  # noqa: E402

OOF = CACHE / "oof"
PAGE_TYPES = ("article", "service", "product", "collection", "forum", "listing", "documentation")


def pipeline_result(page: BenchPage, options: ExtractOptions) -> dict:
    record = RawRecord(
        source_uri=page.page_id,
        input_format="html",
        content_kind="html",
        content=page.html,
        url=page.url or None,
    )
    result = extract_record(record, options)
    if isinstance(result, dict):
        return {"text": result["text"], "page_type": result["page_type"]}
    return {"text": "", "page_type": "article", "failure": result.error_type}


def readability_text(page: BenchPage) -> str:
    summary = ReadabilityDocument(trafilatura.load_html(decoded(page))).summary()
    return lxml.html.fromstring(summary).text_content() if summary.strip() else ""


def justext_text(page: BenchPage) -> str:
    paragraphs = justext.justext(page.html, justext.get_stoplist("English"))
    return "\n\n".join(p.text for p in paragraphs if not p.is_boilerplate)


# row name: (cache key, extractor)
BASELINES: dict[str, tuple[str, Callable[[BenchPage], str]]] = {
    "trafilatura defaults": (
        "trafilatura-defaults",
        lambda p: trafilatura.extract(p.html, url=p.url or None) or "",
    ),
    "trafilatura precision": (
        "trafilatura-precision",
        lambda p: trafilatura.extract(p.html, url=p.url or None, favor_precision=True) or "",
    ),
    "readability (trafilatura port)": ("readability", readability_text),
    "jusText (English stoplist)": ("justext", justext_text),
}


def _cached(name: str, pages: list[BenchPage], run: Callable[[BenchPage], dict]) -> dict:
    """{page_id: result dict with "ms"}: computed once per trafilatura version."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"quality-{name}-trafilatura{trafilatura.__version__}.json"
    done = json.loads(path.read_text()) if path.exists() else {}
    for page in pages:
        if page.page_id in done:
            continue
        started = time.perf_counter()
        try:
            result = run(page)
        except Exception as err:  # a baseline crashing on one page scores it as empty
            result = {"text": "", "error": type(err).__name__}
        result["ms"] = (time.perf_counter() - started) * 1000
        done[page.page_id] = result
    path.write_text(json.dumps(done))
    return done


def newsflow_results(pages: list[BenchPage]) -> dict:
    if not (OOF / "folds.json").exists():
        sys.exit("no fold models: run `python benchmarks/train_extractor.py --no-write` first")
    folds = json.loads((OOF / "folds.json").read_text())
    options = extract_options(date(2025, 1, 1), "benchmark", keep_non_articles=True)
    results: dict = {}
    for k in sorted(set(folds.values())):
        files = {name: OOF / f"{name}-fold{k}.json" for name in ("blocks", "pagetype")}
        fold_pages = [p for p in pages if folds[p.page_id] == k]
        with models_from(files):
            run = lambda p: pipeline_result(p, options)  # noqa: E731
            results |= _cached(f"newsflow-fold{k}", fold_pages, run)
    return results


# --------------------------------------------------------------------------- columns
# one function per column group: each returns {header: formatted cell}


def scrapinghub_columns(pages: list[BenchPage], results: dict) -> dict[str, str]:
    texts = {k: v["text"] for k, v in results.items()}
    return {"SH F1": f"{scrapinghub_f1(pages, texts):.3f}"}


def wcxb_columns(pages: list[BenchPage], results: dict) -> dict[str, str]:
    scores = wcxb_scores(pages, {k: v["text"] for k, v in results.items()})
    cells = {kind[:7]: f"{scores.get(kind, 0.0):.3f}" for kind in PAGE_TYPES}
    cells["WCXB all"] = f"{scores['all']:.3f}"
    return cells


def routing_columns(pages: list[BenchPage], results: dict) -> dict[str, str]:
    wcxb = [p for p in pages if p.dataset == "wcxb"]
    if not all("page_type" in results[p.page_id] for p in wcxb):
        return {"art kept": "—", "non-art out": "—"}  # an extractor without a router
    articles = [p for p in wcxb if p.page_type == "article"]
    others = [p for p in wcxb if p.page_type != "article"]
    kept = sum(results[p.page_id]["page_type"] == "article" for p in articles) / len(articles)
    out = sum(results[p.page_id]["page_type"] != "article" for p in others) / len(others)
    return {"art kept": f"{kept:.1%}", "non-art out": f"{out:.1%}"}


def speed_columns(pages: list[BenchPage], results: dict) -> dict[str, str]:
    ms = [results[p.page_id]["ms"] for p in pages]
    return {"ms/page": f"{sum(ms) / len(ms):.0f}"}


COLUMN_GROUPS = (scrapinghub_columns, wcxb_columns, routing_columns, speed_columns)


def print_table(rows: list[tuple[str, dict[str, str]]]) -> None:
    headers = list(rows[0][1])
    widths = {h: max(len(h), *(len(cells[h]) for _, cells in rows)) for h in headers}
    print(f"{'':32} " + " ".join(f"{h:>{widths[h]}}" for h in headers))
    for name, cells in rows:
        print(f"{name:32} " + " ".join(f"{cells[h]:>{widths[h]}}" for h in headers))


def print_routed_out(pages: list[BenchPage], results: dict) -> None:
    """newsflow's routing per true WCXB type: pages routed out of all, and the pages that
    failed before routing (extract/no_content, counted as "article" in the table)."""
    cells = []
    for kind in PAGE_TYPES:
        mine = [results[p.page_id] for p in pages if p.dataset == "wcxb" and p.page_type == kind]
        if not mine:
            continue
        out = sum(r["page_type"] != "article" for r in mine)
        failed = sum("failure" in r for r in mine)
        verb = "kept" if kind == "article" else "out"
        count = len(mine) - out if kind == "article" else out
        cells.append(
            f"{kind} {verb} {count}/{len(mine)}" + (f" ({failed} failed)" if failed else "")
        )
    if cells:
        print("newsflow routing by true type: " + ", ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scrapinghub-only", action="store_true", help="only the 181 ScrapingHub pages"
    )
    parser.add_argument(
        "--newsflow-only", action="store_true", help="newsflow's row only, no baselines"
    )
    args = parser.parse_args()
    pages = all_pages()
    if args.scrapinghub_only:
        pages = [p for p in pages if p.dataset == "scrapinghub"]
        global COLUMN_GROUPS
        COLUMN_GROUPS = (scrapinghub_columns, speed_columns)
    runs = {"newsflow (out-of-fold)": newsflow_results(pages)}
    for name, (key, extract) in BASELINES.items() if not args.newsflow_only else ():
        runs[name] = _cached(key, pages, _text(extract))
    rows = []
    for name, results in runs.items():
        cells: dict[str, str] = {}
        for group in COLUMN_GROUPS:
            cells |= group(pages, results)
        rows.append((name, cells))
    print_table(rows)
    print_routed_out(pages, runs["newsflow (out-of-fold)"])
    print(f"pages: {sum(p.dataset == 'scrapinghub' for p in pages)} ScrapingHub, "
          f"{sum(p.dataset == 'wcxb' for p in pages)} WCXB dev")  # fmt: skip


def _text(extract: Callable[[BenchPage], str]) -> Callable[[BenchPage], dict]:
    return lambda page: {"text": extract(page)}


if __name__ == "__main__":
    main()
