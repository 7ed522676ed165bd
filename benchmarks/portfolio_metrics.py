"""Benchmark the portfolio metrics beside the feature build on the same data: wall time and peak
memory.

Why: ``health metrics`` must stay practical on a large book (issue 15: 100,000 accounts over three
years of subscriptions, events, tickets and surveys) and cost no more than the feature build the
models already need on that data.

Data: the demo generator's company over ``--days`` days, generated ``--batch`` accounts at a time
(seeds 0, 1, ...; ids prefixed ``b<k>-``) with its own events as generated (about 1,230 per account
over three years), because generating 100,000 accounts over three years at once needs more than
18 GB (it was killed there). The batches are cached under ``--data`` and a book is its first
batches (events as a Parquet directory of links), so each larger book contains the smaller ones.
With ``--events``, the book is instead ``benchmarks/features_build.py``'s ``benchmark_data`` (up to
``--batch`` accounts, their events copied under new user ids up to ``--events``).

Each measurement runs in its own process, so each peak RSS is that job's alone: ``load GB`` while
``features.loading.load_tables`` reads and validates the tables (one pass over the events, the
same for both), ``step GB`` from there on, ``peak GB`` the larger. ``cpu s`` (user + system, the
whole process) is steadier than wall time on a shared machine. The parent stops a child whose
resident memory passes ``--max-gb`` and reports the step as over the cap:

- ``metrics``: ``portfolio.compute.portfolio_metrics`` on the tables with the events left on disk
  (monthly periods, segmented by plan), then writing the Parquet tables and the HTML report;
- ``features``: ``features.matrix.build_features`` at the 12 monthly as-of dates of
  ``benchmarks/features_build.py``, events left on disk.

Usage::

    python benchmarks/portfolio_metrics.py --accounts 10000      # then 30000, 100000
    python benchmarks/portfolio_metrics.py --accounts 2000 --events 2_000_000
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


def batch_tables(folder: Path, k: int, batch: int, days: int) -> Path:
    """Batch ``k`` of the demo company (seed ``k``, ids prefixed ``b<k>-``), written once."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from health.synthetic import generate_demo_data

    part = folder / f"batch{batch}-d{days}" / f"{k:04d}"
    if (part / "READY").exists():
        return part
    part.mkdir(parents=True, exist_ok=True)
    tables = generate_demo_data(n_accounts=batch, seed=k, days=days)
    prefix = f"b{k}-"
    events = tables.pop("events")
    events["account_id"] = events["account_id"].cat.rename_categories(
        lambda c, prefix=prefix: prefix + c
    )
    events["user_id"] = events["user_id"].astype(str).radd(prefix)
    pq.write_table(pa.Table.from_pandas(events, preserve_index=False), part / "events.parquet")
    for name, frame in tables.items():
        for column in ID_COLUMNS[name]:
            frame[column] = prefix + frame[column].astype(str)
        frame.to_csv(part / f"{name}.csv", index=False, date_format="%Y-%m-%d %H:%M:%S")
    (part / "READY").write_text(f"{len(events)}\n")
    return part


