"""The point-in-time cut by hand: which rows and facts ``features.pointintime`` lets through.

Tiny tables with rows on each side of the as-of instant and exactly at it; the expected rows and
values are written out. (The properties on random tables are in test_point_in_time.py.)
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from features.contract import Tables
from features.pointintime import (
    prepare_tables,
    rows_before,
    rows_between,
    visible_subscriptions,
    visible_tables,
)

T = pd.Timestamp
AS_OF = T("2024-06-01")
NAT = pd.NaT


def times(*values) -> pd.DatetimeIndex:
    return pd.to_datetime(list(values), format="ISO8601")


def renewing() -> pd.DataFrame:
    """Terms of a billing export whose ends are recorded when they happen (``end_known_at``)."""
    return pd.DataFrame(
        {
            "account_id": ["A", "B", "C", "D", "E"],
            "start_date": times("2024-01-01", "2024-02-01", "2024-05-31 23:59", "2024-06-01", None),
            "end_date": times("2024-05-01", "2024-07-01", "2024-06-15", "2024-07-01", None),
            "nominal_end": times("2025-01-01", "2025-02-01", "2024-06-30", "2025-06-01", None),
            "end_known_at": times("2024-05-01", "2024-06-01", "2024-05-31 23:59", None, None),
            "canceled_at": times("2024-04-20", "2024-06-01", "2024-05-31 23:59", None, None),
        }
    )


def test_visible_subscriptions_started_before_with_the_ends_known_then():
    subs = renewing()
    seen = visible_subscriptions(subs, AS_OF)
    # D starts exactly at the as-of date: not known yet (nor E, with no start at all).
    assert seen["account_id"].tolist() == ["A", "B", "C"]
    # A's end was recorded before: shown. B's is recorded exactly at the as-of instant: not yet,
    # so its planned end shows. C's was recorded a minute before: shown.
    assert seen["end_date"].tolist() == [T("2024-05-01"), T("2025-02-01"), T("2024-06-15")]
    assert seen["end_known_at"].tolist()[0] == T("2024-05-01") and pd.isna(
        seen["end_known_at"].iloc[1]
    )
    assert seen["end_known_at"].iloc[2] == T("2024-05-31 23:59")
    # Cancellations: A's (before) and C's (a minute before) stay; B's, at the instant, is blanked.
    assert seen["canceled_at"].tolist()[0] == T("2024-04-20") and pd.isna(
        seen["canceled_at"].iloc[1]
    )
    assert seen["canceled_at"].iloc[2] == T("2024-05-31 23:59")
    # The caller's frame is left as it was.
    pd.testing.assert_frame_equal(subs, renewing())


def test_visible_subscriptions_without_recorded_ends_pass_unchanged():
    subs = renewing().drop(columns=["end_known_at", "nominal_end", "canceled_at"])
    seen = visible_subscriptions(subs, AS_OF)
    pd.testing.assert_frame_equal(seen, subs.iloc[:3])
    # A recorded end without a cancellation column: the ends are cut, nothing else is needed.
    no_cancel = renewing().drop(columns="canceled_at")
    seen = visible_subscriptions(no_cancel, AS_OF)
    assert seen["end_date"].tolist() == [T("2024-05-01"), T("2025-02-01"), T("2024-06-15")]
    assert "canceled_at" not in seen


def test_rows_before_and_between_cut_on_the_instant():
    frame = pd.DataFrame(
        {"at": times("2024-05-01", "2024-05-31 23:59:59", "2024-06-01", "2024-06-02")}
    )
    assert rows_before(frame, "at", AS_OF).index.tolist() == [0, 1]
    assert rows_before(frame, "at", T("2024-06-01 00:00:01")).index.tolist() == [0, 1, 2]
    # start <= time < stop: the row at the start is in, the row at the stop is out.
    assert rows_between(frame, "at", T("2024-05-31 23:59:59"), T("2024-06-02")).index.tolist() == [
        1,
        2,
    ]
    assert rows_between(frame, "at", T("2024-05-01"), AS_OF).index.tolist() == [0, 1]


def ticket_tables() -> Tables:
    tickets = pd.DataFrame(
        {
            "account_id": ["A", "A", "B", "B"],
            "ticket_id": ["t1", "t2", "t3", "t4"],
            "created_at": times("2024-05-01", "2024-05-20", "2024-05-30", "2024-06-01"),
            # t1 resolved before; t2 exactly at the as-of instant (not yet); t3 later; t4 is new.
            "resolved_at": times("2024-05-02", "2024-06-01", "2024-06-03", "2024-06-02"),
            "first_response_at": times("2024-05-01 01:00", "2024-05-31 23:00", "2024-06-01", None),
            "csat": [5.0, 2.0, 4.0, 1.0],
            "status": ["resolved", "resolved", "resolved", "resolved"],
        }
    )
    surveys = pd.DataFrame(
        {
            "account_id": ["A", "B", "B"],
            "responded_at": times("2024-05-10", "2024-05-31 23:59:59", "2024-06-01"),
            "score": [9.0, 3.0, 0.0],
        }
    )
    subs = renewing().drop(columns=["end_known_at", "nominal_end", "canceled_at"])
    accounts = pd.DataFrame({"account_id": ["A", "B", "C", "D", "E"]})
    return Tables(
        accounts=accounts, subscriptions=subs, events=None, tickets=tickets, surveys=surveys
    )


def test_visible_tables_blank_what_was_recorded_later():
    tables = ticket_tables()
    seen = visible_tables(tables, AS_OF)
    tickets = seen.tickets
    assert tickets["ticket_id"].tolist() == ["t1", "t2", "t3"]  # t4 is created at the instant
    assert tickets["resolved_at"].tolist()[0] == T("2024-05-02")
    assert tickets["resolved_at"].iloc[1:].isna().all()  # at the instant, and after it
    assert (
        tickets["first_response_at"].iloc[:2].tolist()
        == times("2024-05-01 01:00", "2024-05-31 23:00").tolist()
    )
    assert pd.isna(tickets["first_response_at"].iloc[2])  # answered at the instant
    # Unresolved then: no CSAT, status open.
    assert tickets["csat"].iloc[0] == 5.0 and tickets["csat"].iloc[1:].isna().all()
    assert tickets["status"].tolist() == ["resolved", "open", "open"]
    assert seen.surveys["score"].tolist() == [9.0, 3.0]  # the survey at the instant is cut
    assert seen.subscriptions["account_id"].tolist() == ["A", "B", "C"]
    assert seen.events is None and seen.accounts is tables.accounts
    # The caller's tables are left as they were.
    pd.testing.assert_frame_equal(tables.tickets, ticket_tables().tickets)


def test_visible_tables_without_resolution_times_drop_the_status():
    tables = ticket_tables()
    bare = tables.tickets.drop(columns=["resolved_at", "first_response_at"])
    seen = visible_tables(dataclasses.replace(tables, tickets=bare, surveys=None), AS_OF)
    # A status is a fact of today; without resolution times it cannot be cut, so it goes.
    assert list(seen.tickets.columns) == ["account_id", "ticket_id", "created_at", "csat"]
    assert seen.tickets["csat"].tolist() == [5.0, 2.0, 4.0]
    assert seen.surveys is None
    no_tickets = visible_tables(dataclasses.replace(tables, tickets=None), AS_OF)
    assert no_tickets.tickets is None and len(no_tickets.surveys) == 2
    # resolved_at without a status: the times are cut, no status is made up.
    plain = tables.tickets.drop(columns=["status", "csat"])
    seen = visible_tables(dataclasses.replace(tables, tickets=plain), AS_OF)
    assert "status" not in seen.tickets and seen.tickets["resolved_at"].notna().sum() == 1


def test_prepare_tables_sorts_by_time_keeping_ties_in_order_and_scores_the_text():
    tables = ticket_tables()
    tickets = pd.DataFrame(
        {
            "account_id": ["A", "B", "C", "D"],
            "created_at": times("2024-05-03", "2024-05-01", "2024-05-03", "2024-05-02"),
            "subject": ["not", "Thanks, fixed", None, ""],
            "text": ["good", None, "still broken", None],
        },
        index=[10, 11, 12, 13],
    )
    surveys = pd.DataFrame(
        {
            "account_id": ["A", "B", "C"],
            "responded_at": times("2024-05-09", "2024-05-08", "2024-05-09"),
            "score": [1.0, 2.0, 3.0],
            "comment": ["love it", None, "terrible support"],
        }
    )
    subs = tables.subscriptions.iloc[::-1]
    prepared = prepare_tables(
        Tables(accounts=tables.accounts, subscriptions=subs, tickets=tickets, surveys=surveys)
    )
    t = prepared.tickets
    # By creation time, the two tickets of 2024-05-03 in their given order (A before C).
    assert t["account_id"].tolist() == ["B", "D", "A", "C"] and t.index.tolist() == [0, 1, 2, 3]
    # Subject and text are read as one: "not good" is negative, "Thanks, fixed" positive,
    # "still broken" negative, and a ticket with no words at all has no sentiment (NaN).
    s = t["sentiment"]
    assert s.iloc[0] > 0 and np.isnan(s.iloc[1]) and s.iloc[2] < 0 and s.iloc[3] < 0
    v = prepared.surveys
    assert v["score"].tolist() == [2.0, 1.0, 3.0] and v.index.tolist() == [0, 1, 2]
    assert (
        np.isnan(v["sentiment"].iloc[0])
        and v["sentiment"].iloc[1] > 0
        and v["sentiment"].iloc[2] < 0
    )
    assert prepared.subscriptions["account_id"].tolist() == ["A", "B", "C", "D", "E"]
    assert prepared.subscriptions.index.tolist() == [0, 1, 2, 3, 4]


def test_prepare_tables_reads_whichever_text_columns_there_are():
    base = ticket_tables()
    only_text = pd.DataFrame(
        {
            "account_id": ["A", "B"],
            "created_at": times("2024-05-01", "2024-05-02"),
            "text": ["awful", " "],
        }
    )
    prepared = prepare_tables(dataclasses.replace(base, tickets=only_text, surveys=None))
    assert prepared.tickets["sentiment"].iloc[0] < 0 and np.isnan(
        prepared.tickets["sentiment"].iloc[1]
    )
    assert prepared.surveys is None
    no_text = only_text.drop(columns="text")
    prepared = prepare_tables(dataclasses.replace(base, tickets=no_text))
    assert "sentiment" not in prepared.tickets and "sentiment" not in prepared.surveys
    assert prepare_tables(dataclasses.replace(base, tickets=None)).tickets is None


def test_prepare_tables_keeps_rows_of_the_same_moment_in_their_order():
    # 60 rows on two moments: a quicksort would shuffle each moment's rows, a stable sort keeps
    # them in the order given (and the windows then see them in the same order every time).
    moments = times("2024-05-03", "2024-05-01")
    at = list(moments) * 30
    n = len(at)
    tickets = pd.DataFrame({"account_id": [f"A{i:02d}" for i in range(n)], "created_at": at})
    surveys = pd.DataFrame(
        {
            "account_id": tickets["account_id"],
            "responded_at": at,
            "score": np.arange(n, dtype=float),
        }
    )
    subs = pd.DataFrame({"account_id": tickets["account_id"], "start_date": at, "end_date": pd.NaT})
    tables = Tables(
        accounts=pd.DataFrame({"account_id": tickets["account_id"]}),
        subscriptions=subs,
        tickets=tickets,
        surveys=surveys,
    )
    prepared = prepare_tables(tables)
    odd_then_even = [f"A{i:02d}" for i in range(1, n, 2)] + [f"A{i:02d}" for i in range(0, n, 2)]
    for frame in (prepared.tickets, prepared.surveys, prepared.subscriptions):
        assert frame["account_id"].tolist() == odd_then_even
        assert frame.index.tolist() == list(range(n))
    # Renumbered, not with the old numbers kept as a column.
    assert list(prepared.tickets.columns) == ["account_id", "created_at"]
    assert list(prepared.surveys.columns) == ["account_id", "responded_at", "score"]
    assert list(prepared.subscriptions.columns) == ["account_id", "start_date", "end_date"]


def test_a_one_character_text_is_text():
    # "♥" alone scores positive (VADER: 0.6369); only an empty text has no sentiment.
    tickets = pd.DataFrame(
        {
            "account_id": ["A", "B"],
            "created_at": times("2024-05-01", "2024-05-02"),
            "text": ["♥", ""],
        }
    )
    prepared = prepare_tables(dataclasses.replace(ticket_tables(), tickets=tickets))
    assert prepared.tickets["sentiment"].iloc[0] > 0.5 and np.isnan(
        prepared.tickets["sentiment"].iloc[1]
    )
