"""The score backtest and the model-report helpers: hand-computed summaries, then one real replay."""

from __future__ import annotations

import json
import re

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from serving.score import ScoreConfig
from training import backtest as bt
from training import backtest_report, report
from training.train import TrainConfig

D1, D2, D3 = (pd.Timestamp(d) for d in ("2025-01-01", "2025-03-02", "2025-05-01"))


def rows() -> pd.DataFrame:
    """Three dates. A: red twice, churns 2025-04-15. B: green, churns 2025-02-01. C, D: stay.

    ``stayed`` is the outcome at each row's decision point, ``days_to_decision`` away: A's term
    ends 2025-04-15 (104 and 44 days); B is monthly; C and D renew yearly in the autumn (C's last
    row is censored); D's first row is open-ended (decided at the 90-day horizon).
    """
    records = [
        ("A", D1, 30, "red", 0, np.nan, pd.NaT, 0.0, 104),
        ("A", D2, 20, "red", 1, np.nan, pd.Timestamp("2025-04-15"), 0.0, 44),
        ("B", D1, 95, "green", 1, 0.0, pd.Timestamp("2025-02-01"), 0.0, 31),
        ("C", D1, 80, "yellow", 0, 1.0, pd.NaT, 1.0, 250),
        ("C", D2, 35, "red", 0, 1.0, pd.NaT, 1.0, 190),
        ("C", D3, 90, "green", 0, np.nan, pd.NaT, np.nan, 130),
        ("D", D1, 92, "green", 0, np.nan, pd.NaT, 1.0, 90),
        ("D", D2, 93, "green", 0, 1.0, pd.NaT, 1.0, 181),
    ]
    columns = ["account_id", "as_of", "health_score", "band", "churned", "renewed", "churn_date"]
    frame = pd.DataFrame(records, columns=[*columns, "stayed", "days_to_decision"])
    return frame.assign(stay_probability=frame["health_score"] / 100)


def test_band_summary_counts_accounts_churn_and_renewal_per_band():
    by_band = bt.band_summary(rows())
    assert by_band["accounts"].to_dict() == {"red": 3, "yellow": 1, "green": 4}
    assert by_band.loc["red", "churn_rate"] == pytest.approx(1 / 3)
    assert by_band.loc["green", "churn_rate"] == pytest.approx(1 / 4)
    assert by_band.loc["green", "renewal_due"] == 2
    assert by_band.loc["green", "renewal_rate"] == pytest.approx(0.5)
    assert by_band.loc["red", "renewal_rate"] == pytest.approx(1.0)
    # not staying at the decision point: A twice of red's 3 known; B of green's 3 known
    assert by_band["stay_known"].to_dict() == {"red": 3, "yellow": 1, "green": 3}
    assert by_band.loc["red", "not_stay_rate"] == pytest.approx(2 / 3)
    assert by_band.loc["green", "not_stay_rate"] == pytest.approx(1 / 3)
    assert by_band.loc["yellow", "not_stay_rate"] == 0


def test_distance_summary_lifts_red_over_each_distances_base_rate():
    by_distance = bt.distance_summary(rows())
    # 0-90: A (44 days, red, left), B (31, green, left), D (90, green, stayed): base 2/3
    near = by_distance.loc["0-90"]
    assert near["accounts"] == 3 and near["base_not_stay_rate"] == pytest.approx(2 / 3)
    assert near["accounts_red"] == 1 and near["lift_red"] == pytest.approx(1 / (2 / 3))
    assert near["predicted_not_stay"] == pytest.approx(1 - (20 + 95 + 92) / 300)
    # 90-180: A (104, red, left) only; C's 130-day row is censored and left out
    middle = by_distance.loc["90-180"]
    assert middle["accounts"] == 1 and middle["lift_red"] == pytest.approx(1.0)
    # >180: C (250 yellow, 190 red) and D (181 green) all stayed: no base rate to lift over
    far = by_distance.loc[">180"]
    assert far["accounts"] == 3 and far["base_not_stay_rate"] == 0
    assert np.isnan(far["lift_red"]) and far["not_stay_rate_red"] == 0


def test_warning_runs_from_the_first_of_the_unbroken_reds():
    warnings = bt.warning_times(rows())
    assert warnings.to_dict("records") == [
        {
            "account_id": "A",
            "churn_date": pd.Timestamp("2025-04-15"),
            "first_red": D1,
            "days_of_warning": (pd.Timestamp("2025-04-15") - D1).days,
        }
    ]


