"""Labels on a hand-made timeline (DESIGN section 2), checked date by date."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from features.contract import Tables
from features.labels import LabelConfig, coverage_spells, labels
from features.loading import EventFiles
from features.timeline import (
    active_grid,
    as_of_grid,
    observation_end,
    observation_start,
    observed_until,
)

T = pd.Timestamp


def subs(rows):
    frame = pd.DataFrame(rows, columns=["account_id", "start_date", "end_date"])
    frame["start_date"] = pd.to_datetime(frame["start_date"])
    frame["end_date"] = pd.to_datetime(frame["end_date"])
    return frame


# A: annual terms, renews once, then leaves on 2025-01-01.
# B: monthly terms with a 10-day gap (within grace) then stops on 2024-06-11.
# C: one open-ended term from 2024-01-01.
# D: term ends 2024-04-01, comes back 2024-05-01 (30 days later: a churn, then a new spell).
TIMELINE = subs(
    [
        ("A", "2023-01-01", "2024-01-01"),
        ("A", "2024-01-01", "2025-01-01"),
        ("B", "2024-01-01", "2024-02-01"),
        ("B", "2024-02-01", "2024-03-01"),
        ("B", "2024-03-11", "2024-04-11"),
        ("B", "2024-04-11", "2024-05-11"),
        ("B", "2024-05-11", "2024-06-11"),
        ("C", "2024-01-01", None),
        ("D", "2024-01-01", "2024-04-01"),
        ("D", "2024-05-01", "2024-08-01"),
    ]
)
CONFIG = LabelConfig(horizon_days=90, renewal_window_days=120, grace_days=14)


def label_at(as_of, data_end="2026-01-01"):
    grid = active_grid(TIMELINE, [T(as_of)])
    out = labels(TIMELINE, grid, T(data_end), CONFIG).set_index("account_id")
    return out


def test_spells_merge_renewals_and_gaps_within_grace():
    spells = coverage_spells(TIMELINE, grace_days=14).set_index("account_id")
    assert spells.loc["A", "spell_end"] == T("2025-01-01")
    assert spells.loc["B", "spell_start"] == T("2024-01-01")
    assert spells.loc["B", "spell_end"] == T("2024-06-11")
    assert len(spells.loc[["D"]]) == 2  # a 30-day gap is longer than the grace


def test_active_accounts_need_a_known_term_reaching_the_date():
    grid = active_grid(TIMELINE, [T("2024-03-05")])
    # B is between terms (gap 2024-03-01..03-11) and its next term is not known yet.
    assert sorted(grid["account_id"]) == ["A", "C", "D"]
    # A term starting on the as-of date is not known at it.
    assert "B" not in set(active_grid(TIMELINE, [T("2024-01-01")])["account_id"])


def test_churn_label_by_hand():
    out = label_at("2024-04-01")
    assert out.loc["A", "churned"] == 0  # ends 2025-01-01, beyond 90 days
    assert out.loc["B", "churned"] == 1  # coverage ends 2024-06-11, within 90 days
    assert out.loc["C", "churned"] == 0  # open-ended
    assert out.loc["D", "churned"] == 1  # ends 2024-04-01 (on the date), back only after grace
    out = label_at("2024-10-15")
    assert out.loc["A", "churned"] == 1  # 2025-01-01 is 78 days later


def test_renewal_label_by_hand():
    out = label_at("2023-10-01")
    assert out.loc["A", "renewed"] == 1  # term ends 2024-01-01, the next term continues it
    out = label_at("2024-04-01")
    assert out.loc["B", "renewed"] == 1  # monthly term ends 04-11, continued on 04-11
    assert np.isnan(out.loc["A", "renewed"])  # term ends 2025-01-01: outside 120 days
    assert np.isnan(out.loc["C", "renewed"])  # no term end at all
    assert out.loc["D", "renewed"] == 0
    out = label_at("2024-06-01")
    assert out.loc["B", "renewed"] == 0  # last term ends 06-11, nothing follows


def test_labels_past_the_data_end_are_censored():
    out = label_at("2024-04-01", data_end="2024-06-01")
    # 2024-04-01 + 90 + 14 days is after the data end: churn unknown.
    assert out["churned"].isna().all()
    # B's term ends 04-11 and 04-11 + 14 < 06-01: renewal is known.
    assert out.loc["B", "renewed"] == 1


@pytest.mark.parametrize("as_of", ["2024-02-15", "2024-04-01", "2024-05-20"])
def test_renewal_and_churn_agree_when_the_term_ends_inside_the_horizon(as_of):
    out = label_at(as_of)
    both = out.dropna()
    ends_soon = both[both["renewed"] == 0]
    assert (ends_soon["churned"] == 1).all()


# --- When the data starts and ends, and the as-of grid ---------------------------------------

ACCOUNTS = pd.DataFrame({"account_id": ["A", "B"]})


def dated(column: str, *times: str, **more) -> pd.DataFrame:
    return pd.DataFrame(
        {"account_id": "A", column: pd.to_datetime(list(times), format="ISO8601"), **more}
    )


def tables(subscriptions=None, **optional) -> Tables:
    if subscriptions is None:
        subscriptions = subs([("A", "2024-01-10", "2025-01-10"), ("B", "2024-03-01", None)])
    return Tables(accounts=ACCOUNTS, subscriptions=subscriptions, **optional)


def event_files(tmp_path, *times: str) -> EventFiles:
    path = tmp_path / "events.parquet"
    dated("timestamp", *times, event_type="login").to_parquet(path)
    return EventFiles(path)


EVENTS = dated("timestamp", "2024-02-01 09:00", "2024-05-31 18:00")
TICKETS = dated("created_at", "2024-06-02 08:00", "2024-04-01")
SURVEYS = dated("responded_at", "2024-05-15", "2024-06-01 12:00")


def test_the_data_ends_at_the_latest_dated_row_of_any_table_not_at_a_future_term_end():
    # Subscriptions start at the latest 2024-03-01 (A's term end 2025-01-10 is a plan, not data).
    assert observation_end(tables()) == T("2024-03-01")
    assert observation_end(tables(events=EVENTS)) == T("2024-05-31 18:00")
    assert observation_end(tables(events=EVENTS, tickets=TICKETS)) == T("2024-06-02 08:00")
    latest_survey = tables(events=EVENTS, tickets=TICKETS.iloc[1:], surveys=SURVEYS)
    assert observation_end(latest_survey) == T("2024-06-01 12:00")
    # An empty table (or one with no dates) says nothing.
    assert observation_end(tables(events=EVENTS, tickets=TICKETS.iloc[:0])) == T("2024-05-31 18:00")


def test_the_data_ends_at_the_latest_event_left_on_disk(tmp_path):
    files = event_files(tmp_path, "2024-02-01", "2024-07-04 10:00", "2024-05-01")
    assert observation_end(tables(events=files, surveys=SURVEYS)) == T("2024-07-04 10:00")
    assert observation_start(tables(events=files)) == T("2024-02-01")


def test_the_data_starts_at_the_first_event_else_the_first_term(tmp_path):
    # Terms start 2024-01-10, usage from 2024-02-01 09:00: as-of dates before it look idle.
    assert observation_start(tables(events=EVENTS)) == T("2024-02-01 09:00")
    assert observation_start(tables()) == T("2024-01-10")
    assert observation_start(tables(events=EVENTS.iloc[:0])) == T("2024-01-10")
    # On disk: the first timestamp (not the last); no rows at all: the first term.
    files = event_files(tmp_path, "2024-03-03", "2024-02-02", "2024-04-04")
    assert observation_start(tables(events=files)) == T("2024-02-02")
    empty = tmp_path / "empty"
    empty.mkdir()
    dated("timestamp", "2024-03-03", event_type="login").iloc[:0].to_parquet(empty / "e.parquet")
    assert observation_start(tables(events=EventFiles(empty))) == T("2024-01-10")


def test_observed_until_is_the_latest_recorded_start_or_end_on_or_before_the_data_end():
    # Starts up to 2024-03-01, events to 2024-05-31 18:00: renewals stop being recorded in March.
    assert observed_until(tables(events=EVENTS)) == T("2024-03-01")
    # A start exactly at the data's end counts (the subscriptions are the latest table here).
    assert observed_until(tables()) == T("2024-03-01")
    # Ends recorded when they happen count too, up to the data's end (not the later one).
    recorded = subs([("A", "2024-01-10", "2024-04-10"), ("B", "2024-03-01", "2024-09-01")])
    recorded["end_known_at"] = pd.to_datetime(["2024-04-10", "2024-09-01"])
    assert observed_until(tables(recorded, events=EVENTS)) == T("2024-04-10")
    # No subscription rows: nothing recorded, the data's end.
    none = subs([])
    assert observed_until(tables(none, events=EVENTS)) == T("2024-05-31 18:00")


def test_a_configured_observed_until_is_kept_unless_after_the_data_end():
    early = dataclasses.replace(tables(events=EVENTS), observed_until=T("2024-02-15"))
    assert observed_until(early) == T("2024-02-15")
    late = dataclasses.replace(tables(events=EVENTS), observed_until=T("2024-12-31"))
    assert observed_until(late) == T("2024-05-31 18:00")


def test_the_as_of_grid_runs_every_30_days_from_midnight_to_midnight_both_ends_included():
    grid = as_of_grid(T("2024-01-01 10:30"), T("2024-03-31 23:00"))
    assert grid == [T("2024-01-01"), T("2024-01-31"), T("2024-03-01"), T("2024-03-31")]
    assert as_of_grid(T("2024-01-01"), T("2024-03-30")) == grid[:3]
    assert as_of_grid(T("2024-01-01"), T("2024-01-20"), every_days=7) == [
        T("2024-01-01"),
        T("2024-01-08"),
        T("2024-01-15"),
    ]


def test_the_active_grid_is_one_frame_numbered_from_0_and_has_its_columns_when_empty():
    grid = active_grid(TIMELINE, [T("2024-03-05"), T("2024-06-01")])
    assert list(grid.index) == list(range(len(grid)))
    assert list(grid.columns) == ["account_id", "as_of", "term_start", "term_end"]
    assert grid.groupby("as_of").size().to_dict() == {T("2024-03-05"): 3, T("2024-06-01"): 4}
    empty = active_grid(TIMELINE, [])
    assert empty.empty and list(empty.columns) == ["account_id", "as_of", "term_start", "term_end"]
