"""The portfolio health report: one self-contained HTML file a customer-success lead reads at a
glance (figures as inline PNG), built from the tables of ``portfolio.compute``.

Figures: the MRR bridge as a waterfall, trend lines with their 90% intervals (NPS, CSAT, CES),
revenue retention and logo churn, usage and support trends, the cohort retention heat map, and,
given scores, what became of each health band.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from portfolio.compute import PortfolioMetrics
from portfolio.segments import ALL
from training.report import find_output, png_data_uri

UP, DOWN, TOTAL = "#2ca02c", "#d62728", "#4a6fa5"
BAND_COLOURS = {"red": "#d62728", "yellow": "#e8b600", "green": "#2ca02c", ALL: "#555555"}


TABLES = ("revenue", "voice", "responses", "usage", "adoption", "support", "cohorts", "bands")


@dataclass
class MetricsOutput:
    """A ``health metrics`` output folder read back: its tables and its manifest."""

    folder: Path
    tables: dict[str, pd.DataFrame]
    manifest: dict


def load_metrics(folder: str | Path) -> MetricsOutput:
    """The tables and manifest a ``health metrics`` run wrote (relative paths also looked up in
    parent folders, as a notebook runs in ``notebooks/``)."""
    folder = find_output(folder)
    manifest = json.loads((folder / "portfolio.json").read_text())
    tables = {
        name: pd.read_parquet(folder / f"{name}.parquet")
        for name in TABLES
        if (folder / f"{name}.parquet").exists()
    }
    return MetricsOutput(folder, tables, manifest)


def latest_by_segment(revenue: pd.DataFrame) -> pd.DataFrame:
    """The latest period's headline revenue figures per segment, ``all`` first."""
    last = revenue[revenue["period"] == revenue["period"].max()]
    columns = ["segment", "end_mrr", "end_logos", "logo_churn_rate", "grr", "nrr", "grr_ttm",
               "nrr_ttm", "expansion_rate", "renewal_rate_logos", "renewal_rate_dollars"]  # fmt: skip
    order = {name: i for i, name in enumerate(sorted(set(last["segment"]) - {ALL}), start=1)}
    return last[columns].sort_values("segment", key=lambda s: s.map({ALL: 0, **order}))


def _all(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["segment"] == ALL].sort_values("period")


def bridge_steps(revenue: pd.DataFrame) -> pd.DataFrame:
    """The whole span's bridge: first start, the summed movements, last end (``step, amount``)."""
    r = _all(revenue)
    steps = [
        ("start MRR", r["start_mrr"].iloc[0]),
        ("new", r["new"].sum()),
        ("expansion", r["expansion"].sum()),
        ("contraction", -r["contraction"].sum()),
        ("churn", -r["churn"].sum()),
        ("reactivation", r["reactivation"].sum()),
        ("end MRR", r["end_mrr"].iloc[-1]),
    ]
    return pd.DataFrame(steps, columns=["step", "amount"])


def waterfall_figure(revenue: pd.DataFrame) -> Figure:
    """The MRR bridge over the reported span as a waterfall."""
    steps = bridge_steps(revenue)
    r = _all(revenue)
    fig = Figure(figsize=(9, 4), layout="constrained")
    ax = fig.subplots()
    level = 0.0
    for i, (step, amount) in enumerate(zip(steps["step"], steps["amount"], strict=True)):
        if step.endswith("MRR"):
            ax.bar(i, amount, color=TOTAL)
            level = amount
            top = amount
        else:
            bottom = level if amount >= 0 else level + amount
            ax.bar(i, abs(amount), bottom=bottom, color=UP if amount >= 0 else DOWN)
            level += amount
            top = max(level, level - amount)
        ax.annotate(f"{amount:+,.0f}" if not step.endswith("MRR") else f"{amount:,.0f}",
                    (i, top), ha="center", va="bottom", fontsize=8)  # fmt: skip
    ax.set_xticks(range(len(steps)), steps["step"])
    first, last = r["period"].iloc[0], r["period_end"].iloc[-1] - pd.Timedelta(days=1)
    ax.set_title(f"MRR bridge, {first:%b %Y} to {last:%b %Y}")
    ax.set_ylabel("MRR")
    lows = steps["amount"].cumsum().iloc[:-1].min()
    ax.set_ylim(bottom=min(0.0, lows) if lows < 0 else 0.9 * min(steps["amount"].iloc[[0, -1]]))
    return fig


