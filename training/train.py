"""The training job: feature matrix -> churn and renewal models as MLflow runs, gated into the registry."""

from __future__ import annotations

import dataclasses
import hashlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import lightgbm as lgb
import mlflow
import numpy as np
import pandas as pd
from mlflow.models import infer_signature
from mlflow.tracking import MlflowClient
from sklearn.pipeline import Pipeline

from features.catalogue import TIMING_FEATURES, UNSETTLED, direction
from features.contract import Tables
from features.matrix import KEYS, LABELS, build_feature_matrix, feature_columns
from features.timeline import as_of_grid, observation_end, observation_start, observed_until
from serving.calibration import Calibrator, cross_fitted_calibration
from serving.model import HealthModel, model_input
from serving.reference import feature_references, numeric_reference, reason_reference
from serving.served import ServedModel, code_paths, requirements, served_signature
from training.config import (
    HEALTH_LABEL,
    BoosterParams,
    GateConfig,
    TrainConfig,
)
from training.fit import category_levels, fit_baseline, fit_booster
from training.guard import (
    Comparison,
    champion_decision,
    feature_aucs,
    logged_comparison,
    scored_comparison,
    unsettled,
    verdict,
)
from training.label_rates import positive_rates, rate_jump
from training.metrics import RANKING_METRICS, classification_metrics
from training.plots import band_figure, shap_summary_figure, validation_figure
from training.split import Split, validation_split
from training.tune import Trial, tune_booster

CHAMPION = "champion"
CHALLENGER = "challenger"
SHAP_SAMPLE = 500
TARGETS = {"churned": "churn", "renewed": "renewal", "stayed": "health"}
# The health model estimates staying at the next decision point from what the account does, so
# the timing of that decision is not among its inputs (``features.catalogue.TIMING_FEATURES``), nor
# is tenure: an annual contract renews on the anniversary of its first term, so days as a customer
# tell the days to the term end as surely as the timing features (on the demo, leaving it out also
# raised the out-of-time ROC AUC from 0.709 to 0.750). The calendar's churn model keeps them all.
HEALTH_EXCLUDED = TIMING_FEATURES | {"tenure_days"}
REFERENCE_DAYS = 180


@dataclass
class ModelResult:
    """What one target's run produced (``trained`` False: no model, ``reason`` says why)."""

    target: str
    run_id: str | None
    model_uri: str | None
    version: str | None
    promoted: bool
    reason: str
    metrics: dict[str, float]
    trained: bool = True
    warnings: list[str] = field(default_factory=list)


class TrainingImpossible(ValueError):
    """The data cannot train a model as configured; the message says why and which flag helps."""


# Defaults for a long history (DESIGN section 2); shorter histories get weekly dates.
LONG_EVERY_DAYS, LONG_WARMUP_DAYS, LONG_VALIDATION_DATES = 30, 90, 3
SHORT_EVERY_DAYS, SHORT_WARMUP_DAYS, SHORT_VALIDATION_DATES = 7, 30, 4
MIN_TRAIN_DATES = 4


def history_plan(start: pd.Timestamp, until: pd.Timestamp, config: TrainConfig) -> TrainConfig:
    """``config`` with warm-up, as-of spacing and validation dates fitted to the history.

    Monthly dates after a 90-day warm-up (3 validating) when the churn labels leave room for at
    least ``MIN_TRAIN_DATES`` training dates before the validation dates and their gap; weekly
    dates after a 30-day warm-up (4 validating) otherwise. Values the user set are kept.
    """
    history = (pd.Timestamp(until) - pd.Timestamp(start)).days
    gap = config.gap_days("churned")

    def fits(warmup: int, every: int, validating: int) -> bool:
        span = history - warmup - gap  # days over which as-of dates have a settled churn label
        return span >= (validating - 1) * every + gap + MIN_TRAIN_DATES * every

    long = (
        config.warmup_days or LONG_WARMUP_DAYS,
        config.every_days or LONG_EVERY_DAYS,
        config.validation_dates or LONG_VALIDATION_DATES,
    )
    short = (
        config.warmup_days or (LONG_WARMUP_DAYS if history >= 365 else SHORT_WARMUP_DAYS),
        config.every_days or SHORT_EVERY_DAYS,
        config.validation_dates or SHORT_VALIDATION_DATES,
    )
    warmup, every, validating = long if fits(*long) else short
    return dataclasses.replace(
        config, warmup_days=warmup, every_days=every, validation_dates=validating
    )


