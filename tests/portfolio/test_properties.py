"""Properties of the revenue metrics over random subscription histories (hypothesis).

In every period and segment: the MRR bridge identity holds exactly (to the cent), GRR never
exceeds 100%, and NRR equals GRR when nothing expanded or came back.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portfolio.periods import periods_frame
from portfolio.revenue import account_movements, revenue_table, revenue_timeline
from portfolio.segments import with_segments

PROPERTY = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DAY0 = pd.Timestamp("2024-01-01")

row = st.tuples(
    st.integers(0, 720),  # start, days after DAY0
    st.one_of(st.none(), st.integers(1, 400)),  # length in days, None = running
    st.integers(0, 50_000),  # MRR in cents
)
account = st.lists(row, min_size=1, max_size=5)
book = st.lists(account, min_size=1, max_size=6)


def frame(accounts: list[list[tuple]]) -> pd.DataFrame:
    rows = [
        (
            f"a{i}",
            DAY0 + pd.Timedelta(days=start),
            pd.NaT if length is None else DAY0 + pd.Timedelta(days=start + length),
            cents / 100,
        )
        for i, terms in enumerate(accounts)
        for start, length, cents in terms
    ]
    subs = pd.DataFrame(rows, columns=["account_id", "start_date", "end_date", "mrr"])
    subs["end_date"] = pd.to_datetime(subs["end_date"])
    return subs


def revenue(subs: pd.DataFrame, freq: str, ttm: int) -> pd.DataFrame:
    bounds = pd.date_range("2024-01-01", "2026-01-01", freq=freq)
    segments = pd.Series({a: f"s{int(a[1:]) % 2}" for a in subs["account_id"].unique()})
    timeline = revenue_timeline(subs, grace_days=14)
    moves = with_segments(account_movements(timeline, bounds, ttm), segments)
    return revenue_table(moves, periods_frame(bounds))


def cents(values: pd.Series) -> np.ndarray:
    return np.rint(values.to_numpy() * 100).astype(np.int64)


@PROPERTY
@given(book, st.sampled_from([("MS", 12), ("QS", 4)]))
def test_bridge_identity_and_retention_bounds(accounts, period):
    got = revenue(frame(accounts), *period)
    assert np.array_equal(
        cents(got["start_mrr"])
        + cents(got["new"])
        + cents(got["expansion"])
        - cents(got["contraction"])
        - cents(got["churn"])
        + cents(got["reactivation"]),
        cents(got["end_mrr"]),
    )
    # a period's end is the next one's start
    for _, one in got.groupby("segment"):
        assert np.array_equal(cents(one["end_mrr"])[:-1], cents(one["start_mrr"])[1:])
        logos = one["start_logos"] + one["new_logos"] + one["reactivated_logos"]
        assert ((logos - one["churned_logos"]) == one["end_logos"]).all()
    for column in ("grr", "grr_ttm"):
        assert (got[column].dropna() <= 1.0).all()
    assert (got["grr"].dropna() >= 0.0).all()
    quiet = (got["expansion"] == 0) & (got["reactivation"] == 0)
    assert (got.loc[quiet, "nrr"].dropna() == got.loc[quiet, "grr"].dropna()).all()


@PROPERTY
@given(book)
def test_nrr_equals_grr_without_expansion_or_reactivation(accounts):
    # every account one spell of falling prices: nothing can expand or come back
    flat = [sorted(((s, n, c) for s, n, c in terms), key=lambda t: t[0])[:1] for terms in accounts]
    got = revenue(frame(flat), "MS", 12)
    assert (got["expansion"] == 0).all() and (got["reactivation"] == 0).all()
    pd.testing.assert_series_equal(got["nrr"], got["grr"], check_names=False)
    pd.testing.assert_series_equal(got["nrr_ttm"], got["grr_ttm"], check_names=False)
