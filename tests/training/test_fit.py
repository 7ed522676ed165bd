"""Behavioural model tests: planted signal, shuffled labels, calibration, determinism, K-fold."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from sklearn.metrics import brier_score_loss

from serving.calibration import cross_fitted_calibration
from training.metrics import expected_calibration_error, top_decile_lift
from training.train import fit_target, validation_predictions


def test_a_planted_signal_is_found_by_model_and_baseline(planted, fast_config):
    fitted = fit_target(planted(accounts=500, dates=12), "churned", fast_config)
    m = fitted.metrics
    assert m["val_roc_auc"] > 0.8
    assert m["baseline_val_roc_auc"] > 0.8
    assert m["val_top_decile_lift"] > 2
    assert m["val_ece"] < 0.05
    assert fitted.split.is_out_of_time
    assert m["train_rows"] + m["val_rows"] < len(planted(accounts=500, dates=12))  # the gap
    assert {"usage_signal", "plan"} <= set(fitted.features)
    assert "churned" not in fitted.features


def test_shuffled_labels_give_about_half(planted, fast_config):
    matrix = planted(accounts=800, dates=12, seed=1)
    rng = np.random.default_rng(0)
    matrix["churned"] = rng.permutation(matrix["churned"].to_numpy())
    m = fit_target(matrix, "churned", fast_config).metrics
    assert 0.4 < m["val_roc_auc"] < 0.6
    assert 0.4 < m["baseline_val_roc_auc"] < 0.6


def test_calibration_keeps_or_improves_brier_on_miscalibrated_scores():
    rng = np.random.default_rng(0)
    p = rng.uniform(0.01, 0.6, size=4000)
    y = (rng.random(4000) < p).astype(int)
    for raw in (p**2, np.sqrt(p), p):  # over-confident, under-confident, already calibrated
        calibrator, calibrated, briers = cross_fitted_calibration(raw, y, seed=0)
        assert brier_score_loss(y, calibrated) <= brier_score_loss(y, raw) + 1e-12
        assert briers[calibrator.kind] == pytest.approx(brier_score_loss(y, calibrated))
    _, calibrated, _ = cross_fitted_calibration(p**2, y)
    assert expected_calibration_error(y, calibrated) < expected_calibration_error(y, p**2) / 3


def test_fit_target_calibration_does_not_worsen_brier(planted, fast_config):
    fitted = fit_target(planted(accounts=400, dates=12, seed=2), "churned", fast_config)
    raw_brier = brier_score_loss(fitted.y_val, fitted.raw_val)
    assert fitted.metrics["val_brier"] <= raw_brier + 1e-12


def test_one_seed_gives_identical_models_and_metrics(planted, fast_config):
    matrix = planted(accounts=300, dates=12, seed=3)
    first = fit_target(matrix, "churned", fast_config)
    second = fit_target(matrix.copy(), "churned", fast_config)
    assert first.metrics == second.metrics
    assert first.model.booster_text == second.model.booster_text
    assert first.model.calibrator == second.model.calibrator
    other_seed = dataclasses.replace(
        fast_config, booster=dataclasses.replace(fast_config.booster, seed=1)
    )
    assert fit_target(matrix, "churned", other_seed).model.booster_text != first.model.booster_text


@pytest.mark.slow
def test_tuning_is_deterministic_and_scored_inside_training(planted, fast_config):
    matrix = planted(accounts=300, dates=12, seed=4)
    config = dataclasses.replace(fast_config, tune_trials=3)
    first = fit_target(matrix, "churned", config)
    second = fit_target(matrix, "churned", config)
    assert len(first.trials) == 4  # the defaults, then three sampled settings
    assert first.trials[0].params == fast_config.booster
    assert [t.inner_roc_auc for t in first.trials] == [t.inner_roc_auc for t in second.trials]
    assert first.metrics == second.metrics
    assert first.params == max(first.trials, key=lambda t: t.inner_roc_auc).params


def test_flat_table_is_validated_by_kfold_out_of_fold(planted, fast_config):
    matrix = planted(accounts=800, dates=1, seed=5)
    fitted = fit_target(matrix, "churned", fast_config)
    assert fitted.split.scheme == "stratified-5-fold"
    assert fitted.metrics["val_rows"] == len(matrix)  # every row predicted once, out of fold
    assert fitted.metrics["val_roc_auc"] > 0.75
    assert fitted.metrics["val_roc_auc"] > fitted.metrics["baseline_val_roc_auc"] - 0.03
    predictions = validation_predictions(fitted)
    assert len(predictions) == len(matrix) and predictions["probability"].between(0, 1).all()
    assert top_decile_lift(fitted.y_val, fitted.calibrated_val) > 2


def _named(matrix, **renames):
    """The planted matrix with its columns renamed as catalogue features."""
    return matrix.rename(columns=renames)


def test_constraints_follow_the_catalogue_per_feature_and_flip_for_leaving():
    from training.fit import BoosterParams, constraints

    features = ["active_users_30d", "open_tickets", "events_prev_30d", "plan", "latest_nps"]
    both = constraints(features, "stayed", BoosterParams())
    assert both["monotone_constraints"] == [1, -1, 0, 0, 1]
    assert constraints(features, "churned", BoosterParams())["monotone_constraints"] == [
        -1,
        1,
        0,
        0,
        -1,
    ]
    # adoption, support, usage, profile, sentiment: each family its own group
    assert both["interaction_constraints"] == [[0], [1], [2], [3], [4]]
    # the contract's cadence joins every family's group: a month's decision and a year's weigh
    # the same behaviour differently, and the cadence's points sit in the base score
    cadenced = constraints([*features, "term_months"], "stayed", BoosterParams())
    assert cadenced["interaction_constraints"] == [[0, 5], [1, 5], [2, 5], [3, 5], [4, 5]]
    assert constraints(["plan", "term_months"], "stayed", BoosterParams()) == {}
    none = BoosterParams(monotone=False, family_interactions=())
    assert constraints(features, "stayed", none) == {}
    assert "interaction_constraints" not in constraints(features, "renewed", BoosterParams())


def test_a_settled_direction_holds_even_against_the_data(planted, fast_config):
    """The planted signal raises churn; named as active users (more never lowers health), the
    model may not follow it: on no row does more of it raise the churn probability. Without the
    constraint the same data makes it rise, so the constraint is what holds it."""
    matrix = _named(planted(accounts=500, dates=12), usage_signal="active_users_30d")
    free = dataclasses.replace(
        fast_config, booster=dataclasses.replace(fast_config.booster, monotone=False)
    )
    for config, rises in ((fast_config, False), (free, True)):
        fitted = fit_target(matrix, "churned", config)
        rows = fitted.split.validation.head(300)
        before = fitted.model.raw_probability(rows)
        more = rows.assign(active_users_30d=rows["active_users_30d"] + 1.0)
        higher = fitted.model.raw_probability(more) > before + 1e-12
        assert higher.any() == rises
