"""How subscription rows are read: when each date is known, and billing periods (DESIGN section 1).

Two readings of the subscriptions table, chosen per source in the data config
(``reading`` under ``[tables.subscriptions]``):

- ``terms`` (the default): each row is one signed contract term ``[start_date, end_date)``; its end
  is known the day it starts. Renewals are new rows.
- ``renewing``: each row is one auto-renewing subscription for its whole life, as billing systems
  export them (Stripe, Chargebee, Recurly, Paddle). It renews every billing period (``interval``:
  a column, or the config's default: month, quarter, year, week) until it ends; ``end_date`` (the
  export's ``ended_at``) is known only when it happens, or from ``canceled_at`` when that is
  earlier (a cancellation at the period end). A ``current_period_end`` column, when present,
  anchors the period boundaries instead of ``start_date``.

A renewing row becomes one row per billing period (``renewing_periods``), so renewal dates, days
to renewal and renewal labels exist without any end date. Every row then carries ``nominal_end``
(the end as planned at its start) and ``end_known_at`` (when its actual ``end_date`` became
known); ``features.pointintime.visible_subscriptions`` shows the planned end until then.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

READINGS = ("terms", "renewing")
INTERVAL_MONTHS = {"month": 1, "monthly": 1, "quarter": 3, "quarterly": 3, "year": 12,
                   "annual": 12, "yearly": 12}  # fmt: skip
INTERVAL_DAYS = {"week": 7, "weekly": 7, "day": 1, "daily": 1}
MIN_ACCOUNTS_FOR_SHAPE = 20
OPEN_END = pd.Timestamp("2200-01-01")  # the end of a running row (as ``features.timeline``)


def add_months(day: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Calendar month arithmetic on datetime64[D], clipping the day to the target month's end."""
    month = day.astype("datetime64[M]")
    dom = (day - month.astype("datetime64[D]")).astype(np.int64)
    target = month + months.astype("timedelta64[M]")
    first = target.astype("datetime64[D]")
    length = ((target + np.timedelta64(1, "M")).astype("datetime64[D]") - first).astype(np.int64)
    return first + np.minimum(dom, length - 1).astype("timedelta64[D]")


def interval_steps(values: pd.Series) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    """Per row: months per period, days per period (one of the two is 0), and unknown values."""
    text = values.astype("object").where(values.notna(), "").astype(str).str.strip().str.lower()
    months = text.map(INTERVAL_MONTHS).fillna(0).astype(np.int64).to_numpy()
    days = text.map(INTERVAL_DAYS).fillna(0).astype(np.int64).to_numpy()
    unknown = (months == 0) & (days == 0)
    return months, days, values[unknown]


