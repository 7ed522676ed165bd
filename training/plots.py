"""Validation plots, model against baseline: ROC, precision-recall, calibration and lift."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.calibration import calibration_curve
from sklearn.metrics import precision_recall_curve, roc_curve

from serving.bands import BAND_COLOURS, BANDS, BandConfig, band, band_label, health_score


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


def shap_summary_figure(contributions: np.ndarray, values: pd.DataFrame, title: str):
    """SHAP beeswarm: which features move the raw model's log-odds, and in which direction.

    ``contributions`` are exact TreeSHAP values (LightGBM's ``pred_contrib``, identical to
    ``shap.TreeExplainer`` on the booster); category colours are their level codes. Drawn with
    shap on a pyplot figure: close it after logging.
    """
    import matplotlib.pyplot as plt
    import shap

    numeric = pd.DataFrame(
        {
            name: column.cat.codes.where(column.notna()).astype(float)
            if isinstance(column.dtype, pd.CategoricalDtype)
            else column.astype(float)
            for name, column in values.items()
        },
        index=values.index,
    )
    figure = plt.figure()
    shap.summary_plot(contributions, numeric, show=False, max_display=20, plot_size=(10, 8))
    figure = plt.gcf()
    figure.suptitle(title)
    return figure


def band_figure(
    y: np.ndarray, p: np.ndarray, months: np.ndarray, config: BandConfig, title: str
) -> Figure:
    """Realised staying per health band against what was predicted (``p``: P(stays) at the next
    decision; the band is on the yearly footing of ``months`` between decisions).

    Bands are serving's (``serving.bands``), so the chart shows whether a red account really
    churns more than a yellow or a green one.
    """
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    bands = band(health_score(p, months), config)
    counts = [int(np.sum(bands == b)) for b in BANDS]
    realised = [
        float(y[bands == b].mean()) if n else 0.0 for b, n in zip(BANDS, counts, strict=True)
    ]
    predicted = [
        float(p[bands == b].mean()) if n else 0.0 for b, n in zip(BANDS, counts, strict=True)
    ]
    fig = Figure(figsize=(7, 5), layout="constrained")
    ax = fig.subplots()
    x = np.arange(len(BANDS))
    colours = [BAND_COLOURS[b] for b in BANDS]
    ax.bar(x - 0.2, realised, width=0.4, color=colours, label="realised")
    ax.bar(x + 0.2, predicted, width=0.4, color="grey", alpha=0.6, label="predicted (mean)")
    labels = [band_label(b, config).replace(" (", "\n(") for b in BANDS]
    ax.set_xticks(x, [f"{label}\n{n:,} rows" for label, n in zip(labels, counts, strict=True)])
    for xi, rate in zip(x, realised, strict=True):
        ax.annotate(f"{rate:.1%}", (xi - 0.2, rate), ha="center", va="bottom")
    ax.set(ylabel="share that stayed at the decision point", title=title)
    ax.legend(loc="best")
    return fig
