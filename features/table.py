"""A ready feature table (one row per account, or per account and as-of date) as feature rows.

Training (``training.table``) and scoring (``serving.score.score_table_job``) type a table's
columns with this one function, so a model trained from a table scores rows typed the same way.
Text columns become categories, blank strings become missing, numbers written as text become
numbers. A table is a CSV file, a Parquet file, or a Parquet folder (as Spark writes it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

# A table without an as-of column is a snapshot: every row gets this date (one date: K-fold).
SNAPSHOT_DATE = pd.Timestamp("1970-01-01")
PARQUET_SUFFIXES = (".parquet", ".pq")


def read_table(path: str | Path) -> pd.DataFrame:
    """A CSV file, a Parquet file or a Parquet folder as read; every CSV column as text.

    A folder is read as one Parquet dataset (Spark's part files; ``_SUCCESS`` and hidden files
    are skipped).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file or folder: {path}")
    if path.is_dir() or path.suffix.lower() in PARQUET_SUFFIXES:
        return pd.read_parquet(path)
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _text(column: pd.Series) -> pd.Series:
    """Stripped text, None where missing or blank."""
    text = column.astype("object").where(column.notna(), None)
    return text.map(lambda v: None if v is None or str(v).strip() == "" else str(v).strip())


def reads_as_numbers(column: pd.Series) -> bool:
    """Whether ``typed_feature`` makes the column numbers: it is numeric or boolean already, or
    every value that is not blank is a number written as text. True of a whole table exactly
    when true of every part of it, so a partitioned engine can decide per part and combine."""
    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
        return True
    text = _text(column)
    return bool(pd.to_numeric(text, errors="coerce").notna().sum() == text.notna().sum())


def typed_feature(column: pd.Series, numbers: bool | None = None) -> pd.Series:
    """Numbers stay numbers (text that is all numbers becomes numbers); anything else is a
    category as text; blank strings are missing. ``numbers`` gives the decision made on the
    whole table when ``column`` is only a part of it."""
    numbers = reads_as_numbers(column) if numbers is None else numbers
    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
        return column.astype(float) if numbers else _text(column).astype("object")
    text = _text(column)
    if numbers:
        return pd.to_numeric(text, errors="coerce").astype(float)
    return text.astype("object")


def check_columns(table: pd.DataFrame, named: Sequence[tuple[str | None, str]]) -> None:
    """Fail naming the option when a column it names is not in the table."""
    columns = set(table.columns)
    for name, role in named:
        if name is not None and name not in columns:
            raise ValueError(f"{role} {name!r} is not a column of the table")


def feature_rows(
    table: pd.DataFrame,
    id_column: str | None = None,
    skip: Sequence[str] = (),
    as_of_column: str = "as_of",
    numbers: Mapping[str, bool] | None = None,
) -> pd.DataFrame:
    """``account_id, as_of`` and every other column (but ``skip``) typed as a feature.

    Without ``id_column`` (or an ``account_id`` column) rows are numbered; without an as-of column
    every row gets one snapshot date. ``numbers`` holds, per column, the whole table's
    ``reads_as_numbers`` when ``table`` is one part of it.
    """
    check_columns(table, [(id_column, "--id")])
    id_column = id_column or ("account_id" if "account_id" in table.columns else None)
    ids = (
        table[id_column].astype(str).str.strip().to_numpy()
        if id_column
        else np.arange(len(table)).astype(str)
    )
    if as_of_column in table.columns:
        as_of = pd.to_datetime(table[as_of_column], errors="raise")
    else:
        as_of = pd.Series(SNAPSHOT_DATE, index=table.index)
    ignored = {id_column, as_of_column, *skip}
    numbers = numbers or {}
    features = {
        name: typed_feature(table[name], numbers.get(name))
        for name in table.columns
        if name not in ignored
    }
    out = pd.DataFrame({"account_id": ids, "as_of": as_of.to_numpy()}, index=table.index)
    out = pd.concat([out, pd.DataFrame(features, index=table.index)], axis=1)
    if out.duplicated(["account_id", "as_of"]).any():
        raise ValueError(f"the table has repeated ({id_column or 'row'}, as-of) pairs")
    return out.reset_index(drop=True)
