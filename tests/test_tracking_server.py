"""A team past one machine tracks on an MLflow server: train, score and Spark scoring through it."""

from __future__ import annotations

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from health.cli import main

pytestmark = pytest.mark.slow


def test_train_and_score_through_an_mlflow_server(demo_tables_dir, tracking_server, tmp_path):
    assert main(["train", str(demo_tables_dir), "--experiment", "server"]) == 0
    client = MlflowClient()
    assert client._tracking_client.tracking_uri == tracking_server
    champion = client.get_model_version_by_alias("churn", "champion")
    assert champion.source.startswith(("models:/", "mlflow-artifacts:"))

    out = tmp_path / "scores"
    assert main(["score", str(demo_tables_dir), "--out", str(out), "--experiment", "server"]) == 0
    scores = pd.read_parquet(out / "scores.parquet")
    assert scores["churn_model_version"].eq(champion.version).all()
    runs = client.search_runs(
        [client.get_experiment_by_name("server").experiment_id], "tags.job = 'score'"
    )
    assert len(runs) == 1
    assert runs[0].data.metrics["accounts"] == len(scores)
