"""The extraction benchmark pages (WCXB dev + ScrapingHub) as one list, their metrics, and
cached per-page work shared by train_extractor.py and quality.py.

Cache: benchmarks/.cache/ (git-ignored). A page's seed extraction (one trafilatura run)
is the expensive part; it is keyed by the page id and the trafilatura version.
"""

from __future__ import annotations

import gzip
import json
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import trafilatura  # noqa: E402
from corpus import pages as scrapinghub_pages  # noqa: E402
from shingle_f1 import score as shingle_score  # noqa: E402
from word_f1 import page_f1  # noqa: E402

from tasks.ingest.decode import decode_bytes  # noqa: E402
from tasks.normalise.urls import registered_domain  # noqa: E402

WCXB = HERE / "data" / "wcxb-dev"
CACHE = HERE / ".cache"


@dataclass(frozen=True, slots=True)
class BenchPage:
    page_id: str  # "wcxb/2865", "scrapinghub/<hash>"
    dataset: str  # "wcxb" | "scrapinghub"
    url: str
    html: bytes
    truth: str
    page_type: str  # article, listing, collection, forum, product, documentation, service

    @property
    def domain(self) -> str:
        return registered_domain(self.url) or self.page_id


def wcxb_pages(root: Path = WCXB) -> list[BenchPage]:
    out = []
    for path in sorted((root / "ground-truth").glob("*.json"), key=lambda p: int(p.stem)):
        item = json.loads(path.read_text(encoding="utf-8"))
        kind = item["_internal"]["page_type"]["primary"]
        out.append(
            BenchPage(
                f"wcxb/{path.stem}",
                "wcxb",
                item.get("url") or "",
                gzip.decompress((root / "html" / f"{path.stem}.html.gz").read_bytes()),
                item["ground_truth"].get("main_content") or "",
                "collection" if kind == "category" else kind,
            )
        )
    return out


def all_pages() -> list[BenchPage]:
    scrapinghub = [
        BenchPage(f"scrapinghub/{p.page_id}", "scrapinghub", p.url, p.html, p.truth, "article")
        for p in scrapinghub_pages()
    ]
    return wcxb_pages() + scrapinghub


def decoded(page: BenchPage) -> str:
    return decode_bytes(page.html, None, kind="html").text


# --------------------------------------------------------------------------- metrics


word_f1 = page_f1  # WCXB's metric for one page (benchmarks/word_f1.py)


def wcxb_scores(pages: list[BenchPage], texts: dict[str, str]) -> dict[str, float]:
    """Mean word F1 per page type and overall ("all") over the WCXB pages."""
    by_type: dict[str, list[float]] = {}
    for page in pages:
        if page.dataset != "wcxb":
            continue
        f1 = word_f1(texts.get(page.page_id, ""), page.truth)
        by_type.setdefault(page.page_type, []).append(f1)
        by_type.setdefault("all", []).append(f1)
    return {kind: sum(v) / len(v) for kind, v in sorted(by_type.items())}


def scrapinghub_f1(pages: list[BenchPage], texts: dict[str, str]) -> float:
    pairs = [(texts.get(p.page_id, ""), p.truth) for p in pages if p.dataset == "scrapinghub"]
    return shingle_score(pairs).f1


# --------------------------------------------------------------------------- cache


def cached_texts(name: str, pages: list[BenchPage], extract) -> dict[str, str]:
    """{page_id: text} of `extract(page)`, computed once per trafilatura version."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"{name}-trafilatura{trafilatura.__version__}.json"
    done: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    missing = [p for p in pages if p.page_id not in done]
    for n, page in enumerate(missing, 1):
        done[page.page_id] = extract(page) or ""
        if n % 200 == 0:
            path.write_text(json.dumps(done))
            print(f"  {name}: {n}/{len(missing)}", file=sys.stderr)
    if missing:
        path.write_text(json.dumps(done))
    return done
