"""The events table reduced once, for every as-of date of a build: usage and adoption inputs.

Why this shape: event tables run to 100M rows. They are read once (in batches when they stay on
disk as Parquet, ``features.loading.EventFiles``) and reduced to two small tables of integer
codes; every as-of date is then a few vectorised passes over a contiguous slice of them.

The reduction: ``type_days`` has one row per (account, event type, day) with the summed ``value``,
``user_days`` one row per (account, user, day) with any event. Values are summed as integers in
millionths (exact, so sums never depend on the order rows arrive, and training and scoring rows
agree bit for bit). Days are integers (days since 1970-01-01) and both tables are sorted by day.

Windows: for an as-of date ``t`` (a midnight), a row of day ``d < t`` has age ``t - d`` in days:
1 is the day before ``t``. "The last N days" means age 1..N; "the 30 before" age 31..60; week ``k``
of the 12-week slope is ages ``7k+1 .. 7k+7``. Each as-of date is computed on its own, so one
date's features do not depend on which other dates are built with it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.adoption import adoption_columns
from features.usage import usage_columns
from features.usage_types import PREFIX, type_columns, type_slug

EPOCH = np.datetime64("1970-01-01", "D")
SLOPE_WEEKS = 12
CORE_SHARE = 0.25  # the share of recently used event types that count as core
TOP_USER_SHARE = 0.25  # the share of an account's users that count as its most active
MICRO = 1_000_000  # values are summed in millionths (exact integers)
BATCH_ROWS = 8_000_000  # rows per batch when reducing an in-memory table


def day_numbers(timestamps: pd.Series) -> np.ndarray:
    """Days since 1970-01-01 of each timestamp (the calendar day it falls on)."""
    return timestamps.to_numpy().astype("datetime64[D]").astype(np.int64)


class Coder:
    """Dense integer codes for labels seen across batches (first come, first coded); portfolio's
    engagement codes its accounts and types with it too."""

    def __init__(self) -> None:
        self.index = pd.Index([], dtype=object)

    def encode(self, values: pd.Series | np.ndarray) -> np.ndarray:
        """Codes of ``values`` (-1 = missing)."""
        if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
            codes, uniques = values.cat.codes.to_numpy(), values.cat.categories
        else:
            codes, uniques = pd.factorize(values)
        uniques = pd.Index(np.asarray(uniques, dtype=object))
        known = self.index.get_indexer(uniques)
        new = known < 0
        if new.any():
            known[new] = len(self.index) + np.arange(int(new.sum()))
            self.index = self.index.append(uniques[new])
        lookup = np.append(known, -1).astype(np.int64)  # code -1 maps to the last slot
        return lookup[codes]


class _PairCoder:
    """Dense codes for (a, b) pairs of non-negative integer codes."""

    def __init__(self) -> None:
        self.index = pd.Index([], dtype=np.int64)

    def encode(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        codes, uniques = pd.factorize(a << 32 | b)
        known = self.index.get_indexer(uniques)
        new = known < 0
        if new.any():
            known[new] = len(self.index) + np.arange(int(new.sum()))
            self.index = self.index.append(pd.Index(uniques[new]))
        return known.astype(np.int64)[codes]

    def parts(self) -> tuple[np.ndarray, np.ndarray]:
        pairs = self.index.to_numpy(dtype=np.int64)
        return pairs >> 32, pairs & 0xFFFFFFFF


@dataclass
class DailyEvents:
    """Events reduced to days, both tables sorted by day; see the module docstring."""

    accounts: pd.Index  # account labels of the account codes
    type_names: pd.Index  # event type labels of the type codes
    has_users: bool
    td_day: np.ndarray  # type_days: day, account, type, value (millionths)
    td_acc: np.ndarray
    td_typ: np.ndarray
    td_v: np.ndarray
    td_pair: np.ndarray  # dense code of (account, type), with its parts below
    pair_acc: np.ndarray
    pair_typ: np.ndarray
    ud_day: np.ndarray  # user_days: day, user (dense per (account, user)), and each user's account
    ud_user: np.ndarray
    user_acc: np.ndarray


def _dense(day: np.ndarray, pair: np.ndarray, n_pairs: int) -> tuple[np.ndarray, int]:
    """One non-negative integer per (day, pair), ordered by day first; and the first day."""
    first = int(day.min()) if len(day) else 0
    return (day - first) * max(n_pairs, 1) + pair, first


def group_sum(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct keys and the int64 sum of ``values`` per key (integers, so exact).

    Sorting keys packed with their row numbers is several times faster than an argsort or a
    hash table when there are millions of distinct keys (portfolio's engagement uses it too).
    """
    n = len(keys)
    if n == 0:
        return keys.astype(np.int64, copy=False), values.astype(np.int64, copy=False)
    low = int(keys.min())
    bits = max(1, (n - 1).bit_length())
    if (int(keys.max()) - low).bit_length() + bits <= 63:
        packed = np.sort(((keys - low) << bits) | np.arange(n, dtype=np.int64))
        order = packed & ((1 << bits) - 1)
        ordered = (packed >> bits) + low
    else:
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    return ordered[starts], np.add.reduceat(values[order].astype(np.int64, copy=False), starts)


