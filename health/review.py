"""Helpers for the explanation-review notebook: load a scoring output, draw its explanations.

The notebook only calls these, so everything it shows is tested code. Pictures are in health
points (the 0-100 score's units; negative lowers the score) unless a title says otherwise.
Functions return matplotlib figures and never call ``plt.show``: the notebook displays them.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from features.catalogue import FEATURES, POINTS_FAMILIES, is_profile
from serving.bands import BAND_COLOURS, BANDS

with warnings.catch_warnings():
    # mlflow (through training.report) imports tqdm, which warns in a notebook without widgets
    warnings.filterwarnings("ignore", message="IProgress not found")
    from training.report import find_output

FAMILY_COLOURS = dict(zip(POINTS_FAMILIES, plt.get_cmap("tab10").colors, strict=False))
POINTS_AXIS = "health points (negative = lowers the health score)"


@dataclass(frozen=True)
class Scoring:
    """One scoring output at one as-of date: per-account scores and per-feature explanations."""

    scores: pd.DataFrame
    explanations: pd.DataFrame
    folder: Path | None = None

    @property
    def as_of(self) -> pd.Timestamp:
        return pd.Timestamp(self.scores["as_of"].iloc[0])


def load_scoring(folder: str | Path, as_of: str | pd.Timestamp | None = None) -> Scoring:
    """Read ``scores.parquet`` and ``explanations.parquet``; one as-of date (default the latest)."""
    folder = find_output(folder)
    scores = pd.read_parquet(folder / "scores.parquet")
    explanations = pd.read_parquet(folder / "explanations.parquet")
    return select_as_of(Scoring(scores, explanations, folder), as_of)


def select_as_of(scoring: Scoring, as_of: str | pd.Timestamp | None = None) -> Scoring:
    """The rows of one as-of date, so a file holding several scorings reads as one."""
    dates = pd.to_datetime(scoring.scores["as_of"])
    when = dates.max() if as_of is None else pd.Timestamp(as_of)
    if not (dates == when).any():
        found = ", ".join(str(d.date()) for d in sorted(dates.unique()))
        raise ValueError(f"no scores as of {when.date()} (found {found})")
    scores = scoring.scores[dates == when].reset_index(drop=True)
    explanations = scoring.explanations[pd.to_datetime(scoring.explanations["as_of"]) == when]
    return Scoring(scores, explanations.reset_index(drop=True), scoring.folder)


def riskiest_account(scores: pd.DataFrame) -> str:
    """The least healthy account, the notebook's default: the lowest chance behind the health
    score (on its yearly footing; scores from before it have the chance at the next decision)."""
    return str(scores.loc[_health_chance(scores).idxmin(), "account_id"])


def healthiest_account(scores: pd.DataFrame) -> str:
    return str(scores.loc[_health_chance(scores).idxmax(), "account_id"])


def _health_chance(scores: pd.DataFrame) -> pd.Series:
    column = "year_stay_probability" if "year_stay_probability" in scores else "stay_probability"
    return scores[column].astype(float)


def family_columns(scores: pd.DataFrame) -> list[str]:
    """``points_<family>`` columns in the families' order."""
    return [f"points_{f}" for f in POINTS_FAMILIES if f"points_{f}" in scores]


def _shap():
    """shap, imported without the warnings it prints at import (its colour module on matplotlib's
    API, tqdm on missing notebook widgets): nothing a reader of the notebook can act on."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        warnings.filterwarnings("ignore", message="IProgress not found")  # tqdm, no widgets
        import shap
    return shap


def feature_label(name: str) -> str:
    """A feature's phrase for people; static attributes keep their column name."""
    return FEATURES[name].phrase if name in FEATURES else name


# ----- band distribution ----------------------------------------------------------------------


def band_counts(scores: pd.DataFrame) -> pd.Series:
    """Accounts per band, red first, every band present (0 when empty)."""
    return scores["band"].value_counts().reindex(BANDS, fill_value=0).astype(int)


