"""Reasons: the behaviours that move an account's health score most, offered in words.

SHAP values are exact for the model, but read as a person reads them they are often not reasons:
"Customer for 25 months" is who the account is, "First term: no earlier price to compare with"
is a missing value, and a push of a few hundredths of a point is noise. So a feature is offered
as a reason only when all of these hold:

- it is behaviour (``features.catalogue``: what the account does or what changed), not profile,
  and not a timing feature;
- its value is known: a missing value is no fact about the customer;
- its direction is settled (``features.catalogue``: more of it is always better, or always
  worse), so there is a worse side to be on;
- it moves the score by at least ``MIN_REASON_POINTS``: the points the score would gain (a risk)
  or lose (a protective reason) if this feature's push were gone, on the account's own score.
  Near 100 every push is worth little, so an account at 100 has no reason at all;
- its value is on the side of the reference that the push says: a risk is worse than the
  median of accounts like it that stayed (``serving.reference.reason_reference``, learned at
  training and packaged in the model), a protective reason better. A model packaged without a
  reference offers its reasons without one.

The sentence then says both ("Active on 7 of the last 30 days; accounts like it that stayed:
21"), and a risk whose sentence says a thing improved says it is still on the worse side
(``serving.sentences.reason_sentences``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from features.catalogue import TIMING_FEATURES, UNSETTLED, direction, is_profile
from serving.config import MIN_REASON_POINTS
from serving.reference import reference_values
from serving.sentences import reason_sentences_for, sentence_key, shown, stated_column


def candidates(features: list[str]) -> np.ndarray:
    """Which of a model's features may be offered as reasons at all: behaviour of a settled
    direction (its own and that of the column its sentence states), not timing."""
    return np.array(
        [
            not is_profile(f)
            and f not in TIMING_FEATURES
            and direction(f) != UNSETTLED
            and direction(stated_column(f)) != UNSETTLED
            for f in features
        ],
        dtype=bool,
    )


def side_of_reference(
    frame: pd.DataFrame, features: list[str], reference: dict[str, Any] | None
) -> tuple[np.ndarray, np.ndarray]:
    """Per account and feature: the reference of the column its sentence states, and which side
    of it the account is on in health terms (+1 better, -1 worse, 0 level or unknown). Without
    a reference, NaN and 0."""
    n = len(frame)
    refs = np.full((n, len(features)), np.nan)
    side = np.zeros((n, len(features)))
    if reference is None:
        return refs, side
    for j, name in enumerate(features):
        column = stated_column(name)
        if column not in frame or direction(column) == UNSETTLED:
            continue
        refs[:, j] = reference_values(reference, frame, column)
        value = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
        gap = shown(name, value) - shown(name, refs[:, j])
        side[:, j] = np.nan_to_num(np.sign(gap)) * direction(column)
    return refs, side


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
    reference: dict[str, Any] | None = None,
) -> dict[str, pd.api.extensions.ExtensionArray]:
    """The top ``top`` risks (most points lost) and the top protective reason, in words.

    ``points`` are ``reason_points`` (health orientation); ``reference`` is the model's
    ``reason_reference`` (None: reasons without one). Columns ``risk_driver_k``,
    ``risk_feature_k``, ``risk_impact_k`` (k = 1..top; points lost, negative) and
    ``protective_driver``, ``protective_feature``, ``protective_impact``; empty where no
    feature qualifies.
    """
    names = np.array(features, dtype=object)
    known = frame[features].notna().to_numpy()
    allowed = candidates(features)[None, :] & known
    refs, side = side_of_reference(frame, features, reference)
    unchecked = reference is None
    risk = np.where(allowed & (points <= -min_points) & (unchecked | (side < 0)), points, 0.0)
    protect = np.where(allowed & (points >= min_points) & (unchecked | (side > 0)), points, 0.0)
    rows = np.arange(len(frame))
    keys = pd.factorize(np.array([sentence_key(f) for f in features], dtype=object))[0]
    out: dict[str, np.ndarray] = {}
    for k in range(min(top, len(features))):
        column = np.argmin(risk, axis=1)
        value = risk[rows, column]
        chosen = np.where(value < 0, names[column], None)
        out[f"risk_driver_{k + 1}"] = reason_sentences_for(chosen, frame, refs[rows, column], True)
        out[f"risk_feature_{k + 1}"] = chosen
        out[f"risk_impact_{k + 1}"] = np.where(value < 0, value, np.nan)
        risk[keys[None, :] == keys[column][:, None]] = 0.0  # one fact once
    column = np.argmax(protect, axis=1)
    value = protect[rows, column]
    chosen = np.where(value > 0, names[column], None)
    out["protective_driver"] = reason_sentences_for(chosen, frame, refs[rows, column], False)
    out["protective_feature"] = chosen
    out["protective_impact"] = np.where(value > 0, value, np.nan)
    return {
        name: pd.array(values, dtype="float64" if "_impact" in name else "str")
        for name, values in out.items()
    }
