"""Values that cannot be right: negative counts and money, infinities, implausible dates."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd

from features.sentiment import MAX_TEXT_CHARS, sentiment_scores
from features.validation import validate_tables

_spec = importlib.util.spec_from_file_location(
    "validation_fixtures", Path(__file__).with_name("test_validation.py")
)
_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fixtures)


def problems_of(raw):
    return {(p.table, p.column): p for p in validate_tables(raw)}


def test_the_good_tables_have_no_problem():
    assert validate_tables(_fixtures.good_tables()) == []


def test_negative_money_counts_and_event_values_are_named_with_their_rows():
    raw = _fixtures.good_tables()
    raw["subscriptions"].loc[1, "mrr"] = "-250"
    raw["events"]["value"] = [1.0, -3.0, -2.0]  # numbers already typed, as from Parquet
    raw["accounts"]["seats"] = ["10", "-1", "5"]
    found = problems_of(raw)
    assert set(found) == {("subscriptions", "mrr"), ("events", "value"), ("accounts", "seats")}
    assert found[("events", "value")].message.startswith("2 negative values")
    assert found[("subscriptions", "mrr")].message.startswith("1 negative value ")
    assert list(found[("accounts", "seats")].examples["seats"]) == ["-1"]


def test_infinities_are_errors_in_any_number_column():
    raw = _fixtures.good_tables()
    raw["subscriptions"]["mrr"] = [100.0, np.inf, 80.0]
    raw["surveys"]["score"] = ["9", "-inf", "7"][: len(raw["surveys"])]
    found = problems_of(raw)
    assert found[("subscriptions", "mrr")].message == "1 infinite value"
    assert ("surveys", "score") in found


def test_dates_before_1990_or_from_2100_are_implausible_but_a_late_term_end_is_not():
    raw = _fixtures.good_tables()
    raw["events"].loc[0, "timestamp"] = "1899-12-30"  # a spreadsheet's zero date
    raw["events"].loc[1, "timestamp"] = "2100-01-01"
    raw["subscriptions"].loc[0, "end_date"] = "2199-12-31"
    found = problems_of(raw)
    assert set(found) == {("events", "timestamp")}
    assert found[("events", "timestamp")].message.startswith("2 implausible dates")


def test_sentiment_reads_a_texts_first_max_text_chars_only():
    head = "Support is slow and the export is broken. " * (MAX_TEXT_CHARS // 40)
    head = head[:MAX_TEXT_CHARS]
    tail = " We love it, wonderful, great, amazing!" * 5_000
    scores = sentiment_scores(pd.Series([head + tail, head]))
    assert scores.iloc[0] == scores.iloc[1] < 0


def test_events_on_disk_report_every_problem_of_every_batch(tmp_path):
    from features.loading import EventFiles

    events = pd.DataFrame(
        {
            "account_id": ["A0001", "A0002", "A0001", "NOPE", "A0002", "A0001"],
            "timestamp": ["2024-02-01", "bad", "2024-02-03", "2024-02-04", "2024-02-05", "x"],
            "event_type": ["login"] * 6,
            "value": [1.0, 1.0, 1.0, 1.0, -4.0, 1.0],
        }
    )
    path = tmp_path / "events.parquet"
    events.to_parquet(path, row_group_size=2)
    accounts = _fixtures.good_tables()["accounts"]
    found = EventFiles(path, batch_rows=2).problems(accounts)
    kinds = {(p.column, p.message.split(" (")[0]) for p in found}
    # batch 1: a bad date; batch 2: an orphan id; batch 3: a negative value and a bad date
    assert kinds == {
        ("timestamp", "1 unparseable date"),
        ("account_id", "1 row"),
        ("value", "1 negative value"),
    }
    (dates,) = [p for p in found if p.column == "timestamp"]
    assert "first of 2 batches" in dates.message