def distinct_sorted(keys: np.ndarray) -> np.ndarray:
    """Sorted distinct values (a sort: numpy's hash-based ``unique`` is slower on many keys)."""
    ordered = np.sort(keys)
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if len(ordered) else ordered


def reduce_events(batches: Iterable[pd.DataFrame]) -> DailyEvents:
    """One pass over event batches (contract columns) into ``DailyEvents``."""
    accounts, types, users = Coder(), Coder(), Coder()
    type_pairs, user_pairs = _PairCoder(), _PairCoder()
    td: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    ud: list[tuple[np.ndarray, np.ndarray]] = []
    has_users = False
    for batch in batches:
        has_users = has_users or "user_id" in batch
        acc = accounts.encode(batch["account_id"])
        typ = types.encode(batch["event_type"])
        day = day_numbers(batch["timestamp"])
        value = batch["value"].to_numpy(dtype=np.float64, na_value=np.nan)
        ok = (acc >= 0) & (typ >= 0) & ~np.isnat(batch["timestamp"].to_numpy())
        micro = np.rint(value[ok] * MICRO).astype(np.int64)
        pair = type_pairs.encode(acc[ok], typ[ok])
        keys, first = _dense(day[ok], pair, len(type_pairs.index))
        keys, sums = group_sum(keys, micro)
        n = max(len(type_pairs.index), 1)
        td.append((keys // n + first, keys % n, sums))
        if "user_id" in batch:
            usr = users.encode(batch["user_id"])
            seen = ok & (usr >= 0)
            upair = user_pairs.encode(acc[seen], usr[seen])
            keys, first = _dense(day[seen], upair, len(user_pairs.index))
            keys = distinct_sorted(keys)
            n = max(len(user_pairs.index), 1)
            ud.append((keys // n + first, keys % n))
    n_pairs, n_users = len(type_pairs.index), len(user_pairs.index)
    days = np.concatenate([d for d, _, _ in td]) if td else np.zeros(0, np.int64)
    pairs = np.concatenate([p for _, p, _ in td]) if td else np.zeros(0, np.int64)
    sums = np.concatenate([v for _, _, v in td]) if td else np.zeros(0, np.int64)
    keys, first = _dense(days, pairs, n_pairs)
    keys, sums = group_sum(keys, sums)
    td_day, pair = keys // max(n_pairs, 1) + first, keys % max(n_pairs, 1)
    days = np.concatenate([d for d, _ in ud]) if ud else np.zeros(0, np.int64)
    upairs = np.concatenate([p for _, p in ud]) if ud else np.zeros(0, np.int64)
    keys, first = _dense(days, upairs, n_users)
    keys = distinct_sorted(keys)
    ud_day, upair = keys // max(n_users, 1) + first, keys % max(n_users, 1)
    pair_acc, pair_typ = type_pairs.parts()
    user_acc, _ = user_pairs.parts()
    return DailyEvents(
        accounts=pd.Index(accounts.index.astype(str)),
        type_names=pd.Index(types.index.astype(str)),
        has_users=has_users,
        td_day=td_day,
        td_acc=pair_acc[pair],
        td_typ=pair_typ[pair],
        td_v=sums,
        td_pair=pair,
        pair_acc=pair_acc,
        pair_typ=pair_typ,
        ud_day=ud_day,
        ud_user=upair,
        user_acc=user_acc,
    )


def frame_batches(events: pd.DataFrame, rows: int = BATCH_ROWS) -> Iterator[pd.DataFrame]:
    """An in-memory events table in batches of ``rows`` rows."""
    for start in range(0, max(len(events), 1), rows):
        yield events.iloc[start : start + rows]


class _Windows:
    """Per-build lookups over ``DailyEvents``: account days, first uses, core ranking order."""

    def __init__(self, daily: DailyEvents) -> None:
        self.d = daily
        n_acc, n_typ = len(daily.accounts), len(daily.type_names)
        self.n_acc, self.n_typ = n_acc, n_typ
        # account_days: one row per (account, day) with the day's summed value, sorted by day
        keys, first = _dense(daily.td_day, daily.td_acc, n_acc)
        keys, self.ad_v = group_sum(keys, daily.td_v)
        self.ad_day, self.ad_acc = keys // max(n_acc, 1) + first, keys % max(n_acc, 1)
        self.ad_v = self.ad_v.astype(np.float64)  # exact below 2**53 millionths
        # the same rows ordered by (account, day), for "the last day before t"
        self.span = 1 << 32
        self.by_account = np.sort(self.ad_acc * self.span + (self.ad_day - first))
        self.day_first = first
        self.acc_first = np.full(n_acc, np.iinfo(np.int64).max)
        np.minimum.at(self.acc_first, self.ad_acc, self.ad_day)
        # first use of each (account, type) and of each type by anyone
        n_pairs = len(daily.pair_acc)
        self.pair_first = np.full(n_pairs, np.iinfo(np.int64).max)
        np.minimum.at(self.pair_first, daily.td_pair, daily.td_day)
        self.type_first = np.full(n_typ, np.iinfo(np.int64).max)
        np.minimum.at(self.type_first, daily.pair_typ, self.pair_first)

    def _count(self, acc: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(acc, weights=weights, minlength=self.n_acc).astype(np.float64)

    def type_usage(self, t: int) -> pd.DataFrame:
        """Per event type: accounts that used it in the 90 days before ``t`` and their summed
        value (millionths), and the first day anyone used it (see ``TypeCatalogue``)."""
        d = self.d
        s = _days(d.td_day, t - 90, t)
        pairs = np.zeros(len(d.pair_acc), bool)
        pairs[d.td_pair[s]] = True
        return pd.DataFrame(
            {
                "event_type": np.asarray(d.type_names, dtype=object),
                "as_of_day": t,
                "accounts_90d": np.bincount(d.pair_typ[pairs], minlength=self.n_typ),
                "value_90d": np.bincount(d.td_typ[s], weights=d.td_v[s], minlength=self.n_typ)
                .round()
                .astype(np.int64),
                "first_day": self.type_first,
            }
        )

    def at(self, t: int, types: TypeCatalogue) -> tuple[pd.DataFrame, int, int]:
        """Raw per-account aggregates at as-of day ``t``, the catalogue size and the core size."""
        d, raw = self.d, {}
        core_names = types.core.get(t, frozenset())
        core = np.asarray(d.type_names.isin(list(core_names)), dtype=bool)
        n_core = len(core_names)
        catalogue = types.catalogue.get(t, 0)
        # usage by day
        s = _days(self.ad_day, t - 90, t)
        acc, v, age = self.ad_acc[s], self.ad_v[s], t - self.ad_day[s]
        for n in (7, 30, 90):
            raw[f"events_{n}d"] = self._count(acc[age <= n], v[age <= n]) / MICRO
        prev = (age >= 31) & (age <= 60)
        raw["events_prev_30d"] = self._count(acc[prev], v[prev]) / MICRO
        for n in (7, 30, 90):
            raw[f"active_days_{n}d"] = self._count(acc[age <= n])
        weeks = age <= 7 * SLOPE_WEEKS
        weight = 11 - 2 * ((age[weeks] - 1) // 7)  # 2 x (week position - 5.5), oldest first
        raw["slope_numerator"] = self._count(acc[weeks], v[weeks] * weight) / MICRO
        raw["slope_total"] = self._count(acc[weeks], v[weeks]) / MICRO
        # active users
        s = _days(d.ud_day, t - 90, t)
        user, age = d.ud_user[s], t - d.ud_day[s]
        for name, rows in (
            ("active_users_7d", age <= 7),
            ("active_users_30d", age <= 30),
            ("active_users_90d", slice(None)),
            ("active_users_prev_30d", (age >= 31) & (age <= 60)),
        ):
            seen = np.zeros(len(d.user_acc), bool)
            seen[user[rows]] = True
            raw[name] = self._count(d.user_acc[seen])
        raw["user_days_30d"] = self._count(d.user_acc[user[age <= 30]])
        # weekly active users of the 12 weeks (distinct users per week), for their slope
        s = _days(d.ud_day, t - 7 * SLOPE_WEEKS, t)
        user_weeks = distinct_sorted(d.ud_user[s] * SLOPE_WEEKS + (t - d.ud_day[s] - 1) // 7)
        acc = d.user_acc[user_weeks // SLOPE_WEEKS]
        weight = 11 - 2 * (user_weeks % SLOPE_WEEKS)  # as for events: 2 x (position - 5.5)
        raw["users_slope_numerator"] = self._count(acc, weight.astype(np.float64))
        raw["users_slope_total"] = self._count(acc)
        raw["top_users_then"], raw["top_users_gone"], raw["top_users_idle_sum"] = self._top_users(t)
        # event types used
        s = _days(d.td_day, t - 90, t)
        pair, age, typ = d.td_pair[s], t - d.td_day[s], d.td_typ[s]
        used_30, used_90, used_prev = (np.zeros(len(d.pair_acc), bool) for _ in range(3))
        used_30[pair[age <= 30]] = True
        used_90[pair] = True
        used_prev[pair[(age >= 31) & (age <= 60)]] = True
        core_pair = core[d.pair_typ]
        raw["features_used_30d"] = self._count(d.pair_acc[used_30])
        raw["features_used_90d"] = self._count(d.pair_acc[used_90])
        raw["features_dropped_30d"] = self._count(d.pair_acc[used_prev & ~used_30])
        raw["core_features_used_30d"] = self._count(d.pair_acc[used_30 & core_pair])
        core_days = (age <= 30) & core[typ]  # one row per (account, type, day)
        raw["core_feature_days_30d"] = self._count(d.td_acc[s][core_days])
        # history: the last and first day with events before t
        accounts = np.arange(self.n_acc)
        stop = np.searchsorted(self.by_account, accounts * self.span + (t - self.day_first))
        last = self.by_account[np.maximum(stop - 1, 0)] if len(self.by_account) else stop
        before = (stop > 0) & (last // self.span == accounts)
        raw["last_day"] = np.where(before, last % self.span + self.day_first, np.nan)
        raw["first_day"] = np.where(before, self.acc_first, np.nan)
        # adoption: first use of each (account, type)
        known = self.pair_first < t
        new = known & (self.pair_first >= t - 30)
        adopted = known & core_pair
        raw["features_new_30d"] = self._count(d.pair_acc[new])
        raw["core_features_adopted"] = self._count(d.pair_acc[adopted])
        raw["core_adoption_age_sum"] = self._count(
            d.pair_acc[adopted], (t - self.pair_first[adopted]).astype(np.float64)
        )
        return pd.DataFrame(raw), catalogue, n_core

    def _top_users(self, t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per account: its most active users of the 150 days before the last 30 (ages 31..180),
        how many of them have no activity in the last 30 days, and the sum of the days since each
        was last active. Most active: the users with at least as many active days then as the
        account's ``ceil(TOP_USER_SHARE * n)``-th most active of its ``n`` users then (ties all
        count)."""
        d = self.d
        s = _days(d.ud_day, t - 180, t - 30)
        active = np.bincount(d.ud_user[s], minlength=len(d.user_acc))
        recent = np.zeros(len(d.user_acc), bool)
        recent[d.ud_user[_days(d.ud_day, t - 30, t)]] = True
        last = np.zeros(len(d.user_acc), np.int64)  # a user active then was last active since
        s = _days(d.ud_day, t - 180, t)
        np.maximum.at(last, d.ud_user[s], d.ud_day[s])
        users = np.flatnonzero(active > 0)
        acc, days = d.user_acc[users], active[users]
        order = np.lexsort((-days, acc))
        n = np.bincount(acc, minlength=self.n_acc)
        k = np.ceil(n * TOP_USER_SHARE).astype(np.int64)  # at least one where n > 0
        start = np.cumsum(n) - n
        threshold = np.zeros(self.n_acc, np.int64)
        has = n > 0
        threshold[has] = days[order][start[has] + k[has] - 1]
        top = days >= threshold[acc]
        idle = (t - last[users[top]]).astype(np.float64)
        gone = self._count(acc[top & ~recent[users]])
        return self._count(acc[top]), gone, self._count(acc[top], idle)

    def top_types(self, t: int, k: int) -> list[int]:
        """Codes of the ``k`` event types most accounts used before ``t`` (ties: more events,
        then the name)."""
        d = self.d
        s = _days(d.td_day, np.iinfo(np.int64).min, t)
        pairs = np.zeros(len(d.pair_acc), bool)
        pairs[d.td_pair[s]] = True
        accounts = np.bincount(d.pair_typ[pairs], minlength=self.n_typ)
        events = np.bincount(d.td_typ[s], weights=d.td_v[s], minlength=self.n_typ)
        used = np.flatnonzero(accounts > 0)
        names = np.asarray(d.type_names, dtype=object)
        rank = np.empty(len(names), np.int64)
        rank[np.argsort(names, kind="stable")] = np.arange(len(names))
        order = used[np.lexsort((rank[used], -events[used], -accounts[used]))]
        return [int(c) for c in order[:k]]

    def typed(self, t: int, codes: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """Uses of each type in ``codes`` per account: last 30 days and the 30 before, as
        ``(n_accounts, len(codes))`` arrays (code -1: a type absent from these events)."""
        d = self.d
        slot = np.full(self.n_typ + 1, -1, np.int64)
        for i, code in enumerate(codes):
            if code >= 0:
                slot[code] = i
        s = _days(d.td_day, t - 60, t)
        col, age = slot[d.td_typ[s]], t - d.td_day[s]
        keep = col >= 0
        acc, col, age, v = d.td_acc[s][keep], col[keep], age[keep], d.td_v[s][keep]
        width = max(len(codes), 1)
        shape = (self.n_acc, len(codes))
        recent = age <= 30
        now = np.bincount(acc[recent] * width + col[recent], v[recent], self.n_acc * width)
        before = np.bincount(acc[~recent] * width + col[~recent], v[~recent], self.n_acc * width)
        size = self.n_acc * len(codes)
        return (now[:size].reshape(shape) / MICRO, before[:size].reshape(shape) / MICRO)


def _typed_frame(
    windows: _Windows, t: int, slugs: list[str], rows: np.ndarray, base: pd.DataFrame
) -> pd.DataFrame:
    """Per-type columns (``features.usage_types``) for the account codes ``rows`` (-1: none)."""
    by_slug = {type_slug(name): code for code, name in enumerate(windows.d.type_names)}
    codes = [by_slug.get(slug, -1) for slug in slugs]
    now, before = windows.typed(t, codes)
    present = rows >= 0
    pick = np.where(present, rows, 0)
    now = np.where(present[:, None], now[pick], 0.0)
    before = np.where(present[:, None], before[pick], 0.0)
    events = base["events_30d"].to_numpy(dtype=float)
    users = base["active_users_30d"].to_numpy(dtype=float) if windows.d.has_users else None
    out = {}
    for i, slug in enumerate(slugs):
        names = type_columns(slug, users is not None)
        out[names[0]] = now[:, i]
        out[f"{PREFIX}{slug}_change_30d"] = np.where(
            before[:, i] > 0,
            (now[:, i] - before[:, i]) / np.where(before[:, i] > 0, before[:, i], 1),
            np.nan,
        )
        if users is not None:
            out[f"{PREFIX}{slug}_per_user_30d"] = np.where(
                users > 0, now[:, i] / np.where(users > 0, users, 1), np.nan
            )
        out[f"{PREFIX}{slug}_share_30d"] = np.where(
            events > 0, now[:, i] / np.where(events > 0, events, 1), np.nan
        )
    return pd.DataFrame(out, index=base.index)


def _days(days: np.ndarray, start: int, stop: int) -> slice:
    """The rows of a day-sorted array with ``start <= day < stop``."""
    return slice(*np.searchsorted(days, [start, stop]))


def _filled(raw: pd.DataFrame) -> pd.DataFrame:
    """Raw aggregates as true values: accounts without events before the date have 0 of every
    count; their first and last day (and the age sum behind an average) stay unknown."""
    counts = [c for c in raw.columns if c not in ("last_day", "first_day", "core_adoption_age_sum")]
    raw[counts] = raw[counts].astype(float).fillna(0.0)
    return raw


def event_batches(events) -> Iterator[pd.DataFrame]:
    """Batches of an events table: an in-memory frame, or ``EventFiles`` read from disk."""
    if isinstance(events, pd.DataFrame):
        return frame_batches(events)
    return events.batches()


@dataclass(frozen=True)
class TypeCatalogue:
    """Event-type statistics over all accounts, per as-of day: the catalogue size and the core.

    Catalogue = the event types anyone used before the day; core = the quarter (at least one) of
    the types used in the 90 days before it that the most accounts used then (ties: more events,
    then the name in code point order). Both span accounts, so a build over part of the accounts
    (a Spark partition) is given the whole's (``from_usage`` over every part's ``type_usage``).
    """

    catalogue: dict[int, int]
    core: dict[int, frozenset[str]]

    @classmethod
    def from_usage(cls, usage: pd.DataFrame) -> TypeCatalogue:
        """From ``type_usage`` rows of every part: counts and values add up, first days take the
        minimum (parts hold disjoint accounts)."""
        usage = usage.groupby(["as_of_day", "event_type"], as_index=False, sort=False).agg(
            accounts_90d=("accounts_90d", "sum"),
            value_90d=("value_90d", "sum"),
            first_day=("first_day", "min"),
        )
        catalogue, core = {}, {}
        for t, rows in usage.groupby("as_of_day", sort=False):
            catalogue[int(t)] = int((rows["first_day"] < t).sum())
            used = rows[rows["accounts_90d"] > 0]
            names = used["event_type"].to_numpy(dtype=object)
            name_rank = np.empty(len(names), np.int64)
            name_rank[np.argsort(names, kind="stable")] = np.arange(len(names))
            order = np.lexsort(
                (name_rank, -used["value_90d"].to_numpy(), -used["accounts_90d"].to_numpy())
            )
            size = max(1, math.ceil(CORE_SHARE * len(names))) if len(names) else 0
            core[int(t)] = frozenset(names[order[:size]])
        return cls(catalogue, core)


def as_of_day(as_of: pd.Timestamp) -> int:
    """An as-of date (a midnight) as days since 1970-01-01."""
    return int(np.datetime64(pd.Timestamp(as_of).date(), "D").astype(np.int64))


def type_usage(events, days: Iterable[int]) -> pd.DataFrame:
    """``TypeCatalogue`` inputs of these events at each as-of day (one row per type and day)."""
    windows = _Windows(reduce_events(event_batches(events)))
    return pd.concat([windows.type_usage(t) for t in days], ignore_index=True)


def event_features(
    events,
    accounts_at: dict[pd.Timestamp, pd.Index],
    types: TypeCatalogue | None = None,
    event_types: list[str] | None = None,
    top_types: int = 0,
) -> dict[pd.Timestamp, pd.DataFrame]:
    """Usage and adoption aggregates per as-of date (a midnight), one row per account asked for.

    ``events`` is a DataFrame or ``features.loading.EventFiles``. The columns are worked out by
    ``features.usage.usage_columns`` and ``features.adoption.adoption_columns``; the per-seat
    ratios are added by the builders, which meet the seats. ``types`` is the event-type catalogue over all
    accounts; by default these events' own (right when they are all the accounts' events).
    Per-type usage (``features.usage_types``) is added for ``event_types`` (slugs, as a trained
    model lists them) or, when those are not given, for the ``top_types`` event types most
    accounts used before the latest as-of date.
    """
    daily = reduce_events(event_batches(events))
    windows = _Windows(daily)
    days = {as_of: as_of_day(as_of) for as_of in accounts_at}
    if types is None:
        types = TypeCatalogue.from_usage(
            pd.concat([windows.type_usage(t) for t in set(days.values())], ignore_index=True)
        )
    codes = pd.Series(np.arange(len(daily.accounts)), index=daily.accounts)
    if event_types is None and top_types > 0 and accounts_at:
        last = max(as_of_day(as_of) for as_of in accounts_at)
        names = daily.type_names
        event_types = list(
            dict.fromkeys(type_slug(names[c]) for c in windows.top_types(last, top_types))
        )
    out: dict[pd.Timestamp, pd.DataFrame] = {}
    for as_of, accounts in accounts_at.items():
        t = days[as_of]
        raw, catalogue, n_core = windows.at(t, types)
        rows = codes.reindex(accounts).to_numpy()
        raw = _filled(raw.reindex(rows).reset_index(drop=True))
        frame = pd.concat(
            [
                usage_columns(raw, t, daily.has_users),
                adoption_columns(raw, t, catalogue, n_core, daily.has_users),
            ],
            axis=1,
        )
        if event_types:
            present = np.where(pd.isna(rows), -1, np.nan_to_num(rows, nan=-1)).astype(np.int64)
            typed = _typed_frame(windows, t, event_types, present, frame)
            frame = pd.concat([frame, typed], axis=1)
        frame.index = pd.Index(accounts, name="account_id")
        out[as_of] = frame
    return out
