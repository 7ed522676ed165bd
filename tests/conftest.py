"""Shared fixtures: small generated data, and MLflow pointed at a temporary SQLite store."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

# Hypothesis profiles. "ci" is derandomized (the same examples on every run, no example database),
# so a property that passes in CI passes on every CI run and a mutant it kills stays killed; it is
# chosen when CI is set (CI sets CI=true) or under mutmut (MUTANT_UNDER_TEST). "dev" keeps random
# exploration for local runs. HYPOTHESIS_PROFILE picks one explicitly.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("dev")
_under_ci = bool(os.environ.get("CI")) or "MUTANT_UNDER_TEST" in os.environ
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if _under_ci else "dev"))


def pytest_collection_modifyitems(config, items):
    """Slow tests first, so the two workers start on the long runs and finish together, rather
    than one long test (the README's) starting last; tests on the Spark session share one worker,
    so only one JVM starts."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # stable: order kept
    for item in items:
        if "spark" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("spark"))


@pytest.fixture(scope="session")
def demo_tables_dir(tmp_path_factory):
    """A small demo company written to disk once per test session."""
    from health.synthetic import generate_demo_data, write_demo_data

    folder = tmp_path_factory.mktemp("demo-data")
    write_demo_data(generate_demo_data(n_accounts=400, seed=3), folder)
    return folder


@pytest.fixture(scope="session")
def demo_tables(demo_tables_dir):
    from features.loading import load_tables

    return load_tables(demo_tables_dir)


def forget_experiment():
    """End runs and forget the selected experiment before another tracking store is used.

    set_experiment() remembers the experiment in a module global and in the environment
    (MLFLOW_EXPERIMENT_ID); a later test's fresh store has no such experiment.
    """
    import mlflow
    from mlflow.tracking import fluent

    while mlflow.active_run() is not None:
        mlflow.end_run()
    fluent._active_experiment_id = None
    os.environ.pop("MLFLOW_EXPERIMENT_ID", None)
    os.environ.pop("MLFLOW_RUN_ID", None)


@pytest.fixture
def tracking(tmp_path, monkeypatch):
    """MLflow with a real SQLite backend in a temporary folder.

    The default experiment is made here, with its artifacts beside the store as the command line
    makes it: a test that trains through the library would otherwise get MLflow's default
    artifact root, ``./mlruns`` in the checkout.
    """
    import mlflow

    forget_experiment()
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    from health.tracking import configure_tracking, use_experiment
    from training.config import DEFAULT_EXPERIMENT

    configure_tracking(uri)
    use_experiment(DEFAULT_EXPERIMENT)
    forget_experiment()  # made, not selected: what each test selects is its own
    yield uri
    forget_experiment()
    mlflow.set_tracking_uri("")


@pytest.fixture(scope="session")
def champion_store(tmp_path_factory, demo_tables):
    """A SQLite store whose health and churn champions were trained on the demo company (few
    trees: fast), once per session; tests read it through ``champions``."""
    import mlflow
    from mlflow.tracking import MlflowClient

    from health.tracking import configure_tracking, use_experiment
    from training.config import BoosterParams, GateConfig
    from training.train import TrainConfig, build_training_matrix, fit_target, log_target

    # 400 accounts: the floor's baseline part is waived (see test_end_to_end)
    config = TrainConfig(booster=BoosterParams(max_rounds=60), gate=GateConfig(beat_baseline=False))
    uri = f"sqlite:///{tmp_path_factory.mktemp('champions') / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as patch:
        forget_experiment()
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        configure_tracking(uri)
        use_experiment("champions")  # artifacts beside the store, wherever a test runs from
        matrix = build_training_matrix(demo_tables, config)
        for label in ("stayed", "churned"):
            fitted = fit_target(matrix, label, config)
            result = log_target(fitted, matrix, config, MlflowClient())
            assert result.promoted, result.reason
        forget_experiment()
        mlflow.set_tracking_uri("")
    return uri