def band_figure(scores: pd.DataFrame) -> Figure:
    """Accounts per band, and the health scores behind the bands."""
    fig = Figure(figsize=(11, 3.8), layout="constrained")
    counts_ax, hist_ax = fig.subplots(1, 2, width_ratios=[1, 2])
    counts = band_counts(scores)
    bars = counts_ax.bar(counts.index, counts.to_numpy(), color=[BAND_COLOURS[b] for b in BANDS])
    share = counts / max(counts.sum(), 1)
    counts_ax.bar_label(bars, [f"{n:,}\n({s:.0%})" for n, s in zip(counts, share, strict=True)])
    counts_ax.set(title="Accounts per band", ylabel="accounts")
    counts_ax.margins(y=0.25)
    edges = np.arange(0, 102, 2)
    stacked = [scores.loc[scores["band"] == b, "health_score"] for b in BANDS]
    hist_ax.hist(stacked, bins=edges, stacked=True, color=[BAND_COLOURS[b] for b in BANDS])
    hist_ax.set(
        title="Health scores (100 x chance of staying through a year, at its next decision's rate)",
        xlabel="health score",
        ylabel="accounts",
        xlim=(0, 100),
    )
    fig.suptitle(f"{len(scores):,} accounts scored as of {_date(scores)}")
    return fig


# ----- global drivers -------------------------------------------------------------------------


