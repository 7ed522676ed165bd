"""Validation splits: out of time where the data has history, stratified K-fold where it has none.

Out of time: train on earlier as-of dates, validate on the latest, with a gap between. The gap is
the label window plus grace: a training row's label looks that far ahead, so with it every training
label is settled before the first validation date and none can see into the validation period.
The same account may appear on both sides, but only with its past on the training side: nothing a
training row holds (features or label) comes from the validation period.

A flat table (one as-of date) has no time to split on; it falls back to stratified K-fold with
folds grouped by account, so no account straddles a fold.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold

OUT_OF_TIME = "out-of-time"

# Per row, the first day its label is known (``features.labels.label_known_from``): for a label
# whose window differs row by row (``stayed``: up to the term end), instead of one fixed gap.
KnownFrom = Callable[[pd.DataFrame], pd.Series]


def kfold_scheme(folds: int) -> str:
    return f"stratified-{folds}-fold"


@dataclass(frozen=True)
class Split:
    """Training and validation rows. For K-fold both hold every row and ``folds`` says which
    validation fold each row falls in (rows are predicted by a model that never saw them)."""

    train: pd.DataFrame
    validation: pd.DataFrame
    train_dates: list[pd.Timestamp]
    validation_dates: list[pd.Timestamp]
    gap_days: int
    scheme: str = OUT_OF_TIME
    folds: np.ndarray | None = field(default=None, repr=False)

    @property
    def is_out_of_time(self) -> bool:
        return self.scheme == OUT_OF_TIME


def known_rows(matrix: pd.DataFrame, label: str) -> pd.DataFrame:
    """Rows whose label is known (censored and undefined labels are NaN)."""
    return matrix[matrix[label].notna()]


def training_cutoff(first_validation: pd.Timestamp, gap_days: int) -> pd.Timestamp:
    """Training as-of dates must be strictly before this: their label window then ends before
    ``first_validation``."""
    return pd.Timestamp(first_validation) - pd.Timedelta(days=gap_days)


def settled_before(
    frame: pd.DataFrame, date: pd.Timestamp, gap_days: int, known_from: KnownFrom | None = None
) -> pd.Series:
    """Rows whose label is known before ``date``: ``as_of + gap_days`` before it, or with
    ``known_from`` each row's own day (then only rows dated before ``date`` too)."""
    date = pd.Timestamp(date)
    if known_from is None:
        return frame["as_of"] < training_cutoff(date, gap_days)
    return (frame["as_of"] < date) & (known_from(frame) < date)


def out_of_time_split(
    matrix: pd.DataFrame,
    label: str,
    gap_days: int,
    validation_dates: int = 3,
    known_from: KnownFrom | None = None,
) -> Split:
    """Rows with a known ``label``; the last ``validation_dates`` as-of dates validate.

    Training rows are those whose label is known before the first validation date
    (``settled_before``); with ``known_from`` the recorded gap is the days from the last training
    date to the last day a training label became known.
    """
    known = known_rows(matrix, label)
    dates = sorted(pd.Timestamp(d) for d in known["as_of"].unique())
    if len(dates) < validation_dates + 1:
        raise ValueError(
            f"out-of-time validation needs at least {validation_dates + 1} as-of dates with a known "
            f"'{label}' label, found {len(dates)}: use more history or a shorter horizon"
        )
    val_dates = dates[-validation_dates:]
    train = known[settled_before(known, val_dates[0], gap_days, known_from)]
    train_dates = sorted(pd.Timestamp(d) for d in train["as_of"].unique())
    if not train_dates:
        raise ValueError(
            f"no as-of date is more than {gap_days} days before the validation period "
            f"starting {val_dates[0].date()}: the data covers too little history for '{label}'"
        )
    if known_from is not None:
        gap_days = int(np.ceil((known_from(train).max() - train_dates[-1]) / pd.Timedelta(days=1)))
    return Split(
        train=train,
        validation=known[known["as_of"].isin(val_dates)],
        train_dates=train_dates,
        validation_dates=val_dates,
        gap_days=gap_days,
    )


def kfold_split(matrix: pd.DataFrame, label: str, folds: int = 5, seed: int = 0) -> Split:
    """Every known row, each assigned to one of ``folds`` stratified folds grouped by account."""
    known = known_rows(matrix, label).reset_index(drop=True)
    y = known[label].astype(int).to_numpy()
    if np.bincount(y, minlength=2).min() < folds:
        raise ValueError(
            f"stratified {folds}-fold validation needs at least {folds} rows of each class of "
            f"'{label}', found {np.bincount(y, minlength=2).tolist()}"
        )
    assignment = np.empty(len(known), dtype=int)
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    groups = known["account_id"].astype(str).to_numpy()
    for fold, (_, held) in enumerate(splitter.split(np.zeros(len(y)), y, groups)):
        assignment[held] = fold
    dates = sorted(pd.Timestamp(d) for d in known["as_of"].unique())
    return Split(
        train=known,
        validation=known,
        train_dates=dates,
        validation_dates=dates,
        gap_days=0,
        scheme=kfold_scheme(folds),
        folds=assignment,
    )


def validation_split(
    matrix: pd.DataFrame,
    label: str,
    gap_days: int,
    validation_dates: int = 3,
    folds: int = 5,
    seed: int = 0,
    known_from: KnownFrom | None = None,
) -> Split:
    """Out of time when the labelled rows span several as-of dates, else stratified K-fold."""
    if known_rows(matrix, label)["as_of"].nunique() > 1:
        return out_of_time_split(matrix, label, gap_days, validation_dates, known_from)
    return kfold_split(matrix, label, folds, seed)


def early_stopping_split(
    train: pd.DataFrame,
    label: str,
    gap_days: int,
    seed: int = 0,
    known_from: KnownFrom | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """An inner split of the training rows for early stopping and tuning, never touching validation.

    With several as-of dates: the latest fifth of them (at least one) hold out, and inner training
    dates keep the same gap before them. With one date, or too little history for that gap: a
    stratified 80/20 split grouped by account. None when either side would lack a class.
    """
    dates = sorted(pd.Timestamp(d) for d in train["as_of"].unique())
    if len(dates) > 1:
        stop_dates = dates[-max(1, len(dates) // 5) :]
        inner = train[settled_before(train, stop_dates[0], gap_days, known_from)]
        stop = train[train["as_of"].isin(stop_dates)]
        if _both_classes(inner, label) and _both_classes(stop, label):
            return inner, stop
    y = train[label].astype(int).to_numpy()
    if np.bincount(y, minlength=2).min() < 5:
        return None
    splitter = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=seed)
    groups = train["account_id"].astype(str).to_numpy()
    fit_idx, stop_idx = next(splitter.split(np.zeros(len(y)), y, groups))
    inner, stop = train.iloc[fit_idx], train.iloc[stop_idx]
    if _both_classes(inner, label) and _both_classes(stop, label):
        return inner, stop
    return None


def _both_classes(frame: pd.DataFrame, label: str) -> bool:
    return frame[label].nunique() == 2