def resolve_config(tables: Tables, config: TrainConfig) -> TrainConfig:
    """The run's concrete settings: ``history_plan`` over the data's labelled history."""
    return history_plan(observation_start(tables), observed_until(tables), config)


def history_error(tables: Tables, config: TrainConfig, label: str, detail: str) -> str:
    """One paragraph: why there is too little history, with the numbers and the flags that help."""
    start, end = observation_start(tables), observation_end(tables)
    until = observed_until(tables)
    return (
        f"Cannot train the {TARGETS.get(label, label)} model out of time: {detail}. The data "
        f"covers {(end - start).days} days ({start.date()} to {end.date()}), with subscription "
        f"changes recorded until {until.date()}; as-of dates start after a "
        f"{config.warmup_days}-day warm-up, every {config.every_days} days, and a label needs "
        f"{config.labels.horizon_days} + {config.labels.grace_days} days after its date, of which "
        f"the last "
        f"{config.validation_dates} validate. Use a shorter --horizon-days, a shorter "
        f"--warmup-days, closer --every-days, fewer --validation-dates, or more history."
    )


def training_dates(tables: Tables, config: TrainConfig) -> list[pd.Timestamp]:
    """The as-of grid over the data's history, starting after a warm-up for windowed features."""
    config = resolve_config(tables, config)
    start = observation_start(tables) + pd.Timedelta(days=config.warmup_days)
    return as_of_grid(start, observation_end(tables), config.every_days)


def build_training_matrix(
    tables: Tables, config: TrainConfig, progress: Callable | None = None
) -> pd.DataFrame:
    """Features and labels at every grid date; rows censored for both labels are dropped."""
    matrix = build_feature_matrix(
        tables,
        training_dates(tables, config),
        config.labels,
        progress,
        top_types=config.usage_types,
    )
    return matrix[matrix[LABELS].notna().any(axis=1)].reset_index(drop=True)


def fingerprint(frame: pd.DataFrame) -> str:
    """A short content hash of a frame, so a run says exactly which data it saw."""
    hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    columns = ",".join(map(str, frame.columns)).encode()
    return hashlib.sha256(hashed.tobytes() + columns).hexdigest()[:16]


def flat_params(config: TrainConfig) -> dict[str, object]:
    """The config as flat MLflow params: label windows by name, booster settings as ``lgb_*``."""
    params = dataclasses.asdict(config)
    labels, booster, gate = params.pop("labels"), params.pop("booster"), params.pop("gate")
    return {
        **labels,
        **params,
        **{f"lgb_{k}": v for k, v in booster.items()},
        **{f"gate_{k}": v for k, v in gate.items()},
    }


@dataclass
class FittedTarget:
    """One target's fitted model and its validation, before anything is logged.

    ``calibrated_val`` and ``baseline_val`` are held-out probabilities for ``split.validation`` rows:
    out of time, or out of fold for the K-fold fallback.
    """

    label: str
    model: HealthModel
    split: Split
    features: list[str]
    categories: dict[str, list[str]]
    metrics: dict[str, float]
    y_val: np.ndarray
    calibrated_val: np.ndarray
    baseline_val: np.ndarray
    raw_val: np.ndarray | None = None
    baseline: Pipeline | None = None
    params: BoosterParams = field(default_factory=BoosterParams)
    trials: list[Trial] = field(default_factory=list)
    feature_aucs: dict[str, float] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return TARGETS.get(self.label, self.label)


@dataclass
class _Fitted:
    """A booster and a baseline fitted on one set of training rows."""

    booster: lgb.Booster
    rounds: int
    params: BoosterParams
    trials: list[Trial]
    baseline: Pipeline


def model_features(matrix: pd.DataFrame, label: str) -> list[str]:
    """The inputs of ``label``'s model: every feature, but none that tells the time to the term
    end for the health model (``HEALTH_EXCLUDED``)."""
    features = [c for c in feature_columns(matrix) if c != label]
    if label == HEALTH_LABEL:
        features = [c for c in features if c not in HEALTH_EXCLUDED]
    return features


