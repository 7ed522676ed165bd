"""The done-means of monitoring: a planted change is found where it is, and nowhere else.

One champion is fitted (no MLflow: the library calls) on a company whose history runs to
2026-11-30; the same company is generated again with a product change and a new segment from
2026-06-01 (``health.synthetic.plant_change``). Today's rows of each are compared with the
references the champion stored at training.
"""

from __future__ import annotations

import pandas as pd
import pytest

from features.matrix import build_features
from features.usage_types import chosen_types
from health.synthetic import MERGED_FEATURES
from monitoring.drift import feature_drift
from monitoring.verdict import MonitorConfig, verdict
from serving.score import default_as_of

pytestmark = pytest.mark.slow

ACCOUNTS, SEED, DAYS, CHANGE = 1000, 11, 1065, "2026-06-01"
# What the planted change can move: counts of distinct event types (the release merges five
# standard features into one new view) and the new segment's industry. Usage totals are untouched.
EVENT_MIX = {
    "features_used_30d",
    "features_used_90d",
    "catalogue_share_90d",
    "features_new_30d",
    "features_dropped_30d",
    "core_features_used_30d",
    "core_depth_30d",
    "core_adoption_share",
}


def _tables(change_at):
    from features.contract import Tables
    from health.synthetic import generate_demo_data

    raw = generate_demo_data(n_accounts=ACCOUNTS, seed=SEED, days=DAYS, change_at=change_at)
    return Tables(
        accounts=raw["accounts"],
        subscriptions=raw["subscriptions"],
        events=raw["events"],
        tickets=raw["tickets"],
        surveys=raw["surveys"],
    )


@pytest.fixture(scope="module")
def champion():
    from training.config import BoosterParams
    from training.train import TrainConfig, build_training_matrix, fit_target

    config = TrainConfig(booster=BoosterParams(max_rounds=100))
    return fit_target(build_training_matrix(_tables(None), config), "churned", config).model


def _drift(tables, model) -> pd.DataFrame:
    frame = build_features(
        tables, [default_as_of(tables)], event_types=chosen_types(model.features)
    )
    return feature_drift(frame, model)


def _flagged(drift: pd.DataFrame, config: MonitorConfig) -> set[str]:
    judged = drift[~drift["feature"].isin(config.not_judged)]
    return set(judged.loc[judged["status"] == "drifted", "feature"])


def test_planted_change_is_flagged_and_nothing_else(champion):
    config = MonitorConfig()
    drift = _drift(_tables(CHANGE), champion)
    flagged = _flagged(drift, config)
    # per-type usage of the merged event types moves too (features.usage_types), and only it
    typed = {f for f in flagged if f.startswith("type_")}
    merged = [f"type_{name}_" for name in MERGED_FEATURES]
    assert all(any(f.startswith(m) for m in merged) for f in typed), typed
    assert flagged - typed <= EVENT_MIX | {"industry"}, drift.head(15)
    assert {"core_features_used_30d", "features_used_90d", "industry"} <= flagged
    industry = drift.set_index("feature").loc["industry"]
    assert industry["unseen_now"] > 0.03
    judged = verdict(drift, None, [], {}, config)
    assert judged.status == "retrain"
    assert "industry" in judged.text and "core_features_used_30d" in judged.text


def test_without_the_change_nothing_is_flagged(champion):
    config = MonitorConfig()
    drift = _drift(_tables(None), champion)
    assert _flagged(drift, config) == set(), drift.head(15)
    assert drift.set_index("feature").loc["industry", "unseen_now"] == 0.0
    assert verdict(drift, None, [], {}, config).status != "retrain"