def voice_figure(voice: pd.DataFrame) -> Figure:
    """NPS, CSAT and CES per period with their 90% intervals; thin markers: few responses."""
    v = _all(voice)
    metrics = [
        m for m in ("nps", "csat", "csat_survey", "csat_ticket", "ces") if m in set(v["metric"])
    ]
    fig = Figure(figsize=(10, 3.2 * max(1, (len(metrics) + 1) // 2)), layout="constrained")
    axes = np.atleast_1d(fig.subplots(max(1, (len(metrics) + 1) // 2), 2)).ravel()
    titles = {
        "nps": "NPS (promoters - detractors, points)",
        "csat": "CSAT, surveys and tickets (% 4-5)",
        "csat_survey": "CSAT from surveys (% 4-5)",
        "csat_ticket": "CSAT from tickets (% 4-5)",
        "ces": "Customer effort score (1-7, higher = easier)",
    }
    for ax, metric in zip(axes, metrics, strict=False):
        one = v[v["metric"] == metric]
        ax.fill_between(one["period"], one["low"], one["high"], alpha=0.25, label="90% interval")
        ax.plot(one["period"], one["value"], marker="o", ms=3)
        few = one[one["low_responses"] & (one["responses"] > 0)]
        ax.scatter(few["period"], few["value"], facecolors="white", edgecolors="black", zorder=3,
                   label="few responses")  # fmt: skip
        ax.set_title(titles[metric], fontsize=10)
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
        ax.legend(fontsize=7, loc="lower left")
    for ax in axes[len(metrics) :]:
        ax.set_visible(False)
    return fig


def retention_figure(revenue: pd.DataFrame) -> Figure:
    """GRR and NRR per period and trailing twelve months, and logo churn."""
    r = _all(revenue)
    fig = Figure(figsize=(10, 3.4), layout="constrained")
    left, right = fig.subplots(1, 2)
    for column, style in (("grr", "-"), ("nrr", "-"), ("grr_ttm", "--"), ("nrr_ttm", "--")):
        left.plot(r["period"], 100 * r[column], style, marker="o", ms=2, label=column.upper())
    left.axhline(100, color="grey", lw=0.6)
    left.set_title("Revenue retention on the starting cohort (%)", fontsize=10)
    left.legend(fontsize=7)
    right.plot(r["period"], 100 * r["logo_churn_rate"], marker="o", ms=3, color=DOWN,
               label="logo churn")  # fmt: skip
    right.plot(r["period"], 100 * r["mrr_churn_rate"], marker="o", ms=3, color="black",
               label="MRR churn")  # fmt: skip
    right.set_title("Churn of the starting customers per period (%)", fontsize=10)
    right.legend(fontsize=7)
    for ax in (left, right):
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    return fig


def engagement_figure(usage: pd.DataFrame | None, support: pd.DataFrame | None) -> Figure:
    """Median active days (quartile band) per customer, and tickets per 100 customers."""
    fig = Figure(figsize=(10, 3.2), layout="constrained")
    left, right = fig.subplots(1, 2)
    if usage is not None:
        u = _all(usage)
        left.fill_between(u["period"], u["active_days_q1"], u["active_days_q3"], alpha=0.25,
                          label="middle half")  # fmt: skip
        left.plot(u["period"], u["active_days_median"], marker="o", ms=3, label="median")
        left.legend(fontsize=7)
    left.set_title("Active days per customer and period", fontsize=10)
    if support is not None and len(support):
        s = _all(support)
        right.plot(s["period"], s["tickets_per_100_customers"], marker="o", ms=3,
                   label="tickets per 100 customers")  # fmt: skip
        right.plot(s["period"], 100 * s["backlog"] / s["customers"].where(s["customers"] > 0),
                   label="open backlog per 100 customers")  # fmt: skip
        right.legend(fontsize=7)
    right.set_title("Support", fontsize=10)
    for ax in (left, right):
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    return fig


def cohort_figure(cohorts: pd.DataFrame) -> Figure:
    """Kaplan-Meier retention (%) by signup month and months since start, as a heat map."""
    c = cohorts[(cohorts["segment"] == ALL) & (cohorts["cohort"] != ALL)]
    grid = c.pivot(index="cohort", columns="months", values="retention").sort_index()
    fig = Figure(figsize=(10, 0.28 * max(len(grid), 8) + 1.2), layout="constrained")
    ax = fig.subplots()
    if grid.empty:
        ax.set_title("No signups in the reported periods")
        return fig
    image = ax.imshow(100 * grid.to_numpy(), aspect="auto", cmap="RdYlGn", vmin=50, vmax=100)
    ax.set_yticks(range(len(grid)), grid.index, fontsize=7)
    step = max(1, len(grid.columns) // 12)
    ax.set_xticks(range(0, len(grid.columns), step), grid.columns[::step])
    ax.set_xlabel("months since start")
    ax.set_title("Retention by signup month (Kaplan-Meier, %; blank: not yet observed)")
    fig.colorbar(image, ax=ax, shrink=0.8)
    return fig


def bands_figure(bands: pd.DataFrame) -> Figure:
    """Realised churn and NRR after each band of the latest scoring date with outcomes."""
    b = bands[bands["as_of"] == bands["as_of"].max()]
    fig = Figure(figsize=(10, 3.2), layout="constrained")
    left, right = fig.subplots(1, 2)
    for band, one in b.groupby("band"):
        colour = BAND_COLOURS.get(band)
        left.plot(
            one["months_after"], 100 * one["churn_rate"], marker="o", color=colour, label=band
        )
        right.plot(one["months_after"], 100 * one["nrr"], marker="o", color=colour, label=band)
    left.set_title(f"Churned since scoring on {b['as_of'].max():%Y-%m-%d} (%)", fontsize=10)
    right.set_title("NRR since scoring (%)", fontsize=10)
    for ax in (left, right):
        ax.set_xlabel("months after scoring")
        ax.legend(fontsize=7)
    return fig


def _pct(value: float) -> str:
    return "-" if value is None or pd.isna(value) else f"{value:.1%}"


def _num(value: float, digits: int = 0) -> str:
    return "-" if value is None or pd.isna(value) else f"{value:,.{digits}f}"


def _table(frame: pd.DataFrame) -> str:
    out = frame.copy()
    for column in out.columns:
        if column.endswith(("rate", "grr", "nrr", "_ttm", "share")):
            out[column] = out[column].map(_pct)
        elif pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime("%Y-%m")
        elif pd.api.types.is_float_dtype(out[column]):
            out[column] = out[column].map(lambda v: _num(v, 1))
    return out.to_html(index=False, na_rep="-", border=0)


def period_label(period: pd.Timestamp, length: str) -> str:
    """``March 2025`` for a month, ``Q1 2025`` for a quarter."""
    return (
        f"Q{(period.month - 1) // 3 + 1} {period.year}"
        if length == "quarter"
        else f"{period:%B %Y}"
    )


def lead_sentence(metrics: PortfolioMetrics) -> str:
    """The headline in words: the latest period's MRR, retention, churn and NPS."""
    h = metrics.headline
    last = period_label(metrics.periods["period"].iloc[-1], metrics.config.period)
    nps = f"NPS {h['latest_nps']:+.0f}" if not pd.isna(h.get("latest_nps")) else "no NPS answers"
    ttm = (
        f"over the last twelve months GRR {_pct(h['latest_grr_ttm'])} and NRR "
        f"{_pct(h['latest_nrr_ttm'])}"
        if not pd.isna(h["latest_grr_ttm"])
        else "no twelve-month revenue retention yet (it needs a year of data with MRR)"
    )
    return (
        f"In {last} the portfolio ended at {_num(h['latest_end_mrr'])} MRR across "
        f"{_num(h['latest_end_logos'])} customers; {ttm}; logo churn "
        f"{_pct(h['latest_logo_churn_rate'])} in the {metrics.config.period}; {nps}."
    )


def report_html(metrics: PortfolioMetrics) -> str:
    """The whole report as one HTML document."""
    t = metrics.tables
    periods = metrics.periods
    first, last = periods["period"].iloc[0], periods["period"].iloc[-1]
    length = metrics.config.period
    figures = {
        "bridge": waterfall_figure(t["revenue"]),
        "retention": retention_figure(t["revenue"]),
        "voice": voice_figure(t["voice"]),
        "engagement": engagement_figure(t.get("usage"), t.get("support")),
        "cohorts": cohort_figure(t["cohorts"]),
    }
    if "bands" in t and len(t["bands"]):
        figures["bands"] = bands_figure(t["bands"])
    images = {name: png_data_uri(fig) for name, fig in figures.items()}
    revenue = _all(t["revenue"])[
        ["period", "start_mrr", "new", "expansion", "contraction", "churn", "reactivation",
         "end_mrr", "end_logos", "logo_churn_rate", "grr", "nrr", "grr_ttm", "nrr_ttm",
         "renewal_rate_logos", "renewal_rate_dollars"]
    ].tail(12)  # fmt: skip
    by = metrics.config.by
    segments = ""
    if by:
        seg = latest_by_segment(t["revenue"])
        segments = f"<h2>By {html.escape(by)}, {period_label(last, length)}</h2>{_table(seg)}"
    warnings = "".join(f"<li>{html.escape(w)}</li>" for w in metrics.warnings)
    bands = (
        f'<h2>What became of each health band</h2><img alt="bands" src="{images["bands"]}">'
        if "bands" in images
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Portfolio health, {period_label(first, length)} to {period_label(last, length)}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1150px; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.85em; }}
th, td {{ border: 1px solid #ccc; padding: 3px 6px; text-align: right; }}
img {{ max-width: 100%; }} .lead {{ font-size: 1.1em; line-height: 1.5; }}
</style></head><body>
<h1>Portfolio health, {period_label(first, length)} to {period_label(last, length)}</h1>
<p class="lead">{html.escape(lead_sentence(metrics))}</p>
{f"<ul>{warnings}</ul>" if warnings else ""}
<p>Read these together and over time: no single number tells the story.</p>
<h2>Where the MRR went</h2><img alt="MRR bridge" src="{images["bridge"]}">
<h2>Retention and churn</h2><img alt="retention" src="{images["retention"]}">
{_table(revenue)}
{segments}
<h2>Voice of the customer</h2><img alt="NPS, CSAT and CES" src="{images["voice"]}">
<h2>Engagement and support</h2><img alt="usage and support" src="{images["engagement"]}">
<h2>Cohorts</h2><img alt="cohort retention" src="{images["cohorts"]}">
{bands}
<h2>Definitions</h2>
<p>Periods are calendar {metrics.config.period}s; a churn counts once coverage has not resumed
within {metrics.config.grace_days} days. GRR and NRR are measured on the customers at the start of
the period (TTM: twelve months before); NPS intervals are 90% adjusted-Wald, CSAT intervals 90%
Wilson. Full definitions: the <code>portfolio</code> package's module documentation.</p>
<script type="application/json" id="metrics">{json.dumps(_finite(metrics.headline), sort_keys=True)}</script>
</body></html>
"""


def _finite(values: dict[str, float]) -> dict[str, float | None]:
    return {k: (None if pd.isna(v) else float(v)) for k, v in values.items()}
