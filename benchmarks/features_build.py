"""Benchmark the whole feature build: wall seconds, events per second and peak memory.

Why: the feature build must stay fast and bounded in memory as events grow (issue 3 targets:
10M events / 5,000 accounts / 12 as-of dates under 20 s and 4 GB; 100M events from Parquet on disk
under 16 GB, time no worse than linear in events).

Data: demo accounts from ``health.synthetic`` (default density, ~850 events per account), with
their events copied under new user ids (``<user>-c<k>``, timestamps shifted by minutes) until the
requested number of events is reached. The copies are written once as a Parquet directory (one
file per copy) under ``--data`` and reused by later runs.

Usage::

    python benchmarks/features_build.py --events 10_000_000 --accounts 5000 --dates 12
    python benchmarks/features_build.py --events 100_000_000 --accounts 5000

    python benchmarks/features_build.py --events 10_000_000 --engine pandas   # the baseline

Engines: ``ours`` is ``features.matrix.build_features`` (with per-type usage for the ``--types``
most used event types, as training builds it; ``--types 0`` for none) with the events left on disk
(``load_tables(..., events_on_disk=True)``; ``--in-memory`` loads them into pandas first).
``pandas`` is a straightforward per-date pandas group-by implementation of the usage and adoption
features (``pandas_event_features`` below, the approach before ``features.events``), with the other
families from the same builders; ``--check`` compares its matrix with ours.

Each run is one process, so the peak RSS printed is that build's (plus loading, reported apart).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from health.synthetic import generate_demo_data, write_demo_data  # noqa: E402


def peak_rss_gb() -> float:
    """Peak resident memory of this process so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def benchmark_data(
    folder: Path, n_events: int, n_accounts: int, seed: int = 0, days: int = 730
) -> Path:
    """A data directory with ``n_events`` events (Parquet directory), made once and reused.

    ``days`` is the history the demo generator covers (its default, two years, unless given).
    """
    name = f"a{n_accounts}-e{n_events}-s{seed}" + (f"-d{days}" if days != 730 else "")
    folder = folder / name
    done = folder / "READY"
    if done.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    tables = generate_demo_data(n_accounts=n_accounts, seed=seed, days=days)
    base = tables.pop("events")
    write_demo_data(tables, folder)
    parts = folder / "events.parquet"
    parts.mkdir(exist_ok=True)
    rng = np.random.default_rng(seed)
    copies = -(-n_events // len(base))
    user = base["user_id"].astype(str).to_numpy()
    for k in range(copies):
        n = min(len(base), n_events - k * len(base))
        take = np.sort(rng.choice(len(base), n, replace=False)) if n < len(base) else slice(None)
        shift = pd.to_timedelta(rng.integers(-30, 30, n), unit="min")
        part = pd.DataFrame(
            {
                "account_id": base["account_id"].to_numpy()[take],
                "user_id": pd.Categorical(user[take] if k == 0 else user[take] + f"-c{k}"),
                "timestamp": (base["timestamp"].to_numpy()[take] + shift.to_numpy()),
                "event_type": base["event_type"].to_numpy()[take],
                "value": base["value"].to_numpy()[take],
            }
        )
        pq.write_table(pa.Table.from_pandas(part, preserve_index=False), parts / f"{k:04d}.parquet")
    done.write_text(f"{n_events}\n")
    return folder


def pandas_event_features(events: pd.DataFrame, grid: dict) -> dict:
    """Usage and adoption per as-of date with plain pandas group-bys over the raw events."""
    from features.events import CORE_SHARE

    ev = events.assign(day=events["timestamp"].dt.normalize())
    out = {}
    for as_of, accounts in grid.items():
        past = ev[ev["day"] < as_of]
        past = past.assign(age=(as_of - past["day"]).dt.days)
        w = past[past["age"] <= 90]
        f = pd.DataFrame(index=pd.Index(accounts, name="account_id"))

        def by(mask, frame=w):
            return frame[mask].groupby("account_id", observed=True)

        def ratio(a, b):
            return (
                a / b.where(b > 0) if isinstance(b, pd.Series) else a / b if b > 0 else a * np.nan
            )

        for n in (7, 30, 90):
            f[f"events_{n}d"] = by(w["age"] <= n)["value"].sum()
        prev = w["age"].between(31, 60)
        f["events_prev_30d"] = by(prev)["value"].sum()
        for n in (7, 30, 90):
            f[f"active_days_{n}d"] = by(w["age"] <= n)["day"].nunique()
        has_users = "user_id" in ev
        if has_users:
            for n in (7, 30, 90):
                f[f"active_users_{n}d"] = by(w["age"] <= n)["user_id"].nunique()
            f["active_users_prev_30d"] = by(prev)["user_id"].nunique()
        weeks = w[w["age"] <= 84]
        x = 11 - 2 * ((weeks["age"] - 1) // 7)
        num = (weeks["value"] * x).groupby(weeks["account_id"], observed=True).sum()
        tot = weeks.groupby("account_id", observed=True)["value"].sum()
        used = w.groupby("event_type")
        rank = pd.DataFrame({"a": -used["account_id"].nunique(), "e": -used["value"].sum()})
        rank = rank.reset_index().sort_values(["a", "e", "event_type"])
        core = set(rank["event_type"][: max(1, int(np.ceil(CORE_SHARE * len(rank))))])
        n_core = len(core) if len(rank) else 0
        pairs = w.groupby(["account_id", "event_type"], observed=True)["age"].min().reset_index()
        firsts = past.groupby(["account_id", "event_type"], observed=True)["age"].max()
        firsts = firsts.reset_index()
        in_core = pairs["event_type"].isin(core)
        f = f.fillna(0.0)
        for c in f.columns:
            f[c] = f[c].reindex(f.index).fillna(0.0).astype(float)
        counts = f.copy()
        out_f = pd.DataFrame(index=f.index)
        for c in ("events_7d", "events_30d", "events_90d", "events_prev_30d"):
            out_f[c] = counts[c]
        out_f["events_change_30d"] = ratio(
            counts["events_30d"] - counts["events_prev_30d"], counts["events_prev_30d"]
        )
        for c in ("active_days_7d", "active_days_30d", "active_days_90d"):
            out_f[c] = counts[c]
        if has_users:
            for c in ("active_users_7d", "active_users_30d", "active_users_90d"):
                out_f[c] = counts[c]
            out_f["active_users_prev_30d"] = counts["active_users_prev_30d"]
            out_f["active_users_change_30d"] = ratio(
                counts["active_users_30d"] - counts["active_users_prev_30d"],
                counts["active_users_prev_30d"],
            )
        slope_tot = tot.reindex(f.index).fillna(0.0)
        out_f["usage_slope_12w"] = ratio(num.reindex(f.index).fillna(0.0) * 12 / 286, slope_tot)
        last = past.groupby("account_id", observed=True)["age"].min()
        out_f["days_since_last_event"] = last.reindex(f.index).astype(float)

        def count(frame, index=f.index):
            n = frame.groupby("account_id", observed=True).size()
            return n.reindex(index).fillna(0).astype(float)

        out_f["features_used_30d"] = count(pairs[pairs["age"] <= 30])
        out_f["features_used_90d"] = count(pairs)
        out_f["catalogue_share_90d"] = ratio(
            out_f["features_used_90d"], float(past["event_type"].nunique())
        )
        out_f["features_new_30d"] = count(firsts[firsts["age"] <= 30])
        had_prev = w[prev].groupby(["account_id", "event_type"], observed=True).size()
        dropped = pairs.set_index(["account_id", "event_type"])["age"].reindex(had_prev.index)
        out_f["features_dropped_30d"] = count(dropped[dropped > 30].reset_index())
        out_f["core_features_used_30d"] = (
            count(pairs[in_core & (pairs["age"] <= 30)]) if n_core else np.nan
        )
        core_days = w[(w["age"] <= 30) & w["event_type"].isin(core)]
        core_days = core_days[["account_id", "event_type", "day"]].drop_duplicates()
        out_f["core_depth_30d"] = ratio(count(core_days), float(30 * n_core))
        adopted = firsts[firsts["event_type"].isin(core)]
        out_f["core_adoption_share"] = ratio(count(adopted), float(n_core))
        age_sum = adopted.groupby("account_id", observed=True)["age"].sum()
        out_f["days_since_core_adoption"] = ratio(
            age_sum.reindex(f.index).astype(float), count(adopted)
        )
        first = past.groupby("account_id", observed=True)["age"].max()
        out_f["days_since_first_event"] = first.reindex(f.index).astype(float)
        out[as_of] = out_f
    return out


def pandas_build_features(tables, dates: list[pd.Timestamp]) -> pd.DataFrame:
    """The whole build with ``pandas_event_features`` in place of ``features.events``."""
    from features.matrix import features_at
    from features.pointintime import prepare_tables
    from features.timeline import active_terms

    prepared = prepare_tables(tables)
    grid = {t: pd.Index(active_terms(prepared.subscriptions, t)["account_id"]) for t in dates}
    usage = pandas_event_features(prepared.events, grid)
    return pd.concat([features_at(prepared, t, usage[t]) for t in dates], ignore_index=True)


def as_of_dates(n: int) -> list[pd.Timestamp]:
    """``n`` month-apart dates ending near the end of the demo history."""
    end = pd.Timestamp("2025-12-01")
    return [end - pd.Timedelta(days=30 * i) for i in range(n)][::-1]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--accounts", type=int, default=5000)
    parser.add_argument("--dates", type=int, default=12)
    parser.add_argument("--data", type=Path, default=Path("/tmp/health-bench"))
    parser.add_argument("--engine", choices=("ours", "pandas"), default="ours")
    parser.add_argument("--in-memory", action="store_true", help="ours: load events into pandas")
    parser.add_argument("--check", action="store_true", help="pandas: compare with ours")
    parser.add_argument(
        "--types", type=int, default=20, help="ours: per-type usage for this many event types"
    )
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    folder = benchmark_data(args.data, args.events, args.accounts)
    print(f"data ready in {time.perf_counter() - t0:.1f} s: {folder}", flush=True)

    from features.loading import load_tables
    from features.matrix import build_features

    on_disk = args.engine == "ours" and not args.in_memory
    t0 = time.perf_counter()
    tables = load_tables(folder, events_on_disk=on_disk)
    load_s = time.perf_counter() - t0
    n_events = args.events if on_disk else len(tables.events)
    load_rss = peak_rss_gb()
    print(f"loaded in {load_s:.1f} s (events on disk: {on_disk}), peak RSS {load_rss:.2f} GB")

    dates = as_of_dates(args.dates)
    t0 = time.perf_counter()
    if args.engine == "pandas":
        matrix = pandas_build_features(tables, dates)
    else:  # as training builds it: per-type usage for the --types most used event types
        matrix = build_features(tables, dates, top_types=args.types)
    wall = time.perf_counter() - t0
    load1 = os.getloadavg()[0]
    print(
        f"engine={args.engine} events={n_events:,} accounts={args.accounts:,} dates={len(dates)} "
        f"rows={len(matrix):,} features={matrix.shape[1] - 2}\n"
        f"build wall {wall:.1f} s, {n_events / wall:,.0f} events/s, "
        f"peak RSS {peak_rss_gb():.2f} GB (after loading {load_rss:.2f} GB), "
        f"load average {load1:.2f}",
        flush=True,
    )
    if args.check and args.engine == "pandas":
        ours = build_features(tables, dates)
        pd.testing.assert_frame_equal(matrix, ours, check_exact=False, rtol=1e-9)
        print("pandas matrix equals ours")


if __name__ == "__main__":
    main()