def _fit_models(
    train: pd.DataFrame,
    label: str,
    features: list[str],
    categories: dict[str, list[str]],
    config: TrainConfig,
) -> _Fitted:
    """Tune (if asked) and early-stop LightGBM inside ``train``, and fit the baseline on it."""
    gap, known_from = config.gap_days(label), config.known_from(label)
    params, trials = config.booster, []
    if config.tune_trials > 0:
        params, trials = tune_booster(
            train, label, features, categories, config.booster, config.tune_trials, gap, known_from
        )
    booster, rounds = fit_booster(train, label, features, categories, params, gap, known_from)
    baseline = fit_baseline(train, label, features, categories)
    return _Fitted(booster, rounds, params, trials, baseline)


def _raw(booster: lgb.Booster, frame: pd.DataFrame, features, categories) -> np.ndarray:
    return HealthModel(
        booster.model_to_string(), features, categories, Calibrator("identity"), ""
    ).raw_probability(frame)


def _baseline_probability(baseline: Pipeline, frame: pd.DataFrame, features, categories):
    return baseline.predict_proba(model_input(frame, features, categories))[:, 1]


def fit_target(matrix: pd.DataFrame, label: str, config: TrainConfig) -> FittedTarget:
    """Fit LightGBM and the baseline on training rows, calibrate and measure on held-out ones.

    Out of time where the labelled rows span several as-of dates; stratified K-fold (out-of-fold
    predictions, then one model refitted on every row) where there is a single date.
    Pure: no MLflow. The backtest and the tests call it directly.
    """
    features = model_features(matrix, label)
    split = configured_split(matrix, label, config)
    train, val = split.train, split.validation
    categories = category_levels(train, features)
    final = _fit_models(train, label, features, categories, config)
    y_val = val[label].astype(int).to_numpy()
    if split.is_out_of_time:
        raw_val = _raw(final.booster, val, features, categories)
        baseline_val = _baseline_probability(final.baseline, val, features, categories)
        fold_rounds = [final.rounds]
    else:
        raw_val, baseline_val, fold_rounds = _out_of_fold(split, label, features, config)
    calibrator, calibrated_val, calibration_briers = cross_fitted_calibration(
        raw_val, y_val, seed=config.booster.seed
    )
    model = ServedModel(
        final.booster.model_to_string(),
        features,
        categories,
        calibrator,
        label,
        meta={
            "horizon_days": config.labels.horizon_days,
            "renewal_window_days": config.labels.renewal_window_days,
            "validation": split.scheme,
            "train_end": str(split.train_dates[-1].date()),
            "gap_days": split.gap_days,
            "validation_dates": [str(d.date()) for d in split.validation_dates],
            "grace_days": config.labels.grace_days,
            "reference": training_reference(train, features, categories, calibrated_val),
            "reason_reference": reason_reference(
                train, _healthy(train, label), [f for f in features if direction(f) != UNSETTLED]
            ),
        },
    )
    metrics = {
        **validation_metrics(y_val, raw_val, calibrated_val, calibrator.kind),
        **classification_metrics(y_val, baseline_val, "baseline_val_"),
        "val_roc_auc_uncalibrated": classification_metrics(y_val, raw_val)["val_roc_auc"],
        **split_counts(split, label),
        "num_boost_round": float(final.rounds),
        **(
            {"fold_num_boost_round_mean": float(np.mean(fold_rounds))}
            if len(fold_rounds) > 1
            else {}
        ),
        **{f"calibration_brier_{k}": v for k, v in calibration_briers.items()},
    }
    return FittedTarget(
        label,
        model,
        split,
        features,
        categories,
        metrics,
        y_val,
        calibrated_val,
        baseline_val,
        raw_val=raw_val,
        baseline=final.baseline,
        params=final.params,
        trials=final.trials,
        feature_aucs=feature_aucs(train, val, label, features, categories),
    )


def _healthy(rows: pd.DataFrame, label: str) -> np.ndarray:
    """The rows whose outcome was the good one: stayed or renewed, or did not churn."""
    good = 0 if label == "churned" else 1
    return (rows[label] == good).to_numpy()


