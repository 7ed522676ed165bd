"""Checks on a fitted model before it may become champion: the floor, the leakage guard and the
comparison with the current champion.

The floor: a champion must rank better than chance by a margin (ROC AUC at least ``min_auc``) and
better than its own logistic baseline on the same validation rows. The guard: every feature's own
ROC AUC on the validation rows; a feature that alone separates the classes almost perfectly, or a
model far above anything plausible for churn, is usually a column read as known before it was (an
end date, a cancellation, a CRM status), so it is named and kept from ``@champion`` unless the user
says the data really is that easy. The comparison: the challenger must beat the champion's ROC AUC
on the challenger's own validation rows (a tie keeps the champion); ``training.train.champion_gate``
reads the champion from the registry and these pure functions decide.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from training.config import GateConfig


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


@dataclass(frozen=True)
class Comparison:
    """The champion's ROC AUC on the challenger's validation rows and how it was had, or ``auc``
    None and why the two cannot be compared on the same validation window."""

    auc: float | None
    how: str


def logged_comparison(
    same_rows: bool, logged_auc: float | None, out_of_time: bool
) -> Comparison | None:
    """What the registry alone settles; None when the champion must be scored on the rows.

    A champion validated on exactly the challenger's rows and labels brings its logged AUC; a
    K-fold challenger's folds compare with nothing else.
    """
    if same_rows and logged_auc is not None:
        return Comparison(float(logged_auc), "validated on the same rows and labels")
    if not out_of_time:
        return Comparison(
            None, "was validated on other rows (K-fold results compare only on the same rows)"
        )
    return None


def unsettled(meta: Mapping[str, object], first_validation: pd.Timestamp) -> str | None:
    """Why the champion may not be scored on a window from ``first_validation``, or None.

    Scored on rows whose outcomes it trained on, a champion would look better than it is, so its
    training labels must all settle (last training date + gap) before the window's first date.
    """
    if meta.get("validation") != "out-of-time" or "train_end" not in meta:
        return "does not record when its training labels end"
    settled = pd.Timestamp(meta["train_end"]) + pd.Timedelta(days=int(meta["gap_days"]))
    if settled >= first_validation:
        return f"trained on labels up to {settled.date()}, inside this window ({first_validation.date()}..)"
    return None


def scored_comparison(labels: np.ndarray, probability: np.ndarray) -> Comparison:
    """The champion's ROC AUC from its probabilities on the challenger's validation rows."""
    return Comparison(float(roc_auc_score(labels, probability)), "champion scored on these rows")


def champion_decision(
    challenger_auc: float, version: str, comparison: Comparison
) -> tuple[bool, str]:
    """Promote only a challenger strictly above the champion on the same window; and why."""
    if comparison.auc is None:
        return False, (
            f"not promoted: champion v{version} {comparison.how}, so the two cannot be compared "
            f"on the same validation window; champion kept (move the alias by hand to override)"
        )
    if challenger_auc > comparison.auc:
        return True, (
            f"val_roc_auc {challenger_auc:.4f} beats champion v{version}'s {comparison.auc:.4f} "
            f"on the same validation window ({comparison.how})"
        )
    verb = "ties" if challenger_auc == comparison.auc else "is below"
    return False, (
        f"not promoted: val_roc_auc {challenger_auc:.4f} {verb} champion v{version}'s "
        f"{comparison.auc:.4f} on the same validation window ({comparison.how})"
    )
