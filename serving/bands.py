"""Health bands: the 0-100 health score, its thresholds, the band order and the band colours.

Every module that scores, reports or draws bands reads them from here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.account import MONTH_DAYS, term_months

# Worst first: the order of every table, chart and count of bands.
BANDS = ("red", "yellow", "green")
BAND_COLOURS = {"red": "#d62728", "yellow": "#e8b600", "green": "#2ca02c"}
GREEN_FROM = 80
RED_BELOW = 60


@dataclass(frozen=True)
class BandConfig:
    """Band thresholds on the 0-100 health score (100 x the chance of staying through a year,
    ``health_score``).

    On the yearly footing the demo's typical customer leaves within a year 20% of the time
    (monthly 0.979^12 = 0.77 staying, annual 0.82): green from 80 is at most that (as likely to
    stay as the typical customer, or likelier), red below 60 at least twice it. Fixed numbers on
    the score, rather than ones relative to a base rate, mean the same account in the same state
    keeps its band when the model or the customer mix changes.
    """

    green_from: int = GREEN_FROM
    red_below: int = RED_BELOW

    def __post_init__(self) -> None:
        if not 0 <= self.red_below <= self.green_from <= 101:
            raise ValueError(
                f"bands need 0 <= red_below ({self.red_below}) <= green_from ({self.green_from})"
            )


YEAR_MONTHS = 12


def decision_months(term_length_days: np.ndarray, horizon_days: float) -> np.ndarray:
    """Months between an account's decisions: its current term's whole months
    (``features.account.term_months``, at least 1), or the horizon's for an open-ended
    subscription (no term length).

    Whole months, so a renewal date moved by up to two weeks, or a 28-day February term, leaves
    the footing as it was: the cadence is the contract's (monthly, annual), not the calendar's.
    """
    months = term_months(pd.Series(np.asarray(term_length_days, dtype=float))).to_numpy()
    horizon = max(float(np.rint(horizon_days / MONTH_DAYS)), 1.0)
    return np.where(np.isnan(months), horizon, months)


def yearly_footing(p_stay: np.ndarray, months: np.ndarray) -> np.ndarray:
    """The chance of staying through a year at the account's own per-decision rate:
    ``P(stays at the next decision) ** (12 / months between decisions)``.

    A monthly customer decides twelve times a year and an annual one once, so their chances at
    the next decision are not comparable (0.98 a month is 0.78 a year); on one footing they are.
    It treats the decisions in a year as alike for the account as it is now.
    """
    p = np.asarray(p_stay, dtype=float)
    return p ** (YEAR_MONTHS / np.asarray(months, dtype=float))


def health_score(p_stay: np.ndarray, months: np.ndarray) -> np.ndarray:
    """The 0-100 health score: ``round(100 x yearly_footing(P(stays at the next decision)))``."""
    return np.rint(100 * yearly_footing(p_stay, months)).astype(int)


def band(score: np.ndarray, config: BandConfig) -> np.ndarray:
    """``green`` from ``green_from``, ``red`` below ``red_below``, ``yellow`` between."""
    return np.where(
        score >= config.green_from, "green", np.where(score < config.red_below, "red", "yellow")
    )


def band_rules(config: BandConfig) -> dict[str, str]:
    """Each band's rule in words, worst first (as scoring manifests record them)."""
    return {
        "red": f"health_score < {config.red_below}",
        "yellow": f"{config.red_below} <= health_score < {config.green_from}",
        "green": f"health_score >= {config.green_from}",
    }


def band_label(name: str, config: BandConfig) -> str:
    """A band with its score range, for chart axes: 'red (health < 75)'."""
    if name == "red":
        return f"{name} (health < {config.red_below})"
    if name == "green":
        return f"{name} (health >= {config.green_from})"
    return f"{name} ({config.red_below}-{config.green_from - 1})"
