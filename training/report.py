"""Pictures of a model's validation and of the score backtest: the model-report notebook and HTML.

The model report reads only what a training run logged (metrics, params and
``validation/predictions.json``), so it shows exactly the run it points at. The backtest report is
one self-contained HTML file (figures as inline PNG); its numbers are the ones logged as metrics.
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING

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

from serving.bands import BAND_COLOURS, BANDS, BandConfig, band, health_score

if TYPE_CHECKING:
    from training.backtest import Backtest

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
    """Health bands for the churn model; fifths of the predicted probability for the others.

    Bands are defined on churn probability only, so a renewal model is grouped by its quintiles.
    """
    p = predictions["probability"].to_numpy(dtype=float)
    if target == "churned":
        return pd.Series(band(health_score(p), config), index=predictions.index, name="band")
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


# ----- backtest HTML ----------------------------------------------------------------------------


def png_data_uri(fig: Figure) -> str:
    """A figure as an inline ``data:`` URI, so the report is one file that opens anywhere."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def band_outcomes_figure(by_band: pd.DataFrame, base_rate: float) -> Figure:
    """Per band: accounts scored, share that churned (against the base rate), share renewed."""
    fig = Figure(figsize=(12, 4), layout="constrained")
    count_ax, churn_ax, renew_ax = fig.subplots(1, 3)
    colours = [BAND_COLOURS[b] for b in by_band.index]
    x = list(by_band.index)
    bars = count_ax.bar(x, by_band["accounts"], color=colours)
    count_ax.bar_label(bars, [f"{n:,}" for n in by_band["accounts"]])
    count_ax.set(title="Accounts scored (all dates)", ylabel="account-dates")
    churn = by_band["churn_rate"].fillna(0)
    bars = churn_ax.bar(x, churn, color=colours)
    churn_ax.bar_label(bars, [_pct(v) for v in by_band["churn_rate"]])
    churn_ax.axhline(base_rate, ls="--", c="black", label=f"all accounts {base_rate:.1%}")
    churn_ax.set(title="Share that churned within the horizon", ylabel="share churned")
    churn_ax.legend(loc="best")
    renew = by_band["renewal_rate"].fillna(0)
    bars = renew_ax.bar(x, renew, color=colours)
    renew_ax.bar_label(
        bars,
        [
            f"{_pct(r)} of {n:,}"
            for r, n in zip(by_band["renewal_rate"], by_band["renewal_due"], strict=True)
        ],
    )
    renew_ax.set(title="Share renewed, of renewals due", ylabel="share renewed", ylim=(0, 1.1))
    for ax in (count_ax, churn_ax):
        ax.margins(y=0.2)
    return fig


def dates_figure(by_date: pd.DataFrame) -> Figure:
    """Per backtest date: accounts flagged red and yellow, and each band's churn share."""
    fig = Figure(figsize=(12, 4), layout="constrained")
    count_ax, rate_ax = fig.subplots(1, 2)
    labels = [str(pd.Timestamp(d).date()) for d in by_date["as_of"]]
    x = np.arange(len(labels))
    for offset, b in ((-0.2, "red"), (0.2, "yellow")):
        bars = count_ax.bar(
            x + offset, by_date[f"accounts_{b}"], 0.4, color=BAND_COLOURS[b], label=b
        )
        count_ax.bar_label(bars, fontsize="small")
    count_ax.set(
        xticks=x, xticklabels=labels, ylabel="accounts", title="Accounts flagged at each date"
    )
    count_ax.legend(loc="upper left")
    count_ax.margins(y=0.2)
    rate_ax.plot(x, by_date["base_churn_rate"], marker="o", ls="--", c="black", label="all")
    for b in BANDS:
        rate_ax.plot(x, by_date[f"{b}_churn_rate"], marker="o", c=BAND_COLOURS[b], label=b)
    rate_ax.set(
        xticks=x,
        xticklabels=labels,
        ylim=(0, 1),
        ylabel="share churned",
        title="Share that churned within the horizon, per band",
    )
    rate_ax.legend(loc="upper left")
    for ax in (count_ax, rate_ax):
        ax.tick_params(axis="x", rotation=30)
    return fig


def score_ranges_figure(by_score: pd.DataFrame, base_rate: float) -> Figure:
    """Churn share per health-score range: does a lower score mean more churn, band lines aside?"""
    fig = Figure(figsize=(10, 3.8), layout="constrained")
    ax = fig.subplots()
    colours = [BAND_COLOURS[b] for b in by_score["band"]]
    bars = ax.bar(by_score.index, by_score["churn_rate"].fillna(0), color=colours)
    ax.bar_label(
        bars,
        [
            f"{_pct(r)}\nof {n:,}"
            for r, n in zip(by_score["churn_rate"], by_score["accounts"], strict=True)
        ],
        fontsize="small",
    )
    ax.axhline(base_rate, ls="--", c="black", label=f"all accounts {base_rate:.1%}")
    ax.set(
        xlabel="health score at the backtest date",
        ylabel="share churned",
        title="Share that churned within the horizon, by health score",
    )
    ax.margins(y=0.25)
    ax.legend(loc="best")
    return fig


def warning_figure(warnings: pd.DataFrame) -> Figure:
    """Days between the first red and the churn, for each churn red caught."""
    fig = Figure(figsize=(8, 3.6), layout="constrained")
    ax = fig.subplots()
    days = warnings["days_of_warning"].to_numpy()
    if len(days):
        bins = np.arange(0, days.max() + 31, 15)
        ax.hist(days, bins=bins, color=BAND_COLOURS["red"], edgecolor="white")
        ax.axvline(np.median(days), c="black", ls="--", label=f"median {np.median(days):.0f} days")
        ax.legend(loc="best")
    else:
        ax.text(0.5, 0.5, "red caught no churn", ha="center", va="center", transform=ax.transAxes)
    ax.set(
        title=f"How early red showed before the {len(days)} churns it caught",
        xlabel="days from the first red score to the churn",
        ylabel="churns",
    )
    return fig


