"""Signup cohorts: Kaplan-Meier retention by months since start, and each cohort's NRR.

An account's cohort is the calendar month its first coverage spell starts (``YYYY-MM``; the spells
of ``portfolio.revenue``). Only signups inside the reported periods form cohorts: accounts that
signed up earlier are seen only if they survived until the data starts (left truncation), which
would flatter their curves. Month ``k`` of an account is the instant ``start + k`` calendar months.

**Retention** (Kaplan-Meier, on the first spell; a later return does not undo the churn): an
account is retained at month ``k`` when its spell still covers ``start + k months``. Its churn is
observed when the spell ends at least the grace gap before the end of the data; otherwise it is
*censored*: known to be a customer only up to the end of the data (or its spell's end, if sooner).
At month ``k >= 1``, ``at_risk`` counts the accounts retained at month ``k - 1`` and observed at
``k`` (churned ones always are), ``churned`` those of them not retained at ``k``, and
``retention(k) = prod_{j <= k} (1 - churned_j / at_risk_j)``. Censored accounts leave the risk set
without counting as churn, so a young cohort does not drag an average down, and cohorts pool by
adding their risk sets (the ``all`` cohort), never by averaging their curves. ``censored`` counts
the accounts last observed at month ``k``. A month with nobody at risk is not reported.

**Cohort NRR** at month ``k``: ``sum over the cohort of MRR at start + k months / sum of MRR at the
first spell's start``, counting churned and returned accounts at what they pay then. Reported only
when every account of the cohort has reached month ``k`` at least the grace gap before the data
ends (a cohort's figure never mixes observed and unobserved accounts).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from portfolio.revenue import CENTS, RevenueTimeline, snapshot
from portfolio.segments import ALL, with_segments

COHORT_COLUMNS = [
    "segment",
    "cohort",
    "months",
    "accounts",
    "at_risk",
    "churned",
    "censored",
    "retention",
    "nrr",
]


def first_spells(
    timeline: RevenueTimeline, first: pd.Timestamp, last: pd.Timestamp
) -> pd.DataFrame:
    """First spells starting in ``[first, last)``: ``account_id, start, end, first_mrr, cohort``."""
    s = timeline.spells
    s = s[(s["spell_no"] == 0) & (s["spell_start"] >= first) & (s["spell_start"] < last)]
    return pd.DataFrame(
        {
            "account_id": s["account_id"].to_numpy(),
            "start": s["spell_start"].to_numpy(),
            "end": s["spell_end"].to_numpy(),
            "first_mrr": s["first_mrr"].fillna(0).to_numpy(dtype=np.int64),
            "cohort": s["spell_start"].dt.strftime("%Y-%m").to_numpy(),
        }
    )


def _month_marks(start: pd.Series, k: int) -> pd.Series:
    return start + pd.DateOffset(months=k) if k else start


def account_months(
    timeline: RevenueTimeline, spells: pd.DataFrame, data_end: pd.Timestamp, grace_days: int
) -> pd.DataFrame:
    """Per first spell and month ``k``: ``retained``, ``observed``, cohort ``mrr`` (cents), and
    ``settled`` (month ``k`` plus the grace gap inside the data)."""
    grace = pd.Timedelta(days=grace_days)
    start, end = pd.Series(spells["start"]), pd.Series(spells["end"])
    churned = (end + grace <= data_end).to_numpy()
    censor = np.minimum(end.to_numpy(), np.datetime64(data_end))
    frames = []
    k = 0
    while True:
        mark = _month_marks(start, k)
        if not len(spells) or mark.min() >= data_end:
            break
        at = mark.to_numpy()
        mrr = snapshot(
            timeline, pd.DataFrame({"account_id": spells["account_id"], "at": at}), inclusive=True
        )["mrr"].to_numpy()
        frames.append(
            pd.DataFrame(
                {
                    "account_id": spells["account_id"].to_numpy(),
                    "cohort": spells["cohort"].to_numpy(),
                    "months": k,
                    "retained": at < end.to_numpy(),
                    "observed": churned | (at < censor),
                    "mrr": mrr,
                    "base_mrr": spells["first_mrr"].to_numpy(),
                    "settled": (mark + grace <= data_end).to_numpy(),
                }
            )
        )
        k += 1
    columns = ["account_id", "cohort", "months", "retained", "observed", "mrr", "base_mrr"]
    if not frames:
        return pd.DataFrame(columns=[*columns, "settled"])
    return pd.concat(frames, ignore_index=True)


def cohort_table(months: pd.DataFrame, segments: pd.Series) -> pd.DataFrame:
    """Kaplan-Meier retention and NRR per segment, cohort (and ``all`` cohorts) and month."""
    if months.empty:
        return pd.DataFrame(columns=COHORT_COLUMNS)
    m = months.sort_values(["account_id", "months"], kind="stable")
    before = m.groupby("account_id", sort=False)["retained"].shift(fill_value=True)
    m = m.assign(
        at_risk=(before & m["observed"]).astype(np.int64),
        churned=(before & m["observed"] & ~m["retained"]).astype(np.int64),
    )
    m.loc[m["months"] == 0, "at_risk"] = 1  # everyone starts retained
    nxt = m.groupby("account_id", sort=False)["at_risk"].shift(-1, fill_value=0)
    m["censored"] = ((m["at_risk"] == 1) & (m["churned"] == 0) & (nxt == 0)).astype(np.int64)
    pooled = pd.concat([m, m.assign(cohort=ALL)], ignore_index=True)
    pooled = with_segments(pooled, segments)
    g = pooled.groupby(["segment", "cohort", "months"], sort=True)
    t = g[["at_risk", "churned", "censored", "mrr", "base_mrr"]].sum()
    t["settled"] = g["settled"].all()
    t["accounts"] = g.size()
    t = t[t["at_risk"] > 0].reset_index()
    hazard = 1 - t["churned"] / t["at_risk"]
    t["retention"] = hazard.groupby([t["segment"], t["cohort"]]).cumprod()
    base = t.groupby(["segment", "cohort"])["base_mrr"].transform("first")
    nrr = t["mrr"] / base.where(base > 0)
    t["nrr"] = nrr.where(t["settled"]).astype(float)
    t["accounts"] = t.groupby(["segment", "cohort"])["accounts"].transform("first")
    t["mrr"] = t["mrr"] / CENTS
    return t[COHORT_COLUMNS]
