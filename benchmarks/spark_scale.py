"""Feature build on Spark vs pandas: wall time, and the peak memory of the driver and of one task.

Why: past one machine the driver must only coordinate; its memory must not grow with the number
of accounts (no feature row is collected), while each task holds only its partition's accounts.
For each data size this builds the feature matrix at one as-of date and writes it as Parquet:

- pandas: ``features.matrix.build_feature_matrix`` in one process (driver = the whole job);
- spark-N: ``features.spark.spark_features`` in Spark local mode with N account partitions,
  written by Spark. Driver = this Python process (peak RSS) and the JVM (local mode runs the
  executors inside the driver's JVM, so its peak is an upper bound of the driver's own); task =
  the largest peak RSS of a Python worker (a worker may run several tasks: at least one task's).

Each case runs in its own process so peaks are its own. Data comes from the demo generator.

    python benchmarks/spark_scale.py                          # 100,000 accounts (~10M events+)
    python benchmarks/spark_scale.py --accounts 5000 20000 --partitions 2 8
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

AS_OF = pd.Timestamp("2025-12-01")


def _peak_mb(pid: int | str = "self") -> float:
    """Peak resident memory (VmHWM) of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def generate(accounts: int, folder: Path) -> int:
    """Demo data of ``accounts`` accounts in ``folder``; returns the number of events."""
    from health.synthetic import generate_demo_data, write_demo_data

    tables = generate_demo_data(n_accounts=accounts, seed=11)
    write_demo_data(tables, folder)
    return len(tables["events"])


def run_pandas(data: Path, out: Path) -> dict[str, float]:
    from features.loading import load_tables
    from features.matrix import build_feature_matrix

    started = time.perf_counter()
    matrix = build_feature_matrix(load_tables(data), [AS_OF])
    matrix.to_parquet(out)
    seconds = time.perf_counter() - started
    peak = _peak_mb()
    return {"seconds": seconds, "driver_mb": peak, "jvm_mb": float("nan"), "task_mb": peak}


def run_spark(data: Path, out: Path, partitions: int, peaks: Path) -> dict[str, float]:
    from features.labels import LabelConfig
    from features.spark import (
        feature_partition,
        population,
        read_spark_tables,
        run_partitions,
        spark_session,
        stacked,
    )

    spark = spark_session(f"local[{min(partitions, os.cpu_count() or 1)}]")
    spark.sparkContext.setLogLevel("ERROR")
    started = time.perf_counter()
    tables = read_spark_tables(spark, str(data))
    spark.conf.set("spark.sql.shuffle.partitions", str(partitions))
    people = population(tables, [AS_OF], partitions)
    events, others = stacked(tables, partitions)
    build = feature_partition(people, LabelConfig())

    def measured(left, right):
        frame = build(left, right)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        (peaks / f"{os.getpid()}").write_text(str(peak))
        return frame

    run_partitions(events, others, measured).write.parquet(str(out))
    seconds = time.perf_counter() - started
    jvm = spark.sparkContext._gateway.proc.pid
    result = {
        "seconds": seconds,
        "driver_mb": _peak_mb(),
        "jvm_mb": _peak_mb(jvm),
        "task_mb": max(float(p.read_text()) for p in peaks.iterdir()),
    }
    spark.stop()
    return result


def case(data: Path, engine: str, partitions: int) -> dict[str, float]:
    """One measurement in a fresh process."""
    with tempfile.TemporaryDirectory() as folder:
        argv = [sys.executable, __file__, "--case", engine, str(partitions), str(data), folder]
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(done.stderr[-3000:])
        return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, nargs="+", default=[100_000])
    parser.add_argument("--partitions", type=int, nargs="+", default=[2, 8])
    parser.add_argument("--case", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        engine, partitions, data, folder = args.case
        out = Path(folder) / "features.parquet"
        if engine == "pandas":
            result = run_pandas(Path(data), out)
        else:
            peaks = Path(folder) / "peaks"
            peaks.mkdir()
            result = run_spark(Path(data), out, int(partitions), peaks)
        print(json.dumps(result))
        return
    print(
        "| accounts | events | engine | wall s | driver peak MB (Python) | JVM peak MB | "
        "one task peak MB |"
    )
    print("|---:|---:|---|---:|---:|---:|---:|")
    for accounts in args.accounts:
        with tempfile.TemporaryDirectory() as folder:
            data = Path(folder) / "data"
            events = generate(accounts, data)
            cases = [("pandas", 1)] + [("spark", n) for n in args.partitions]
            for engine, partitions in cases:
                r = case(data, engine, partitions)
                name = engine if engine == "pandas" else f"spark local, {partitions} partitions"
                print(
                    f"| {accounts:,} | {events:,} | {name} | {r['seconds']:.1f} | "
                    f"{r['driver_mb']:.0f} | {r['jvm_mb']:.0f} | {r['task_mb']:.0f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
