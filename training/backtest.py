"""The score backtest: replay scoring at past dates with models that only knew the data before them.

At each backtest date ``d`` a health model (staying at the next decision point) is fitted on the
feature-matrix rows whose label was known by ``d`` (``features.labels.label_known_from``: the
decision point plus the grace gap; features are point-in-time, so those rows hold nothing from
``d`` on), every account active at ``d`` is scored, and the scores are set against what happened
next. The result says, per band, how many accounts were in it and what share did not stay at
their decision point (and churned within the horizon, or renewed), how much likelier red
accounts were not to stay than the average one, separately by how far away the decision point
was, and how long before a churn red first showed.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd

from features.contract import Tables
from features.labels import churn_dates, label_known_from
from features.matrix import build_feature_matrix
from features.timeline import observed_until
from features.usage_types import chosen_types
from serving.bands import BANDS, BandConfig, band
from serving.score import LoadedModel, score_features
from training.backtest_report import Summary, backtest_html
from training.config import BacktestConfig
from training.train import build_training_matrix, fit_target


@dataclass
class Backtest:
    """Scored rows with their realised outcomes, and what each date's model was."""

    rows: pd.DataFrame
    fits: pd.DataFrame
    config: BacktestConfig
    skipped: dict[pd.Timestamp, str] = field(default_factory=dict)


def backtest_dates(tables: Tables, config: BacktestConfig) -> list[pd.Timestamp]:
    """Every ``every_days`` back from the last date whose outcomes are known, over the lookback."""
    if config.dates:
        return sorted(pd.Timestamp(d) for d in config.dates)
    last = (observed_until(tables) - pd.Timedelta(days=config.gap_days)).normalize()
    steps = config.lookback_days // config.every_days
    return [last - pd.Timedelta(days=config.every_days * k) for k in range(steps, -1, -1)]


def known_before(
    matrix: pd.DataFrame, date: pd.Timestamp, config: BacktestConfig = BacktestConfig()
) -> pd.DataFrame:
    """Training rows whose health label (``stayed``) was known by ``date``."""
    settled = label_known_from(matrix, HEALTH, config.train.labels) <= date
    return matrix[settled].reset_index(drop=True)


HEALTH = "stayed"
DISTANCE_EDGES = (0, 90, 180)
DISTANCES = ("0-90", "90-180", ">180")


def days_to_decision(frame: pd.DataFrame, horizon_days: int) -> pd.Series:
    """Days from ``as_of`` to the next decision point: the term end, or the horizon for an
    open-ended subscription (``features.labels.decision_points``)."""
    days = (
        pd.to_numeric(frame["days_to_term_end"], errors="coerce")
        if "days_to_term_end" in frame
        else None
    )
    if days is None:
        return pd.Series(float(horizon_days), index=frame.index)
    return days.fillna(float(horizon_days))


def distance(days: pd.Series) -> pd.Series:
    """Days to the decision point as ``0-90`` (90 included), ``90-180`` and ``>180``."""
    edges = [-np.inf, DISTANCE_EDGES[1], DISTANCE_EDGES[2], np.inf]
    return pd.cut(days, edges, labels=list(DISTANCES)).astype(str)


