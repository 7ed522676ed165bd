"""The feature matrix: one row per active account per as-of date, the same for training and scoring."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pandas as pd

from features.builders import BUILDERS
from features.contract import Tables
from features.pointintime import prepare_tables, visible_tables
from features.timeline import LabelConfig, active_grid, active_terms, labels, observation_end

KEYS = ["account_id", "as_of"]
LABELS = ["churned", "renewed"]

Progress = Callable[[int, int, pd.Timestamp], None]


def features_at(prepared: Tables, as_of: pd.Timestamp) -> pd.DataFrame:
    """Features of every account active at ``as_of``, from ``prepare_tables`` output."""
    visible = visible_tables(prepared, as_of)
    accounts = pd.Index(active_terms(visible.subscriptions, as_of)["account_id"], name="account_id")
    present = set(visible.present())
    parts = [
        builder(visible, as_of, accounts) for _, builder, needs in BUILDERS if set(needs) <= present
    ]
    frame = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=accounts)
    frame = frame.loc[:, ~frame.columns.duplicated()]
    frame.insert(0, "as_of", as_of)
    return frame.reset_index()


def build_features(
    tables: Tables, as_of_dates: Iterable[pd.Timestamp], progress: Progress | None = None
) -> pd.DataFrame:
    """``account_id, as_of, features...`` for every active account at each as-of date."""
    dates = [pd.Timestamp(d) for d in as_of_dates]
    prepared = prepare_tables(tables)
    frames = []
    for i, as_of in enumerate(dates):
        frames.append(features_at(prepared, as_of))
        if progress is not None:
            progress(i + 1, len(dates), as_of)
    matrix = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=KEYS)
    return matrix


def build_feature_matrix(
    tables: Tables,
    as_of_dates: Iterable[pd.Timestamp],
    label_config: LabelConfig = LabelConfig(),
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Features plus the ``churned`` and ``renewed`` labels (NaN where censored or undefined).

    Labels are the only columns computed from data after ``as_of``.
    """
    matrix = build_features(tables, as_of_dates, progress)
    dates = [pd.Timestamp(t) for t in matrix["as_of"].unique()]
    grid = active_grid(tables.subscriptions, dates)
    target = labels(tables.subscriptions, grid, observation_end(tables), label_config)
    return matrix.merge(target, on=KEYS, how="left", validate="one_to_one")


def feature_columns(matrix: pd.DataFrame) -> list[str]:
    """The feature columns of a matrix (everything but keys and labels)."""
    return [c for c in matrix.columns if c not in KEYS and c not in LABELS]
