"""Pictures of a model's validation: the model-report notebook's helpers.

The model report reads only what a training run logged (metrics, params and
``validation/predictions.json``), so it shows exactly the run it points at. The backtest's HTML is
``training.backtest_report``.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from mlflow.tracking import MlflowClient
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    average_precision_score,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)

from serving.bands import BAND_COLOURS, BANDS, YEAR_MONTHS, BandConfig, band, health_score

CURVES = {"probability": "LightGBM (calibrated)", "baseline_probability": "logistic baseline"}
FIFTHS = ("lowest fifth", "2nd", "3rd", "4th", "highest fifth")
COMPARED = ("val_roc_auc", "val_pr_auc", "val_top_decile_lift", "val_brier", "val_ece")


# ----- which run ------------------------------------------------------------------------------


def find_output(path: str | Path, start: str | Path | None = None) -> Path:
    """An existing path, relative ones also looked up in parent folders.

    Jupyter starts a notebook's kernel in the notebook's folder, while ``health demo`` writes to
    the folder it ran in (usually the repository root).
    """
    path = Path(path)
    if path.is_absolute():
        candidates = [path]
    else:
        here = Path(start or Path.cwd()).resolve()
        candidates = [folder / path for folder in (here, *here.parents)]
    for candidate in candidates:
        if candidate.exists():
            return candidate
    raise FileNotFoundError(
        f"{path} not found from {start or Path.cwd()} or its parents: run `health demo` "
        "(or `health score DATA --out DIR`) first, or point the notebook at a scoring output"
    )


def connect(tracking_uri: str) -> str:
    """Point MLflow (tracking and registry) at a store; a relative SQLite file is looked up in
    parent folders too, since Jupyter runs a notebook from its own folder."""
    prefix = "sqlite:///"
    if tracking_uri.startswith(prefix) and not tracking_uri.startswith(prefix + "/"):
        tracking_uri = prefix + str(find_output(tracking_uri.removeprefix(prefix)).resolve())
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    return tracking_uri


def champion_run_id(model_name: str, alias: str = "champion") -> str:
    """The run that produced the model behind ``models:/<name>@<alias>``."""
    return MlflowClient().get_model_version_by_alias(model_name, alias).run_id


def previous_version(model_name: str, run_id: str):
    """The registered version just before the one ``run_id`` produced (None if it is the first)."""
    client = MlflowClient()
    versions = client.search_model_versions(f"name='{model_name}'")
    mine = [int(v.version) for v in versions if v.run_id == run_id]
    if not mine:
        return None
    earlier = [v for v in versions if int(v.version) < min(mine)]
    return max(earlier, key=lambda v: int(v.version)) if earlier else None


def comparison_version(model_name: str, run_id: str):
    """The version to set against this run's: the one before it, else the latest other one
    (a challenger that did not beat it). None when the model has a single version."""
    earlier = previous_version(model_name, run_id)
    if earlier is not None:
        return earlier
    others = [
        v
        for v in MlflowClient().search_model_versions(f"name='{model_name}'")
        if v.run_id != run_id
    ]
    return max(others, key=lambda v: int(v.version)) if others else None


def run_overview(run_id: str) -> pd.Series:
    """What a reader needs to know about a run before its curves: periods, sizes, headline metrics."""
    run = MlflowClient().get_run(run_id)
    params, metrics = run.data.params, run.data.metrics
    return pd.Series(
        {
            "run": run.info.run_name,
            "run_id": run_id,
            "target": run.data.tags.get("target", ""),
            "train period": params.get("train_period", ""),
            "validation period": params.get("validation_period", ""),
            "validation rows": int(metrics.get("val_rows", 0)),
            "validation positives": int(metrics.get("val_positives", 0)),
            "ROC AUC (baseline)": _pair(metrics, "val_roc_auc"),
            "PR AUC (baseline)": _pair(metrics, "val_pr_auc"),
            "top-decile lift (baseline)": _pair(metrics, "val_top_decile_lift"),
            "promotion": run.data.tags.get("promotion_reason", ""),
        }
    )


def _pair(metrics: dict[str, float], name: str) -> str:
    ours, base = metrics.get(name, float("nan")), metrics.get(f"baseline_{name}", float("nan"))
    return f"{ours:.3f} ({base:.3f})"


def load_predictions(run_id: str) -> pd.DataFrame:
    """The run's validation rows: label, model and baseline probabilities."""
    client = MlflowClient()
    experiment = client.get_run(run_id).info.experiment_id  # the fluent API reads the active one
    table = client.load_table(experiment, "validation/predictions.json", run_ids=[run_id])
    return table.drop(columns=["run_id"], errors="ignore")


