"""The article-extraction-benchmark metric: token-shingle precision/recall/F1.

As in the ScrapingHub benchmark (benchmarks/data/scrapinghub/README.md): tokens are `\\w+`
matches, shingles are runs of 4 consecutive tokens counted as a multiset; per page
precision = tp/(tp+fp) and recall = tp/(tp+fn) (a page with fp = fn = 0 scores 1); the
reported precision and recall are means over pages and F1 = 2PR/(P+R) of those means.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

_TOKEN = re.compile(r"\w+")
SHINGLE = 4


def shingles(text: str, n: int = SHINGLE) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text or "")
    if len(tokens) < n:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def page_scores(predicted: str, truth: str) -> tuple[float, float]:
    """(precision, recall) of one page."""
    pred, true = shingles(predicted), shingles(truth)
    tp = sum((pred & true).values())
    fp = sum(pred.values()) - tp
    fn = sum(true.values()) - tp
    if fp == 0 and fn == 0:
        return 1.0, 1.0
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return precision, recall


@dataclass(frozen=True, slots=True)
class Score:
    precision: float
    recall: float
    f1: float
    accuracy: float
    pages: int


def score(pairs: Iterable[tuple[str, str]]) -> Score:
    """Score (predicted, truth) pairs the way the benchmark does."""
    precisions, recalls, exact = [], [], 0
    for predicted, truth in pairs:
        p, r = page_scores(predicted, truth)
        precisions.append(p)
        recalls.append(r)
        exact += _TOKEN.findall(predicted or "") == _TOKEN.findall(truth or "")
    n = len(precisions)
    precision = sum(precisions) / n if n else 0.0
    recall = sum(recalls) / n if n else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Score(precision, recall, f1, exact / n if n else 0.0, n)
