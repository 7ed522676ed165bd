"""A team past one machine tracks on an MLflow server: train, score and Spark scoring through it."""

from __future__ import annotations

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from health.cli import main

pytestmark = pytest.mark.slow


def test_train_and_score_through_an_mlflow_server(
    demo_tables_dir, tracking_server, tmp_path, spark
):
    # what is tested is the server's path, not the model: on this small company (400 accounts)
    # the health model can land within noise of its logistic baseline, which the floor refuses
    train = ["train", str(demo_tables_dir), "--experiment", "server", "--no-baseline-floor"]
    assert main(train) == 0
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

    spark_out = tmp_path / "spark-scores"
    argv = ["score", str(demo_tables_dir), "--out", str(spark_out), "--experiment", "server"]
    assert main([*argv, "--engine", "spark", "--partitions", "2"]) == 0
    on_spark = pd.read_parquet(spark_out / "scores.parquet")
    assert sorted(on_spark["account_id"]) == sorted(scores["account_id"])
    runs = client.search_runs(
        [client.get_experiment_by_name("server").experiment_id], "tags.job = 'score'"
    )
    assert len(runs) == 2
