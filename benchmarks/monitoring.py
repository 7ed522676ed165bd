"""Monitoring time and peak memory for 100,000 scored accounts, beside scoring them.

Why: ``health monitor`` runs after every scoring; it should cost a fraction of the scoring it
watches and stay within the same memory. For each size this prints seconds and peak resident
memory (above the inputs already loaded) for

- scoring: ``serving.score.score_frames`` on a ready feature frame in chunks, with and without
  SHAP explanations, writing its files (as ``benchmarks/scoring.py`` measures it);
- monitoring: ``monitoring.job.monitor`` on the same feature frame (drift of every feature against
  the references stored in the model, the score distribution, realised outcomes of an earlier
  scoring from the training labels on a subscriptions table of the same accounts, band migration
  and movers between two scorings, the verdict) and ``write_report`` (figures, HTML, CSVs).

Feature building is left out of both: it is the same for both and measured by
``benchmarks/features_build.py``. Features are synthetic (the model's columns, realistic types);
the model is the one ``benchmarks/scoring.py`` trains, with references binned from its training
rows as training does. Each case runs in its own process so peak memory is its own.

    python benchmarks/monitoring.py                  # 100,000 accounts
    python benchmarks/monitoring.py --sizes 10000 100000
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
# Run as a script, this folder comes first on sys.path and this file would shadow the monitoring
# package it measures.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
_spec = importlib.util.spec_from_file_location("scoring_benchmark", HERE / "scoring.py")
scoring = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(scoring)

TODAY, EARLIER = pd.Timestamp("2025-12-31"), pd.Timestamp("2025-09-01")


def train_model(path: Path) -> None:
    """The scoring benchmark's model, plus the references training stores with every model."""
    from serving.reference import feature_references, numeric_reference

    scoring.train_model(path)
    model = pickle.loads(path.read_bytes())
    train = scoring.synthetic_features(20_000, seed=1)
    probability = model.probability(train.sample(5_000, random_state=0))
    model.meta["reference"] = {
        "rows": len(train),
        "features": feature_references(train, model.features, model.categories),
        "probability": numeric_reference(probability),
    }
    path.write_bytes(pickle.dumps(model))


def features(rows: int) -> pd.DataFrame:
    parts = [
        scoring.synthetic_features(min(scoring.CHUNK, rows - start), seed=start, start=start)
        for start in range(0, rows, scoring.CHUNK)
    ]
    return pd.concat(parts, ignore_index=True)


def subscriptions(ids: np.ndarray, seed: int = 3) -> pd.DataFrame:
    """One running term per account from 2024; a tenth end on 2025-10-15, a fifth renew later
    (the latest start dates the data to 2026-02-01, past the earlier scoring's horizon)."""
    rng = np.random.default_rng(seed)
    end = np.where(rng.random(len(ids)) < 0.1, pd.Timestamp("2025-10-15"), pd.NaT)
    first = pd.DataFrame(
        {"account_id": ids, "start_date": pd.Timestamp("2024-01-01"), "end_date": end}
    )
    first["end_date"] = pd.to_datetime(first["end_date"])
    renewing = ids[rng.random(len(ids)) < 0.2]
    later = pd.DataFrame(
        {"account_id": renewing, "start_date": pd.Timestamp("2026-02-01"), "end_date": pd.NaT}
    )
    return pd.concat([first, later], ignore_index=True)


def scores(frame: pd.DataFrame, model, as_of: pd.Timestamp, seed: int) -> pd.DataFrame:
    """A scoring's columns that monitoring reads, from the model's probabilities (jittered for the
    earlier date so accounts move between bands)."""
    from serving.bands import BandConfig, band, health_score

    rng = np.random.default_rng(seed)
    p = model.probability(frame)
    if seed:
        p = np.clip(p + rng.normal(0, 0.05, len(p)), 0.001, 0.999)
    health = health_score(1 - p, np.full(len(p), 12.0))  # one model stands for both
    return pd.DataFrame(
        {
            "account_id": frame["account_id"].to_numpy(),
            "as_of": as_of,
            "churn_probability": p,
            "renewal_probability": np.nan,
            "health_score": health,
            "band": band(health, BandConfig()),
        }
    )


