"""The training job: feature matrix -> churn and renewal models as MLflow runs, gated into the registry."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from mlflow.models import infer_signature
from mlflow.tracking import MlflowClient

from features.contract import Tables
from features.matrix import KEYS, LABELS, build_feature_matrix, feature_columns
from features.timeline import LabelConfig, as_of_grid, observation_end, observation_start
from serving.model import Calibrator, HealthModel
from training.fit import (
    BoosterParams,
    baseline_input,
    category_levels,
    cross_fitted_calibration,
    fit_baseline,
    fit_booster,
)
from training.metrics import classification_metrics
from training.plots import validation_figure
from training.split import Split, out_of_time_split

CHAMPION = "champion"
TARGETS = {"churned": "churn", "renewed": "renewal"}


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run; logged whole as MLflow params."""

    horizon_days: int = 90
    renewal_window_days: int = 120
    grace_days: int = 14
    every_days: int = 30
    warmup_days: int = 90
    validation_dates: int = 3
    experiment: str = "customer-health"
    booster: BoosterParams = field(default_factory=BoosterParams)

    @property
    def labels(self) -> LabelConfig:
        return LabelConfig(self.horizon_days, self.renewal_window_days, self.grace_days)

    def gap_days(self, label: str) -> int:
        window = self.horizon_days if label == "churned" else self.renewal_window_days
        return window + self.grace_days


@dataclass
class ModelResult:
    """What one target's run produced."""

    target: str
    run_id: str
    model_uri: str
    version: str | None
    promoted: bool
    reason: str
    metrics: dict[str, float]


Progress = Callable[[str], None]


def training_dates(tables: Tables, config: TrainConfig) -> list[pd.Timestamp]:
    """The as-of grid over the data's history, starting after a warm-up for windowed features."""
    start = observation_start(tables) + pd.Timedelta(days=config.warmup_days)
    return as_of_grid(start, observation_end(tables), config.every_days)


def build_training_matrix(
    tables: Tables, config: TrainConfig, progress: Callable | None = None
) -> pd.DataFrame:
    """Features and labels at every grid date; rows censored for both labels are dropped."""
    matrix = build_feature_matrix(tables, training_dates(tables, config), config.labels, progress)
    return matrix[matrix[LABELS].notna().any(axis=1)].reset_index(drop=True)


def fingerprint(frame: pd.DataFrame) -> str:
    """A short content hash of a frame, so a run says exactly which data it saw."""
    hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    columns = ",".join(map(str, frame.columns)).encode()
    return hashlib.sha256(hashed.tobytes() + columns).hexdigest()[:16]


def flat_params(config: TrainConfig) -> dict[str, object]:
    params = dataclasses.asdict(config)
    booster = params.pop("booster")
    return {**params, **{f"lgb_{k}": v for k, v in booster.items()}}


@dataclass
class FittedTarget:
    """One target's fitted model and its out-of-time validation, before anything is logged."""

    label: str
    model: HealthModel
    split: Split
    features: list[str]
    categories: dict[str, list[str]]
    metrics: dict[str, float]
    y_val: np.ndarray
    calibrated_val: np.ndarray
    baseline_val: np.ndarray

    @property
    def name(self) -> str:
        return TARGETS.get(self.label, self.label)


def fit_target(matrix: pd.DataFrame, label: str, config: TrainConfig) -> FittedTarget:
    """Fit LightGBM and the baseline on earlier dates, calibrate and measure on later ones.

    Pure: no MLflow. The backtest and the tests call it directly.
    """
    features = feature_columns(matrix)
    split = out_of_time_split(matrix, label, config.gap_days(label), config.validation_dates)
    train, val = split.train, split.validation
    categories = category_levels(train, features)
    booster, rounds = fit_booster(train, label, features, categories, config.booster)
    baseline = fit_baseline(train, label, features, categories)

    y_val = val[label].astype(int).to_numpy()
    raw_model = HealthModel(
        booster.model_to_string(), features, categories, Calibrator("identity"), label
    )
    raw_val = raw_model.raw_probability(val)
    calibrator, calibrated_val, calibration_briers = cross_fitted_calibration(
        raw_val, y_val, seed=config.booster.seed
    )
    baseline_val = baseline.predict_proba(baseline_input(val, features, categories))[:, 1]
    model = HealthModel(
        booster.model_to_string(),
        features,
        categories,
        calibrator,
        label,
        meta={
            "horizon_days": config.horizon_days,
            "renewal_window_days": config.renewal_window_days,
            "validation_dates": [str(d.date()) for d in split.validation_dates],
        },
    )
    metrics = {
        **classification_metrics(y_val, calibrated_val, "val_"),
        **classification_metrics(y_val, baseline_val, "baseline_val_"),
        "val_roc_auc_uncalibrated": classification_metrics(y_val, raw_val)["val_roc_auc"],
        "train_rows": float(len(train)),
        "train_positives": float(train[label].sum()),
        "val_rows": float(len(val)),
        "val_positives": float(y_val.sum()),
        "num_boost_round": float(rounds),
        **{f"calibration_brier_{k}": v for k, v in calibration_briers.items()},
    }
    return FittedTarget(
        label, model, split, features, categories, metrics, y_val, calibrated_val, baseline_val
    )


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
        }
    )


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
    """One MLflow run: params, data fingerprint, metrics, plots, the pyfunc model, registration."""
    name, label, model, split = fitted.name, fitted.label, fitted.model, fitted.split
    features, categories, metrics = fitted.features, fitted.categories, fitted.metrics
    val, y_val = split.validation, fitted.y_val
    calibrated_val, baseline_val = fitted.calibrated_val, fitted.baseline_val
    calibrator = model.calibrator
    run_name = f"{name}-{pd.Timestamp.now(tz='UTC'):%Y%m%d-%H%M%S}"
    with mlflow.start_run(run_name=run_name, nested=nested) as run:
        mlflow.set_tags(
            {
                "target": label,
                "model_name": name,
                "validation": "out-of-time",
                "calibrator": calibrator.kind,
            }
        )
        mlflow.log_params(flat_params(config))
        mlflow.log_params(
            {
                "data_fingerprint": fingerprint(matrix),
                "train_period": f"{split.train_dates[0].date()}..{split.train_dates[-1].date()}",
                "validation_period": f"{split.validation_dates[0].date()}.."
                f"{split.validation_dates[-1].date()}",
                "gap_days": split.gap_days,
                "n_features": len(features),
            }
        )
        mlflow.log_metrics(metrics)
        mlflow.log_dict({"features": features, "categories": categories}, "features.json")
        mlflow.log_table(validation_predictions(fitted), "validation/predictions.json")
        mlflow.log_figure(
            validation_figure(
                y_val,
                {"LightGBM (calibrated)": calibrated_val, "logistic baseline": baseline_val},
                f"{name}: validation {split.validation_dates[0].date()} to "
                f"{split.validation_dates[-1].date()}",
            ),
            "plots/validation.png",
        )
        example = val[features].head(5)
        signature = infer_signature(
            _signature_frame(example, categories), model.predict(None, example)
        )
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=model,
            signature=signature,
            input_example=_signature_frame(example, categories),
            pip_requirements=_requirements(),
        )
        promoted, reason, version = register(
            client, name, info.model_uri, run.info.run_id, metrics["val_roc_auc"], val, y_val
        )
        mlflow.set_tags({"promoted": str(promoted).lower(), "promotion_reason": reason})
    return ModelResult(name, run.info.run_id, info.model_uri, version, promoted, reason, metrics)


