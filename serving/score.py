"""The scoring job: registered models + raw tables -> scores, drivers in words, SHAP explanations."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from mlflow.tracking import MlflowClient

from features.builders import FAMILIES, feature_family
from features.contract import Tables
from features.matrix import build_features
from features.timeline import observation_end
from serving.model import HealthModel
from serving.sentences import driver_sentence

# When the term ends says when an account *can* leave, not why it would: these features stay in the
# explanations and points but are not offered as reasons. The due date is its own column instead.
TIMING_FEATURES = frozenset({"days_to_term_end", "term_length_days"})

CHAMPION_URIS = {"churn": "models:/churn@champion", "renewal": "models:/renewal@champion"}


@dataclass(frozen=True)
class ScoreConfig:
    """Band thresholds on the 0-100 health score, and how many drivers to write."""

    green_from: int = 70
    red_below: int = 40
    top_drivers: int = 3


@dataclass
class LoadedModel:
    model: HealthModel
    uri: str
    version: str


def default_as_of(tables: Tables) -> pd.Timestamp:
    """The day after the latest data: scores then see everything there is."""
    return observation_end(tables).normalize() + pd.Timedelta(days=1)


def load_model(uri: str) -> LoadedModel:
    """Load a pyfunc by URI (``models:/churn@champion``) and note which version it is."""
    python_model = mlflow.pyfunc.load_model(uri).unwrap_python_model()
    version = "?"
    if uri.startswith("models:/") and "@" in uri:
        name, alias = uri.removeprefix("models:/").split("@", 1)
        version = MlflowClient().get_model_version_by_alias(name, alias).version
    elif uri.startswith("models:/"):
        version = uri.rsplit("/", 1)[-1]
    return LoadedModel(python_model, uri, str(version))


def band(score: np.ndarray, config: ScoreConfig) -> np.ndarray:
    return np.where(
        score >= config.green_from, "green", np.where(score < config.red_below, "red", "yellow")
    )


def health_points(
    contributions: np.ndarray, base: np.ndarray, model: HealthModel
) -> tuple[np.ndarray, np.ndarray]:
    """SHAP log-odds contributions mapped onto health-score points.

    Each feature gets its share of the move from the base score to the account's score, so the
    base score plus every feature's points equals the account's (unrounded) health score.
    Returns (points per feature, base score per row).
    """
    margin = base + contributions.sum(axis=1)
    score = 100 * (1 - model.calibrator(_sigmoid(margin)))
    base_score = 100 * (1 - model.calibrator(_sigmoid(base)))
    total = contributions.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(np.abs(total) > 1e-12, (score - base_score) / total, 0.0)
    return contributions * scale[:, None], base_score


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def score_features(
    frame: pd.DataFrame,
    churn: LoadedModel,
    renewal: LoadedModel | None,
    config: ScoreConfig = ScoreConfig(),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Scores and long-format explanations for a feature frame (one row per account)."""
    model = churn.model
    p_churn = model.probability(frame)
    contributions, base = model.contributions(frame)
    points, base_score = health_points(contributions, base, model)
    health = np.rint(100 * (1 - p_churn)).astype(int)
    scores = pd.DataFrame(
        {
            "account_id": frame["account_id"].to_numpy(),
            "as_of": frame["as_of"].to_numpy(),
            "churn_probability": p_churn,
            "renewal_probability": renewal_probability(frame, renewal),
            "health_score": health,
            "band": band(health, config),
        }
    )
    if "days_to_term_end" in frame:
        scores["renewal_due_in_days"] = pd.to_numeric(frame["days_to_term_end"]).to_numpy()
    if "mrr" in frame:
        scores["arr_at_risk"] = (
            p_churn * pd.to_numeric(frame["mrr"], errors="coerce").to_numpy() * 12
        )
    families = np.array([feature_family(f) for f in model.features])
    scores["base_score"] = base_score
    for family in FAMILIES:
        scores[f"points_{family}"] = points[:, families == family].sum(axis=1)
    scores = scores.join(drivers(frame, contributions, model.features, config.top_drivers))
    scores["churn_model_version"] = churn.version
    scores["renewal_model_version"] = renewal.version if renewal else None
    explanations = long_explanations(frame, contributions, points, model.features)
    return scores, explanations


def renewal_probability(frame: pd.DataFrame, renewal: LoadedModel | None) -> np.ndarray:
    """Renewal probability only for accounts whose term ends inside the model's renewal window."""
    out = np.full(len(frame), np.nan)
    if renewal is None or "days_to_term_end" not in frame:
        return out
    window = renewal.model.meta.get("renewal_window_days", 120)
    days = pd.to_numeric(frame["days_to_term_end"], errors="coerce").to_numpy()
    due = (days >= 0) & (days <= window)
    if due.any():
        out[due] = renewal.model.probability(frame[due])
    return out


