"""The settings of training and the backtest, apart from the code that runs them.

The command line reads every default here (``health --help``, argument errors), so this module
imports none of the model libraries: a usage error or a help page answers at once.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from features.labels import LabelConfig, label_known_from
from features.usage_types import DEFAULT_TYPES
from serving.config import ScoreConfig

if TYPE_CHECKING:
    from training.split import KnownFrom

DEFAULT_EXPERIMENT = "customer-health"
MODEL_KINDS = ("lightgbm", "logistic")
HEALTH_LABEL = "stayed"  # the health model's label (``features.labels.stay_labels``)


@dataclass(frozen=True)
class BoosterParams:
    """LightGBM settings: many small, regularised trees suit a few thousand accounts.

    Chosen on the demo's training periods only (inner split, mean of three seeds, churn and
    renewal together), never on a validation period; ``--tune N`` searches around them.
    """

    learning_rate: float = 0.05
    num_leaves: int = 4
    min_child_samples: int = 100
    feature_fraction: float = 0.7
    bagging_fraction: float = 0.8
    bagging_freq: int = 1
    lambda_l2: float = 5.0
    max_rounds: int = 2000
    early_stopping_rounds: int = 50
    seed: int = 0
    num_threads: int = 1
    # Directions that hold: each feature's settled direction (``features.catalogue``) is a
    # monotone constraint, so more active users or a higher NPS never lower a health score.
    # Validation ROC AUC on the demo (benchmarks/quality.py --constraints, seed 7), unconstrained
    # -> monotone: health 0.7672 -> 0.7688, churn 0.7568 -> 0.7616, renewal 0.7784 -> 0.7742.
    monotone: bool = True
    # The models whose trees split on features of one family only (the profile counts as one):
    # such a model is a sum of per-family parts, so each family's SHAP points are exactly its
    # part's. Adopted where it costs at most 0.005 ROC AUC against the unconstrained model:
    # health 0.7672 -> 0.7678 and churn 0.7568 -> 0.7594 (monotone as well), not renewal
    # (0.7784 -> 0.7692). Tables without catalogue features (Telco, BankChurners) are all
    # profile, one group: nothing changes there. The contract's cadence
    # (``features.catalogue.CADENCE_FEATURES``) joins every family's group (``constraints``):
    # a price rise says little about next month's decision and much about next year's, which a
    # sum of per-family parts that never meet the cadence could not tell apart. A family's part
    # is then a function of its features and the cadence; TreeSHAP's share of it for the
    # cadence goes into the base score (``serving.score.cadence_in_base``), the rest is the
    # family's points.
    family_interactions: tuple[str, ...] = ("stayed", "churned")


@dataclass(frozen=True)
class GateConfig:
    """What a model must clear to become champion (besides beating the current champion)."""

    min_auc: float = 0.6
    beat_baseline: bool = True
    feature_auc_limit: float = 0.95
    model_auc_limit: float = 0.98
    data_is_easy: bool = False


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run; logged whole as MLflow params."""

    labels: LabelConfig = field(default_factory=LabelConfig)
    every_days: int | None = None  # None: adapt to the history (see ``history_plan``)
    warmup_days: int | None = None
    validation_dates: int | None = None
    folds: int = 5
    min_class_rows: int = 5
    usage_types: int = DEFAULT_TYPES  # per-type usage for this many most used event types
    observed_until: str | None = None  # ISO date; None: the data's own (``observed_until``)
    model_kind: str = "lightgbm"
    tune_trials: int = 0
    experiment: str = DEFAULT_EXPERIMENT
    booster: BoosterParams = field(default_factory=BoosterParams)
    gate: GateConfig = field(default_factory=GateConfig)

    def __post_init__(self) -> None:
        if self.model_kind not in MODEL_KINDS:
            raise ValueError(f"model_kind must be one of {MODEL_KINDS}, got {self.model_kind!r}")

    def gap_days(self, label: str) -> int:
        """Days after an as-of date until ``label`` is known: its window plus the grace gap (for
        ``stayed`` the shortest, an open-ended subscription's; ``known_from`` has each row's)."""
        labels = self.labels
        window = labels.renewal_window_days if label == "renewed" else labels.horizon_days
        return window + labels.grace_days

    def known_from(self, label: str) -> KnownFrom | None:
        """Each row's first day with a known label, where it differs row by row (``stayed``)."""
        if label != HEALTH_LABEL:
            return None
        return functools.partial(label_known_from, label=label, config=self.labels)


@dataclass(frozen=True)
class BacktestConfig:
    """Which past dates to replay and with what training and band settings."""

    every_days: int = 60
    lookback_days: int = 365
    dates: tuple[str, ...] = ()
    train: TrainConfig = field(default_factory=TrainConfig)
    score: ScoreConfig = field(default_factory=ScoreConfig)

    @property
    def gap_days(self) -> int:
        """Days after an as-of date until its churn label is known."""
        return self.train.gap_days("churned")
