"""Rebuild infra/demo/raw: the bundled sample raw zone that `make demo` processes.

A dozen benchmark pages (8 in a WARC as `collect` writes them, 4 as .html.gz files), the
plain-text sample the project was born from, and one truncated .html.gz so the demo shows
a quarantine row too. Run from the repo root: python benchmarks/make_demo_data.py
"""

from __future__ import annotations

import gzip
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import DATA, pages, write_warc  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "infra" / "demo"
SAMPLE = ROOT / "tests" / "data" / "text" / "echolive-trump-putin.txt"


def main() -> None:
    raw = DEMO / "raw"
    shutil.rmtree(raw, ignore_errors=True)
    raw.mkdir(parents=True)
    chosen = pages()[:12]
    write_warc(
        raw / "collected.warc.gz",
        [(p.url, p.html) for p in chosen[:8]],
        datetime(2025, 3, 18, 6, 30, tzinfo=UTC),
    )
    for page in chosen[8:]:
        (raw / f"{page.page_id[:12]}.html.gz").write_bytes(gzip.compress(page.html))
    shutil.copy(SAMPLE, raw / "echolive-trump-putin.txt")
    broken = gzip.compress(chosen[0].html)
    (raw / "truncated-download.html.gz").write_bytes(broken[: len(broken) // 3])
    shutil.copy(DATA / "LICENSE", DEMO / "LICENSE-scrapinghub")
    print(f"wrote {sorted(p.name for p in raw.iterdir())}")


if __name__ == "__main__":
    main()