def training_reference(
    train: pd.DataFrame,
    features: list[str],
    categories: dict[str, list[str]],
    probability: np.ndarray,
) -> dict:
    """What monitoring compares today's rows with: each feature binned over the training rows of
    the last ``REFERENCE_DAYS`` of the training period, and the held-out probabilities (the score
    distribution a fresh scoring should show).

    The most recent rows, because a young history makes the early ones unlike any later day
    (accounts with no second survey yet, no previous term): set against them, every scoring would
    look drifted. Six months of as-of dates still mix weekdays and seasons.
    """
    recent = train[train["as_of"] > train["as_of"].max() - pd.Timedelta(days=REFERENCE_DAYS)]
    return {
        "rows": len(recent),
        "as_of": f"{pd.Timestamp(recent['as_of'].min()).date()}.."
        f"{pd.Timestamp(recent['as_of'].max()).date()}",
        "features": feature_references(recent, features, categories),
        "probability": numeric_reference(probability),
    }


def _out_of_fold(
    split: Split, label: str, features: list[str], config: TrainConfig
) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """K-fold: each row's raw and baseline probability from models fitted without its fold.

    Category levels, tuning and early stopping are redone inside every fold, so no held-out row
    shapes the model that predicts it.
    """
    rows = split.validation
    raw, baseline = np.empty(len(rows)), np.empty(len(rows))
    rounds = []
    for fold in np.unique(split.folds):
        held = split.folds == fold
        fold_train, fold_held = rows[~held], rows[held]
        categories = category_levels(fold_train, features)
        fitted = _fit_models(fold_train, label, features, categories, config)
        raw[held] = _raw(fitted.booster, fold_held, features, categories)
        baseline[held] = _baseline_probability(fitted.baseline, fold_held, features, categories)
        rounds.append(fitted.rounds)
    return raw, baseline, rounds


def validation_metrics(
    y: np.ndarray, raw: np.ndarray, calibrated: np.ndarray, calibrator_kind: str
) -> dict[str, float]:
    """DESIGN's ``val_`` metrics of the served (calibrated) model on held-out rows.

    Probability metrics use the cross-fitted calibrated probabilities (no row is calibrated by a
    map that saw it). A Platt or identity calibrator is strictly increasing, so the served model
    ranks rows exactly as the booster does: ranking metrics then come from the raw scores, which
    the booster never trained on, instead of from fold-to-fold calibration noise.
    """
    metrics = classification_metrics(y, calibrated, "val_")
    if calibrator_kind in ("platt", "identity"):
        ranking = classification_metrics(y, raw, "val_")
        metrics.update({f"val_{k}": ranking[f"val_{k}"] for k in RANKING_METRICS})
    return metrics


def split_counts(split: Split, label: str) -> dict[str, float]:
    """Rows, positives, accounts and as-of dates on each side of the split."""
    counts = {}
    for side, frame in (("train", split.train), ("val", split.validation)):
        counts[f"{side}_rows"] = float(len(frame))
        counts[f"{side}_positives"] = float(frame[label].sum())
        counts[f"{side}_accounts"] = float(frame["account_id"].nunique())
        counts[f"{side}_as_of_dates"] = float(frame["as_of"].nunique())
    return counts


def validation_predictions(fitted: FittedTarget) -> pd.DataFrame:
    """Per validation row: the label and both models' probabilities, for reports and notebooks."""
    val = fitted.split.validation
    return pd.DataFrame(
        {
            "account_id": val["account_id"].astype(str).to_numpy(),
            "as_of": val["as_of"].dt.strftime("%Y-%m-%d").to_numpy(),
            "label": fitted.y_val,
            "probability": fitted.calibrated_val,
            "baseline_probability": fitted.baseline_val,
            "decision_months": validation_months(fitted),
            "ranking_score": ranking_scores(fitted),
        }
    )


def ranking_scores(fitted: FittedTarget) -> np.ndarray:
    """What the ranking metrics (``val_roc_auc``, ...) were computed from, per validation row:
    the raw score under a strictly increasing calibrator (Platt, identity), which ranks as the
    served model does, else the cross-fitted calibrated probability (``validation_metrics``)."""
    if fitted.raw_val is not None and fitted.model.calibrator.kind in ("platt", "identity"):
        return fitted.raw_val
    return fitted.calibrated_val


def validation_months(fitted: FittedTarget) -> np.ndarray:
    """Each validation row's months between decisions, which put the health score on its
    yearly footing (``serving.score.account_decision_months``)."""
    from serving.score import account_decision_months

    return account_decision_months(fitted.split.validation, fitted.model)


