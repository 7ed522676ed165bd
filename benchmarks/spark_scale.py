"""Feature build on Spark vs pandas: wall time, and the peak memory of the driver and of one task.

Why: past one machine the driver must only coordinate; its memory must not grow with the number
of accounts (no feature row is collected), while each task holds only its partition's accounts.
For each data size this builds the feature matrix (with labels) at one as-of date and writes it
as Parquet:

- pandas: ``load_tables`` and ``features.matrix.build_feature_matrix`` in one process (the
  driver is the whole job, and its one task);
- spark-N: ``features.spark`` in Spark local mode (``local[2]``, the machine's cores) with N
  account partitions, written by Spark. Driver: this Python process (peak RSS), and the JVM: its
  peak RSS and the peak of its heap as the JVM reports it (local mode runs the executors inside
  the driver's JVM, so both are upper bounds of the driver's own).
- cluster-N (``--cluster``): the same on ``local-cluster[2,1,MB]``, Spark's own test cluster: two
  workers, each starting its executor as a JVM of its own, as on a real cluster. The driver JVM
  then holds only the driver (and the in-process master and workers, which only coordinate), so
  its peak RSS and heap are the driver's own; the executors' peak RSS is printed beside it. One task: the largest peak RSS
  (``resource.getrusage``) of the Python worker at the end of a partition's feature build, carried
  out as a column of the written Parquet and aggregated by Spark (one number reaches the driver).
  A reused worker's peak covers its earlier tasks too, so the figure is the largest task's.

Data (made once under ``--data``, default /tmp/spark-bench-data, and reused): the demo
generator's company in chunks of 5,000 accounts (one seed each, ids prefixed by the chunk, so a
smaller size is the first chunks of a larger one), events thinned at random to about 100 per
account (the generator makes ~800): 100,000 accounts have ~10M events. Events are a Parquet
folder (one file per chunk), the other tables CSV, as ``health demo`` writes them.

Each case runs in its own process so peaks are its own.

    python benchmarks/spark_scale.py                     # 10k, 30k, 100k accounts; pandas, 2, 8
    python benchmarks/spark_scale.py --accounts 10000 --partitions 2
    python benchmarks/spark_scale.py --cluster --no-pandas   # driver and executors apart
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

AS_OF = pd.Timestamp("2025-12-01")
CHUNK_ACCOUNTS = 5_000
EVENTS_PER_ACCOUNT = 100
PEAK = "_task_peak_mb"
EXECUTOR_MB = 1536


def _peak_mb(pid: int | str = "self") -> float:
    """Peak resident memory (VmHWM) of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def dataset(accounts: int, root: Path) -> tuple[Path, int]:
    """The data folder of ``accounts`` accounts under ``root`` (made if missing) and its number
    of events."""
    from health.synthetic import generate_demo_data

    folder = root / f"accounts-{accounts}"
    done = folder / "sizes.json"
    if done.exists():
        return folder, json.loads(done.read_text())["events"]
    staging = root / f".accounts-{accounts}.{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "events.parquet").mkdir(parents=True)
    events = 0
    for chunk, start in enumerate(range(0, accounts, CHUNK_ACCOUNTS)):
        size = min(CHUNK_ACCOUNTS, accounts - start)
        tables = generate_demo_data(n_accounts=size, seed=1000 + chunk)
        del tables["ground_truth"]
        prefix = f"C{chunk:03d}-"
        for frame in tables.values():
            for column in [c for c in frame.columns if c.endswith("_id")]:
                frame[column] = prefix + frame[column].astype(str)
        rows = tables.pop("events")
        keep = np.random.default_rng([11, chunk]).random(len(rows))
        rows = rows[keep < EVENTS_PER_ACCOUNT * size / len(rows)]
        rows = rows.astype({"event_type": str}).reset_index(drop=True)
        rows.to_parquet(staging / "events.parquet" / f"part-{chunk:05d}.parquet", index=False)
        events += len(rows)
        for name, frame in tables.items():
            frame.to_csv(
                staging / f"{name}.csv",
                mode="a",
                header=chunk == 0,
                index=False,
                date_format="%Y-%m-%d %H:%M:%S",
            )
    (staging / "sizes.json").write_text(json.dumps({"accounts": accounts, "events": events}))
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)
    return folder, events


def run_pandas(data: Path, out: Path) -> dict[str, float]:
    from features.loading import load_tables
    from features.matrix import build_feature_matrix

    started = time.perf_counter()
    matrix = build_feature_matrix(load_tables(data), [AS_OF])
    matrix.to_parquet(out)
    seconds = time.perf_counter() - started
    peak = _peak_mb()
    nan = float("nan")
    return {
        "seconds": seconds,
        "driver_mb": peak,
        "jvm_mb": nan,
        "heap_mb": nan,
        "task_mb": peak,
        "executor_mb": nan,
    }