def replay(
    tables: Tables,
    config: BacktestConfig = BacktestConfig(),
    progress: Callable[[str], None] | None = None,
) -> Backtest:
    """Fit, score and compare at every backtest date."""
    dates = backtest_dates(tables, config)
    say = progress or (lambda _: None)
    say("building the training matrix")
    matrix = build_training_matrix(tables, config.train)
    say(f"features and outcomes at {len(dates)} backtest dates")
    current = build_feature_matrix(
        tables, dates, config.train.labels, event_types=chosen_types(matrix.columns)
    )
    current["churn_date"] = churn_dates(
        tables.subscriptions, current, config.train.labels.grace_days
    )
    scored, fits, skipped = [], [], {}
    for date in dates:
        train = known_before(matrix, date, config)
        say(f"{date.date()}: fitting on {len(train):,} rows settled before it")
        try:
            fitted = fit_target(train, HEALTH, config.train)
        except ValueError as error:  # too little settled history before this date
            skipped[date] = str(error)
            say(f"{date.date()}: skipped ({error})")
            continue
        model = LoadedModel(fitted.model, f"backtest:{date.date()}", str(date.date()))
        frame = current[current["as_of"] == date].reset_index(drop=True)
        scores, _ = score_features(frame, health=model, config=config.score)
        outcome = frame[["stayed", "churned", "renewed", "churn_date"]].assign(
            days_to_decision=days_to_decision(frame, config.train.labels.horizon_days)
        )
        scored.append(
            scores[
                [
                    "account_id",
                    "as_of",
                    "stay_probability",
                    "decision_months",
                    "health_score",
                    "band",
                ]
            ].join(outcome)
        )
        fits.append(
            {
                "as_of": date,
                "train_rows": len(fitted.split.train),
                "train_from": fitted.split.train_dates[0],
                "train_to": fitted.split.train_dates[-1],
                "validation_to": fitted.split.validation_dates[-1],
                "labels_known_by": label_known_from(train, HEALTH, config.train.labels).max(),
                "val_roc_auc": fitted.metrics["val_roc_auc"],
            }
        )
    if not scored:
        raise ValueError(
            "no backtest date has enough settled history to train on: "
            + "; ".join(f"{d.date()}: {why}" for d, why in skipped.items())
        )
    rows = pd.concat(scored, ignore_index=True)
    return Backtest(rows, pd.DataFrame(fits), config, skipped)


# ----- summaries (pure) -----------------------------------------------------------------------


def year_not_stay_rate(left: pd.Series, months: pd.Series) -> float:
    """The realised share not staying, on the health score's yearly footing: per cadence (months
    between decisions) ``1 - (1 - rate) ** (12 / months)``, averaged over the rows.

    Why: the score ranks a monthly customer by its chance of lasting a year, but the outcome a
    backtest row holds is one month's decision; on one footing a band of monthly and annual
    accounts is compared with a base of both in the same unit. Rows of annual terms count as
    they are.
    """
    if not len(left):
        return np.nan
    by_months = left.groupby(months.to_numpy()).agg(["mean", "size"])
    yearly = 1 - (1 - by_months["mean"]) ** (12 / by_months.index.to_numpy(dtype=float))
    return float((yearly * by_months["size"]).sum() / by_months["size"].sum())


