"""Oracle tests: the streamed engagement aggregation equals plain pandas group-bys.

``usage_by_account`` reduces each batch of events to integer keys and merges them as they
accumulate; ``adoption_table`` counts on codes one segment at a time. Both are checked against the
obvious computation over the whole table on random events, with batches small enough that every
key recurs across batches (and, for the keys alone, across merges).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.loading import EventFiles
from portfolio.engagement import KeySums, adoption_table, usage_by_account, usage_table
from portfolio.revenue import customer_periods, revenue_timeline
from portfolio.segments import with_segments

BOUNDS = pd.date_range("2025-01-01", "2025-05-01", freq="MS")  # January to April


def random_events(seed: int, n: int = 3000) -> pd.DataFrame:
    """Events of 25 accounts and 6 types from December to May (some outside the periods)."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-12-01").value // 1000
    span = (pd.Timestamp("2025-06-01") - pd.Timestamp("2024-12-01")).value // 1000
    return pd.DataFrame(
        {
            "account_id": rng.choice([f"a{i}" for i in range(25)], n),
            "user_id": rng.choice([f"u{i}" for i in range(40)], n),
            "timestamp": pd.to_datetime(start + rng.integers(0, span, n), unit="us"),
            "event_type": rng.choice(list("pqrstu"), n),
            "value": rng.integers(0, 40, n) / 4,  # quarters: sums are exact either way
        }
    )


def oracle(events: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Usage and adoption by plain group-bys over the whole table."""
    inside = events[(events["timestamp"] >= BOUNDS[0]) & (events["timestamp"] < BOUNDS[-1])]
    k = np.searchsorted(BOUNDS.to_numpy(), inside["timestamp"].to_numpy(), side="right") - 1
    inside = inside.assign(period=BOUNDS.to_numpy()[k], day=inside["timestamp"].dt.normalize())
    usage = (
        inside.groupby(["account_id", "period"])
        .agg(events=("value", "sum"), active_days=("day", "nunique"))
        .reset_index()
    )
    adoption = (
        inside[["account_id", "period", "event_type"]]
        .drop_duplicates()
        .rename(columns={"event_type": "feature"})
    )
    return usage, adoption


def plain_adoption_table(adoption: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
    """Adoption rates by joining the adoption rows to the customers."""
    used = customers.merge(adoption.astype({"account_id": str, "feature": str}), how="inner")
    adopters = used.groupby(["segment", "period", "feature"]).size().rename("adopters")
    counts = customers.groupby(["segment", "period"]).size().rename("customers")
    out = adopters.reset_index().merge(counts.reset_index(), on=["segment", "period"])
    return out.assign(adoption_rate=out["adopters"] / out["customers"])


def tidy(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.astype({c: str for c in ("account_id", "feature") if c in frame})
    return frame.sort_values(list(frame.columns[:3])).reset_index(drop=True)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_streamed_usage_and_adoption_equal_plain_group_bys(tmp_path, seed):
    events = random_events(seed)
    want_usage, want_adoption = oracle(events)
    folder = tmp_path / "events.parquet"
    folder.mkdir()
    shuffled = events.sample(frac=1, random_state=seed)
    for i, lo in enumerate(range(0, len(shuffled), 1000)):
        shuffled.iloc[lo : lo + 1000].to_parquet(folder / f"{i}.parquet", index=False)
    sources = {"in memory": events, "on disk, batches of 250": EventFiles(folder, batch_rows=250)}
    for source in sources.values():
        usage, adoption = usage_by_account(source, BOUNDS)
        pd.testing.assert_frame_equal(tidy(usage), tidy(want_usage), check_dtype=False)
        pd.testing.assert_frame_equal(tidy(adoption), tidy(want_adoption), check_dtype=False)
        assert len(adoption) > 300 and usage["active_days"].max() > 5  # a real test

    subs = pd.DataFrame(
        {
            "account_id": [f"a{i}" for i in range(0, 25, 2)] + ["a1", "a3"],
            "start_date": pd.to_datetime(["2024-06-01"] * 13 + ["2025-02-10", "2025-03-01"]),
            "end_date": pd.to_datetime([None] * 12 + ["2025-02-15", None, "2025-04-02"]),
            "mrr": 10.0,
        }
    )
    customers = customer_periods(revenue_timeline(subs, 14), BOUNDS)
    plan = pd.Series(np.where(np.arange(25) % 3, "pro", "basic"), [f"a{i}" for i in range(25)])
    customers = with_segments(customers, plan)
    usage, adoption = usage_by_account(sources["on disk, batches of 250"], BOUNDS)
    pd.testing.assert_frame_equal(usage_table(usage, customers), usage_table(want_usage, customers))
    got, want = adoption_table(adoption, customers), plain_adoption_table(want_adoption, customers)
    pd.testing.assert_frame_equal(got, want)
    assert set(got["segment"]) == {"all", "basic", "pro"} and (got["adoption_rate"] < 1).any()


def test_key_sums_merge_batches_into_distinct_keys_and_exact_sums():
    rng = np.random.default_rng(5)
    batches = [(rng.integers(0, 500, 300), rng.integers(-9, 10, 300)) for _ in range(40)]
    summed, distinct = KeySums(sums=True, merge_rows=64), KeySums(merge_rows=64)
    for keys, values in batches:
        summed.add(keys, values)
        distinct.add(keys)
    keys = np.concatenate([k for k, _ in batches])
    want = pd.Series(np.concatenate([v for _, v in batches])).groupby(keys).sum()
    got_keys, got_sums = summed.result()
    np.testing.assert_array_equal(got_keys, want.index.to_numpy())
    np.testing.assert_array_equal(got_sums, want.to_numpy())
    np.testing.assert_array_equal(distinct.result()[0], want.index.to_numpy())
