"""PSI, binned references and feature drift, against numbers worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from monitoring.drift import drift_status, feature_drift, psi
from serving.calibration import Calibrator
from serving.model import HealthModel
from serving.reference import feature_references, numeric_reference, numeric_shares


def test_psi_by_hand():
    # (0.25 - 0.5) ln(0.25 / 0.5) + (0.75 - 0.5) ln(0.75 / 0.5)
    expected = 0.25 * math.log(2) + 0.25 * math.log(1.5)
    assert psi([0.5, 0.5], [0.25, 0.75]) == pytest.approx(expected)
    assert psi([0.2, 0.3, 0.5], [0.2, 0.3, 0.5]) == 0.0


def test_psi_floors_empty_bins():
    # an empty reference bin counts as 1e-4: (0.1 - 1e-4) ln(0.1 / 1e-4) + (0.9 - 1) ln(0.9)
    expected = (0.1 - 1e-4) * math.log(0.1 / 1e-4) + (-0.1) * math.log(0.9)
    assert psi([1.0, 0.0], [0.9, 0.1]) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("value", "status"),
    [(0.0, "stable"), (0.099, "stable"), (0.1, "moderate"), (0.2, "moderate"), (0.21, "drifted")],
)
def test_thresholds(value, status):
    assert drift_status(value) == status


def test_numeric_bins_are_right_closed_with_missing_apart():
    shares, missing = numeric_shares(np.array([1.0, 2.0, 3.0, 4.0, np.nan]), {"edges": [1.0, 3.0]})
    # (-inf, 1]: 1.0; (1, 3]: 2.0, 3.0; (3, inf): 4.0; and one NaN of five rows
    assert shares.tolist() == [0.2, 0.4, 0.2]
    assert missing == 0.2


def test_numeric_reference_collapses_tied_quantiles():
    values = np.array([0.0] * 8 + [5.0, 9.0])
    reference = numeric_reference(values, bins=10)
    # linear quantiles of 10 sorted values: 0.1..0.7 fall on zeros; 0.8 at position 7.2 is
    # 0 + 0.2 x 5 = 1; 0.9 at 8.1 is 5 + 0.1 x 4 = 5.4. Three distinct edges, four bins.
    assert reference["edges"] == pytest.approx([0.0, 1.0, 5.4])
    assert reference["shares"] == pytest.approx([0.8, 0.0, 0.1, 0.1])
    assert reference["missing"] == 0.0


def _model(train: pd.DataFrame, categories: dict[str, list[str]]) -> HealthModel:
    features = ["usage", "plan"]
    meta = {"reference": {"features": feature_references(train, features, categories)}}
    return HealthModel("", features, categories, Calibrator("identity"), "churned", meta)


def test_unseen_category_is_its_own_bin():
    train = pd.DataFrame({"usage": [1.0, 2.0, 3.0, 4.0], "plan": ["a", "a", "b", "b"]})
    model = _model(train, {"plan": ["a", "b"]})
    today = pd.DataFrame({"usage": [1.0, 2.0, 3.0, 4.0], "plan": ["a", "a", "b", "new"]})
    drift = feature_drift(today, model).set_index("feature")
    # plan bins a, b, missing, unseen: reference 0.5, 0.5, 0, 0; today 0.5, 0.25, 0, 0.25
    expected = (0.25 - 0.5) * math.log(0.25 / 0.5) + (0.25 - 1e-4) * math.log(0.25 / 1e-4)
    assert drift.loc["plan", "psi"] == pytest.approx(expected)
    assert drift.loc["plan", "unseen_now"] == 0.25
    assert drift.loc["plan", "status"] == "drifted"
    assert drift.loc["usage", "psi"] == pytest.approx(0.0)
    assert drift.loc["usage", "status"] == "stable"


def test_missing_share_counts_as_drift():
    train = pd.DataFrame({"usage": [1.0, 2.0, 3.0, 4.0], "plan": ["a", "b", "a", "b"]})
    model = _model(train, {"plan": ["a", "b"]})
    today = pd.DataFrame({"usage": [1.0, 2.0, np.nan, np.nan], "plan": ["a", "b", None, "b"]})
    drift = feature_drift(today, model).set_index("feature")
    assert drift.loc["usage", "missing_reference"] == 0.0
    assert drift.loc["usage", "missing_now"] == 0.5
    assert drift.loc["plan", "missing_now"] == 0.25
    assert drift.loc["plan", "unseen_now"] == 0.0


def test_model_without_reference_gives_no_rows():
    model = HealthModel("", ["usage"], {}, Calibrator("identity"), "churned", meta={})
    assert feature_drift(pd.DataFrame({"usage": [1.0]}), model).empty
