"""Model fitting: LightGBM, the logistic-regression baseline, and the probability calibrator."""

from __future__ import annotations

from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from serving.model import Calibrator, prepare_input
from training.split import early_stopping_split

MIN_ROUNDS = 10


@dataclass(frozen=True)
class BoosterParams:
    """LightGBM settings: many small, regularised trees suit a few thousand accounts.

    Chosen on the demo's training periods only (inner split, mean of three seeds, churn and
    renewal together), never on a validation period; ``--tune N`` searches around them.
    """

    learning_rate: float = 0.05
    num_leaves: int = 4
    min_child_samples: int = 100
    feature_fraction: float = 0.7
    bagging_fraction: float = 0.8
    bagging_freq: int = 1
    lambda_l2: float = 5.0
    max_rounds: int = 2000
    early_stopping_rounds: int = 50
    seed: int = 0
    num_threads: int = 1


def category_levels(frame: pd.DataFrame, features: list[str]) -> dict[str, list[str]]:
    """Sorted levels of every non-numeric feature, learned from the training rows only."""
    levels = {}
    for name in features:
        column = frame[name]
        if not (pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)):
            values = column.dropna().astype(str).unique()
            levels[name] = sorted(values)
    return levels


def _lgb_params(params: BoosterParams) -> dict:
    return {
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
        {**_lgb_params(params), "metric": ["binary_logloss", "auc"]},
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
) -> tuple[lgb.Booster, int]:
    """Early-stop on an inner split of the training rows, then refit on all of them.

    The inner split holds out the training period's latest dates behind a gap of ``gap_days``
    (see ``early_stopping_split``): the validation period never chooses the number of trees.
    """
    inner_split = early_stopping_split(train, label, gap_days, params.seed)
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
        _lgb_params(params), _dataset(train, label, features, categories), num_boost_round=rounds
    )


def _dataset(frame: pd.DataFrame, label: str, features: list[str], categories) -> lgb.Dataset:
    x = prepare_input(frame, features, categories)
    return lgb.Dataset(
        x,
        label=frame[label].astype(int),
        categorical_feature=list(categories) or "auto",
        free_raw_data=False,
    )


def fit_baseline(
    train: pd.DataFrame, label: str, features: list[str], categories: dict[str, list[str]]
) -> Pipeline:
    """Logistic regression on imputed, scaled numbers and one-hot categories."""
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
            ("cat", OneHotEncoder(handle_unknown="ignore", min_frequency=5), categorical),
        ]
    )
    model = make_pipeline(transform, LogisticRegression(max_iter=2000, C=0.5))
    x = baseline_input(train, features, categories)
    return model.fit(x, train[label].astype(int))


def baseline_input(frame: pd.DataFrame, features: list[str], categories) -> pd.DataFrame:
    x = frame[features].copy()
    for name in features:
        if name in categories:
            x[name] = x[name].astype("object").where(x[name].notna(), "missing").astype(str)
        else:
            x[name] = pd.to_numeric(x[name], errors="coerce").astype(float)
    return x


def _fit_calibrator(kind: str, raw: np.ndarray, y: np.ndarray) -> Calibrator:
    if kind == "platt":
        logit = np.log(np.clip(raw, 1e-12, 1 - 1e-12) / np.clip(1 - raw, 1e-12, 1)).reshape(-1, 1)
        lr = LogisticRegression(C=1e6, max_iter=1000).fit(logit, y)
        return Calibrator("platt", a=float(lr.coef_[0, 0]), b=float(lr.intercept_[0]))
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(raw, y)
    return Calibrator("isotonic", x=tuple(iso.X_thresholds_), y=tuple(iso.y_thresholds_))


# Isotonic calibration overfits small calibration sets (scikit-learn's user guide): below this many
# held-out rows of the rarer class its steps tie many accounts and cost ranking, so Platt is used.
ISOTONIC_MIN_PER_CLASS = 1000


def cross_fitted_calibration(
    raw: np.ndarray, y: np.ndarray, seed: int = 0, folds: int = 5
) -> tuple[Calibrator, np.ndarray, dict[str, float]]:
    """Pick Platt or isotonic by cross-fitted Brier on held-out rows, then fit it on all of them.

    Isotonic is a candidate only with at least ``ISOTONIC_MIN_PER_CLASS`` rows of each class.
    Returns the calibrator, the cross-fitted calibrated probabilities (honest for metrics: no row
    is calibrated by a map that saw it) and the Brier of each candidate.
    """
    y = np.asarray(y, dtype=int)
    candidates = ["platt", "isotonic"]
    outs = {k: np.empty(len(y)) for k in candidates}
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for fit_idx, held_idx in splitter.split(raw.reshape(-1, 1), y):
        for kind in candidates:
            outs[kind][held_idx] = _fit_calibrator(kind, raw[fit_idx], y[fit_idx])(raw[held_idx])
    briers = {k: float(brier_score_loss(y, outs[k])) for k in candidates}
    raw_brier = float(brier_score_loss(y, raw))
    eligible = (
        candidates if np.bincount(y, minlength=2).min() >= ISOTONIC_MIN_PER_CLASS else ["platt"]
    )
    best = min(eligible, key=briers.get)
    if raw_brier <= briers[best]:
        return Calibrator("identity"), raw, {**briers, "identity": raw_brier}
    return _fit_calibrator(best, raw, y), outs[best], {**briers, "identity": raw_brier}
