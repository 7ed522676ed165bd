"""Revenue movements on a hand-made book of seven accounts (see ``small_book`` in conftest.py).

Expected figures were worked out by hand from the rows, month by month.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from portfolio.periods import periods_frame
from portfolio.revenue import (
    account_movements,
    renewal_decisions,
    renewal_table,
    revenue_table,
    revenue_timeline,
)
from portfolio.segments import with_segments

EMPTY = pd.Series(dtype=object)
MONTHS = ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06"]


def table(subs, bounds, ttm_periods=12, segments=EMPTY):
    timeline = revenue_timeline(subs, grace_days=14)
    moves = with_segments(account_movements(timeline, bounds, ttm_periods), segments)
    out = revenue_table(moves, periods_frame(bounds))
    return out.assign(month=out["period"].dt.strftime("%Y-%m")).set_index(["segment", "month"])


def test_mrr_bridge_by_hand(small_book, half_year):
    got = table(small_book, half_year).loc["all"]
    expected = pd.DataFrame(
        {
            #               Jan  Feb  Mar  Apr  May  Jun
            "start_mrr": [300, 500, 530, 490, 520, 400],
            "new": [200, 50, 0, 0, 0, 0],  # A, E, G start in January; C joins in February
            "expansion": [0, 30, 60, 0, 0, 0],  # F's add-on; A +50 and B +10 in March
            "contraction": [0, 0, 0, 60, 0, 0],  # A -30, F's add-on ends
            "churn": [0, 50, 100, 0, 120, 0],  # C leaves in February; E and G; A
            "reactivation": [0, 0, 0, 90, 0, 0],  # D comes back
            "end_mrr": [500, 530, 490, 520, 400, 400],
        },
        index=pd.Index(MONTHS, name="month"),
    )
    pd.testing.assert_frame_equal(got[expected.columns], expected.astype(float))
    assert got["expansion_cross_sell"].tolist() == [0, 30, 0, 0, 0, 0]
    assert got["expansion_upsell"].tolist() == [0, 0, 60, 0, 0, 0]


def test_logos_and_join_and_leave(small_book, half_year):
    got = table(small_book, half_year).loc["all"]
    assert got["start_logos"].tolist() == [2, 5, 5, 3, 4, 3]
    assert got["new_logos"].tolist() == [3, 1, 0, 0, 0, 0]
    assert got["reactivated_logos"].tolist() == [0, 0, 0, 1, 0, 0]
    assert got["churned_logos"].tolist() == [0, 1, 2, 0, 1, 0]  # C counts in February
    assert got["end_logos"].tolist() == [5, 5, 3, 4, 3, 3]
    # C joined and left within February: a churned logo, but not one of February's starting five
    assert got["logo_churn_rate"].tolist() == [0.0, 0.0, 2 / 5, 0.0, 1 / 4, 0.0]


def test_retention_on_the_starting_cohort(small_book, half_year):
    got = table(small_book, half_year).loc["all"]
    # March: cohort A100 B100 E60 F230 G40; at the end A150 B110 F230, E and G gone
    assert got.loc["2025-03", "grr"] == pytest.approx((100 + 100 + 230) / 530)
    assert got.loc["2025-03", "nrr"] == pytest.approx((150 + 110 + 230) / 530)
    # April: D's return is not the cohort's; no cohort account grew, so NRR equals GRR
    assert got.loc["2025-04", "grr"] == pytest.approx((120 + 110 + 200) / 490)
    assert got.loc["2025-04", "nrr"] == got.loc["2025-04", "grr"]
    assert got.loc["2025-02", "nrr"] == pytest.approx(530 / 500)
    assert got.loc["2025-03", "mrr_churn_rate"] == pytest.approx(100 / 530)
    assert got.loc["2025-03", "expansion_rate"] == pytest.approx(60 / 530)
    assert got.loc["2025-04", "contraction_rate"] == pytest.approx(60 / 490)


def test_trailing_retention_uses_the_cohort_of_a_year_before(small_book, half_year):
    # with 3 periods to a "year": March's trailing cohort is January's starters B100 and F200;
    # at 1 April they pay B110 and F230
    got = table(small_book, half_year, ttm_periods=3).loc["all"]
    assert got["grr_ttm"].isna().tolist() == [True, True, False, False, False, False]
    assert got.loc["2025-03", "grr_ttm"] == pytest.approx(1.0)
    assert got.loc["2025-03", "nrr_ttm"] == pytest.approx(340 / 300)
    assert table(small_book, half_year)["grr_ttm"].isna().all()  # six months of data only


def test_renewals_by_logo_and_dollars(small_book, half_year):
    timeline = revenue_timeline(small_book, grace_days=14)
    decisions = with_segments(renewal_decisions(timeline, half_year), EMPTY)
    got = renewal_table(decisions, periods_frame(half_year))
    got = got.assign(month=got["period"].dt.strftime("%Y-%m")).set_index("month")
    # Jan: G's first row ends in its grace gap (renewed). Feb: A, E, C (left). Mar: A, B (annual, counted
    # at its term end), E (its next row was deleted: not renewed), G. Apr: A; F's add-on ending
    # under a running base plan is no renewal decision. May: A's last term.
    assert got["renewals_due"].tolist() == [1, 3, 4, 1, 1]
    assert got["renewed_logos"].tolist() == [1, 2, 2, 1, 0]
    assert got.loc["2025-03", "renewal_rate_logos"] == 0.5
    assert got.loc["2025-03", "mrr_up_for_renewal"] == 100 + 100 + 60 + 40
    assert got.loc["2025-03", "renewal_rate_dollars"] == pytest.approx(200 / 300)
    assert got.loc["2025-02", "renewal_rate_dollars"] == pytest.approx(160 / 210)
    assert got.loc["2025-05", "renewal_rate_dollars"] == 0.0


def test_segments_partition_the_whole(small_book, half_year):
    segments = pd.Series({"A": "x", "B": "y", "C": "x", "D": "y", "E": "x", "F": "y", "G": "x"})
    got = table(small_book, half_year, segments=segments)
    for column in ("start_mrr", "new", "churn", "end_mrr", "churned_logos"):
        parts = got.loc["x", column] + got.loc["y", column]
        np.testing.assert_array_equal(parts.to_numpy(), got.loc["all", column].to_numpy())
    assert got.loc[("x", "2025-02"), "churn"] == 50  # C


def test_an_annual_term_churns_and_comes_up_for_renewal_at_its_end(subscriptions, half_year):
    subs = subscriptions([("Y", "2024-05-01", "2025-05-01", 100), ("Z", "2024-01-01", None, 10)])
    got = table(subs, half_year).loc["all"]
    assert got["churn"].tolist() == [0, 0, 0, 0, 100, 0]  # all of it in May, nothing spread
    assert got["contraction"].sum() == 0
    timeline = revenue_timeline(subs, grace_days=14)
    decisions = renewal_decisions(timeline, half_year)
    assert decisions["period"].tolist() == [pd.Timestamp("2025-05-01")]
    assert decisions["renewed"].tolist() == [False]
