"""Optional hyperparameter search (``--tune N``): Optuna's seeded TPE over LightGBM settings.

Every trial is scored on the inner split of the training period (its latest dates, behind the label
gap; see ``training.split.early_stopping_split``), never on the validation period, so the
validation metrics stay an honest estimate for the tuned model too.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pandas as pd

from training.config import BoosterParams
from training.fit import best_rounds
from training.split import KnownFrom, early_stopping_split


@dataclass(frozen=True)
class Trial:
    """One tried setting: its parameters, the trees early stopping chose, and its inner ROC AUC."""

    number: int
    params: BoosterParams
    rounds: int
    inner_roc_auc: float


def suggest_params(trial, base: BoosterParams) -> BoosterParams:
    """The search space: tree size, leaf size, learning rate, sampling and L2 around ``base``."""
    return dataclasses.replace(
        base,
        learning_rate=trial.suggest_float("learning_rate", 0.01, 0.1, log=True),
        num_leaves=trial.suggest_int("num_leaves", 4, 63, log=True),
        min_child_samples=trial.suggest_int("min_child_samples", 10, 300, log=True),
        feature_fraction=trial.suggest_float("feature_fraction", 0.4, 1.0),
        bagging_fraction=trial.suggest_float("bagging_fraction", 0.5, 1.0),
        lambda_l2=trial.suggest_float("lambda_l2", 1e-3, 30.0, log=True),
    )


def tune_booster(
    train: pd.DataFrame,
    label: str,
    features: list[str],
    categories: dict[str, list[str]],
    base: BoosterParams,
    trials: int,
    gap_days: int,
    known_from: KnownFrom | None = None,
) -> tuple[BoosterParams, list[Trial]]:
    """The best of ``base`` and ``trials`` sampled settings by inner ROC AUC, and every trial.

    Trial 0 is ``base`` itself, so tuning never returns a setting that scored worse than the
    default on the inner split.
    """
    import optuna

    inner_split = early_stopping_split(train, label, gap_days, base.seed, known_from)
    if inner_split is None or trials <= 0:
        return base, []
    inner, stop = inner_split
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.TPESampler(seed=base.seed)
    )
    study.enqueue_trial(_search_values(base))
    done: list[Trial] = []

    def objective(trial) -> float:
        params = suggest_params(trial, base)
        rounds, auc = best_rounds(inner, stop, label, features, categories, params)
        done.append(Trial(trial.number, params, rounds, auc))
        return auc

    study.optimize(objective, n_trials=trials + 1)
    best = max(done, key=lambda t: (t.inner_roc_auc, -t.number))
    return best.params, done


def _search_values(params: BoosterParams) -> dict[str, float]:
    names = (
        "learning_rate",
        "num_leaves",
        "min_child_samples",
        "feature_fraction",
        "bagging_fraction",
        "lambda_l2",
    )
    return {name: getattr(params, name) for name in names}
