"""Training fixtures: small synthetic feature matrices with a planted signal, built directly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from training.config import BoosterParams, GateConfig
from training.train import TrainConfig


def planted_matrix(
    accounts: int = 500, dates: int = 12, seed: int = 0, every_days: int = 30
) -> pd.DataFrame:
    """``account_id, as_of``, one strong numeric signal, a categorical plan, noise, ``churned``."""
    rng = np.random.default_rng(seed)
    as_of = pd.date_range("2024-01-01", periods=dates, freq=f"{every_days}D")
    rows = len(as_of) * accounts
    signal = rng.normal(size=rows)
    plan = rng.choice(["starter", "growth", "enterprise"], size=rows)
    logit = -2.0 + 1.6 * signal + np.where(plan == "starter", 0.8, 0.0)
    churned = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(float)
    frame = pd.DataFrame(
        {
            "account_id": np.tile([f"A{i:04d}" for i in range(accounts)], len(as_of)),
            "as_of": np.repeat(as_of, accounts),
            "usage_signal": np.where(rng.random(rows) < 0.05, np.nan, signal),
            "plan": pd.Series(plan, dtype="object"),
            "noise_a": rng.normal(size=rows),
            "noise_b": rng.uniform(size=rows),
            "churned": churned,
        }
    )
    return frame


@pytest.fixture
def planted():
    """A factory of planted-signal matrices (function, so tests choose size and seed)."""
    return planted_matrix


@pytest.fixture
def fast_config() -> TrainConfig:
    """Defaults but fewer trees at most, so a fit takes about a second.

    The planted signal is linear in the log-odds, where the logistic baseline is as good as
    LightGBM, so the floor's "better than the baseline" part is off (``test_guard`` tests it).
    """
    return TrainConfig(booster=BoosterParams(max_rounds=300), gate=GateConfig(beat_baseline=False))