def drivers(
    frame: pd.DataFrame, contributions: np.ndarray, features: list[str], top: int
) -> pd.DataFrame:
    """Top risk drivers (raise churn most) and the top protective driver, in words."""
    reasons = contributions.copy()
    timing = [j for j, name in enumerate(features) if name in TIMING_FEATURES]
    reasons[:, timing] = 0.0
    order = np.argsort(-reasons, axis=1, kind="stable")
    contributions = reasons
    rows = []
    for i, (_, row) in enumerate(frame.iterrows()):
        record = {}
        for k in range(top):
            j = order[i, k]
            if contributions[i, j] > 0:
                record[f"risk_driver_{k + 1}"] = driver_sentence(features[j], row)
                record[f"risk_feature_{k + 1}"] = features[j]
        j = order[i, -1]
        if contributions[i, j] < 0:
            record["protective_driver"] = driver_sentence(features[j], row)
            record["protective_feature"] = features[j]
        rows.append(record)
    columns = [c for k in range(top) for c in (f"risk_driver_{k + 1}", f"risk_feature_{k + 1}")]
    columns += ["protective_driver", "protective_feature"]
    return pd.DataFrame(rows, index=frame.index, columns=columns)


def long_explanations(
    frame: pd.DataFrame, contributions: np.ndarray, points: np.ndarray, features: list[str]
) -> pd.DataFrame:
    """One row per account and feature: value, SHAP value (log-odds of churn), points, family."""
    n, f = contributions.shape
    values = frame[features].astype("object").to_numpy()
    return pd.DataFrame(
        {
            "account_id": np.repeat(frame["account_id"].to_numpy(), f),
            "as_of": np.repeat(frame["as_of"].to_numpy(), f),
            "feature": np.tile(features, n),
            "family": np.tile([feature_family(x) for x in features], n),
            "value": pd.Series(values.reshape(-1)).astype(str).to_numpy(),
            "shap_value": contributions.reshape(-1),
            "health_points": points.reshape(-1),
        }
    )


def write_outputs(outputs: dict[str, pd.DataFrame], out_dir: Path) -> dict[str, Path]:
    """Stage every file, then move each into place: a failure leaves the previous outputs whole."""
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=out_dir))
    try:
        staged = {}
        for name, frame in outputs.items():
            parquet = staging / f"{name}.parquet"
            frame.to_parquet(parquet, index=False)
            staged[f"{name}.parquet"] = parquet
            if name == "scores":
                csv = staging / f"{name}.csv"
                frame.to_csv(csv, index=False)
                staged[f"{name}.csv"] = csv
        written = {}
        for filename, path in staged.items():
            os.replace(path, out_dir / filename)
            written[filename] = out_dir / filename
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@dataclass
class ScoreResult:
    scores: pd.DataFrame
    explanations: pd.DataFrame
    files: dict[str, Path]
    run_id: str | None


def score_job(
    tables: Tables,
    out_dir: Path,
    as_of: pd.Timestamp | None = None,
    churn_uri: str = CHAMPION_URIS["churn"],
    renewal_uri: str | None = CHAMPION_URIS["renewal"],
    config: ScoreConfig = ScoreConfig(),
    log_run: bool = True,
) -> ScoreResult:
    """Compute features at ``as_of`` with the training code, score, explain, write, log."""
    as_of = pd.Timestamp(as_of) if as_of is not None else default_as_of(tables)
    churn = load_model(churn_uri)
    renewal = load_model(renewal_uri) if renewal_uri else None
    frame = build_features(tables, [as_of])
    if frame.empty:
        raise ValueError(f"no account is active on {as_of.date()}: nothing to score")
    scores, explanations = score_features(frame, churn, renewal, config)
    scores = scores.sort_values("churn_probability", ascending=False, kind="stable")
    files = write_outputs({"scores": scores, "explanations": explanations}, Path(out_dir))
    run_id = None
    if log_run:
        with mlflow.start_run(run_name=f"score-{as_of.date()}") as run:
            mlflow.set_tags(
                {
                    "job": "score",
                    "as_of": str(as_of.date()),
                    "churn_model": f"{churn.uri} (v{churn.version})",
                }
            )
            mlflow.log_params({f"band_{k}": v for k, v in asdict(config).items()})
            counts = scores["band"].value_counts()
            mlflow.log_metrics(
                {
                    "accounts": float(len(scores)),
                    "mean_health_score": float(scores["health_score"].mean()),
                    **{f"band_{b}": float(counts.get(b, 0)) for b in ("green", "yellow", "red")},
                }
            )
            for path in files.values():
                mlflow.log_artifact(str(path), "outputs")
            run_id = run.info.run_id
    return ScoreResult(scores, explanations, files, run_id)
