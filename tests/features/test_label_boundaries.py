"""Labels and the point-in-time cut on timelines that sit exactly on each edge, worked out by hand.

Defaults: horizon 90 days, renewal window 120 days, grace 14 days. A term row covers
``[start_date, end_date)``: ``end_date`` is the first day without it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.contract import Tables
from features.labels import (
    LabelConfig,
    churn_dates,
    coverage_spells,
    holding_spell_end,
    labels,
)
from features.matrix import build_features
from features.subscriptions import OPEN_END
from features.timeline import active_grid

T = pd.Timestamp
AS_OF = T("2024-01-01")
CONFIG = LabelConfig(horizon_days=90, renewal_window_days=120, grace_days=14)
LATE = T("2030-01-01")  # a data end far away: nothing censored


def subs(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["account_id", "start_date", "end_date"])
    for column in ("start_date", "end_date"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def labelled(rows, as_of=AS_OF, data_end=LATE, config=CONFIG) -> pd.DataFrame:
    subscriptions = subs(rows)
    grid = active_grid(subscriptions, [as_of])
    return labels(subscriptions, grid, data_end, config).set_index("account_id")


def test_churn_on_the_last_day_of_the_horizon_and_on_the_day_after():
    # 2024-01-01 + 90 days = 2024-03-31: coverage ending then is inside (t, t + 90 days].
    out = labelled(
        [
            ("last_day", "2023-06-01", "2024-03-31"),
            ("day_after", "2023-06-01", "2024-04-01"),
            ("day_before", "2023-06-01", "2024-03-30"),
        ]
    )
    assert out.loc["last_day", "churned"] == 1
    assert out.loc["day_after", "churned"] == 0
    assert out.loc["day_before", "churned"] == 1


def test_a_longer_horizon_reaches_the_day_after():
    out = labelled([("a", "2023-06-01", "2024-04-01")], config=LabelConfig(horizon_days=91))
    assert out.loc["a", "churned"] == 1


def test_renewal_at_the_end_of_the_grace_gap_and_one_day_late():
    # The term ends 2024-03-01; 14 days later is 2024-03-15.
    out = labelled(
        [
            ("on_grace", "2023-03-01", "2024-03-01"),
            ("on_grace", "2024-03-15", "2025-03-15"),
            ("late", "2023-03-01", "2024-03-01"),
            ("late", "2024-03-16", "2025-03-16"),
            ("at_once", "2023-03-01", "2024-03-01"),
            ("at_once", "2024-03-01", "2025-03-01"),
        ]
    )
    assert out.loc["on_grace", "renewed"] == 1 and out.loc["on_grace", "churned"] == 0
    assert out.loc["late", "renewed"] == 0 and out.loc["late", "churned"] == 1
    assert out.loc["at_once", "renewed"] == 1 and out.loc["at_once", "churned"] == 0


def test_the_renewal_window_edge():
    # 2024-01-01 + 120 days = 2024-04-30: a term ending then has a renewal label, a day later none.
    out = labelled([("edge", "2023-05-01", "2024-04-30"), ("beyond", "2023-05-01", "2024-05-01")])
    assert out.loc["edge", "renewed"] == 0
    assert np.isnan(out.loc["beyond", "renewed"])


def test_a_churn_label_window_ending_on_the_last_observed_day_is_known():
    # The churn window with its grace: 2024-01-01 + 90 + 14 days = 2024-04-14.
    rows = [("stays", "2023-06-01", "2025-06-01"), ("leaves", "2023-06-01", "2024-02-01")]
    known = labelled(rows, data_end=T("2024-04-14"))
    assert known.loc["stays", "churned"] == 0 and known.loc["leaves", "churned"] == 1
    censored = labelled(rows, data_end=T("2024-04-13"))
    assert censored["churned"].isna().all()


def test_a_renewal_label_is_known_once_its_grace_gap_is_observed():
    # The term ends 2024-03-01; its grace gap is observed through 2024-03-15.
    rows = [("a", "2023-03-01", "2024-03-01")]
    assert labelled(rows, data_end=T("2024-03-15")).loc["a", "renewed"] == 0
    assert np.isnan(labelled(rows, data_end=T("2024-03-14")).loc["a", "renewed"])


def test_a_term_starting_on_the_as_of_date_is_not_yet_known():
    out = labelled([("new", "2024-01-01", "2025-01-01"), ("old", "2023-12-31", "2024-01-01")])
    assert list(out.index) == ["old"]  # ends on the as-of day: still active then, churns
    assert out.loc["old", "churned"] == 1


def tickets_table(created, resolved) -> Tables:
    accounts = pd.DataFrame({"account_id": pd.array(["a"], dtype="str")})
    subscriptions = subs([("a", "2023-01-01", "2026-01-01")])
    subscriptions["account_id"] = subscriptions["account_id"].astype("str")
    tickets = pd.DataFrame(
        {
            "ticket_id": pd.array(["t1"], dtype="str"),
            "account_id": pd.array(["a"], dtype="str"),
            "created_at": pd.to_datetime([created]),
            "resolved_at": pd.to_datetime([resolved]),
            "csat": [5.0],
        }
    )
    return Tables(accounts=accounts, subscriptions=subscriptions, tickets=tickets)


@pytest.mark.parametrize(
    ("resolved", "open_tickets", "resolution_days"),
    [
        ("2024-01-01 00:00:00", 1, None),  # resolved exactly at the as-of instant: not yet known
        ("2023-12-31 23:59:59", 0, 1 - 1 / 86_400),  # one second earlier: resolved
    ],
)
def test_a_ticket_resolved_exactly_at_the_as_of_instant_is_still_open(
    resolved, open_tickets, resolution_days
):
    frame = build_features(tickets_table("2023-12-31 00:00:00", resolved), [AS_OF]).iloc[0]
    assert frame["open_tickets"] == open_tickets
    if resolution_days is None:
        assert np.isnan(frame["mean_resolution_days_90d"])
    else:
        assert frame["mean_resolution_days_90d"] == pytest.approx(resolution_days)


def test_a_ticket_created_exactly_at_the_as_of_instant_is_not_seen():
    at = build_features(tickets_table("2024-01-01 00:00:00", "2024-01-02"), [AS_OF]).iloc[0]
    before = build_features(tickets_table("2023-12-31 23:59:59", "2024-01-02"), [AS_OF]).iloc[0]
    assert at["tickets_30d"] == 0 and at["open_tickets"] == 0
    assert before["tickets_30d"] == 1 and before["open_tickets"] == 1


def test_the_label_defaults_are_the_designs():
    assert LabelConfig() == LabelConfig(horizon_days=90, renewal_window_days=120, grace_days=14)
    # coverage_spells' own default grace: a 14-day gap merges, a 15-day gap does not.
    rows = subs([("a", "2023-01-01", "2024-01-01"), ("a", "2024-01-15", "2025-01-01")])
    assert len(coverage_spells(rows)) == 1
    rows = subs([("a", "2023-01-01", "2024-01-01"), ("a", "2024-01-16", "2025-01-01")])
    assert len(coverage_spells(rows)) == 2


def test_churn_dates_are_the_end_of_the_holding_spell_for_churned_rows_only():
    subscriptions = subs(
        [
            ("a", "2023-06-01", "2024-02-01"),
            ("a", "2024-02-10", "2024-03-01"),  # 9 days later: the same spell, which ends 03-01
            ("b", "2023-06-01", "2025-06-01"),
            ("c", "2023-06-01", "2024-02-01"),
            ("c", "2024-02-16", "2024-05-01"),  # 15 days later: a new spell, c left on 02-01
        ]
    )
    rows = pd.DataFrame(
        {"account_id": ["a", "b", "c"], "as_of": [AS_OF] * 3, "churned": [1.0, 0.0, 1.0]},
        index=[7, 8, 9],
    )
    dates = churn_dates(subscriptions, rows)
    assert list(dates.index) == [7, 8, 9]
    assert dates[7] == T("2024-03-01") and pd.isna(dates[8]) and dates[9] == T("2024-02-01")
    # With a 15-day grace c's return continues its spell.
    assert churn_dates(subscriptions, rows, grace_days=15)[9] == T("2024-05-01")


def test_labels_frame_columns_and_rows():
    subscriptions = subs([("a", "2023-06-01", "2024-03-31"), ("b", "2023-06-01", "2025-06-01")])
    grid = active_grid(subscriptions, [AS_OF])
    out = labels(subscriptions, grid, LATE, CONFIG)
    assert list(out.columns) == ["account_id", "as_of", "churned", "renewed"]
    assert list(out["account_id"]) == ["a", "b"] and (out["as_of"] == AS_OF).all()
    assert list(out["churned"]) == [1.0, 0.0]


def test_the_grace_gap_of_the_config_decides_the_spells_too():
    # A 17-day gap: a churn with the default 14 days' grace, a renewal with 20.
    rows = [("a", "2023-03-01", "2024-03-01"), ("a", "2024-03-18", "2025-03-18")]
    assert labelled(rows).loc["a", "renewed"] == 0
    wide = labelled(rows, config=LabelConfig(grace_days=20))
    assert wide.loc["a", "renewed"] == 1 and wide.loc["a", "churned"] == 0


def test_an_open_ended_term_continuing_a_finished_one_keeps_the_account():
    rows = [("a", "2023-03-01", "2024-02-01"), ("a", "2024-02-05", None)]
    out = labelled(rows)
    assert out.loc["a", "churned"] == 0 and out.loc["a", "renewed"] == 1
    spells = coverage_spells(subs(rows))
    assert list(spells.columns) == ["account_id", "spell_start", "spell_end"]
    assert list(spells.index) == [0]
    assert spells.loc[0, "spell_end"] == OPEN_END and spells.loc[0, "spell_start"] == T(
        "2023-03-01"
    )


def test_a_returning_account_is_judged_by_the_spell_it_is_in_now():
    # a left in mid-2023 and came back: its current spell runs to 2025, so no churn now.
    rows = [("a", "2022-06-01", "2023-06-01"), ("a", "2023-09-01", "2025-01-01")]
    out = labelled(rows)
    assert out.loc["a", "churned"] == 0
    spells = coverage_spells(subs(rows))
    held = pd.DataFrame({"account_id": ["a", "a"], "as_of": [AS_OF, T("2023-07-01")]}, index=[5, 6])
    ends = holding_spell_end(spells, held)
    assert list(ends.index) == [5, 6]
    assert ends[5] == T("2025-01-01") and pd.isna(ends[6])  # between spells: none holds it
