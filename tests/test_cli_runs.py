"""The command line run as a user runs it: a subprocess, its exit code, what it printed and left."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def health(*argv: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``python -m health ...`` with this checkout's code first on the path."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "80", **(env or {})}
    environment.pop("MLFLOW_RUN_ID", None)
    return subprocess.run(
        [sys.executable, "-m", "health", *argv],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_generate_then_features_from_the_command_line(tmp_path):
    done = health("generate", "--accounts", "120", "--seed", "4", "--out", "data", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Wrote demo data to data" in done.stdout
    accounts = pd.read_csv(tmp_path / "data" / "accounts.csv")
    assert len(accounts) == 120
    assert {"subscriptions.csv", "events.parquet", "ground_truth.csv"} <= {
        p.name for p in (tmp_path / "data").iterdir()
    }

    argv = [
        "features",
        "data",
        "--as-of",
        "2025-03-01",
        "--as-of",
        "2025-06-01",
        "--out",
        "f.parquet",
    ]
    done = health(*argv, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    matrix = pd.read_parquet(tmp_path / "f.parquet")
    assert list(matrix.columns[:2]) == ["account_id", "as_of"]
    assert set(matrix["as_of"]) == {pd.Timestamp("2025-03-01"), pd.Timestamp("2025-06-01")}
    assert list(matrix.columns[-3:]) == ["churned", "renewed", "stayed"]
    assert f"Wrote {len(matrix):,} rows" in done.stdout
    assert done.stderr == ""


def test_demo_leaves_a_foreign_tracking_store_untouched_and_prints_its_own(tmp_path):
    foreign = tmp_path / "team" / "mlflow.db"
    foreign.parent.mkdir()
    uri = f"sqlite:///{foreign}"
    MlflowClient(tracking_uri=uri).search_experiments()  # a store that exists
    before = foreign.read_bytes()
    done = health(
        "demo", "--accounts", "150", "--out", "demo", cwd=tmp_path, env={"MLFLOW_TRACKING_URI": uri}
    )
    assert done.returncode == 0, done.stderr
    demo_out = done.stdout
    assert foreign.read_bytes() == before
    assert MlflowClient(tracking_uri=uri, registry_uri=uri).search_registered_models() == []
    own = f"sqlite:///{(tmp_path / 'demo' / 'mlflow.db').resolve()}"
    assert f"\n  export MLFLOW_TRACKING_URI={own}\n" in done.stdout
    assert "left untouched" in done.stdout
    client = MlflowClient(tracking_uri=own, registry_uri=own)
    assert str(client.get_model_version_by_alias("churn", "champion").version) == "1"
    # Quiet: no library log line on either stream; each step with its own time.
    assert "INFO" not in done.stdout + done.stderr
    assert "CloudPickle" not in done.stdout + done.stderr
    assert "Successfully registered" not in done.stdout + done.stderr
    assert all(f"[{n}/4] " in done.stdout for n in range(1, 5))

    # Scoring against a store without the model: one sentence, exit 1, no empty store made.
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    done = health(
        "score",
        str(tmp_path / "demo" / "data"),
        "--out",
        "s",
        cwd=empty,
        env={"MLFLOW_TRACKING_URI": ""},
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "models:/health@champion" in done.stderr and "health train" in done.stderr
    assert not (empty / "mlflow.db").exists() and not (empty / "s").exists()
    # ...and with the line the demo printed, the same command works. On 150 accounts the health
    # model may stay under the floor; the demo then scored with the version it names, and so do we.
    unpromoted = re.search(r"Scoring with (models:/health/\d+), which is not @champion", demo_out)
    done = health(
        "score",
        str(tmp_path / "demo" / "data"),
        "--out",
        "s",
        *(["--model", unpromoted.group(1)] if unpromoted else []),
        cwd=empty,
        env={"MLFLOW_TRACKING_URI": own},
    )
    assert done.returncode == 0, done.stderr
    assert (empty / "s" / "scores.parquet").exists()