def run_case(model_path: Path, case: str, rows: int) -> dict[str, float]:
    """One measurement in this process: seconds and peak RSS (MB)."""
    from features.contract import Tables
    from monitoring.job import Champions, Scoring, monitor, write_report
    from serving.score import (
        LoadedModel,
        OutputWriter,
        ScoreConfig,
        ScoringModels,
        chunks,
        score_frames,
    )

    model = pickle.loads(model_path.read_bytes())
    loaded = LoadedModel(model, "benchmark", "1")
    frame = features(rows)
    model.booster.predict(model.prepare(frame.iloc[:100]))  # load the booster outside the timing
    if case.startswith("score"):
        config = ScoreConfig(chunk_rows=scoring.CHUNK, explain=case == "score-shap")
        with tempfile.TemporaryDirectory() as out:
            baseline = scoring._reset_peak()
            started = time.perf_counter()
            with OutputWriter(Path(out)) as writer:
                score_frames(chunks(frame, scoring.CHUNK), ScoringModels(loaded), config, writer)
                writer.commit()
            seconds = time.perf_counter() - started
    else:
        ids = frame["account_id"].to_numpy()
        tables = Tables(
            accounts=pd.DataFrame({"account_id": ids}), subscriptions=subscriptions(ids)
        )
        earlier = scores(frame, model, EARLIER, seed=1)
        today = scores(frame.assign(as_of=TODAY), model, TODAY, seed=0)
        scorings = [
            Scoring(Path("earlier"), EARLIER, earlier),
            Scoring(Path("today"), TODAY, today),
        ]
        with tempfile.TemporaryDirectory() as out:
            baseline = scoring._reset_peak()
            started = time.perf_counter()
            report = monitor(tables, scorings, Champions(loaded, None), frame=frame)
            write_report(report, Path(out))
            seconds = time.perf_counter() - started
        assert report.realised[0]["status"] == "realised", report.realised[0]
    peak = scoring._status_mb("VmHWM:")
    return {"seconds": seconds, "peak_mb": peak, "work_mb": peak - baseline}


def _measure(model_path: Path, case: str, rows: int) -> dict[str, float]:
    command = [sys.executable, __file__, "--case", case, "--rows", str(rows), "--model", model_path]
    done = subprocess.run(list(map(str, command)), capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument(
        "--case", choices=("score", "score-shap", "monitor"), help=argparse.SUPPRESS
    )
    parser.add_argument("--rows", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--model", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.model, args.case, args.rows)))
        return

    with tempfile.TemporaryDirectory() as folder:
        model_path = Path(folder) / "model.pkl"
        train_model(model_path)
        print(f"load before: {os.getloadavg()[0]:.2f} (1-min), {os.cpu_count()} cores")
        header = (
            f"{'accounts':>9} | {'job':<22} | {'seconds':>8} | {'peak RSS MB':>11} | "
            f"{'above inputs MB':>15} | {'vs scoring with SHAP':>20}"
        )
        print(header)
        print("-" * len(header))
        names = {
            "score-shap": "scoring, with SHAP",
            "score": "scoring, no SHAP",
            "monitor": "monitoring + report",
        }
        for rows in args.sizes:
            measured = {case: _measure(model_path, case, rows) for case in names}
            for case, name in names.items():
                m = measured[case]
                ratio = m["seconds"] / measured["score-shap"]["seconds"]
                print(
                    f"{rows:>9,} | {name:<22} | {m['seconds']:>8.1f} | {m['peak_mb']:>11,.0f} | "
                    f"{m['work_mb']:>15,.0f} | {ratio:>20.2f}",
                    flush=True,
                )
        print(f"load after: {os.getloadavg()[0]:.2f} (1-min)")


if __name__ == "__main__":
    main()
