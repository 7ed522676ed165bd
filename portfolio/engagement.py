"""Engagement per period: usage frequency and feature adoption among the period's customers.

The customers of a period are the accounts a coverage spell holds for some of it
(``portfolio.revenue.customer_periods``); events of other accounts are not counted. Events are
reduced to days once by ``features.events.reduce_events`` (the feature build's reduction, so an
events table left on disk is read in batches), and a day belongs to the period that holds it.

- **Usage frequency**: per customer, the events (sum of ``value``) and the active days (days with
  any event) in the period; the table gives their median, quartiles and mean over customers,
  customers with no events counting as zeros, and the share of customers with any event.
- **Feature adoption** per event type: customers who used it in the period / customers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.events import EPOCH, MICRO, event_batches, reduce_events


def _day_bounds(bounds: pd.DatetimeIndex) -> np.ndarray:
    return (bounds.to_numpy().astype("datetime64[D]") - EPOCH).astype(np.int64)


def usage_by_account(events, bounds: pd.DatetimeIndex) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(usage, adoption)`` from an events table (DataFrame or ``EventFiles``).

    ``usage``: ``account_id, period, events, active_days``; ``adoption``:
    ``account_id, period, feature`` (one row per feature an account used in the period).
    """
    daily = reduce_events(event_batches(events))
    edges = _day_bounds(bounds)
    k = np.searchsorted(edges, daily.td_day, side="right") - 1
    inside = (k >= 0) & (k < len(bounds) - 1)
    acc, day, typ = daily.td_acc[inside], daily.td_day[inside], daily.td_typ[inside]
    value, k = daily.td_v[inside], k[inside]
    frame = pd.DataFrame({"acc": acc, "k": k, "day": day, "typ": typ, "v": value})
    per = frame.groupby(["acc", "k"], sort=False)
    usage = pd.DataFrame({"events": per["v"].sum() / MICRO})
    usage["active_days"] = frame.drop_duplicates(["acc", "day"]).groupby(["acc", "k"]).size()
    usage = usage.reset_index()
    adoption = frame.drop_duplicates(["acc", "k", "typ"])[["acc", "k", "typ"]]
    periods = bounds.to_numpy()
    names = daily.accounts.to_numpy()
    usage = pd.DataFrame(
        {
            "account_id": names[usage["acc"].to_numpy()],
            "period": periods[usage["k"].to_numpy()],
            "events": usage["events"].to_numpy(dtype=float),
            "active_days": usage["active_days"].to_numpy(dtype=np.int64),
        }
    )
    adoption = pd.DataFrame(
        {
            "account_id": names[adoption["acc"].to_numpy()],
            "period": periods[adoption["k"].to_numpy()],
            "feature": daily.type_names.to_numpy()[adoption["typ"].to_numpy()],
        }
    )
    return usage, adoption


def usage_table(usage: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
    """Usage frequency per segment and period; ``customers`` has ``account_id, period, segment``."""
    per = customers.merge(usage, on=["account_id", "period"], how="left")
    per["events"] = per["events"].fillna(0.0)
    per["active_days"] = per["active_days"].fillna(0).astype(float)
    per["used"] = per["events"] > 0
    g = per.groupby(["segment", "period"])
    out = g.agg(customers=("account_id", "size"), active_share=("used", "mean"))
    for column in ("events", "active_days"):
        out[f"{column}_mean"] = g[column].mean()
        for name, q in (("q1", 0.25), ("median", 0.5), ("q3", 0.75)):
            out[f"{column}_{name}"] = g[column].quantile(q)
    return out.reset_index()


def adoption_table(adoption: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
    """Feature adoption per segment, period and feature (share of the period's customers)."""
    used = customers.merge(adoption, on=["account_id", "period"], how="inner")
    adopters = used.groupby(["segment", "period", "feature"]).size().rename("adopters")
    counts = customers.groupby(["segment", "period"]).size().rename("customers")
    out = adopters.reset_index().merge(counts.reset_index(), on=["segment", "period"])
    return out.assign(adoption_rate=out["adopters"] / out["customers"])


def customer_counts(customers: pd.DataFrame) -> pd.DataFrame:
    """``segment, period, customers``."""
    return customers.groupby(["segment", "period"]).size().rename("customers").reset_index()
