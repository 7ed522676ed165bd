"""The verdict: retrain, watch or ok, with the reasons in words, from drift and realised figures.

Exit status for a scheduler (``health monitor``): 0 for ``ok`` and ``watch``, ``RETRAIN_EXIT``
for ``retrain``; 1 and 2 keep their meaning (bad data or a failed job, bad usage).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from features.catalogue import TIMING_FEATURES

RETRAIN_EXIT = 3
# Population stability index: under 0.1 stable, 0.1-0.2 a moderate shift, over 0.2 drifted (the
# usual reading of PSI; ``monitoring.drift`` grades each feature by them).
MODERATE, DRIFTED = 0.1, 0.2
# Days counted from a moment (the first event, the start of the contract, the last ticket, the
# champions' last activity): one scoring date sits at one point of the week and of every account's
# life, where the training rows spread over many, so these move with the calendar whatever the
# customers do (a Monday's champions were last active on Friday). So does the length
# of the previous term: which accounts have had a renewal yet, and of which kind, shifts as a young
# book ages and as the year's annual renewals come round. Shown, not judged.
CALENDAR_FEATURES = (
    "tenure_days",
    "previous_term_days",
    "days_since_first_event",
    "days_since_core_adoption",
    "days_since_last_event",
    "days_since_top_users_active",
    "days_since_last_ticket",
    *sorted(TIMING_FEATURES),
)


@dataclass(frozen=True)
class MonitorConfig:
    """Thresholds of the verdict; logged whole as MLflow params.

    ``drifted_features`` features past ``psi_drifted`` call for retraining, and so does a realised
    ROC AUC ``auc_drop`` below the champion's validation AUC, or a realised Brier score
    ``brier_rise`` above it, measured on at least ``min_known`` accounts with a known outcome.
    Features in ``not_judged`` are measured and shown but never a reason.
    """

    psi_moderate: float = MODERATE
    psi_drifted: float = DRIFTED
    drifted_features: int = 1
    auc_drop: float = 0.05
    brier_rise: float = 0.03
    min_known: int = 100
    top_movers: int = 20
    not_judged: tuple[str, ...] = CALENDAR_FEATURES

    def __post_init__(self) -> None:
        if not 0 < self.psi_moderate <= self.psi_drifted:
            raise ValueError(
                f"need 0 < psi_moderate ({self.psi_moderate}) <= psi_drifted ({self.psi_drifted})"
            )


@dataclass
class Verdict:
    """``reasons`` call for retraining, ``notes`` for watching; ``info`` changes nothing (pending
    scorings, too few outcomes to judge)."""

    status: str
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    info: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """'retrain: 4 usage features drifted past 0.2; realised AUC fell from 0.77 to 0.68'."""
        said = self.reasons or self.notes or ["no drift past thresholds, no realised decline"]
        return f"{self.status}: " + "; ".join(said)

    @property
    def exit_code(self) -> int:
        return RETRAIN_EXIT if self.status == "retrain" else 0


def _features_phrase(rows: pd.DataFrame) -> str:
    """'4 usage features (a, b, c, ...) and 1 contract feature (industry)'."""
    parts = []
    for family, group in rows.groupby("family", sort=False):
        names = list(group["feature"])
        shown = ", ".join(names[:4]) + (", ..." if len(names) > 4 else "")
        noun = "feature" if len(names) == 1 else "features"
        parts.append(f"{len(names)} {family} {noun} ({shown})")
    return " and ".join(parts)


def drift_reasons(drift: pd.DataFrame, config: MonitorConfig) -> tuple[list[str], list[str]]:
    """Reasons to retrain (features past the drift threshold) and notes (moderate shifts)."""
    if drift.empty:
        return [], []
    unique = drift.sort_values("psi", ascending=False).drop_duplicates("feature")
    unique = unique[~unique["feature"].isin(config.not_judged)]
    drifted = unique[unique["psi"] > config.psi_drifted]
    moderate = unique[
        (unique["psi"] >= config.psi_moderate) & (unique["psi"] <= config.psi_drifted)
    ]
    reasons, notes = [], []
    if len(drifted) >= config.drifted_features:
        reasons.append(f"{_features_phrase(drifted)} drifted past {config.psi_drifted:g}")
    elif len(drifted):
        notes.append(f"{_features_phrase(drifted)} drifted past {config.psi_drifted:g}")
    if len(moderate):
        notes.append(
            f"{_features_phrase(moderate)} shifted moderately "
            f"(PSI {config.psi_moderate:g}-{config.psi_drifted:g})"
        )
    unseen = unique[unique["unseen_now"] > 0]
    for _, row in unseen.iterrows():
        notes.append(
            f"{row['unseen_now']:.1%} of {row['feature']} values were never seen in training"
        )
    return reasons, notes


def performance_reasons(
    realised: list[dict], training: dict[str, dict[str, float]], config: MonitorConfig
) -> tuple[list[str], list[str]]:
    """Reasons from the latest realised scoring of each target against its training figures, and
    what could not be judged (pending scorings, too few outcomes)."""
    reasons, info = [], []
    done = [r for r in realised if r["status"] == "realised"]
    pending = [r["as_of"] for r in realised if r["status"] == "pending"]
    if pending:
        info.append(
            f"{len(pending)} scoring(s) pending (outcomes not yet known): {', '.join(pending)}"
        )
    if not done:
        return reasons, info
    latest = max(done, key=lambda r: r["as_of"])
    for target, label in (("churn", "churn"), ("renewal", "renewal")):
        now, then = latest[target], training.get(target, {})
        if now["accounts"] < config.min_known:
            info.append(
                f"{label}: only {now['accounts']:.0f} outcomes known for {latest['as_of']} "
                f"(fewer than {config.min_known}), not judged"
            )
            continue
        auc, auc_then = now["roc_auc"], then.get("val_roc_auc", float("nan"))
        if pd.notna(auc) and pd.notna(auc_then) and auc < auc_then - config.auc_drop:
            reasons.append(
                f"realised {label} AUC fell from {auc_then:.2f} to {auc:.2f} ({latest['as_of']})"
            )
        brier, brier_then = now["brier"], then.get("val_brier", float("nan"))
        if pd.notna(brier) and pd.notna(brier_then) and brier > brier_then + config.brier_rise:
            reasons.append(
                f"realised {label} Brier rose from {brier_then:.3f} to {brier:.3f} "
                f"({latest['as_of']})"
            )
    return reasons, info


def verdict(
    drift: pd.DataFrame,
    score_psi: float | None,
    realised: list[dict],
    training: dict[str, dict[str, float]],
    config: MonitorConfig = MonitorConfig(),
) -> Verdict:
    """Retrain when a drift or performance reason holds; watch when only notes do; else ok."""
    reasons, notes = drift_reasons(drift, config)
    more_reasons, info = performance_reasons(realised, training, config)
    reasons += more_reasons
    # A moving score distribution may be the customers changing, which the model should follow:
    # it is shown, never on its own a reason to retrain.
    if score_psi is not None and pd.notna(score_psi) and score_psi >= config.psi_moderate:
        notes.append(f"the churn score distribution shifted (PSI {score_psi:.2f})")
    status = "retrain" if reasons else "watch" if notes else "ok"
    return Verdict(status, reasons, notes, info)
