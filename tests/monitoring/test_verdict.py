"""The verdict and its words, from drift and realised figures set by hand."""

from __future__ import annotations

import pandas as pd

from monitoring.verdict import RETRAIN_EXIT, MonitorConfig, verdict


def drift(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"feature": f, "family": fam, "psi": v, "unseen_now": 0.0} for f, fam, v in rows]
    )


def realised(as_of: str, auc: float, brier: float, accounts: int = 500) -> dict:
    figures = {"accounts": accounts, "roc_auc": auc, "brier": brier}
    return {
        "as_of": as_of,
        "status": "realised",
        "churn": figures,
        "renewal": {**figures, "accounts": 0},
    }


TRAINING = {"churn": {"val_roc_auc": 0.77, "val_brier": 0.10}}


def test_retrain_with_reasons_in_words():
    table = drift(
        [
            ("events_30d", "usage", 0.35),
            ("active_days_30d", "usage", 0.25),
            ("active_users_30d", "usage", 0.22),
            ("events_7d", "usage", 0.21),
            ("tickets_30d", "support", 0.15),
            ("mrr", "contract", 0.01),
        ]
    )
    v = verdict(table, None, [realised("2025-06-01", 0.68, 0.11)], TRAINING)
    assert v.status == "retrain"
    assert v.exit_code == RETRAIN_EXIT
    assert v.text.startswith(
        "retrain: 4 usage features (events_30d, active_days_30d, active_users_30d, events_7d) "
        "drifted past 0.2; realised churn AUC fell from 0.77 to 0.68 (2025-06-01)"
    )
    assert "1 support feature (tickets_30d) shifted moderately (PSI 0.1-0.2)" in v.notes


def test_calendar_features_are_shown_not_judged():
    v = verdict(drift([("tenure_days", "contract", 3.0), ("mrr", "contract", 0.02)]), None, [], {})
    assert v.status == "ok"
    assert v.exit_code == 0


def test_moderate_only_is_watch_and_pending_only_is_ok():
    watch = verdict(drift([("events_30d", "usage", 0.15)]), None, [], {})
    assert watch.status == "watch" and watch.exit_code == 0
    pending = {"as_of": "2025-12-01", "status": "pending"}
    ok = verdict(drift([("events_30d", "usage", 0.05)]), None, [pending], TRAINING)
    assert ok.status == "ok"
    assert ok.info == ["1 scoring(s) pending (outcomes not yet known): 2025-12-01"]


def test_small_auc_dip_and_too_few_outcomes_do_not_retrain():
    config = MonitorConfig(auc_drop=0.05, min_known=100)
    dip = verdict(drift([]), None, [realised("2025-06-01", 0.73, 0.11)], TRAINING, config)
    assert dip.status == "ok"
    few = verdict(
        drift([]), None, [realised("2025-06-01", 0.5, 0.3, accounts=40)], TRAINING, config
    )
    assert few.status == "ok"
    assert "churn: only 40 outcomes known for 2025-06-01" in few.info[0]


def test_brier_rise_retrains():
    v = verdict(drift([]), None, [realised("2025-06-01", 0.77, 0.15)], TRAINING)
    assert v.reasons == ["realised churn Brier rose from 0.100 to 0.150 (2025-06-01)"]
