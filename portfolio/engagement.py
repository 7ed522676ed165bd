"""Engagement per period: usage frequency and feature adoption among the period's customers.

The customers of a period are the accounts a coverage spell holds for some of it
(``portfolio.revenue.customer_periods``); events of other accounts are not counted. A day belongs
to the period that holds it (days are calendar days of the timestamps, as in ``features.events``).

- **Usage frequency**: per customer, the events (sum of ``value``) and the active days (days with
  any event) in the period; the table gives their median, quartiles and mean over customers,
  customers with no events counting as zeros, and the share of customers with any event.
- **Feature adoption** per event type: customers who used it in the period / customers.

Why streamed: event tables run to 100M rows, left on disk (``features.contract.EventFiles``). Each
batch is reduced at once to three sets of integer keys, (account, period) with its summed value,
(account, day) and (account, period, type), and only those distinct keys are kept: what is held
grows with the accounts, periods and types actually used, never with the events, and there is no
per-user or per-day-and-type table (``features.events.reduce_events`` keeps both, for the feature
windows). Values are summed as integers in millionths, so sums do not depend on batch order.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from features.events import (
    EPOCH,
    MICRO,
    Coder,
    day_numbers,
    distinct_sorted,
    frame_batches,
    group_sum,
)
from features.loading import EventFiles

TYPE_BITS = 32  # (account, period) and type packed in one key: types below 2**32
MERGE_ROWS = 1 << 22  # pending keys held before merging, at least
BATCH_ROWS = 2_000_000  # events per batch: a quarter of the feature build's, as the metrics
# keep little else, so a batch and its integer keys are most of the memory they need


def _day_bounds(bounds: pd.DatetimeIndex) -> np.ndarray:
    return (bounds.to_numpy().astype("datetime64[D]") - EPOCH).astype(np.int64)


class KeySums:
    """Sorted distinct integer keys, and with ``sums`` the integer sum of a value per key, over
    many batches.

    Batches are merged once the pending keys outnumber the merged ones, so memory stays within
    about three times the distinct keys however many batches repeat them, at amortised cost.
    """

    def __init__(self, sums: bool = False, merge_rows: int = MERGE_ROWS) -> None:
        self.keys = np.zeros(0, np.int64)
        self.sums = np.zeros(0, np.int64) if sums else None
        self.merge_rows = merge_rows
        self._pending: list[tuple[np.ndarray, np.ndarray | None]] = []
        self._rows = 0

    def add(self, keys: np.ndarray, values: np.ndarray | None = None) -> None:
        self._pending.append(self._reduce(keys, values))
        self._rows += len(self._pending[-1][0])
        if self._rows > max(len(self.keys), self.merge_rows):
            self._merge()

    def _reduce(self, keys, values):
        if self.sums is None:
            return distinct_sorted(keys), None
        return group_sum(keys, values)

    def _merge(self) -> None:
        if self._pending:
            keys = np.concatenate([self.keys, *(k for k, _ in self._pending)])
            sums = None
            if self.sums is not None:
                sums = np.concatenate([self.sums, *(v for _, v in self._pending)])
            self._pending, self._rows = [], 0
            self.keys, self.sums = self._reduce(keys, sums)

    def result(self) -> tuple[np.ndarray, np.ndarray | None]:
        """The sorted distinct keys and, with ``sums``, their sums."""
        self._merge()
        return self.keys, self.sums


def _batches(events) -> Iterator[pd.DataFrame]:
    """Contract-typed batches of at most ``BATCH_ROWS`` events, one Parquet file at a time when
    they are left on disk: a dataset of many files reads several files ahead (on three files of
    12M events that held a gigabyte more than one file at a time)."""
    if isinstance(events, pd.DataFrame):
        yield from frame_batches(events, BATCH_ROWS)
        return
    import pyarrow.dataset as ds

    rows = min(events.batch_rows, BATCH_ROWS)
    for file in ds.dataset(events.path, format="parquet").files:
        yield from EventFiles(file, rows).batches()


def usage_by_account(events, bounds: pd.DatetimeIndex) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(usage, adoption)`` from an events table (DataFrame or ``EventFiles``), one pass over
    its batches.

    ``usage``: ``account_id, period, events, active_days`` per account and period with events;
    ``adoption``: ``account_id, period, feature`` (one row per feature an account used in the
    period; ``account_id`` and ``feature`` categorical, as there are many rows).
    """
    edges = _day_bounds(bounds)
    n_periods = len(bounds) - 1
    accounts, types = Coder(), Coder()
    cell_sums, account_days, cell_types = KeySums(sums=True), KeySums(), KeySums()
    for batch in _batches(events):
        acc = accounts.encode(batch["account_id"])
        typ = types.encode(batch["event_type"])
        if len(types.index) >> 31 or (len(accounts.index) * n_periods) >> 62 - TYPE_BITS:
            raise ValueError("too many accounts, periods or event types to pack in one key")
        _add_batch(batch, acc, typ, edges, cell_sums, account_days, cell_types)
    batch = acc = typ = None  # the last batch is not held while the frames are built
    names = pd.Index(accounts.index.astype(str))
    usage = _usage_frame(cell_sums, account_days, edges, names, bounds)
    del cell_sums, account_days  # each step's temporaries go before the next one's
    adoption = _adoption_frame(cell_types, n_periods, names, types, bounds)
    return usage, adoption


