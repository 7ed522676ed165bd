"""A ready feature table (one row per account, or per account and as-of date) as a training matrix.

So a team that builds features in its warehouse (or with ``health features --engine spark``) can
still use the split, models, calibration, tracking and gate. Columns are typed by
``features.table`` (as scoring types them); the label is mapped to 0/1.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from features.flags import FALSE_WORDS, TRUE_WORDS
from features.matrix import LABELS
from features.table import check_columns, feature_rows, read_table, typed_feature

__all__ = ["feature_table_matrix", "label_values", "read_table", "typed_feature"]

# Labels also come as words for the outcome itself ("Attrited Customer" is given with --positive).
POSITIVE_WORDS = TRUE_WORDS | {"churned", "churn", "attrited", "positive"}
NEGATIVE_WORDS = FALSE_WORDS | {"retained", "existing", "negative"}


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


def feature_table_matrix(
    table: pd.DataFrame,
    label: str,
    id_column: str | None = None,
    positive: str | None = None,
    drop: Sequence[str] = (),
    as_of_column: str = "as_of",
    target: str = "churned",
) -> pd.DataFrame:
    """``account_id, as_of``, the typed features, then the label as 0/1 under the name ``target``.

    ``target`` is the matrix's label column (``churned``, ``renewed`` or ``stayed``), so the model
    registers under the name scoring looks for (``churn``, ``renewal``, ``health``) whatever the
    table calls its label.
    The other label column of a feature matrix (``health features`` output) is never a feature.
    """
    if target not in LABELS:
        raise ValueError(f"target must be one of {', '.join(LABELS)}, got {target!r}")
    check_columns(table, [(label, "--label"), *[(d, "--drop") for d in drop]])
    other_labels = [c for c in LABELS if c in table.columns and c != label]
    out = feature_rows(table, id_column, [label, *drop, *other_labels], as_of_column)
    out[target] = label_values(table[label], positive).to_numpy()
    return out
