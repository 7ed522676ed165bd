"""Yes/no values written as text: the one rule for which words mean true and which mean false."""

from __future__ import annotations

import numpy as np
import pandas as pd

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1", "1.0"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0", "0.0"})


def flag_words(values: pd.Series) -> pd.Series:
    """Each value as trimmed lower-case text ('' where missing), the form the word lists use."""
    return values.astype("object").where(values.notna(), "").astype(str).str.strip().str.lower()


def is_flag_column(values: pd.Series) -> bool:
    """Whether every present value is a true or a false word (and at least one is present)."""
    words = flag_words(values.dropna())
    return bool(len(words)) and bool(words.isin(TRUE_WORDS | FALSE_WORDS).all())


def truthy(values: pd.Series) -> np.ndarray:
    """True for true-like values (True, 1, "true", "yes", ...); missing counts as false."""
    if pd.api.types.is_bool_dtype(values.dtype) or pd.api.types.is_numeric_dtype(values.dtype):
        return values.fillna(0).astype(bool).to_numpy()
    return flag_words(values).isin(TRUE_WORDS).to_numpy()
