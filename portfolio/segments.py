"""Segments: every metric for the whole portfolio (``all``) and per value of one account column.

A segment is a static attribute of the accounts table (plan, industry, country, ...) or a health
band from a scoring output. An account without a value falls in ``(missing)``.
"""

from __future__ import annotations

import pandas as pd

ALL = "all"
MISSING = "(missing)"


class SegmentError(ValueError):
    """A ``--by`` column that is not in the accounts table."""


def account_segments(accounts: pd.DataFrame, by: str | None) -> pd.Series:
    """``account_id -> segment`` (text), or an empty Series when no segmentation is asked for."""
    if by is None:
        return pd.Series(dtype=object, index=pd.Index([], name="account_id"))
    if by not in accounts.columns or by == "account_id":
        usable = ", ".join(c for c in accounts.columns if c != "account_id")
        raise SegmentError(f"accounts has no column {by!r} to segment by (columns: {usable})")
    values = accounts[by].astype("object").where(accounts[by].notna())
    text = values.map(lambda v: MISSING if pd.isna(v) else str(v))
    return pd.Series(text.to_numpy(), index=pd.Index(accounts["account_id"], name="account_id"))


def with_segments(frame: pd.DataFrame, segments: pd.Series) -> pd.DataFrame:
    """``frame`` (with ``account_id``) once as segment ``all`` and once per its account's segment."""
    whole = frame.assign(segment=ALL)
    if segments.empty:
        return whole
    own = segments.reindex(frame["account_id"].to_numpy()).fillna(MISSING).to_numpy()
    return pd.concat([whole, frame.assign(segment=own)], ignore_index=True)


def segment_order(values: pd.Series) -> list[str]:
    """``all`` first, then the segments in sorted order."""
    rest = sorted(v for v in pd.unique(values) if v != ALL)
    return [ALL, *rest] if ALL in set(values) else rest
