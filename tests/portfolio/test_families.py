"""Voice of the customer, engagement, support, cohorts and health bands on hand-made tables.

Expected values are worked out by hand (interval bounds with a calculator from the formulas in
each module's docstring).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.contract import Tables
from portfolio.bands import ScoresError, band_outcomes, check_scores
from portfolio.cohorts import account_months, cohort_table, first_spells
from portfolio.engagement import adoption_table, usage_by_account, usage_table
from portfolio.periods import boundaries, periods_frame, reporting_boundaries
from portfolio.revenue import customer_periods, revenue_timeline
from portfolio.segments import with_segments
from portfolio.support import support_table, ticket_rows
from portfolio.voice import response_rates, responses, voice_table

EMPTY = pd.Series(dtype=object)
Q1 = pd.date_range("2025-01-01", "2025-04-01", freq="MS")  # January, February, March
T = pd.Timestamp


def tables(subs, **others) -> Tables:
    accounts = pd.DataFrame({"account_id": sorted(subs["account_id"].unique())})
    return Tables(accounts=accounts, subscriptions=subs, **others)


def surveys(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["account_id", "responded_at", "score", "kind"])
    frame["responded_at"] = pd.to_datetime(frame["responded_at"])
    frame["score"] = frame["score"].astype(float)
    return frame


@pytest.fixture
def three(subscriptions):
    return subscriptions(
        [
            ("A", "2024-06-01", None, 100),
            ("B", "2024-06-01", None, 50),
            ("C", "2025-03-01", None, 10),
        ]
    )


def test_nps_csat_ces_with_intervals_and_a_period_without_responses(three):
    nps = [10, 9, 9, 8, 7, 6, 3, 0, 10, 5]  # 4 promoters, 2 passives, 4 detractors
    rows = [("A", f"2025-01-{i + 2:02d}", s, "nps") for i, s in enumerate(nps)]
    rows += [("A", "2025-01-20", 11, "NPS")]  # off the scale: not counted
    rows += [("B", "2025-03-03", s, "csat") for s in (5, 4, 3, 1)]
    rows += [("B", "2025-03-04", s, "ces") for s in (7, 5, 6)]
    tickets = pd.DataFrame(
        {
            "account_id": ["A", "A", "B"],
            "created_at": pd.to_datetime(["2025-02-27", "2025-03-02", "2025-03-05"]),
            "resolved_at": pd.to_datetime(["2025-03-01", "2025-03-03", None]),
            "csat": [5.0, np.nan, 2.0],  # dated by resolution: both in March
        }
    )
    t = tables(three, surveys=surveys(rows), tickets=tickets)
    answers = with_segments(responses(t, Q1), EMPTY)
    got = voice_table(answers, periods_frame(Q1), ["all"], min_responses=5)
    got = got.set_index([got["period"].dt.month, "metric"])
    jan = got.loc[(1, "nps")]
    assert (jan["responses"], jan["value"]) == (10, 0.0)
    assert jan["low"] == pytest.approx(-38.9983, abs=1e-3)  # 1.645 * sqrt((9.5/13) / 13)
    assert jan["high"] == pytest.approx(38.9983, abs=1e-3)
    assert not jan["low_responses"]
    feb = got.loc[(2, "nps")]  # nobody answered in February: no figure, never a zero
    assert feb["responses"] == 0 and np.isnan(feb["value"]) and np.isnan(feb["low"])
    assert feb["low_responses"]
    survey = got.loc[(3, "csat_survey")]
    assert survey["value"] == 50.0  # 5 and 4 of 5, 4, 3, 1
    assert survey["low"] == pytest.approx(18.2400, abs=1e-3)  # Wilson, k=2, n=4
    assert survey["high"] == pytest.approx(81.7600, abs=1e-3)
    assert got.loc[(3, "csat_ticket"), "value"] == 50.0  # 5 and 2 (the unanswered one skipped)
    assert got.loc[(3, "csat"), "responses"] == 6
    assert got.loc[(3, "csat"), "value"] == 50.0
    ces = got.loc[(3, "ces")]
    assert ces["value"] == 6.0 and ces["low_responses"]
    assert ces["high"] - ces["value"] == pytest.approx(0.94966, abs=1e-4)  # 1.645 * 1 / sqrt(3)

    timeline = revenue_timeline(t.subscriptions, 14)
    customers = with_segments(customer_periods(timeline, Q1), EMPTY)
    counts = customers.groupby(["segment", "period"]).size().rename("customers").reset_index()
    rates = response_rates(answers, counts, periods_frame(Q1), ["all"])
    rates = rates.set_index([rates["period"].dt.month, "kind"])
    assert rates.loc[(1, "nps"), "response_rate"] == 1 / 2  # A of A and B
    assert rates.loc[(3, "csat"), "response_rate"] == 1 / 3  # B of A, B and C
    assert rates.loc[(2, "nps"), "responding_accounts"] == 0


def test_usage_frequency_and_feature_adoption_count_customers_only(three):
    events = pd.DataFrame(
        {
            "account_id": ["A", "A", "A", "A", "C", "C"],
            "timestamp": pd.to_datetime(
                [
                    "2025-01-02 09:00",
                    "2025-01-02 10:00",
                    "2025-01-05 08:00",
                    "2025-02-01 08:00",
                    "2025-01-03 08:00",
                    "2025-03-02 08:00",
                ]
            ),  # fmt: skip
            "event_type": ["x", "y", "x", "x", "x", "y"],
            "value": [1.0, 2.0, 4.0, 1.0, 9.0, 1.0],
        }
    )
    t = tables(three, events=events)
    usage, adoption = usage_by_account(t.events, Q1)
    timeline = revenue_timeline(t.subscriptions, 14)
    customers = with_segments(customer_periods(timeline, Q1), EMPTY)
    got = usage_table(usage, customers).set_index(usage_table(usage, customers)["period"].dt.month)
    # January: customers A (7 events on 2 days) and B (none); C is not a customer yet
    assert got.loc[1, "customers"] == 2
    assert got.loc[1, "events_median"] == 3.5 and got.loc[1, "active_days_median"] == 1.0
    assert got.loc[1, "active_share"] == 0.5
    assert got.loc[3, "customers"] == 3 and got.loc[3, "events_mean"] == pytest.approx(1 / 3)
    rates = adoption_table(adoption, customers)
    rates = rates.set_index([rates["period"].dt.month, "feature"])["adoption_rate"]
    assert rates[(1, "x")] == 0.5 and rates[(1, "y")] == 0.5
    assert rates[(3, "y")] == pytest.approx(1 / 3)
    assert (1, "z") not in rates


def test_ticket_volume_backlog_times_and_escalation(three):
    tickets = pd.DataFrame(
        {
            "account_id": ["A", "A", "B", "B"],
            "created_at": pd.to_datetime(
                ["2025-01-10 08:00", "2025-01-20 08:00", "2025-01-30 08:00", "2025-02-10 08:00"]
            ),
            "first_response_at": pd.to_datetime(
                ["2025-01-10 10:00", "2025-01-20 12:00", None, "2025-02-10 09:00"]
            ),
            "resolved_at": pd.to_datetime(
                ["2025-01-11 08:00", "2025-02-02 08:00", None, "2025-02-10 20:00"]
            ),
            "escalated": ["yes", "no", "true", None],
        }
    )
    t = tables(three, tickets=tickets)
    timeline = revenue_timeline(t.subscriptions, 14)
    customers = with_segments(customer_periods(timeline, Q1), EMPTY)
    counts = customers.groupby(["segment", "period"]).size().rename("customers").reset_index()
    got = support_table(with_segments(ticket_rows(tickets), EMPTY), counts, periods_frame(Q1))
    got = got.set_index(got["period"].dt.month)
    assert got["tickets"].tolist() == [3, 1, 0]
    assert got["backlog"].tolist() == [2, 1, 1]  # open at 1 Feb: 2nd and 3rd; then the 3rd
    assert got.loc[1, "tickets_per_100_customers"] == 150.0
    assert got.loc[1, "resolution_hours_median"] == 24.0  # only the first was resolved in Jan
    assert got.loc[2, "resolution_hours_median"] == (312 + 12) / 2  # 13 days and 12 hours
    assert got.loc[1, "first_response_hours_median"] == 3.0  # 2 h and 4 h
    assert got.loc[1, "escalation_rate"] == pytest.approx(2 / 3)
    assert got.loc[2, "escalation_rate"] == 0.0


def test_kaplan_meier_retention_with_censoring_and_cohort_nrr(subscriptions):
    subs = subscriptions(
        [
            ("P", "2025-01-01", "2025-04-01", 100),  # churns: not a customer at month 3
            ("Q", "2025-01-10", None, 50),  # still running: censored after month 4
            ("R", "2025-01-20", "2025-03-20", 30),  # churns at month 2
            ("S", "2025-01-05", "2025-05-20", 20),  # ends inside the grace gap: censored
            ("X", "2024-12-15", None, 999),  # another cohort
        ]
    )
    timeline = revenue_timeline(subs, 14)
    spells = first_spells(timeline, T("2025-01-01"), T("2025-02-01"))
    months = account_months(timeline, spells, T("2025-06-01"), 14)
    got = cohort_table(months, EMPTY).set_index("months")
    assert set(got["cohort"]) == {"2025-01", "all"}
    got = got[got["cohort"] == "2025-01"]
    assert got["at_risk"].tolist() == [4, 4, 4, 3, 2]
    assert got["churned"].tolist() == [0, 0, 1, 1, 0]
    assert got["censored"].tolist() == [0, 0, 0, 0, 2]
    np.testing.assert_allclose(got["retention"], [1, 1, 3 / 4, 3 / 4 * 2 / 3, 1 / 2])
    # NRR on the 200 the cohort started with; month 4 is not settled for R (20 May + 14 days)
    np.testing.assert_allclose(got["nrr"].iloc[:4], [1, 1, 170 / 200, 70 / 200])
    assert np.isnan(got.loc[4, "nrr"])


def test_health_bands_realised_churn_grr_nrr(small_book, half_year):
    scores = check_scores(
        pd.DataFrame(
            {
                "account_id": ["A", "B", "F", "E", "G", "D"],  # D is not a customer then
                "as_of": ["2025-02-01"] * 6,
                "band": ["red", "green", "green", "yellow", "yellow", "red"],
            }
        ),
        "test",
    )
    got = band_outcomes(revenue_timeline(small_book, 14), scores, half_year)
    got = got.set_index(["band", got["period_end"].dt.month])
    assert got.loc[("yellow", 3), "churn_rate"] == 0.0  # E's last term runs to 1 March
    assert got.loc[("yellow", 4), ["churn_rate", "grr", "nrr"]].tolist() == [1.0, 0.0, 0.0]
    assert got.loc[("green", 4), "nrr"] == pytest.approx(340 / 300)
    assert got.loc[("green", 4), "grr"] == 1.0
    assert got.loc[("red", 5), "nrr"] == pytest.approx(1.2)
    assert got.loc[("red", 5), "accounts"] == 1
    assert got.loc[("red", 6), "churn_rate"] == 1.0
    assert got.loc[("all", 4), "accounts"] == 5
    with pytest.raises(ScoresError, match="band"):
        check_scores(pd.DataFrame({"account_id": ["A"], "as_of": ["2025-01-01"]}), "x")


def test_reported_periods_stop_where_the_grace_gap_leaves_the_data(small_book):
    # the latest dated row is D's return on 10 April; March's churn would be settled only on
    # 15 April (1 April + 14 days), so January and February are reported
    events = pd.DataFrame(
        {
            "account_id": ["A"],
            "timestamp": [T("2025-01-03")],
            "event_type": ["x"],
            "value": [1.0],
        }
    )
    got = reporting_boundaries(tables(small_book, events=events), "month", 14)
    assert got[0] == T("2025-01-01") and got[-1] == T("2025-03-01")
    assert list(boundaries(T("2025-02-10"), T("2025-08-01"), "quarter")) == [
        T("2025-01-01"), T("2025-04-01"), T("2025-07-01")
    ]  # fmt: skip
