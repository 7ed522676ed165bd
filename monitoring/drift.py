"""Data drift: today's rows against the binned references the model stored at training time.

The population stability index over a reference's bins, ``sum((a - e) * ln(a / e))``, with both
shares floored at ``PSI_FLOOR`` so an empty bin counts as rare rather than impossible. Missing
values are a bin of their own, and so are category values the model never saw. The usual reading:
below 0.1 stable, 0.1 to 0.2 a moderate shift, above 0.2 a shift worth acting on.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from features.catalogue import feature_family
from monitoring.verdict import DRIFTED, MODERATE
from serving.model import HealthModel, model_input
from serving.reference import numeric_shares, shares_like

PSI_FLOOR = 1e-4


def psi(expected: np.ndarray, actual: np.ndarray, floor: float = PSI_FLOOR) -> float:
    """Population stability index between two share vectors over the same bins."""
    e = np.maximum(np.asarray(expected, dtype=float), floor)
    a = np.maximum(np.asarray(actual, dtype=float), floor)
    return float(np.sum((a - e) * np.log(a / e)))


def drift_status(value: float, moderate: float = MODERATE, drifted: float = DRIFTED) -> str:
    """'stable' below ``moderate``, 'moderate' up to ``drifted``, 'drifted' past it."""
    if np.isnan(value):
        return "unknown"
    return "drifted" if value > drifted else "moderate" if value >= moderate else "stable"


def _bins(shares, missing: float, unseen: float = 0.0) -> np.ndarray:
    return np.append(np.asarray(shares, dtype=float), [missing, unseen])


def feature_drift(
    frame: pd.DataFrame,
    model: HealthModel,
    moderate: float = MODERATE,
    drifted: float = DRIFTED,
) -> pd.DataFrame:
    """Per model feature: PSI against the training reference, missing and unseen shares, status.

    Empty when the model stored no reference (trained before references were kept).
    """
    reference = model.meta.get("reference")
    columns = ["feature", "family", "kind", "psi", "status", "missing_reference", "missing_now"]
    columns += ["unseen_now", "rows_reference", "rows_now"]
    if not reference:
        return pd.DataFrame(columns=columns)
    inputs = model_input(frame, model.features, model.categories)
    records = []
    for name in model.features:
        ref = reference["features"][name]
        now = shares_like(ref, inputs[name])
        value = psi(_bins(ref["shares"], ref["missing"]), _bins(**now)) if len(frame) else np.nan
        records.append(
            {
                "feature": name,
                "family": feature_family(name),
                "kind": ref["kind"],
                "psi": value,
                "status": drift_status(value, moderate, drifted),
                "missing_reference": ref["missing"],
                "missing_now": now["missing"],
                "unseen_now": now["unseen"],
                "rows_reference": ref["rows"],
                "rows_now": len(frame),
            }
        )
    out = pd.DataFrame(records, columns=columns)
    return out.sort_values("psi", ascending=False, kind="stable").reset_index(drop=True)


def score_drift(
    probability: np.ndarray,
    model: HealthModel,
    moderate: float = MODERATE,
    drifted: float = DRIFTED,
) -> dict[str, Any] | None:
    """PSI of today's probabilities against the held-out probabilities at training, with the
    shares per bin for a plot; None when the model stored no reference."""
    reference = (model.meta.get("reference") or {}).get("probability")
    if reference is None:
        return None
    shares, missing = numeric_shares(probability, reference)
    value = psi(_bins(reference["shares"], reference["missing"]), _bins(shares, missing))
    return {
        "psi": value,
        "status": drift_status(value, moderate, drifted),
        "edges": reference["edges"],
        "reference_shares": list(reference["shares"]),
        "shares": shares.tolist(),
        "mean_now": float(np.nanmean(probability)) if len(probability) else float("nan"),
    }
