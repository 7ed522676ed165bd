"""Validation metrics: discrimination (ROC/PR AUC, lift) and probability quality (Brier, log loss, ECE)."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

# Metrics that depend only on how rows are ordered, not on the probability values.
RANKING_METRICS = ("roc_auc", "pr_auc", "top_decile_lift")


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Mean gap between predicted and observed rates over equal-count bins, weighted by bin size."""
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    order = np.argsort(p, kind="stable")
    gaps = [
        abs(y[idx].mean() - p[idx].mean()) * len(idx)
        for idx in np.array_split(order, bins)
        if len(idx)
    ]
    return float(sum(gaps) / len(y))


def top_decile_lift(y: np.ndarray, p: np.ndarray) -> float:
    """Positive rate in the 10% highest-scored rows over the overall positive rate."""
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    k = max(1, int(np.ceil(len(y) * 0.1)))
    top = np.argsort(-p, kind="stable")[:k]
    base = y.mean()
    return float(y[top].mean() / base) if base > 0 else float("nan")


def classification_metrics(y: np.ndarray, p: np.ndarray, prefix: str = "val_") -> dict[str, float]:
    """The metric set DESIGN names, with a prefix (``val_`` or ``baseline_val_``)."""
    y = np.asarray(y, dtype=int)
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    both = len(np.unique(y)) == 2
    metrics = {
        "roc_auc": roc_auc_score(y, p) if both else float("nan"),
        "pr_auc": average_precision_score(y, p) if both else float("nan"),
        "brier": brier_score_loss(y, p),
        "log_loss": log_loss(y, p, labels=[0, 1]),
        "top_decile_lift": top_decile_lift(y, p),
        "ece": expected_calibration_error(y, p),
    }
    return {f"{prefix}{k}": float(v) for k, v in metrics.items()}
