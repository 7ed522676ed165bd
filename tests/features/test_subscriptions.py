"""Subscription readings by hand: billing periods, when ends are known, concurrent rows."""

from __future__ import annotations

import pandas as pd

from features.pointintime import visible_subscriptions
from features.subscriptions import contract_mrr, one_row_per_life, renewing_periods
from features.timeline import active_terms

T = pd.Timestamp


def _subs(rows, columns=("account_id", "start_date", "end_date", "mrr")):
    frame = pd.DataFrame(rows, columns=list(columns))
    for column in ("start_date", "end_date", "canceled_at"):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column])
    return frame


def test_a_running_monthly_subscription_renews_every_month_to_the_data_end():
    subs = _subs([("A", "2024-01-31", None, 10.0)]).assign(interval="month")
    periods = renewing_periods(subs, T("2024-04-15"))
    # month ends clip to the month's last day, always counted from the start (Jan 31)
    assert list(periods["start_date"]) == [T("2024-01-31"), T("2024-02-29"), T("2024-03-31")]
    assert list(periods["end_date"]) == [T("2024-02-29"), T("2024-03-31"), T("2024-04-30")]
    assert list(periods["end_known_at"]) == list(periods["start_date"])


def test_an_ended_subscription_shows_its_end_only_once_canceled():
    subs = _subs(
        [("A", "2024-01-10", "2024-03-20", 10.0, "2024-03-01")],
        ("account_id", "start_date", "end_date", "mrr", "canceled_at"),
    ).assign(interval="month")
    periods = renewing_periods(subs, T("2024-06-30"))
    assert list(periods["start_date"]) == [T("2024-01-10"), T("2024-02-10"), T("2024-03-10")]
    last = periods.iloc[-1]
    assert last["end_date"] == T("2024-03-20") and last["nominal_end"] == T("2024-04-10")
    assert last["end_known_at"] == T("2024-03-01")
    # before the cancellation the period runs to its planned end; after it, to the real end
    before = active_terms(visible_subscriptions(periods, T("2024-02-25")), T("2024-02-25"))
    assert before["term_end"].tolist() == [T("2024-03-10")]
    seen = visible_subscriptions(periods, T("2024-03-15"))
    assert seen["end_date"].iloc[-1] == T("2024-03-20")
    unseen = visible_subscriptions(periods.drop(columns="canceled_at"), T("2024-03-15"))
    assert active_terms(unseen, T("2024-03-15"))["term_end"].tolist() == [T("2024-03-20")]


def test_without_a_cancellation_the_end_is_known_when_it_happens():
    subs = _subs([("A", "2024-01-10", "2024-03-20", 10.0)]).assign(interval="month")
    periods = renewing_periods(subs, T("2024-06-30"))
    at = T("2024-03-15")
    assert active_terms(visible_subscriptions(periods, at), at)["term_end"].tolist() == [
        T("2024-04-10")
    ]


def test_one_row_per_life_is_recognised_and_renewing_terms_are_not():
    lives = _subs(
        [(f"A{i}", "2024-01-01", "2024-06-01" if i % 3 == 0 else None, 10.0) for i in range(25)]
    )
    assert "25 accounts have one row each" in one_row_per_life(lives)
    terms = _subs(
        [(f"A{i}", "2024-01-01", "2024-02-01", 10.0) for i in range(25)]
        + [(f"A{i}", "2024-02-01", "2024-03-01", 10.0) for i in range(25)]
    )
    assert one_row_per_life(terms) is None
    assert one_row_per_life(lives.head(10)) is None  # too few accounts to tell


def test_concurrent_rows_are_one_contract():
    # a base plan renewed each quarter, an add-on bought in the second term and dropped
    subs = _subs(
        [
            ("A", "2024-01-01", "2024-04-01", 100.0),
            ("A", "2024-04-01", "2024-07-01", 100.0),
            ("A", "2024-04-15", "2024-06-01", 30.0),  # add-on
            ("A", "2024-07-01", "2024-10-01", 120.0),
        ]
    )
    accounts = pd.Index(["A"])
    cases = {
        # as-of: (mrr, mrr before the latest change, term end)
        "2024-03-01": (100.0, float("nan"), "2024-04-01"),
        "2024-04-10": (100.0, 100.0, "2024-07-01"),  # renewed at the same price
        "2024-05-01": (130.0, 100.0, "2024-07-01"),  # add-on bought; term is the main row's
        "2024-06-10": (100.0, 130.0, "2024-07-01"),  # add-on dropped
        "2024-08-01": (120.0, 100.0, "2024-10-01"),  # price rise at renewal
    }
    for day, (mrr, before, term_end) in cases.items():
        current, previous = contract_mrr(subs, T(day), accounts)
        assert current["A"] == mrr, day
        assert (pd.isna(before) and pd.isna(previous["A"])) or previous["A"] == before, day
        assert active_terms(subs, T(day))["term_end"].tolist() == [T(term_end)], day


def test_the_main_row_is_the_largest_mrr():
    subs = _subs(
        [
            ("A", "2024-01-01", "2025-01-01", 500.0),  # annual base
            ("A", "2024-03-01", "2024-04-01", 20.0),  # monthly add-on, ends sooner
        ]
    )
    terms = active_terms(subs, T("2024-03-15"))
    assert terms["term_end"].tolist() == [T("2025-01-01")]
    assert terms["term_start"].tolist() == [T("2024-01-01")]
