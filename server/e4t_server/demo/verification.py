"""Scoring a similarity measure on same/different pairs: ROC-AUC and best-threshold accuracy."""

from __future__ import annotations

import numpy as np


def roc_auc(positive: np.ndarray, negative: np.ndarray) -> float:
    """Probability that a random positive pair scores above a random negative pair (ties: 1/2)."""
    scores = np.concatenate([positive, negative])
    order = scores.argsort(kind="mergesort")
    ranks = np.empty(len(scores), dtype=np.float64)
    ranks[order] = np.arange(1, len(scores) + 1)
    # Average the ranks of tied scores (Mann-Whitney U with tie correction).
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    rank_sums = np.bincount(inverse, weights=ranks)
    ranks = (rank_sums / counts)[inverse]
    n_pos, n_neg = len(positive), len(negative)
    u = ranks[:n_pos].sum() - n_pos * (n_pos + 1) / 2
    return float(u / (n_pos * n_neg))


def best_threshold_accuracy(positive: np.ndarray, negative: np.ndarray) -> tuple[float, float]:
    """Best balanced accuracy (mean of the two class accuracies) over thresholds, and the threshold.

    Balanced, so that the usual surplus of different-identity pairs cannot inflate it.
    """
    thresholds = np.unique(np.concatenate([positive, negative]))
    positive_sorted, negative_sorted = np.sort(positive), np.sort(negative)
    # A pair is called "same" when its score is >= the threshold.
    true_positive = 1.0 - np.searchsorted(positive_sorted, thresholds, side="left") / len(positive)
    true_negative = np.searchsorted(negative_sorted, thresholds, side="left") / len(negative)
    balanced = (true_positive + true_negative) / 2.0
    best = int(balanced.argmax())
    return float(balanced[best]), float(thresholds[best])
