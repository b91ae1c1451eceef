"""With/without snippet F1 on WCXB dev article pages: HTML and whole-page text dumps.

WCXB's ground truth gives each page `with` snippets (sentences that must be in the main
text) and `without` snippets (navigation, footers, related links: must not be). Per page:

- recall    = share of `with` snippets found in the output text;
- exclusion = share of `without` snippets absent from it (the precision side);
- F1        = harmonic mean of the two; the score is the macro mean over pages.

Matching is on NFKC, case-folded, whitespace-collapsed text with the Unicode quotation
marks folded to ASCII (the snippets were straightened: "I've" for the page's "I’ve"), and
a snippet counts as found only at word boundaries ("Home" is not found inside
"homeowners"; WCXB cut some snippets at 80 characters mid-word, and those match on their
start). A page that gives no
row (quarantined) is scored with an empty text: recall 0, exclusion 1.

Every page goes through `tasks.extract.record.extract_record` (what the workers do) twice: as HTML
and as a whole-page text dump (benchmarks/make_text_dumps.py's renderer, "select all,
copy" from a browser) through the plain-text path. "+site" then runs the commit pass's
site boilerplate step (tasks/normalise/siteboiler.py) on all rows of that input kind together; it
only touches sites with at least `MIN_PAGES` pages in the corpus.

The pages are split by registered domain into the same two halves as
benchmarks/metadata_quality.py: rules were tuned on "dev" only; "held-out" is the honest
figure. The interval is a 95 % bootstrap over pages (1,000 resamples, seed 15).

Measured 2026-12-03 (F1, dev / held-out; 95 % intervals about ±0.02):

    input                      before issue 15 part 5    after (tasks/extract/textclean.py rules)
    text dumps                 0.875 / 0.854             0.892 / 0.873
    text dumps + site pass     0.875 / 0.854             0.892 / 0.873 (6 of 741 sites have
                                                         3+ pages: nothing removed)
    HTML                       0.928 / 0.922             0.928 / 0.922

    python benchmarks/snippet_f1.py                 # target >= 0.85 on text dumps
    python benchmarks/snippet_f1.py --misses text --half dev   # worst dev pages
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from make_text_dumps import render_text_dump  # noqa: E402
from metadata_quality import CRAWL_DATE, DATA, QUOTE_FOLD, Page, wcxb_pages  # noqa: E402

from tasks.extract.record import extract_record  # noqa: E402
from tasks.normalise.siteboiler import MIN_PAGES, SiteStats, paragraph_keys_table  # noqa: E402
from tasks.normalise.urls import registered_domain  # noqa: E402
from tasks.process.pipeline import extract_options  # noqa: E402
from tasks.process.write import articles_table  # noqa: E402
from tasks.records import RawRecord  # noqa: E402

OPTIONS = extract_options(CRAWL_DATE, "benchmark")
HALVES = ("all", "dev", "held-out")


def fold(text: str) -> str:
    """NFKC, quotation marks folded to ASCII, case-folded, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).translate(QUOTE_FOLD)
    return " ".join(text.casefold().split())


# WCXB cuts some snippets at 80 characters, mid-word ("... a landmark paper in the b")
SNIPPET_CUT = 80


def found(snippet: str, folded_text: str) -> bool:
    """Whether the snippet occurs in the (already folded) text, at word boundaries (not
    at the end of a snippet cut at `SNIPPET_CUT` characters)."""
    key = fold(snippet)
    if not key:
        return False
    # a boundary only applies next to a word character: "(AP)" or "— " may touch anything
    left = r"(?<!\w)" if key[0].isalnum() or key[0] == "_" else ""
    cut = len(snippet) == SNIPPET_CUT
    right = r"(?!\w)" if (key[-1].isalnum() or key[-1] == "_") and not cut else ""
    return re.search(left + re.escape(key) + right, folded_text) is not None


@dataclass(frozen=True, slots=True)
class PageScore:
    recall: float
    exclusion: float

    @property
    def f1(self) -> float:
        total = self.recall + self.exclusion
        return 2 * self.recall * self.exclusion / total if total else 0.0


def page_score(text: str, with_: list[str], without: list[str]) -> PageScore:
    """Recall of `with_` and exclusion of `without` in `text`; an empty list scores 1."""
    folded = fold(text)
    recall = sum(found(s, folded) for s in with_) / len(with_) if with_ else 1.0
    exclusion = 1 - sum(found(s, folded) for s in without) / len(without) if without else 1.0
    return PageScore(recall, exclusion)


