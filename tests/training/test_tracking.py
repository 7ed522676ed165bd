"""What a run records in MLflow, and the champion gate."""

from __future__ import annotations

import dataclasses

import mlflow
import numpy as np
import pytest
from mlflow.tracking import MlflowClient

from health.tracking import use_experiment
from training.config import GateConfig
from training.train import train_from_matrix

pytestmark = pytest.mark.slow

METRICS = ("roc_auc", "pr_auc", "brier", "log_loss", "top_decile_lift", "ece")


def _corrupt_training_labels(matrix, validation_start):
    """The same validation rows and labels, but training labels shuffled: a worse model."""
    worse = matrix.copy()
    early = worse["as_of"] < validation_start
    rng = np.random.default_rng(0)
    worse.loc[early, "churned"] = rng.permutation(worse.loc[early, "churned"].to_numpy())
    return worse


def test_a_worse_model_stays_out_of_champion(planted, fast_config, tracking):
    matrix = planted(accounts=250, dates=12, seed=6)
    client = MlflowClient()
    (first,) = train_from_matrix(matrix, fast_config, labels=["churned"])
    assert first.promoted and first.reason == "no champion yet"
    assert client.get_model_version_by_alias("churn", "champion").version == first.version

    validation_start = matrix["as_of"].sort_values().unique()[-3]
    worse = _corrupt_training_labels(matrix, validation_start)
    # no floor here: this test is about the comparison with the champion (test_guard: the floor)
    no_floor = dataclasses.replace(fast_config, gate=GateConfig(min_auc=0.0, beat_baseline=False))
    (second,) = train_from_matrix(worse, no_floor, labels=["churned"])
    assert not second.promoted
    assert client.get_model_version_by_alias("churn", "champion").version == first.version
    assert client.get_model_version_by_alias("churn", "challenger").version == second.version
    tags = client.get_run(second.run_id).data.tags
    assert tags["promoted"] == "false"
    assert "not promoted" in tags["promotion_reason"]
    assert "same validation window" in tags["promotion_reason"]
    assert client.get_run(second.run_id).data.metrics["champion_val_roc_auc"] == pytest.approx(
        first.metrics["val_roc_auc"]
    )

    # With the worse model as champion, the good one beats it on the same window and takes over.
    client.set_registered_model_alias("churn", "champion", second.version)
    (third,) = train_from_matrix(matrix, fast_config, labels=["churned"])
    assert third.promoted and "beats champion" in third.reason
    assert client.get_model_version_by_alias("churn", "champion").version == third.version


def test_a_run_records_config_counts_metrics_plots_and_model(planted, fast_config, tracking):
    config = dataclasses.replace(fast_config, tune_trials=2, experiment="tracked")
    use_experiment("tracked")  # made as the command line makes it: artifacts beside the store
    (result,) = train_from_matrix(planted(accounts=300, dates=12, seed=7), config, ["churned"])
    client = MlflowClient()
    run = client.get_run(result.run_id)
    params, metrics, tags = run.data.params, run.data.metrics, run.data.tags
    assert params["horizon_days"] == "90" and params["lgb_num_leaves"] == "4"
    assert params["tune_trials"] == "2" and params["model_kind"] == "lightgbm"
    assert len(params["data_fingerprint"]) == 16
    assert tags["validation"] == "out-of-time"
    for prefix in ("val_", "baseline_val_"):
        assert all(f"{prefix}{m}" in metrics for m in METRICS)
    for side in ("train", "val"):
        assert metrics[f"{side}_rows"] > metrics[f"{side}_positives"] > 0
    plots = {a.path for a in client.list_artifacts(result.run_id, "plots")}
    # bands are the health model's (staying at the decision point): a churn run draws none
    assert plots == {"plots/validation.png", "plots/shap_summary.png"}
    info = mlflow.models.get_model_info("models:/churn@champion")
    assert info.signature is not None
    assert info.saved_input_example_info is not None
    trials = client.search_runs(
        [run.info.experiment_id], f"tags.mlflow.parentRunId = '{result.run_id}'"
    )
    assert len(trials) == 3 and all("inner_roc_auc" in t.data.metrics for t in trials)


def test_model_kind_logistic_logs_the_baseline_without_registering(planted, fast_config, tracking):
    config = dataclasses.replace(fast_config, model_kind="logistic")
    (result,) = train_from_matrix(planted(accounts=150, dates=12, seed=8), config, ["churned"])
    assert not result.promoted and result.version is None
    assert "TreeSHAP" in result.reason
    model = mlflow.pyfunc.load_model(result.model_uri)
    assert model.metadata.flavors.get("sklearn") is not None
