"""Positive rate of a label per as-of date, and a warning when the latest dates' rate jumps.

A jump at the end of the history is the sign of renewals not yet recorded (a subscription feed
that ends before the other tables): accounts whose term ended in the last weeks look churned.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LATEST_DATES = 2
JUMP_RATIO = 1.5
JUMP_Z = 3.0
MIN_POSITIVES = 10


def positive_rates(matrix: pd.DataFrame, label: str) -> pd.DataFrame:
    """``as_of, rows, positives, rate`` over the rows with a known ``label``."""
    known = matrix[matrix[label].notna()]
    grouped = known.groupby("as_of")[label]
    out = pd.DataFrame({"rows": grouped.size(), "positives": grouped.sum()})
    out["rate"] = out["positives"] / out["rows"]
    return out.reset_index()


def rate_jump(rates: pd.DataFrame, label: str, latest: int = LATEST_DATES) -> str | None:
    """One sentence when the latest ``latest`` dates' positive rate is far above the earlier dates'.

    Far above: at least ``JUMP_RATIO`` times the earlier rate, ``JUMP_Z`` binomial standard
    errors above it and ``MIN_POSITIVES`` positives (so a handful of rows cannot trigger it).
    """
    if len(rates) < latest + 2:
        return None
    early, late = rates.iloc[:-latest], rates.iloc[-latest:]
    p_early = early["positives"].sum() / early["rows"].sum()
    n_late = late["rows"].sum()
    p_late = late["positives"].sum() / n_late
    spread = np.sqrt(max(p_early * (1 - p_early), 1e-12) / n_late)
    enough = late["positives"].sum() >= MIN_POSITIVES
    if enough and p_late >= JUMP_RATIO * p_early and (p_late - p_early) / spread >= JUMP_Z:
        first = pd.Timestamp(late["as_of"].iloc[0]).date()
        return (
            f"The '{label}' rate of the latest {latest} as-of dates (from {first}) is "
            f"{p_late:.1%} against {p_early:.1%} before: a sign of renewals not yet recorded "
            f"(a subscription feed ending before the other tables); check `health validate`'s "
            f"coverage and set observed_until (--observed-until) to the feed's last day."
        )
    return None