def _jvm_heap_peak_mb(spark) -> float:
    """The JVM's own account of its heap: the sum of the heap pools' peak usage, in MB."""
    factory = spark.sparkContext._jvm.java.lang.management.ManagementFactory
    pools = factory.getMemoryPoolMXBeans()
    peaks = [
        pools.get(i).getPeakUsage().getUsed()
        for i in range(pools.size())
        if str(pools.get(i).getType().toString()) == "Heap memory"
    ]
    return sum(peaks) / 2**20


def _executor_peaks_mb(driver_pid: int) -> list[float]:
    """Peak RSS of the executor JVMs the driver's JVM started (``local-cluster`` only)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    peaks, todo = [], list(children.get(driver_pid, []))
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"CoarseGrainedExecutorBackend" in command:
            peaks.append(_peak_mb(pid))
    return peaks


def master_for(partitions: int, cluster: bool) -> str:
    """``local[n]`` on the machine's cores, or Spark's two-worker test cluster."""
    cores = min(partitions, os.cpu_count() or 1)
    return f"local-cluster[2,1,{EXECUTOR_MB + 512}]" if cluster else f"local[{cores}]"


def run_spark(data: Path, out: Path, partitions: int, cluster: bool = False) -> dict[str, float]:
    from pyspark.sql import functions as F

    from features.labels import LabelConfig
    from features.spark import (
        empty_pandas,
        feature_partition,
        population,
        read_spark_tables,
        run_partitions,
        spark_session,
        stacked,
    )

    if cluster:
        # Read when the JVM starts; a session's config comes too late for the executors.
        os.environ["PYSPARK_SUBMIT_ARGS"] = (
            f"--conf spark.executor.memory={EXECUTOR_MB}m pyspark-shell"
        )
    spark = spark_session(master_for(partitions, cluster))
    spark.sparkContext.setLogLevel("ERROR")
    started = time.perf_counter()
    tables = read_spark_tables(spark, str(data))
    spark.conf.set("spark.sql.shuffle.partitions", str(partitions))
    people = population(tables, [AS_OF], partitions)
    events, others = stacked(tables, partitions)
    build = feature_partition(people, LabelConfig())
    template = build(empty_pandas(events), empty_pandas(others)).assign(**{PEAK: 0.0})

    def measured(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
        frame = build(left, right)
        return frame.assign(**{PEAK: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})

    run_partitions(events, others, measured, template).write.parquet(str(out))
    seconds = time.perf_counter() - started
    task = spark.read.parquet(str(out)).agg(F.max(PEAK).alias("peak")).first()["peak"]
    nan = float("nan")
    result = {
        "seconds": seconds,
        "driver_mb": _peak_mb(),
        "jvm_mb": _peak_mb(spark.sparkContext._gateway.proc.pid),
        "heap_mb": _jvm_heap_peak_mb(spark),
        "task_mb": float(task),
        "executor_mb": max(_executor_peaks_mb(spark.sparkContext._gateway.proc.pid), default=nan),
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
    parser.add_argument("--accounts", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    parser.add_argument("--partitions", type=int, nargs="+", default=[2, 8])
    parser.add_argument("--no-pandas", action="store_true", help="Spark cases only")
    parser.add_argument(
        "--cluster",
        action="store_true",
        help="run Spark on local-cluster[2,1,MB] (executors in JVMs of their own) instead of local",
    )
    parser.add_argument("--data", type=Path, default=Path("/tmp/spark-bench-data"))
    parser.add_argument("--case", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        engine, partitions, data, folder = args.case
        out = Path(folder) / "features.parquet"
        if engine == "pandas":
            result = run_pandas(Path(data), out)
        else:
            result = run_spark(Path(data), out, int(partitions), cluster=engine == "cluster")
        print(json.dumps(result))
        return
    print(f"load before: {os.getloadavg()[0]:.2f} (1-min), {os.cpu_count()} cores", flush=True)
    print(
        "| accounts | events | engine | wall s | driver peak MB (Python) | JVM peak RSS MB | "
        "JVM heap peak MB | one task peak MB | executor JVM peak MB |"
    )
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|", flush=True)
    for accounts in args.accounts:
        data, events = dataset(accounts, args.data)
        cases = [] if args.no_pandas else [("pandas", 1)]
        cases += [("cluster" if args.cluster else "spark", n) for n in args.partitions]
        for engine, partitions in cases:
            r = case(data, engine, partitions)
            name = {
                "pandas": "pandas",
                "spark": f"spark local, {partitions} partitions",
                "cluster": f"spark local-cluster, {partitions} partitions",
            }[engine]
            mb = {key: "-" if np.isnan(value) else f"{value:.0f}" for key, value in r.items()}
            print(
                f"| {accounts:,} | {events:,} | {name} | {r['seconds']:.1f} | "
                f"{mb['driver_mb']} | {mb['jvm_mb']} | {mb['heap_mb']} | "
                f"{mb['task_mb']} | {mb['executor_mb']} |",
                flush=True,
            )
    print(f"load after: {os.getloadavg()[0]:.2f} (1-min)")


if __name__ == "__main__":
    main()
