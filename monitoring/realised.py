"""Realised performance: what happened to the accounts of an earlier scoring, once its horizon
has passed in the data, set against the probabilities that scoring wrote.

Outcomes come from the training labels (``features.timeline.labels``), so "churned" and "renewed"
mean here exactly what the model learned; a scoring whose churn labels are all still censored is
pending.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, roc_auc_score

from features.contract import Tables
from features.labels import LabelConfig, labels
from features.timeline import active_grid, observation_end
from serving.bands import BANDS

KEYS = ["account_id", "as_of"]


def _day(values) -> pd.Series:
    return pd.to_datetime(pd.Series(values)).astype("datetime64[us]")


def realised_outcomes(
    tables: Tables, scores: pd.DataFrame, config: LabelConfig = LabelConfig()
) -> pd.DataFrame:
    """The scores with the ``churned`` and ``renewed`` labels of each account at its as-of date
    (NaN while censored, and ``renewed`` NaN where no term ended inside the renewal window)."""
    scored = scores.assign(account_id=scores["account_id"].astype(str), as_of=_day(scores["as_of"]))
    dates = [pd.Timestamp(d) for d in scored["as_of"].unique()]
    grid = active_grid(tables.subscriptions, dates)
    grid = grid.assign(account_id=grid["account_id"].astype(str), as_of=_day(grid["as_of"]))
    grid = grid.merge(scored[KEYS], on=KEYS, how="inner")
    target = labels(tables.subscriptions, grid, observation_end(tables), config)
    target = target.assign(account_id=target["account_id"].astype(str), as_of=_day(target["as_of"]))
    drop = [c for c in ("churned", "renewed") if c in scored]
    return scored.drop(columns=drop).merge(target, on=KEYS, how="left", validate="one_to_one")


def performance(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """ROC AUC (NaN with one class only), Brier, mean predicted and realised rate, counts."""
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    known = ~np.isnan(y) & ~np.isnan(p)
    y, p = y[known], p[known]
    both = len(np.unique(y)) == 2
    return {
        "accounts": float(len(y)),
        "positives": float(y.sum()),
        "roc_auc": float(roc_auc_score(y, p)) if both else float("nan"),
        "brier": float(brier_score_loss(y, p)) if len(y) else float("nan"),
        "mean_predicted": float(p.mean()) if len(y) else float("nan"),
        "realised_rate": float(y.mean()) if len(y) else float("nan"),
    }


def band_outcomes(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Per band: accounts scored, predicted and realised churn among those whose outcome is known,
    and the same for renewals due."""
    rows = []
    for name in BANDS:
        in_band = outcomes[outcomes["band"] == name]
        churn = performance(in_band["churned"], in_band["churn_probability"])
        renew = performance(in_band["renewed"], in_band["renewal_probability"])
        rows.append(
            {
                "band": name,
                "accounts": len(in_band),
                "churn_known": int(churn["accounts"]),
                "predicted_churn": churn["mean_predicted"],
                "realised_churn": churn["realised_rate"],
                "renewals_known": int(renew["accounts"]),
                "predicted_renewal": renew["mean_predicted"],
                "realised_renewal": renew["realised_rate"],
            }
        )
    return pd.DataFrame(rows)


def realised_summary(outcomes: pd.DataFrame, config: LabelConfig = LabelConfig()) -> dict[str, Any]:
    """One scoring's status ('realised' or 'pending'), churn and renewal performance, and bands."""
    as_of = pd.Timestamp(outcomes["as_of"].max())
    # Only for the message: ``labels`` is what decides; this is the day its churn window closes.
    known_on = as_of + pd.Timedelta(days=config.horizon_days + config.grace_days)
    pending = not outcomes["churned"].notna().any()
    return {
        "as_of": str(as_of.date()),
        "status": "pending" if pending else "realised",
        "outcomes_known_from": str(known_on.date()),
        "accounts": len(outcomes),
        "churn": performance(outcomes["churned"], outcomes["churn_probability"]),
        "renewal": performance(outcomes["renewed"], outcomes["renewal_probability"]),
        "bands": band_outcomes(outcomes),
    }
