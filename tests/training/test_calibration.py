"""Calibration through the training entry point, and why each calibrator kind is chosen.

The data plant a miscalibration the booster cannot learn: the validation period churns more (or
by a different rule) than the training period. The booster's raw probabilities are then off on
later rows; the calibrator fitted on the validation period must bring the served probabilities
back, measured on fresh rows of that later period that neither the booster nor the calibrator saw.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from serving.calibration import (
    ISOTONIC_MIN_PER_CLASS,
    Calibrator,
    cross_fitted_calibration,
    fit_calibrator,
    logit,
)
from training.metrics import expected_calibration_error
from training.train import fit_target

VALIDATION_DATES = 3  # TrainConfig's default: the last three as-of dates validate


def drifting_matrix(accounts: int, seed: int, late: str, dates: int = 12) -> pd.DataFrame:
    """A planted signal whose link to churn changes in the last three as-of dates.

    ``late="shift"``: churn odds 3.3 times higher (logit + 1.2) there. ``late="step"``: churn is
    4% below a signal of 0.5 and 55% above it (a step no logistic curve follows).
    """
    rng = np.random.default_rng(seed)
    as_of = pd.date_range("2024-01-01", periods=dates, freq="30D")
    when = np.repeat(as_of, accounts)
    signal = rng.normal(size=len(when))
    logit = -2.0 + 1.5 * signal
    p = 1 / (1 + np.exp(-logit))
    later = when >= as_of[-VALIDATION_DATES]
    if late == "shift":
        p = np.where(later, 1 / (1 + np.exp(-(logit + 1.2))), p)
    elif late == "step":
        p = np.where(later, np.where(signal > 0.5, 0.55, 0.04), p)
    return pd.DataFrame(
        {
            "account_id": np.tile([f"A{i:05d}" for i in range(accounts)], dates),
            "as_of": when,
            "signal": signal,
            "noise": rng.normal(size=len(when)),
            "churned": (rng.random(len(when)) < p).astype(float),
        }
    )


def later_rows(accounts: int, seed: int, late: str) -> pd.DataFrame:
    frame = drifting_matrix(accounts, seed, late)
    return frame[frame["as_of"] >= frame["as_of"].unique()[-VALIDATION_DATES]]


def served_and_raw_ece(fitted, fresh: pd.DataFrame) -> tuple[float, float]:
    y = fresh["churned"].to_numpy()
    served = fitted.model.probability(fresh)  # what the packaged pyfunc returns when scoring
    raw = fitted.model.raw_probability(fresh)  # the same booster, no calibrator
    return expected_calibration_error(y, served), expected_calibration_error(y, raw)


def test_platt_repairs_a_base_rate_shift_served_through_the_packaged_model(fast_config):
    # Why Platt: about 750 churns in the validation period, fewer than the 1000 of each class
    # isotonic needs; a shift of the log-odds is exactly what Platt's line on the logit fits.
    fitted = fit_target(drifting_matrix(600, seed=0, late="shift"), "churned", fast_config)
    assert fitted.y_val.sum() < ISOTONIC_MIN_PER_CLASS
    assert fitted.model.calibrator.kind == "platt"
    served, raw = served_and_raw_ece(fitted, later_rows(600, seed=1, late="shift"))
    assert raw > 0.12  # the booster alone is off by more than 12 points on average
    assert served < 0.06
    assert fitted.metrics["val_ece"] < 0.06  # the logged metric is the served model's


@pytest.mark.slow
def test_isotonic_repairs_a_step_the_logistic_curve_cannot_follow(fast_config):
    # Why isotonic: the later period's churn is a step in the score; with over 1000 rows of each
    # class the cross-fitted Brier of isotonic's steps beats Platt's single curve.
    fitted = fit_target(drifting_matrix(3000, seed=2, late="step"), "churned", fast_config)
    assert np.bincount(fitted.y_val.astype(int)).min() >= ISOTONIC_MIN_PER_CLASS
    assert fitted.model.calibrator.kind == "isotonic"
    m = fitted.metrics
    assert m["calibration_brier_isotonic"] < m["calibration_brier_platt"]
    served, raw = served_and_raw_ece(fitted, later_rows(3000, seed=3, late="step"))
    assert raw > 0.06
    assert served < 0.03


def step_scores(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A raw score whose true churn rate is a step: isotonic's shape, not Platt's."""
    rng = np.random.default_rng(seed)
    signal = rng.normal(size=rows)
    raw = 1 / (1 + np.exp(-(-2 + 1.5 * signal)))
    y = (rng.random(rows) < np.where(signal > 0.5, 0.55, 0.04)).astype(int)
    return raw, y


