"""WCXB's word F1 (benchmarks/data/wcxb-dev/README.md): per page, tokens are
`re.findall(r"\\w+", text.lower())`; precision and recall come from the multiset overlap of
predicted and reference tokens; F1 per page; the score is the mean over pages. An empty
reference scores 1 only for an empty prediction."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

_TOKEN = re.compile(r"\w+")


def page_f1(predicted: str, truth: str) -> float:
    pred = Counter(_TOKEN.findall((predicted or "").lower()))
    true = Counter(_TOKEN.findall((truth or "").lower()))
    if not true:
        return 1.0 if not pred else 0.0
    overlap = sum((pred & true).values())
    if not overlap:
        return 0.0
    precision = overlap / sum(pred.values())
    recall = overlap / sum(true.values())
    return 2 * precision * recall / (precision + recall)


def word_f1(pairs: Iterable[tuple[str, str]]) -> float:
    """Mean per-page word F1 of (predicted, truth) pairs."""
    scores = [page_f1(predicted, truth) for predicted, truth in pairs]
    return sum(scores) / len(scores) if scores else 0.0
