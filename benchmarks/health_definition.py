"""Does the health score measure the customer or the renewal calendar? Figures on a demo scoring.

Why: a score made of "when can this account leave" looks like risk but says nothing about how the
customer is doing. This reads a scoring folder written by ``health demo`` (or ``health score``) and
prints, from the explanations' health points: each family's share of the absolute points, the
timing features' share (when the term ends, how long it is), the Spearman correlation of the
health score with the days to the renewal date, the yearly footing per cadence (base score: the
cadence's net effect) and the bands by how far the renewal is. From the
MLflow store beside it: the health model's out-of-time calibration (ECE) and ROC AUC against the
logistic baseline on the same validation rows. With ``--backtest``: the backtest's red-band lift
over the base rate of not staying, separately for decision points 0-90, 90-180 and over 180 days
away (a replay: it trains one model per backtest date, several minutes on 2 cores).

    python benchmarks/health_definition.py [--demo health-demo] [--backtest] [--every-days N]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

DISTANCE_EDGES = (0, 90, 180, 100_000)
DISTANCE_NAMES = ("0-90", "90-180", ">180")


def distance_bucket(days: pd.Series) -> pd.Series:
    """Days to the decision point as the issue's three buckets (``0-90`` includes 90)."""
    buckets = pd.cut(days, DISTANCE_EDGES, right=True, include_lowest=True, labels=DISTANCE_NAMES)
    return buckets.astype(object).where(days.notna(), "open-ended")


def point_shares(explanations: pd.DataFrame, timing: frozenset[str]) -> pd.DataFrame:
    """Share of all absolute health points per family, and of the timing features on their own."""
    points = explanations["health_points"].abs()
    total = points.sum()
    by_family = points.groupby(explanations["family"].astype(str), observed=True).sum() / total
    rows = [(family, share) for family, share in by_family.items()]
    rows.append(("timing features", points[explanations["feature"].isin(timing)].sum() / total))
    return pd.DataFrame(rows, columns=["part", "share_of_abs_points"]).set_index("part")


def spearman(a: pd.Series, b: pd.Series) -> float:
    both = pd.concat([a, b], axis=1).dropna()
    return float(both.iloc[:, 0].rank().corr(both.iloc[:, 1].rank()))


def bands_by_distance(scores: pd.DataFrame, days: pd.Series) -> pd.DataFrame:
    table = pd.crosstab(distance_bucket(days), scores["band"])
    table = table.reindex(columns=["green", "yellow", "red"], fill_value=0)
    table["mean_health"] = scores.groupby(distance_bucket(days))["health_score"].mean().round(1)
    return table


def term_lengths(data_dir: Path, scores: pd.DataFrame) -> pd.Series:
    """Each scored account's current term length in whole months (NaN: open-ended), rebuilt from
    the data at the scores' date: the health model does not see it, so the scores do not hold it."""
    from features.loading import load_tables
    from features.matrix import build_features

    as_of = pd.Timestamp(scores["as_of"].max())
    frame = build_features(load_tables(data_dir), [as_of]).set_index("account_id")
    months = (frame["term_length_days"] / 30.44).round()
    return months.reindex(scores["account_id"]).set_axis(scores.index)


def spearman_by_term(scores: pd.DataFrame, days: pd.Series, months: pd.Series) -> pd.DataFrame:
    """Spearman(health, days to renewal) among accounts with the same term length: with terms of
    one length, how near the renewal is is all that differs in the calendar."""
    rows = []
    for length, part in scores.groupby(months):
        rho = spearman(part["health_score"].astype(float), days[part.index])
        rows.append(
            {
                "term_months": int(length),
                "accounts": len(part),
                "mean_health": round(float(part["health_score"].mean()), 1),
                "spearman": round(rho, 3),
            }
        )
    return pd.DataFrame(rows).set_index("term_months")


def base_by_cadence(scores: pd.DataFrame) -> pd.DataFrame:
    """Per months between decisions (the yearly footing's exponent is 12 / months): accounts,
    the mean base score (a typical account on that cadence, on the footing: where the cadence's
    net effect on the score sits, never in the points) and the mean health score."""
    grouped = scores.groupby("decision_months")
    return pd.DataFrame(
        {
            "accounts": grouped.size(),
            "mean_base_score": grouped["base_score"].mean().round(1),
            "mean_health": grouped["health_score"].mean().round(1),
            "mean_stay_at_decision": grouped["stay_probability"].mean().round(3),
        }
    )


