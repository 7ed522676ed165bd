"""Small per-account reductions that the family modules share: counts, changes, days."""

from __future__ import annotations

import numpy as np
import pandas as pd

DAY = pd.Timedelta(days=1)


def count_rows(frame: pd.DataFrame, accounts: pd.Index, column: str | None = None) -> pd.Series:
    """Rows (or the sum of ``column``) per account, 0 for accounts without any."""
    grouped = frame.groupby("account_id", sort=False)
    counts = grouped[column].sum() if column else grouped.size()
    return counts.reindex(accounts, fill_value=0).astype(float)


def relative_change(now: pd.Series, before: pd.Series) -> pd.Series:
    """(now - before) / before, NaN where there is no 'before' to compare with."""
    return (now - before) / before.where(before > 0)


def in_days(delta: pd.Series) -> pd.Series:
    """Time differences as (fractional) days."""
    return delta / DAY


def ratio(num: pd.Series, den: pd.Series | float) -> pd.Series:
    """num / den, NaN where the denominator is zero or unknown."""
    if isinstance(den, pd.Series):
        return num / den.where(den > 0)
    return num / den if den > 0 else num * np.nan
