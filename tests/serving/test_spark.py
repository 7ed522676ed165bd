"""The registered model on Apache Spark (local mode) gives the single-machine probabilities."""

from __future__ import annotations

import importlib.util
import shutil

import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from features.matrix import build_features
from serving.score import ScoreConfig, load_model, score_features
from training.train import TrainConfig, build_training_matrix, fit_target, log_target

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java (no `java` on PATH)"),
    pytest.mark.skipif(
        importlib.util.find_spec("pyspark") is None,
        reason="pyspark is not installed: pip install -e '.[spark]'",
    ),
]

AS_OF = pd.Timestamp("2025-10-01")


@pytest.fixture(scope="module")
def spark():
    from serving.spark import spark_session

    session = spark_session("local[1]")
    yield session
    session.stop()


def test_spark_udf_probabilities_equal_the_single_machine_ones(
    spark, demo_tables, tracking, tmp_path
):
    from serving.spark import probabilities_on_spark, spark_score_job

    config = TrainConfig()
    matrix = build_training_matrix(demo_tables, config)
    log_target(fit_target(matrix, "churned", config), matrix, config, MlflowClient())
    churn = load_model("models:/churn@champion")
    frame = build_features(demo_tables, [AS_OF])

    on_spark = probabilities_on_spark(spark, frame, churn)
    local = churn.model.probability(frame)
    assert np.abs(on_spark - local).max() < 1e-9

    result = spark_score_job(
        demo_tables, tmp_path / "out", AS_OF, renewal_uri=None, log_run=False, spark=spark
    )
    written = pd.read_parquet(tmp_path / "out" / "scores.parquet")
    reference, _ = score_features(frame, churn, None, ScoreConfig())
    assert np.abs(written["churn_probability"] - reference["churn_probability"]).max() < 1e-9
    assert (written["band"] == reference["band"]).all()
    assert result.manifest["engine"] == "spark"
