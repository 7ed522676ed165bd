"""Validation plots, model against baseline: ROC, precision-recall, calibration and lift."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from sklearn.calibration import calibration_curve
from sklearn.metrics import precision_recall_curve, roc_curve


def validation_figure(y: np.ndarray, curves: dict[str, np.ndarray], title: str) -> Figure:
    """Four panels comparing each named probability vector on the same validation rows."""
    fig = Figure(figsize=(11, 9), layout="constrained")
    (roc, pr), (cal, lift) = fig.subplots(2, 2)
    for name, p in curves.items():
        fpr, tpr, _ = roc_curve(y, p)
        roc.plot(fpr, tpr, label=name)
        precision, recall, _ = precision_recall_curve(y, p)
        pr.plot(recall, precision, label=name)
        observed, predicted = calibration_curve(y, p, n_bins=10, strategy="quantile")
        cal.plot(predicted, observed, marker="o", label=name)
        order = np.argsort(-p, kind="stable")
        share = np.arange(1, len(y) + 1) / len(y)
        captured = np.cumsum(np.asarray(y)[order]) / max(np.sum(y), 1)
        lift.plot(share, captured, label=name)
    roc.plot([0, 1], [0, 1], ls="--", c="grey")
    roc.set(title="ROC", xlabel="false positive rate", ylabel="true positive rate")
    pr.axhline(np.mean(y), ls="--", c="grey")
    pr.set(title="Precision-recall", xlabel="recall", ylabel="precision")
    top = max(max(np.max(p) for p in curves.values()), np.mean(y) * 2)
    cal.plot([0, top], [0, top], ls="--", c="grey")
    cal.set(title="Calibration (deciles)", xlabel="predicted probability", ylabel="observed rate")
    lift.plot([0, 1], [0, 1], ls="--", c="grey")
    lift.set(
        title="Cumulative gains",
        xlabel="share of accounts, riskiest first",
        ylabel="share of positives caught",
    )
    for ax in (roc, pr, cal, lift):
        ax.legend(loc="best")
    fig.suptitle(title)
    return fig