def distance_summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Per distance to the decision point and band: account-dates with a known outcome, the
    share that did not stay (and the mean predicted chance of it: calibration at that distance),
    with its Wilson 95% interval (a far band holds few account-dates), and the lift over that
    distance's base rate of not staying; the same on the yearly footing
    (``year_not_stay_rate``; rows without ``decision_months`` count as annual).

    Red's lift in each distance is the health score's test: a customer far from renewal must be
    found as well as one whose renewal is next month.
    """
    months = rows.get("decision_months", 12.0)
    known = rows.assign(months=months)[rows["stayed"].notna()].assign(
        distance=distance(rows["days_to_decision"]), left=lambda r: 1 - r["stayed"]
    )
    records = []
    for name in DISTANCES:
        part = known[known["distance"] == name]
        base = float(part["left"].mean()) if len(part) else np.nan
        predicted = float(1 - part["stay_probability"].mean()) if len(part) else np.nan
        base_year = year_not_stay_rate(part["left"], part["months"])
        record = {
            "distance": name,
            "accounts": len(part),
            "base_not_stay_rate": base,
            "predicted_not_stay": predicted,
            "base_year_not_stay_rate": base_year,
        }
        for b in BANDS:
            in_band = part[part["band"] == b]
            rate = float(in_band["left"].mean()) if len(in_band) else np.nan
            year = year_not_stay_rate(in_band["left"], in_band["months"])
            low, high = wilson_interval(int(in_band["left"].sum()), len(in_band))
            record[f"accounts_{b}"] = len(in_band)
            record[f"not_stay_rate_{b}"] = rate
            record[f"not_stay_low_{b}"], record[f"not_stay_high_{b}"] = low, high
            record[f"lift_{b}"] = rate / base if base > 0 else np.nan
            record[f"year_lift_{b}"] = year / base_year if base_year > 0 else np.nan
        records.append(record)
    return pd.DataFrame(records).set_index("distance")


def band_summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Per band over all dates: accounts scored, share that did not stay at the decision point
    (of those whose outcome is known), share that churned within the horizon, share of renewals
    due that renewed."""
    grouped = rows.groupby("band")
    out = pd.DataFrame(
        {
            "accounts": grouped.size(),
            "stay_known": grouped["stayed"].count(),
            "not_stayed": grouped["stayed"].count() - grouped["stayed"].sum(),
            "churned": grouped["churned"].sum(),
            "renewal_due": grouped["renewed"].count(),
            "renewed": grouped["renewed"].sum(),
        }
    ).reindex(list(BANDS), fill_value=0)
    out["not_stay_rate"] = out["not_stayed"] / out["stay_known"].where(out["stay_known"] > 0)
    out["churn_rate"] = out["churned"] / out["accounts"].where(out["accounts"] > 0)
    out["renewal_rate"] = out["renewed"] / out["renewal_due"].where(out["renewal_due"] > 0)
    out["share_of_churns"] = out["churned"] / max(out["churned"].sum(), 1)
    out.index.name = "band"
    counts = ("accounts", "stay_known", "not_stayed", "churned", "renewal_due", "renewed")
    return out.astype(dict.fromkeys(counts, int))


def date_summary(rows: pd.DataFrame, fits: pd.DataFrame) -> pd.DataFrame:
    """Per backtest date: accounts per band, base churn rate, red churn rate, and the fit."""
    counts = rows.pivot_table(index="as_of", columns="band", values="account_id", aggfunc="count")
    counts = counts.reindex(columns=list(BANDS), fill_value=0).fillna(0).astype(int)
    counts.columns = [f"accounts_{b}" for b in BANDS]
    rates = rows.pivot_table(index="as_of", columns="band", values="churned", aggfunc="mean")
    rates = rates.reindex(index=counts.index, columns=list(BANDS))
    out = counts.assign(base_churn_rate=rows.groupby("as_of")["churned"].mean())
    for b in BANDS:
        out[f"{b}_churn_rate"] = rates[b]
    return out.join(fits.set_index("as_of")).reset_index()


SCORE_EDGES = (0, 40, 50, 60, 70, 80, 90, 101)


def score_range_summary(
    rows: pd.DataFrame, config: BandConfig = BandConfig(), edges: tuple[int, ...] = SCORE_EDGES
) -> pd.DataFrame:
    """Per health-score range: accounts and churn share, whatever the band thresholds are."""
    cuts = sorted({*edges, config.red_below, config.green_from})
    names = [f"{lo}-{hi - 1}" for lo, hi in zip(cuts[:-1], cuts[1:], strict=True)]
    ranges = pd.cut(rows["health_score"], cuts, right=False, labels=names)
    grouped = rows.groupby(ranges, observed=False)
    out = pd.DataFrame(
        {
            "accounts": grouped.size(),
            "not_stay_rate": 1 - grouped["stayed"].mean(),
            "churn_rate": grouped["churned"].mean(),
        }
    )
    lows = np.array(cuts[:-1])
    out["band"] = band(lows, config)
    out.index = out.index.astype(str)
    out.index.name = "health_score"
    return out


WARNED = ("red", "yellow")  # the bands a CS team acts on


