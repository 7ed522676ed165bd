"""Past one machine: the same registered models score on Apache Spark through MLflow's Spark UDF.

``spark_probability`` is the piece that scales out: it takes a Spark DataFrame of feature rows
(from anywhere: a table, Parquet files) and adds the model's probability, computed on the
executors by the registered pyfunc itself. ``spark_score_job`` is ``health score --engine spark``:
features from the same code as training, probabilities on Spark, the same score columns and band
thresholds as the pandas engine, written with the same atomic writer. It writes no SHAP
explanations: those stream on one machine (``serving.score``).

Needs the optional extra: ``pip install 'customer-health[spark]'`` and Java 17+.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from features.contract import Tables
from features.matrix import build_features
from serving.outputs import SCORES, OutputWriter
from serving.score import (
    CHAMPION_URIS,
    LoadedModel,
    ScoreConfig,
    ScoreResult,
    Summary,
    check_features,
    default_as_of,
    load_model,
    load_previous,
    log_score_run,
    model_versions,
    probability_scores,
    renewal_due,
    run_manifest,
    score_changes,
)


def spark_session(master: str | None = None):
    """The active Spark session, or a local one (``$SPARK_MASTER`` or ``local[*]``)."""
    from pyspark.sql import SparkSession

    master = master or os.environ.get("SPARK_MASTER", "local[*]")
    # Python workers must run this interpreter (with pandas, LightGBM, MLflow), not the system
    # one; Spark reads the variable when the context starts, not the session config.
    python = os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    return (
        SparkSession.builder.master(master)
        .appName("customer-health-score")
        .config("spark.pyspark.python", python)
        .config("spark.pyspark.driver.python", python)
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )


def spark_probability(spark, features, model_uri: str, columns: list[str], name: str):
    """Add column ``name``: the registered model's probability, computed by MLflow's Spark UDF."""
    import mlflow.pyfunc
    from pyspark.sql import functions as F

    udf = mlflow.pyfunc.spark_udf(spark, model_uri, result_type="double", env_manager="local")
    return features.withColumn(name, udf(F.struct(*[F.col(c) for c in columns])))


def probabilities_on_spark(
    spark, frame: pd.DataFrame, loaded: LoadedModel, name: str = "probability"
) -> np.ndarray:
    """The model's probability for each row of ``frame``, computed on Spark, in row order."""
    rows = loaded.model.inputs(frame).reset_index(drop=True)
    rows.insert(0, "_row", np.arange(len(rows), dtype=np.int64))
    scored = spark_probability(
        spark, spark.createDataFrame(rows), loaded.uri, loaded.model.features, name
    )
    result = scored.select("_row", name).toPandas()
    return result.sort_values("_row")[name].to_numpy(dtype=float)


def spark_score_job(
    tables: Tables,
    out_dir: Path,
    as_of: pd.Timestamp | None = None,
    churn_uri: str = CHAMPION_URIS["churn"],
    renewal_uri: str | None = CHAMPION_URIS["renewal"],
    config: ScoreConfig = ScoreConfig(),
    log_run: bool = True,
    previous: Path | None = None,
    spark=None,
    parent_run_id: str | None = None,
) -> ScoreResult:
    """``score_job`` with the probabilities computed on Spark; scores only, no explanations."""
    out_dir = Path(out_dir)
    as_of = pd.Timestamp(as_of) if as_of is not None else default_as_of(tables)
    churn = load_model(churn_uri)
    renewal = load_model(renewal_uri) if renewal_uri else None
    frame = build_features(tables, [as_of])
    if frame.empty:
        raise ValueError(f"no account is active on {as_of.date()}: nothing to score")
    check_features(frame, churn, renewal)
    spark = spark or spark_session()
    p_churn = probabilities_on_spark(spark, frame, churn)
    p_renewal = np.full(len(frame), np.nan)
    due = renewal_due(frame, renewal)
    if due.any():
        p_renewal[due] = probabilities_on_spark(spark, frame[due], renewal)
    scores = probability_scores(frame, p_churn, p_renewal, config)
    scores["churn_model_version"] = model_versions(churn, len(scores))
    scores["renewal_model_version"] = model_versions(renewal, len(scores))
    before = load_previous(previous if previous is not None else out_dir, as_of)
    if before is not None:
        scores = scores.join(score_changes(scores, before))
    manifest: dict[str, Any] = run_manifest(as_of, churn, renewal, config, before)
    manifest["engine"] = "spark"
    summary = Summary()
    summary.add(scores)
    manifest["summary"] = summary.metrics()
    with OutputWriter(out_dir, {"customer_health": json.dumps(manifest, default=str)}) as writer:
        writer.write(SCORES, scores)
        files = writer.commit(manifest)
    run_id = log_score_run(manifest, summary, files, parent_run_id) if log_run else None
    return ScoreResult(summary, files, run_id, manifest)