def _add_batch(batch, acc, typ, edges, cell_sums, account_days, cell_types) -> None:
    """One batch's keys into the three sums (a function, so its arrays go when it returns)."""
    n_periods, n_days = len(edges) - 1, int(edges[-1] - edges[0])
    stamps = batch["timestamp"]
    day = day_numbers(stamps)
    value = batch["value"].to_numpy(dtype=np.float64, na_value=np.nan)
    ok = (acc >= 0) & (typ >= 0) & ~np.isnat(stamps.to_numpy())
    k = np.searchsorted(edges, day, side="right") - 1
    keep = ok & (k >= 0) & (k < n_periods)
    acc, day, typ, k = acc[keep], day[keep], typ[keep], k[keep]
    cell = acc * n_periods + k  # one per (account, period)
    cell_sums.add(cell, np.rint(value[keep] * MICRO).astype(np.int64))
    account_days.add(acc * n_days + (day - edges[0]))
    cell_types.add(cell << TYPE_BITS | typ)


def _usage_frame(cell_sums: KeySums, account_days: KeySums, edges, names, bounds) -> pd.DataFrame:
    n_periods, n_days = len(bounds) - 1, int(edges[-1] - edges[0])
    cells, sums = cell_sums.result()
    days, _ = account_days.result()
    period = np.searchsorted(edges, days % n_days + edges[0], side="right") - 1
    day_cell = (days // n_days) * n_periods + period  # sorted, as the days are
    del days, period
    starts = (
        np.flatnonzero(np.r_[True, day_cell[1:] != day_cell[:-1]]) if len(day_cell) else day_cell
    )
    active = np.diff(np.append(starts, len(day_cell)))  # the same cells as ``cells``, in order
    return pd.DataFrame(
        {
            "account_id": names.to_numpy()[cells // n_periods],
            "period": bounds.to_numpy()[cells % n_periods],
            "events": sums / MICRO,
            "active_days": active,
        }
    )


def _adoption_frame(cell_types: KeySums, n_periods: int, names, types, bounds) -> pd.DataFrame:
    pairs, _ = cell_types.result()
    feature = pd.Categorical.from_codes(
        (pairs & ((1 << TYPE_BITS) - 1)).astype(np.int32),
        categories=pd.Index(types.index.astype(str)),
    )
    cell = pairs >> TYPE_BITS
    del pairs
    period = bounds.to_numpy()[cell % n_periods]
    account = pd.Categorical.from_codes((cell // n_periods).astype(np.int32), categories=names)
    del cell
    return pd.DataFrame({"account_id": account, "period": period, "feature": feature})


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


def _codes_in(values: pd.Series, index: pd.Index) -> np.ndarray:
    """Positions of ``values`` in ``index`` (-1 where absent), through categories when coded."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        at = np.append(index.get_indexer(values.cat.categories), -1)
        return at[values.cat.codes.to_numpy()]
    return index.get_indexer(values)


def adoption_table(adoption: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
    """Feature adoption per segment, period and feature (share of the period's customers).

    ``customers`` has ``account_id, period, segment``, each (account, period) once per segment.
    Counted on integer codes, one segment at a time: the adoption rows (one per account, period
    and feature, tens of millions on a large book) are never joined to the customers as text.
    """
    counts = customers.groupby(["segment", "period"]).size().rename("customers").reset_index()
    columns = ["segment", "period", "feature", "adopters", "customers", "adoption_rate"]
    accounts = pd.Index(pd.unique(customers["account_id"]))
    periods = pd.Index(np.sort(pd.unique(customers["period"])))
    features = adoption["feature"].astype("category")
    names = features.cat.categories
    n_periods, n_features = len(periods), len(names)
    account = _codes_in(adoption["account_id"], accounts)
    period = periods.get_indexer(adoption["period"])
    feature = features.cat.codes.to_numpy()
    known = (account >= 0) & (period >= 0) & (feature >= 0)  # customers' uses only count
    cell = np.where(known, account * n_periods + period, -1)
    spot = np.where(known, period * n_features + feature, 0)
    del account, period, feature, known
    frames = []
    for segment, own in customers.groupby("segment", sort=True):
        cells = np.sort(
            accounts.get_indexer(own["account_id"]) * n_periods + periods.get_indexer(own["period"])
        )
        at = np.searchsorted(cells, cell)
        np.minimum(at, max(len(cells) - 1, 0), out=at)
        used = cells[at] == cell if len(cells) else np.zeros(len(cell), bool)  # cell -1: never
        del at
        adopters = np.bincount(spot[used], minlength=n_periods * n_features)
        found = np.flatnonzero(adopters)
        frames.append(
            pd.DataFrame(
                {
                    "segment": segment,
                    "period": periods.to_numpy()[found // n_features],
                    "feature": names.to_numpy(dtype=object)[found % n_features],
                    "adopters": adopters[found].astype(np.int64),
                }
            )
        )
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns[:4])
    out = out.sort_values(["segment", "period", "feature"], kind="stable", ignore_index=True)
    out = out.merge(counts, on=["segment", "period"])
    return out.assign(adoption_rate=out["adopters"] / out["customers"])[columns]


def customer_counts(customers: pd.DataFrame) -> pd.DataFrame:
    """``segment, period, customers``."""
    return customers.groupby(["segment", "period"]).size().rename("customers").reset_index()
