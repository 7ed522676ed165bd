"""Health score, bands and health points, with every expected value worked out by hand."""

from __future__ import annotations

import warnings

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from serving.bands import (
    BANDS,
    BandConfig,
    band,
    band_label,
    band_rules,
    decision_months,
    health_score,
)
from serving.calibration import Calibrator
from serving.model import HealthModel
from serving.score import (
    ScoreConfig,
    family_codes,
    family_points,
    health_points,
    probability_scores,
)

YEARLY = np.full(6, 12.0)  # an annual term: the yearly footing is the probability as it is


def test_health_score_rounds_100_times_the_chance_of_staying():
    # 0.896 -> 89.6 -> 90; 0.895 -> 89.5 -> 90 (half to even); 0.885 -> 88.5 -> 88.
    assert list(health_score(np.array([1.0, 0.896, 0.895, 0.885, 0.7499, 0.0]), YEARLY)) == [
        100,
        90,
        90,
        88,
        75,
        0,
    ]


def test_health_score_is_a_whole_number_from_any_numbers():
    scores = health_score(pd.Series([0.896, 0.5], dtype=object), YEARLY[:2])  # e.g. from text
    assert scores.dtype.kind == "i" and list(scores) == [90, 50]


def test_months_between_decisions_are_the_terms_whole_months_or_the_horizons():
    # 28 and 31 days: 1 month; 351 days = 11.53 months and 380 = 12.48: 12; 730: 24; a 3-day
    # term still decides at most monthly (at least 1); open-ended: a 90-day horizon is 2.96 -> 3.
    days = np.array([28, 31, 351, 365, 366, 380, 730, 3, np.nan])
    assert list(decision_months(days, 90)) == [1, 1, 12, 12, 12, 12, 24, 1, 3]


def test_the_yearly_footing_by_hand():
    # Monthly 0.98 a month: 0.98^12 = 0.7847 -> 78. Annual 0.82: 82. Open-ended over a 3-month
    # horizon 0.95: 0.95^4 = 0.8145 -> 81. A two-year term 0.81: 0.81^(1/2) = 0.9 -> 90.
    p = np.array([0.98, 0.82, 0.95, 0.81])
    assert list(health_score(p, np.array([1.0, 12.0, 3.0, 24.0]))) == [78, 82, 81, 90]


def test_band_edges_with_the_default_thresholds():
    scores = np.array([100, 80, 79, 60, 59, 0])
    assert list(band(scores, BandConfig())) == ["green", "green", "yellow", "yellow", "red", "red"]


def test_band_configuration_must_be_ordered_inside_0_to_101():
    assert BandConfig(green_from=75, red_below=75).green_from == 75  # no yellow band: allowed
    assert BandConfig(green_from=101, red_below=0).red_below == 0  # nobody green or red
    for green, red in [(60, 61), (102, 50), (80, -1)]:
        with pytest.raises(
            ValueError, match=rf"^bands need 0 <= red_below \({red}\) <= green_from \({green}\)$"
        ):
            BandConfig(green_from=green, red_below=red)


def test_band_rules_and_labels_in_words():
    config = BandConfig(green_from=90, red_below=75)
    assert BANDS == ("red", "yellow", "green")
    assert band_rules(config) == {
        "red": "health_score < 75",
        "yellow": "75 <= health_score < 90",
        "green": "health_score >= 90",
    }
    assert [band_label(b, config) for b in BANDS] == [
        "red (health < 75)",
        "yellow (75-89)",
        "green (health >= 90)",
    ]


def tiny_model(calibrator: Calibrator, target: str = "churned") -> HealthModel:
    """A real packaged model (a two-tree booster on one feature) with the given calibrator."""
    x = pd.DataFrame({"mrr": np.arange(40, dtype=float)})
    booster = lgb.train(
        {"objective": "binary", "verbosity": -1, "min_data_in_leaf": 5, "num_threads": 1},
        lgb.Dataset(x, label=(np.arange(40) % 3 == 0).astype(int)),
        num_boost_round=2,
    )
    return HealthModel(booster.model_to_string(), ["mrr"], {}, calibrator, target)


