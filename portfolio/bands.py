"""The board's metrics tied to the score: what became of each health band after it was given.

Given a scoring (or backtest) output, ``account_id, as_of, band`` per scored account, each band
of each scoring date is a cohort: the accounts a spell held at ``as_of`` (the as-of convention of
``portfolio.periods``), with their MRR then. At every later reported period end ``b``:

- ``churn_rate``: the share of the cohort whose spell of ``as_of`` has ended by ``b`` (realised
  churn, a later return included, as in the logo churn of ``portfolio.revenue``);
- ``grr = sum(min(MRR at b, MRR at as_of)) / sum(MRR at as_of)``, ``nrr = sum(MRR at b) / sum(MRR
  at as_of)``, the formulas of ``portfolio.revenue`` on this cohort.

Bands are read from the scores, never recomputed here (their thresholds live with scoring).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from portfolio.revenue import CENTS, RevenueTimeline, snapshot
from portfolio.segments import ALL

BAND_COLUMNS = [
    "as_of",
    "band",
    "period_end",
    "months_after",
    "accounts",
    "start_mrr",
    "churned",
    "churn_rate",
    "grr",
    "nrr",
]


class ScoresError(ValueError):
    """A scoring output without the columns the band metrics need."""


def check_scores(scores: pd.DataFrame, source: str) -> pd.DataFrame:
    """``account_id, as_of, band`` of a scoring output, typed; a ScoresError names what is missing."""
    missing = [c for c in ("account_id", "as_of", "band") if c not in scores.columns]
    if missing:
        raise ScoresError(
            f"scores {source}: missing column(s) {', '.join(missing)} "
            f"(columns found: {', '.join(map(str, scores.columns))})"
        )
    out = scores[["account_id", "as_of", "band"]].copy()
    out["account_id"] = out["account_id"].astype(str)
    out["as_of"] = pd.to_datetime(out["as_of"], errors="coerce")
    bad = out[out["as_of"].isna() | out["band"].isna()]
    if len(bad):
        raise ScoresError(
            f"scores {source}: {len(bad):,} row(s) without a date or band, e.g.\n"
            f"{scores.loc[bad.index].head(3).to_string()}"
        )
    return out


def band_outcomes(
    timeline: RevenueTimeline, scores: pd.DataFrame, bounds: pd.DatetimeIndex
) -> pd.DataFrame:
    """Churn, GRR and NRR per scoring date, band (and ``all``) at each later period end."""
    rows = []
    for as_of, scored in scores.groupby("as_of", sort=True):
        later = bounds[bounds > as_of]
        if not len(later):
            continue
        base = snapshot(timeline, scored.assign(at=as_of), inclusive=False)
        keep = base["active"].to_numpy()
        scored, base = scored[keep], base[keep]
        m0 = base["mrr"].to_numpy()
        spell_end = base["spell_end"].to_numpy()
        for b in later:
            now = snapshot(timeline, scored.assign(at=b), inclusive=False)["mrr"].to_numpy()
            frame = pd.DataFrame(
                {
                    "band": scored["band"].astype(str).to_numpy(),
                    "m0": m0,
                    "gross": np.minimum(now, m0),
                    "net": now,
                    "churned": spell_end < np.datetime64(b),
                }
            )
            frame = pd.concat([frame, frame.assign(band=ALL)], ignore_index=True)
            t = frame.groupby("band").agg(
                accounts=("m0", "size"),
                start=("m0", "sum"),
                gross=("gross", "sum"),
                net=("net", "sum"),
                churned=("churned", "sum"),
            )
            months = (b.year - as_of.year) * 12 + b.month - as_of.month
            for band, r in t.iterrows():
                rows.append(
                    {
                        "as_of": as_of,
                        "band": band,
                        "period_end": b,
                        "months_after": months,
                        "accounts": int(r["accounts"]),
                        "start_mrr": r["start"] / CENTS,
                        "churned": int(r["churned"]),
                        "churn_rate": r["churned"] / r["accounts"],
                        "grr": r["gross"] / r["start"] if r["start"] > 0 else np.nan,
                        "nrr": r["net"] / r["start"] if r["start"] > 0 else np.nan,
                    }
                )
    return pd.DataFrame(rows, columns=BAND_COLUMNS)
