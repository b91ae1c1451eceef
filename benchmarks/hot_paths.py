"""Per-call cost of the per-document hot paths, against the budgets they were built to.

These were wall-clock assertions in tests (test_decode, test_htmlmeta, test_normalise,
test_textclean):
a timing depends on the machine and its load, so it is measured here, with its spread,
and never fails a test run.

    python benchmarks/hot_paths.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402

from tasks.extract.htmlmeta import read_page_meta  # noqa: E402
from tasks.extract.textclean import clean_text  # noqa: E402
from tasks.ingest.decode import decode_bytes  # noqa: E402
from tasks.normalise.hashes import simhash64  # noqa: E402
from tasks.normalise.language import detect_language  # noqa: E402
from tasks.normalise.urls import registered_domain  # noqa: E402

DATA = ROOT / "tests" / "data"
TEXT = (DATA / "text" / "echolive-trump-putin.txt").read_text(encoding="utf-8")


def per_call(fn: Callable[[], object], calls: int, repeats: int) -> list[float]:
    """Seconds per call, one value per repeat (after a warm-up call)."""
    fn()
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        runs.append((time.perf_counter() - start) / calls)
    return runs


def cases() -> list[tuple[str, Callable[[], object], int, float]]:
    """(name, call, calls per repeat, budget in seconds per call)."""
    html = (
        '<!doctype html><html><head><meta charset="utf-8"><title>t</title></head><body>'
        + "Plain article text. " * 100
        + "</body></html>"
    ).encode()
    trees = [
        trafilatura.load_html(gzip.decompress(p.read_bytes()))
        for p in sorted((DATA / "html").glob("*.html.gz"))
    ]
    words = " ".join((TEXT.split() * 3)[:1000])
    url = "https://www.echolive.ie/news/arid-41234567.html"
    return [
        # a charset-normalizer run on the same page takes milliseconds
        ("decode_bytes, declared utf-8 page", lambda: decode_bytes(html), 200, 0.0005),
        # catches an accidental full-tree XPath per key
        (
            f"read_page_meta, {len(trees)} real pages",
            lambda: [read_page_meta(t, url) for t in trees],
            20,
            0.010 * len(trees),
        ),
        ("registered_domain (offline PSL)", lambda: registered_domain(url), 1000, 0.0005),
        ("detect_language, 5 x article", lambda: detect_language(TEXT * 5), 100, 0.005),
        ("simhash64, 1000 words", lambda: simhash64(words), 100, 0.005),
        # a quadratic step in the plain-text rules would take minutes here (~1.5 s linear)
        (
            "clean_text, 100 x sample + 50,000 caps lines",
            lambda: (clean_text((TEXT + "\n\n") * 100), clean_text("AB CD\n" * 50_000)),
            1,
            5.0,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    print(f"{'hot path':<40} {'median':>10} {'min-max':>21} {'budget':>10}")
    for name, fn, calls, budget in cases():
        runs = per_call(fn, calls, args.repeats)
        median = statistics.median(runs)
        flag = "" if median < budget else "  OVER BUDGET"
        spread = f"{min(runs) * 1e6:.0f}-{max(runs) * 1e6:.0f} us"
        print(f"{name:<40} {median * 1e6:>7.0f} us {spread:>21} {budget * 1e6:>7.0f} us{flag}")


if __name__ == "__main__":
    main()