def _signature_frame(frame: pd.DataFrame, categories: dict[str, list[str]]) -> pd.DataFrame:
    """Inputs as MLflow records them: categories as strings, everything else as float."""
    out = frame.copy()
    for name in out.columns:
        if name in categories:
            out[name] = out[name].astype("object").where(out[name].notna(), None)
        else:
            out[name] = pd.to_numeric(out[name], errors="coerce").astype(float)
    return out


def _requirements() -> list[str]:
    from importlib.metadata import version

    packages = ["mlflow", "lightgbm", "pandas", "numpy", "scikit-learn"]
    return [f"{p}=={version(p)}" for p in packages]


def register(
    client: MlflowClient,
    name: str,
    model_uri: str,
    run_id: str,
    val_auc: float,
    val: pd.DataFrame,
    y_val: np.ndarray,
) -> tuple[bool, str, str | None]:
    """Register the model; it takes ``@champion`` only if it beats the champion on this window."""
    from sklearn.metrics import roc_auc_score

    version = mlflow.register_model(model_uri, name).version
    try:
        current = client.get_model_version_by_alias(name, CHAMPION)
    except mlflow.exceptions.MlflowException:
        current = None
    if current is None:
        promoted, reason = True, "no champion yet"
    else:
        champion = mlflow.pyfunc.load_model(f"models:/{name}@{CHAMPION}").unwrap_python_model()
        try:
            champion_auc = float(roc_auc_score(y_val, champion.probability(val)))
        except ValueError as error:
            promoted, reason = True, f"champion v{current.version} cannot score this data: {error}"
        else:
            mlflow.log_metric("champion_val_roc_auc", champion_auc)
            promoted = val_auc >= champion_auc
            verb = "beats" if promoted else "does not beat"
            reason = (
                f"val_roc_auc {val_auc:.4f} {verb} champion v{current.version}'s "
                f"{champion_auc:.4f} on the same validation window"
            )
    if promoted:
        client.set_registered_model_alias(name, CHAMPION, version)
    else:
        client.set_registered_model_alias(name, "challenger", version)
    client.update_model_version(name, version, description=reason)
    return promoted, reason, version


def train_models(
    tables: Tables, config: TrainConfig = TrainConfig(), progress: Callable | None = None
) -> tuple[pd.DataFrame, list[ModelResult]]:
    """The whole job on raw tables: build the matrix, then one run per target."""
    matrix = build_training_matrix(tables, config, progress)
    return matrix, train_from_matrix(matrix, config)


def train_from_matrix(
    matrix: pd.DataFrame, config: TrainConfig = TrainConfig(), labels: list[str] | None = None
) -> list[ModelResult]:
    """One MLflow run per label present in the matrix."""
    from serving.tracking import use_experiment

    client = MlflowClient()
    targets = labels or [c for c in LABELS if c in matrix and matrix[c].notna().any()]
    parent = os.environ.pop("MLFLOW_RUN_ID", None)
    if parent is None:
        use_experiment(config.experiment)
        return [train_target(matrix, label, config, client) for label in targets]
    # Under ``mlflow run`` the project's run is the parent; each model gets a nested run.
    with mlflow.start_run(run_id=parent):
        mlflow.log_params(flat_params(config))
        return [train_target(matrix, label, config, client, nested=True) for label in targets]


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


def summary(results: list[ModelResult]) -> str:
    return json.dumps(
        {
            r.target: {
                "auc": round(r.metrics["val_roc_auc"], 4),
                "version": r.version,
                "promoted": r.promoted,
            }
            for r in results
        }
    )


__all__ = ["KEYS", "TrainConfig", "train_models", "train_from_matrix", "build_training_matrix"]
