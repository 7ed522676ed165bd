"""Voice of the customer per period: NPS, CSAT (surveys and tickets), CES, survey response rates.

Every figure counts the responses dated in the period (surveys by ``responded_at``; ticket CSAT by
``resolved_at``, else ``created_at``, as ``features.sentiment_features`` dates it), one row per period and
metric in a long table: ``metric, responses, value, low, high`` (a 90% interval) and
``low_responses`` (fewer than ``min_responses``: read the figure as anecdote). A period with no
responses has ``responses = 0`` and no value or interval, never a zero. Scores outside a metric's
scale are not counted. Survey kinds are matched case-insensitively (``nps``, ``csat``, ``ces``).

- **NPS** (0-10): ``100 * (promoters - detractors) / responses`` with promoters 9-10 and detractors
  0-6. Interval: adjusted Wald (Rocks, "Confidence intervals for Net Promoter Score", 2016): add
  three responses, 3/4 of a promoter, 3/4 of a detractor and 1.5 passives, ``n' = n + 3``,
  ``p' = (P + 0.75) / n'``, ``d' = (D + 0.75) / n'``, ``NPS' = p' - d'``,
  ``se = sqrt((p' + d' - NPS'^2) / n')``, interval ``100 * (NPS' -/+ z * se)`` clipped to
  [-100, 100], ``z = 1.645`` for 90%.
- **CSAT** (1-5): the share of responses of 4 or 5, in percent; separately for surveys
  (``csat_survey``), tickets (``csat_ticket``) and both (``csat``). Interval: Wilson score.
- **CES** (1-7, higher = easier): the mean score. Interval: mean -/+ z * sd / sqrt(n) (normal
  approximation; none for a single response).
- **Response rate** per survey kind: accounts that answered in the period / customers during the
  period (accounts a spell covers for some of it). The contract records answers, not invitations,
  so the rate is per customer, not per survey sent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

Z90 = 1.6448536269514722
MIN_RESPONSES = 30
VOICE_COLUMNS = [
    "segment",
    "period",
    "metric",
    "responses",
    "value",
    "low",
    "high",
    "low_responses",
]


def nps_interval(promoters: np.ndarray, detractors: np.ndarray, n: np.ndarray, z: float = Z90):
    """NPS in points and its adjusted-Wald interval (arrays; NaN where ``n`` is 0)."""
    promoters, detractors, n = (np.asarray(a, dtype=float) for a in (promoters, detractors, n))
    with np.errstate(invalid="ignore", divide="ignore"):
        nps = 100 * (promoters - detractors) / n
        n_adj = n + 3
        p, d = (promoters + 0.75) / n_adj, (detractors + 0.75) / n_adj
        centre = p - d
        se = np.sqrt(np.maximum(p + d - centre**2, 0) / n_adj)
    low = np.clip(100 * (centre - z * se), -100, 100)
    high = np.clip(100 * (centre + z * se), -100, 100)
    empty = n == 0
    return tuple(np.where(empty, np.nan, v) for v in (nps, low, high))


def wilson_interval(successes: np.ndarray, n: np.ndarray, z: float = Z90):
    """Share in percent and its Wilson score interval (NaN where ``n`` is 0)."""
    k, n = np.asarray(successes, dtype=float), np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = k / n
        centre = (share + z**2 / (2 * n)) / (1 + z**2 / n)
        half = z * np.sqrt(share * (1 - share) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    empty = n == 0
    return tuple(np.where(empty, np.nan, 100 * v) for v in (share, centre - half, centre + half))


def _period_of(times: pd.Series, bounds: pd.DatetimeIndex) -> np.ndarray:
    """Index of the period holding each time (-1 outside ``[b0, bn)``)."""
    k = np.searchsorted(bounds.to_numpy(), times.to_numpy(), side="right") - 1
    k[(k >= len(bounds) - 1) | pd.isna(times).to_numpy()] = -1
    return k


def responses(tables, bounds: pd.DatetimeIndex) -> pd.DataFrame:
    """All answers in the periods: ``account_id, period, metric, score``.

    ``metric`` is ``nps``, ``ces``, ``csat_survey`` or ``csat_ticket``; out-of-scale scores dropped.
    """
    parts = []
    surveys = tables.surveys
    if surveys is not None and len(surveys):
        kind = surveys["kind"].astype(str).str.strip().str.lower()
        metric = kind.map({"nps": "nps", "ces": "ces", "csat": "csat_survey"})
        parts.append(
            pd.DataFrame(
                {
                    "account_id": surveys["account_id"].astype(str).to_numpy(),
                    "at": surveys["responded_at"].to_numpy(),
                    "metric": metric.to_numpy(),
                    "score": surveys["score"].astype(float).to_numpy(),
                }
            )
        )
    tickets = tables.tickets
    if tickets is not None and "csat" in tickets and len(tickets):
        when = tickets["created_at"]
        if "resolved_at" in tickets:
            when = tickets["resolved_at"].fillna(tickets["created_at"])
        parts.append(
            pd.DataFrame(
                {
                    "account_id": tickets["account_id"].astype(str).to_numpy(),
                    "at": when.to_numpy(),
                    "metric": "csat_ticket",
                    "score": tickets["csat"].astype(float).to_numpy(),
                }
            )
        )
    columns = ["account_id", "period", "metric", "score"]
    if not parts:
        empty = {"account_id": [], "period": [], "metric": [], "score": []}
        types = {"account_id": object, "period": "datetime64[us]", "metric": object, "score": float}
        return pd.DataFrame(empty).astype(types)
    answers = pd.concat(parts, ignore_index=True).dropna(subset=["metric", "score"])
    scale = {"nps": (0, 10), "ces": (1, 7), "csat_survey": (1, 5), "csat_ticket": (1, 5)}
    low = answers["metric"].map({m: lo for m, (lo, _) in scale.items()})
    high = answers["metric"].map({m: hi for m, (_, hi) in scale.items()})
    answers = answers[(answers["score"] >= low) & (answers["score"] <= high)]
    k = _period_of(answers["at"], bounds)
    answers = answers[k >= 0].assign(period=bounds.to_numpy()[k[k >= 0]])
    return answers[columns].reset_index(drop=True)


def voice_table(
    answers: pd.DataFrame, periods: pd.DataFrame, segments: list[str], min_responses: int
) -> pd.DataFrame:
    """NPS, CSAT and CES per segment and period from ``responses`` rows with a ``segment``."""
    both = answers[answers["metric"].isin(["csat_survey", "csat_ticket"])].assign(metric="csat")
    answers = pd.concat([answers, both], ignore_index=True)
    s = answers["score"]
    answers = answers.assign(
        promoter=(s >= 9).astype(int),
        detractor=(s <= 6).astype(int),
        satisfied=(s >= 4).astype(int),
        square=s**2,
    )
    g = answers.groupby(["segment", "period", "metric"])
    t = g.agg(
        responses=("score", "size"),
        total=("score", "sum"),
        square=("square", "sum"),
        promoter=("promoter", "sum"),
        detractor=("detractor", "sum"),
        satisfied=("satisfied", "sum"),
    )
    metrics = ["nps", "csat", "csat_survey", "csat_ticket", "ces"]
    present = [m for m in metrics if m in set(answers["metric"])] or ["nps"]
    full = pd.MultiIndex.from_product(
        [segments, periods["period"], present], names=["segment", "period", "metric"]
    )
    t = t.reindex(full, fill_value=0)
    n = t["responses"].to_numpy(dtype=float)
    metric = t.index.get_level_values("metric")
    value = np.full(len(t), np.nan)
    low, high = value.copy(), value.copy()
    is_nps = np.asarray(metric == "nps")
    v = nps_interval(t["promoter"], t["detractor"], n)
    for target, got in zip((value, low, high), v, strict=True):
        target[is_nps] = got[is_nps]
    is_csat = np.asarray(metric.str.startswith("csat"))
    v = wilson_interval(t["satisfied"], n)
    for target, got in zip((value, low, high), v, strict=True):
        target[is_csat] = got[is_csat]
    is_ces = np.asarray(metric == "ces")
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = t["total"].to_numpy(dtype=float) / n
        var = (t["square"].to_numpy(dtype=float) - n * mean**2) / (n - 1)
        half = Z90 * np.sqrt(np.maximum(var, 0) / n)
    value[is_ces] = mean[is_ces]
    low[is_ces], high[is_ces] = (mean - half)[is_ces], (mean + half)[is_ces]
    out = pd.DataFrame(
        {
            "responses": n.astype(np.int64),
            "value": value,
            "low": low,
            "high": high,
            "low_responses": n < min_responses,
        },
        index=t.index,
    ).reset_index()
    return out[VOICE_COLUMNS]


def response_rates(
    answers: pd.DataFrame, customers: pd.DataFrame, periods: pd.DataFrame, segments: list[str]
) -> pd.DataFrame:
    """Per segment, period and survey kind: ``responding_accounts, customers, response_rate``.

    ``customers`` has ``segment, period, customers`` (see ``portfolio.engagement.customers``).
    """
    surveys = answers[answers["metric"].isin(["nps", "ces", "csat_survey"])]
    surveys = surveys.assign(kind=surveys["metric"].str.removesuffix("_survey"))
    counted = surveys.drop_duplicates(["segment", "period", "kind", "account_id"])
    t = counted.groupby(["segment", "period", "kind"]).size().rename("responding_accounts")
    kinds = sorted(set(surveys["kind"])) or ["nps"]
    full = pd.MultiIndex.from_product(
        [segments, periods["period"], kinds], names=["segment", "period", "kind"]
    )
    out = t.reindex(full, fill_value=0).reset_index()
    out = out.merge(customers, on=["segment", "period"], how="left")
    out["customers"] = out["customers"].fillna(0).astype(np.int64)
    rate = out["responding_accounts"] / out["customers"].where(out["customers"] > 0)
    return out.assign(response_rate=rate.astype(float))
