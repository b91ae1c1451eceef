"""Headroom of cheap text candidates, out-of-fold: how far would a perfect per-page choice
among texts we can already produce get, before building anything to make that choice?

Candidates per page (block model = the OOF fold model that held the page's domain out):
- seed: trafilatura's text (the seed, one run; what articles get today);
- model: the blocks the block model keeps (what kept non-articles get today);
- seed blocks: the blocks the seed covers (coverage >= 0.5), i.e. the seed in block form;
- union: seed blocks plus the blocks the model adds;
- minus: seed blocks minus the blocks the model drops;
- local: the model's blocks restricted to the seed's span (first to last seed block, one
  block either side): the seed-relative decision (only add next to / inside the seed,
  only drop seed blocks);
- current: the pipeline's choice before seed+add (seed for pages routed as articles, model
  otherwise);
- routed+add: seed for pages routed as articles, seed+add otherwise (the pipeline now).

Prints the mean score of each candidate and of the per-page oracle over {seed, model,
union, minus, local} per dataset and WCXB page type (WCXB word F1; ScrapingHub shingle
F1 of mean precision / recall, the oracle picking each page's best page-level F1).
Needs `python benchmarks/train_extractor.py --no-write` first (features, folds, models).

    OMP_NUM_THREADS=1 python benchmarks/text_headroom.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from benchdata import all_pages, cached_texts  # noqa: E402
from shingle_f1 import page_scores  # noqa: E402
from train_extractor import OOF, PageData, features, seed_text  # noqa: E402
from word_f1 import page_f1  # noqa: E402

from tasks.extract.blocks import BLOCK_FEATURES, Reference, tokens  # noqa: E402
from tasks.extract.selection import KEEP_THRESHOLD  # noqa: E402
from tasks.extract.selection import SEED_COVERED as COVERED
from tasks.extract.treemodel import model_from_dict  # noqa: E402

SEED_COLUMN = BLOCK_FEATURES.index("seed")

ORACLE_OVER = ("seed", "model", "union", "minus", "local", "seed-drop", "seed+add")


def block_candidates(data: PageData, probabilities: np.ndarray, seed: str) -> dict[str, str]:
    """Texts built from the page's blocks, in page order."""
    if not len(data.block_rows):
        return dict.fromkeys(
            ("model", "seed blocks", "union", "minus", "local", "seed-drop", "seed+add"), ""
        )
    in_seed = data.block_rows[:, SEED_COLUMN] >= COVERED
    kept = probabilities >= KEEP_THRESHOLD
    span = np.zeros(len(kept), dtype=bool)
    if in_seed.any():
        where = np.flatnonzero(in_seed)
        span[max(0, where[0] - 1) : where[-1] + 2] = True

    def text(mask: np.ndarray) -> str:
        return "\n\n".join(t for t, m in zip(data.texts, mask, strict=True) if m)

    return {
        "model": text(kept),
        "seed blocks": text(in_seed),
        "union": text(in_seed | kept),
        "minus": text(in_seed & kept),
        "local": text(span & kept),
        "seed-drop": seed_without(seed, text(in_seed & ~kept), text(kept)),
        "seed+add": "\n\n".join(filter(None, [seed, text(kept & ~in_seed)])),
    }


def seed_without(seed: str, dropped: str, kept: str) -> str:
    """The seed's own lines, minus those that are mostly a block the model dropped (and not
    also a kept block): the seed's text and order, the model's drop decisions."""
    if not dropped:
        return seed
    drop, keep = Reference(dropped), Reference(kept)
    lines = []
    for line in seed.split("\n"):
        words = tokens(line)
        if words and drop.covers(words) >= COVERED and keep.covers(words) < COVERED:
            continue
        lines.append(line)
    return "\n".join(lines)


def oof_candidates() -> tuple[list, dict[str, dict[str, str]]]:
    pages = all_pages()
    seeds = cached_texts("seed", pages, seed_text)
    data = features(pages, seeds)
    folds = json.loads((OOF / "folds.json").read_text())
    routed = json.loads((OOF / "routed.json").read_text())
    models = {
        k: model_from_dict(json.loads((OOF / f"blocks-fold{k}.json").read_text()))
        for k in set(folds.values())
    }
    out: dict[str, dict[str, str]] = {}
    for page in pages:
        d = data[page.page_id]
        model = models[folds[page.page_id]]
        probabilities = model.probabilities(d.block_rows) if len(d.block_rows) else np.zeros(0)
        texts = {"seed": seeds[page.page_id]} | block_candidates(
            d, probabilities, seeds[page.page_id]
        )
        texts["current"] = texts["seed"] if routed[page.page_id] == "article" else texts["model"]
        if not texts["current"].strip():
            texts["current"] = texts["seed"]  # the pipeline falls back to the seed
        routed_article = routed[page.page_id] == "article"
        texts["routed+add"] = texts["seed"] if routed_article else texts["seed+add"]
        out[page.page_id] = texts
    return pages, out


def sh_f1(pairs: list[tuple[float, float]]) -> float:
    p = sum(x for x, _ in pairs) / len(pairs)
    r = sum(y for _, y in pairs) / len(pairs)
    return 2 * p * r / (p + r) if p + r else 0.0


def f1_of(pr: tuple[float, float]) -> float:
    return 2 * pr[0] * pr[1] / (pr[0] + pr[1]) if sum(pr) else 0.0


def main() -> None:
    pages, candidates = oof_candidates()
    names = [*next(iter(candidates.values())), "oracle"]
    groups: dict[str, list] = {}
    for page in pages:
        texts = candidates[page.page_id]
        if page.dataset == "scrapinghub":
            scores = {n: page_scores(t, page.truth) for n, t in texts.items()}
            scores["oracle"] = max((scores[n] for n in ORACLE_OVER), key=f1_of)
            groups.setdefault("ScrapingHub", []).append(scores)
        else:
            scores = {n: page_f1(t, page.truth) for n, t in texts.items()}
            scores["oracle"] = max(scores[n] for n in ORACLE_OVER)
            groups.setdefault("WCXB all", []).append(scores)
            groups.setdefault(page.page_type, []).append(scores)
    print(f"{'':14}{'pages':>6}" + "".join(f"{n:>12}" for n in names))
    for group, rows in groups.items():
        if group == "ScrapingHub":
            cells = [sh_f1([r[n] for r in rows]) for n in names]
        else:
            cells = [sum(r[n] for r in rows) / len(rows) for n in names]
        print(f"{group:14}{len(rows):>6}" + "".join(f"{c:>12.3f}" for c in cells))


if __name__ == "__main__":
    main()