def test_summary_metrics_lift_and_caught_churns():
    data = rows()
    by_band = bt.band_summary(data)
    by_score = bt.score_range_summary(data, ScoreConfig(green_from=90, red_below=40))
    metrics = bt.summary_metrics(by_band, by_score, bt.warning_times(data), data)
    assert metrics["base_churn_rate"] == pytest.approx(2 / 8)
    assert metrics["red_lift"] == pytest.approx((1 / 3) / (2 / 8))
    assert metrics["base_not_stay_rate"] == pytest.approx(3 / 7)
    assert metrics["red_lift_not_stay"] == pytest.approx((2 / 3) / (3 / 7))
    assert metrics["red_lift_not_stay_0_90"] == pytest.approx(1.5)
    assert metrics["churns"] == 2 and metrics["churns_caught_by_red"] == 1
    assert metrics["median_warning_days"] == 104
    assert metrics["accounts_score_0_39"] == 3 and metrics["accounts_score_90_100"] == 4


def test_score_ranges_follow_the_band_thresholds():
    by_score = bt.score_range_summary(rows(), ScoreConfig(green_from=85, red_below=45))
    assert "40-44" in by_score.index and "85-89" in by_score.index
    assert by_score.loc["40-44", "band"] == "red" and by_score.loc["85-89", "band"] == "green"
    assert by_score["accounts"].sum() == len(rows())


def test_training_rows_are_settled_before_the_backtest_date():
    # the health label is known 14 days (grace) after the decision point: the term end, or 90
    # days on for an open-ended subscription
    matrix = pd.DataFrame(
        {
            "as_of": pd.to_datetime(["2025-01-01", "2025-01-31", "2025-03-02", "2025-03-02"]),
            "days_to_term_end": [300.0, np.nan, 60.0, 61.0],
        }
    )
    kept = bt.known_before(matrix, pd.Timestamp("2025-05-15"))
    # 2025-01-01 + 314 days is 2025-11-11: not yet; 2025-01-31 + 104 = 2025-05-15: just
    assert kept["as_of"].tolist() == [pd.Timestamp("2025-01-31"), pd.Timestamp("2025-03-02")]
    assert kept["days_to_term_end"].tolist() == [pytest.approx(np.nan, nan_ok=True), 60.0]


def test_lift_curve_by_hand():
    share, lift = report.lift_curve(np.array([1, 0, 0, 0]), np.array([0.9, 0.1, 0.2, 0.3]), 4)
    assert share.tolist() == [0.25, 0.5, 0.75, 1.0]
    assert lift.tolist() == pytest.approx([4.0, 2.0, 4 / 3, 1.0])


def test_outcome_groups_bands_for_the_health_model_fifths_otherwise():
    # the health model's probability is of staying: health = 100 x p
    predictions = pd.DataFrame(
        {"probability": [0.95, 0.8, 0.5, 0.1, 0.99], "label": [1, 1, 0, 0, 1]}
    )
    bands = report.outcome_groups(predictions, "stayed", ScoreConfig(green_from=90, red_below=75))
    assert bands.tolist() == ["green", "yellow", "red", "red", "green"]
    table = report.realised_by_group(predictions, bands)
    assert table["rows"].to_dict() == {"red": 2, "yellow": 1, "green": 2}
    assert table.loc["red", "realised"] == 0.0
    assert report.outcome_groups(predictions, "churned").name == "predicted fifth"
    fifths = report.outcome_groups(
        predictions.assign(probability=[0.05, 0.2, 0.5, 0.9, 0.01]), "renewed"
    )
    assert fifths.tolist() == ["2nd", "3rd", "4th", "highest fifth", "lowest fifth"]