def _shift(anchor: np.ndarray, k: np.ndarray, months: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Boundary ``k`` periods after ``anchor`` (datetime64[D]); ``k`` may be negative."""
    by_month = add_months(anchor, k * months)
    by_day = anchor + (k * days).astype("timedelta64[D]")
    return np.where(months > 0, by_month, by_day)


def renewing_periods(subscriptions: pd.DataFrame, data_end: pd.Timestamp) -> pd.DataFrame:
    """One row per billing period of each renewing subscription, up to its end or the data's end.

    Expects an ``interval`` column (see ``interval_steps``). The last period of an ended
    subscription ends at ``end_date`` (its ``nominal_end`` stays the planned period end), known
    at ``canceled_at`` if earlier, else at ``end_date``; a running subscription's periods run to
    the one holding ``data_end``. Times of day of the boundaries are dropped (periods are days).
    """
    subs = subscriptions.reset_index(drop=True)
    months, days, _ = interval_steps(subs["interval"])
    start = subs["start_date"].dt.normalize().to_numpy().astype("datetime64[D]")
    life_end = subs["end_date"].to_numpy().astype("datetime64[D]")
    until = np.where(
        np.isnat(life_end), np.datetime64(pd.Timestamp(data_end).date(), "D"), life_end
    )
    anchor = start
    if "current_period_end" in subs:
        current = subs["current_period_end"].to_numpy().astype("datetime64[D]")
        anchor = np.where(np.isnat(current), start, current)
    # k: the period holding the start, anchor + k periods <= start < anchor + (k + 1) periods
    span = np.maximum(months * 30, days).astype(np.int64)
    k = ((start - anchor).astype(np.int64) // np.maximum(span, 1)).astype(np.int64)
    while (late := _shift(anchor, k, months, days) > start).any():
        k = np.where(late, k - 1, k)
    while (early := _shift(anchor, k + 1, months, days) <= start).any():
        k = np.where(early, k + 1, k)
    pieces = []
    lo = start.copy()
    index = np.arange(len(subs))
    open_rows = lo < until
    while open_rows.any():
        rows = index[open_rows]
        hi = _shift(anchor[rows], k[rows] + 1, months[rows], days[rows])
        pieces.append(pd.DataFrame({"_row": rows, "_lo": lo[rows], "_hi": hi}))
        k[rows] += 1
        lo[rows] = hi
        open_rows = np.zeros(len(subs), dtype=bool)
        open_rows[rows] = hi < until[rows]
    if not pieces:
        return subs.assign(nominal_end=subs["end_date"], end_known_at=subs["start_date"]).iloc[:0]
    periods = pd.concat(pieces, ignore_index=True).sort_values(["_row", "_lo"], kind="stable")
    out = subs.iloc[periods["_row"].to_numpy()].reset_index(drop=True)
    nominal = pd.to_datetime(periods["_hi"].to_numpy()).astype("datetime64[ns]")
    out["start_date"] = pd.to_datetime(periods["_lo"].to_numpy()).astype("datetime64[ns]")
    out["nominal_end"] = nominal
    ended = ~np.isnat(life_end[periods["_row"].to_numpy()])
    last = np.asarray(periods["_hi"].to_numpy() >= until[periods["_row"].to_numpy()])
    final = ended & last
    true_end = subs["end_date"].to_numpy()[periods["_row"].to_numpy()]
    out["end_date"] = np.where(final, true_end, nominal.to_numpy())
    known = out["start_date"].to_numpy().copy()
    cancel = true_end
    if "canceled_at" in subs:
        canceled = subs["canceled_at"].to_numpy()[periods["_row"].to_numpy()]
        cancel = np.where(~np.isnat(canceled) & (canceled < true_end), canceled, true_end)
    out["end_known_at"] = np.where(final, cancel, known)
    if "subscription_id" in out:
        period_no = out.groupby("subscription_id", sort=False).cumcount().astype(str)
        out["subscription_id"] = out["subscription_id"].astype(str) + "-p" + period_no
    return out


def one_row_per_life(subscriptions: pd.DataFrame, grace_days: int = 14) -> str | None:
    """A description of the one-row-per-life shape when the rows look like it, else None.

    The shape: at least ``MIN_ACCOUNTS_FOR_SHAPE`` accounts and some dated ends; no row of an
    account overlaps or continues another (each next row starts more than the grace gap after the
    previous one's end); every dated end is its account's last row. Signed terms renew as new rows
    that continue the previous ones, so their exports do not look like this.
    """
    subs = subscriptions[["account_id", "start_date", "end_date"]]
    if subs["account_id"].nunique() < MIN_ACCOUNTS_FOR_SHAPE or subs["end_date"].notna().sum() == 0:
        return None
    subs = subs.sort_values(["account_id", "start_date"], kind="stable")
    previous_end = subs.groupby("account_id", sort=False)["end_date"].shift()
    has_previous = subs["account_id"].duplicated()
    continues = has_previous & (
        previous_end.isna() | (subs["start_date"] <= previous_end + pd.Timedelta(days=grace_days))
    )
    if continues.any():
        return None
    is_last = ~subs["account_id"].duplicated(keep="last")
    if (subs["end_date"].notna() & ~is_last).any():
        return None
    dated = int(subs["end_date"].notna().sum())
    return (
        f"{subs['account_id'].nunique():,} accounts have one row each for a whole subscription "
        f"(no row continues another; the {dated:,} dated ends are all their account's last row)"
    )


def reading_question(shape: str) -> str:
    """What to ask the user when the subscriptions look like one row per life, unconfigured."""
    return (
        f"subscriptions.end_date: {shape}. That is how auto-renewing billing exports (Stripe, "
        f"Chargebee) look, where an end date is known only once the subscription has ended; read "
        f"as signed terms, every end date would be visible before it happened (a perfect leak). "
        f"Say which reading applies: in the data config, under [tables.subscriptions], set "
        f'reading = "renewing" (with interval = "month" or an interval column; see '
        f'examples/stripe.toml) or reading = "terms" if each row really is one signed term.'
    )


# ---------------------------------------------------------------------------------------------
# Concurrent rows: one account's contract at a date


def current_rows(subscriptions: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Rows (known at ``as_of``, see ``visible_subscriptions``) that cover ``as_of``."""
    known = subscriptions[subscriptions["start_date"] < as_of]
    end = known["end_date"].fillna(OPEN_END)
    return known[end >= as_of]


def main_rows(current: pd.DataFrame) -> pd.DataFrame:
    """Per account, the main row of its current contract: the largest MRR (then the latest start,
    then the latest end); without an ``mrr`` column, the latest start and end."""
    order = ["account_id", "start_date", "_end"]
    ranked = current.assign(_end=current["end_date"].fillna(OPEN_END))
    if "mrr" in ranked:
        ranked = ranked.assign(_mrr=ranked["mrr"].fillna(-np.inf))
        order = ["account_id", "_mrr", "start_date", "_end"]
    ranked = ranked.sort_values(order, kind="stable")
    main = ranked.drop_duplicates("account_id", keep="last").set_index("account_id")
    return main.drop(columns=[c for c in ("_end", "_mrr") if c in main])


def contract_mrr(
    subscriptions: pd.DataFrame, as_of: pd.Timestamp, accounts: pd.Index
) -> tuple[pd.Series, pd.Series]:
    """The contract's MRR at ``as_of`` (the sum over its current rows) and just before its latest
    change (the latest row start, or end of a row that has ended, before ``as_of``).

    So a renewal at a new price, an add-on bought or dropped all show as a change; the MRR
    before is NaN where no row covered the account then (a first contract).
    """
    known = subscriptions[subscriptions["start_date"] < as_of]
    if known.empty:
        nothing = pd.Series(np.nan, index=accounts)
        return nothing, nothing.copy()
    end = known["end_date"].fillna(OPEN_END)
    current = known[end >= as_of].groupby("account_id", sort=False)["mrr"].sum(min_count=1)
    changes = pd.concat(
        [known[["account_id", "start_date"]].rename(columns={"start_date": "at"}),
         known.loc[end < as_of, ["account_id"]].assign(at=end[end < as_of])]
    )  # fmt: skip
    latest = changes.groupby("account_id", sort=False)["at"].max()
    rows = known[["account_id", "start_date", "mrr"]].assign(
        _end=end, _change=latest.reindex(known["account_id"]).to_numpy()
    )
    before = rows[(rows["start_date"] < rows["_change"]) & (rows["_end"] >= rows["_change"])]
    previous = before.groupby("account_id", sort=False)["mrr"].sum(min_count=1)
    return current.reindex(accounts).astype(float), previous.reindex(accounts).astype(float)


def mrr_at(subscriptions: pd.DataFrame, moment: pd.Timestamp, accounts: pd.Index) -> pd.Series:
    """The contract's MRR at an earlier ``moment``: the sum over the rows covering it (started
    before it, not ended before it); NaN where none did (not yet a customer then)."""
    end = subscriptions["end_date"].fillna(OPEN_END)
    covering = subscriptions[(subscriptions["start_date"] < moment) & (end >= moment)]
    mrr = covering.groupby("account_id", sort=False)["mrr"].sum(min_count=1)
    return mrr.reindex(accounts).astype(float)
