"""Each kind of bad input is reported with its table, column and an example row's id."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from features.loading import load_tables
from features.validation import ContractError, Problem, format_report, validate_tables


def good_tables() -> dict[str, pd.DataFrame]:
    return {
        "accounts": pd.DataFrame(
            {"account_id": ["A0001", "A0002", "A0003"], "created_at": ["2023-01-01"] * 3}
        ),
        "subscriptions": pd.DataFrame(
            {
                "subscription_id": ["S1", "S2", "S3"],
                "account_id": ["A0001", "A0002", "A0003"],
                "start_date": ["2024-01-01", "2024-01-01", "2024-05-01"],
                "end_date": ["2024-12-31", None, "2025-04-30"],
                "mrr": ["100", "250.5", "80"],
            }
        ),
        "events": pd.DataFrame(
            {
                "account_id": ["A0001", "A0002", "A0003"],
                "timestamp": ["2024-02-01 10:00:00", "2024-02-02", "2024-06-01T08:00:00Z"],
                "event_type": ["login", "export", "login"],
                "value": ["1", "3", "2"],
            }
        ),
        "tickets": pd.DataFrame(
            {
                "ticket_id": ["T1", "T2"],
                "account_id": ["A0001", "A0003"],
                "created_at": ["2024-03-01", "2024-06-01"],
                "resolved_at": ["2024-03-02", None],
            }
        ),
        "surveys": pd.DataFrame(
            {
                "account_id": ["A0001", "A0002"],
                "responded_at": ["2024-04-01", "2024-04-02"],
                "score": ["9", "3"],
                "kind": ["nps", "csat"],
            }
        ),
    }


def write_dir(folder: Path, tables: dict[str, pd.DataFrame]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def report_for(tmp_path: Path, tables: dict[str, pd.DataFrame]) -> ContractError:
    with pytest.raises(ContractError) as info:
        load_tables(write_dir(tmp_path / "data", tables))
    return info.value


def assert_reported(err: ContractError, table: str, column: str | None, *texts: str) -> Problem:
    matches = [p for p in err.problems if p.table == table and p.column == column]
    assert matches, f"no problem for {table}.{column} in:\n{err}"
    where = table if column is None else f"{table}.{column}"
    assert f"- {where}:" in str(err)
    for text in texts:
        assert text in str(err), f"{text!r} not in:\n{err}"
    return matches[0]


def test_good_tables_have_no_problems():
    assert validate_tables(good_tables()) == []
    assert format_report([]) == "No problems in the input data."


def test_missing_mandatory_table(tmp_path):
    tables = good_tables()
    del tables["subscriptions"]
    err = report_for(tmp_path, tables)
    assert_reported(err, "subscriptions", None, "mandatory table is missing")


def test_missing_required_column(tmp_path):
    tables = good_tables()
    tables["events"] = tables["events"].drop(columns="event_type")
    err = report_for(tmp_path, tables)
    assert_reported(err, "events", "event_type", "required column is missing")


def test_unparseable_date(tmp_path):
    tables = good_tables()
    tables["events"].loc[1, "timestamp"] = "not a date"
    err = report_for(tmp_path, tables)
    problem = assert_reported(err, "events", "timestamp", "1 unparseable date", "A0002")
    assert "not a date" in str(err)
    assert list(problem.examples.index) == [1]


def test_non_numeric_number(tmp_path):
    tables = good_tables()
    tables["subscriptions"].loc[2, "mrr"] = "eighty"
    err = report_for(tmp_path, tables)
    assert_reported(err, "subscriptions", "mrr", "1 non-numeric value", "A0003", "eighty")


def test_duplicate_account_id(tmp_path):
    tables = good_tables()
    tables["accounts"].loc[2, "account_id"] = "A0002"
    err = report_for(tmp_path, tables)
    problem = assert_reported(err, "accounts", "account_id", "more than once", "A0002")
    assert list(problem.examples.index) == [1, 2]


def test_duplicate_subscription_id(tmp_path):
    tables = good_tables()
    tables["subscriptions"].loc[2, "subscription_id"] = "S1"
    err = report_for(tmp_path, tables)
    assert_reported(err, "subscriptions", "subscription_id", "more than once", "S1", "A0003")


def test_orphan_account_id_in_events(tmp_path):
    tables = good_tables()
    tables["events"].loc[2, "account_id"] = "A9999"
    err = report_for(tmp_path, tables)
    assert_reported(err, "events", "account_id", "not in accounts", "A9999")


def test_end_before_start(tmp_path):
    tables = good_tables()
    tables["subscriptions"].loc[2, "end_date"] = "2024-04-01"
    err = report_for(tmp_path, tables)
    assert_reported(
        err, "subscriptions", "end_date", "1 row ends before it starts", "A0003", "2024-04-01"
    )


def test_end_equal_to_start_is_accepted():
    """A term that ends the day it starts covers no day: harmless, so not a problem."""
    tables = good_tables()
    tables["subscriptions"].loc[0, "end_date"] = tables["subscriptions"].loc[0, "start_date"]
    assert validate_tables(tables) == []
    tables["subscriptions"].loc[0, "end_date"] = "2023-12-31"
    problems = validate_tables(tables)
    assert [(p.table, p.column) for p in problems] == [("subscriptions", "end_date")]


def test_resolved_before_created(tmp_path):
    tables = good_tables()
    tables["tickets"].loc[1, "resolved_at"] = "2024-05-01"
    err = report_for(tmp_path, tables)
    assert_reported(err, "tickets", "resolved_at", "resolved before", "T2", "A0003")


def test_nps_out_of_range(tmp_path):
    tables = good_tables()
    tables["surveys"].loc[0, "score"] = "11"
    tables["surveys"].loc[1, "score"] = "40"  # csat: other scales are not checked
    err = report_for(tmp_path, tables)
    problem = assert_reported(err, "surveys", "score", "1 NPS score outside 0..10", "A0001")
    assert list(problem.examples.index) == [0]


def test_nps_out_of_range_without_kind_column():
    tables = good_tables()
    tables["surveys"] = tables["surveys"].drop(columns="kind").assign(score=[-1, 5])
    problems = validate_tables(tables)
    assert [(p.table, p.column) for p in problems] == [("surveys", "score")]


def test_null_account_id(tmp_path):
    tables = good_tables()
    tables["tickets"].loc[0, "account_id"] = None
    err = report_for(tmp_path, tables)
    assert_reported(err, "tickets", "account_id", "without a value", "T1")


def test_every_problem_reported_at_once(tmp_path):
    tables = good_tables()
    tables["accounts"].loc[2, "account_id"] = "A0002"  # duplicate; A0003 becomes an orphan
    tables["subscriptions"].loc[2, "end_date"] = "2024-04-01"
    tables["events"].loc[0, "timestamp"] = "yesterday-ish"
    tables["surveys"].loc[0, "score"] = "12"
    err = report_for(tmp_path, tables)
    found = {(p.table, p.column) for p in err.problems}
    assert {
        ("accounts", "account_id"),
        ("subscriptions", "end_date"),
        ("subscriptions", "account_id"),
        ("events", "timestamp"),
        ("events", "account_id"),
        ("surveys", "score"),
    } <= found
    text = str(err)
    assert text.startswith(f"{len(err.problems)} problems in the input data:")
    assert re.search(
        r"^ {4,}row\s+account_id\s+subscription_id\s+start_date\s+end_date$", text, re.M
    )


def test_unknown_tables_are_not_errors():
    tables = good_tables()
    tables["churn_events"] = pd.DataFrame({"whatever": [1]})
    assert validate_tables(tables) == []


def test_numbers_and_ids_from_parquet_types():
    tables = good_tables()
    tables["accounts"] = pd.DataFrame({"account_id": [1.0, 2.0, 3.0]})
    for name in ("subscriptions", "events", "tickets", "surveys"):
        ids = tables[name]["account_id"].str[-1].astype(int)
        tables[name] = tables[name].assign(account_id=ids)
    assert validate_tables(tables) == []


def test_examples_are_at_most_five_rows():
    tables = good_tables()
    n = 20
    tables["events"] = pd.DataFrame(
        {"account_id": ["A0001"] * n, "timestamp": ["bad"] * n, "event_type": ["x"] * n}
    )
    (problem,) = validate_tables(tables)
    assert "20 unparseable dates" in problem.message
    assert len(problem.examples) == 5
    assert list(problem.examples.columns) == ["account_id", "timestamp"]
