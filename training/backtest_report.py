"""The score backtest as one self-contained HTML file (figures as inline PNG).

Its numbers are the ones ``training.backtest`` logs as metrics; this module only draws and words
them, so it imports nothing from the backtest but the summary it is handed.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from features.labels import LabelConfig
from serving.bands import BAND_COLOURS, BANDS, BandConfig
from training.report import png_data_uri


@dataclass
class Summary:
    """Everything the report shows; ``metrics`` is what MLflow records."""

    by_band: pd.DataFrame
    by_date: pd.DataFrame
    by_score: pd.DataFrame
    warnings: pd.DataFrame
    metrics: dict[str, float]
    story: pd.DataFrame | None = None  # per band in account-dates: share, rate, lift, recall
    by_distance: pd.DataFrame | None = None  # per distance to the decision and band
    early_warnings: pd.DataFrame | None = None  # churns red or yellow caught, and how early


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


def story_table(story: pd.DataFrame) -> pd.DataFrame:
    """The per-band story as the report shows it, every count in account-dates."""
    interval = [
        "-" if pd.isna(low) else f"{low:.1%} to {high:.1%}"
        for low, high in zip(story["not_stay_low"], story["not_stay_high"], strict=True)
    ]
    return pd.DataFrame(
        {
            "account-dates": story["account_dates"].map(lambda n: f"{n:,}"),
            "share of account-dates": story["share_of_account_dates"].map(_pct),
            "did not stay": story["not_stayed"].map(lambda n: f"{n:,}"),
            "share that did not stay": story["not_stay_rate"].map(_pct),
            "95% interval (Wilson)": interval,
            "lift over all": story["lift"].map(_times),
            "recall: share of all that did not stay": story["recall"].map(_pct),
            "yearly footing: did not stay": story["year_not_stay_rate"].map(_pct),
            "yearly footing: lift": story["year_lift"].map(_times),
            "yearly footing: recall": story["year_recall"].map(_pct),
        },
        index=story.index,
    )


def distance_table(by_distance: pd.DataFrame) -> pd.DataFrame:
    """Red's story per distance to the decision point (account-dates), as the report shows it."""
    rows = {}
    for name, row in by_distance.iterrows():
        rows[name] = {
            "account-dates": f"{int(row['accounts']):,}",
            "did not stay: all": _pct(row["base_not_stay_rate"]),
            "predicted: all": _pct(row["predicted_not_stay"]),
            "red account-dates": f"{int(row['accounts_red']):,}",
            "did not stay: red": _pct(row["not_stay_rate_red"]),
            "95% interval (Wilson)": "-"
            if pd.isna(row["not_stay_low_red"])
            else f"{row['not_stay_low_red']:.1%} to {row['not_stay_high_red']:.1%}",
            "red lift": _times(row["lift_red"]),
            "red lift, yearly footing": _times(row["year_lift_red"]),
        }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "days to the decision"
    return frame


def story_headline(summary: Summary, dates: list[str]) -> str:
    """The report's first paragraph: every band's share, rate, lift and recall in account-dates,
    then how early red or yellow showed before the churns it caught (counted as churns)."""
    m, story = summary.metrics, summary.story
    known = int(story["account_dates"].sum())
    parts = [
        f"{name} held {_pct(row['share_of_account_dates'])} of them, "
        f"{_pct(row['not_stay_rate'])} of which did not stay "
        f"({_interval(row)}), {_times(row['lift'])} the base rate, "
        f"{_pct(row['recall'])} of all that did not stay; on the score's yearly footing "
        f"{_times(row['year_lift'])} and {_pct(row['year_recall'])} of a year's leavers"
        for name, row in story.iterrows()
    ]
    early = m.get("median_warning_days_red_or_yellow", np.nan)
    warning = (
        f"red or yellow first showed a median of {early:.0f} days before the churn"
        if not pd.isna(early)
        else "red or yellow showed none of them ahead of time"
    )
    return (
        f"Over {len(dates)} backtest dates ({dates[0]} to {dates[-1]}), {known:,} account-dates "
        "(an account counts once per date it was scored) have a known outcome at their decision "
        f"point, and {_pct(m['base_not_stay_rate'])} of them did not stay. "
        + "; ".join(parts)
        + f". Counted as churns (an account leaving within the horizon, once): of "
        f"{int(m['churns'])}, red or yellow caught {int(m['churns_caught_by_red_or_yellow'])} "
        f"and {warning}; red alone caught {int(m['churns_caught_by_red'])}."
    )


def backtest_html(
    summary: Summary,
    labels: LabelConfig,
    bands: BandConfig,
    skipped: Mapping[pd.Timestamp, str],
) -> str:
    """The whole report: headline in words, figures, the tables behind them, the method.

    ``skipped``: backtest dates left out, with why.
    """
    m = summary.metrics
    by_date = summary.by_date
    dates = [str(pd.Timestamp(d).date()) for d in by_date["as_of"]]
    headline = story_headline(summary, dates)
    skipped = "".join(
        f"<li>{pd.Timestamp(d).date()}: {html.escape(why)}</li>" for d, why in skipped.items()
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
<h2>The whole story per band</h2>
<p>One unit throughout: account-dates whose outcome at the decision point is known (an account
counts once per backtest date it was scored). Lift is a band's share that did not stay over that
of all; recall is the share of all account-dates that did not stay which the band held, so green's
recall is what the bands missed. The interval is Wilson's 95% score interval. A monthly account's
outcome is one month's decision and an annual one's a year's; the score is on a yearly footing, so
the last columns compare in those terms: per cadence the realised rate r becomes
1 - (1 - r)^(12 / months between decisions), and recall is the band's share of a year's leavers.</p>
{_table(story_table(summary.story)) if summary.story is not None else ""}
<h2>By distance to the decision point</h2>
<p>Red's rate and lift separately for decisions due within 90 days, 90-180 and beyond 180; on
the yearly footing a month's decision of a monthly account counts as its year's.</p>
{_table(distance_table(summary.by_distance)) if summary.by_distance is not None else ""}
<h2>Outcome per band</h2>
<p>Bands: green from {bands.green_from}, red below {bands.red_below}. Each account counts once per
backtest date it was active. Renewals: accounts whose term ended within
{labels.renewal_window_days} days of the date.</p>
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
<p>At each backtest date a health model (staying at the next decision point) was trained with
the production training code on feature-matrix rows whose outcome at their decision point plus
{labels.grace_days} days of grace was known before that date (features only ever see data
before their own as-of date), validated out of time inside that history and calibrated. Every
account active on the date was then scored with the production scoring code and compared with what
happened next. A churn is caught by red when the account was red at a date whose horizon the churn
fell in; its warning runs from the first of the unbroken red scores before it to the churn date.
The numbers above are the metrics of this report's MLflow run.</p>
<script type="application/json" id="metrics">{json.dumps(_finite(m), sort_keys=True)}</script>
</body></html>
"""


def _times(value: float) -> str:
    return "-" if value is None or pd.isna(value) else f"{value:.1f}x"


def _interval(row: pd.Series) -> str:
    low, high = row["not_stay_low"], row["not_stay_high"]
    return "no account-dates" if pd.isna(low) else f"95% interval {low:.1%} to {high:.1%}"


def _pct(value: float) -> str:
    return "-" if value is None or pd.isna(value) else f"{value:.1%}"


def _finite(metrics: dict[str, float]) -> dict[str, float | None]:
    """JSON has no NaN: missing numbers are null."""
    return {k: (None if np.isnan(v) else v) for k, v in metrics.items()}
