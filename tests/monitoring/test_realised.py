"""Realised performance of an earlier scoring on a hand-made company, computed by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from features.contract import Tables
from monitoring.realised import realised_outcomes, realised_summary


@pytest.fixture
def company() -> Tables:
    ts = pd.Timestamp
    subscriptions = pd.DataFrame(
        {
            "account_id": ["A", "B", "C", "C", "D", "D"],
            # A leaves on 2025-02-01; B runs open-ended; C renews on 2025-03-01; D's term ends
            # outside both windows and is renewed (which also dates the data to 2025-06-01)
            "start_date": [ts("2024-02-01"), ts("2024-06-01"), ts("2024-03-01"), ts("2025-03-01"),
                           ts("2024-06-01"), ts("2025-06-01")],
            "end_date": [ts("2025-02-01"), pd.NaT, ts("2025-03-01"), ts("2026-03-01"),
                         ts("2025-06-01"), ts("2026-06-01")],
        }
    )  # fmt: skip
    accounts = pd.DataFrame({"account_id": ["A", "B", "C", "D"]})
    return Tables(accounts=accounts, subscriptions=subscriptions)


def scoring(as_of: str, churn: list[float], renewal: list[float], bands: list[str]):
    return pd.DataFrame(
        {
            "account_id": ["A", "B", "C", "D"],
            "as_of": pd.Timestamp(as_of),
            "churn_probability": churn,
            "renewal_probability": renewal,
            "band": bands,
        }
    )


def test_realised_performance_matches_hand_computation(company):
    scores = scoring(
        "2025-01-01",
        churn=[0.8, 0.1, 0.3, 0.9],
        renewal=[0.6, float("nan"), 0.7, float("nan")],
        bands=["red", "green", "yellow", "red"],
    )
    outcomes = realised_outcomes(company, scores)
    # churned within 90 days of 2025-01-01: only A (coverage ends 2025-02-01, never resumes)
    assert outcomes["churned"].tolist() == [1.0, 0.0, 0.0, 0.0]
    # renewal due within 120 days: A (2025-02-01, not renewed) and C (2025-03-01, renewed)
    assert outcomes["renewed"].isna().tolist() == [False, True, False, True]
    assert outcomes.loc[[0, 2], "renewed"].tolist() == [0.0, 1.0]

    summary = realised_summary(outcomes)
    assert summary["status"] == "realised"
    churn = summary["churn"]
    # A (0.8) is above B (0.1) and C (0.3) but below D (0.9): 2 of 3 pairs ranked right
    assert churn["roc_auc"] == pytest.approx(2 / 3)
    # ((1 - 0.8)^2 + 0.1^2 + 0.3^2 + 0.9^2) / 4 = (0.04 + 0.01 + 0.09 + 0.81) / 4
    assert churn["brier"] == pytest.approx(0.2375)
    assert churn["mean_predicted"] == pytest.approx(0.525)
    assert churn["realised_rate"] == 0.25
    renewal = summary["renewal"]
    assert renewal["accounts"] == 2
    assert renewal["roc_auc"] == 1.0
    assert renewal["brier"] == pytest.approx((0.6**2 + 0.3**2) / 2)

    bands = summary["bands"].set_index("band")
    assert bands.loc["red", "accounts"] == 2
    assert bands.loc["red", "predicted_churn"] == pytest.approx(0.85)
    assert bands.loc["red", "realised_churn"] == 0.5
    assert bands.loc["green", "realised_churn"] == 0.0
    assert bands.loc["yellow", "realised_renewal"] == 1.0


def test_scoring_whose_horizon_has_not_passed_is_pending(company):
    # 2025-05-01 + 90 + 14 days is past the data's end (2025-06-01): every churn label censored
    scores = scoring("2025-05-01", [0.1, 0.2, 0.3, 0.4], [float("nan")] * 4, ["green"] * 4)
    outcomes = realised_outcomes(company, scores[scores["account_id"].isin(["B", "C", "D"])])
    summary = realised_summary(outcomes)
    assert summary["status"] == "pending"
    assert summary["outcomes_known_from"] == "2025-08-13"
    assert summary["churn"]["accounts"] == 0