def test_health_points_by_hand_through_a_platt_calibrator():
    # Platt a=1, b=1 maps sigmoid(z) to sigmoid(z + 1).
    model = tiny_model(Calibrator("platt", a=1.0, b=1.0))
    contributions = np.array([[0.5, -0.2], [0.4, -0.4]])
    points, base_score = health_points(contributions, np.array([0.0, 0.0]), model, YEARLY[:2])
    # Base: 100 (1 - sigmoid(1)) = 26.894142. Row 0: margin 0.3, score 100 (1 - sigmoid(1.3)) =
    # 21.416502; the move -5.477640 is shared 0.5 : -0.2 of the total 0.3.
    assert base_score == pytest.approx([26.894142, 26.894142])
    assert points[0] == pytest.approx([-9.129400, 3.651760], abs=1e-5)
    # Row 1: contributions cancel; no move to share.
    assert list(points[1]) == [0.0, 0.0]


def test_health_points_share_each_rows_own_move_and_warn_of_nothing():
    import warnings

    model = tiny_model(Calibrator("platt", a=1.0, b=1.0))
    # Rows of different totals: 0.3, 0 (cancelling), 0.9, and 1e-12 (no move: at most 1e-12).
    contributions = np.array([[0.5, -0.2], [0.4, -0.4], [0.6, 0.3], [1e-12, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 0 / 0 where the contributions cancel is not reported
        points, base_score = health_points(contributions, np.zeros(4), model, YEARLY[:4])
    assert base_score == pytest.approx([26.894142] * 4)
    assert points[0] == pytest.approx([-9.129400, 3.651760], abs=1e-5)
    assert list(points[1]) == [0.0, 0.0]
    # Row 2: margin 0.9, score 100 (1 - sigmoid(1.9)) = 13.010847; the move -13.883295 is shared
    # 0.6 : 0.3 of the total 0.9.
    assert points[2] == pytest.approx([-9.255530, -4.627765], abs=1e-5)
    assert list(points[3]) == [0.0, 0.0]


def test_health_points_of_the_health_model_are_100_times_staying():
    # The health model's target is staying: base 100 sigmoid(1) = 73.105858; row 0 scores
    # 100 sigmoid(1.3) = 78.583498, a move of +5.477640 shared 0.5 : -0.2 of the total 0.3.
    model = tiny_model(Calibrator("platt", a=1.0, b=1.0), target="stayed")
    contributions = np.array([[0.5, -0.2]])
    points, base_score = health_points(contributions, np.array([0.0]), model, YEARLY[:1])
    assert base_score == pytest.approx([73.105858])
    assert points[0] == pytest.approx([9.129400, -3.651760], abs=1e-5)


def test_health_points_of_a_monthly_account_are_on_the_yearly_footing():
    # Monthly: base 100 sigmoid(1)^12 = 2.330377; the row scores 100 sigmoid(1.3)^12 = 5.545954,
    # a move of +3.215578 shared 0.5 : -0.2 of the total 0.3; base plus points is the score.
    model = tiny_model(Calibrator("platt", a=1.0, b=1.0), target="stayed")
    contributions = np.array([[0.5, -0.2]])
    points, base_score = health_points(contributions, np.array([0.0]), model, np.array([1.0]))
    assert base_score == pytest.approx([2.330377], abs=1e-6)
    assert points[0] == pytest.approx([5.359296, -2.143719], abs=1e-6)


def test_family_points_sum_each_familys_features():
    features = ["events_30d", "active_days_30d", "open_tickets", "mrr", "mrr_change_pct"]
    frame = pd.DataFrame(
        {
            "events_30d": [10.0, 3.0],
            "active_days_30d": [4.0, 2.0],
            "open_tickets": [1.0, 0.0],
            "mrr": [100.0, 50.0],
            "mrr_change_pct": [0.1, np.nan],  # a first term: no earlier price
        }
    )
    points = np.array([[1.0, 2.0, -4.0, 3.0, -1.0], [0.5, 0.0, 1.5, -2.0, -6.0]])
    families = family_points(points, family_codes(frame, features))
    assert list(families["usage"]) == [3.0, 0.5]
    assert list(families["support"]) == [-4.0, 1.5]
    assert list(families["sentiment"]) == [0.0, 0.0]
    # MRR is who the account is; a missing price change says it has no history, not what it did
    assert list(families["contract"]) == [-1.0, 0.0]
    assert list(families["profile"]) == [3.0, -8.0]


def test_probability_scores_columns_by_hand():
    frame = pd.DataFrame(
        {
            "account_id": ["a", "b"],
            "as_of": pd.Timestamp("2025-06-01"),
            "days_to_term_end": [30, None],
            "mrr": [1000.0, 200.0],
        }
    )
    with warnings.catch_warnings():  # nothing deprecated: pandas 4 refuses what 3 warns about
        warnings.simplefilter("error")
        out = probability_scores(
            frame,
            np.array([0.95, 0.95]),  # staying at the next decision point: the health score
            np.array([1.0, 3.0]),  # a monthly term; open-ended over a 3-month horizon
            np.array([0.3, 0.05]),  # leaving within the horizon: the calendar
            np.array([0.6, np.nan]),
            ScoreConfig(),
        )
    # The same chance at the next decision on the yearly footing: 0.95^12 = 0.540 a year for
    # the monthly account, 0.95^4 = 0.815 for the open-ended one.
    assert list(out["health_score"]) == [54, 81]
    assert list(out["band"]) == ["red", "green"]
    assert list(out["year_stay_probability"]) == pytest.approx([0.540360, 0.814506], abs=1e-6)
    assert list(out["arr"]) == [12000.0, 2400.0]
    assert list(out["arr_at_risk"]) == pytest.approx([3600.0, 120.0])  # p(churn) x 12 x MRR
    assert out["renewal_due_in_days"].iloc[0] == 30 and np.isnan(out["renewal_due_in_days"].iloc[1])
    assert out["renewal_date"].iloc[0] == pd.Timestamp("2025-07-01")
    assert pd.isna(out["renewal_date"].iloc[1])
    assert list(out.columns) == [
        "account_id",
        "as_of",
        "stay_probability",
        "decision_months",
        "year_stay_probability",
        "health_score",
        "band",
        "churn_probability",
        "renewal_probability",
        "renewal_date",
        "renewal_due_in_days",
        "mrr",
        "arr",
        "arr_at_risk",
        "plan",
    ]
    assert list(out["account_id"]) == ["a", "b"]
    assert (out["as_of"] == pd.Timestamp("2025-06-01")).all()
    assert list(out["stay_probability"]) == [0.95, 0.95]
    assert list(out["churn_probability"]) == [0.3, 0.05]
    assert out["renewal_probability"].iloc[0] == 0.6 and np.isnan(
        out["renewal_probability"].iloc[1]
    )
    # No revenue or term-end columns: NaN, not zero.
    bare = probability_scores(
        frame[["account_id", "as_of"]],
        np.array([0.7, 0.95]),
        np.array([12.0, 12.0]),
        np.array([0.3, 0.05]),
        np.array([0.6, 0.1]),
        ScoreConfig(),
    )
    assert bare["arr_at_risk"].isna().all() and bare["renewal_due_in_days"].isna().all()
    assert bare["renewal_date"].isna().all() and bare["arr"].isna().all()


def test_an_open_ended_horizon_shorter_than_a_month_still_decides_monthly():
    # 14 days are 0.46 months, rounded to 0: at least 1; 60 days are 1.97: 2
    assert list(decision_months(np.array([np.nan]), 14)) == [1]
    assert list(decision_months(np.array([np.nan]), 60)) == [2]


def test_the_scores_carry_each_accounts_months_as_floats():
    frame = pd.DataFrame({"account_id": ["a", "b"], "as_of": pd.Timestamp("2025-06-01")})
    out = probability_scores(
        frame,
        np.array([0.9, 0.9]),
        [1, 12],
        np.array([0.1, 0.1]),
        np.array([0.5, 0.5]),
        ScoreConfig(),
    )
    assert out["decision_months"].dtype == np.float64
    assert list(out["decision_months"]) == [1.0, 12.0]
    # 0.9 a month is 0.9^12 = 0.2824 a year: 28; 0.9 a year: 90
    assert list(out["health_score"]) == [28, 90]
