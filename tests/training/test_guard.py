"""The champion floor, the leakage guard, labels of one class, and label-rate jumps."""

from __future__ import annotations

import dataclasses

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from features.labels import LabelConfig
from training.guard import GateConfig, floor_reasons, separation_auc
from training.label_rates import rate_jump
from training.train import TrainConfig, history_plan, train_from_matrix, untrainable


def test_separation_auc_by_hand():
    y = np.array([0, 0, 1, 1])
    assert separation_auc(np.array([1.0, 2.0, 3.0, 4.0]), y) == 1.0
    # positives 2 and 4 against negatives 1 and 3: 3 of 4 pairs ordered
    assert separation_auc(np.array([1.0, 2.0, 3.0, 4.0]), np.array([0, 1, 0, 1])) == 0.75
    # reversed order separates as well (a feature can leak either way)
    assert separation_auc(np.array([4.0, 3.0, 2.0, 1.0]), y) == 1.0
    # known only for the positives: missingness itself separates perfectly
    assert separation_auc(np.array([np.nan, np.nan, 5.0, 6.0]), y) == 1.0


def test_floor_needs_min_auc_and_beating_the_baseline():
    config = GateConfig()
    assert floor_reasons({"val_roc_auc": 0.70, "baseline_val_roc_auc": 0.65}, config) == []
    assert (
        "under 0.6" in floor_reasons({"val_roc_auc": 0.55, "baseline_val_roc_auc": 0.5}, config)[0]
    )
    assert (
        "baseline" in floor_reasons({"val_roc_auc": 0.70, "baseline_val_roc_auc": 0.71}, config)[0]
    )
    relaxed = GateConfig(min_auc=0.5, beat_baseline=False)
    assert floor_reasons({"val_roc_auc": 0.55, "baseline_val_roc_auc": 0.7}, relaxed) == []


def test_a_jump_in_the_latest_positive_rate_is_named():
    dates = pd.date_range("2025-01-01", periods=8, freq="7D")
    steady = pd.DataFrame({"as_of": dates, "rows": 1000, "positives": 30})
    steady["rate"] = steady["positives"] / steady["rows"]
    assert rate_jump(steady, "churned") is None
    jumped = steady.copy()
    jumped.loc[6:, "positives"] = 105  # 10.5% against 3% before, as in issue 13
    message = rate_jump(jumped, "churned")
    assert "10.5%" in message and "3.0%" in message and "observed_until" in message
    few = jumped.assign(rows=20, positives=[1, 0, 1, 0, 1, 0, 2, 2])  # too few rows to tell
    assert rate_jump(few, "churned") is None


def test_history_plan_keeps_monthly_dates_for_long_histories_and_goes_weekly_for_short():
    start = pd.Timestamp("2024-01-01")
    long = history_plan(start, start + pd.Timedelta(days=729), TrainConfig())
    assert (long.warmup_days, long.every_days, long.validation_dates) == (90, 30, 3)
    short = history_plan(
        start, start + pd.Timedelta(days=182), TrainConfig(labels=LabelConfig(horizon_days=30))
    )
    assert (short.warmup_days, short.every_days, short.validation_dates) == (30, 7, 4)
    chosen = history_plan(start, start + pd.Timedelta(days=182), TrainConfig(every_days=14))
    assert chosen.every_days == 14


def test_labels_of_one_class_are_not_trained(planted, fast_config):
    matrix = planted(accounts=100, dates=8, seed=1).assign(churned=0.0)
    assert "no positive 'churned' outcome" in untrainable(matrix, "churned", fast_config)
    few = planted(accounts=100, dates=8, seed=1)
    few["churned"] = 0.0
    few.loc[few.index[:4], "churned"] = 1.0
    assert "only 4 positive" in untrainable(few, "churned", fast_config)
    # enough positives, but all on the earliest dates: validation would hold one class
    few.loc[few.index[:40], "churned"] = 1.0
    assert "validation rows" in untrainable(few, "churned", fast_config)


@pytest.mark.slow
def test_a_planted_leak_is_named_and_kept_out_of_champion(planted, fast_config, tracking):
    matrix = planted(accounts=250, dates=10, seed=2)
    matrix["leak"] = matrix["churned"] * 10 + np.random.default_rng(0).normal(size=len(matrix))
    (leaky,) = train_from_matrix(matrix, fast_config, labels=["churned"])
    assert not leaky.promoted
    assert "Leakage suspected" in leaky.reason and "leak (1.000)" in leaky.reason
    client = MlflowClient()
    with pytest.raises(mlflow.exceptions.MlflowException):
        client.get_model_version_by_alias("churn", "champion")
    run = client.get_run(leaky.run_id)
    assert run.data.metrics["feature_auc/leak"] == 1.0
    assert 0.5 <= run.data.metrics["feature_auc/noise_a"] < 0.6
    assert run.data.tags["leak_suspected"] == "True"

    # the logistic baseline separates this leak perfectly too, so the baseline floor is waived
    easy = dataclasses.replace(fast_config, gate=GateConfig(data_is_easy=True, beat_baseline=False))
    (trusted,) = train_from_matrix(matrix, easy, labels=["churned"])
    assert trusted.promoted


@pytest.mark.slow
def test_a_useless_model_is_registered_without_alias_and_says_why(planted, fast_config, tracking):
    matrix = planted(accounts=250, dates=10, seed=3)
    matrix["churned"] = np.random.default_rng(1).permutation(matrix["churned"].to_numpy())
    (useless,) = train_from_matrix(matrix, fast_config, labels=["churned"])
    assert not useless.promoted and useless.version is not None
    assert useless.reason.startswith("not promoted: Below the floor")
    client = MlflowClient()
    version = client.get_model_version("churn", useless.version)
    assert version.aliases == []
    assert "feature_auc/usage_signal" in client.get_run(useless.run_id).data.metrics


@pytest.mark.slow
def test_missing_outcomes_give_a_not_trained_run(planted, fast_config, tracking):
    matrix = planted(accounts=150, dates=8, seed=4)
    matrix["renewed"] = np.where(matrix.index % 3 == 0, 1.0, np.nan)  # only renewals seen
    churn, renewal = train_from_matrix(matrix, fast_config)
    assert churn.trained and not renewal.trained
    assert renewal.reason.startswith("renewal model not trained: the")
    assert "no negative 'renewed' outcome" in renewal.reason
    tags = MlflowClient().get_run(renewal.run_id).data.tags
    assert tags["trained"] == "false" and tags["not_trained_reason"] == renewal.reason
