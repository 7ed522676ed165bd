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