def warning_times(rows: pd.DataFrame, warned: tuple[str, ...] = ("red",)) -> pd.DataFrame:
    """Churns that the ``warned`` bands caught (red by default), with the first date of the
    unbroken run of those bands before each.

    A churn is caught when the account was in a warned band at a backtest date whose horizon the
    churn fell in. Its warning is the churn date minus the first of the consecutive warned
    scorings leading to it (``first_red``: the first of them, red or, when asked, yellow).
    """
    churns = rows[rows["churned"] == 1]
    # a warning comes before its churn (a row dated on or after its churn date warns of nothing)
    caught = churns[churns["band"].isin(warned) & (churns["as_of"] < churns["churn_date"])]
    records = []
    for (account, churn_date), hits in caught.groupby(["account_id", "churn_date"]):
        history = rows[(rows["account_id"] == account) & (rows["as_of"] < churn_date)]
        history = history.sort_values("as_of")
        last_red = hits["as_of"].max()
        before = ~np.isin(history[history["as_of"] <= last_red]["band"].to_numpy()[::-1], warned)
        run = int(np.argmax(before)) if before.any() else len(before)
        first_red = history[history["as_of"] <= last_red]["as_of"].iloc[-run]
        records.append(
            {
                "account_id": account,
                "churn_date": churn_date,
                "first_red": first_red,
                "days_of_warning": int((churn_date - first_red).days),
            }
        )
    columns = ["account_id", "churn_date", "first_red", "days_of_warning"]
    return pd.DataFrame(records, columns=columns)


# ----- the whole story per band (one unit: account-dates) --------------------------------------

WILSON_Z = 1.959964  # the 95% two-sided normal quantile


def wilson_interval(hits: int, n: int, z: float = WILSON_Z) -> tuple[float, float]:
    """The Wilson score interval of a proportion ``hits / n`` (NaN for an empty bin).

    Why Wilson: a small band's rate of 0 or 1 gets an honest interval, where the normal
    approximation gives one of width zero.
    """
    if n == 0:
        return np.nan, np.nan
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return float(centre - half), float(centre + half)


def band_story(rows: pd.DataFrame) -> pd.DataFrame:
    """Per band, in one unit, account-dates with a known outcome (an account counts once per
    backtest date it was scored and its decision is settled): their share of all, the share that
    did not stay at the decision point with its Wilson 95% interval, the lift over the base rate,
    and recall (the share of all account-dates that did not stay which this band held). The same
    on the score's yearly footing (``year_not_stay_rate``): its lift, and its recall as the band's
    share of the leavers a year would see (account-dates x yearly rate).

    Why one unit: a report that counts churns in its text and account-dates in its table cannot
    be read across; and a lift without its recall hides how many leavers the band missed. Why the
    footing too: a monthly account's outcome is one month's decision, an annual one's a year's, so
    the bands of a score on the yearly footing are compared with outcomes in the same terms.
    """
    known = rows[rows["stayed"].notna()]
    left = 1 - known["stayed"].astype(float)
    months = known.get("decision_months", pd.Series(12.0, index=known.index))
    total, leavers = len(known), float(left.sum())
    base = leavers / total if total else np.nan
    base_year = year_not_stay_rate(left, months)
    yearly = {
        name: year_not_stay_rate(left[known["band"] == name], months[known["band"] == name])
        for name in BANDS
    }
    counts = {name: int((known["band"] == name).sum()) for name in BANDS}
    year_leavers = sum(counts[b] * yearly[b] for b in BANDS if counts[b])
    records = []
    for name in BANDS:
        in_band = known["band"] == name
        n, hits = int(in_band.sum()), int(left[in_band].sum())
        rate = hits / n if n else np.nan
        low, high = wilson_interval(hits, n)
        records.append(
            {
                "band": name,
                "account_dates": n,
                "share_of_account_dates": n / total if total else np.nan,
                "not_stayed": hits,
                "not_stay_rate": rate,
                "not_stay_low": low,
                "not_stay_high": high,
                "lift": rate / base if base > 0 else np.nan,
                "recall": hits / leavers if leavers else np.nan,
                "year_not_stay_rate": yearly[name],
                "year_lift": yearly[name] / base_year if base_year > 0 else np.nan,
                "year_recall": n * yearly[name] / year_leavers if n and year_leavers else 0.0,
            }
        )
    return pd.DataFrame(records).set_index("band")


