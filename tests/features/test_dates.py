"""Dates are read once per column, with one reading of day and month (issue 14).

Hand-made frames: each case names what the reader must make of one kind of date text, and the
contract problem (table, column, rows) when a column does not fit one reading.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.loading import EventFiles, load_tables, read_options, read_raw_tables
from features.validation import ContractError, read_dates, validate_tables

_spec = importlib.util.spec_from_file_location(
    "validation_fixtures", Path(__file__).with_name("test_validation.py")
)
_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fixtures)

T = pd.Timestamp


def dates(values, dayfirst=None) -> list:
    return read_dates(pd.Series(values, dtype=object), dayfirst).values.tolist()


def problems_of(raw, dayfirst=None):
    return {(p.table, p.column): p for p in validate_tables(raw, dayfirst)}


def with_created_at(values) -> dict[str, pd.DataFrame]:
    """The good tables with ``accounts.created_at`` as given (one account per value; ISO dates
    added for the good tables' three accounts)."""
    raw = _fixtures.good_tables()
    values = list(values) + ["2023-01-01"] * (3 - len(values))
    n = len(values)
    ids = [f"A{i:04d}" for i in range(1, n + 1)]
    raw["accounts"] = pd.DataFrame({"account_id": ids, "created_at": values})
    return raw


# ----- what one value reads as ----------------------------------------------------------------


@pytest.mark.parametrize("dayfirst", [None, True, False])
def test_iso_dates_read_the_same_whatever_dayfirst_says(dayfirst):
    values = ["2024-01-13", "2024-02-01T10:00:00+01:00", "2024-02-03 08:30", "20240105"]
    assert dates(values, dayfirst) == [
        T("2024-01-13"), T("2024-02-01 09:00"), T("2024-02-03 08:30"), T("2024-01-05"),
    ]  # fmt: skip


def test_numeric_dates_valid_both_ways_read_month_first_unless_dayfirst():
    values = ["01/02/2024", "03/04/2024", "12/11/2023"]
    assert dates(values) == [T("2024-01-02"), T("2024-03-04"), T("2023-12-11")]
    assert dates(values, False) == dates(values)
    assert dates(values, True) == [T("2024-02-01"), T("2024-04-03"), T("2023-11-12")]


def test_one_reading_for_the_whole_column_never_row_by_row():
    """04/03/2025 beside 13/03/2025: read day first, both are in March; never one each way."""
    column = read_dates(pd.Series(["04/03/2025", "13/03/2025"]))
    assert column.day_first_only.tolist() == [False, True]
    assert column.values.tolist()[0] == T("2025-04-03")  # month first: the default reading
    assert pd.isna(column.values.iloc[1])  # not read the other way round
    assert dates(["04/03/2025", "13/03/2025"], True) == [T("2025-03-04"), T("2025-03-13")]


@pytest.mark.parametrize(
    "text, dayfirst, expected",
    [
        ("13/01/24", True, "2024-01-13"),  # two-digit years: 00-68 are 20xx
        ("01/13/24", None, "2024-01-13"),
        ("13/01/69", True, "1969-01-13"),  # 69-99 are 19xx
        ("13/01/2024 14:30", True, "2024-01-13 14:30"),  # with a time
        ("13/01/2024T14:30:05", True, "2024-01-13 14:30:05"),
        ("13/01/2024 14:30+01:00", True, "2024-01-13 13:30"),  # an offset: to UTC
        ("1/2/2024, 2:30 PM", None, "2024-01-02 14:30"),
        ("13.01.2024", True, "2024-01-13"),  # other separators
        ("13-01-2024", True, "2024-01-13"),
        ("13 01 2024", True, "2024-01-13"),
        ("2024/1/13", True, "2024-01-13"),  # year first is year-month-day in any order setting
        ("2024.01.13 14:30", None, "2024-01-13 14:30"),
        ("2024-01-13 2:30 PM", None, "2024-01-13 14:30"),
        ("5 Jan 2024", None, "2024-01-05"),  # the month in words: read as written
        ("Jan 5, 2024 2:30 PM", True, "2024-01-05 14:30"),
        ("5-Jan-24", None, "2024-01-05"),
        ("Fri, 05 Jan 2024 14:00:00 GMT", None, "2024-01-05 14:00"),
        ("  2024-01-13  ", None, "2024-01-13"),  # spaces around
    ],
)
def test_accepted_forms(text, dayfirst, expected):
    column = read_dates(pd.Series([text]), dayfirst)
    assert column.values.tolist() == [T(expected)]
    assert not column.unreadable.any()


@pytest.mark.parametrize(
    "text",
    [
        "45291",  # a spreadsheet's serial day, exported as text
        "1704067200",  # an epoch
        "14:00",  # a time without a date (would be today)
        "today",
        "now",
        "Monday",
        "Jan 5",  # no year (would be this year)
        "March 2024",  # no day
        "31/02/2024",  # no such day either way
        "13/13/2024",
        "13/01-2024",  # two separators in one date
        "2024/13/01",  # year first is never year-day-month
        "2024-01-13 99:00",
        "2024-01-13 14:00 CEST",  # a zone name not known: its offset would be dropped
        "not a date",
    ],
)
def test_refused_forms_are_unreadable(text):
    column = read_dates(pd.Series([text]))
    assert column.unreadable.tolist() == [True]
    assert column.values.isna().all()


def test_blank_cells_are_missing_not_unreadable():
    column = read_dates(pd.Series(["2024-01-13", "", "   ", None, np.nan]))
    assert column.unreadable.tolist() == [False] * 5
    assert column.values.notna().tolist() == [True, False, False, False, False]


def test_typed_values_numbers_are_not_dates_and_timestamps_stay():
    assert read_dates(pd.Series([45291, np.nan])).unreadable.tolist() == [True, False]
    typed = pd.Series(pd.to_datetime(["2024-01-13 10:00"]).tz_localize("Europe/Paris"))
    assert read_dates(typed, True).values.tolist() == [T("2024-01-13 09:00")]


# ----- what the contract says of a column ------------------------------------------------------


def test_a_day_first_column_is_an_error_naming_table_column_rows_and_the_option():
    raw = with_created_at(["04/03/2023", "25/12/2023", "13/01/2024"])
    found = problems_of(raw)
    assert set(found) == {("accounts", "created_at")}
    problem = found[("accounts", "created_at")]
    assert problem.message.startswith("2 dates valid only day first")
    assert "dayfirst = true" in problem.message
    assert problem.examples["created_at"].tolist() == ["25/12/2023", "13/01/2024"]
    assert problem.examples.index.tolist() == [1, 2]
    assert problems_of(raw, {"accounts": True}) == {}


def test_a_column_mixing_both_readings_is_an_error_whatever_dayfirst_says():
    raw = with_created_at(["25/12/2023", "01/02/2024", "12/31/2023", "13/01/2024", "01/20/2024"])
    problem = problems_of(raw)[("accounts", "created_at")]
    assert problem.message.startswith("4 dates mix the two readings of day and month")
    assert problem.examples["created_at"].tolist() == [
        "25/12/2023", "12/31/2023", "13/01/2024", "01/20/2024",
    ]  # fmt: skip
    day_first = problems_of(raw, {"accounts": True})[("accounts", "created_at")]
    assert day_first.message.startswith("2 dates valid only month first, where dayfirst = true")
    assert day_first.examples["created_at"].tolist() == ["12/31/2023", "01/20/2024"]
    month_first = problems_of(raw, {"accounts": False})[("accounts", "created_at")]
    assert month_first.message.startswith("2 dates valid only day first, where dayfirst = false")


def test_dayfirst_applies_to_its_table_only():
    raw = with_created_at(["13/01/2024"])
    raw["tickets"]["created_at"] = ["13/03/2024", "01/06/2024"]
    found = problems_of(raw, {"accounts": True})
    assert set(found) == {("tickets", "created_at")}


def test_mixed_separators_share_the_column_reading():
    raw = with_created_at(["13/01/2024", "14.01.2024", "15-01-2024", "16 01 2024"])
    assert problems_of(raw, {"accounts": True}) == {}
    assert set(problems_of(raw)) == {("accounts", "created_at")}


def test_iso_rows_beside_day_first_rows_keep_their_dates():
    column = read_dates(pd.Series(["2024-01-13", "13/01/2024", "02/01/2024"]), True)
    assert column.values.tolist() == [T("2024-01-13"), T("2024-01-13"), T("2024-01-02")]


def test_unreadable_and_one_way_dates_are_separate_problems_counted_once():
    raw = with_created_at(["13/01/2024", "31/02/2024", "45291", "2024-01-05"])
    reports = [p for p in validate_tables(raw) if p.column == "created_at"]
    assert [p.message.split(" (")[0] for p in reports] == [
        "2 unparseable dates",
        "1 date valid only day first",
    ]
    assert "45291 are not dates" in reports[0].message
    assert reports[0].examples["created_at"].tolist() == ["31/02/2024", "45291"]


def test_two_digit_years_before_1990_are_implausible():
    raw = with_created_at(["01/13/85"])
    found = problems_of(raw)
    assert found[("accounts", "created_at")].message.startswith("1 implausible date")


def test_a_blank_required_date_is_a_missing_value_and_a_blank_end_a_running_term():
    raw = _fixtures.good_tables()
    raw["subscriptions"]["end_date"] = ["2024-12-31", "  ", "2025-04-30"]
    assert problems_of(raw) == {}
    raw["subscriptions"].loc[0, "start_date"] = " "
    found = problems_of(raw)
    assert set(found) == {("subscriptions", "start_date")}
    assert "without a value" in found[("subscriptions", "start_date")].message


def test_numbers_typed_in_a_date_column_say_why():
    raw = _fixtures.good_tables()
    raw["accounts"]["created_at"] = [45291, 45292, np.nan]
    problem = problems_of(raw)[("accounts", "created_at")]
    assert problem.message.startswith("2 unparseable dates (numbers are not dates")


# ----- the config option, and loading --------------------------------------------------------


def day_first_files(folder: Path) -> Path:
    """The good tables on disk, accounts and tickets written day first."""
    raw = _fixtures.good_tables()
    raw["accounts"]["created_at"] = ["13/01/2023", "01/02/2023", "28/02/2023"]
    raw["tickets"]["created_at"] = ["13/03/2024", "01/06/2024"]
    raw["tickets"]["resolved_at"] = ["14/03/2024", None]
    return _fixtures.write_dir(folder, raw)


def config(folder: Path, top: str = "", accounts: str = "", tickets: str = "") -> Path:
    text = top + "\n"
    for name in ("accounts", "subscriptions", "events", "tickets", "surveys"):
        text += f'[tables.{name}]\npath = "{name}.csv"\n'
        text += {"accounts": accounts, "tickets": tickets}.get(name, "") + "\n"
    path = folder / "health.toml"
    path.write_text(text)
    return path


def test_dayfirst_at_the_top_reads_every_table_day_first(tmp_path):
    folder = day_first_files(tmp_path / "data")
    tables = load_tables(config(folder, top="dayfirst = true"))
    assert tables.accounts["created_at"].tolist() == [
        T("2023-01-13"), T("2023-02-01"), T("2023-02-28"),
    ]  # fmt: skip
    assert tables.tickets["created_at"].tolist() == [T("2024-03-13"), T("2024-06-01")]
    assert tables.subscriptions["start_date"].tolist()[0] == T("2024-01-01")  # ISO unaffected


def test_dayfirst_per_table_overrides_the_top(tmp_path):
    folder = day_first_files(tmp_path / "data")
    path = config(folder, top="dayfirst = true", tickets="dayfirst = false")
    assert read_options(path)["dayfirst"] == {
        "accounts": True, "subscriptions": True, "events": True, "tickets": False,
        "surveys": True,
    }  # fmt: skip
    with pytest.raises(ContractError) as info:
        load_tables(path)
    assert {(p.table, p.column) for p in info.value.problems} == {
        ("tickets", "created_at"),
        ("tickets", "resolved_at"),
    }
    assert "where dayfirst = false reads this table month first" in str(info.value)
    tables = load_tables(config(folder, accounts="dayfirst = true", tickets="dayfirst = true"))
    assert tables.accounts["created_at"].iloc[0] == T("2023-01-13")


def test_without_the_option_the_error_asks_for_it_with_every_other_problem(tmp_path):
    folder = day_first_files(tmp_path / "data")
    subs = pd.read_csv(folder / "subscriptions.csv")
    subs.loc[0, "mrr"] = -5
    subs.to_csv(folder / "subscriptions.csv", index=False)
    with pytest.raises(ContractError) as info:
        load_tables(folder)
    assert {(p.table, p.column) for p in info.value.problems} == {
        ("accounts", "created_at"),
        ("tickets", "created_at"),
        ("tickets", "resolved_at"),
        ("subscriptions", "mrr"),
    }
    assert "13/01/2023" in str(info.value) and "set dayfirst = true" in str(info.value)


@pytest.mark.parametrize(
    "top, accounts, where",
    [("dayfirst = 1", "", "health.toml"), ("", 'dayfirst = "yes"', "[tables.accounts]")],
)
def test_dayfirst_must_be_true_or_false(tmp_path, top, accounts, where):
    folder = day_first_files(tmp_path / "data")
    with pytest.raises(ContractError, match=r"`dayfirst` in .* must be true") as info:
        read_raw_tables(config(folder, top=top, accounts=accounts))
    assert where in str(info.value)


def test_events_on_disk_report_a_day_first_batch_with_the_other_problems(tmp_path):
    events = pd.DataFrame(
        {
            "account_id": ["A0001", "A0002", "NOPE", "A0001"],
            "timestamp": ["2024-02-01", "2024-02-02", "13/02/2024", "25/02/2024"],
            "event_type": ["login"] * 4,
        }
    )
    path = tmp_path / "events.parquet"
    events.to_parquet(path, row_group_size=2)
    found = EventFiles(path, batch_rows=2).problems(_fixtures.good_tables()["accounts"])
    kinds = {(p.column, p.message.split(" (")[0]) for p in found}
    assert kinds == {("timestamp", "2 dates valid only day first"), ("account_id", "1 row")}


def test_a_kind_of_problem_in_several_batches_is_one_problem_whatever_its_counts(tmp_path):
    """1 day-first date in one batch, 2 in another (singular and plural): one problem."""
    events = pd.DataFrame(
        {
            "account_id": ["A0001", "A0002", "A0001", "A0002", "A0003", "A0001"],
            "timestamp": ["13/02/2024", "02/01/2024", "14/02/2024", "15/02/2024", "x", "y"],
            "event_type": ["login"] * 6,
        }
    )
    path = tmp_path / "events.parquet"
    events.to_parquet(path, row_group_size=2)
    found = EventFiles(path, batch_rows=2).problems(_fixtures.good_tables()["accounts"])
    assert [p.message.split(" (")[0] for p in found] == [
        "1 date valid only day first",
        "2 unparseable dates",
    ]
    assert "first of 2 batches" in found[0].message


def test_dates_of_an_unsettled_column_are_not_compared_with_others():
    """Day-first tickets beside ISO resolutions: the reading is the problem, not the order."""
    raw = _fixtures.good_tables()
    raw["tickets"]["created_at"] = ["13/03/2024", "10/05/2024"]  # 10 May, read 5 October
    raw["tickets"]["resolved_at"] = ["2024-03-14", "2024-05-11"]
    found = problems_of(raw)
    assert set(found) == {("tickets", "created_at")}
    raw["tickets"]["created_at"] = ["2024-03-13", "2024-05-12"]  # settled: now compared
    assert set(problems_of(raw)) == {("tickets", "resolved_at")}