def snippets(page: Page, root: Path = DATA) -> tuple[list[str], list[str]]:
    item = json.loads((root / "ground-truth" / f"{page.page_id}.json").read_text("utf-8"))
    truth = item["ground_truth"]
    return list(truth.get("with") or []), list(truth.get("without") or [])


def extract(page: Page, content: bytes, kind: str) -> dict | None:
    record = RawRecord(
        source_uri=page.page_id,
        input_format="text" if kind == "text" else "html",
        content_kind=kind,
        content=content,
        url=page.url,
    )
    row = extract_record(record, OPTIONS)
    return row if isinstance(row, dict) else None


def texts_by_page(rows: dict[str, dict]) -> tuple[dict[str, str], dict[str, str]]:
    """Each page's text without and with the site boilerplate pass."""
    plain = {pid: row["text"] for pid, row in rows.items()}
    if not rows:
        return plain, dict(plain)
    table, bad = articles_table(list(rows.values()))
    assert not bad, bad
    stats = SiteStats()
    stats.add(paragraph_keys_table(table))
    stripped, _ = stats.plan().apply(table)
    # apply keeps row order; source_uri is the page id
    by_uri = dict(
        zip(
            stripped.column("source_uri").to_pylist(),
            stripped.column("text").to_pylist(),
            strict=True,
        )
    )
    return plain, {pid: by_uri[pid] for pid in rows}


def bootstrap(values: list[float], rounds: int = 1000, seed: int = 15) -> tuple[float, float]:
    rng = random.Random(seed)
    means = sorted(sum(rng.choices(values, k=len(values))) / len(values) for _ in range(rounds))
    return means[int(0.025 * rounds)], means[int(0.975 * rounds) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", choices=("html", "text"), help="list the worst pages")
    parser.add_argument("--half", choices=HALVES, default="dev")
    parser.add_argument("--limit", type=int, default=0, help="only the first N pages (quick)")
    args = parser.parse_args()
    pages = wcxb_pages()
    if args.limit:
        pages = pages[: args.limit]
    truth = {p.page_id: snippets(p) for p in pages}
    half = {p.page_id: p.half for p in pages}
    domains = Counter(registered_domain(p.url) for p in pages)

    results: dict[str, dict[str, str]] = {}
    for kind in ("html", "text"):
        rows = {}
        for page in pages:
            content = page.html if kind == "html" else render_text_dump(page.html).encode()
            row = extract(page, content, kind)
            if row is not None:
                rows[page.page_id] = row
        plain, site = texts_by_page(rows)
        results[kind] = plain
        results[f"{kind}+site"] = site

    scores = {
        name: {pid: page_score(texts.get(pid, ""), *truth[pid]) for pid in truth}
        for name, texts in results.items()
    }
    if args.misses:
        worst = sorted(
            (s.f1, pid) for pid, s in scores[args.misses].items() if args.half in ("all", half[pid])
        )
        for f1, pid in worst[:25]:
            s = scores[args.misses][pid]
            print(f"{pid} [{half[pid]}] F1 {f1:.2f} R {s.recall:.2f} X {s.exclusion:.2f}")
    many = sum(1 for n in domains.values() if n >= MIN_PAGES)
    print(
        f"WCXB dev articles: {len(pages)} pages, {len(domains)} sites "
        f"({many} with >= {MIN_PAGES} pages: the site pass can act only there)"
    )
    print(f"{'input':10} {'half':9} {'pages':>5} {'recall':>7} {'exclude':>7} {'F1':>6}  95% CI")
    for name, by_page in scores.items():
        for which in HALVES:
            chosen = [s for pid, s in by_page.items() if which in ("all", half[pid])]
            f1s = [s.f1 for s in chosen]
            low, high = bootstrap(f1s)
            print(
                f"{name:10} {which:9} {len(chosen):5d}"
                f" {sum(s.recall for s in chosen) / len(chosen):7.3f}"
                f" {sum(s.exclusion for s in chosen) / len(chosen):7.3f}"
                f" {sum(f1s) / len(f1s):6.3f}  [{low:.3f}, {high:.3f}]"
            )
    missing = {k: len(pages) - len(v) for k, v in results.items() if "+" not in k}
    print(f"pages with no row (scored as empty text): {missing}")


if __name__ == "__main__":
    main()
