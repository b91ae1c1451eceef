"""Per-page cost (ms) of each step text selection and page routing add to an extraction,
on the 181 ScrapingHub pages, measured interleaved: every round times every step on every
page, so drift in machine load hits all steps alike; prints the median over rounds and the
min-max spread.

    python benchmarks/selection_cost.py --rounds 5

Steps: the parse (for scale), trafilatura's extraction in the old setting (favor_precision,
no comments) and in the seed setting (defaults), the router features + router model (every
HTML page), the block split + seed coverage and the block features + block model (only
non-articles kept with --keep-non-articles).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import trafilatura  # noqa: E402
from corpus import pages  # noqa: E402

from tasks.extract.blocks import page_blocks  # noqa: E402
from tasks.extract.pagetype import classify  # noqa: E402
from tasks.extract.selection import (  # noqa: E402
    block_model,
    seed_extraction,
    seed_plus_added,
    select_text,
)


def old_setting(tree, url):
    return trafilatura.bare_extraction(
        tree, url=url, with_metadata=False, include_comments=False, favor_precision=True
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    corpus = pages()
    block_model()  # load once, outside the timings
    steps = ("parse", "trafilatura old setting", "trafilatura seed setting",
             "router features + model", "block split", "block features + model",
             "seed + added blocks (features + model)")  # fmt: skip
    totals: dict[str, list[float]] = {s: [] for s in steps}
    for _ in range(args.rounds):
        spent = dict.fromkeys(steps, 0.0)
        for page in corpus:
            t0 = time.perf_counter()
            tree = trafilatura.load_html(page.html)
            t1 = time.perf_counter()
            old_setting(tree, page.url)
            t2 = time.perf_counter()
            seed = seed_extraction(tree, page.url)
            seed_text = seed.text if seed is not None else ""
            t3 = time.perf_counter()
            classify(tree, page.url, seed_text)
            t4 = time.perf_counter()
            blocks = page_blocks(tree, seed_text)
            t5 = time.perf_counter()
            select_text(blocks)
            t6 = time.perf_counter()
            seed_plus_added(seed_text, blocks)
            t7 = time.perf_counter()
            for step, (a, b) in zip(
                steps,
                ((t0, t1), (t1, t2), (t2, t3), (t3, t4), (t4, t5), (t5, t6), (t6, t7)),
                strict=True,
            ):
                spent[step] += b - a
        for step in steps:
            totals[step].append(spent[step] / len(corpus) * 1000)
    print(f"{'ms per page':28} {'median':>7} {'min':>7} {'max':>7}   ({args.rounds} rounds)")
    for step in steps:
        values = totals[step]
        print(f"{step:28} {statistics.median(values):7.2f} {min(values):7.2f} {max(values):7.2f}")


if __name__ == "__main__":
    main()
