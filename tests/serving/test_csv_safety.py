"""scores.csv never holds a text cell a spreadsheet would run as a formula (ids included)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from serving.outputs import _csv_table


@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
def test_formula_like_text_gets_a_leading_quote_and_the_rest_stays(kind):
    cells = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", "\tx", "A00001", None, "a=b"]
    table = pa.table({"account_id": pa.array(cells, type=kind), "n": list(range(8))})
    out = _csv_table(table).to_pydict()
    assert out["account_id"] == [
        '\'=HYPERLINK("http://x","y")',
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        "A00001",
        None,
        "a=b",
    ]
    assert out["n"] == list(range(8))  # numbers are never touched


def test_categorical_text_is_made_safe_too():
    table = pa.table({"band": pa.array(["=red", "green", "=red"]).dictionary_encode()})
    assert _csv_table(table).to_pydict()["band"] == ["'=red", "green", "'=red"]


def test_side_tables_written_as_csv_are_safe_too(tmp_path):
    """The monitoring job's movers and migration tables go through the same rule."""
    import pandas as pd

    from serving.outputs import write_csv

    movers = pd.DataFrame({"account_id": ["=cmd|' /C calc'!A0", "A2"], "health_change": [-3, 4]})
    write_csv(movers, tmp_path / "movers.csv")
    lines = (tmp_path / "movers.csv").read_text().splitlines()
    assert lines[1].startswith("\"'=cmd")
    assert pd.read_csv(tmp_path / "movers.csv")["health_change"].tolist() == [-3, 4]

    matrix = pd.DataFrame({"green": [5, 1]}, index=pd.Index(["-red", "green"], name="before"))
    write_csv(matrix, tmp_path / "migration.csv", index=True)
    back = pd.read_csv(tmp_path / "migration.csv", index_col=0)
    assert back.index.tolist() == ["'-red", "green"] and back["green"].tolist() == [5, 1]

    write_csv(movers.iloc[:0], tmp_path / "empty.csv")  # no movers: a header alone
    assert pd.read_csv(tmp_path / "empty.csv").columns.tolist() == ["account_id", "health_change"]


def test_a_filtered_frame_is_written_without_its_row_numbers(tmp_path):
    import pandas as pd

    from serving.outputs import write_csv

    movers = pd.DataFrame({"account_id": ["A1", "A2"], "health_change": [-3, 4]}, index=[5, 9])
    write_csv(movers, tmp_path / "movers.csv")
    assert (tmp_path / "movers.csv").read_text().splitlines() == [
        '"account_id","health_change"',
        '"A1",-3',
        '"A2",4',
    ]
