"""A ready feature table (one row per account, or per account and as-of date) as a training matrix.

So a team that builds features in its warehouse can still use the split, models, calibration,
tracking and gate. Text columns become categories, blank strings become missing, numbers written
as text become numbers, and the label is mapped to 0/1.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from features.flags import FALSE_WORDS, TRUE_WORDS

# A table without an as-of column is a snapshot: every row gets this date (one date: K-fold).
SNAPSHOT_DATE = pd.Timestamp("1970-01-01")
# Labels also come as words for the outcome itself ("Attrited Customer" is given with --positive).
POSITIVE_WORDS = TRUE_WORDS | {"churned", "churn", "attrited", "positive"}
NEGATIVE_WORDS = FALSE_WORDS | {"retained", "existing", "negative"}


def read_table(path: str | Path) -> pd.DataFrame:
    """A CSV or Parquet file as read, every CSV column as text (typed later, column by column)."""
    path = Path(path)
    if path.suffix.lower() in (".parquet", ".pq"):
        return pd.read_parquet(path)
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def label_values(column: pd.Series, positive: str | None = None) -> pd.Series:
    """The label as 1.0/0.0 (NaN where blank): ``positive`` names the positive value, else the
    values must be 0/1, true/false or yes/no."""
    text = column.astype("object").where(column.notna(), "").astype(str).str.strip()
    known = text != ""
    if positive is not None:
        values = (text == str(positive).strip()).astype(float)
        if not values[known].any():
            seen = ", ".join(sorted(text[known].unique())[:10])
            raise ValueError(f"no row has the positive label value {positive!r}; values: {seen}")
        return values.where(known)
    lowered = text.str.lower()
    unknown = sorted(set(lowered[known]) - POSITIVE_WORDS - NEGATIVE_WORDS)
    if unknown:
        raise ValueError(
            f"label values {unknown[:10]} are not 0/1, true/false or yes/no: "
            "say which value is the positive class (--positive VALUE)"
        )
    return lowered.isin(POSITIVE_WORDS).astype(float).where(known)


def typed_feature(column: pd.Series) -> pd.Series:
    """Numbers stay numbers (text that is all numbers becomes numbers); anything else is a
    category as text; blank strings are missing."""
    if pd.api.types.is_bool_dtype(column):
        return column.astype(float)
    if pd.api.types.is_numeric_dtype(column):
        return column.astype(float)
    text = column.astype("object").where(column.notna(), None)
    text = text.map(lambda v: None if v is None or str(v).strip() == "" else str(v).strip())
    numbers = pd.to_numeric(text, errors="coerce")
    if numbers.notna().sum() == text.notna().sum():
        return numbers.astype(float)
    return text.astype("object")


def feature_table_matrix(
    table: pd.DataFrame,
    label: str,
    id_column: str | None = None,
    positive: str | None = None,
    drop: Sequence[str] = (),
    as_of_column: str = "as_of",
) -> pd.DataFrame:
    """``account_id, as_of``, the typed features, then ``label`` as 0/1.

    Without ``id_column`` (or an ``account_id`` column) rows are numbered; without an as-of column
    every row gets one snapshot date, so training falls back to stratified K-fold.
    """
    columns = set(table.columns)
    for name, role in ((label, "--label"), (id_column, "--id"), *[(d, "--drop") for d in drop]):
        if name is not None and name not in columns:
            raise ValueError(f"{role} {name!r} is not a column of the table")
    id_column = id_column or ("account_id" if "account_id" in columns else None)
    ids = (
        table[id_column].astype(str).str.strip().to_numpy()
        if id_column
        else np.arange(len(table)).astype(str)
    )
    if as_of_column in columns:
        as_of = pd.to_datetime(table[as_of_column], errors="raise")
    else:
        as_of = pd.Series(SNAPSHOT_DATE, index=table.index)
    skip = {label, id_column, as_of_column, *drop}
    features = {name: typed_feature(table[name]) for name in table.columns if name not in skip}
    out = pd.DataFrame({"account_id": ids, "as_of": as_of.to_numpy()}, index=table.index)
    out = pd.concat([out, pd.DataFrame(features, index=table.index)], axis=1)
    out[label] = label_values(table[label], positive)
    if out.duplicated(["account_id", "as_of"]).any():
        raise ValueError(f"the table has repeated ({id_column or 'row'}, as-of) pairs")
    return out.reset_index(drop=True)
