"""The registered health champion is self-contained and, served over REST by ``mlflow models
serve``, answers each feature row with the batch scoring's score, band, points and reasons.

Both run in a Python where this project is not importable (``HIDDEN``): only the code packaged
with the model can answer.
"""

from __future__ import annotations

import ast
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from importlib.metadata import packages_distributions
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest

from serving.outputs import decimals
from serving.score import ScoreConfig, load_scoring_models, score_job

pytestmark = pytest.mark.slow

AS_OF = pd.Timestamp("2025-10-01")
OURS = ("features", "serving", "training", "health", "monitoring", "portfolio")
# A sitecustomize that hides this project, however it is installed (editable finder, .pth,
# PYTHONPATH): our packages import only from folders on sys.path, where MLflow puts a model's code.
HIDDEN = f"""
import sys
from importlib.machinery import PathFinder

OURS = {set(OURS)!r}


class OnlyFromPath:
    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        if fullname not in OURS:
            return None
        spec = PathFinder.find_spec(fullname, sys.path)
        if spec is None:
            raise ModuleNotFoundError(f"No module named {{fullname!r}}", name=fullname)
        return spec


sys.meta_path.insert(0, OnlyFromPath)
"""
# Loads the model in that Python: says first whether `serving` imports without it, then prints
# the answer and the files of our modules that loading and predicting ran.
LOAD = """
import json, sys
try:
    import serving
    print(json.dumps({"importable": serving.__file__}))
    sys.exit(0)
except ModuleNotFoundError:
    pass
import mlflow, pandas as pd
model = mlflow.pyfunc.load_model(sys.argv[1])
rows = pd.read_json(sys.argv[2], orient="split", dtype=False)
answer = model.predict(rows)
ours = sorted(
    m.__file__ for name, m in list(sys.modules.items())
    if name.split(".")[0] in ("features", "serving") and getattr(m, "__file__", None)
)
print(json.dumps({"ours": ours, "answer": json.loads(answer.to_json(orient="records", double_precision=15))}))
"""


@pytest.fixture
def hidden(tmp_path):
    """Environment and working folder of a Python in which this project is not importable."""
    site = tmp_path / "hidden"
    site.mkdir()
    (site / "sitecustomize.py").write_text(HIDDEN)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(PYTHONPATH=str(site), MLFLOW_DISABLE_TELEMETRY="true")
    return env, elsewhere


@pytest.fixture
def batch(champions, demo_tables, tmp_path):
    """``health score``'s outputs at AS_OF (health champion only), and the feature rows of a few
    accounts: the three least healthy, the healthiest, and one with missing values."""
    result = score_job(
        demo_tables, tmp_path / "batch", AS_OF, churn_uri=None, renewal_uri=None, log_run=False
    )
    scores = result.scores.sort_values(["health_score", "account_id"])
    frame = load_scoring_models(churn_uri=None, renewal_uri=None).features(demo_tables, [AS_OF])
    gaps = frame.set_index("account_id").isna().sum(axis=1).sort_values(kind="stable")
    ids = [*scores["account_id"].head(3), scores["account_id"].iloc[-1], gaps.index[-1]]
    rows = frame.set_index("account_id").loc[list(dict.fromkeys(ids))].reset_index()
    return result, rows


