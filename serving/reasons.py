"""Reasons: the behaviours that move an account's health score most, offered in words.

SHAP values are exact for the model, but read as a person reads them they are often not reasons:
"Customer for 25 months" is who the account is, "First term: no earlier price to compare with"
is a missing value, and a push of a few hundredths of a point is noise. So a feature is offered
as a reason only when all of these hold:

- it is behaviour (``features.catalogue``: what the account does or what changed), not profile,
  and not a timing feature;
- its value is known: a missing value is no fact about the customer;
- it moves the score by at least ``MIN_REASON_POINTS``: the points the score would gain (a risk)
  or lose (a protective reason) if this feature's push were gone, on the account's own score.
  Near 100 every push is worth little, so an account at 100 has no reason at all.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.catalogue import TIMING_FEATURES, is_profile
from serving.sentences import sentences_for

# One point is the smallest move the 0-100 health score shows: a push worth less cannot change
# the score a person reads, so it is no reason to call.
MIN_REASON_POINTS = 1.0


def candidates(features: list[str]) -> np.ndarray:
    """Which of a model's features may be offered as reasons at all (behaviour, not timing)."""
    return np.array([not is_profile(f) and f not in TIMING_FEATURES for f in features], dtype=bool)


def reason_points(health_of, margin: np.ndarray, contributions: np.ndarray) -> np.ndarray:
    """Per account and feature, the health points this feature's push is worth: the account's
    score minus its score without the push (``health_of`` maps raw log-odds to 0-100 health).

    Negative: the feature lowers the score (a risk). Exact for one feature at a time; the
    points per family in the scores are the shares of the whole move (``health_points``).
    """
    score = health_of(margin)
    without = health_of(margin[:, None] - contributions)
    return score[:, None] - without


def choose_reasons(
    frame: pd.DataFrame,
    points: np.ndarray,
    features: list[str],
    top: int,
    min_points: float = MIN_REASON_POINTS,
) -> dict[str, pd.api.extensions.ExtensionArray]:
    """The top ``top`` risks (most points lost) and the top protective reason, in words.

    ``points`` are ``reason_points`` (health orientation). Columns ``risk_driver_k``,
    ``risk_feature_k``, ``risk_impact_k`` (k = 1..top; points lost, negative) and
    ``protective_driver``, ``protective_feature``, ``protective_impact``; empty where no
    feature qualifies.
    """
    names = np.array(features, dtype=object)
    known = frame[features].notna().to_numpy()
    allowed = candidates(features)[None, :] & known
    risk = np.where(allowed & (points <= -min_points), points, 0.0)
    protect = np.where(allowed & (points >= min_points), points, 0.0)
    rows = np.arange(len(frame))
    out: dict[str, np.ndarray] = {}
    order = np.argsort(risk, axis=1, kind="stable")
    for k in range(min(top, len(features))):
        column = order[:, k]
        value = risk[rows, column]
        chosen = np.where(value < 0, names[column], None)
        out[f"risk_driver_{k + 1}"] = sentences_for(chosen, frame)
        out[f"risk_feature_{k + 1}"] = chosen
        out[f"risk_impact_{k + 1}"] = np.where(value < 0, value, np.nan)
    column = np.argmax(protect, axis=1)
    value = protect[rows, column]
    chosen = np.where(value > 0, names[column], None)
    out["protective_driver"] = sentences_for(chosen, frame)
    out["protective_feature"] = chosen
    out["protective_impact"] = np.where(value > 0, value, np.nan)
    return {
        name: pd.array(values, dtype="float64" if "_impact" in name else "str")
        for name, values in out.items()
    }