def churn_events(rows: pd.DataFrame) -> int:
    """Distinct churns (account, churn date) seen within the horizon of some backtest date."""
    churns = rows[rows["churned"] == 1]
    return int(churns[["account_id", "churn_date"]].drop_duplicates().shape[0])


def summary_metrics(
    by_band: pd.DataFrame, by_score: pd.DataFrame, warnings: pd.DataFrame, rows: pd.DataFrame
) -> dict[str, float]:
    """The backtest's headline numbers, as logged to MLflow and printed in the report."""
    base = float(rows["churned"].mean())
    red_rate = by_band.loc["red", "churn_rate"]
    base_left = 1 - float(rows["stayed"].mean())
    red_left = by_band.loc["red", "not_stay_rate"]
    days = warnings["days_of_warning"]
    metrics = {
        "backtest_dates": float(rows["as_of"].nunique()),
        "scored_rows": float(len(rows)),
        "base_churn_rate": base,
        "red_lift": float(red_rate / base) if base > 0 and pd.notna(red_rate) else np.nan,
        "base_not_stay_rate": base_left,
        "red_lift_not_stay": float(red_left / base_left)
        if base_left > 0 and pd.notna(red_left)
        else np.nan,
        "churns": float(churn_events(rows)),
        "churns_caught_by_red": float(len(warnings)),
        "median_warning_days": float(days.median()) if len(days) else np.nan,
        "mean_warning_days": float(days.mean()) if len(days) else np.nan,
    }
    for b in BANDS:
        for column in ("accounts", "not_stay_rate", "churn_rate", "renewal_due", "renewal_rate"):
            metrics[f"{column}_{b}"] = float(by_band.loc[b, column])
    for name, row in distance_summary(rows).iterrows():
        key = {"0-90": "0_90", "90-180": "90_180", ">180": "over_180"}[name]
        metrics[f"red_lift_not_stay_{key}"] = float(row["lift_red"])
        metrics[f"red_year_lift_not_stay_{key}"] = float(row["year_lift_red"])
    for name, row in by_score.iterrows():
        key = name.replace("-", "_")
        metrics[f"accounts_score_{key}"] = float(row["accounts"])
        metrics[f"churn_rate_score_{key}"] = float(row["churn_rate"])
    return metrics


def story_metrics(story: pd.DataFrame, early: pd.DataFrame) -> dict[str, float]:
    """The per-band story as metrics (account-dates), and the warning red or yellow gave."""
    metrics: dict[str, float] = {}
    for name, row in story.iterrows():
        columns = ("share_of_account_dates", "not_stay_rate", "lift", "recall")
        for column in (*columns, "year_not_stay_rate", "year_lift", "year_recall"):
            metrics[f"story_{column}_{name}"] = float(row[column])
        metrics[f"story_not_stay_low_{name}"] = float(row["not_stay_low"])
        metrics[f"story_not_stay_high_{name}"] = float(row["not_stay_high"])
    days = early["days_of_warning"]
    metrics["churns_caught_by_red_or_yellow"] = float(len(early))
    metrics["median_warning_days_red_or_yellow"] = float(days.median()) if len(days) else np.nan
    return metrics


def summarise(backtest: Backtest) -> Summary:
    rows = backtest.rows
    by_band = band_summary(rows)
    by_score = score_range_summary(rows, backtest.config.score)
    warnings = warning_times(rows)
    story, early = band_story(rows), warning_times(rows, WARNED)
    metrics = {
        **summary_metrics(by_band, by_score, warnings, rows),
        **story_metrics(story, early),
    }
    return Summary(
        by_band,
        date_summary(rows, backtest.fits),
        by_score,
        warnings,
        metrics,
        story,
        distance_summary(rows),
        early,
    )


