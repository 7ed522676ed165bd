"""Every branch of the champion gate, on a real MLflow registry, with the decision worked out by hand.

The data make every ROC AUC exact: one binary feature ``signal`` and ``churned == signal`` (or its
inverse), so a model ranks perfectly (AUC 1.0) or exactly backwards (0.0) on any rows.

The champion is trained on 12 as-of dates every 30 days from 2024-01-01 and validated on the last
three (2024-09-27 ..). Its training dates must be before 2024-09-27 - 104 days = 2024-06-15, so
they end 2024-05-30, and its labels all settle by 2024-05-30 + 104 days = 2024-09-11.
"""

from __future__ import annotations

import dataclasses

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from health.tracking import use_experiment
from training.config import GateConfig
from training.train import CHAMPION, champion_gate, fit_target, log_target

pytestmark = pytest.mark.slow

CHAMPION_DATES = list(pd.date_range("2024-01-01", periods=12, freq="30D"))
TRAIN_DATES = list(pd.date_range("2024-01-01", periods=5, freq="30D"))  # 01-01 .. 04-30


def binary_matrix(
    dates, inverted: bool = False, feature: str = "signal", accounts: int = 200, prefix: str = "A"
):
    rng = np.random.default_rng(len(dates))
    signal = rng.integers(0, 2, size=len(dates) * accounts).astype(float)
    return pd.DataFrame(
        {
            "account_id": np.tile([f"{prefix}{i:03d}" for i in range(accounts)], len(dates)),
            "as_of": np.repeat(pd.DatetimeIndex(dates), accounts),
            feature: signal,
            "churned": 1.0 - signal if inverted else signal,
        }
    )


def gate(fitted, **metrics):
    """The gate's decision for ``fitted`` (metrics overridden by hand), and what it logged."""
    if metrics:
        fitted = dataclasses.replace(fitted, metrics={**fitted.metrics, **metrics})
    with mlflow.start_run() as run:
        promoted, reason = champion_gate(MlflowClient(), "churn", fitted)
    return promoted, reason, MlflowClient().get_run(run.info.run_id).data.metrics


@pytest.fixture
def fast_config(fast_config):
    """The comparison with the champion, alone: one binary feature makes every AUC exact (1.0,
    tied with the baseline), which the floor and the leakage guard (tests/training/test_guard.py)
    would keep out of champion."""
    gate = GateConfig(beat_baseline=False, data_is_easy=True)
    return dataclasses.replace(fast_config, gate=gate)


@pytest.fixture
def champion(tracking, fast_config):
    """v1 of 'churn', out of time on CHAMPION_DATES, through the training job's logging."""
    use_experiment("gate")  # artifacts beside the store
    matrix = binary_matrix(CHAMPION_DATES)
    fitted = fit_target(matrix, "churned", fast_config)
    assert fitted.model.meta["train_end"] == "2024-05-30" and fitted.model.meta["gap_days"] == 104
    result = log_target(fitted, matrix, fast_config, MlflowClient())
    assert result.promoted and result.reason == "no champion yet" and str(result.version) == "1"
    assert result.metrics["val_roc_auc"] == 1.0
    return matrix


def test_same_rows_compare_the_logged_auc_and_a_tie_does_not_promote(champion, fast_config):
    again = fit_target(champion, "churned", fast_config)  # the same validation rows and labels
    how = "(validated on the same rows and labels)"
    promoted, reason, logged = gate(again, val_roc_auc=1.0)
    assert not promoted
    assert reason == (
        "not promoted: val_roc_auc 1.0000 ties champion v1's 1.0000 on the same validation "
        f"window {how}"
    )
    assert logged["champion_val_roc_auc"] == 1.0
    promoted, reason, _ = gate(again, val_roc_auc=0.95)
    assert not promoted and reason.startswith("not promoted: val_roc_auc 0.9500 is below")
    # A challenger above the logged 1.0 cannot exist; with the champion's logged AUC lowered by
    # hand, the same challenger beats it.
    client = MlflowClient()
    client.log_metric(client.get_model_version("churn", "1").run_id, "val_roc_auc", 0.9)
    promoted, reason, _ = gate(again, val_roc_auc=0.9001)
    assert promoted
    assert (
        reason
        == f"val_roc_auc 0.9001 beats champion v1's 0.9000 on the same validation window {how}"
    )


def test_the_champion_is_scored_on_the_challengers_rows_when_its_labels_settled_before(
    champion, fast_config
):
    # Validation from 2024-09-12, one day after the champion's labels settled: comparable.
    later = binary_matrix([*TRAIN_DATES, "2024-09-12", "2024-10-12", "2024-11-11"])
    fitted = fit_target(later, "churned", fast_config)
    how = "(champion scored on these rows)"
    # The champion ranks these rows perfectly too: 1.0 against 1.0 is a tie, not a promotion.
    promoted, reason, logged = gate(fitted)
    assert not promoted and logged["champion_val_roc_auc"] == 1.0
    assert reason == (
        f"not promoted: val_roc_auc 1.0000 ties champion v1's 1.0000 on the same validation window {how}"
    )
    # Where churn means the opposite, the champion ranks every row backwards: AUC 0.0.
    flipped = fit_target(
        binary_matrix([*TRAIN_DATES, "2024-09-12", "2024-10-12", "2024-11-11"], inverted=True),
        "churned",
        fast_config,
    )
    promoted, reason, logged = gate(flipped)
    assert promoted and logged["champion_val_roc_auc"] == 0.0
    assert (
        reason
        == f"val_roc_auc 1.0000 beats champion v1's 0.0000 on the same validation window {how}"
    )