HEADERS = {
    "accounts": "account-dates",
    "churned": "churned",
    "renewal_due": "renewals due",
    "renewed": "renewed",
    "churn_rate": "share churned",
    "renewal_rate": "share renewed",
    "share_of_churns": "share of all churns",
    "as_of": "backtest date",
    "base_churn_rate": "churned: all",
    "red_churn_rate": "churned: red",
    "yellow_churn_rate": "churned: yellow",
    "green_churn_rate": "churned: green",
    "train_rows": "training rows",
    "train_from": "trained on as-of from",
    "train_to": "to",
    "validation_to": "validated to",
    "val_roc_auc": "validation ROC AUC",
    "days_of_warning": "days of warning",
}


def _table(frame: pd.DataFrame, index: bool = True) -> str:
    """A frame as an HTML table: percentages and dates formatted, readable headers."""
    out = frame.copy()
    for column in out.columns:
        if column.endswith("rate") or column == "share_of_churns":
            out[column] = out[column].map(_pct)
        elif pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_float_dtype(out[column]):
            out[column] = out[column].round(3)
    return out.rename(columns=HEADERS).to_html(index=index, na_rep="-", border=0)


def backtest_html(backtest: Backtest, summary) -> str:
    """The whole report: headline in words, figures, the tables behind them, the method."""
    config, m = backtest.config, summary.metrics
    by_date = summary.by_date
    dates = [str(pd.Timestamp(d).date()) for d in by_date["as_of"]]
    lift = (
        "not defined (no account was red)" if np.isnan(m["red_lift"]) else f"{m['red_lift']:.1f}x"
    )
    warning = (
        f"a median of {m['median_warning_days']:.0f} days before the churn"
        if m["churns_caught_by_red"]
        else "none of them ahead of time"
    )
    headline = (
        f"Over {len(dates)} backtest dates ({dates[0]} to {dates[-1]}), "
        f"{int(m['scored_rows']):,} account scores were set against what happened in the next "
        f"{config.train.labels.horizon_days} days. Red accounts ({int(m['accounts_red']):,} scores) "
        f"churned at {_pct(m['churn_rate_red'])} against {_pct(m['base_churn_rate'])} for all "
        f"accounts: a lift of {lift}. Red caught {int(m['churns_caught_by_red'])} of "
        f"{int(m['churns'])} churns, {warning}."
    )
    skipped = "".join(
        f"<li>{pd.Timestamp(d).date()}: {html.escape(why)}</li>"
        for d, why in backtest.skipped.items()
    )
    images = {
        name: png_data_uri(figure)
        for name, figure in {
            "bands": band_outcomes_figure(summary.by_band, m["base_churn_rate"]),
            "scores": score_ranges_figure(summary.by_score, m["base_churn_rate"]),
            "dates": dates_figure(by_date),
            "warning": warning_figure(summary.warnings),
        }.items()
    }
    score = config.score
    skipped_html = (
        f"<p>Dates skipped (too little settled history before them to train on):</p><ul>{skipped}</ul>"
        if skipped
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Health score backtest, {dates[0]} to {dates[-1]}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1150px; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }}
th, td {{ border: 1px solid #ccc; padding: 3px 8px; text-align: right; }}
img {{ max-width: 100%; }} .lead {{ font-size: 1.1em; line-height: 1.5; }}
</style></head><body>
<h1>Does the health score see churn coming?</h1>
<p class="lead">{html.escape(headline)}</p>
<h2>Outcome per band</h2>
<p>Bands: green from {score.green_from}, red below {score.red_below}. Each account counts once per
backtest date it was active. Renewals: accounts whose term ended within
{config.train.labels.renewal_window_days} days of the date.</p>
<img alt="accounts, churn and renewal per band" src="{images["bands"]}">
{_table(summary.by_band)}
<h2>Outcome per health score</h2>
<p>The same scores in finer ranges, to judge the band thresholds.</p>
<img alt="churn per health-score range" src="{images["scores"]}">
{_table(summary.by_score)}
<h2>Date by date</h2>
<img alt="bands and churn per backtest date" src="{images["dates"]}">
{_table(by_date, index=False)}
{skipped_html}
<h2>How early red showed</h2>
<img alt="days of warning" src="{images["warning"]}">
{_table(summary.warnings, index=False) if len(summary.warnings) else ""}
<h2>Method</h2>
<p>At each backtest date a churn model was trained with the production training code on
feature-matrix rows whose {config.train.labels.horizon_days}-day churn window plus
{config.train.labels.grace_days} days of grace closed before that date (features only ever see data
before their own as-of date), validated out of time inside that history and calibrated. Every
account active on the date was then scored with the production scoring code and compared with what
happened next. A churn is caught by red when the account was red at a date whose horizon the churn
fell in; its warning runs from the first of the unbroken red scores before it to the churn date.
The numbers above are the metrics of this report's MLflow run.</p>
<script type="application/json" id="metrics">{json.dumps(_finite(m), sort_keys=True)}</script>
</body></html>
"""


def _pct(value: float) -> str:
    return "-" if value is None or pd.isna(value) else f"{value:.1%}"


def _finite(metrics: dict[str, float]) -> dict[str, float | None]:
    """JSON has no NaN: missing numbers are null."""
    return {k: (None if np.isnan(v) else v) for k, v in metrics.items()}
