"""Checks on a fitted model before it may become champion: the floor and the leakage guard.

The floor: a champion must rank better than chance by a margin (ROC AUC at least ``min_auc``) and
better than its own logistic baseline on the same validation rows. The guard: every feature's own
ROC AUC on the validation rows; a feature that alone separates the classes almost perfectly, or a
model far above anything plausible for churn, is usually a column read as known before it was (an
end date, a cancellation, a CRM status), so it is named and kept from ``@champion`` unless the user
says the data really is that easy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score


@dataclass(frozen=True)
class GateConfig:
    """What a model must clear to become champion (besides beating the current champion)."""

    min_auc: float = 0.6
    beat_baseline: bool = True
    feature_auc_limit: float = 0.95
    model_auc_limit: float = 0.98
    data_is_easy: bool = False


def separation_auc(values: np.ndarray, y: np.ndarray) -> float:
    """How well one numeric column alone separates the classes: max(AUC, 1 - AUC), in [0.5, 1].

    Missing values count as a value of their own (below or above every other value, whichever
    separates better), since whether a value is known can itself be the leak.
    """
    values = np.asarray(values, dtype=float)
    if len(np.unique(y)) < 2:
        return float("nan")
    missing = np.isnan(values)
    if missing.all():
        return 0.5
    low, high = np.nanmin(values) - 1.0, np.nanmax(values) + 1.0
    best = 0.5
    for fill in (low, high) if missing.any() else (low,):
        auc = float(roc_auc_score(y, np.where(missing, fill, values)))
        best = max(best, auc, 1.0 - auc)
    return best


def _encoded(train: pd.Series, y_train: np.ndarray, values: pd.Series) -> np.ndarray:
    """A category column as the training rows' positive rate of each level (unseen: overall)."""
    key = lambda s: s.astype("object").where(s.notna(), "<missing>").astype(str)  # noqa: E731
    rates = pd.Series(y_train).groupby(key(train).to_numpy()).mean()
    return key(values).map(rates).fillna(float(np.mean(y_train))).to_numpy(dtype=float)


def feature_aucs(
    train: pd.DataFrame,
    validation: pd.DataFrame,
    label: str,
    features: list[str],
    categories: dict[str, list[str]],
) -> dict[str, float]:
    """Each feature's own separation ROC AUC on the validation rows (categories target-encoded
    on the training rows), highest first."""
    y_val = validation[label].astype(int).to_numpy()
    y_train = train[label].astype(int).to_numpy()
    aucs = {}
    for name in features:
        if name in categories:
            values = _encoded(train[name], y_train, validation[name])
        else:
            values = pd.to_numeric(validation[name], errors="coerce").to_numpy(dtype=float)
        aucs[name] = separation_auc(values, y_val)
    ordered = sorted(aucs.items(), key=lambda kv: -np.nan_to_num(kv[1]))
    return dict(ordered)


@dataclass(frozen=True)
class Verdict:
    """Why a model may not become champion; empty ``reasons`` means it may."""

    reasons: tuple[str, ...] = ()
    leak_suspected: bool = False

    @property
    def passed(self) -> bool:
        return not self.reasons

    def sentence(self) -> str:
        return " ".join(self.reasons)


def leakage_reasons(aucs: dict[str, float], model_auc: float, config: GateConfig) -> list[str]:
    """Sentences naming features that alone separate the classes and an implausible model."""
    reasons = []
    strong = {k: v for k, v in aucs.items() if v > config.feature_auc_limit}
    if strong:
        named = ", ".join(f"{k} ({v:.3f})" for k, v in list(strong.items())[:5])
        reasons.append(
            f"Leakage suspected: {len(strong)} feature(s) alone separate the validation classes "
            f"above ROC AUC {config.feature_auc_limit}: {named}; such a column usually records "
            f"the outcome or is read as known before it was (an end or cancellation date, a "
            f"status), so check it or pass --data-is-easy if the data really is that easy."
        )
    if model_auc > config.model_auc_limit:
        reasons.append(
            f"Implausible model: validation ROC AUC {model_auc:.3f} is above "
            f"{config.model_auc_limit}, far above what churn data allows without a leak; pass "
            f"--data-is-easy if the data really is that easy."
        )
    return reasons


def floor_reasons(metrics: dict[str, float], config: GateConfig) -> list[str]:
    """Sentences saying why a model is not worth having as champion (empty when it is)."""
    auc, base = metrics["val_roc_auc"], metrics.get("baseline_val_roc_auc", float("nan"))
    if auc < config.min_auc:
        return [
            f"Below the floor: validation ROC AUC {auc:.3f} is under {config.min_auc} (close to "
            f"guessing), so it is registered without the champion alias."
        ]
    if config.beat_baseline and not auc > base:
        return [
            f"Below the floor: validation ROC AUC {auc:.3f} does not beat its logistic baseline's "
            f"{base:.3f} on the same rows, so it is registered without the champion alias."
        ]
    return []


def verdict(metrics: dict[str, float], aucs: dict[str, float], config: GateConfig) -> Verdict:
    """The floor and the leakage guard together."""
    leaks = [] if config.data_is_easy else leakage_reasons(aucs, metrics["val_roc_auc"], config)
    return Verdict(tuple(floor_reasons(metrics, config) + leaks), leak_suspected=bool(leaks))
