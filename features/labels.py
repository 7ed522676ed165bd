"""Labels (DESIGN section 2): coverage spells, the churn, renewal and stay labels, churn dates.

A coverage spell is an account's continuous coverage: its terms merged where the next one starts
within the grace gap. The spell that holds an account at an as-of date decides every label and,
for a churn, its date. Labels are the only values computed from data after the as-of date.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.subscriptions import OPEN_END


@dataclass(frozen=True)
class LabelConfig:
    """Label windows in days; the defaults are DESIGN's."""

    horizon_days: int = 90
    renewal_window_days: int = 120
    grace_days: int = 14


def coverage_spells(subscriptions: pd.DataFrame, grace_days: int = 14) -> pd.DataFrame:
    """Continuous coverage per account: terms merged where the next starts within the grace gap.

    Returns ``account_id, spell_start, spell_end`` (``spell_end`` = ``OPEN_END`` for running terms).
    """
    subs = subscriptions[["account_id", "start_date", "end_date"]].copy()
    subs["end_date"] = subs["end_date"].fillna(OPEN_END)
    subs = subs.sort_values(["account_id", "start_date"], kind="stable").reset_index(drop=True)
    reach = subs.groupby("account_id", sort=False)["end_date"].cummax()
    previous_reach = reach.groupby(subs["account_id"], sort=False).shift()
    gap = pd.Timedelta(days=grace_days)
    new_spell = previous_reach.isna() | (subs["start_date"] > previous_reach + gap)
    subs["spell"] = new_spell.cumsum()
    spells = subs.groupby("spell", sort=False).agg(
        account_id=("account_id", "first"),
        spell_start=("start_date", "min"),
        spell_end=("end_date", "max"),
    )
    return spells.reset_index(drop=True)


def holding_spell_end(spells: pd.DataFrame, rows: pd.DataFrame) -> pd.Series:
    """For each row (``account_id, as_of``): the end of the spell holding the account at ``as_of``.

    Indexed like ``rows``; NaT where no spell holds the account then.
    """
    keyed = rows[["account_id", "as_of"]].assign(_row=np.arange(len(rows)))
    joined = keyed.merge(spells, on="account_id", how="left")
    holds = (joined["spell_start"] < joined["as_of"]) & (joined["spell_end"] >= joined["as_of"])
    ends = joined[holds].drop_duplicates("_row").set_index("_row")["spell_end"]
    return pd.Series(ends.reindex(np.arange(len(rows))).to_numpy(), index=rows.index)


def labels(
    subscriptions: pd.DataFrame,
    grid: pd.DataFrame,
    data_end: pd.Timestamp,
    config: LabelConfig = LabelConfig(),
) -> pd.DataFrame:
    """Churn and renewal labels for ``grid`` rows (``account_id, as_of, term_end``).

    ``churned``: the coverage holding the account at ``as_of`` ends within the horizon and does not
    resume within the grace gap. ``renewed``: for a term ending within the renewal window, whether
    coverage continues past it. Labels whose window runs past ``data_end`` are NaN (censored), as
    are renewal labels of accounts with no term end in the window.
    """
    out = grid[["account_id", "as_of", "term_end"]]
    spells = coverage_spells(subscriptions, config.grace_days)
    spell_end = holding_spell_end(spells, out).to_numpy()

    horizon = pd.Timedelta(days=config.horizon_days)
    grace = pd.Timedelta(days=config.grace_days)
    as_of = out["as_of"].to_numpy()
    churned = (spell_end <= as_of + horizon).astype(float)
    churn_censored = as_of + horizon + grace > np.datetime64(data_end)
    churned[churn_censored] = np.nan

    term_end = out["term_end"].to_numpy()
    window = pd.Timedelta(days=config.renewal_window_days)
    in_window = ~pd.isna(term_end) & (term_end <= as_of + window)
    renewed = (spell_end > term_end).astype(float)
    renew_known = in_window & ~(term_end + grace > np.datetime64(data_end))
    renewed[~renew_known] = np.nan

    return pd.DataFrame(
        {
            "account_id": out["account_id"].to_numpy(),
            "as_of": out["as_of"].to_numpy(),
            "churned": churned,
            "renewed": renewed,
        }
    )


def decision_points(grid: pd.DataFrame, config: LabelConfig = LabelConfig()) -> pd.Series:
    """Each row's next decision point: its current term's end, or ``as_of + horizon`` when the
    subscription runs open-ended (no term end). Indexed like ``grid`` (``as_of, term_end``)."""
    horizon = pd.Timedelta(days=config.horizon_days)
    return grid["term_end"].where(grid["term_end"].notna(), grid["as_of"] + horizon)


def stay_labels(
    subscriptions: pd.DataFrame,
    grid: pd.DataFrame,
    data_end: pd.Timestamp,
    config: LabelConfig = LabelConfig(),
) -> pd.DataFrame:
    """Whether each ``grid`` row (``account_id, as_of, term_end``) stays at its next decision point.

    ``stayed`` = 1 when the coverage holding the account at ``as_of`` runs past the decision point
    (``decision_points``): past the current term's end however far away it is (a renewal starting
    within the grace gap continues the coverage), or past ``as_of + horizon`` for an open-ended
    subscription. NaN (censored) where the decision point plus the grace gap falls after
    ``data_end``: whether it stayed is not known yet, and is never guessed.
    """
    out = grid[["account_id", "as_of", "term_end"]]
    spells = coverage_spells(subscriptions, config.grace_days)
    spell_end = holding_spell_end(spells, out).to_numpy()
    decision = decision_points(out, config).to_numpy()
    stayed = (spell_end > decision).astype(float)
    grace = pd.Timedelta(days=config.grace_days)
    stayed[decision + grace > np.datetime64(data_end)] = np.nan
    return pd.DataFrame(
        {
            "account_id": out["account_id"].to_numpy(),
            "as_of": out["as_of"].to_numpy(),
            "stayed": stayed,
        }
    )


def label_known_from(
    frame: pd.DataFrame, label: str, config: LabelConfig = LabelConfig()
) -> pd.Series:
    """The first day each row's ``label`` is known (its window plus the grace gap has passed).

    ``frame`` holds ``as_of`` and, for ``stayed``, the feature ``days_to_term_end`` (missing or NaN:
    open-ended, decided at ``as_of + horizon``). Training sides a row with the past of a date only
    when its label is known before that date.
    """
    window = {"churned": config.horizon_days, "renewed": config.renewal_window_days}
    if label in window:
        days = pd.Series(float(window[label]), index=frame.index)
    elif label == "stayed":
        to_end = frame.get("days_to_term_end", np.nan)
        days = pd.Series(to_end, index=frame.index, dtype=float).fillna(config.horizon_days)
    else:
        raise ValueError(f"no label window for {label!r}")
    return frame["as_of"] + pd.to_timedelta(days + config.grace_days, unit="D")


def churn_dates(subscriptions: pd.DataFrame, rows: pd.DataFrame, grace_days: int = 14) -> pd.Series:
    """For rows that churned (``churned == 1``): the end of the spell holding them at ``as_of``."""
    ends = holding_spell_end(coverage_spells(subscriptions, grace_days), rows)
    return ends.where(rows["churned"] == 1)