@pytest.mark.slow
def test_backtest_report_matches_its_mlflow_run(tmp_path, tracking, demo_tables):
    dates = ("2025-05-20", "2025-09-01")
    config = bt.BacktestConfig(dates=dates, train=TrainConfig(every_days=45))
    result = bt.run_backtest(demo_tables, tmp_path / "backtest.html", config)
    summary = result.summary

    for fit in summary.by_date.itertuples():  # no label it trained on is known after the date
        assert fit.validation_to < fit.as_of and fit.labels_known_by <= fit.as_of
    assert sorted(summary.by_date["as_of"]) == [pd.Timestamp(d) for d in dates]

    run = MlflowClient().get_run(result.run_id)
    logged = run.data.metrics
    assert logged["scored_rows"] == len(result.backtest.rows) > 300
    assert logged["accounts_red"] + logged["accounts_yellow"] + logged["accounts_green"] == len(
        result.backtest.rows
    )

    html = result.report.read_text()
    assert html.startswith("<!DOCTYPE html>") and "</html>" in html
    assert html.count('src="data:image/png;base64,') == 4
    assert not re.search(r'src="(?!data:)', html)  # self-contained: opens anywhere
    embedded = json.loads(re.search(r'id="metrics">(.*?)</script>', html).group(1))
    for name, value in embedded.items():
        if value is None:
            assert np.isnan(logged[name])
        else:
            assert logged[name] == pytest.approx(value)
    for band in bt.BANDS:
        assert f"{logged[f'accounts_{band}']:.0f}</td>" in html
    # the story in one unit: the bands' recalls cover every account-date that did not stay, and
    # the headline reads each band's share from the logged numbers
    assert sum(logged[f"story_recall_{b}"] for b in bt.BANDS) == pytest.approx(1.0)
    for band in bt.BANDS:
        share = logged[f"story_share_of_account_dates_{band}"]
        assert f"{band} held {share:.1%} of them" in html
    assert "account-dates" in html and "95% interval (Wilson)" in html

    # The figures are drawn from the logged numbers: bar heights equal the run's metrics.
    figure = backtest_report.band_outcomes_figure(summary.by_band, logged["base_churn_rate"])
    counts, churn, _ = figure.axes
    assert [p.get_height() for p in counts.patches] == [logged[f"accounts_{b}"] for b in bt.BANDS]
    expected = [np.nan_to_num(logged[f"churn_rate_{b}"]) for b in bt.BANDS]
    assert [p.get_height() for p in churn.patches] == pytest.approx(expected)
    assert churn.lines[0].get_ydata()[0] == pytest.approx(logged["base_churn_rate"])

    artifacts = {a.path for a in MlflowClient().list_artifacts(result.run_id, "backtest")}
    assert "backtest/backtest.html" in artifacts
    by_band = mlflow.load_table("backtest/by_band.json", run_ids=[result.run_id])
    assert by_band.set_index("band")["accounts"].to_dict() == {
        b: int(logged[f"accounts_{b}"]) for b in bt.BANDS
    }


def test_the_yearly_footing_of_a_realised_rate_by_hand():
    # Four monthly rows, one left: 0.25 a month is 1 - 0.75^12 = 0.968324 a year; two annual
    # rows, one left: 0.5. Over the six rows: (4 x 0.968324 + 2 x 0.5) / 6 = 0.812216.
    left = pd.Series([1.0, 0.0, 0.0, 0.0, 1.0, 0.0])
    months = pd.Series([1.0, 1.0, 1.0, 1.0, 12.0, 12.0])
    assert bt.year_not_stay_rate(left, months) == pytest.approx(0.812216, abs=1e-6)
    assert bt.year_not_stay_rate(left[4:], months[4:]) == 0.5  # annual rows count as they are
    assert np.isnan(bt.year_not_stay_rate(left[:0], months[:0]))


def story_rows() -> pd.DataFrame:
    """Eleven account-dates: red 2 (both left), yellow 3 (1 left), green 5 (1 left) and a green
    one whose decision is not known yet (not counted)."""
    bands = ["red"] * 2 + ["yellow"] * 3 + ["green"] * 6
    stayed = [0, 0, 0, 1, 1, 0, 1, 1, 1, 1, np.nan]
    return pd.DataFrame({"band": bands, "stayed": stayed})