def validation_fingerprint(split: Split, labels: np.ndarray) -> str:
    """Which rows and labels validated a model, and how: equal fingerprints, same window.

    Champions registered by an earlier release compare by this string, so it must not change
    for the same rows (tests pin one).
    """
    val = split.validation
    rows = pd.DataFrame(
        {
            "account_id": val["account_id"].astype(str).to_numpy(),
            "as_of": val["as_of"].to_numpy(),
            "label": labels,
            "fold": split.folds if split.folds is not None else 0,
        }
    )
    return fingerprint(rows) + f"-{split.scheme}"


def train_target(
    matrix: pd.DataFrame,
    label: str,
    config: TrainConfig,
    client: MlflowClient,
    nested: bool = False,
) -> ModelResult:
    """Fit one target's model, then log it to MLflow and register it behind the champion gate."""
    fitted = fit_target(matrix, label, config)
    return log_target(fitted, matrix, config, client, nested)


def log_target(
    fitted: FittedTarget,
    matrix: pd.DataFrame,
    config: TrainConfig,
    client: MlflowClient,
    nested: bool = False,
) -> ModelResult:
    """One MLflow run: params, data fingerprint, metrics, plots, the model, registration."""
    name, label, model, split = fitted.name, fitted.label, fitted.model, fitted.split
    features, categories, metrics = fitted.features, fitted.categories, fitted.metrics
    val = split.validation
    run_name = f"{name}-{pd.Timestamp.now(tz='UTC'):%Y%m%d-%H%M%S}"
    with mlflow.start_run(run_name=run_name, nested=nested) as run:
        mlflow.set_tags(
            {
                "target": label,
                "model_name": name,
                "model_kind": config.model_kind,
                "validation": split.scheme,
                "calibrator": model.calibrator.kind,
            }
        )
        if not split.is_out_of_time:
            mlflow.set_tag(
                "validation_note",
                f"one as-of date only (a flat table): no time to split on, so validated by "
                f"{split.scheme} cross-validation grouped by account instead of out of time",
            )
        mlflow.log_params(flat_params(config))
        mlflow.log_params(_run_params(fitted, matrix))
        if fitted.params != config.booster:
            mlflow.log_params(
                {f"tuned_{k}": v for k, v in dataclasses.asdict(fitted.params).items()}
            )
        mlflow.log_metrics(metrics)
        warnings = _log_checks(fitted, matrix)
        _log_trials(fitted.trials, name)
        mlflow.log_dict({"features": features, "categories": categories}, "features.json")
        mlflow.log_dict(model.meta["reference"], "monitoring/reference.json")
        mlflow.log_table(validation_predictions(fitted), "validation/predictions.json")
        _log_plots(fitted)
        example_rows = val.head(5)
        if config.model_kind == "logistic":
            input_example = model.inputs(example_rows)
            info = mlflow.sklearn.log_model(
                fitted.baseline,
                name="model",
                signature=infer_signature(
                    input_example, fitted.baseline.predict_proba(input_example)
                ),
                input_example=input_example,
                pyfunc_predict_fn="predict_proba",
                skops_trusted_types=["numpy.dtype"],
                pip_requirements=requirements(),
            )
            promoted, version = False, None
            reason = (
                "model_kind=logistic: the logistic model is logged for comparison but not "
                "registered, because scoring explains every account with TreeSHAP on the "
                "LightGBM booster; train with model_kind=lightgbm to register"
            )
        else:
            # self-contained: our code travels with the model (code_paths), which names the
            # libraries it imports, so it loads where this project is not installed
            signature, served_example = served_signature(
                model, example_rows, feature_columns(matrix)
            )
            info = mlflow.pyfunc.log_model(
                name="model",
                python_model=model,
                signature=signature,
                input_example=served_example,
                code_paths=code_paths(),
                pip_requirements=requirements(),
            )
            promoted, reason, version = register(client, name, info.model_uri, fitted, config.gate)
        mlflow.set_tags({"promoted": str(promoted).lower(), "promotion_reason": reason})
    return ModelResult(
        name,
        run.info.run_id,
        info.model_uri,
        version,
        promoted,
        reason,
        metrics,
        warnings=warnings,
    )


