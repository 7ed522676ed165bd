"""The monitoring job: earlier scorings + today's data + the champions -> drift, realised
performance, band migration and a verdict, written to a folder and logged as one MLflow run."""

from __future__ import annotations

import contextlib
import json
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.tracking import MlflowClient

from features.contract import Tables
from features.labels import LabelConfig
from features.matrix import build_features
from monitoring.drift import feature_drift, score_drift
from monitoring.migration import biggest_movers, migration_counts, migration_matrix
from monitoring.realised import realised_outcomes, realised_summary
from monitoring.verdict import MonitorConfig, Verdict, verdict
from serving.score import (
    CHAMPION_URIS,
    SCORES,
    LoadedModel,
    default_as_of,
    load_model,
    model_event_types,
    renewal_due,
)

SCORE_COLUMNS = ["account_id", "as_of", "churn_probability", "renewal_probability"]
SCORE_COLUMNS += ["health_score", "band", "churn_model_version", "renewal_model_version"]


class ScoringError(ValueError):
    """A --scores folder that is not a scoring output."""


class OutFolderError(ValueError):
    """An --out folder that holds a scoring: publishing a report there would replace it."""


@dataclass
class Scoring:
    """One earlier scoring output: where it is, its date and its scores."""

    path: Path
    as_of: pd.Timestamp
    scores: pd.DataFrame


def read_scoring(path: str | Path) -> Scoring:
    """A scoring folder (or its scores.parquet), checked for the columns monitoring reads."""
    path = Path(path)
    file = path / f"{SCORES}.parquet" if path.is_dir() else path
    if not file.exists():
        raise ScoringError(f"{path}: no {SCORES}.parquet here (write one with 'health score')")
    scores = pd.read_parquet(file)
    missing = [c for c in SCORE_COLUMNS[:6] if c not in scores]
    if missing:
        raise ScoringError(f"{file}: missing column(s) {', '.join(missing)}")
    if scores.empty:
        raise ScoringError(f"{file}: no scored accounts")
    dates = pd.to_datetime(scores["as_of"]).unique()
    if len(dates) != 1:
        raise ScoringError(f"{file}: one as-of date expected, found {len(dates)}")
    return Scoring(file.parent, pd.Timestamp(dates[0]), scores)


@dataclass
class Champions:
    """The models monitored (churn always, renewal when registered) and their training figures."""

    churn: LoadedModel
    renewal: LoadedModel | None
    training: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def versions(self) -> dict[str, str]:
        out = {"churn": self.churn.version}
        if self.renewal is not None:
            out["renewal"] = self.renewal.version
        return out


def training_figures(name: str, version: str) -> dict[str, float]:
    """The validation metrics the registered model ``name`` v``version`` showed at training."""
    client = MlflowClient()
    run = client.get_run(client.get_model_version(name, version).run_id)
    return {k: v for k, v in run.data.metrics.items() if k.startswith("val_")}


def load_champions(churn_uri: str, renewal_uri: str | None) -> Champions:
    churn = load_model(churn_uri)
    renewal = load_model(renewal_uri) if renewal_uri else None
    champions = Champions(churn, renewal)
    for name, loaded in (("churn", churn), ("renewal", renewal)):
        if loaded is not None and loaded.uri.startswith("models:/"):
            champions.training[name] = training_figures(name, loaded.version)
    return champions


@dataclass
class MonitorReport:
    """Everything the report shows; ``metrics`` is what MLflow records."""

    as_of: pd.Timestamp
    drift: pd.DataFrame
    score: dict[str, Any] | None
    realised: list[dict[str, Any]]
    migration: pd.DataFrame | None
    movers: pd.DataFrame | None
    between: tuple[str, str] | None
    verdict: Verdict
    versions: dict[str, str]
    training: dict[str, dict[str, float]]
    config: MonitorConfig

    @property
    def metrics(self) -> dict[str, float]:
        churn = self.drift[self.drift["model"] == "churn"] if len(self.drift) else self.drift
        judged = self.drift[self.drift["judged"]] if len(self.drift) else self.drift
        out = {
            "drifted_features": float(
                judged.loc[judged["status"] == "drifted", "feature"].nunique()
            ),
            "moderate_features": float(
                judged.loc[judged["status"] == "moderate", "feature"].nunique()
            ),
            "max_psi": float(self.drift["psi"].max()) if len(self.drift) else float("nan"),
            "accounts_today": float(churn["rows_now"].max()) if len(churn) else float("nan"),
            "scorings_pending": float(sum(r["status"] == "pending" for r in self.realised)),
            "scorings_realised": float(sum(r["status"] == "realised" for r in self.realised)),
        }
        if self.score is not None:
            out["score_psi"] = self.score["psi"]
        for _, row in churn.iterrows():
            out[f"psi_{row['feature']}"] = float(row["psi"])
        done = [r for r in self.realised if r["status"] == "realised"]
        if done:
            latest = max(done, key=lambda r: r["as_of"])
            for target in ("churn", "renewal"):
                for key in ("roc_auc", "brier", "mean_predicted", "realised_rate", "accounts"):
                    out[f"realised_{target}_{key}"] = float(latest[target][key])
        if self.migration is not None:
            out.update(
                {f"migration_{k}": float(v) for k, v in migration_counts(self.migration).items()}
            )
        return {k: v for k, v in out.items() if np.isfinite(v)}


