"""Extraction quality of the pipeline's own extraction on the ScrapingHub benchmark.

Runs every benchmark page through `tasks.extract.extract_record` (exactly what the
pipeline's workers do: decode, one parse, trafilatura with our settings, normalisation)
and, for reference in the same run, trafilatura's `extract()` with its defaults.
Prints precision / recall / F1 / accuracy with the benchmark's token-shingle metric.

    python benchmarks/quality.py            # target: F1 >= 0.960
"""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import trafilatura  # noqa: E402
from corpus import pages  # noqa: E402
from shingle_f1 import score  # noqa: E402

from tasks.extract import extract_record  # noqa: E402
from tasks.pipeline import extract_options  # noqa: E402
from tasks.records import ExtractOptions, RawRecord  # noqa: E402


def pipeline_text(url: str, html: bytes, options: ExtractOptions) -> str:
    record = RawRecord(
        source_uri=url, input_format="html", content_kind="html", content=html, url=url
    )
    result = extract_record(record, options)
    return result["text"] if isinstance(result, dict) else ""


def main() -> None:
    corpus = pages()
    options = extract_options(date(2025, 1, 1), "benchmark")
    rows = []
    for name, extract in (
        ("trafilatura extract() defaults", lambda p: trafilatura.extract(p.html, url=p.url) or ""),
        ("newsflow pipeline extraction", lambda p: pipeline_text(p.url, p.html, options)),
    ):
        started = time.perf_counter()
        predicted = [extract(p) for p in corpus]
        elapsed = time.perf_counter() - started
        result = score(zip(predicted, (p.truth for p in corpus), strict=True))
        rows.append((name, result, len(corpus) / elapsed))
    print(f"{'':34} {'precision':>9} {'recall':>7} {'F1':>6} {'accuracy':>8} {'docs/s':>7}")
    for name, s, rate in rows:
        scores = f"{s.precision:9.3f} {s.recall:7.3f} {s.f1:6.3f} {s.accuracy:8.3f}"
        print(f"{name:34} {scores} {rate:7.1f}")
    print(f"pages: {rows[0][1].pages}")


if __name__ == "__main__":
    main()
