"""All portfolio metrics of a data set in one call: tidy tables, one per metric family.

Tables (one row per segment and period, ``segment = "all"`` for the whole portfolio):
``revenue`` (MRR bridge, logos, churn, GRR/NRR per period and trailing twelve months, expansion
and contraction rates, renewals), ``voice`` (NPS, CSAT, CES with intervals; long: one row per
metric), ``responses`` (survey response rates), ``usage`` (usage frequency), ``adoption`` (per
feature), ``support`` (tickets), ``cohorts`` (Kaplan-Meier retention and NRR by signup month) and,
given scores, ``bands`` (churn, GRR and NRR after each health band). The definitions are in the
modules named for each family.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from features.contract import Tables
from features.labels import LabelConfig
from features.timeline import observation_end, observation_start
from portfolio import bands as bands_module
from portfolio.cohorts import account_months, cohort_table, first_spells
from portfolio.engagement import adoption_table, customer_counts, usage_by_account, usage_table
from portfolio.periods import PERIOD_MONTHS, periods_frame, reporting_boundaries
from portfolio.revenue import (
    account_movements,
    customer_periods,
    renewal_decisions,
    renewal_table,
    revenue_table,
    revenue_timeline,
)
from portfolio.segments import account_segments, segment_order, with_segments
from portfolio.support import support_table, ticket_rows
from portfolio.voice import MIN_RESPONSES, response_rates, responses, voice_table


class NoPeriodsError(ValueError):
    """The data does not span one complete, settled period."""


@dataclass(frozen=True)
class MetricsConfig:
    """What to compute: the period length, the segment column, the grace gap, the NPS minimum."""

    period: str = "month"
    by: str | None = None
    grace_days: int = LabelConfig().grace_days
    min_responses: int = MIN_RESPONSES

    def __post_init__(self) -> None:
        if self.period not in PERIOD_MONTHS:
            raise ValueError(f"period must be one of {', '.join(PERIOD_MONTHS)}")
        if self.min_responses < 1:
            raise ValueError("min_responses must be at least 1")


@dataclass
class PortfolioMetrics:
    """The tables, the headline figures of the latest period, and what they cover."""

    tables: dict[str, pd.DataFrame]
    headline: dict[str, float]
    periods: pd.DataFrame
    config: MetricsConfig
    warnings: list[str] = field(default_factory=list)


def portfolio_metrics(
    tables: Tables, config: MetricsConfig = MetricsConfig(), scores: pd.DataFrame | None = None
) -> PortfolioMetrics:
    """Every metric family for every settled period (see ``portfolio.periods``)."""
    bounds = reporting_boundaries(tables, config.period, config.grace_days)
    if not len(bounds):
        start, end = observation_start(tables).date(), observation_end(tables).date()
        raise NoPeriodsError(
            f"the data ({start} to {end}) does not cover one complete {config.period} "
            f"followed by the {config.grace_days}-day grace gap"
        )
    periods = periods_frame(bounds)
    segments = account_segments(tables.accounts, config.by)
    timeline = revenue_timeline(tables.subscriptions, config.grace_days)
    ttm = 12 // PERIOD_MONTHS[config.period]

    out: dict[str, pd.DataFrame] = {}
    moves = with_segments(account_movements(timeline, bounds, ttm), segments)
    revenue = revenue_table(moves, periods)
    del moves  # a row per account and period, twice: not held through the other families
    names = segment_order(revenue["segment"])
    renewals = renewal_table(with_segments(renewal_decisions(timeline, bounds), segments), periods)
    out["revenue"] = revenue.merge(renewals, on=["segment", "period"], how="left")
    for column in ("renewals_due", "renewed_logos"):
        out["revenue"][column] = out["revenue"][column].fillna(0).astype(np.int64)

    customers = with_segments(customer_periods(timeline, bounds), segments)
    counts = customer_counts(customers)
    answers = with_segments(responses(tables, bounds), segments)
    out["voice"] = voice_table(answers, periods, names, config.min_responses)
    out["responses"] = response_rates(answers, counts, periods, names)

    if tables.events is not None:
        usage, adoption = usage_by_account(tables.events, bounds)
        out["usage"] = usage_table(usage, customers)
        out["adoption"] = adoption_table(adoption, customers)
    if tables.tickets is not None:
        tickets = with_segments(ticket_rows(tables.tickets), segments)
        out["support"] = support_table(tickets, counts, periods)

    data_end = observation_end(tables)
    spells = first_spells(timeline, bounds[0], bounds[-1])
    months = account_months(timeline, spells, data_end, config.grace_days)
    out["cohorts"] = cohort_table(months, segments)

    warnings = []
    if scores is not None:
        out["bands"] = bands_module.band_outcomes(timeline, scores, bounds)
        if out["bands"].empty:
            warnings.append(
                "no reported period ends after the scoring date(s), so the bands have no outcomes "
                "yet: score an earlier date, or use a backtest's scores"
            )
    for name, frame in out.items():
        if "period" in frame:
            out[name] = _with_period_end(frame, periods)
    nps = out["voice"]
    nps = nps[(nps["segment"] == "all") & (nps["metric"] == "nps")]
    if not nps["responses"].any():
        warnings.append("no NPS responses in the data")
    elif nps["low_responses"].any():
        warnings.append(
            f"NPS rests on fewer than {config.min_responses} responses in "
            f"{int(nps['low_responses'].sum())} of {len(periods)} periods (flagged low_responses)"
        )
    return PortfolioMetrics(out, headline(out), periods, config, warnings)


def _with_period_end(frame: pd.DataFrame, periods: pd.DataFrame) -> pd.DataFrame:
    frame = frame.drop(columns=["period_end"], errors="ignore")
    frame = frame.merge(periods, on="period", how="left")
    first = [c for c in ("segment", "period", "period_end") if c in frame]
    return frame[first + [c for c in frame.columns if c not in first]]


def _latest(frame: pd.DataFrame, column: str, where: pd.Series | None = None) -> float:
    rows = frame[frame["segment"] == "all"] if where is None else frame[where]
    rows = rows.dropna(subset=[column]).sort_values("period")
    return float(rows[column].iloc[-1]) if len(rows) else float("nan")


def headline(out: dict[str, pd.DataFrame]) -> dict[str, float]:
    """The latest reported period's figures for the whole portfolio (the voice figures: the latest
    period with answers), named for MLflow."""
    rev = out["revenue"]
    heads = {
        f"latest_{c}": _latest(rev, c)
        for c in (
            "end_mrr",
            "end_logos",
            "logo_churn_rate",
            "mrr_churn_rate",
            "grr",
            "nrr",
            "grr_ttm",
            "nrr_ttm",
            "expansion_rate",
            "contraction_rate",
            "renewal_rate_logos",
            "renewal_rate_dollars",
        )
    }
    voice = out["voice"]
    for metric in ("nps", "csat", "csat_survey", "csat_ticket", "ces"):
        where = (voice["segment"] == "all") & (voice["metric"] == metric) & (voice["responses"] > 0)
        heads[f"latest_{metric}"] = _latest(voice, "value", where)
    if "usage" in out:
        heads["latest_active_share"] = _latest(out["usage"], "active_share")
        heads["latest_active_days_median"] = _latest(out["usage"], "active_days_median")
    if "support" in out:
        heads["latest_tickets_per_100_customers"] = _latest(
            out["support"], "tickets_per_100_customers"
        )
        heads["latest_backlog"] = _latest(out["support"], "backlog")
    return heads