def test_the_story_per_band_by_hand():
    story = bt.band_story(story_rows())
    # 10 known account-dates, 4 did not stay: the base rate is 0.4.
    assert story["account_dates"].to_dict() == {"red": 2, "yellow": 3, "green": 5}
    assert story["share_of_account_dates"].to_dict() == pytest.approx(
        {"red": 0.2, "yellow": 0.3, "green": 0.5}
    )
    assert story["not_stayed"].to_dict() == {"red": 2, "yellow": 1, "green": 1}
    # rates 2/2, 1/3, 1/5; lifts over 0.4: 2.5, 0.8333, 0.5; recall of the 4: 2/4, 1/4, 1/4
    assert story["not_stay_rate"].to_dict() == pytest.approx(
        {"red": 1.0, "yellow": 1 / 3, "green": 0.2}
    )
    assert story["lift"].to_dict() == pytest.approx({"red": 2.5, "yellow": 0.833333, "green": 0.5})
    assert story["recall"].to_dict() == pytest.approx({"red": 0.5, "yellow": 0.25, "green": 0.25})
    # Wilson, z = 1.959964 (z^2 = 3.841459). 2 of 2: low = n / (n + z^2) = 2 / 5.841459 =
    # 0.342380, high 1. 1 of 5: centre (0.2 + 0.384146) / 1.768292 = 0.330345, half
    # (1.959964 / 1.768292) x sqrt(0.032 + 0.038415) = 0.294120: 0.036224 to 0.624465.
    assert story.loc["red", ["not_stay_low", "not_stay_high"]].tolist() == pytest.approx(
        [0.342380, 1.0], abs=1e-6
    )
    assert story.loc["green", ["not_stay_low", "not_stay_high"]].tolist() == pytest.approx(
        [0.036224, 0.624465], abs=1e-6
    )


def test_a_wilson_interval_of_an_empty_bin_is_not_a_number():
    assert all(np.isnan(v) for v in bt.wilson_interval(0, 0))


def test_warning_time_runs_from_the_first_red_or_yellow_before_the_churn():
    # X: yellow on D1, red on D2, churns 2025-04-01: red or yellow from D1, 90 days; red alone
    # from D2, 30 days. Y: green on D1, yellow on D2, churns 2025-03-12: 10 days (yellow only).
    # Z: yellow on D2, the day its term ends and it leaves: a row on its churn date warns of
    # nothing.
    d1, d2 = pd.Timestamp("2025-01-01"), pd.Timestamp("2025-03-02")
    x, y = pd.Timestamp("2025-04-01"), pd.Timestamp("2025-03-12")
    frame = pd.DataFrame(
        {
            "account_id": ["X", "X", "Y", "Y", "Z"],
            "as_of": [d1, d2, d1, d2, d2],
            "band": ["yellow", "red", "green", "yellow", "yellow"],
            "churned": [0, 1, 0, 1, 1],
            "churn_date": [pd.NaT, x, pd.NaT, y, d2],
        }
    )
    early = bt.warning_times(frame, ("red", "yellow")).set_index("account_id")
    assert early["days_of_warning"].to_dict() == {"X": 90, "Y": 10}
    assert early["days_of_warning"].median() == 50
    red = bt.warning_times(frame).set_index("account_id")
    assert red["days_of_warning"].to_dict() == {"X": 30}


def test_the_story_on_the_yearly_footing_by_hand():
    # Red: two monthly account-dates, one left: 0.5 a month is 1 - 0.5^12 = 0.999756 a year.
    # Green: two annual ones, one left: 0.5. Base, per cadence over all four rows:
    # (2 x 0.999756 + 2 x 0.5) / 4 = 0.749878. Lifts 0.999756 / 0.749878 = 1.333225 and
    # 0.5 / 0.749878 = 0.666775; the year's leavers 2 x 0.999756 + 2 x 0.5 = 2.999512, of which
    # red holds 1.999512 (0.666612) and green 1 (0.333388). At the decision itself both lift 1.
    frame = pd.DataFrame(
        {
            "band": ["red", "red", "green", "green"],
            "stayed": [0.0, 1.0, 0.0, 1.0],
            "decision_months": [1.0, 1.0, 12.0, 12.0],
        }
    )
    story = bt.band_story(frame)
    assert story["lift"].tolist()[0] == story["lift"].tolist()[2] == pytest.approx(1.0)
    assert story.loc["red", "year_not_stay_rate"] == pytest.approx(0.999756, abs=1e-6)
    assert story.loc["red", "year_lift"] == pytest.approx(1.333225, abs=1e-6)
    assert story.loc["green", "year_lift"] == pytest.approx(0.666775, abs=1e-6)
    assert story.loc["red", "year_recall"] == pytest.approx(0.666612, abs=1e-6)
    assert story.loc["green", "year_recall"] == pytest.approx(0.333388, abs=1e-6)
    assert story.loc["yellow", "account_dates"] == 0 and story.loc["yellow", "year_recall"] == 0