@dataclass
class BacktestResult:
    backtest: Backtest
    summary: Summary
    report: Path
    run_id: str | None


def run_backtest(
    tables: Tables,
    out: Path,
    config: BacktestConfig = BacktestConfig(),
    log_run: bool = True,
    progress: Callable[[str], None] | None = None,
    parent_run_id: str | None = None,
) -> BacktestResult:
    """Replay, summarise, write the HTML report and log it with its numbers to MLflow.

    With ``parent_run_id`` (the project's run under ``mlflow run``) the run is nested in it.
    """
    backtest = replay(tables, config, progress)
    summary = summarise(backtest)
    out = Path(out)
    _write_text(
        out,
        backtest_html(summary, config.train.labels, config.score, backtest.skipped),
    )
    run_id = None
    if log_run:
        run_id = log_backtest(backtest, summary, out, parent_run_id)
    return BacktestResult(backtest, summary, out, run_id)


def log_backtest(
    backtest: Backtest, summary: Summary, report: Path, parent_run_id: str | None = None
) -> str:
    """One MLflow run: the settings, the report's numbers as metrics, the report and its tables."""
    dates = _days(summary.by_date["as_of"])
    with contextlib.ExitStack() as stack:
        if parent_run_id is None:
            mlflow.set_experiment(backtest.config.train.experiment)
        else:
            stack.enter_context(mlflow.start_run(run_id=parent_run_id))
        run = stack.enter_context(
            mlflow.start_run(run_name=f"backtest-{dates[-1]}", nested=parent_run_id is not None)
        )
        mlflow.set_tags({"job": "backtest", "dates": ",".join(dates)})
        if backtest.skipped:
            mlflow.set_tag("skipped_dates", ",".join(_days(backtest.skipped)))
        mlflow.log_params(_params(backtest.config))
        mlflow.log_metrics(summary.metrics)
        for step, row in summary.by_date.iterrows():
            mlflow.log_metrics(
                {
                    "date_accounts_red": float(row["accounts_red"]),
                    "date_base_churn_rate": float(row["base_churn_rate"]),
                    "date_val_roc_auc": float(row["val_roc_auc"]),
                },
                step=int(step),
            )
        mlflow.log_artifact(str(report), "backtest")
        mlflow.log_table(_jsonable(summary.by_band.reset_index()), "backtest/by_band.json")
        mlflow.log_table(_jsonable(summary.by_score.reset_index()), "backtest/by_score.json")
        mlflow.log_table(_jsonable(summary.by_date), "backtest/by_date.json")
        mlflow.log_table(_jsonable(summary.warnings), "backtest/warnings.json")
        if summary.story is not None:
            mlflow.log_table(_jsonable(summary.story.reset_index()), "backtest/story.json")
        return run.info.run_id


def _params(config: BacktestConfig) -> dict[str, object]:
    train = asdict(config.train)
    train.pop("booster")
    labels = train.pop("labels")
    return {
        "every_days": config.every_days,
        "lookback_days": config.lookback_days,
        **{f"band_{k}": v for k, v in asdict(config.score).items()},
        **labels,
        **train,
    }


def _days(dates) -> list[str]:
    return [str(pd.Timestamp(d).date()) for d in dates]


def _jsonable(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates as ISO strings: MLflow tables are JSON."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime("%Y-%m-%d")
    return out


def _write_text(path: Path, text: str) -> None:
    """Write atomically: a failed run never leaves half a report in place of the last one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", dir=path.parent, suffix=".tmp", delete=False, encoding="utf-8"
    ) as handle:
        handle.write(text)
        tmp = Path(handle.name)
    tmp.replace(path)
