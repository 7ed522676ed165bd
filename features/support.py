"""The support family: tickets, dated by creation; resolution and first response as known then;
the mood of their text (``features.sentiment_features.text_mood``); what the customer rated the
help: CSAT on resolved tickets, customer effort (CES surveys)."""

from __future__ import annotations

import pandas as pd

from features.account import licensed_seats
from features.contract import Tables
from features.flags import truthy
from features.per_account import DAY, count_rows, in_days, relative_change
from features.pointintime import rows_between
from features.sentiment_features import NEGATIVE_TEXT, TICKET_MOOD, text_mood

HIGH_PRIORITIES = ("high", "urgent", "critical", "p1", "p0")
# The account's own usual: its tickets of days 91-365 before, for the last 90 days to be read
# against (a small team's three tickets are a lot for it, and nothing for a large one).
USUAL_DAYS = (90, 365)


def support_tickets(tables: Tables, as_of: pd.Timestamp, accounts: pd.Index) -> pd.DataFrame:
    """Ticket volume and its change (against the 30 and 90 days before, and against the
    account's own usual rate), backlog, priority mix, response and resolution times (and the
    latter's change against the usual), escalations, the mood of the tickets' text, ticket CSAT,
    customer effort (CES surveys), recency."""
    tickets = tables.tickets
    last_30 = rows_between(tickets, "created_at", as_of - 30 * DAY, as_of)
    prev_30 = rows_between(tickets, "created_at", as_of - 60 * DAY, as_of - 30 * DAY)
    last_90 = rows_between(tickets, "created_at", as_of - 90 * DAY, as_of)
    prev_90 = rows_between(tickets, "created_at", as_of - 180 * DAY, as_of - 90 * DAY)
    out = pd.DataFrame(index=accounts)
    out["tickets_30d"] = count_rows(last_30, accounts)
    out["tickets_prev_30d"] = count_rows(prev_30, accounts)
    out["tickets_change_30d"] = relative_change(out["tickets_30d"], out["tickets_prev_30d"])
    out["tickets_90d"] = count_rows(last_90, accounts)
    out["tickets_per_seat_90d"] = out["tickets_90d"] / licensed_seats(tables, accounts, as_of)
    out["tickets_prev_90d"] = count_rows(prev_90, accounts)
    start, stop = (as_of - days * DAY for days in reversed(USUAL_DAYS))
    usual = rows_between(tickets, "created_at", start, stop)
    # the last 90 days' ticket rate over the usual one, one ticket added to each side (so a first
    # ticket after a quiet year reads as a rise, not an endless one, and none against none as 1)
    per_90 = 90 / (USUAL_DAYS[1] - USUAL_DAYS[0])
    usual_90 = count_rows(usual, accounts) * per_90
    out["tickets_vs_usual_90d"] = (out["tickets_90d"] + 1) / (usual_90 + 1)
    if "resolved_at" in tickets:
        out["open_tickets"] = count_rows(tickets[tickets["resolved_at"].isna()], accounts)
        resolution = last_90.assign(days=in_days(last_90["resolved_at"] - last_90["created_at"]))
        mean_days = resolution.groupby("account_id", sort=False)["days"].mean()
        out["mean_resolution_days_90d"] = mean_days.reindex(accounts)
        before = usual.assign(days=in_days(usual["resolved_at"] - usual["created_at"]))
        usual_days = before.groupby("account_id", sort=False)["days"].mean().reindex(accounts)
        out["resolution_days_change_90d"] = out["mean_resolution_days_90d"] - usual_days
    if "first_response_at" in tickets:
        wait = last_90["first_response_at"] - last_90["created_at"]
        response = last_90.assign(hours=wait / pd.Timedelta(hours=1))
        mean_hours = response.groupby("account_id", sort=False)["hours"].mean()
        out["mean_first_response_hours_90d"] = mean_hours.reindex(accounts)
    if "priority" in tickets:
        high = last_90[last_90["priority"].astype(str).str.lower().isin(HIGH_PRIORITIES)]
        out["high_priority_share_90d"] = count_rows(high, accounts) / out["tickets_90d"].where(
            out["tickets_90d"] > 0
        )
    if "escalated" in tickets:
        escalated = last_90[truthy(last_90["escalated"])]
        out["escalations_90d"] = count_rows(escalated, accounts)
        out["escalated_share_90d"] = out["escalations_90d"] / out["tickets_90d"].where(
            out["tickets_90d"] > 0
        )
    if "sentiment" in tickets:
        mood = text_mood(tickets, "created_at", as_of, accounts, TICKET_MOOD)
        out = pd.concat([out, mood], axis=1)
        out["negative_ticket_share_90d"] = out["negative_tickets_90d"] / out["tickets_90d"].where(
            out["tickets_90d"] > 0
        )
        angry = last_30[last_30["sentiment"] < NEGATIVE_TEXT]
        out["negative_tickets_30d"] = count_rows(angry, accounts)
    if "csat" in tickets:  # dated by resolution: a ticket is rated once it is resolved
        when = tickets["resolved_at"] if "resolved_at" in tickets else tickets["created_at"]
        rated = tickets.assign(at=when).dropna(subset=["csat"])
        rated = rated[(rated["at"] >= as_of - 90 * DAY) & (rated["at"] < as_of)]
        mean = rated.groupby("account_id", sort=False)["csat"].mean()
        out["ticket_csat_mean_90d"] = mean.reindex(accounts).astype(float)
    surveys = tables.surveys
    if surveys is not None:
        ces = surveys[surveys["kind"].astype(str).str.lower() == "ces"]
        ces = ces[ces["responded_at"] >= as_of - 90 * DAY]
        mean = ces.groupby("account_id", sort=False)["score"].mean()
        out["ces_mean_90d"] = mean.reindex(accounts).astype(float)
    last_ticket = tickets.groupby("account_id", sort=False)["created_at"].max().reindex(accounts)
    out["days_since_last_ticket"] = in_days(as_of - last_ticket)
    return out
