"""A learned per-page choice between trafilatura's text (the seed) and another cheap text
candidate (the block model's by default), evaluated with nested grouped k-fold.

The chooser sees only what the pipeline has before any block split: the router's 133 page
features and its 7 type probabilities (so the block split is paid only on pages where the
chooser picks the block text). Label: the candidate scores higher than the seed on the
page (WCXB word F1, ScrapingHub page shingle F1), weighted by how much (|gain|), so that
the classifier's 0.5 decision approximates "choose where the expected gain is positive".

Nested: for the pages of fold k, the chooser is trained on the pages of the other folds,
whose candidate texts, router probabilities and scores are themselves out-of-fold (made by
models that never saw those pages' domains); nothing of fold k is seen.

    OMP_NUM_THREADS=1 python benchmarks/text_chooser.py [--candidate model|local|union|minus]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from benchdata import cached_texts  # noqa: E402
from shingle_f1 import page_scores  # noqa: E402
from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: E402
from text_headroom import f1_of, oof_candidates, sh_f1  # noqa: E402
from train_extractor import OOF, SEED, PageData, router_rows, seed_text  # noqa: E402, F401  (PageData: the features cache pickles it as __main__.PageData)
from word_f1 import page_f1  # noqa: E402

from tasks.extract.treemodel import model_from_dict  # noqa: E402

CHOOSER_DEPTH = 3


def fit_chooser(x: np.ndarray, gain: np.ndarray) -> HistGradientBoostingClassifier:
    clf = HistGradientBoostingClassifier(
        max_iter=60,
        learning_rate=0.1,
        max_depth=CHOOSER_DEPTH,
        max_leaf_nodes=8,
        min_samples_leaf=20,
        l2_regularization=1.0,
        early_stopping=False,
        random_state=SEED,
    )
    return clf.fit(x, (gain > 0).astype(int), sample_weight=np.abs(gain) + 1e-6)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidate", default="model")
    parser.add_argument(
        "--threshold", type=float, default=0.5, help="chooser probability to pick the candidate"
    )
    args = parser.parse_args()
    pages, candidates = oof_candidates()
    seeds = cached_texts("seed", pages, seed_text)
    router = router_rows(pages, seeds)
    folds = json.loads((OOF / "folds.json").read_text())
    routers = {
        k: model_from_dict(json.loads((OOF / f"pagetype-fold{k}.json").read_text()))
        for k in set(folds.values())
    }
    x = np.stack(
        [
            np.concatenate(
                [
                    router[p.page_id],
                    routers[folds[p.page_id]].probabilities(router[p.page_id][None])[0],
                ]
            )
            for p in pages
        ]
    )
    names = ("seed", args.candidate, "current")

    def scored(page, text):  # noqa: ANN001, ANN202
        if page.dataset == "scrapinghub":
            return page_scores(text, page.truth)
        return page_f1(text, page.truth)

    score = {p.page_id: {n: scored(p, candidates[p.page_id][n]) for n in names} for p in pages}

    def f1(page, name):  # noqa: ANN001, ANN202
        s = score[page.page_id][name]
        return f1_of(s) if page.dataset == "scrapinghub" else s

    gain = np.asarray([f1(p, args.candidate) - f1(p, "seed") for p in pages])
    fold = np.asarray([folds[p.page_id] for p in pages])
    chosen = np.zeros(len(pages), dtype=bool)
    for k in sorted(set(fold)):
        clf = fit_chooser(x[fold != k], gain[fold != k])
        chosen[fold == k] = clf.predict_proba(x[fold == k])[:, 1] >= args.threshold
    groups: dict[str, list[dict]] = {}
    for i, page in enumerate(pages):
        row = dict(score[page.page_id])
        row["chooser"] = row[args.candidate] if chosen[i] else row["seed"]
        row["picks"] = float(chosen[i])
        group = "ScrapingHub" if page.dataset == "scrapinghub" else page.page_type
        groups.setdefault(group, []).append(row)
        if page.dataset == "wcxb":
            groups.setdefault("WCXB all", []).append(row)
    cols = [*names, "chooser"]
    print(f"{'':14}{'pages':>6}" + "".join(f"{n:>10}" for n in cols) + f"{'picked':>8}")
    for group, rows in sorted(groups.items()):
        if group == "ScrapingHub":
            cells = [sh_f1([r[n] for r in rows]) for n in cols]
        else:
            cells = [sum(r[n] for r in rows) / len(rows) for n in cols]
        picked = sum(r["picks"] for r in rows) / len(rows)
        print(
            f"{group:14}{len(rows):>6}" + "".join(f"{c:>10.3f}" for c in cells) + f"{picked:>8.0%}"
        )


if __name__ == "__main__":
    main()