def drift_today(frame: pd.DataFrame, champions: Champions, config: MonitorConfig) -> pd.DataFrame:
    """Feature drift of each champion over the rows it scores today (renewal: those due)."""
    parts = [feature_drift(frame, champions.churn.model, config.psi_moderate, config.psi_drifted)]
    parts[0].insert(0, "model", "churn")
    if champions.renewal is not None:
        due = frame[renewal_due(frame, champions.renewal)]
        renewal = feature_drift(
            due, champions.renewal.model, config.psi_moderate, config.psi_drifted
        )
        renewal.insert(0, "model", "renewal")
        parts.append(renewal)
    drift = pd.concat([p for p in parts if len(p)] or parts[:1], ignore_index=True)
    drift["judged"] = ~drift["feature"].isin(config.not_judged)
    return drift


def monitor(
    tables: Tables,
    scorings: list[Scoring],
    champions: Champions,
    config: MonitorConfig = MonitorConfig(),
    frame: pd.DataFrame | None = None,
) -> MonitorReport:
    """Drift today, realised performance of every scoring, migration between the last two.

    Today is the latest scoring's date (the day after the data without scorings); ``frame`` is
    the features then, built from ``tables`` with the training code when not given.
    """
    scorings = sorted(scorings, key=lambda s: s.as_of)
    as_of = scorings[-1].as_of if scorings else default_as_of(tables)
    if frame is None:
        frame = build_features(
            tables, [as_of], event_types=model_event_types(champions.churn, champions.renewal)
        )
    drift = drift_today(frame, champions, config)
    if scorings:
        probability = scorings[-1].scores["churn_probability"].to_numpy(dtype=float)
    else:
        probability = champions.churn.model.probability(frame) if len(frame) else np.array([])
    score = score_drift(probability, champions.churn.model, config.psi_moderate, config.psi_drifted)
    label_config = _label_config(champions.churn)
    realised = [
        realised_summary(realised_outcomes(tables, s.scores, label_config), label_config)
        for s in scorings
    ]
    migration = movers = between = None
    if len(scorings) >= 2:
        before, after = scorings[-2], scorings[-1]
        migration = migration_matrix(before.scores, after.scores)
        movers = biggest_movers(before.scores, after.scores, config.top_movers)
        between = (str(before.as_of.date()), str(after.as_of.date()))
    training = _training_for(realised, scorings, champions)
    judged = verdict(drift, None if score is None else score["psi"], realised, training, config)
    if drift.empty:
        judged.notes.append(
            f"churn model v{champions.churn.version} stores no training reference "
            "(trained before references were kept): drift not measured; retrain to measure it"
        )
    return MonitorReport(
        as_of, drift, score, realised, migration, movers, between, judged,
        champions.versions, training, config,
    )  # fmt: skip


def _label_config(loaded: LoadedModel) -> LabelConfig:
    """The label windows the churn model was trained with (DESIGN's defaults where not stored)."""
    meta, default = loaded.model.meta, LabelConfig()
    return LabelConfig(
        int(meta.get("horizon_days", default.horizon_days)),
        int(meta.get("renewal_window_days", default.renewal_window_days)),
        int(meta.get("grace_days", default.grace_days)),
    )


def _training_for(realised, scorings, champions: Champions) -> dict[str, dict[str, float]]:
    """Training figures of the model versions that wrote the latest realised scoring (the
    champions' where the scores do not say, or the version is not in the registry)."""
    training = dict(champions.training)
    done = [(r, s) for r, s in zip(realised, scorings, strict=True) if r["status"] == "realised"]
    if not done:
        return training
    _, latest = max(done, key=lambda pair: pair[1].as_of)
    for name in ("churn", "renewal"):
        column = f"{name}_model_version"
        versions = latest.scores.get(column, pd.Series(dtype=str)).dropna().unique()
        if len(versions) == 1 and versions[0] not in ("", "?", "None"):
            with contextlib.suppress(mlflow.exceptions.MlflowException):
                training[name] = training_figures(name, str(versions[0]))
    return training


