"""Revenue movements: the MRR bridge, logo churn, gross and net revenue retention, renewals.

**The contract in force.** Subscription rows follow ``features.timeline`` and
``features.labels``: a row covers ``[start_date, end_date)`` (null end = running), concurrent rows
of an account (a base plan and add-ons) form one contract whose MRR is their sum, and coverage that
resumes within the grace gap (``LabelConfig.grace_days``, 14 days) is one continuous customer
relationship: a *spell*, exactly ``features.labels.coverage_spells``. An account is a customer at a
boundary when a spell holds it (as-of convention, see ``portfolio.periods``). Inside a bridged gap
its MRR is that of the contract in force just before the gap, so a late renewal is neither churn
nor a dip. A missing ``mrr`` counts 0: logos still move. Amounts are summed in integer cents, so
identities hold exactly.

**Per account and period** ``[s, e)`` with MRR ``m0`` at ``s`` and ``m1`` at ``e``:

- the same spell holds the account at ``s`` and ``e``: ``expansion = max(m1 - m0, 0)``,
  ``contraction = max(m0 - m1, 0)``; expansion is *cross-sell* when the contract has more
  concurrent rows at ``e`` than at ``s`` (an add-on), else *upsell* (seats, plan, price);
- a spell holds it at ``s`` but not at ``e`` (its spell ended in the period): ``churn = m0``;
- each spell that starts in the period adds its MRR (``m1`` if it still holds at ``e``, else its
  MRR at its start) to ``new`` when it is the account's first spell, else to ``reactivation``; one
  that also ends in the period adds the same to ``churn``: an account that joins and leaves in one
  period is one new logo and one churned logo, and a customer who leaves and comes back in one
  period is one churn and one reactivation.

So per account, and summed over any set of accounts, exactly
``start + new + expansion - contraction - churn + reactivation = end``.

Edge cases: churn has no explicit marker, it is coverage ending, so an account whose final row was
deleted from the export (rather than given an end) churns at the end of its last remaining row;
annual terms churn and come up for renewal in the period that holds their end date (never spread
over the months); a customer returning after more than the grace gap is a reactivation, never new.

**Rates on the starting cohort** (the accounts a spell holds at the period's start):
``logo churn rate = churned starting customers / starting customers``;
``GRR = sum(min(m_end, m_start)) / sum(m_start)`` and ``NRR = sum(m_end) / sum(m_start)`` over the
cohort, so GRR never exceeds 100% and equals NRR when no cohort account expanded or came back.
``MRR churn rate = churn of starting customers / starting MRR``. The trailing-twelve-month
figures apply the same formulas to the cohort of twelve months earlier
(four quarters); they are missing until the data spans twelve months. Expansion and contraction
rates are divided by the starting MRR.

**Renewals.** A term comes up for renewal at an end date no other row of the contract runs across
(an add-on ending under a running base plan is no renewal decision). It renews when coverage goes on
past it (``spell_end > term end``, the renewal rule of ``features.labels.labels``). Per account and
period: due when a term ended in it, renewed when every term ending in it renewed, and the MRR up for
renewal is the contract's MRR just before its first term end there. ``renewal rate (logos) =
renewed / due``; ``renewal rate (dollars) = MRR up of the renewed / MRR up``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.labels import coverage_spells

CENTS = 100


@dataclass(frozen=True)
class RevenueTimeline:
    """An account's contract as change points and spells (see the module docstring).

    ``points``: ``account_id, at, mrr, mrr_before, rows, starts, ends`` (MRR in cents after and
    before the change at ``at``; concurrent rows after it; rows starting and ending at it), sorted
    by ``at``. ``spells``: ``account_id, spell_start, spell_end, spell_no, first_mrr``
    (``spell_no`` 0 is the account's first spell), sorted by ``spell_start``.
    """

    points: pd.DataFrame
    spells: pd.DataFrame


def to_cents(mrr: pd.Series) -> np.ndarray:
    """MRR as integer cents (missing = 0)."""
    return np.rint(mrr.astype(float).fillna(0.0).to_numpy() * CENTS).astype(np.int64)


def revenue_timeline(subscriptions: pd.DataFrame, grace_days: int) -> RevenueTimeline:
    """Change points and spells of every account's contract."""
    subs = subscriptions
    cents = to_cents(subs["mrr"]) if "mrr" in subs else np.zeros(len(subs), np.int64)
    ids = subs["account_id"].astype(str).to_numpy()
    ended = subs["end_date"].notna().to_numpy()
    ones = np.ones(len(subs), np.int64)
    changes = pd.DataFrame(
        {
            "account_id": np.concatenate([ids, ids[ended]]),
            "at": np.concatenate(
                [subs["start_date"].to_numpy(), subs["end_date"].to_numpy()[ended]]
            ),
            "dmrr": np.concatenate([cents, -cents[ended]]),
            "drows": np.concatenate([ones, -ones[ended]]),
            "starts": np.concatenate([ones, 0 * ones[ended]]),
            "ends": np.concatenate([0 * ones, ones[ended]]),
        }
    )
    points = changes.groupby(["account_id", "at"], sort=True).sum().reset_index()
    by_account = points.groupby("account_id", sort=False)
    points["mrr"] = by_account["dmrr"].cumsum()
    points["rows"] = by_account["drows"].cumsum()
    points["mrr_before"] = points.groupby("account_id", sort=False)["mrr"].shift(fill_value=0)
    points = points.drop(columns=["dmrr", "drows"])
    points = points.sort_values("at", kind="stable").reset_index(drop=True)

    spells = coverage_spells(subs.assign(account_id=ids), grace_days)
    spells = spells.sort_values(["account_id", "spell_start"], kind="stable")
    spells["spell_no"] = spells.groupby("account_id", sort=False).cumcount()
    first = points[["account_id", "at", "mrr"]].rename(columns={"at": "spell_start"})
    spells = spells.merge(first, on=["account_id", "spell_start"], how="left")
    spells = spells.rename(columns={"mrr": "first_mrr"})
    spells = spells.sort_values("spell_start", kind="stable").reset_index(drop=True)
    return RevenueTimeline(points=points, spells=spells)


def snapshot(timeline: RevenueTimeline, queries: pd.DataFrame, inclusive: bool) -> pd.DataFrame:
    """The contract of ``queries`` (``account_id, at``) at ``at``: in the same row order,
    ``active, spell_no, spell_end, mrr, rows``.

    ``inclusive=False`` is the as-of convention (the contract just before ``at``);
    ``inclusive=True`` the instant ``at`` itself (rows with ``start <= at < end``).
    """
    q = queries[["account_id", "at"]].assign(_row=np.arange(len(queries)))
    q["account_id"] = q["account_id"].astype(str)
    q["at"] = q["at"].astype(timeline.points["at"].dtype)
    q = q.sort_values("at", kind="stable")
    got = pd.merge_asof(q, timeline.points, on="at", by="account_id", allow_exact_matches=inclusive)
    spells = timeline.spells[["account_id", "spell_start", "spell_end", "spell_no"]]
    spells = spells.assign(at=spells["spell_start"].astype(q["at"].dtype))
    got = pd.merge_asof(
        got.sort_values("at", kind="stable"),
        spells.drop(columns="spell_start"),
        on="at",
        by="account_id",
        allow_exact_matches=inclusive,
    )
    got = got.sort_values("_row").reset_index(drop=True)
    end = got["spell_end"]
    active = (end > got["at"]) if inclusive else (end >= got["at"])
    active = active.fillna(False).to_numpy(dtype=bool)
    rows = got["rows"].fillna(0).to_numpy(dtype=np.int64)
    mrr = got["mrr"].fillna(0).to_numpy(dtype=np.int64)
    gap = active & (rows == 0)
    mrr = np.where(gap, got["mrr_before"].fillna(0).to_numpy(dtype=np.int64), mrr)
    return pd.DataFrame(
        {
            "active": active,
            "spell_no": np.where(active, got["spell_no"].fillna(-1), -1).astype(np.int64),
            "spell_end": got["spell_end"].where(active).to_numpy(),
            "mrr": np.where(active, mrr, 0),
            "rows": np.where(active, rows, 0),
        }
    )


def _grid(timeline: RevenueTimeline, bounds: pd.DatetimeIndex) -> tuple[np.ndarray, dict]:
    """Accounts that are customers at some time in ``[b0, bn]``, and their snapshot at each
    boundary as arrays of shape (accounts, boundaries)."""
    spells = timeline.spells
    near = (spells["spell_start"] < bounds[-1]) & (spells["spell_end"] >= bounds[0])
    ids = np.sort(spells.loc[near, "account_id"].unique())
    queries = pd.DataFrame(
        {"account_id": np.repeat(ids, len(bounds)), "at": np.tile(bounds.to_numpy(), len(ids))}
    )
    snap = snapshot(timeline, queries, inclusive=False)
    shape = (len(ids), len(bounds))
    grid = {c: snap[c].to_numpy().reshape(shape) for c in ("active", "spell_no", "mrr", "rows")}
    return ids, grid


def account_movements(
    timeline: RevenueTimeline, bounds: pd.DatetimeIndex, ttm_periods: int
) -> pd.DataFrame:
    """Per account and period: the bridge components (cents), logo moves, and the starting-cohort
    sums of the per-period and trailing-twelve-month retention (see the module docstring).

    ``ttm_periods`` is how many periods make twelve months (12 or 4).
    """
    ids, g = _grid(timeline, bounds)
    n_ids, n_periods = len(ids), len(bounds) - 1
    a0, a1 = g["active"][:, :-1], g["active"][:, 1:]
    m0, m1 = g["mrr"][:, :-1], g["mrr"][:, 1:]
    same = a0 & a1 & (g["spell_no"][:, :-1] == g["spell_no"][:, 1:])
    up = np.where(same, np.maximum(m1 - m0, 0), 0)
    more_rows = g["rows"][:, 1:] > g["rows"][:, :-1]
    left = a0 & ~same
    new = np.zeros((n_ids, n_periods), np.int64)
    react = np.zeros_like(new)
    churn_in = np.zeros_like(new)
    new_logos = np.zeros_like(new)
    react_logos = np.zeros_like(new)
    churned_in = np.zeros_like(new)

    spells = timeline.spells
    starts = spells["spell_start"].to_numpy()
    inside = (starts >= bounds[0].to_datetime64()) & (starts < bounds[-1].to_datetime64())
    inside &= spells["account_id"].isin(ids).to_numpy()
    s = spells[inside]
    if len(s):
        row = np.searchsorted(ids, s["account_id"].to_numpy())
        k = np.searchsorted(bounds.to_numpy(), s["spell_start"].to_numpy(), side="right") - 1
        holds = s["spell_end"].to_numpy() >= bounds.to_numpy()[k + 1]
        value = np.where(holds, m1[row, k], s["first_mrr"].fillna(0).to_numpy(dtype=np.int64))
        first = s["spell_no"].to_numpy() == 0
        np.add.at(new, (row, k), np.where(first, value, 0))
        np.add.at(react, (row, k), np.where(first, 0, value))
        np.add.at(churn_in, (row, k), np.where(holds, 0, value))
        np.add.at(new_logos, (row, k), first.astype(np.int64))
        np.add.at(react_logos, (row, k), (~first).astype(np.int64))
        np.add.at(churned_in, (row, k), (~holds).astype(np.int64))

    ttm_start = np.zeros_like(new)
    ttm_gross = np.zeros_like(new)
    ttm_net = np.zeros_like(new)
    ttm_known = np.zeros(n_periods, bool)
    for p in range(ttm_periods - 1, n_periods):  # the period ending at boundary p + 1
        j = p + 1 - ttm_periods
        cohort = g["active"][:, j]
        base, now = g["mrr"][:, j], g["mrr"][:, p + 1]
        ttm_start[:, p] = np.where(cohort, base, 0)
        ttm_gross[:, p] = np.where(cohort, np.minimum(now, base), 0)
        ttm_net[:, p] = np.where(cohort, now, 0)
        ttm_known[p] = True

    columns = {
        "start_mrr": np.where(a0, m0, 0),
        "new": new,
        "expansion": up,
        "expansion_cross_sell": np.where(more_rows, up, 0),
        "contraction": np.where(same, np.maximum(m0 - m1, 0), 0),
        "churn": np.where(left, m0, 0) + churn_in,
        "starting_churn": np.where(left, m0, 0),
        "reactivation": react,
        "end_mrr": np.where(a1, m1, 0),
        "start_logos": a0.astype(np.int64),
        "new_logos": new_logos,
        "reactivated_logos": react_logos,
        "churned_logos": left.astype(np.int64) + churned_in,
        "churned_starting_logos": left.astype(np.int64),
        "end_logos": a1.astype(np.int64),
        "cohort_gross": np.where(a0, np.minimum(m1, m0), 0),
        "cohort_net": np.where(a0, m1, 0),
        "ttm_start_mrr": ttm_start,
        "ttm_gross": ttm_gross,
        "ttm_net": ttm_net,
    }
    keep = (a0 | a1 | (new_logos + react_logos > 0) | (ttm_start > 0)).ravel()
    out = pd.DataFrame({name: v.ravel()[keep] for name, v in columns.items()})
    out.insert(0, "account_id", np.repeat(ids, n_periods)[keep])
    out.insert(1, "period", np.tile(bounds[:-1].to_numpy(), n_ids)[keep])
    out["ttm_known"] = np.tile(ttm_known, n_ids)[keep]
    return out


MONEY = (
    "start_mrr",
    "new",
    "expansion",
    "expansion_cross_sell",
    "contraction",
    "churn",
    "reactivation",
    "end_mrr",
)
BRIDGE_COLUMNS = (
    "start_mrr",
    "new",
    "expansion",
    "contraction",
    "churn",
    "reactivation",
    "end_mrr",
)


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    return (num / den.where(den > 0)).astype(float)


def revenue_table(movements: pd.DataFrame, periods: pd.DataFrame) -> pd.DataFrame:
    """The bridge, logo moves and rates per segment and period, from ``account_movements`` rows
    that carry a ``segment`` column (see ``portfolio.segments.with_segments``)."""
    sums = movements.drop(columns=["account_id", "ttm_known"]).groupby(
        ["segment", "period"], sort=True
    )
    totals = sums.sum()
    ttm_known = movements.groupby("period")["ttm_known"].any()
    segments = totals.index.get_level_values("segment").unique()
    full = pd.MultiIndex.from_product([segments, periods["period"]], names=["segment", "period"])
    t = totals.reindex(full, fill_value=0)
    out = pd.DataFrame(index=full)
    for column in MONEY:
        out[column] = t[column] / CENTS
    out["expansion_upsell"] = (t["expansion"] - t["expansion_cross_sell"]) / CENTS
    for column in ("start_logos", "new_logos", "reactivated_logos", "churned_logos", "end_logos"):
        out[column] = t[column].astype(np.int64)
    out["churned_starting_logos"] = t["churned_starting_logos"].astype(np.int64)
    out["logo_churn_rate"] = _ratio(t["churned_starting_logos"], t["start_logos"])
    out["mrr_churn_rate"] = _ratio(t["starting_churn"], t["start_mrr"])
    out["expansion_rate"] = _ratio(t["expansion"], t["start_mrr"])
    out["contraction_rate"] = _ratio(t["contraction"], t["start_mrr"])
    out["grr"] = _ratio(t["cohort_gross"], t["start_mrr"])
    out["nrr"] = _ratio(t["cohort_net"], t["start_mrr"])
    known = ttm_known.reindex(out.index.get_level_values("period")).fillna(False).to_numpy()
    out["grr_ttm"] = _ratio(t["ttm_gross"], t["ttm_start_mrr"]).where(known)
    out["nrr_ttm"] = _ratio(t["ttm_net"], t["ttm_start_mrr"]).where(known)
    out = out.reset_index()
    return out.merge(periods, on="period", how="left")


def renewal_decisions(timeline: RevenueTimeline, bounds: pd.DatetimeIndex) -> pd.DataFrame:
    """Per account and period with a term end: ``account_id, period, mrr_up`` (cents), ``renewed``."""
    p = timeline.points
    due = p[(p["ends"] > 0) & (p["rows"] - p["starts"] == 0)]
    due = due[(due["at"] >= bounds[0]) & (due["at"] < bounds[-1])]
    columns = ["account_id", "period", "mrr_up", "renewed"]
    if due.empty:
        return pd.DataFrame(columns=columns)
    spells = snapshot(timeline, due[["account_id", "at"]], inclusive=False)
    k = np.searchsorted(bounds.to_numpy(), due["at"].to_numpy(), side="right") - 1
    decisions = pd.DataFrame(
        {
            "account_id": due["account_id"].to_numpy(),
            "period": bounds.to_numpy()[k],
            "at": due["at"].to_numpy(),
            "mrr_up": due["mrr_before"].to_numpy(dtype=np.int64),
            "renewed": spells["spell_end"].to_numpy() > due["at"].to_numpy(),
        }
    ).sort_values(["account_id", "at"], kind="stable")
    per = decisions.groupby(["account_id", "period"], sort=False)
    out = per.agg(mrr_up=("mrr_up", "first"), renewed=("renewed", "all")).reset_index()
    return out[columns]


def renewal_table(decisions: pd.DataFrame, periods: pd.DataFrame) -> pd.DataFrame:
    """Renewal rates by logo and by dollars per segment and period (``decisions`` with segments)."""
    d = decisions.assign(
        renewed_mrr=np.where(decisions["renewed"].astype(bool), decisions["mrr_up"], 0),
        renewed=decisions["renewed"].astype(np.int64),
        mrr_up=decisions["mrr_up"].astype(np.int64),
    )
    t = d.groupby(["segment", "period"])[["renewed", "mrr_up", "renewed_mrr"]].agg("sum")
    t["renewals_due"] = d.groupby(["segment", "period"]).size()
    out = pd.DataFrame(index=t.index)
    out["renewals_due"] = t["renewals_due"].astype(np.int64)
    out["renewed_logos"] = t["renewed"].astype(np.int64)
    out["mrr_up_for_renewal"] = t["mrr_up"] / CENTS
    out["mrr_renewed"] = t["renewed_mrr"] / CENTS
    out["renewal_rate_logos"] = _ratio(t["renewed"], t["renewals_due"])
    out["renewal_rate_dollars"] = _ratio(t["renewed_mrr"], t["mrr_up"])
    return out.reset_index()


def customer_periods(timeline: RevenueTimeline, bounds: pd.DatetimeIndex) -> pd.DataFrame:
    """``account_id, period`` for every account a spell covers for some of the period
    (``spell_start < period end`` and ``spell_end > period start``): the period's customers."""
    s = timeline.spells
    edges = bounds.to_numpy()
    n = len(bounds) - 1
    lo = np.clip(np.searchsorted(edges, s["spell_start"].to_numpy(), side="right") - 1, 0, None)
    hi = np.clip(np.searchsorted(edges, s["spell_end"].to_numpy(), side="left") - 1, None, n - 1)
    count = np.maximum(hi - lo + 1, 0)
    start = np.repeat(lo, count)
    offset = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    out = pd.DataFrame(
        {
            "account_id": np.repeat(s["account_id"].to_numpy(), count),
            "period": edges[start + offset],
        }
    )
    return out.drop_duplicates().reset_index(drop=True)
