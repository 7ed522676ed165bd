"""Support per period: ticket volume, backlog, resolution and first-response times, escalations.

A ticket belongs to the period in which it was created, except where said otherwise.

- **Volume**: tickets created; per 100 customers of the period (``portfolio.revenue``).
- **Backlog** at the period's end: tickets created before it and not resolved by then
  (``resolved_at`` missing or later).
- **Resolution time**: hours from creation to resolution of the tickets *resolved* in the period;
  median and 90th percentile.
- **First response time**: hours from creation to the first response, median, for tickets created
  in the period that had one.
- **Escalation rate**: escalated tickets / tickets created, when an ``escalated`` flag column is
  present (true-like words as ``features.flags`` reads them), else missing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.flags import truthy

HOUR = pd.Timedelta(hours=1)


def ticket_rows(tickets: pd.DataFrame) -> pd.DataFrame:
    """``account_id, created_at, resolved_at, first_response_at, escalated`` (missing columns NaN)."""
    out = pd.DataFrame(
        {
            "account_id": tickets["account_id"].astype(str).to_numpy(),
            "created_at": tickets["created_at"].to_numpy(),
        }
    )
    for column in ("resolved_at", "first_response_at"):
        out[column] = tickets[column].to_numpy() if column in tickets else pd.NaT
    out["escalated"] = truthy(tickets["escalated"]) if "escalated" in tickets else np.nan
    return out


def support_table(
    tickets: pd.DataFrame, counts: pd.DataFrame, periods: pd.DataFrame
) -> pd.DataFrame:
    """Ticket figures per segment and period; ``tickets`` from ``ticket_rows`` with a
    ``segment``; ``counts`` has ``segment, period, customers``."""
    bounds = np.append(periods["period"].to_numpy(), periods["period_end"].to_numpy()[-1:])
    n = len(periods)
    has_escalation = bool(len(tickets)) and bool(tickets["escalated"].notna().any())
    t = tickets.assign(
        created_k=_period_index(tickets["created_at"], bounds),
        resolved_k=_period_index(tickets["resolved_at"], bounds),
        resolution_hours=(tickets["resolved_at"] - tickets["created_at"]) / HOUR,
        first_response_hours=(tickets["first_response_at"] - tickets["created_at"]) / HOUR,
        escalated=tickets["escalated"].astype(float),
    )
    frames = []
    for segment, own in t.groupby("segment", sort=True):
        out = pd.DataFrame({"segment": segment, "period": periods["period"].to_numpy()})
        new = own[own["created_k"] >= 0].groupby("created_k")
        done = own[own["resolved_k"] >= 0].groupby("resolved_k")
        out["tickets"] = new.size().reindex(range(n), fill_value=0).to_numpy()
        created = np.sort(own["created_at"].to_numpy())
        resolved = np.sort(own["resolved_at"].dropna().to_numpy())
        ends = bounds[1:]
        out["backlog"] = np.searchsorted(created, ends) - np.searchsorted(resolved, ends)
        out["resolved"] = done.size().reindex(range(n), fill_value=0).to_numpy()
        hours = done["resolution_hours"]
        out["resolution_hours_median"] = hours.median().reindex(range(n)).to_numpy()
        out["resolution_hours_p90"] = hours.quantile(0.9).reindex(range(n)).to_numpy()
        first = new["first_response_hours"].median()
        out["first_response_hours_median"] = first.reindex(range(n)).to_numpy()
        escalation = new["escalated"].mean().reindex(range(n)).to_numpy()
        out["escalation_rate"] = escalation if has_escalation else np.nan
        frames.append(out)
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True)
    out = out.merge(counts, on=["segment", "period"], how="left")
    out["customers"] = out["customers"].fillna(0).astype(np.int64)
    per_100 = 100 * out["tickets"] / out["customers"].where(out["customers"] > 0)
    return out.assign(tickets_per_100_customers=per_100.astype(float))


def _period_index(times: pd.Series, bounds: np.ndarray) -> np.ndarray:
    """Index of the period holding each time; -1 outside the periods or missing."""
    values = times.to_numpy()
    k = np.searchsorted(bounds, values, side="right") - 1
    k[(k >= len(bounds) - 1) | pd.isna(values)] = -1
    return k