def batched_data(folder: Path, n_accounts: int, days: int, batch: int) -> Path:
    """The demo company generated ``batch`` accounts at a time: one data directory, made once.

    The batches are cached and shared, so a smaller book is the first batches of a larger one
    (10,000 accounts are the first tenth of 100,000) and growth per account compares like with
    like. ``n_accounts`` is rounded up to whole batches.
    """
    n_batches = -(-n_accounts // batch)
    out = folder / f"a{n_batches * batch}-d{days}-batched{batch}"
    if (out / "READY").exists():
        return out
    (out / "events.parquet").mkdir(parents=True, exist_ok=True)
    n_events = 0
    for k in range(n_batches):
        part = batch_tables(folder, k, batch, days)
        link = out / "events.parquet" / f"{k:04d}.parquet"
        if not link.exists():
            link.symlink_to(part / "events.parquet")
        n_events += int((part / "READY").read_text())
        print(f"  batch {k}: {(k + 1) * batch:,} accounts, {n_events:,} events", flush=True)
    for name in ID_COLUMNS:
        with open(out / f"{name}.csv", "w") as whole:
            for k in range(n_batches):
                lines = (folder / f"batch{batch}-d{days}" / f"{k:04d}" / f"{name}.csv").open()
                if k:
                    next(lines)  # one header
                whole.writelines(lines)
                lines.close()
    (out / "READY").write_text(f"{n_events}\n")
    return out


def peak_rss_gb() -> float:
    """This process's peak resident memory (VmHWM: unlike getrusage's maxrss, it starts afresh at
    exec, so a child does not inherit the parent's peak, and writing 5 to clear_refs restarts
    it)."""
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
    figures: dict = {"load_s": load_s, "load_gb": peak_rss_gb()}
    Path("/proc/self/clear_refs").write_text("5")  # restart the peak: the step's own from here
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
    usage = resource.getrusage(resource.RUSAGE_SELF)
    figures["cpu_s"] = usage.ru_utime + usage.ru_stime  # steadier than wall on a shared machine
    figures["step_gb"] = peak_rss_gb()
    figures["peak_rss_gb"] = max(figures["load_gb"], figures["step_gb"])
    return figures


def rss_gb(pid: int) -> float:
    """Resident memory of a running process (0 once it has gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return 0.0


def run_capped(command: list[str], max_gb: float) -> dict:
    """Run one measurement in a child process, stopping it if its RSS passes ``max_gb``."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(command, stdout=out, stderr=err, text=True)
        seen = 0.0
        while child.poll() is None:
            seen = max(seen, rss_gb(child.pid))
            if seen > max_gb:
                child.kill()
                child.wait()
                return {"over_cap_gb": round(seen, 2)}
            time.sleep(0.1)
        out.seek(0), err.seek(0)
        if child.returncode:
            print(out.read(), err.read(), file=sys.stderr)
            raise SystemExit(f"{command[3]} failed")
        return json.loads(out.read().strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=1095, help="history the generator covers")
    parser.add_argument("--events", type=int, help="copy events up to this many (small books)")
    parser.add_argument("--by", default="plan", help="segment column ('' for none)")
    parser.add_argument("--batch", type=int, default=10_000, help="accounts generated at a time")
    parser.add_argument("--data", type=Path, default=Path("/tmp/health-bench"))
    parser.add_argument("--max-gb", type=float, default=8.0, help="stop a step above this RSS")
    parser.add_argument("--parts", default="metrics,features", help="steps to measure")
    parser.add_argument("--part", choices=("metrics", "features"), help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.part:  # a child process: one measurement, printed as JSON
        print(json.dumps(run_part(args.part, args.folder, args.by or None)), flush=True)
        return

    t0 = time.perf_counter()
    if args.events is not None:
        if args.accounts > args.batch:
            parser.error("--events copies the events of at most --batch accounts")
        folder = benchmark_data(args.data, args.events, args.accounts, days=args.days)
    else:
        folder = batched_data(args.data, args.accounts, args.days, args.batch)
    n_events = int((folder / "READY").read_text())
    print(f"data ready in {time.perf_counter() - t0:.1f} s: {folder}", flush=True)
    results = []
    for part in args.parts.split(","):
        command = [sys.executable, __file__, "--part", part, "--folder", str(folder)]
        command += ["--by", args.by]
        figures = run_capped(command, args.max_gb)
        results.append({"part": part, **figures})
        print(f"{part}: {results[-1]}", flush=True)
    print(
        f"\naccounts={args.accounts:,} days={args.days} events={n_events:,} "
        f"by={args.by or '-'} load average {os.getloadavg()[0]:.2f}"
    )
    print(
        f"{'job':<10}{'load s':>9}{'compute s':>11}{'write s':>9}{'wall s':>9}{'cpu s':>9}"
        f"{'load GB':>9}{'step GB':>9}{'peak GB':>9}"
    )
    for r in results:
        if "over_cap_gb" in r:
            print(f"{r['part']:<10}  stopped: resident memory passed {args.max_gb} GB")
            continue
        write = f"{r['write_s']:.1f}" if "write_s" in r else "-"
        print(
            f"{r['part']:<10}{r['load_s']:>9.1f}{r['compute_s']:>11.1f}{write:>9}"
            f"{r['wall_s']:>9.1f}{r['cpu_s']:>9.1f}{r['load_gb']:>9.2f}{r['step_gb']:>9.2f}"
            f"{r['peak_rss_gb']:>9.2f}"
        )


if __name__ == "__main__":
    main()