def _metric_key(name: str) -> str:
    """A feature name as an MLflow metric key (letters, digits, ``_-. /`` only)."""
    return "".join(c if c.isalnum() or c in "_-. /" else "_" for c in name)


def _log_checks(fitted: FittedTarget, matrix: pd.DataFrame) -> list[str]:
    """The leakage guard's per-feature ROC AUCs and the positive rate per as-of date; returns
    the warnings (also set as the run's ``label_warning`` tag)."""
    aucs = {k: v for k, v in fitted.feature_aucs.items() if pd.notna(v)}
    mlflow.log_dict(aucs, "guard/feature_aucs.json")
    mlflow.log_metrics({f"feature_auc/{_metric_key(k)}": v for k, v in aucs.items()})
    if aucs:
        top = next(iter(aucs))
        mlflow.log_metric("feature_auc_max", aucs[top])
        mlflow.set_tag("feature_auc_max_feature", top)
    rates = positive_rates(matrix, fitted.label)
    mlflow.log_table(
        rates.assign(as_of=rates["as_of"].dt.strftime("%Y-%m-%d")), "labels/positive_rate.json"
    )
    warning = rate_jump(rates, fitted.label)
    if warning:
        mlflow.set_tag("label_warning", warning)
    return [warning] if warning else []


def _run_params(fitted: FittedTarget, matrix: pd.DataFrame) -> dict[str, object]:
    split = fitted.split
    return {
        "data_fingerprint": fingerprint(matrix),
        "validation_fingerprint": validation_fingerprint(split, fitted.y_val),
        "validation": split.scheme,
        "train_period": f"{split.train_dates[0].date()}..{split.train_dates[-1].date()}",
        "validation_period": f"{split.validation_dates[0].date()}.."
        f"{split.validation_dates[-1].date()}",
        "gap_days": split.gap_days,
        "n_features": len(fitted.features),
    }


def _log_trials(trials: list[Trial], name: str) -> None:
    """One nested run per tuning trial, scored on the training period's inner split."""
    best = max(trials, key=lambda t: (t.inner_roc_auc, -t.number), default=None)
    for trial in trials:
        with mlflow.start_run(run_name=f"{name}-trial-{trial.number}", nested=True):
            mlflow.set_tags({"tuning_trial": str(trial.number), "best": str(trial is best)})
            mlflow.log_params(dataclasses.asdict(trial.params))
            mlflow.log_metrics({"inner_roc_auc": trial.inner_roc_auc, "rounds": trial.rounds})


def _log_plots(fitted: FittedTarget) -> None:
    """ROC/PR/calibration/lift against the baseline, SHAP summary, realised churn per band."""
    import matplotlib.pyplot as plt

    split, name = fitted.split, fitted.name
    window = (
        f"validation {split.validation_dates[0].date()} to {split.validation_dates[-1].date()}"
        if split.is_out_of_time
        else f"{split.scheme} out-of-fold predictions"
    )
    curves = {
        "LightGBM (calibrated)": fitted.calibrated_val,
        "logistic baseline": fitted.baseline_val,
    }
    mlflow.log_figure(
        validation_figure(fitted.y_val, curves, f"{name}: {window}"), "plots/validation.png"
    )
    sample = split.validation.sample(
        n=min(SHAP_SAMPLE, len(split.validation)), random_state=fitted.params.seed
    ).sort_index()
    contributions, _ = fitted.model.contributions(sample)
    figure = shap_summary_figure(
        contributions,
        fitted.model.prepare(sample),
        f"{name}: SHAP values (log-odds) on {len(sample)} validation rows",
    )
    mlflow.log_figure(figure, "plots/shap_summary.png")
    plt.close(figure)
    if fitted.label == HEALTH_LABEL:
        from serving.score import ScoreConfig

        mlflow.log_figure(
            band_figure(
                fitted.y_val,
                fitted.calibrated_val,
                validation_months(fitted),
                ScoreConfig(),
                f"{name}: {window}",
            ),
            "plots/health_bands.png",
        )