# ----- outputs -----------------------------------------------------------------------------------


def realised_table(report: MonitorReport) -> pd.DataFrame:
    """Per scoring and band: status, predicted and realised churn and renewal."""
    parts = []
    for r in report.realised:
        bands = r["bands"].copy()
        bands.insert(0, "status", r["status"])
        bands.insert(0, "as_of", r["as_of"])
        parts.append(bands)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def summary_json(report: MonitorReport) -> dict[str, Any]:
    """The verdict and headline figures, as monitor.json records them."""
    return {
        "as_of": str(report.as_of.date()),
        "verdict": report.verdict.status,
        "verdict_text": report.verdict.text,
        "reasons": report.verdict.reasons,
        "notes": report.verdict.notes,
        "info": report.verdict.info,
        "exit_code": report.verdict.exit_code,
        "models": report.versions,
        "training": report.training,
        "realised": [{k: v for k, v in r.items() if k != "bands"} for r in report.realised],
        "score_drift": report.score,
        "migration_between": report.between,
        "metrics": report.metrics,
        "config": asdict(report.config),
    }


def write_report(report: MonitorReport, out_dir: Path) -> dict[str, Path]:
    """Write every file into a new set and publish it in one rename (``serving.outputs``' layout):
    a failed or interrupted run leaves the earlier report whole, never a mix of two runs."""
    from monitoring.report import figures, monitor_html, png_bytes
    from serving.outputs import MANIFEST, new_set_folder, publish, write_csv

    out_dir = Path(out_dir)
    if (out_dir / MANIFEST).exists():
        raise OutFolderError(
            f"--out {out_dir} holds a scoring, which the report would replace: give another folder"
        )
    staging = new_set_folder(out_dir)
    try:
        pictures = {name: png_bytes(figure) for name, figure in figures(report).items()}
        for name, png in pictures.items():
            (staging / f"{name}.png").write_bytes(png)
        (staging / "report.html").write_text(monitor_html(report, pictures), encoding="utf-8")
        write_csv(report.drift, staging / "drift.csv")
        realised = realised_table(report)
        if len(realised):
            write_csv(realised, staging / "realised.csv")
        if report.migration is not None:
            write_csv(report.migration, staging / "migration.csv", index=True)
            write_csv(report.movers, staging / "movers.csv")
        (staging / "monitor.json").write_text(
            json.dumps(_finite(summary_json(report)), indent=2, default=_jsonable) + "\n"
        )
        return publish(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _finite(value):
    """JSON has no NaN: missing numbers become null."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float | np.floating) and not np.isfinite(value):
        return None
    return value


def _jsonable(value):
    if isinstance(value, float | np.floating) and not np.isfinite(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def log_monitor_run(report: MonitorReport, files: dict[str, Path], scorings: list[Scoring]) -> str:
    """One MLflow run: thresholds as params, figures as metrics, the verdict and model versions as
    tags, every output as an artifact. Nested under an active run (a retraining's parent)."""
    as_of = str(report.as_of.date())
    nested = mlflow.active_run() is not None
    with mlflow.start_run(run_name=f"monitor-{as_of}", nested=nested) as run:
        mlflow.set_tags(
            {
                "job": "monitor",
                "as_of": as_of,
                "verdict": report.verdict.status,
                "verdict_text": report.verdict.text[:5000],
                **{f"{name}_model_version": v for name, v in report.versions.items()},
            }
        )
        mlflow.log_params({f"monitor_{k}": v for k, v in asdict(report.config).items()})
        mlflow.log_params(
            {"as_of": as_of, "scorings": ",".join(str(s.as_of.date()) for s in scorings) or "none"}
        )
        mlflow.log_metrics(report.metrics)
        for path in files.values():
            mlflow.log_artifact(str(path), "monitor")
        return run.info.run_id


@dataclass
class MonitorResult:
    report: MonitorReport
    files: dict[str, Path]
    run_id: str | None


def monitor_job(
    tables: Tables,
    scoring_dirs: list[str | Path],
    out_dir: Path,
    config: MonitorConfig = MonitorConfig(),
    churn_uri: str = CHAMPION_URIS["churn"],
    renewal_uri: str | None = CHAMPION_URIS["renewal"],
    log_run: bool = True,
) -> MonitorResult:
    """Read the scorings, monitor, write the report folder, log the run."""
    scorings = [read_scoring(path) for path in scoring_dirs]
    champions = load_champions(churn_uri, renewal_uri)
    report = monitor(tables, scorings, champions, config)
    files = write_report(report, Path(out_dir))
    run_id = log_monitor_run(report, files, scorings) if log_run else None
    return MonitorResult(report, files, run_id)
