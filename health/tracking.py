"""Where MLflow keeps runs and models: a SQLite file by default, ``MLFLOW_TRACKING_URI`` if set."""

from __future__ import annotations

import os
from pathlib import Path

import mlflow

from training.train import DEFAULT_EXPERIMENT


def configure_tracking(default_dir: str | Path = ".") -> str:
    """Point MLflow at ``$MLFLOW_TRACKING_URI`` or at ``<default_dir>/mlflow.db``; return the URI."""
    uri = os.environ.get("MLFLOW_TRACKING_URI")
    if not uri:
        folder = Path(default_dir).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        uri = f"sqlite:///{folder / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return uri


def use_experiment(name: str = DEFAULT_EXPERIMENT) -> str:
    """Select (creating if needed) an experiment; with a SQLite store, artifacts go beside the file."""
    experiment = mlflow.get_experiment_by_name(name)
    if experiment is None:
        uri = mlflow.get_tracking_uri()
        location = None
        if uri.startswith("sqlite:///"):
            location = (Path(uri.removeprefix("sqlite:///")).parent / "mlartifacts").as_uri()
        experiment_id = mlflow.create_experiment(name, artifact_location=location)
    else:
        experiment_id = experiment.experiment_id
    mlflow.set_experiment(experiment_id=experiment_id)
    return experiment_id


def ui_command(uri: str) -> str:
    """The command that opens the MLflow UI on this store."""
    return f"mlflow ui --backend-store-uri {uri}"