def explanation_matrix(
    explanations: pd.DataFrame, column: str = "health_points"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Accounts x features: the attribution in ``column`` and the feature value (NaN if not numeric)."""
    wide = explanations.pivot(index="account_id", columns="feature", values=column)
    features = list(dict.fromkeys(explanations["feature"]))
    values = explanations.pivot(index="account_id", columns="feature", values="value")
    numbers = values.apply(pd.to_numeric, errors="coerce")
    return wide[features], numbers[features].reindex(wide.index)


def to_explanation(explanations: pd.DataFrame, column: str = "health_points"):
    """A ``shap.Explanation`` over all accounts, feature names in words."""
    shap = _shap()

    values, data = explanation_matrix(explanations, column)
    return shap.Explanation(
        values=values.to_numpy(dtype=float),
        data=data.to_numpy(dtype=float),
        feature_names=[feature_label(f) for f in values.columns],
    )


def beeswarm_figure(scoring: Scoring, max_display: int = 12) -> Figure:
    """SHAP beeswarm in health points: which features move scores, and in which direction."""
    shap = _shap()

    fig = plt.figure(figsize=(10, 0.45 * max_display + 2))
    ax = fig.add_subplot()
    with warnings.catch_warnings():
        # a category has no number to colour by (grey): numpy warns on its all-missing column
        warnings.filterwarnings("ignore", message="All-NaN slice encountered")
        shap.plots.beeswarm(
            to_explanation(scoring.explanations),
            max_display=max_display,
            ax=ax,
            show=False,
            plot_size=None,
            color_bar_label="feature value (grey: not numeric or missing)",
        )
    ax.set_xlabel(POINTS_AXIS)
    ax.set_title(
        f"What moves health scores, {len(scoring.scores):,} accounts as of {_date(scoring.scores)}"
    )
    fig.tight_layout()
    plt.close(fig)
    return fig


def family_points(scores: pd.DataFrame) -> pd.DataFrame:
    """Per family: mean points, mean absolute points, and how many accounts it lowers by 5+."""
    points = scores[family_columns(scores)]
    points.columns = [c.removeprefix("points_") for c in points.columns]
    return pd.DataFrame(
        {
            "mean_points": points.mean(),
            "mean_abs_points": points.abs().mean(),
            "accounts_lowered_5_plus": (points <= -5).sum(),
        }
    ).sort_values("mean_abs_points", ascending=False)


def family_figure(scores: pd.DataFrame) -> Figure:
    """Each family's points across accounts (box) and on average (diamond)."""
    columns = family_columns(scores)
    families = [c.removeprefix("points_") for c in columns]
    fig = Figure(figsize=(10, 3.8), layout="constrained")
    ax = fig.subplots()
    data = [scores[c].to_numpy() for c in columns]
    boxes = ax.boxplot(data, vert=False, tick_labels=families, patch_artist=True, showfliers=False)
    for patch, family in zip(boxes["boxes"], families, strict=True):
        patch.set(facecolor=FAMILY_COLOURS[family], alpha=0.45)
    means = [d.mean() for d in data]
    ax.scatter(means, range(1, len(data) + 1), marker="D", color="black", zorder=3, label="mean")
    for y, m in enumerate(means, start=1):
        ax.annotate(f"{m:+.1f}", (m, y), xytext=(0, 9), textcoords="offset points", ha="center")
    ax.axvline(0, color="grey", lw=0.8)
    ax.invert_yaxis()
    ax.set(xlabel=POINTS_AXIS, title="Health points per family across accounts (box: middle half)")
    ax.legend(loc="lower left")
    return fig


# ----- one account ----------------------------------------------------------------------------


def account_row(scores: pd.DataFrame, account_id: str) -> pd.Series:
    rows = scores[scores["account_id"].astype(str) == str(account_id)]
    if rows.empty:
        raise KeyError(f"account {account_id} is not in this scoring output")
    return rows.iloc[0]


def account_explanation(scoring: Scoring, account_id: str):
    """One account's ``shap.Explanation`` in health points from the base score to its score."""
    shap = _shap()

    row = account_row(scoring.scores, account_id)
    rows = scoring.explanations[scoring.explanations["account_id"].astype(str) == str(account_id)]
    return shap.Explanation(
        values=rows["health_points"].to_numpy(dtype=float),
        base_values=float(row["base_score"]),
        data=pd.to_numeric(rows["value"], errors="coerce").to_numpy(dtype=float),
        display_data=np.array(known_values(rows), dtype=object),
        feature_names=[
            feature_label(f) + (" (profile)" if is_profile(f) else "") for f in rows["feature"]
        ],
    )


def known_values(rows: pd.DataFrame) -> list[str]:
    """Each feature's value as people read it: a category's level where it has one (its number
    is missing by design), else the number; "missing" only for a value that is not known."""
    numbers = [_short(v) for v in rows["value"]]
    if "category" not in rows:
        return numbers
    return [
        str(level) if pd.notna(level) else number
        for level, number in zip(rows["category"], numbers, strict=True)
    ]


def account_reasons(scores: pd.DataFrame, account_id: str) -> pd.DataFrame:
    """The account's reasons as scoring offered them (each with the reference it is weighed
    against, in its sentence) and the health points each moves its score by."""
    row = account_row(scores, account_id)
    picks = [(f"risk_driver_{k}", f"risk_impact_{k}", "risk") for k in range(1, 10)]
    picks.append(("protective_driver", "protective_impact", "protects"))
    out = [
        {"kind": kind, "reason": row[text], "points": round(float(row[points]), 1)}
        for text, points, kind in picks
        if text in row and isinstance(row[text], str) and row[text] and points in row
    ]
    return pd.DataFrame(out, columns=["kind", "reason", "points"])


def account_families(scores: pd.DataFrame, account_id: str) -> pd.Series:
    """The account's score as the base score plus points per behaviour family and the profile
    (who the account is: one figure, never a reason)."""
    row = account_row(scores, account_id)
    columns = family_columns(scores)
    parts = {"base score": float(row["base_score"])}
    parts |= {c.removeprefix("points_"): float(row[c]) for c in columns}
    parts["health score"] = float(row["health_score"])
    return pd.Series(parts).round(1)


def account_title(scores: pd.DataFrame, account_id: str) -> str:
    row = account_row(scores, account_id)
    return (
        f"{account_id}: health {row['health_score']} ({row['band']}), "
        f"stays at its next decision point: {row['stay_probability']:.0%}"
    )


def waterfall_figure(scoring: Scoring, account_id: str, max_display: int = 10) -> Figure:
    """From the average account's score (E[f(X)]) to this account's, feature by feature."""
    shap = _shap()

    fig = plt.figure(figsize=(10, 0.5 * max_display + 2))
    shap.plots.waterfall(account_explanation(scoring, account_id), max_display, show=False)
    fig.axes[0].set_title(
        f"{account_title(scoring.scores, account_id)}\nin health points: f(x) is its score, "
        "E[f(X)] the base score"
    )
    fig.set_size_inches(10, 0.5 * max_display + 2)
    fig.tight_layout()
    plt.close(fig)
    return fig


def account_sentences(scores: pd.DataFrame, account_id: str) -> list[str]:
    """The account's drivers in words, risks first, then what protects it."""
    row = account_row(scores, account_id)
    risks = [
        f"Risk: {row[c]}"
        for c in sorted(scores.columns)
        if c.startswith("risk_driver_") and isinstance(row[c], str) and row[c]
    ]
    protective = row.get("protective_driver")
    tail = [f"Protects: {protective}"] if isinstance(protective, str) and protective else []
    return risks + tail


def comparison_figure(scoring: Scoring, first: str, second: str, top: int = 8) -> Figure:
    """Two accounts side by side: points per family, and the features that set them apart."""
    scores, expl = scoring.scores, scoring.explanations
    fig = Figure(figsize=(12, 0.35 * top + 4), layout="constrained")
    fam_ax, feat_ax = fig.subplots(1, 2, width_ratios=[1, 1.6])
    columns = family_columns(scores)
    families = [c.removeprefix("points_") for c in columns]
    y = np.arange(len(families))
    for offset, (account, colour) in zip(
        (-0.2, 0.2), ((first, "#1f77b4"), (second, "#ff7f0e")), strict=True
    ):
        row = account_row(scores, account)
        fam_ax.barh(y + offset, row[columns].astype(float), 0.4, color=colour, label=account)
    fam_ax.set(yticks=y, yticklabels=families, xlabel=POINTS_AXIS, title="Points per family")
    fam_ax.axvline(0, color="grey", lw=0.8)
    fam_ax.invert_yaxis()
    fam_ax.legend(loc="best")

    wide, _ = explanation_matrix(expl[expl["account_id"].astype(str).isin([first, second])])
    pair = wide.loc[[first, second]].T
    gap = (pair[first] - pair[second]).abs().sort_values(ascending=False)
    shown = pair.loc[gap.index[:top]]
    yy = np.arange(len(shown))
    feat_ax.barh(yy - 0.2, shown[first], 0.4, color="#1f77b4", label=first)
    feat_ax.barh(yy + 0.2, shown[second], 0.4, color="#ff7f0e", label=second)
    feat_ax.set(
        yticks=yy,
        yticklabels=[feature_label(f) for f in shown.index],
        xlabel=POINTS_AXIS,
        title=f"The {len(shown)} features where they differ most",
    )
    feat_ax.axvline(0, color="grey", lw=0.8)
    feat_ax.invert_yaxis()
    fig.suptitle(f"{account_title(scores, first)}\nvs {account_title(scores, second)}")
    return fig


# ----- change since the previous scoring ------------------------------------------------------


def score_changes(current: Scoring, previous: Scoring) -> pd.DataFrame:
    """Accounts scored both times: score before and now, and the change per family in points.

    Family changes plus ``change_base`` (non-zero when the model changed) add up to the change of
    the unrounded score, so the per-family bars explain the whole move.
    """
    columns = ["base_score", *family_columns(current.scores)]
    keep = ["account_id", "health_score", "band", *columns]
    now = current.scores[keep].set_index("account_id")
    before = previous.scores[keep].set_index("account_id")
    both = now.index.intersection(before.index)
    now, before = now.loc[both], before.loc[both]
    out = pd.DataFrame(
        {
            "health_before": before["health_score"],
            "health_now": now["health_score"],
            "health_change": now["health_score"] - before["health_score"],
            "band_before": before["band"],
            "band_now": now["band"],
        }
    )
    for column in columns:
        name = "base" if column == "base_score" else column.removeprefix("points_")
        out[f"change_{name}"] = now[column] - before[column]
    order = out["health_change"].abs().sort_values(ascending=False, kind="stable").index
    return out.loc[order].reset_index()


def movers_figure(changes: pd.DataFrame, top: int = 10) -> Figure:
    """The accounts whose score moved most, each move split into families (stacked bars)."""
    shown = changes.head(top).iloc[::-1]
    parts = [c for c in shown.columns if c.startswith("change_")]
    fig = Figure(figsize=(11, 0.45 * len(shown) + 2), layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(shown))
    left_pos, left_neg = np.zeros(len(shown)), np.zeros(len(shown))
    for part in parts:
        name = part.removeprefix("change_")
        values = shown[part].to_numpy(dtype=float)
        left = np.where(values >= 0, left_pos, left_neg)
        colour = FAMILY_COLOURS.get(name, "#999999")
        ax.barh(y, values, left=left, color=colour, label=name)
        left_pos += np.clip(values, 0, None)
        left_neg += np.clip(values, None, 0)
    ax.scatter(shown["health_change"], y, marker="|", s=300, color="black", label="score change")
    labels = [
        f"{r.account_id}  {r.health_before}->{r.health_now} ({r.band_before}->{r.band_now})"
        for r in shown.itertuples()
    ]
    ax.set(
        yticks=y, yticklabels=labels, xlabel="change in health points since the previous scoring"
    )
    ax.axvline(0, color="grey", lw=0.8)
    ax.legend(loc="best", fontsize="small")
    ax.set_title(f"The {len(shown)} largest moves, split by family")
    return fig


def move_drivers(
    current: Scoring, previous: Scoring, account_ids: list[str], top: int = 3
) -> pd.DataFrame:
    """Per account, the features whose points changed most, with their values before and now."""
    ids = [str(a) for a in account_ids]
    cols = ["account_id", "feature", "value", "health_points"]
    now = current.explanations[cols][current.explanations["account_id"].astype(str).isin(ids)]
    before = previous.explanations[cols][previous.explanations["account_id"].astype(str).isin(ids)]
    joined = now.merge(before, on=["account_id", "feature"], suffixes=("_now", "_before"))
    joined["points_change"] = joined["health_points_now"] - joined["health_points_before"]
    joined["size"] = joined["points_change"].abs()
    ranked = joined.sort_values(["account_id", "size"], ascending=[True, False], kind="stable")
    picked = ranked.groupby("account_id", sort=False).head(top).copy()
    picked["feature"] = picked["feature"].map(feature_label)
    picked["account_id"] = pd.Categorical(picked["account_id"], categories=ids, ordered=True)
    picked = picked.sort_values(["account_id", "size"], ascending=[True, False], kind="stable")
    out = picked[["account_id", "feature", "value_before", "value_now", "points_change"]]
    out = out.assign(
        account_id=out["account_id"].astype(str),
        value_before=out["value_before"].map(_short),
        value_now=out["value_now"].map(_short),
        points_change=out["points_change"].round(1),
    )
    return out.reset_index(drop=True)


def _short(value: object) -> str:
    """A feature value as people read it: 3 significant digits, text unchanged."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if np.isnan(number):
        return "missing"
    return f"{number:,.0f}" if abs(number) >= 100 else f"{number:.3g}"


def _date(scores: pd.DataFrame) -> str:
    return str(pd.Timestamp(scores["as_of"].iloc[0]).date())
