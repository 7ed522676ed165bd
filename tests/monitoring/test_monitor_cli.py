"""health monitor and health retrain end to end: real MLflow (SQLite), real models, real scores."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from features.labels import LabelConfig
from features.matrix import build_feature_matrix
from health.cli import main
from monitoring.verdict import RETRAIN_EXIT

pytestmark = pytest.mark.slow

DATES = ("2025-06-01", "2025-11-01", "2025-12-01")


def _strict_json(path):
    def refuse(token):
        raise ValueError(f"{path} holds {token}, which is not JSON")

    return json.loads(path.read_text(), parse_constant=refuse)


def test_monitor_then_forced_retrain(
    tmp_path, tracking, demo_tables, demo_tables_dir, capsys, monkeypatch
):
    data = str(demo_tables_dir)
    assert main(["train", data, "--no-baseline-floor"]) == 0  # 400 accounts: see test_end_to_end
    folders = []
    for day in DATES:
        folder = tmp_path / f"scores-{day}"
        assert main(["score", data, "--as-of", day, "--out", str(folder)]) == 0
        folders.append(folder)
    capsys.readouterr()

    out = tmp_path / "monitor"
    args = ["monitor", data, "--out", str(out), "--scores", str(folders[0])]
    args += ["--scores", f"{folders[1]},{folders[2]}"]
    status = main(args)
    printed = capsys.readouterr().out
    summary = _strict_json(out / "monitor.json")
    assert status == (RETRAIN_EXIT if summary["verdict"] == "retrain" else 0)
    assert summary["verdict_text"].startswith(summary["verdict"] + ": ")
    assert summary["verdict_text"] in printed.splitlines()
    for name in ("report.html", "drift.png", "drift.csv", "realised.csv", "migration.csv"):
        assert (out / name).exists(), name
    assert "data:image/png;base64," in (out / "report.html").read_text()

    realised = {r["as_of"]: r for r in summary["realised"]}
    assert realised["2025-06-01"]["status"] == "realised"
    assert realised["2025-11-01"]["status"] == realised["2025-12-01"]["status"] == "pending"
    # the same outcomes as the training labels of the feature matrix on that date
    matrix = build_feature_matrix(demo_tables, [pd.Timestamp("2025-06-01")], LabelConfig())
    assert realised["2025-06-01"]["churn"]["accounts"] == matrix["churned"].notna().sum()
    assert realised["2025-06-01"]["churn"]["positives"] == matrix["churned"].sum()

    migration = pd.read_csv(out / "migration.csv", index_col=0)
    before = pd.read_parquet(folders[1] / "scores.parquet")["account_id"]
    after = pd.read_parquet(folders[2] / "scores.parquet")["account_id"]
    assert migration.to_numpy().sum() == len(set(before) | set(after))

    # a run that fails while writing leaves the earlier report whole; a scoring is never an --out
    import serving.outputs

    before_files = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    write_csv = serving.outputs.write_csv

    def failing_write_csv(frame, path, index=False):
        if path.name == "movers.csv":
            raise OSError("disk full (injected)")
        write_csv(frame, path, index)

    monkeypatch.setattr(serving.outputs, "write_csv", failing_write_csv)
    assert main(args) == 1
    monkeypatch.setattr(serving.outputs, "write_csv", write_csv)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before_files
    assert len(list((out / ".sets").iterdir())) == 1
    scoring = {p.name: p.read_bytes() for p in folders[0].iterdir() if p.is_file()}
    assert main(["monitor", data, "--out", str(folders[0]), "--scores", str(folders[1])]) == 2
    assert "holds a scoring" in capsys.readouterr().out
    assert {p.name: p.read_bytes() for p in folders[0].iterdir() if p.is_file()} == scoring

    client = MlflowClient()
    runs = client.search_runs(
        [client.get_experiment_by_name("customer-health").experiment_id],
        "tags.job = 'monitor'",
    )
    assert len(runs) == 1
    tags = runs[0].data.tags
    assert tags["churn_model_version"] == "1" and tags["renewal_model_version"] == "1"
    assert tags["verdict"] == summary["verdict"]
    assert "drifted_features" in runs[0].data.metrics

    # under ``mlflow run`` (MLFLOW_RUN_ID set): a child of the project's run, exit 0 if asked
    import mlflow

    with mlflow.start_run(run_name="project") as project:
        pass
    monkeypatch.setenv("MLFLOW_RUN_ID", project.info.run_id)
    args = ["monitor", data, "--out", str(tmp_path / "m2"), "--scores", str(folders[2])]
    assert main([*args, "--exit-zero", "true"]) == 0
    experiment = client.get_experiment_by_name("customer-health").experiment_id
    children = client.search_runs(
        [experiment], f"tags.mlflow.parentRunId = '{project.info.run_id}'"
    )
    assert [c.data.tags["job"] for c in children] == ["monitor"]
    assert client.get_run(project.info.run_id).info.run_name == "project"
    monkeypatch.delenv("MLFLOW_RUN_ID", raising=False)

    assert main(["retrain", data, "--out", str(tmp_path / "retrain"), "--force"]) == 0
    experiment = client.get_experiment_by_name("customer-health").experiment_id
    parent = client.search_runs([experiment], "tags.job = 'retrain'")[0]
    assert parent.data.tags["retrained"] == "true"
    assert parent.data.tags["retrain_reason"].startswith("forced (--force)")
    children = client.search_runs([experiment], f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
    kinds = sorted(c.data.tags.get("job") or c.data.tags.get("model_name") for c in children)
    assert kinds == ["churn", "health", "monitor", "renewal"]  # retraining trains all three