def test_a_champion_whose_labels_reach_into_the_window_is_kept(champion, fast_config):
    # Validation from 2024-09-11, the day the champion's last labels settle: not comparable.
    fitted = fit_target(
        binary_matrix([*TRAIN_DATES, "2024-09-11", "2024-10-11", "2024-11-10"], inverted=True),
        "churned",
        fast_config,
    )
    promoted, reason, logged = gate(fitted)
    assert not promoted and "champion_val_roc_auc" not in logged
    assert reason == (
        "not promoted: champion v1 trained on labels up to 2024-09-11, inside this window "
        "(2024-09-11..), so the two cannot be compared on the same validation window; champion "
        "kept (move the alias by hand to override)"
    )


def test_a_champion_that_cannot_score_the_rows_is_kept(champion, fast_config):
    renamed = binary_matrix(
        [*TRAIN_DATES, "2024-09-12", "2024-10-12", "2024-11-11"], feature="usage"
    )
    promoted, reason, logged = gate(fit_target(renamed, "churned", fast_config))
    assert not promoted and "champion_val_roc_auc" not in logged
    assert reason.startswith(
        "not promoted: champion v1 cannot score these rows (the model expects 1 feature(s) the "
        "data does not have: signal."
    )


def test_kfold_results_compare_only_on_the_same_rows(champion, fast_config):
    flat = binary_matrix(["2025-01-01"], inverted=True, accounts=400)
    promoted, reason, logged = gate(fit_target(flat, "churned", fast_config))
    assert not promoted and "champion_val_roc_auc" not in logged
    assert reason.startswith(
        "not promoted: champion v1 was validated on other rows (K-fold results compare only on "
        "the same rows), so the two cannot"
    )


def test_a_kfold_champion_does_not_say_when_its_labels_end(tracking, fast_config):
    use_experiment("gate")  # artifacts beside the store
    flat = binary_matrix(["2025-01-01"], accounts=400)
    fitted = fit_target(flat, "churned", fast_config)
    assert log_target(fitted, flat, fast_config, MlflowClient()).promoted
    later = fit_target(binary_matrix(CHAMPION_DATES, inverted=True), "churned", fast_config)
    promoted, reason, logged = gate(later)
    assert not promoted and "champion_val_roc_auc" not in logged
    assert reason.startswith(
        "not promoted: champion v1 does not record when its training labels end, so"
    )


def test_the_same_window_means_the_same_accounts_dates_and_labels(champion, fast_config):
    # Each challenger differs from the champion's validation rows in one thing only, so none is
    # "validated on the same rows": the champion (labels settled 2024-09-11) is scored on them.
    scored = "on the same validation window (champion scored on these rows)"
    # The same accounts and dates, every label flipped: the champion ranks them backwards.
    flipped = fit_target(binary_matrix(CHAMPION_DATES, inverted=True), "churned", fast_config)
    promoted, reason, logged = gate(flipped)
    assert promoted and logged["champion_val_roc_auc"] == 0.0
    assert reason == f"val_roc_auc 1.0000 beats champion v1's 0.0000 {scored}"
    # Other account ids, the same dates and labels: ranked perfectly, a tie.
    renamed = fit_target(binary_matrix(CHAMPION_DATES, prefix="B"), "churned", fast_config)
    promoted, reason, _ = gate(renamed)
    assert not promoted and reason.endswith(f"ties champion v1's 1.0000 {scored}")
    # The same accounts and labels one day later (validation from 2024-09-28).
    later = [d + pd.Timedelta(days=1) for d in CHAMPION_DATES]
    shifted = fit_target(binary_matrix(later), "churned", fast_config)
    promoted, reason, _ = gate(shifted)
    assert not promoted and reason.endswith(f"ties champion v1's 1.0000 {scored}")


class HandMade(mlflow.pyfunc.PythonModel):
    """A model put in as champion by hand: it scores, but keeps none of this project's record."""

    def predict(self, context, model_input):
        return np.zeros(len(model_input))


def test_a_champion_put_in_by_hand_without_a_record_is_kept(tracking, fast_config):
    use_experiment("gate")  # artifacts beside the store
    with mlflow.start_run():
        mlflow.pyfunc.log_model(
            name="model", python_model=HandMade(), registered_model_name="churn"
        )
    MlflowClient().set_registered_model_alias("churn", CHAMPION, "1")
    # out of time, and its run logged no validation: only its record could make it comparable
    fitted = fit_target(binary_matrix(CHAMPION_DATES), "churned", fast_config)
    promoted, reason, logged = gate(fitted)
    assert not promoted and "champion_val_roc_auc" not in logged
    assert reason.startswith(
        "not promoted: champion v1 does not record when its training labels end, so"
    )