def test_isotonic_only_with_1000_rows_of_each_class():
    raw, y = step_scores(12_000, seed=0)
    positives = np.flatnonzero(y == 1)
    # Exactly 1000 churns: isotonic may be chosen, and is (its steps fit best).
    keep = np.sort(np.concatenate([np.flatnonzero(y == 0), positives[:1000]]))
    calibrator, _, briers = cross_fitted_calibration(raw[keep], y[keep])
    assert calibrator.kind == "isotonic" and briers["isotonic"] < briers["platt"]
    # 999 churns: isotonic is not a candidate even though its Brier is still lower.
    keep = np.sort(np.concatenate([np.flatnonzero(y == 0), positives[:999]]))
    calibrator, _, briers = cross_fitted_calibration(raw[keep], y[keep])
    assert calibrator.kind == "platt" and briers["isotonic"] < briers["platt"]


def test_identity_when_the_raw_probability_already_equals_every_levels_rate():
    # Why identity: at 0.2 one row in five churns, at 0.7 seven in ten. No map of the raw score,
    # cross-fitted or not, can have a lower Brier than these exact rates, so none is applied.
    raw = np.repeat([0.2, 0.7], [1000, 1000])
    y = np.concatenate([np.tile([1, 0, 0, 0, 0], 200), np.tile([1] * 7 + [0] * 3, 100)])
    calibrator, calibrated, briers = cross_fitted_calibration(raw, y)
    assert calibrator == Calibrator("identity")
    assert np.array_equal(calibrated, raw)
    # Brier by hand: 0.2 level 0.2*0.8 = 0.16, 0.7 level 0.7*0.3 = 0.21; mean 0.185.
    assert briers["identity"] == pytest.approx(0.185)
    assert briers["platt"] >= briers["identity"] and briers["isotonic"] >= briers["identity"]


def test_calibrators_map_by_hand():
    platt = Calibrator("platt", a=2.0, b=-1.0)
    # logit(0.5) = 0 -> sigmoid(-1) = 0.268941; logit(0.8) = ln 4 -> sigmoid(2 ln 4 - 1) = 16/(16+e)
    assert platt(np.array([0.5, 0.8])) == pytest.approx([0.2689414, 16 / (16 + np.e)])
    steps = Calibrator("isotonic", x=(0.1, 0.5, 0.9), y=(0.0, 0.3, 1.0))
    assert steps(np.array([0.0, 0.1, 0.3, 0.5, 0.7, 1.0])) == pytest.approx(
        [0.0, 0.0, 0.15, 0.3, 0.65, 1.0]
    )
    assert Calibrator("identity")(np.array([0.25])) == pytest.approx([0.25])
    with pytest.raises(ValueError, match="unknown calibrator kind 'beta'"):
        Calibrator("beta")(np.array([0.5]))


