"""The stay label (``stayed``: does the account stay at its next decision point?) on hand-made
timelines, worked out by hand.

Defaults: horizon 90 days, grace 14 days. A term row covers ``[start_date, end_date)``:
``end_date`` is the first day without it, so a renewal that starts on it continues the coverage.
The decision point of a term contract is its current term's end however far away; of an
open-ended subscription, ``as_of + 90 days``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.labels import LabelConfig, decision_points, label_known_from, stay_labels
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


def stayed(rows, as_of=AS_OF, data_end=LATE) -> pd.Series:
    subscriptions = subs(rows)
    grid = active_grid(subscriptions, [as_of])
    return stay_labels(subscriptions, grid, data_end, CONFIG).set_index("account_id")["stayed"]


def test_monthly_terms_decide_at_the_end_of_this_month():
    # Month terms renewed on their end dates until a last one ending 2024-03-01.
    out = stayed(
        [
            ("renews", "2023-12-15", "2024-01-15"),
            ("renews", "2024-01-15", "2024-02-15"),
            ("leaves", "2023-12-15", "2024-01-15"),
            # renews once more (past 2024-01-15), then leaves on 2024-02-15
            ("leaves_next", "2023-12-15", "2024-01-15"),
            ("leaves_next", "2024-01-15", "2024-02-15"),
        ]
    )
    assert out["renews"] == 1
    assert out["leaves"] == 0
    # the decision point is this term's end (2024-01-15): it stayed past it, whatever comes next
    assert out["leaves_next"] == 1


def test_an_annual_term_decides_at_its_end_however_far_away():
    # Terms end 2024-11-01, ten months after the as-of date: outside any 90-day horizon.
    out = stayed(
        [
            ("renews", "2023-11-01", "2024-11-01"),
            ("renews", "2024-11-01", "2025-11-01"),
            ("leaves", "2023-11-01", "2024-11-01"),
        ]
    )
    assert out["renews"] == 1 and out["leaves"] == 0


def test_an_open_ended_subscription_decides_at_the_horizon():
    # A billing export's rows: no planned end, the end recorded when it happens (end_known_at).
    # As of 2024-01-01 all three read as running; as_of + 90 days = 2024-03-31.
    subscriptions = subs(
        [
            ("running", "2023-06-01", None),
            ("ends_on_day_90", "2023-06-01", "2024-03-31"),
            ("ends_on_day_91", "2023-06-01", "2024-04-01"),
        ]
    ).assign(nominal_end=pd.NaT)
    subscriptions["end_known_at"] = subscriptions["end_date"]
    grid = active_grid(subscriptions, [AS_OF])
    assert grid["term_end"].isna().all()  # open-ended at the as-of date
    out = stay_labels(subscriptions, grid, LATE, CONFIG).set_index("account_id")["stayed"]
    assert out["running"] == 1
    assert out["ends_on_day_90"] == 0  # not a customer at as_of + 90 days
    assert out["ends_on_day_91"] == 1


def test_a_term_renewed_late_within_the_grace_gap_stays():
    # The term ends 2024-06-01; a renewal 14 days later (2024-06-15) is within the grace gap,
    # one 15 days later is not.
    out = stayed(
        [
            ("on_grace", "2023-06-01", "2024-06-01"),
            ("on_grace", "2024-06-15", "2025-06-15"),
            ("too_late", "2023-06-01", "2024-06-01"),
            ("too_late", "2024-06-16", "2025-06-16"),
        ]
    )
    assert out["on_grace"] == 1 and out["too_late"] == 0


def test_a_term_ending_after_the_data_is_censored_never_guessed():
    rows = [("a", "2023-11-01", "2024-11-01"), ("b", "2023-06-01", None)]
    # the outcome of a is known from 2024-11-15 (term end + grace); of b from 2024-04-14
    # (as_of + 90 + 14)
    assert np.isnan(stayed(rows, data_end=T("2024-11-14"))["a"])
    assert stayed(rows, data_end=T("2024-11-15"))["a"] == 0
    assert np.isnan(stayed(rows, data_end=T("2024-04-13"))["b"])
    assert stayed(rows, data_end=T("2024-04-14"))["b"] == 1


def test_decision_points_and_when_each_label_is_known():
    grid = pd.DataFrame(
        {
            "account_id": ["annual", "open"],
            "as_of": [AS_OF, AS_OF],
            "term_end": [T("2024-11-01"), pd.NaT],
        }
    )
    assert list(decision_points(grid, CONFIG)) == [T("2024-11-01"), T("2024-03-31")]
    frame = grid.assign(days_to_term_end=[305.0, np.nan])
    known = label_known_from(frame, "stayed", CONFIG)
    assert list(known) == [T("2024-11-15"), T("2024-04-14")]
    assert list(label_known_from(frame, "churned", CONFIG)) == [T("2024-04-14")] * 2
    assert list(label_known_from(frame, "renewed", CONFIG)) == [T("2024-05-14")] * 2
    with pytest.raises(ValueError, match="no label window"):
        label_known_from(frame, "upsold", CONFIG)


def test_stay_labels_read_the_configs_own_horizon_and_grace():
    # horizon 30, grace 3: the open-ended row decides at 2024-01-31, and a renewal 5 days late is
    # a new spell (under the defaults, 90 and 14, both would read the other way).
    config = LabelConfig(horizon_days=30, renewal_window_days=120, grace_days=3)
    subscriptions = subs(
        [
            ("open", "2023-06-01", "2024-02-10"),
            ("late", "2023-06-01", "2024-06-01"),
            ("late", "2024-06-06", "2025-06-06"),
        ]
    )
    grid = pd.DataFrame(
        {"account_id": ["open", "late"], "as_of": [AS_OF] * 2, "term_end": [pd.NaT, "2024-06-01"]},
        index=[10, 20],
    ).astype({"term_end": "datetime64[ns]"})
    # data end on the grace edge of the later decision point: 2024-06-01 + 3 days, known
    out = stay_labels(subscriptions, grid, T("2024-06-04"), config)
    assert list(out.columns) == ["account_id", "as_of", "stayed"]
    assert list(out["account_id"]) == ["open", "late"]
    assert list(out["as_of"]) == [AS_OF, AS_OF]
    assert list(out["stayed"]) == [1.0, 0.0]


@pytest.mark.filterwarnings("error")
def test_without_days_to_term_end_every_stay_label_is_known_at_the_horizon():
    # no days_to_term_end column at all: each row open-ended, known at as_of + 90 + 14 days
    frame = pd.DataFrame({"as_of": [AS_OF, T("2024-02-01"), T("2024-03-01")]}, index=[4, 8, 9])
    known = label_known_from(frame, "stayed", CONFIG)
    assert list(known.index) == [4, 8, 9]
    assert list(known) == [T("2024-04-14"), T("2024-05-15"), T("2024-06-13")]
