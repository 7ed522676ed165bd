"""``health score --table --engine spark``: a ready feature table scored on Spark as on pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.table import feature_rows, read_table
from health.cli import main
from serving.score import score_table_job

pytestmark = pytest.mark.slow


def _table(rows: int, seed: int) -> pd.DataFrame:
    """Telco-like rows; ``TotalCharges`` has blanks, and ``Region`` is a number everywhere but in
    one row, so only a typing decided on the whole table is the same in every part."""
    rng = np.random.default_rng(seed)
    tenure = rng.integers(0, 72, size=rows)
    contract = rng.choice(["Month-to-month", "One year", "Two year"], size=rows)
    logit = 0.5 - 0.06 * tenure + np.where(contract == "Month-to-month", 1.2, -0.8)
    stayed = np.where(rng.random(rows) < 1 / (1 + np.exp(-logit)), "No", "Yes")
    total = (tenure * 50.0).astype(str)
    total[:7] = " "
    region = rng.integers(1, 5, size=rows).astype(str).astype(object)
    region[3] = "north"
    return pd.DataFrame(
        {
            "customerID": [f"{i:04d}-X" for i in range(rows)],
            "tenure": tenure.astype(str),
            "Contract": contract,
            "TotalCharges": total,
            "Region": region,
            "Stayed": stayed,
        }
    )


@pytest.fixture
def trained(tmp_path, tracking):
    folder = tmp_path / "table"
    folder.mkdir()
    train = folder / "train.csv"
    _table(400, 0).to_csv(train, index=False)
    argv = ["train", "--table", str(train), "--label", "Stayed", "--positive", "Yes"]
    argv += ["--target", "health", "--id", "customerID", "--no-baseline-floor"]
    assert main([*argv, "--experiment", "table"]) == 0
    fresh = folder / "fresh.csv"
    _table(120, 5).drop(columns=["Stayed"]).to_csv(fresh, index=False)
    return fresh


def test_the_spark_engine_scores_a_table_as_the_pandas_engine_in_1_and_3_parts(
    spark, trained, tmp_path, same_frames
):
    from serving.spark import spark_score_table_job

    rows = feature_rows(read_table(trained), "customerID")
    assert rows["Region"].dtype == object  # the one text row makes it a category
    local = score_table_job(rows, tmp_path / "pandas", log_run=False)
    for buckets in (1, 3):
        result = spark_score_table_job(
            str(trained),
            tmp_path / f"spark-{buckets}",
            "customerID",
            log_run=False,
            spark=spark,
            buckets=buckets,
        )
        same_frames(result.scores, local.scores, ["account_id"])
        same_frames(result.explanations, local.explanations, ["account_id", "feature"])
        assert result.summary.metrics() == pytest.approx(local.summary.metrics(), rel=1e-12)
        assert result.manifest["engine"] == "spark"


def test_score_table_on_spark_through_the_command_line_and_a_repeated_id_refused(
    spark, trained, tmp_path, capsys
):
    out = tmp_path / "scores"
    argv = ["score", "--table", str(trained), "--id", "customerID", "--out", str(out)]
    assert main([*argv, "--engine", "spark", "--partitions", "2", "--experiment", "table"]) == 0
    assert "in 2 partitions" in capsys.readouterr().out
    scores = pd.read_parquet(out / "scores.parquet")
    assert len(scores) == 120 and scores["health_score"].between(0, 100).all()

    # a repeated id is refused with the pandas engine's words, and the outputs stay as they were
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    repeated = tmp_path / "repeated.csv"
    table = pd.read_csv(trained, dtype=str)
    pd.concat([table, table.iloc[[10]]]).to_csv(repeated, index=False)
    argv = ["score", "--table", str(repeated), "--id", "customerID", "--out", str(out)]
    assert main([*argv, "--engine", "spark", "--experiment", "table"]) == 1
    assert "repeated" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