def test_platt_fit_by_hand_on_two_levels():
    # Raw 0.2689 (logit -1): 2 of 10 churn; raw 0.7311 (logit +1): 5 of 10. Unpenalised, the line
    # on the logit hits both rates: -a + b = logit(0.2) = -ln 4, a + b = logit(0.5) = 0, so
    # a = ln 2 and b = -ln 2 (a penalised fit would shrink a towards 0).
    raw = np.repeat([1 / (1 + np.e), 1 / (1 + np.exp(-1))], 10)
    y = np.array([1, 1] + [0] * 8 + [1] * 5 + [0] * 5)
    platt = fit_calibrator("platt", raw, y)
    assert platt.kind == "platt"
    assert (platt.a, platt.b) == (
        pytest.approx(np.log(2), rel=1e-3),
        pytest.approx(-np.log(2), rel=1e-3),
    )
    assert platt(raw[[0, -1]]) == pytest.approx([0.2, 0.5], rel=1e-3)


def test_platt_chosen_over_isotonic_when_the_truth_is_a_logistic_curve():
    # Why Platt with isotonic eligible (over 1000 of each class): the raw score is off by a line
    # on the logit (true logit 2x - 0.5 for raw logit x), which Platt fits exactly; isotonic's
    # cross-fitted steps only approximate the curve, so their Brier is higher.
    rng = np.random.default_rng(4)
    x = rng.normal(size=6000)
    raw = 1 / (1 + np.exp(-x))
    y = (rng.random(6000) < 1 / (1 + np.exp(-(2 * x - 0.5)))).astype(float)  # labels as floats
    assert np.bincount(y.astype(int)).min() >= ISOTONIC_MIN_PER_CLASS
    calibrator, calibrated, briers = cross_fitted_calibration(raw, y)
    assert calibrator.kind == "platt" and briers["platt"] < briers["isotonic"]
    assert (calibrator.a, calibrator.b) == (
        pytest.approx(2, abs=0.15),
        pytest.approx(-0.5, abs=0.1),
    )
    assert set(briers) == {"platt", "isotonic", "identity"}
    assert briers["identity"] == pytest.approx(np.mean((raw - y) ** 2))
    assert briers["platt"] == pytest.approx(np.mean((calibrated - y) ** 2))


def test_cross_fitting_is_seeded_and_uses_the_folds_asked_for():
    raw, y = step_scores(3000, seed=5)
    _, default, _ = cross_fitted_calibration(raw, y)
    _, zero, _ = cross_fitted_calibration(raw, y, seed=0, folds=5)
    _, one, _ = cross_fitted_calibration(raw, y, seed=1)
    _, three, _ = cross_fitted_calibration(raw, y, folds=3)
    assert np.array_equal(default, zero)  # defaults: seed 0, five folds; repeatable
    assert not np.array_equal(default, one) and not np.array_equal(default, three)


def test_identity_when_a_map_only_ties_the_raw_probability():
    # Every raw probability is 0.5 and half the rows churn, 1000 of each class. Stratified folds
    # keep each fitting part at exactly half churned, so isotonic's one step is 0.5: its Brier
    # ties the raw 0.25 exactly, and a tie applies no map.
    raw = np.full(2000, 0.5)
    y = np.tile([0, 1], 1000)
    calibrator, calibrated, briers = cross_fitted_calibration(raw, y)
    assert briers["isotonic"] == 0.25 == briers["identity"]
    assert calibrator == Calibrator("identity") and np.array_equal(calibrated, raw)


def test_logit_keeps_the_ends_finite_and_calibrators_return_floats():
    # ln(1e-12) = -27.631; at 1 the denominator is clipped to 1e-12 instead.
    assert logit(np.array([0.0, 0.5, 1.0])) == pytest.approx([-27.6310211, 0.0, 27.6310211])
    # Any numbers in, floats out: an object column, integers (0 and 1 are probabilities too).
    column = pd.Series([0.2, 0.5], dtype=object)
    assert logit(column) == pytest.approx([-np.log(4), 0.0])
    identity = Calibrator("identity")(pd.Series([0.25, 1], dtype=object))
    assert identity.dtype == np.float64 and identity.tolist() == [0.25, 1.0]
