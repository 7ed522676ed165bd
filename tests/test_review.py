"""The explanation-review helpers on tiny hand-made scoring outputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from health import review
from health.review import Scoring

FAMILIES = ("usage", "adoption", "sentiment", "support", "contract")


def scoring(as_of: str, rows: dict[str, tuple[int, str, float, dict[str, float]]]) -> Scoring:
    """rows: account -> (health, band, base score, {feature: health points}); values are 1, 2, ..."""
    scores, explanations = [], []
    for account, (health, band, base, points) in rows.items():
        family = {f"points_{f}": 0.0 for f in FAMILIES}
        for i, (feature, value) in enumerate(points.items(), start=1):
            family[f"points_{review.FEATURES[feature].family}"] += value
            explanations.append(
                {
                    "account_id": account,
                    "as_of": pd.Timestamp(as_of),
                    "feature": feature,
                    "family": review.FEATURES[feature].family,
                    "value": str(float(i)),
                    "shap_value": -value / 10,
                    "health_points": value,
                }
            )
        scores.append(
            {
                "account_id": account,
                "as_of": pd.Timestamp(as_of),
                "stay_probability": health / 100,
                "health_score": health,
                "band": band,
                "base_score": base,
                **family,
                "risk_driver_1": f"{account} uses the product less",
                "protective_driver": None,
            }
        )
    return Scoring(pd.DataFrame(scores), pd.DataFrame(explanations))


NOW = scoring(
    "2025-06-01",
    {
        "A": (60, "red", 80.0, {"events_30d": -15.0, "tickets_30d": -5.0}),
        "B": (95, "green", 80.0, {"events_30d": 10.0, "tickets_30d": 5.0}),
    },
)
BEFORE = scoring(
    "2025-05-01",
    {
        "A": (90, "green", 80.0, {"events_30d": 5.0, "tickets_30d": 5.0}),
        "B": (93, "green", 80.0, {"events_30d": 8.0, "tickets_30d": 5.0}),
        "C": (50, "red", 80.0, {"events_30d": -30.0, "tickets_30d": 0.0}),
    },
)


def test_score_changes_split_each_move_into_families():
    changes = review.score_changes(NOW, BEFORE).set_index("account_id")
    assert list(changes.index) == ["A", "B"]  # C was not scored now; largest move first
    a = changes.loc["A"]
    assert (a["health_before"], a["health_now"], a["health_change"]) == (90, 60, -30)
    assert (a["band_before"], a["band_now"]) == ("green", "red")
    assert a["change_usage"] == -20 and a["change_support"] == -10 and a["change_base"] == 0
    parts = changes.filter(like="change_").drop(columns="health_change", errors="ignore")
    assert np.allclose(parts.sum(axis=1), changes["health_change"])


def test_move_drivers_rank_features_by_points_change():
    drivers = review.move_drivers(NOW, BEFORE, ["A", "B"], top=1)
    assert drivers["account_id"].tolist() == ["A", "B"]
    assert drivers.loc[0, "feature"] == review.FEATURES["events_30d"].phrase
    assert drivers.loc[0, "points_change"] == -20.0
    assert drivers.loc[1, "points_change"] == 2.0


def test_account_explanation_adds_up_to_the_score():
    explanation = review.account_explanation(NOW, "A")
    assert explanation.base_values + explanation.values.sum() == pytest.approx(60.0)
    assert list(explanation.data) == [1.0, 2.0]


def test_explanation_matrix_is_accounts_by_features_with_numeric_values():
    values, data = review.explanation_matrix(NOW.explanations)
    assert values.shape == (2, 2) and values.loc["B", "events_30d"] == 10.0
    odd = NOW.explanations.assign(value=["gold", "nan", "3", "None"])
    _, data = review.explanation_matrix(odd)
    assert data.isna().sum().sum() == 3 and data.loc["B", "events_30d"] == 3.0


def test_band_counts_keep_empty_bands_and_red_first():
    counts = review.band_counts(NOW.scores)
    assert counts.to_dict() == {"red": 1, "yellow": 0, "green": 1}


def test_defaults_pick_the_riskiest_and_healthiest_accounts():
    assert review.riskiest_account(BEFORE.scores) == "C"
    assert review.healthiest_account(BEFORE.scores) == "B"


def test_sentences_list_risks_then_protection():
    assert review.account_sentences(NOW.scores, "A") == ["Risk: A uses the product less"]
    with pytest.raises(KeyError, match="not in this scoring output"):
        review.account_sentences(NOW.scores, "Z")


def test_family_points_summarise_per_family():
    table = review.family_points(NOW.scores)
    assert table.loc["usage", "mean_points"] == pytest.approx(-2.5)
    assert table.loc["usage", "mean_abs_points"] == pytest.approx(12.5)
    assert table.loc["usage", "accounts_lowered_5_plus"] == 1
    assert table.index[0] == "usage"


def test_load_scoring_picks_one_date_and_finds_relative_folders(tmp_path, monkeypatch):
    folder = tmp_path / "demo" / "scores"
    folder.mkdir(parents=True)
    both = pd.concat([NOW.scores, BEFORE.scores])
    both.to_parquet(folder / "scores.parquet")
    pd.concat([NOW.explanations, BEFORE.explanations]).to_parquet(folder / "explanations.parquet")
    inner = tmp_path / "notebooks"
    inner.mkdir()
    monkeypatch.chdir(inner)  # as Jupyter runs a notebook: from its own folder
    latest = review.load_scoring("demo/scores")
    assert latest.as_of == pd.Timestamp("2025-06-01") and len(latest.scores) == 2
    earlier = review.load_scoring("demo/scores", "2025-05-01")
    assert set(earlier.explanations["account_id"]) == {"A", "B", "C"}
    with pytest.raises(ValueError, match="no scores as of 2025-01-01"):
        review.load_scoring("demo/scores", "2025-01-01")
    with pytest.raises(FileNotFoundError, match="health demo"):
        review.load_scoring("nowhere/scores")


def test_figures_draw_from_the_data():
    fig = review.band_figure(NOW.scores)
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert heights == [1, 0, 1]
    movers = review.movers_figure(review.score_changes(NOW, BEFORE))
    assert len(movers.axes[0].get_yticklabels()) == 2
    assert review.comparison_figure(NOW, "A", "B").axes


def test_the_waterfall_reads_a_known_category_as_known_and_marks_the_profile():
    rows = pd.DataFrame(
        {
            "feature": ["country", "events_30d", "latest_nps"],
            "value": [np.nan, 12.0, np.nan],
            "category": ["US", None, None],
        }
    )
    assert review.known_values(rows) == ["US", "12", "missing"]
    explanation = review.account_explanation(NOW, "A")
    assert list(explanation.feature_names) == [
        "product events in the last 30 days",
        "support tickets in the last 30 days",
    ]
    profile = NOW.explanations.assign(feature=["country", "events_30d", "country", "events_30d"])
    names = review.account_explanation(Scoring(NOW.scores, profile), "A").feature_names
    assert names == ["country (profile)", "product events in the last 30 days"]


def test_an_accounts_reasons_with_their_points_and_its_families_with_the_profile():
    scores = NOW.scores.assign(
        risk_impact_1=[-12.34, np.nan],
        risk_driver_2=["Active on 7 of the last 30 days; accounts like it that stayed: 21", None],
        risk_impact_2=[-3.0, np.nan],
        protective_driver=[None, "Latest NPS score is 10 out of 10"],
        protective_impact=[np.nan, 4.25],
        points_profile=[-3.0, 2.0],
    )
    table = review.account_reasons(scores, "A")
    assert table.to_dict("records") == [
        {"kind": "risk", "reason": "A uses the product less", "points": -12.3},
        {
            "kind": "risk",
            "reason": "Active on 7 of the last 30 days; accounts like it that stayed: 21",
            "points": -3.0,
        },
    ]
    assert review.account_reasons(scores, "B")["kind"].tolist() == ["risk", "protects"]
    families = review.account_families(scores, "A")
    assert families.to_dict() == {
        "base score": 80.0,
        "usage": -15.0,
        "adoption": 0.0,
        "sentiment": 0.0,
        "support": -5.0,
        "contract": 0.0,
        "profile": -3.0,
        "health score": 60.0,
    }
