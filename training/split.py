"""Out-of-time split: train on earlier as-of dates, validate on the latest, with a gap between.

The gap is the label window plus grace: a training row's label looks that far ahead, so with it no
training label can see into the validation period.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Split:
    train: pd.DataFrame
    validation: pd.DataFrame
    train_dates: list[pd.Timestamp]
    validation_dates: list[pd.Timestamp]
    gap_days: int


def out_of_time_split(
    matrix: pd.DataFrame, label: str, gap_days: int, validation_dates: int = 3
) -> Split:
    """Rows with a known ``label``; the last ``validation_dates`` as-of dates validate."""
    known = matrix[matrix[label].notna()]
    dates = sorted(pd.Timestamp(d) for d in known["as_of"].unique())
    if len(dates) < validation_dates + 1:
        raise ValueError(
            f"out-of-time validation needs at least {validation_dates + 1} as-of dates with a known "
            f"'{label}' label, found {len(dates)}: use more history or a shorter horizon"
        )
    val_dates = dates[-validation_dates:]
    cutoff = val_dates[0] - pd.Timedelta(days=gap_days)
    train_dates = [d for d in dates if d <= cutoff]
    if not train_dates:
        raise ValueError(
            f"no as-of date is at least {gap_days} days before the validation period "
            f"starting {val_dates[0].date()}: the data covers too little history for '{label}'"
        )
    return Split(
        train=known[known["as_of"].isin(train_dates)],
        validation=known[known["as_of"].isin(val_dates)],
        train_dates=train_dates,
        validation_dates=val_dates,
        gap_days=gap_days,
    )
