"""Health bands: the 0-100 health score, its thresholds, the band order and the band colours.

Every module that scores, reports or draws bands reads them from here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Worst first: the order of every table, chart and count of bands.
BANDS = ("red", "yellow", "green")
BAND_COLOURS = {"red": "#d62728", "yellow": "#e8b600", "green": "#2ca02c"}


@dataclass(frozen=True)
class BandConfig:
    """Band thresholds on the 0-100 health score.

    Health 90 is a 10% chance of churning within the horizon, about twice the demo's base rate;
    below 75 (25%, four to five times the base rate) an account needs a plan now. Fixed numbers
    on the score, rather than ones relative to a base rate, mean the same account in the same state
    keeps its band when the model or the customer mix changes.
    """

    green_from: int = 90
    red_below: int = 75

    def __post_init__(self) -> None:
        if not 0 <= self.red_below <= self.green_from <= 101:
            raise ValueError(
                f"bands need 0 <= red_below ({self.red_below}) <= green_from ({self.green_from})"
            )


def health_score(p_churn: np.ndarray) -> np.ndarray:
    """The 0-100 health score: ``round(100 x (1 - churn probability))``."""
    return np.rint(100 * (1 - np.asarray(p_churn, dtype=float))).astype(int)


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
