"""``health metrics`` end to end on the small demo company: files, report, MLflow run, exit codes."""

from __future__ import annotations

import json

import mlflow
import numpy as np
import pandas as pd
import pytest

from health.cli import main

pytestmark = pytest.mark.slow


def test_metrics_command_writes_tables_report_and_run(tmp_path, tracking, demo_tables_dir):
    out = tmp_path / "portfolio"
    assert main(["metrics", str(demo_tables_dir), "--out", str(out), "--by", "plan"]) == 0
    for name in ("revenue", "voice", "responses", "usage", "adoption", "support", "cohorts"):
        assert (out / f"{name}.parquet").exists(), name
    revenue = pd.read_parquet(out / "revenue.parquet")
    assert set(revenue["segment"]) == {"all", "starter", "growth", "enterprise"}
    cents = {c: np.rint(revenue[c] * 100).astype(np.int64) for c in revenue.columns[3:11]}
    lhs = (
        cents["start_mrr"] + cents["new"] + cents["expansion"] - cents["contraction"]
        - cents["churn"] + cents["reactivation"]
    )  # fmt: skip
    assert (lhs == cents["end_mrr"]).all()
    whole = revenue[revenue["segment"] == "all"].set_index("period")
    parts = revenue[revenue["segment"] != "all"].groupby("period")["end_mrr"].sum()
    np.testing.assert_allclose(parts, whole["end_mrr"])
    # the demo answers NPS, CSAT and CES surveys and rates tickets: every voice metric has data
    voice = pd.read_parquet(out / "voice.parquet")
    voice = voice[voice["segment"] == "all"]
    assert set(voice["metric"]) == {"nps", "csat", "csat_survey", "csat_ticket", "ces"}
    assert (voice["responses"] > 0).all()
    assert voice["value"].notna().all()
    report = (out / "report.html").read_text()
    assert report.count("data:image/png;base64,") >= 5
    manifest = json.loads((out / "portfolio.json").read_text())
    runs = mlflow.search_runs(filter_string="tags.job = 'metrics'")
    assert len(runs) == 1
    assert runs["metrics.latest_grr"].iloc[0] == pytest.approx(manifest["headline"]["latest_grr"])
    assert runs["params.by"].iloc[0] == "plan"


def test_metrics_per_health_band_and_bad_input(tmp_path, tracking, demo_tables_dir):
    data = str(demo_tables_dir)
    scores = tmp_path / "scores"
    scores.mkdir()
    accounts = pd.read_csv(demo_tables_dir / "accounts.csv")["account_id"]
    bands = np.array(["green", "yellow", "red"])[np.arange(len(accounts)) % 3]
    pd.DataFrame({"account_id": accounts, "as_of": "2025-03-01", "band": bands}).to_parquet(
        scores / "scores.parquet"
    )
    out = tmp_path / "quarterly"
    assert main(["metrics", data, "--out", str(out), "--scores", str(scores), "--period",
                 "quarter"]) == 0  # fmt: skip
    got = pd.read_parquet(out / "bands.parquet")
    assert set(got["band"]) == {"all", "green", "yellow", "red"}
    assert (got["period_end"] > pd.Timestamp("2025-03-01")).all()
    assert (got["grr"] <= 1).all()
    before = (out / "revenue.parquet").read_bytes()
    assert main(["metrics", data, "--out", str(out), "--by", "no_such_column"]) == 2
    assert main(["metrics", data, "--out", str(out), "--scores", str(tmp_path)]) == 1
    assert main(["metrics", str(tmp_path / "missing"), "--out", str(out)]) == 1
    assert (out / "revenue.parquet").read_bytes() == before  # failed runs leave outputs whole
