"""ROC-AUC and best-threshold accuracy against hand-computed values."""

import numpy as np
import pytest

from e4t_server.demo.verification import best_threshold_accuracy, roc_auc


def test_roc_auc_of_separated_reversed_and_tied_scores() -> None:
    assert roc_auc(np.array([0.9, 0.8]), np.array([0.1, 0.2, 0.3])) == 1.0
    assert roc_auc(np.array([0.1, 0.2]), np.array([0.8, 0.9])) == 0.0
    assert roc_auc(np.array([0.5, 0.5]), np.array([0.5, 0.5])) == 0.5


def test_roc_auc_counts_pairs() -> None:
    # Pairs (positive > negative): 0.6 beats 0.2 and 0.4; 0.3 beats 0.2; tie 0.4 vs 0.4 is half.
    positive, negative = np.array([0.6, 0.3, 0.4]), np.array([0.2, 0.4, 0.7])
    assert roc_auc(positive, negative) == pytest.approx((2 + 1 + 1.5) / 9)


def test_best_threshold_balanced_accuracy() -> None:
    accuracy, threshold = best_threshold_accuracy(np.array([0.9, 0.8, 0.4]), np.array([0.1, 0.5]))
    # At 0.8: positives 2/3 right, negatives 2/2 right; at 0.4: 3/3 and 1/2. Both 5/6.
    assert accuracy == pytest.approx(5 / 6)
    assert threshold in (0.4, 0.8)
    perfect, cut = best_threshold_accuracy(np.array([0.9, 0.8]), np.array([0.1, 0.2]))
    assert perfect == 1.0 and 0.2 < cut <= 0.8
