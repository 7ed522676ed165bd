"""Benchmark the portfolio metrics beside the feature build on the same data: wall time and peak
memory.

Why: ``health metrics`` must stay practical on a large book (issue 15: 100,000 accounts over three
years of subscriptions, events, tickets and surveys) and cost no more than the feature build the
models already need on that data.

Data: the demo generator's company over ``--days`` days. Up to ``--batch`` accounts it is
``benchmarks/features_build.py``'s ``benchmark_data`` (events copied under new user ids up to
``--events``); larger books are generated in batches of ``--batch`` accounts (seeds 0, 1, ...;
ids prefixed ``b<k>-``), because generating 100,000 accounts over three years at once needs more
than 18 GB (it was killed there), with their own events as generated (``--events`` unused).
Either way the data is written once under ``--data`` (events as a Parquet directory) and reused.
Each measurement runs in its own process, so each peak RSS is that job's alone (loading
included):

- ``metrics``: ``portfolio.compute.portfolio_metrics`` on the tables with the events left on disk
  (monthly periods, segmented by plan), then writing the Parquet tables and the HTML report;
- ``features``: ``features.matrix.build_features`` at the 12 monthly as-of dates of
  ``benchmarks/features_build.py``, events left on disk.

Usage::

    python benchmarks/portfolio_metrics.py --accounts 100000 --days 1095 --events 100_000_000
    python benchmarks/portfolio_metrics.py --accounts 5000 --days 1095 --events 5_000_000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from features_build import as_of_dates, benchmark_data  # noqa: E402

ID_COLUMNS = {
    "accounts": ("account_id",),
    "subscriptions": ("account_id", "subscription_id"),
    "tickets": ("account_id", "ticket_id"),
    "surveys": ("account_id",),
    "ground_truth": ("account_id",),
}


def batched_data(folder: Path, n_accounts: int, days: int, batch: int) -> Path:
    """The demo company generated ``batch`` accounts at a time, one data directory, made once."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from health.synthetic import generate_demo_data

    folder = folder / f"a{n_accounts}-d{days}-batched{batch}"
    if (folder / "READY").exists():
        return folder
    (folder / "events.parquet").mkdir(parents=True, exist_ok=True)
    n_events = 0
    for k, lo in enumerate(range(0, n_accounts, batch)):
        tables = generate_demo_data(n_accounts=min(batch, n_accounts - lo), seed=k, days=days)
        prefix = f"b{k}-"
        events = tables.pop("events")
        events["account_id"] = events["account_id"].cat.rename_categories(
            lambda c, prefix=prefix: prefix + c
        )
        events["user_id"] = events["user_id"].astype(str).radd(prefix)
        pq.write_table(
            pa.Table.from_pandas(events, preserve_index=False),
            folder / "events.parquet" / f"{k:04d}.parquet",
        )
        n_events += len(events)
        del events
        for name, frame in tables.items():
            for column in ID_COLUMNS[name]:
                frame[column] = prefix + frame[column].astype(str)
            path = folder / f"{name}.csv"
            frame.to_csv(path, mode="a", header=k == 0, index=False,
                         date_format="%Y-%m-%d %H:%M:%S")  # fmt: skip
        print(f"  batch {k}: {lo + min(batch, n_accounts - lo):,} accounts, {n_events:,} events",
              flush=True)  # fmt: skip
    (folder / "READY").write_text(f"{n_events}\n")
    return folder


def peak_rss_gb() -> float:
    """This process's peak resident memory (VmHWM: unlike getrusage's maxrss, it starts afresh at
    exec, so a child does not inherit the parent's peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024**2
    raise RuntimeError("no VmHWM in /proc/self/status")


def run_part(part: str, folder: Path, by: str | None) -> dict:
    """One measurement in this process; returns its figures."""
    from features.loading import load_tables

    t0 = time.perf_counter()
    tables = load_tables(folder, events_on_disk=True)
    load_s = time.perf_counter() - t0
    figures: dict = {"part": part, "load_s": load_s}
    t0 = time.perf_counter()
    if part == "metrics":
        from health.metrics_job import write_outputs
        from portfolio.compute import MetricsConfig, portfolio_metrics

        metrics = portfolio_metrics(tables, MetricsConfig(by=by))
        figures["compute_s"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        with tempfile.TemporaryDirectory() as out:
            write_outputs(metrics, Path(out))
        figures["write_s"] = time.perf_counter() - t1
        figures["periods"] = len(metrics.periods)
        figures["rows"] = sum(len(t) for t in metrics.tables.values())
    else:
        from features.matrix import build_features

        matrix = build_features(tables, as_of_dates(12))
        figures["compute_s"] = time.perf_counter() - t0
        figures["rows"] = len(matrix)
    figures["wall_s"] = time.perf_counter() - t0 + load_s
    figures["peak_rss_gb"] = peak_rss_gb()
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=1095, help="history the generator covers")
    parser.add_argument("--events", type=int, default=100_000_000)
    parser.add_argument("--by", default="plan", help="segment column ('' for none)")
    parser.add_argument("--batch", type=int, default=10_000, help="accounts generated at a time")
    parser.add_argument("--data", type=Path, default=Path("/tmp/health-bench"))
    parser.add_argument("--part", choices=("metrics", "features"), help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.part:  # a child process: one measurement, printed as JSON
        print(json.dumps(run_part(args.part, args.folder, args.by or None)), flush=True)
        return

    t0 = time.perf_counter()
    if args.accounts <= args.batch:
        folder = benchmark_data(args.data, args.events, args.accounts, days=args.days)
    else:
        folder = batched_data(args.data, args.accounts, args.days, args.batch)
    n_events = int((folder / "READY").read_text())
    print(f"data ready in {time.perf_counter() - t0:.1f} s: {folder}", flush=True)
    results = []
    for part in ("metrics", "features"):
        command = [sys.executable, __file__, "--part", part, "--folder", str(folder)]
        command += ["--by", args.by]
        done = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy())
        if done.returncode:
            print(done.stdout, done.stderr, file=sys.stderr)
            raise SystemExit(f"{part} failed")
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"{part}: {results[-1]}", flush=True)
    print(
        f"\naccounts={args.accounts:,} days={args.days} events={n_events:,} "
        f"by={args.by or '-'} load average {os.getloadavg()[0]:.2f}"
    )
    print(f"{'job':<10}{'load s':>9}{'compute s':>11}{'write s':>9}{'wall s':>9}{'peak GB':>9}")
    for r in results:
        write = f"{r['write_s']:.1f}" if "write_s" in r else "-"
        print(
            f"{r['part']:<10}{r['load_s']:>9.1f}{r['compute_s']:>11.1f}{write:>9}"
            f"{r['wall_s']:>9.1f}{r['peak_rss_gb']:>9.2f}"
        )


if __name__ == "__main__":
    main()
