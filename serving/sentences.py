"""Plain-word sentences for drivers: what a customer-success manager reads next to a score."""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd

from features.builders import FEATURES

Row = pd.Series


def _num(row: Row, name: str) -> float:
    value = row.get(name, math.nan)
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _change(row: Row, now: str, before: str, noun: str, window: str = "the last 30 days") -> str:
    a, b = _num(row, now), _num(row, before)
    if math.isnan(a) or math.isnan(b):
        return f"{noun.capitalize()}: {a:,.0f} in {window}"
    if a == b:
        return f"{noun.capitalize()} held at {a:,.0f} over {window}"
    verb = "fell" if a < b else "rose"
    pct = f" ({(a - b) / b:+.0%})" if b > 0 else ""
    return f"{noun.capitalize()} {verb} from {b:,.0f} to {a:,.0f} over {window}{pct}"


def _days_since(value: float, what: str) -> str:
    if math.isnan(value):
        return f"No {what} on record"
    return f"Last {what} {value:,.0f} days ago"


TEMPLATES: dict[str, Callable[[Row], str]] = {
    "events_7d": lambda r: f"{_num(r, 'events_7d'):,.0f} product events in the last 7 days",
    "events_30d": lambda r: _change(r, "events_30d", "events_prev_30d", "product usage (events)"),
    "events_prev_30d": lambda r: _change(
        r, "events_30d", "events_prev_30d", "product usage (events)"
    ),
    "events_change_30d": lambda r: _change(
        r, "events_30d", "events_prev_30d", "product usage (events)"
    ),
    "events_90d": lambda r: f"{_num(r, 'events_90d'):,.0f} product events in the last 90 days",
    "active_days_30d": lambda r: f"Active on {_num(r, 'active_days_30d'):.0f} of the last 30 days",
    "active_users_30d": lambda r: _change(
        r, "active_users_30d", "active_users_prev_30d", "active users"
    ),
    "active_users_prev_30d": lambda r: _change(
        r, "active_users_30d", "active_users_prev_30d", "active users"
    ),
    "active_users_change_30d": lambda r: _change(
        r, "active_users_30d", "active_users_prev_30d", "active users"
    ),
    "events_per_seat_30d": lambda r: (
        f"{_num(r, 'events_per_seat_30d'):,.1f} events per licensed seat in the last 30 days"
    ),
    "usage_slope_12w": lambda r: (
        f"Weekly usage is {'falling' if _num(r, 'usage_slope_12w') < 0 else 'rising'} over the "
        f"last 12 weeks ({_num(r, 'usage_slope_12w'):+.0%} of the average per week)"
    ),
    "days_since_last_event": lambda r: _days_since(
        _num(r, "days_since_last_event"), "product activity"
    ),
    "features_used_30d": lambda r: (
        f"Used {_num(r, 'features_used_30d'):.0f} product features in the last 30 days"
    ),
    "features_used_90d": lambda r: (
        f"Used {_num(r, 'features_used_90d'):.0f} product features in the last 90 days"
    ),
    "catalogue_share_90d": lambda r: (
        f"Uses {_num(r, 'catalogue_share_90d'):.0%} of the product's features"
    ),
    "features_dropped_30d": lambda r: (
        f"Stopped using {_num(r, 'features_dropped_30d'):.0f} feature(s) in the last 30 days"
    ),
    "seat_utilisation_30d": lambda r: (
        f"{_num(r, 'seat_utilisation_30d'):.0%} of licensed seats were active in the last 30 days"
    ),
    "days_since_first_event": lambda r: (
        f"Using the product for {_num(r, 'days_since_first_event') / 30.4:.0f} months"
    ),
    "sentiment_mean_90d": lambda r: (
        f"Tickets and survey comments read "
        f"{'negative' if _num(r, 'sentiment_mean_90d') < -0.05 else 'positive' if _num(r, 'sentiment_mean_90d') > 0.05 else 'neutral'}"  # noqa: E501
        f" over 90 days (sentiment {_num(r, 'sentiment_mean_90d'):+.2f} on -1..1)"
    ),
    "sentiment_min_90d": lambda r: (
        f"Most negative ticket or comment in 90 days scored {_num(r, 'sentiment_min_90d'):+.2f}"
    ),
    "negative_texts_90d": lambda r: (
        f"{_num(r, 'negative_texts_90d'):.0f} negative tickets or comments in the last 90 days"
    ),
    "latest_nps": lambda r: f"Latest NPS score is {_num(r, 'latest_nps'):.0f} out of 10",
    "nps_change": lambda r: (
        f"NPS moved {_num(r, 'nps_change'):+.0f} points since the previous survey"
    ),
    "is_detractor": lambda r: f"Latest NPS ({_num(r, 'latest_nps'):.0f}) is a detractor score",
    "is_promoter": lambda r: f"Latest NPS ({_num(r, 'latest_nps'):.0f}) is a promoter score",
    "tickets_30d": lambda r: f"{_num(r, 'tickets_30d'):.0f} support tickets in the last 30 days",
    "tickets_90d": lambda r: _change(
        r, "tickets_90d", "tickets_prev_90d", "support tickets", "the last 90 days"
    ),
    "tickets_prev_90d": lambda r: _change(
        r, "tickets_90d", "tickets_prev_90d", "support tickets", "the last 90 days"
    ),
    "open_tickets": lambda r: f"{_num(r, 'open_tickets'):.0f} support tickets still open",
    "high_priority_share_90d": lambda r: (
        f"{_num(r, 'high_priority_share_90d'):.0%} of tickets in 90 days were high priority"
    ),
    "mean_resolution_days_90d": lambda r: (
        f"Tickets took {_num(r, 'mean_resolution_days_90d'):.1f} days to resolve on average"
    ),
    "escalations_90d": lambda r: f"{_num(r, 'escalations_90d'):.0f} escalated tickets in 90 days",
    "days_since_last_ticket": lambda r: _days_since(
        _num(r, "days_since_last_ticket"), "support ticket"
    ),
    "tenure_days": lambda r: f"Customer for {_num(r, 'tenure_days') / 30.4:.0f} months",
    "mrr": lambda r: f"Pays {_num(r, 'mrr'):,.0f} a month",
    "mrr_change_pct": lambda r: (
        f"Price {'rose' if _num(r, 'mrr_change_pct') > 0 else 'fell' if _num(r, 'mrr_change_pct') < 0 else 'was unchanged'}"  # noqa: E501
        f" {abs(_num(r, 'mrr_change_pct')):.0%} at the last renewal"
    ),
    "days_to_term_end": lambda r: f"Renewal is due in {_num(r, 'days_to_term_end'):.0f} days",
    "term_length_days": lambda r: (
        "On a monthly term"
        if _num(r, "term_length_days") < 45
        else f"On a {_num(r, 'term_length_days') / 30.4:.0f}-month term"
    ),
}


def driver_sentence(feature: str, row: Row) -> str:
    """One sentence stating the fact behind a driver, with its numbers."""
    template = TEMPLATES.get(feature)
    value = row.get(feature)
    label = FEATURES[feature].label if feature in FEATURES else feature.replace("_", " ")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return f"{label.capitalize()}: none on record"
    if template is not None:
        try:
            return template(row)
        except (TypeError, ValueError):
            pass
    if isinstance(value, float):
        shown = f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"
        return f"{label.capitalize()}: {shown}"
    return f"{label.capitalize()}: {value}"