@pytest.fixture
def champions(champion_store, monkeypatch):
    """MLflow pointed at ``champion_store`` (models:/health@champion, models:/churn@champion);
    yields its URI. Read it only: a test that trains uses ``tracking``."""
    import mlflow

    from health.tracking import configure_tracking

    forget_experiment()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", champion_store)
    configure_tracking(champion_store)
    yield champion_store
    forget_experiment()
    mlflow.set_tracking_uri("")


@pytest.fixture
def tracking_server(tmp_path, monkeypatch):
    """A real ``mlflow server`` (SQLite backend, local artifact folder) on a free loopback port.

    Yields its URI, also set as ``MLFLOW_TRACKING_URI``; the server is stopped afterwards, and
    a server that does not answer within three minutes fails the test instead of hanging it.
    """
    import signal
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    import mlflow

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    folder = tmp_path / "server"
    folder.mkdir()
    command = [
        *(sys.executable, "-m", "mlflow", "server"),
        *("--backend-store-uri", f"sqlite:///{folder / 'mlflow.db'}"),
        *("--artifacts-destination", str(folder / "artifacts")),
        *("--host", "127.0.0.1", "--port", str(port), "--workers", "1"),
    ]
    log = (folder / "server.log").open("w")
    # its own process group: the server runs its web workers as child processes
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    uri = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180  # a loaded CI machine starts it slowly
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"mlflow server exited: {(folder / 'server.log').read_text()}")
            try:
                with urllib.request.urlopen(f"{uri}/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"mlflow server did not answer on {uri} within 180 s")
            time.sleep(0.5)
        forget_experiment()
        monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
        from health.tracking import configure_tracking

        configure_tracking(uri)
        yield uri
    finally:
        forget_experiment()
        mlflow.set_tracking_uri("")
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


@pytest.fixture(scope="session")
def spark():
    """One local Spark session (2 cores) for every Spark test; skipped without Java or pyspark,
    except in CI (``CI`` set), where Java is installed and the Spark tests must run."""
    import importlib.util
    import shutil

    if shutil.which("java") is None or importlib.util.find_spec("pyspark") is None:
        reason = "Spark needs Java and pyspark (pip install -e '.[spark]')"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: CI must run the Spark tests")
        pytest.skip(reason)
    from features.spark import spark_session

    session = spark_session("local[2]")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def assert_same_frames(got, expected, keys):
    """Equal after sorting by ``keys``: text and integers exactly, floats to 1e-9."""
    import numpy as np
    import pandas as pd

    assert list(got.columns) == list(expected.columns)
    order = [k for k in keys]
    got = got.assign(**{k: got[k].astype(str) for k in order}).sort_values(order)
    expected = expected.assign(**{k: expected[k].astype(str) for k in order}).sort_values(order)
    got, expected = got.reset_index(drop=True), expected.reset_index(drop=True)
    assert len(got) == len(expected)
    for name in expected.columns:
        a, b = got[name], expected[name]
        if pd.api.types.is_float_dtype(b):
            a = a.astype(float)
            same = np.isclose(a, b, rtol=0, atol=1e-9) | (a.isna() & b.isna())
        elif pd.api.types.is_datetime64_any_dtype(b):
            a = pd.to_datetime(a)
            same = (a == b) | (a.isna() & b.isna())  # NaT: no date on either side
        else:
            text = [None if pd.isna(v) else str(v) for v in a]
            same = pd.Series(
                [
                    x == y
                    for x, y in zip(text, [None if pd.isna(v) else str(v) for v in b], strict=True)
                ]
            )
        assert bool(np.all(same)), f"{name}: {int((~np.asarray(same)).sum())} rows differ"


@pytest.fixture
def same_frames():
    """``assert_same_frames`` (conftest functions are not importable from test modules)."""
    return assert_same_frames
