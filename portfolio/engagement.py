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


def _distinct(keys: np.ndarray) -> np.ndarray:
    """Sorted distinct values of an integer array."""
    ordered = np.sort(keys)
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if len(ordered) else ordered


def usage_by_account(events, bounds: pd.DatetimeIndex) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(usage, adoption)`` from an events table (DataFrame or ``EventFiles``).

    ``usage``: ``account_id, period, events, active_days``; ``adoption``:
    ``account_id, period, feature`` (one row per feature an account used in the period).
    Vectorised over integer keys: an event table of 100M rows reduces to days first.
    """
    daily = reduce_events(event_batches(events))
    edges = _day_bounds(bounds)
    n_periods, n_types = len(bounds) - 1, max(len(daily.type_names), 1)
    k = np.searchsorted(edges, daily.td_day, side="right") - 1
    inside = (k >= 0) & (k < n_periods)
    acc, day, typ, k = daily.td_acc[inside], daily.td_day[inside], daily.td_typ[inside], k[inside]
    cell = acc.astype(np.int64) * n_periods + k  # one per (account, period)
    n_cells = len(daily.accounts) * n_periods
    events_sum = np.bincount(cell, weights=daily.td_v[inside], minlength=n_cells) / MICRO
    first_day = int(day.min()) if len(day) else 0
    span = int(day.max()) - first_day + 1 if len(day) else 1
    days = _distinct(acc.astype(np.int64) * span + (day - first_day))
    day_cell = (
        (days // span) * n_periods
        + np.searchsorted(edges, days % span + first_day, side="right")
        - 1
    )
    active = np.bincount(day_cell, minlength=n_cells)
    used = np.flatnonzero(active)
    names, periods = daily.accounts.to_numpy(), bounds.to_numpy()
    usage = pd.DataFrame(
        {
            "account_id": names[used // n_periods],
            "period": periods[used % n_periods],
            "events": events_sum[used],
            "active_days": active[used].astype(np.int64),
        }
    )
    pairs = _distinct(cell * n_types + typ)
    adoption = pd.DataFrame(
        {
            "account_id": names[pairs // n_types // n_periods],
            "period": periods[pairs // n_types % n_periods],
            "feature": daily.type_names.to_numpy()[pairs % n_types],
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
