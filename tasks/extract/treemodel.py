"""Gradient-boosted trees stored as JSON and evaluated with numpy: the run-time half of the
models trained by benchmarks/train_extractor.py (scikit-learn is needed only to train).

Every tree is stored *complete* to a fixed depth (shallower leaves are copied down, their
unused splits never taken), so a whole forest is evaluated for all rows at once in
`depth` vectorised steps: no Python loop over trees or rows.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

MODELS = Path(__file__).resolve().parent / "models"


@dataclass(frozen=True)
class TreeModel:
    name: str
    version: str  # content hash of the file: recorded in pipeline_version
    features: tuple[str, ...]
    classes: tuple[str, ...]  # one class: a binary model scoring classes[0]
    depth: int
    baseline: np.ndarray  # (classes,)
    tree_class: np.ndarray  # (trees,) which class each tree adds to
    split_feature: np.ndarray  # (trees, 2**depth - 1)
    split_threshold: np.ndarray  # (trees, 2**depth - 1); go right when x > threshold
    leaf_value: np.ndarray  # (trees, 2**depth)
    extra: dict

    def raw_scores(self, rows: np.ndarray) -> np.ndarray:
        """(rows, classes) sums of leaf values plus the baseline."""
        rows = np.asarray(rows, dtype=np.float64).reshape(-1, len(self.features))
        n_trees = len(self.tree_class)
        scores = np.tile(self.baseline, (len(rows), 1))
        if not len(rows) or not n_trees:
            return scores
        tree_index = np.arange(n_trees)[:, None]
        row_index = np.arange(len(rows))[None, :]
        node = np.zeros((n_trees, len(rows)), dtype=np.int64)
        for _ in range(self.depth):
            feature = self.split_feature[tree_index, node]
            threshold = self.split_threshold[tree_index, node]
            node = 2 * node + 1 + (rows[row_index, feature] > threshold)
        leaves = self.leaf_value[tree_index, node - (2**self.depth - 1)]  # (trees, rows)
        for k in range(len(self.classes)):
            scores[:, k] += leaves[self.tree_class == k].sum(axis=0)
        return scores

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        """Binary: (rows,) probability of classes[0]; multiclass: (rows, classes) softmax."""
        raw = self.raw_scores(rows)
        if len(self.classes) == 1:
            return 1.0 / (1.0 + np.exp(-raw[:, 0]))
        raw = raw - raw.max(axis=1, keepdims=True)
        exp = np.exp(raw)
        return exp / exp.sum(axis=1, keepdims=True)


def model_from_dict(data: dict, version: str = "") -> TreeModel:
    return TreeModel(
        name=data["name"],
        version=version,
        features=tuple(data["features"]),
        classes=tuple(data["classes"]),
        depth=int(data["depth"]),
        baseline=np.asarray(data["baseline"], dtype=np.float64),
        tree_class=np.asarray(data["tree_class"], dtype=np.int64),
        split_feature=np.asarray(data["split_feature"], dtype=np.int64),
        split_threshold=np.asarray(data["split_threshold"], dtype=np.float64),
        leaf_value=np.asarray(data["leaf_value"], dtype=np.float64),
        extra=dict(data.get("extra", {})),
    )


def load_model(path: Path) -> TreeModel:
    raw = path.read_bytes()
    version = hashlib.blake2b(raw, digest_size=4).hexdigest()
    return model_from_dict(json.loads(raw), version)


def models_version() -> str:
    """The shipped models' versions, e.g. "blocks.1a2b3c4d.pagetype.5e6f7a8b"."""
    return ".".join(
        f"{path.stem}.{hashlib.blake2b(path.read_bytes(), digest_size=4).hexdigest()}"
        for path in sorted(MODELS.glob("*.json"))
    )


# Where packaged_model() reads: tasks/extract/models/, or the fold models of an out-of-fold
# evaluation (benchmarks/quality.py, through `models_from`).
_model_files: dict[str, Path] = {}


def packaged_model(name: str) -> TreeModel:
    """A model shipped in tasks/extract/models/, loaded once per process."""
    return _load_cached(_model_files.get(name, MODELS / f"{name}.json"))


@cache
def _load_cached(path: Path) -> TreeModel:
    return load_model(path)


@contextmanager
def models_from(files: dict[str, Path]) -> Iterator[None]:
    """Use other model files ({name: path}) instead of the shipped ones, for benchmarks."""
    saved = dict(_model_files)
    _model_files.update(files)
    try:
        yield
    finally:
        _model_files.clear()
        _model_files.update(saved)
