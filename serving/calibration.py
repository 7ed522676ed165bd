"""Probability calibration, fit and apply: Platt (logistic on the logit) or isotonic (steps).

Training fits a ``Calibrator`` on held-out rows; the packaged model applies it when it scores.
Both sides use this module, so the two can never disagree on the map.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss
from sklearn.model_selection import StratifiedKFold


def logit(p: np.ndarray) -> np.ndarray:
    """log(p / (1 - p)), with p kept inside (0, 1) so the ends stay finite."""
    p = np.asarray(p, dtype=float)
    return np.log(np.clip(p, 1e-12, 1 - 1e-12) / np.clip(1 - p, 1e-12, 1))


@dataclass(frozen=True)
class Calibrator:
    """Maps a raw model probability to a calibrated one: Platt (logistic) or isotonic (step)."""

    kind: str
    a: float = 1.0
    b: float = 0.0
    x: tuple[float, ...] = field(default_factory=tuple)
    y: tuple[float, ...] = field(default_factory=tuple)

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        raw = np.asarray(raw, dtype=float)
        if self.kind == "identity":
            return raw
        if self.kind == "platt":
            return 1.0 / (1.0 + np.exp(-(self.a * logit(raw) + self.b)))
        if self.kind == "isotonic":
            return np.interp(raw, np.asarray(self.x), np.asarray(self.y))
        raise ValueError(f"unknown calibrator kind {self.kind!r}")


def fit_calibrator(kind: str, raw: np.ndarray, y: np.ndarray) -> Calibrator:
    """A ``platt`` or ``isotonic`` map from raw probabilities ``raw`` to the outcomes ``y``."""
    if kind == "platt":
        lr = LogisticRegression(C=1e6, max_iter=1000).fit(logit(raw).reshape(-1, 1), y)
        return Calibrator("platt", a=float(lr.coef_[0, 0]), b=float(lr.intercept_[0]))
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(raw, y)
    return Calibrator("isotonic", x=tuple(iso.X_thresholds_), y=tuple(iso.y_thresholds_))


# Isotonic calibration overfits small calibration sets (scikit-learn's user guide): below this many
# held-out rows of the rarer class its steps tie many accounts and cost ranking, so Platt is used.
ISOTONIC_MIN_PER_CLASS = 1000


def cross_fitted_calibration(
    raw: np.ndarray, y: np.ndarray, seed: int = 0, folds: int = 5
) -> tuple[Calibrator, np.ndarray, dict[str, float]]:
    """Pick Platt or isotonic by cross-fitted Brier on held-out rows, then fit it on all of them.

    Isotonic is a candidate only with at least ``ISOTONIC_MIN_PER_CLASS`` rows of each class.
    Returns the calibrator, the cross-fitted calibrated probabilities (honest for metrics: no row
    is calibrated by a map that saw it) and the Brier of each candidate.
    """
    y = np.asarray(y, dtype=int)
    candidates = ["platt", "isotonic"]
    outs = {k: np.empty(len(y)) for k in candidates}
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for fit_idx, held_idx in splitter.split(raw.reshape(-1, 1), y):
        for kind in candidates:
            outs[kind][held_idx] = fit_calibrator(kind, raw[fit_idx], y[fit_idx])(raw[held_idx])
    briers = {k: float(brier_score_loss(y, outs[k])) for k in candidates}
    raw_brier = float(brier_score_loss(y, raw))
    eligible = (
        candidates if np.bincount(y, minlength=2).min() >= ISOTONIC_MIN_PER_CLASS else ["platt"]
    )
    best = min(eligible, key=briers.get)
    if raw_brier <= briers[best]:
        return Calibrator("identity"), raw, {**briers, "identity": raw_brier}
    return fit_calibrator(best, raw, y), outs[best], {**briers, "identity": raw_brier}
