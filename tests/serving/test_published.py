"""The scores file a customer-success team loads as it is: names, rounding, order, one type per
column in the CSV and the Parquet alike, every expected value written out by hand."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from serving.outputs import (
    LEAD_COLUMNS,
    OutputWriter,
    account_names,
    priority_sorted,
    published_scores,
    read_scores,
    scores_csv,
)


def raw_scores(ids: list[str], arr_at_risk: list[float], health: list[int]) -> pd.DataFrame:
    """Scores as ``score_features`` makes them: full-precision floats, NaN where unknown."""
    n = len(ids)
    return pd.DataFrame(
        {
            "account_id": ids,
            "as_of": pd.Timestamp("2025-12-31"),
            "stay_probability": np.linspace(0.912345, 0.987654, n),
            "decision_months": [12.0] * (n - 1) + [np.nan],
            "health_score": health,
            "band": ["red"] * n,
            "churn_probability": [0.123456] * n,
            "renewal_probability": [np.nan] + [0.8765432] * (n - 1),
            "renewal_date": [pd.Timestamp("2026-02-11")] * (n - 1) + [pd.NaT],
            "renewal_due_in_days": [42.0] * (n - 1) + [np.nan],
            "mrr": [1444.62] * (n - 1) + [np.nan],
            "arr": [17335.44] * (n - 1) + [np.nan],
            "arr_at_risk": arr_at_risk,
            "base_score": [80.04567] * n,
            "points_usage": [-12.3456] * n,
            "risk_driver_1": ["Active on 7 of the last 30 days"] * n,
            "risk_impact_1": [-3.21987] * n,
            "plan": ["growth"] * n,
        }
    )


def test_published_scores_round_as_people_read_and_lead_with_who_the_account_is():
    names = account_names(
        pd.DataFrame({"account_id": ["A1", "A2"], "name": ["Vertex BV", "Swift"]})
    )
    out = published_scores(
        raw_scores(["A1", "A2", "A3"], [2139.8, 12.5, np.nan], [61, 70, 55]), names
    )
    assert list(out.columns[: len([c for c in LEAD_COLUMNS if c in out])]) == [
        c for c in LEAD_COLUMNS if c in out
    ]
    assert out.columns[:3].tolist() == ["account_id", "account_name", "plan"]
    assert out["account_name"].tolist()[:2] == ["Vertex BV", "Swift"] and pd.isna(
        out["account_name"][2]
    )
    # probabilities to 3 places; money to whole units (1444.62 -> 1445, 17335.44 -> 17335,
    # 12.5 -> 12: half to even); points to 1 decimal; whole numbers nullable where missing
    assert out["stay_probability"].tolist() == [0.912, 0.95, 0.988]
    assert out["churn_probability"].tolist() == [0.123] * 3
    assert out["renewal_probability"].iloc[1] == 0.877 and np.isnan(
        out["renewal_probability"].iloc[0]
    )
    assert out["mrr"].tolist()[:2] == [1445, 1445] and out["mrr"].isna().tolist() == [
        False,
        False,
        True,
    ]
    assert out["arr"].iloc[0] == 17335 and out["arr_at_risk"].tolist()[:2] == [2140, 12]
    assert str(out["mrr"].dtype) == "Int64" and str(out["renewal_due_in_days"].dtype) == "Int64"
    assert str(out["decision_months"].dtype) == "Int64" and pd.isna(out["decision_months"].iloc[2])
    assert out["base_score"].tolist() == [80.0] * 3 and out["points_usage"].tolist() == [-12.3] * 3
    assert out["risk_impact_1"].tolist() == [-3.2] * 3
    assert out["health_score"].tolist() == [61, 70, 55]


def _kind(kind: pa.DataType) -> str:
    """What a reader gets from a column: a whole number, a decimal, text or a date."""
    if pa.types.is_integer(kind):
        return "integer"
    if pa.types.is_floating(kind):
        return "decimal"
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        return "date"
    if pa.types.is_dictionary(kind):
        return _kind(kind.value_type)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_null(kind):
        return "text"
    return str(kind)


def test_the_written_file_is_in_priority_order_with_one_type_per_column_in_csv_and_parquet(
    tmp_path,
):
    names = pd.Series(["Vertex BV", "Swift", "Quill", "Orbit"], index=["A1", "A2", "A3", "A4"])
    first = raw_scores(["A1", "A2"], [120.0, 5000.0], [72, 58])
    # the second chunk: one account without revenue (no ARR at risk), one tie broken by health
    second = raw_scores(["A3", "A4"], [5000.0, np.nan], [40, 90])
    with OutputWriter(tmp_path) as writer:
        writer.write("scores", published_scores(first, names))
        writer.write("scores", published_scores(second, names))
        writer.commit()
    parquet = pq.read_table(tmp_path / "scores.parquet")
    # most ARR at risk first (5000 twice: the less healthy A3 before A2), no revenue last
    assert parquet.column("account_id").to_pylist() == ["A3", "A2", "A1", "A4"]
    assert parquet.column("account_name").to_pylist() == ["Quill", "Swift", "Vertex BV", "Orbit"]
    text = [c for c in parquet.column_names if _kind(parquet.schema.field(c).type) == "text"]
    csv = pacsv.read_csv(
        tmp_path / "scores.csv",
        convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(text, pa.string())),
    )
    assert csv.column_names == parquet.column_names
    for column in parquet.column_names:
        assert _kind(csv.schema.field(column).type) == _kind(parquet.schema.field(column).type), (
            column
        )
    assert _kind(parquet.schema.field("mrr").type) == "integer"  # money: whole units, a gap kept
    assert csv.column("mrr").to_pylist() == [1445, None, 1445, None]
    assert csv.column("stay_probability").to_pylist() == [0.912, 0.988, 0.912, 0.988]
    lines = (tmp_path / "scores.csv").read_text().splitlines()
    assert lines[0].startswith('"account_id","account_name","plan","mrr","arr","health_score"')
    # a date without a time; decimals with their places (quoted: a spreadsheet reads a number)
    assert ",2026-02-11," in lines[1] and ',"0.912",' in lines[1] and ',"80.0",' in lines[1]


def test_names_and_plan_missing_from_the_data_are_empty_text_columns():
    # an accounts table without names, on its own row labels
    names = account_names(pd.DataFrame({"account_id": ["A1", "A2"]}, index=[5, 9]))
    assert names.index.tolist() == ["A1", "A2"] and names.isna().all()
    scores = pd.DataFrame({"account_id": ["A1", "A2"], "health_score": [61, 70]}, index=[3, 4])
    for given in (names, None):
        out = published_scores(scores, given)
        assert out.columns.tolist() == ["account_id", "account_name", "plan", "health_score"]
        for column in ("account_name", "plan"):
            assert str(out[column].dtype) == "str" and out[column].isna().all(), column
    # a plan the scores have is kept as it is
    planned = published_scores(scores.assign(plan=["growth", "starter"]), names)
    assert planned["plan"].tolist() == ["growth", "starter"]


def test_every_points_column_is_rounded_to_one_decimal_and_text_is_left_alone():
    scores = pd.DataFrame(
        {
            "account_id": ["A1"],
            "protective_impact": [2.345],
            "change_usage": [-1.26],
            "change_model": [0.04],
            "change_summary": ["Health fell 5 points since 2025-11-30"],
        }
    )
    out = published_scores(scores)
    assert out["protective_impact"].tolist() == [2.3]
    assert out["change_usage"].tolist() == [-1.3] and out["change_model"].tolist() == [0.0]
    assert out["change_summary"].tolist() == ["Health fell 5 points since 2025-11-30"]


def test_the_csv_writes_decimals_with_their_places_and_a_gap_as_empty():
    table = pa.table(
        {
            "renewal_probability": [0.87654, np.nan],
            "year_stay_probability": pa.array([np.nan, np.nan]),  # no value at all: still text
            "mrr": [1444.5, 12.25],  # no places of its own: as it is
        }
    )
    out = scores_csv(table)
    assert out.column("renewal_probability").to_pylist() == ["0.877", None]
    assert out.schema.field("year_stay_probability").type == pa.string()
    assert out.column("year_stay_probability").to_pylist() == [None, None]
    assert out.column("mrr").to_pylist() == [1444.5, 12.25]


def test_a_table_without_the_priority_keys_keeps_its_order():
    table = pa.table({"band": ["red", "green", "yellow"]})
    assert priority_sorted(table).column("band").to_pylist() == ["red", "green", "yellow"]


def test_read_scores_types_whole_numbers_as_nullable_integers(tmp_path):
    # as another engine may write them: whole numbers as floats, a gap as NaN
    pd.DataFrame(
        {"account_id": ["A1", "A2"], "mrr": [1445.0, np.nan], "health_score": [61.0, 70.0]}
    ).to_parquet(tmp_path / "scores.parquet")
    scores = read_scores(tmp_path / "scores.parquet")
    assert str(scores["mrr"].dtype) == "Int64" and str(scores["health_score"].dtype) == "Int64"
    assert scores["mrr"].tolist()[0] == 1445 and pd.isna(scores["mrr"].iloc[1])
    assert scores["health_score"].tolist() == [61, 70]
    assert scores["account_id"].tolist() == ["A1", "A2"]


def test_fixed_places_writes_what_python_writes_for_values_already_rounded():
    from serving.outputs import fixed_places

    hand = pa.chunked_array([pa.array([0.5, 80.0, -1.2, -0.0, 12.877, None, np.nan])])
    assert fixed_places(hand, 3).to_pylist() == [
        "0.500", "80.000", "-1.200", "0.000", "12.877", None, None,
    ]  # fmt: skip
    assert fixed_places(hand, 1).to_pylist()[:4] == ["0.5", "80.0", "-1.2", "0.0"]
    rng = np.random.default_rng(0)
    for places in (1, 3):  # the oracle: Python's own formatting, one value at a time
        values = rng.normal(0, 30, 5_000).round(places)
        values = values[values != 0]  # Python writes a negative zero as '-0.0'; we write '0.0'
        written = fixed_places(pa.chunked_array([pa.array(values)]), places).to_pylist()
        assert written == [f"{v:.{places}f}" for v in values]


def test_fixed_places_by_hand():
    from serving.outputs import fixed_places

    values = pa.chunked_array([[0.9, -1.5, np.nan, -0.0004, 12.0]])
    with warnings.catch_warnings():  # a gap is never cast to an integer (numpy warns on NaN)
        warnings.simplefilter("error")
        out = fixed_places(values, 3).to_pylist()
    # a negative value that shows as zero has no sign
    assert out == ["0.900", "-1.500", None, "0.000", "12.000"]
    assert fixed_places(pa.chunked_array([[12.0, 3.0]]), 0).to_pylist() == ["12", "3"]