# ----- validation curves ----------------------------------------------------------------------


def lift_curve(y: np.ndarray, p: np.ndarray, points: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Positive rate among the top share of rows by ``p``, over the overall rate."""
    y = np.asarray(y, dtype=float)
    order = np.argsort(-np.asarray(p, dtype=float), kind="stable")
    hits = np.cumsum(y[order])
    share = np.linspace(1 / points, 1, points)
    k = np.maximum(1, np.ceil(share * len(y)).astype(int))
    rate = hits[k - 1] / k
    return share, rate / y.mean() if y.mean() > 0 else np.full(points, np.nan)


def curves_figure(predictions: pd.DataFrame, title: str = "") -> Figure:
    """ROC, precision-recall, calibration and lift of the model against the baseline."""
    y = predictions["label"].to_numpy(dtype=int)
    fig = Figure(figsize=(11, 9), layout="constrained")
    (roc, pr), (cal, lift) = fig.subplots(2, 2)
    for column, name in CURVES.items():
        p = predictions[column].to_numpy(dtype=float)
        fpr, tpr, _ = roc_curve(y, p)
        roc.plot(fpr, tpr, label=f"{name}: AUC {roc_auc_score(y, p):.3f}")
        precision, recall, _ = precision_recall_curve(y, p)
        pr.plot(recall, precision, label=f"{name}: AP {average_precision_score(y, p):.3f}")
        observed, predicted = calibration_curve(y, p, n_bins=10, strategy="quantile")
        cal.plot(predicted, observed, marker="o", label=name)
        share, rate = lift_curve(y, p)
        lift.plot(share, rate, label=f"{name}: top 10% x{rate[np.searchsorted(share, 0.1)]:.1f}")
    roc.plot([0, 1], [0, 1], ls="--", c="grey")
    roc.set(title="ROC", xlabel="false positive rate", ylabel="true positive rate")
    pr.axhline(y.mean(), ls="--", c="grey", label=f"base rate {y.mean():.1%}")
    pr.set(title="Precision-recall", xlabel="recall", ylabel="precision")
    top = float(predictions[list(CURVES)].max().max())
    cal.plot([0, top], [0, top], ls="--", c="grey", label="perfect")
    cal.set(
        title="Calibration (deciles of the prediction)",
        xlabel="predicted probability",
        ylabel="observed rate",
    )
    lift.axhline(1, ls="--", c="grey", label="random")
    lift.set(
        title="Lift", xlabel="share of accounts, riskiest first", ylabel="positive rate / base rate"
    )
    for ax in (roc, pr, cal, lift):
        ax.legend(loc="best", fontsize="small")
    fig.suptitle(title or f"Validation: {len(y):,} rows, {int(y.sum()):,} positives")
    return fig


# ----- realised outcome per band ---------------------------------------------------------------


def outcome_groups(
    predictions: pd.DataFrame, target: str, config: BandConfig = BandConfig()
) -> pd.Series:
    """Health bands for the health model; fifths of the predicted probability for the others.

    Bands are defined on the probability of staying at the next decision point only (on the
    yearly footing of each row's ``decision_months``; predictions logged before it have none and
    are banded as they are), so the churn and renewal models are grouped by their quintiles.
    """
    p = predictions["probability"].to_numpy(dtype=float)
    if target == "stayed":
        months = predictions.get("decision_months", pd.Series(YEAR_MONTHS, predictions.index))
        health = health_score(p, months.to_numpy(dtype=float))
        return pd.Series(band(health, config), index=predictions.index, name="band")
    ranks = pd.Series(p, index=predictions.index).rank(method="first")
    return pd.qcut(ranks, 5, labels=list(FIFTHS)).astype(str).rename("predicted fifth")


def realised_by_group(predictions: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """Per group: rows, mean predicted probability, realised rate (in the groups' order)."""
    order = list(BANDS) if groups.name == "band" else list(FIFTHS)
    frame = predictions.assign(group=groups.to_numpy())
    grouped = frame.groupby("group")
    out = pd.DataFrame(
        {
            "rows": grouped.size(),
            "predicted": grouped["probability"].mean(),
            "realised": grouped["label"].mean(),
        }
    ).reindex(order)
    out["rows"] = out["rows"].fillna(0).astype(int)
    out.index.name = groups.name
    return out


def realised_figure(table: pd.DataFrame, outcome: str = "churned") -> Figure:
    """Realised rate per group next to the predicted one, with the row counts on the bars."""
    fig = Figure(figsize=(9, 4), layout="constrained")
    ax = fig.subplots()
    x = np.arange(len(table))
    colours = [BAND_COLOURS.get(g, "#1f77b4") for g in table.index]
    bars = ax.bar(x, table["realised"].fillna(0), 0.6, color=colours, label=f"share {outcome}")
    ax.scatter(x, table["predicted"], marker="D", color="black", zorder=3, label="mean predicted")
    ax.bar_label(
        bars,
        [
            f"{r:.1%} of {n:,}" if n else "no rows"
            for r, n in zip(table["realised"].fillna(0), table["rows"], strict=True)
        ],
    )
    ax.set(
        xticks=x,
        xticklabels=table.index,
        ylabel=f"share {outcome}",
        title=f"Realised outcome per {table.index.name} on the validation period",
    )
    ax.margins(y=0.2)
    ax.legend(loc="best")
    return fig


# ----- champion against the previous one --------------------------------------------------------


def compare_runs(runs: dict[str, str]) -> pd.DataFrame:
    """Validation metrics (and their periods) of several runs, one column per label."""
    client = MlflowClient()
    columns = {}
    for label, run_id in runs.items():
        run = client.get_run(run_id)
        values = {m: run.data.metrics.get(m, float("nan")) for m in COMPARED}
        values["validation period"] = run.data.params.get("validation_period", "")
        values["data fingerprint"] = run.data.params.get("data_fingerprint", "")
        columns[label] = values
    return pd.DataFrame(columns)


def comparison_figure(table: pd.DataFrame) -> Figure:
    """Each metric side by side for the runs compared; higher is better except Brier and ECE."""
    metrics = [m for m in COMPARED if m in table.index]
    fig = Figure(figsize=(12, 3.4), layout="constrained")
    axes = fig.subplots(1, len(metrics))
    for ax, metric in zip(np.atleast_1d(axes), metrics, strict=True):
        values = table.loc[metric].astype(float)
        bars = ax.bar(
            range(len(values)), values, color=["#1f77b4", "#aaaaaa", "#ff7f0e"][: len(values)]
        )
        ax.bar_label(bars, [f"{v:.3f}" for v in values], fontsize="small")
        better = "lower is better" if metric in ("val_brier", "val_ece") else "higher is better"
        ax.set(xticks=range(len(values)), xticklabels=values.index, title=f"{metric}\n({better})")
        ax.margins(y=0.2)
        ax.tick_params(axis="x", labelsize="small")
    same = table.loc["validation period"].nunique() == 1
    fig.suptitle(
        "Champion against the previous version"
        + ("" if same else " (different validation periods: compare with care)")
    )
    return fig


# ----- figures as files ----------------------------------------------------------------------


def png_data_uri(fig: Figure) -> str:
    """A figure as an inline ``data:`` URI, so the report is one file that opens anywhere."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