def model_figures(tracking_uri: str) -> pd.DataFrame:
    """Validation metrics of each registered champion (out of time)."""
    import mlflow
    from mlflow.tracking import MlflowClient

    mlflow.set_tracking_uri(tracking_uri)
    client = MlflowClient()
    rows = []
    for model in client.search_registered_models():
        try:
            version = client.get_model_version_by_alias(model.name, "champion")
        except mlflow.exceptions.MlflowException:
            continue
        metrics = client.get_run(version.run_id).data.metrics
        rows.append(
            {
                "model": model.name,
                "val_rows": metrics.get("val_rows"),
                "val_positives": metrics.get("val_positives"),
                "val_roc_auc": metrics.get("val_roc_auc"),
                "baseline_val_roc_auc": metrics.get("baseline_val_roc_auc"),
                "val_ece": metrics.get("val_ece"),
                "baseline_val_ece": metrics.get("baseline_val_ece"),
            }
        )
    return pd.DataFrame(rows).set_index("model")


def timing_features() -> frozenset[str]:
    """When the term ends and how long it is (``features.catalogue.TIMING_FEATURES``)."""
    try:
        from features.catalogue import TIMING_FEATURES
    except ImportError:  # a checkout from before the health score was redefined
        from serving.score import TIMING_FEATURES
    return frozenset(TIMING_FEATURES)


def days_to_renewal(scores: pd.DataFrame) -> pd.Series:
    for name in ("renewal_in_days", "renewal_due_in_days"):
        if name in scores:
            return pd.to_numeric(scores[name], errors="coerce")
    raise KeyError("the scores have no days-to-renewal column")


def backtest_figures(
    data_dir: Path, rows_out: Path | None = None, every_days: int | None = None
) -> None:
    """The backtest by distance to the decision point; ``every_days`` spaces its dates (default:
    ``health backtest``'s). Closer dates score each account more often: a far bin's red holds a
    few dozen account-dates at 60 days, about twice as many at 30, for about 1.5x the run time."""
    from features.loading import load_tables
    from training.backtest import BacktestConfig, replay

    try:
        from training.backtest import distance_summary
    except ImportError:
        print("\n--backtest needs the backtest by distance to the decision point (issue 11)")
        return

    config = BacktestConfig() if every_days is None else BacktestConfig(every_days=every_days)
    backtest = replay(load_tables(data_dir), config)
    if rows_out is not None:
        backtest.rows.to_parquet(rows_out, index=False)
    dates = backtest.rows["as_of"].nunique()
    print(
        f"\nBacktest ({dates} dates, every {config.every_days} days): not staying at the "
        "decision point, per band and distance to it"
    )
    with pd.option_context("display.width", 140, "display.max_columns", 20):
        print(distance_summary(backtest.rows).round(3).to_string())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", default="health-demo", help="folder health demo wrote")
    parser.add_argument("--backtest", action="store_true", help="also replay the backtest")
    parser.add_argument("--backtest-rows", help="write the backtest's scored rows to this Parquet")
    parser.add_argument(
        "--every-days", type=int, help="days between backtest dates (default: health backtest's)"
    )
    args = parser.parse_args()
    demo = Path(args.demo)
    scores = pd.read_parquet(demo / "scores" / "scores.parquet")
    explanations = pd.read_parquet(
        demo / "scores" / "explanations.parquet", columns=["feature", "family", "health_points"]
    )
    timing = timing_features()
    days = days_to_renewal(scores)
    shares = point_shares(explanations, timing)
    print(f"Scoring {demo / 'scores'}: {len(scores):,} accounts, as of {scores['as_of'].max()}")
    print(f"timing features: {', '.join(sorted(timing))}")
    print("\nShare of absolute health points")
    print(shares.map(lambda v: f"{v:.1%}").to_string())
    rho = spearman(scores["health_score"].astype(float), days)
    print(
        f"\nSpearman(health score, days to renewal) = {rho:+.3f} "
        f"over {int(days.notna().sum()):,} accounts with a renewal date"
    )
    print(f"accounts scoring exactly 100: {int((scores['health_score'] == 100).sum()):,}")
    if (demo / "data").exists():
        print("\nThe same within each term length (the mix of monthly and annual terms aside)")
        print(spearman_by_term(scores, days, term_lengths(demo / "data", scores)).to_string())
    if "decision_months" in scores and "base_score" in scores:
        print("\nThe yearly footing: per months between decisions (open-ended: the horizon's)")
        print(base_by_cadence(scores).to_string())
    print("\nBands by days to renewal")
    print(bands_by_distance(scores, days).to_string())
    db = demo / "mlflow.db"
    if db.exists():
        print("\nChampions' out-of-time validation")
        with pd.option_context("display.width", 140, "display.max_columns", 20):
            print(model_figures(f"sqlite:///{db.resolve()}").round(4).to_string())
    if args.backtest:
        rows_out = Path(args.backtest_rows) if args.backtest_rows else None
        backtest_figures(demo / "data", rows_out, args.every_days)


if __name__ == "__main__":
    main()
