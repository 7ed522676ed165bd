"""Model fitting: LightGBM with early stopping, and the logistic-regression baseline.

Both read their rows through ``serving.model``'s one input coercion; the calibrator they are
measured with is fitted by ``serving.calibration``.
"""

from __future__ import annotations

import lightgbm as lgb
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from features.catalogue import CADENCE_FEATURES, monotone_directions, points_family
from serving.model import booster_input, model_input
from training.config import BoosterParams
from training.split import KnownFrom, early_stopping_split

MIN_ROUNDS = 10


def category_levels(frame: pd.DataFrame, features: list[str]) -> dict[str, list[str]]:
    """Sorted levels of every non-numeric feature, learned from the training rows only."""
    levels = {}
    for name in features:
        column = frame[name]
        if not (pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)):
            values = column.dropna().astype(str).unique()
            levels[name] = sorted(values)
    return levels


def constraints(features: list[str], label: str, params: BoosterParams) -> dict:
    """LightGBM's ``monotone_constraints`` and ``interaction_constraints`` for ``label``'s model of
    these features (as ``params`` asks): directions flipped for a model of leaving (``churned``)."""
    out: dict = {}
    if params.monotone:
        directions = monotone_directions(features, target_is_good=label != "churned")
        if any(directions):
            out["monotone_constraints"] = directions
    if label in params.family_interactions:
        groups: dict[str, list[int]] = {}
        for j, name in enumerate(features):
            groups.setdefault(points_family(name), []).append(j)
        cadence = [j for j, name in enumerate(features) if name in CADENCE_FEATURES]
        if len(groups) > 1:
            out["interaction_constraints"] = [
                sorted({*members, *cadence}) for members in groups.values()
            ]
    return out


def _lgb_params(params: BoosterParams, features: list[str], label: str) -> dict:
    return {
        **constraints(features, label, params),
        "objective": "binary",
        "learning_rate": params.learning_rate,
        "num_leaves": params.num_leaves,
        "min_child_samples": params.min_child_samples,
        "feature_fraction": params.feature_fraction,
        "bagging_fraction": params.bagging_fraction,
        "bagging_freq": params.bagging_freq,
        "lambda_l2": params.lambda_l2,
        "seed": params.seed,
        "deterministic": True,
        "num_threads": params.num_threads,
        "verbosity": -1,
    }


def best_rounds(
    inner: pd.DataFrame,
    stop: pd.DataFrame,
    label: str,
    features: list[str],
    categories: dict[str, list[str]],
    params: BoosterParams,
) -> tuple[int, float]:
    """Early stopping on log loss: the number of trees that does best on ``stop``, and the ROC AUC
    there (what tuning compares)."""
    booster = lgb.train(
        {**_lgb_params(params, features, label), "metric": ["binary_logloss", "auc"]},
        _dataset(inner, label, features, categories),
        num_boost_round=params.max_rounds,
        valid_sets=[_dataset(stop, label, features, categories)],
        callbacks=[
            lgb.early_stopping(params.early_stopping_rounds, first_metric_only=True, verbose=False)
        ],
    )
    score = booster.best_score["valid_0"]["auc"]
    return max(booster.best_iteration, MIN_ROUNDS), float(score)


def fit_booster(
    train: pd.DataFrame,
    label: str,
    features: list[str],
    categories: dict[str, list[str]],
    params: BoosterParams,
    gap_days: int = 0,
    known_from: KnownFrom | None = None,
) -> tuple[lgb.Booster, int]:
    """Early-stop on an inner split of the training rows, then refit on all of them.

    The inner split holds out the training period's latest dates behind a gap of ``gap_days``
    (see ``early_stopping_split``): the validation period never chooses the number of trees.
    """
    inner_split = early_stopping_split(train, label, gap_days, params.seed, known_from)
    rounds = params.max_rounds
    if inner_split is not None:
        rounds, _ = best_rounds(*inner_split, label, features, categories, params)
    return booster_with_rounds(train, label, features, categories, params, rounds), rounds


def booster_with_rounds(
    train: pd.DataFrame,
    label: str,
    features: list[str],
    categories: dict[str, list[str]],
    params: BoosterParams,
    rounds: int,
) -> lgb.Booster:
    """A booster of exactly ``rounds`` trees on all of ``train``."""
    return lgb.train(
        _lgb_params(params, features, label),
        _dataset(train, label, features, categories),
        num_boost_round=rounds,
    )


def _dataset(frame: pd.DataFrame, label: str, features: list[str], categories) -> lgb.Dataset:
    x = booster_input(frame, features, categories)
    return lgb.Dataset(
        x,
        label=frame[label].astype(int),
        categorical_feature=list(categories) or "auto",
        free_raw_data=False,
    )


def fit_baseline(
    train: pd.DataFrame, label: str, features: list[str], categories: dict[str, list[str]]
) -> Pipeline:
    """Logistic regression on imputed, scaled numbers and one-hot categories (missing is a level).

    It reads ``model_input`` rows, so it can be logged and served as it is. Newton-Cholesky
    reaches the optimum in a handful of steps where L-BFGS took a hundred or more (rows far
    outnumber columns here): the same model, several times faster.
    """
    numeric = [f for f in features if f not in categories]
    categorical = list(categories)
    transform = ColumnTransformer(
        [
            (
                "num",
                make_pipeline(
                    SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
                    StandardScaler(),
                ),
                numeric,
            ),
            (
                "cat",
                make_pipeline(
                    SimpleImputer(
                        missing_values=None,
                        strategy="constant",
                        fill_value="missing",
                        keep_empty_features=True,
                    ),
                    OneHotEncoder(handle_unknown="ignore", min_frequency=5),
                ),
                categorical,
            ),
        ]
    )
    model = make_pipeline(
        transform, LogisticRegression(solver="newton-cholesky", max_iter=200, C=0.5)
    )
    x = model_input(train, features, categories)
    return model.fit(x, train[label].astype(int))