def payload(rows: pd.DataFrame) -> str:
    """Feature rows as pandas writes them (``health features``' rows), in ``dataframe_split``."""
    return rows.to_json(orient="split", index=False, date_format="iso", double_precision=15)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_champion_loads_and_answers_where_the_project_is_not_installed(
    champions, batch, hidden, tmp_path
):
    env, elsewhere = hidden
    folder = Path(mlflow.artifacts.download_artifacts("models:/health@champion", dst_path=tmp_path))
    assert sorted(p.name for p in (folder / "code").iterdir()) == ["features", "serving"]
    (tmp_path / "rows.json").write_text(payload(batch[1]))
    script = [sys.executable, "-c", LOAD, str(folder), str(tmp_path / "rows.json")]
    done = subprocess.run(
        script, env=env, cwd=elsewhere, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.splitlines()[-1])
    assert "importable" not in out, f"the project is importable there: {out}"
    # every module of ours that ran is the model's copy
    assert out["ours"] and all(Path(f).is_relative_to(folder / "code") for f in out["ours"])
    assert [row["account_id"] for row in out["answer"]] == batch[1]["account_id"].tolist()
    check_against_batch(out["answer"], batch[0].scores, batch[0].explanations)
    # its requirements name every library those modules import
    named = {
        line.split("==")[0].strip().lower()
        for line in (folder / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    imported = set().union(*(top_level_imports(Path(file)) for file in out["ours"]))
    assert {"lightgbm", "pandas", "sklearn"} <= imported
    providers = packages_distributions()  # one import name can come from several (mlflow-skinny)
    unnamed = [name for name in imported if not {d.lower() for d in providers[name]} & named]
    assert unnamed == [], f"imported but not in requirements.txt: {sorted(unnamed)}"


def top_level_imports(file: Path) -> set[str]:
    """The installed packages a module imports at its top level (not ours, not the standard
    library): what loading it needs."""
    names = set()
    for node in ast.parse(file.read_text()).body:
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module.split(".")[0])
    return names - {*OURS, "__future__", *sys.stdlib_module_names}


def test_the_served_champion_answers_over_rest_as_batch_scoring_does(
    champions, batch, hidden, tmp_path
):
    result, rows = batch
    env, elsewhere = hidden
    env["MLFLOW_TRACKING_URI"] = champions
    port = free_port()
    command = [
        *(sys.executable, "-m", "mlflow", "models", "serve", "-m", "models:/health@champion"),
        *("--env-manager", "local", "-h", "127.0.0.1", "-p", str(port)),
    ]
    log_file = tmp_path / "serve.log"
    url = f"http://127.0.0.1:{port}"
    with log_file.open("w") as log:
        # its own process group: the server runs its web workers as child processes
        server = subprocess.Popen(
            command, env=env, cwd=elsewhere, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            wait_for_ping(url, server, log_file, timeout=180)
            request = urllib.request.Request(
                f"{url}/invocations",
                data=f'{{"dataframe_split": {payload(rows)}}}'.encode(),
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=120) as response:
                answer = json.load(response)["predictions"]
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
    assert [row["account_id"] for row in answer] == rows["account_id"].tolist()
    check_against_batch(answer, result.scores, result.explanations)
    # the riskiest account has reasons, each pulling its score down
    worst = answer[0]
    assert worst["reasons"] and all(r["points"] < 0 for r in worst["reasons"])


def wait_for_ping(url: str, server: subprocess.Popen, log: Path, timeout: float) -> None:
    """Until the server answers /ping; fails if it exits or is not up within ``timeout``."""
    deadline = time.monotonic() + timeout  # a loaded CI machine starts it slowly
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"mlflow models serve exited: {log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/ping", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"no answer on {url}/ping within {timeout} s: {log.read_text()}")
        time.sleep(0.5)


def check_against_batch(answer: list[dict], scores: pd.DataFrame, explanations: pd.DataFrame):
    """Each served row equals the batch scoring's: score, band, probability, points per family
    (the served answer at full precision, the scores file rounded as people read them: compared
    at the file's places), and each reason's sentence, feature and points."""
    scores = scores.set_index("account_id")
    points = explanations.set_index(["account_id", "feature"])["health_points"]
    top = ScoreConfig().top_drivers
    families = sorted(c for c in scores.columns if c.startswith("points_"))
    for row in answer:
        expected = scores.loc[row["account_id"]]
        assert row["as_of"] == str(AS_OF.date())
        assert row["health_score"] == expected["health_score"]
        assert row["band"] == expected["band"]
        assert sorted(c for c in row if c.startswith("points_")) == families
        for name in ["stay_probability", "base_score", *families]:
            served = np.round(row[name], decimals(name))  # pandas' rounding, as the file's
            assert np.isclose(served, expected[name], rtol=0, atol=1e-9), name
        risks = [
            (expected[f"risk_driver_{k}"], expected[f"risk_feature_{k}"])
            for k in range(1, top + 1)
            if pd.notna(expected[f"risk_feature_{k}"])
        ]
        protective = expected["protective_feature"]
        served = [(r["sentence"], r["feature"]) for r in row["reasons"]]
        assert served == risks
        if pd.isna(protective):
            assert row["protective"] is None
        else:
            assert row["protective"]["sentence"] == expected["protective_driver"]
            assert row["protective"]["feature"] == protective
        # a reason's points: the batch's impact column, or the feature's points before it had one
        impacts = [f"risk_impact_{k}" for k in range(1, len(row["reasons"]) + 1)]
        reasons = list(zip(impacts, row["reasons"], strict=True))
        if row["protective"]:
            reasons.append(("protective_impact", row["protective"]))
        for impact, reason in reasons:
            served = reason["points"]
            if impact in expected:
                batch_points, served = expected[impact], np.round(served, decimals(impact))
            else:
                batch_points = points.loc[(row["account_id"], reason["feature"])]
            assert np.isclose(served, batch_points, rtol=0, atol=1e-9), impact