def register(
    client: MlflowClient,
    name: str,
    model_uri: str,
    fitted: FittedTarget,
    gate: GateConfig = GateConfig(),
) -> tuple[bool, str, str | None]:
    """Register the model; it takes ``@champion`` only if it clears the floor and the leakage
    guard (``training.guard``) and beats the champion on this window.

    Below the floor or suspected of a leak it gets no alias; otherwise, when it loses to the
    champion, ``@challenger``. The reason says why it was not promoted.
    """
    version = mlflow.register_model(model_uri, name).version
    check = verdict(fitted.metrics, fitted.feature_aucs, gate)
    mlflow.set_tags(
        {"gate_passed": str(check.passed).lower(), "leak_suspected": str(check.leak_suspected)}
    )
    if check.passed:
        promoted, reason = champion_gate(client, name, fitted)
        client.set_registered_model_alias(name, CHAMPION if promoted else CHALLENGER, version)
    else:
        promoted, reason = False, f"not promoted: {check.sentence()}"
    client.update_model_version(name, version, description=reason)
    return promoted, reason, version


def champion_gate(client: MlflowClient, name: str, fitted: FittedTarget) -> tuple[bool, str]:
    """Whether the new model beats the current champion on the same validation window, and why.

    The same window means either the champion was validated on exactly these rows and labels (its
    logged ``val_roc_auc`` is then comparable), or, out of time, the champion's training labels
    all settle before this window starts, so it can be scored on these rows without having seen
    them. Anything else cannot be compared fairly and keeps the champion. The rules are
    ``training.guard``'s pure functions; this reads the registry for them.
    """
    try:
        current = client.get_model_version_by_alias(name, CHAMPION)
    except mlflow.exceptions.MlflowException:
        return True, "no champion yet"
    comparison = _champion_comparison(client, name, current, fitted)
    if comparison.auc is not None:
        mlflow.log_metric("champion_val_roc_auc", comparison.auc)
    return champion_decision(fitted.metrics["val_roc_auc"], str(current.version), comparison)


def _champion_comparison(
    client: MlflowClient, name: str, current, fitted: FittedTarget
) -> Comparison:
    """The champion's ROC AUC on this run's validation rows (``Comparison.auc`` None: why not)."""
    run = client.get_run(current.run_id)
    mine = validation_fingerprint(fitted.split, fitted.y_val)
    same_rows = run.data.params.get("validation_fingerprint") == mine
    logged = logged_comparison(
        same_rows, run.data.metrics.get("val_roc_auc"), fitted.split.is_out_of_time
    )
    if logged is not None:
        return logged
    champion = mlflow.pyfunc.load_model(f"models:/{name}@{CHAMPION}").unwrap_python_model()
    why_not = unsettled(getattr(champion, "meta", {}), fitted.split.validation_dates[0])
    if why_not is not None:
        return Comparison(None, why_not)
    try:
        probability = champion.probability(fitted.split.validation)
    except ValueError as error:
        return Comparison(None, f"cannot score these rows ({error})")
    return scored_comparison(fitted.y_val, probability)


def train_models(
    tables: Tables, config: TrainConfig = TrainConfig(), progress: Callable | None = None
) -> tuple[pd.DataFrame, list[ModelResult]]:
    """The whole job on raw tables: build the matrix, then one run per target.

    Raises ``TrainingImpossible`` (one paragraph with the numbers and the flags that help) when
    the history is too short for the churn model; a renewal model that cannot be trained is
    reported as not trained instead.
    """
    config, matrix = prepare_training(tables, config, progress)
    return matrix, train_from_matrix(matrix, config)


def prepare_training(
    tables: Tables, config: TrainConfig, progress: Callable | None = None
) -> tuple[TrainConfig, pd.DataFrame]:
    """The run's concrete config (``resolve_config``) and its training matrix.

    Raises ``TrainingImpossible`` (one paragraph with the numbers and the flags that help) when
    the history leaves no room to validate the churn model out of time.
    """
    if config.observed_until and tables.observed_until is None:
        tables = dataclasses.replace(tables, observed_until=pd.Timestamp(config.observed_until))
    config = resolve_config(tables, config)
    matrix = build_training_matrix(tables, config, progress)
    why = too_little_history(matrix, "churned", config)
    if why is not None:
        raise TrainingImpossible(history_error(tables, config, "churned", why))
    return config, matrix


