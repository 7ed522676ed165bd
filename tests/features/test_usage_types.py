"""Per-event-type usage by hand: counts, change, per active user, share, and the sentence."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.catalogue import feature_family
from features.events import event_features
from features.usage_types import chosen_types, type_slug
from serving.sentences import driver_sentences, feature_label

T = pd.Timestamp("2024-03-01")


def _events():
    rows = []
    # A: reports 3 times in the last 30 days (2 users), 41 times 31-60 days ago; one export
    rows += [("A", T - pd.Timedelta(days=d), "Reports", "u1", 1.0) for d in (1, 5)]
    rows += [("A", T - pd.Timedelta(days=9), "Reports", "u2", 1.0)]
    rows += [("A", T - pd.Timedelta(days=40), "Reports", "u1", 41.0)]
    rows += [("A", T - pd.Timedelta(days=3), "export/csv", "u2", 1.0)]
    # B: only exports, and an event on the as-of day itself, which no feature may see
    rows += [("B", T - pd.Timedelta(days=2), "export/csv", "u3", 2.0)]
    rows += [("B", T, "Reports", "u3", 5.0)]
    return pd.DataFrame(rows, columns=["account_id", "timestamp", "event_type", "user_id", "value"])


def test_per_type_usage_by_hand():
    accounts = pd.Index(["A", "B", "C"])  # C has no events at all
    frame = event_features(_events(), {T: accounts}, top_types=5)[T]
    # ranked by accounts using the type before T: exports two, reports one (B's is on T itself)
    assert chosen_types(frame.columns) == ["export_csv", "reports"]
    a, b, c = frame.loc["A"], frame.loc["B"], frame.loc["C"]
    assert a["type_reports_30d"] == 3 and a["type_reports_change_30d"] == (3 - 41) / 41
    assert a["type_reports_per_user_30d"] == 3 / 2 and a["type_reports_share_30d"] == 3 / 4
    assert b["type_reports_30d"] == 0 and np.isnan(b["type_reports_change_30d"])
    assert b["type_export_csv_share_30d"] == 1.0
    assert c["type_reports_30d"] == 0 and np.isnan(c["type_reports_share_30d"])


def test_scoring_builds_the_types_the_model_chose():
    chosen = event_features(_events(), {T: pd.Index(["A"])}, event_types=["export_csv"])[T]
    assert chosen_types(chosen.columns) == ["export_csv"]
    absent = event_features(_events(), {T: pd.Index(["A"])}, event_types=["never_seen"])[T]
    assert absent.loc["A", "type_never_seen_30d"] == 0


def test_per_type_usage_in_the_catalogue_with_a_sentence():
    frame = event_features(_events(), {T: pd.Index(["A", "B"])}, top_types=5)[T]
    assert type_slug("export/csv") == "export_csv"
    assert feature_family("type_reports_share_30d") == "usage"
    assert feature_label("type_reports_30d") == "Uses of reports in the last 30 days"
    sentences = driver_sentences("type_reports_30d", frame)
    assert sentences["A"] == "Used reports 3 times in 30 days, down from 41"
    assert sentences["B"] == "Did not use reports in the last 60 days"
    share = driver_sentences("type_reports_share_30d", frame)["A"]
    assert share == "Used reports 3 times in 30 days, down from 41 (75% of its events)"
