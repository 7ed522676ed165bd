"""The Spark engine (local mode) writes the pandas engine's features, scores and explanations."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from features.labels import LabelConfig
from features.matrix import build_feature_matrix
from serving.score import ScoreConfig, score_job

pytestmark = pytest.mark.slow

AS_OF = pd.Timestamp("2025-10-01")
DATES = [pd.Timestamp("2025-06-01"), AS_OF]


def test_spark_features_equal_the_pandas_engine_for_1_3_7_partitions(
    spark, demo_tables_dir, demo_tables, same_frames
):
    from features.spark import spark_features

    expected = build_feature_matrix(demo_tables, DATES)
    for partitions in (1, 3, 7):
        got = spark_features(spark, str(demo_tables_dir), DATES, partitions, LabelConfig())
        same_frames(got.toPandas(), expected, ["account_id", "as_of"])


@pytest.fixture
def champion(champions):
    """The churn champion's URI in the session's store (the health champion is scoring's
    default)."""
    return "models:/churn@champion"


def test_spark_scores_and_explanations_equal_the_pandas_engine(
    spark, demo_tables_dir, demo_tables, champion, tmp_path, same_frames
):
    from serving.spark import spark_score_job

    config = ScoreConfig(chunk_rows=50)  # several chunks per partition
    local = score_job(demo_tables, tmp_path / "pandas", AS_OF, champion, None, config, False)
    for partitions in (1, 7):  # 3 in the failure test below
        out = tmp_path / f"spark-{partitions}"
        result = spark_score_job(
            str(demo_tables_dir),
            out,
            AS_OF,
            champion,
            None,
            config,
            False,
            spark=spark,
            buckets=partitions,
        )
        same_frames(result.scores, local.scores, ["account_id"])
        same_frames(result.explanations, local.explanations, ["account_id", "feature"])
        assert result.summary.metrics() == pytest.approx(local.summary.metrics(), rel=1e-12)
        assert result.manifest["engine"] == "spark"
    # drivers in words came through: the riskiest account has a reason
    assert result.scores["risk_driver_1"].notna().any()


def test_a_failing_partition_leaves_the_previous_outputs_whole(
    spark, demo_tables_dir, champion, tmp_path
):
    from serving.spark import spark_score_job

    out = tmp_path / "scores"
    spark_score_job(
        str(demo_tables_dir), out, AS_OF, champion, None, log_run=False, spark=spark, buckets=3
    )
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}

    broken = tmp_path / "broken"
    shutil.copytree(demo_tables_dir, broken)
    subscriptions = pd.read_csv(broken / "subscriptions.csv", dtype=str)
    subscriptions.loc[0, "end_date"] = "2001-01-01"  # ends before it starts: one account's bucket
    subscriptions.to_csv(broken / "subscriptions.csv", index=False)
    with pytest.raises(Exception, match="end_date"):
        spark_score_job(
            str(broken), out, AS_OF, champion, None, log_run=False, spark=spark, buckets=3
        )
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert not [p for p in out.iterdir() if p.name.startswith(".staging")]


def test_spark_submit_keeps_its_master(spark, tmp_path):
    """Under ``spark-submit --master URL`` (how the README runs on a cluster) the session runs on
    that master: one set by ``spark_session`` would run the whole job on the submitting machine."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    import pyspark

    root = Path(__file__).resolve().parents[2]
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from features.spark import spark_session\n"
        "session = spark_session()\n"
        "print('master:', session.sparkContext.master)\n"
        "session.stop()\n"
    )
    submit = Path(pyspark.__file__).parent / "bin" / "spark-submit"
    env = {k: v for k, v in os.environ.items() if k not in ("SPARK_MASTER", "PYSPARK_GATEWAY_PORT")}
    env.update(PYTHONPATH=str(root), PYSPARK_PYTHON=sys.executable)
    done = subprocess.run(
        [str(submit), "--master", "local[1]", str(probe)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "master: local[1]" in done.stdout.splitlines()
