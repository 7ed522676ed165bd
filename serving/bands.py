"""Health bands: the 0-100 health score, its thresholds, the band order and the band colours.

Every module that scores, reports or draws bands reads them from here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Worst first: the order of every table, chart and count of bands.
BANDS = ("red", "yellow", "green")
BAND_COLOURS = {"red": "#d62728", "yellow": "#e8b600", "green": "#2ca02c"}
GREEN_FROM = 90
RED_BELOW = 75


@dataclass(frozen=True)
class BandConfig:
    """Band thresholds on the 0-100 health score (100 x P(stays at the next decision point)).

    GREEN_FROM/RED_BELOW are set on the demo's out-of-time validation and backtest: see the values
    below. Fixed numbers on the score, rather than ones relative to a base rate, mean the same
    account in the same state keeps its band when the model or the customer mix changes.
    """

    green_from: int = GREEN_FROM
    red_below: int = RED_BELOW

    def __post_init__(self) -> None:
        if not 0 <= self.red_below <= self.green_from <= 101:
            raise ValueError(
                f"bands need 0 <= red_below ({self.red_below}) <= green_from ({self.green_from})"
            )


def health_score(p_stay: np.ndarray) -> np.ndarray:
    """The 0-100 health score: ``round(100 x P(stays at the next decision point))``."""
    return np.rint(100 * np.asarray(p_stay, dtype=float)).astype(int)


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