def configured_split(matrix: pd.DataFrame, label: str, config: TrainConfig) -> Split:
    """The validation split of ``config`` for ``label``: its gap, dates, folds and seed."""
    return validation_split(
        matrix,
        label,
        config.gap_days(label),
        config.validation_dates or LONG_VALIDATION_DATES,
        config.folds,
        config.booster.seed,
        config.known_from(label),
    )


def too_little_history(matrix: pd.DataFrame, label: str, config: TrainConfig) -> str | None:
    """Why the labelled as-of dates leave no room for out-of-time validation, or None."""
    if label not in matrix or matrix[label].notna().sum() == 0:
        return f"no as-of date has a settled '{label}' label"
    try:
        configured_split(matrix, label, config)
    except ValueError as error:
        if matrix.loc[matrix[label].notna(), "as_of"].nunique() > 1:
            return str(error)
    return None


def untrainable(matrix: pd.DataFrame, label: str, config: TrainConfig) -> str | None:
    """Why ``label`` cannot give a model worth judging (no outcomes of one class, too few rows,
    no room for out-of-time validation), or None."""
    if label not in matrix:
        return f"the matrix has no '{label}' column"
    known = matrix[matrix[label].notna()]
    counts = known[label].astype(int).value_counts().reindex([0, 1], fill_value=0)
    name = TARGETS.get(label, label)
    if len(known) == 0:
        return f"no row has a known '{label}' label"
    if counts.min() == 0:
        missing = "positive" if counts[1] == 0 else "negative"
        return (
            f"the {len(known):,} labelled rows have no {missing} '{label}' outcome, so there is "
            f"nothing to tell apart"
        )
    if counts.min() < config.min_class_rows:
        return (
            f"only {counts[1]:,} positive and {counts[0]:,} negative labelled rows, under the "
            f"{config.min_class_rows} of each class a {name} model needs to be judged"
        )
    try:
        split = configured_split(matrix, label, config)
    except ValueError as error:
        return str(error)
    for side, rows in (("training", split.train), ("validation", split.validation)):
        if rows[label].nunique() < 2:
            return (
                f"its {side} rows ({len(rows):,}, as-of dates {rows['as_of'].min().date()} to "
                f"{rows['as_of'].max().date()}) hold outcomes of one class only"
            )
    return None


def not_trained(label: str, reason: str, config: TrainConfig, nested: bool = False) -> ModelResult:
    """An MLflow run that records why ``label`` got no model; the result says it in a sentence."""
    name = TARGETS.get(label, label)
    sentence = f"{name} model not trained: {reason}."
    with mlflow.start_run(run_name=f"{name}-not-trained", nested=nested) as run:
        mlflow.set_tags({"target": label, "model_name": name, "trained": "false"})
        mlflow.set_tag("not_trained_reason", sentence)
        mlflow.log_params(flat_params(config))
    return ModelResult(name, run.info.run_id, None, None, False, sentence, {}, trained=False)


def _train_or_explain(
    matrix: pd.DataFrame, label: str, config: TrainConfig, client, nested: bool = False
) -> ModelResult:
    why = untrainable(matrix, label, config)
    if why is not None:
        return not_trained(label, why, config, nested)
    return train_target(matrix, label, config, client, nested)


def train_from_matrix(
    matrix: pd.DataFrame,
    config: TrainConfig = TrainConfig(),
    labels: list[str] | None = None,
    parent_run_id: str | None = None,
) -> list[ModelResult]:
    """One MLflow run per label in the matrix; a label that cannot be trained gets a run that
    says why (``untrainable``) and no model.

    With ``parent_run_id`` (the project's run under ``mlflow run``) each is a nested run of it;
    the parent gets no params of ours, so they never collide with the entry point's.
    """
    client = MlflowClient()
    targets = labels or [c for c in LABELS if c in matrix]
    if parent_run_id is None:
        mlflow.set_experiment(config.experiment)
        return [_train_or_explain(matrix, label, config, client) for label in targets]
    with mlflow.start_run(run_id=parent_run_id):
        return [_train_or_explain(matrix, label, config, client, nested=True) for label in targets]


def save_matrix(matrix: pd.DataFrame, path: Path) -> None:
    """Write a matrix atomically (a temp file in the same folder, then a rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as handle:
        tmp = Path(handle.name)
    try:
        matrix.to_parquet(tmp, index=False)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


__all__ = ["KEYS", "TrainConfig", "train_models", "train_from_matrix", "build_training_matrix"]
