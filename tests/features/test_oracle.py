"""Oracle: a slow, obviously correct per-account loop agrees with the fast builders on random data.

The loop below restates every feature's definition (the family modules of features/ and features/events.py)
row by row in plain Python, one account and one as-of date at a time.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import math
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from features.matrix import build_features
from features.sentiment import text_sentiment

_spec = importlib.util.spec_from_file_location(
    "point_in_time_tests", Path(__file__).with_name("test_point_in_time.py")
)
_pit = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_pit)
random_tables, as_of_day = _pit.random_tables, _pit.as_of_day

NAN = float("nan")
HIGH = {"high", "urgent", "critical", "p1", "p0"}


def ratio(a, b):
    return a / b if b and b > 0 else NAN


def mean(values):
    return sum(values) / len(values) if values else NAN


def score(text):
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return None
    text = str(text).strip()
    return text_sentiment(text) if text else None


def event_rows(tables, t):
    """(account, user, type, day, value) of events on days before t (day = date of timestamp)."""
    rows = []
    for r in tables.events.itertuples():
        day = pd.Timestamp(r.timestamp).normalize()
        if day < t:
            rows.append((r.account_id, r.user_id, r.event_type, day, float(r.value)))
    return rows


def core_types(rows, t):
    used = {}
    for account, _, kind, day, value in rows:
        if (t - day).days <= 90:
            accounts, events = used.get(kind, (set(), 0.0))
            used[kind] = (accounts | {account}, events + value)
    order = sorted(used, key=lambda k: (-len(used[k][0]), -used[k][1], k))
    return order[: max(1, math.ceil(0.25 * len(order)))] if order else []


def oracle_events(rows, account, t, seats, catalogue, core):
    mine = [(u, k, d, v, (t - d).days) for a, u, k, d, v in rows if a == account]
    f = {}
    for n in (7, 30, 90):
        f[f"events_{n}d"] = sum(v for *_, v, age in mine if age <= n)
    f["events_prev_30d"] = sum(v for *_, v, age in mine if 31 <= age <= 60)
    f["events_change_30d"] = ratio(f["events_30d"] - f["events_prev_30d"], f["events_prev_30d"])
    for n in (7, 30, 90):
        f[f"active_days_{n}d"] = len({d for _, _, d, _, age in mine if age <= n})
    for n in (7, 30, 90):
        f[f"active_users_{n}d"] = len({u for u, *_, age in mine if age <= n})
    f["active_users_prev_30d"] = len({u for u, *_, age in mine if 31 <= age <= 60})
    f["active_users_change_30d"] = ratio(
        f["active_users_30d"] - f["active_users_prev_30d"], f["active_users_prev_30d"]
    )
    user_weeks = [0] * 12  # distinct users per week, weeks[0] the oldest (as for events)
    for week in range(12):
        ages = range(84 - 7 * week - 6, 84 - 7 * week + 1)
        user_weeks[week] = len({u for u, *_, age in mine if age in ages})
    user_slope = sum((i - 5.5) * w for i, w in enumerate(user_weeks)) / 143
    f["active_users_slope_12w"] = ratio(user_slope, sum(user_weeks) / 12)
    # the most active users of ages 31..180: at least as many active days as the
    # ceil(n / 4)-th most active of the n users then; the share not seen in the last 30 days
    then = {}
    for u, _, d, _, age in mine:
        if 31 <= age <= 180:
            then.setdefault(u, set()).add(d)
    ranked = sorted((len(days) for days in then.values()), reverse=True)
    recent_users = {u for u, *_, age in mine if age <= 30}
    top = [
        u
        for u, days in then.items()
        if ranked and len(days) >= ranked[math.ceil(len(ranked) / 4) - 1]
    ]
    f["top_users_gone_share_30d"] = ratio(sum(u not in recent_users for u in top), len(top))
    last_seen = {u: min(age for v, *_, age in mine if v == u) for u in top}
    f["days_since_top_users_active"] = mean(list(last_seen.values()))
    user_days = len({(u, d) for u, _, d, _, age in mine if age <= 30})
    f["events_per_user_day_30d"] = ratio(f["events_30d"], user_days)
    weeks = [0.0] * 12  # weeks[0] = the oldest of the 12 weeks before t
    for *_, v, age in mine:
        if age <= 84:
            weeks[11 - (age - 1) // 7] += v
    slope = sum((i - 5.5) * w for i, w in enumerate(weeks)) / 143
    f["usage_slope_12w"] = ratio(slope, sum(weeks) / 12)
    f["days_since_last_event"] = min((age for *_, age in mine), default=NAN)
    used_30 = {k for _, k, _, _, age in mine if age <= 30}
    used_90 = {k for _, k, _, _, age in mine if age <= 90}
    used_prev = {k for _, k, _, _, age in mine if 31 <= age <= 60}
    first = {}
    for _, k, _, _, age in mine:
        first[k] = max(first.get(k, 0), age)
    f["features_used_30d"] = len(used_30)
    f["features_used_90d"] = len(used_90)
    f["catalogue_share_90d"] = ratio(len(used_90), catalogue)
    f["features_new_30d"] = sum(1 for age in first.values() if age <= 30)
    f["features_dropped_30d"] = len(used_prev - used_30)
    n_core = len(core)
    f["core_features_used_30d"] = len(used_30 & set(core)) if n_core else NAN
    core_days = len({(k, d) for _, k, d, _, age in mine if age <= 30 and k in core})
    f["core_depth_30d"] = ratio(core_days, 30 * n_core)
    adopted = [first[k] for k in core if k in first]
    f["core_adoption_share"] = ratio(len(adopted), n_core)
    f["days_since_core_adoption"] = mean(adopted)
    f["seat_utilisation_30d"] = ratio(f["active_users_30d"], seats)
    f["days_since_first_event"] = max((age for *_, age in mine), default=NAN)
    return f


def mood(texts, t, names):
    """Mean, minimum, negatives (below -0.3) over 90 days and the mean's change vs the 90 before,
    of (time, score) pairs before t."""
    day = pd.Timedelta(days=1)
    recent = [s for at, s in texts if at >= t - 90 * day]
    earlier = [s for at, s in texts if t - 180 * day <= at < t - 90 * day]
    values = (
        mean(recent),
        min(recent, default=NAN),
        sum(1 for s in recent if s < -0.3),
        mean(recent) - mean(earlier),
    )
    return dict(zip(names, values, strict=True))


def oracle_sentiment(tables, account, t):
    day = pd.Timedelta(days=1)
    comments = []
    for r in tables.surveys.itertuples():
        s = score(r.comment)
        if r.account_id == account and r.responded_at < t and s is not None:
            comments.append((r.responded_at, s))
    f = mood(
        comments,
        t,
        (
            "comment_sentiment_mean_90d",
            "comment_sentiment_min_90d",
            "negative_comments_90d",
            "comment_sentiment_change_90d",
        ),
    )
    nps = sorted(
        (r.responded_at, i, r.score)
        for i, r in enumerate(tables.surveys.itertuples())
        if r.account_id == account and r.responded_at < t and r.kind == "nps"
    )
    latest = nps[-1][2] if nps else NAN
    f["latest_nps"] = latest
    f["nps_change"] = latest - nps[-2][2] if len(nps) > 1 else NAN
    f["is_detractor"] = float(latest <= 6) if nps else NAN
    f["is_promoter"] = float(latest >= 9) if nps else NAN
    csat = [
        r.score
        for r in tables.surveys.itertuples()
        if r.account_id == account and r.kind == "csat" and t - 90 * day <= r.responded_at < t
    ]
    f["csat_mean_90d"] = mean(csat)
    return f


def oracle_support(tables, account, t, seats):
    day = pd.Timedelta(days=1)
    mine = [r for r in tables.tickets.itertuples() if r.account_id == account and r.created_at < t]

    def created_within(lo, hi):
        return [r for r in mine if t - hi * day <= r.created_at < t - lo * day]

    def known(moment):
        return pd.notna(moment) and moment < t

    last_90 = created_within(0, 90)
    f = {
        "tickets_30d": len(created_within(0, 30)),
        "tickets_prev_30d": len(created_within(30, 60)),
    }
    f["tickets_change_30d"] = ratio(f["tickets_30d"] - f["tickets_prev_30d"], f["tickets_prev_30d"])
    f["tickets_90d"] = len(last_90)
    f["tickets_prev_90d"] = len(created_within(90, 180))
    usual = created_within(90, 365)
    f["tickets_vs_usual_90d"] = (len(last_90) + 1) / (len(usual) * 90 / 275 + 1)
    f["tickets_per_seat_90d"] = ratio(f["tickets_90d"], seats)
    f["open_tickets"] = sum(1 for r in mine if not known(r.resolved_at))
    f["mean_resolution_days_90d"] = mean(
        [(r.resolved_at - r.created_at) / day for r in last_90 if known(r.resolved_at)]
    )
    f["resolution_days_change_90d"] = f["mean_resolution_days_90d"] - mean(
        [(r.resolved_at - r.created_at) / day for r in usual if known(r.resolved_at)]
    )
    f["mean_first_response_hours_90d"] = mean(
        [
            (r.first_response_at - r.created_at) / pd.Timedelta(hours=1)
            for r in last_90
            if known(r.first_response_at)
        ]
    )
    high = sum(1 for r in last_90 if str(r.priority).lower() in HIGH)
    f["high_priority_share_90d"] = ratio(high, len(last_90))
    f["escalations_90d"] = sum(1 for r in last_90 if r.escalated)
    f["escalated_share_90d"] = ratio(f["escalations_90d"], len(last_90))
    texts = []
    for r in mine:
        s = score(r.text)
        if s is not None:
            texts.append((r.created_at, s))
    names = (
        "ticket_sentiment_mean_90d",
        "ticket_sentiment_min_90d",
        "negative_tickets_90d",
        "ticket_sentiment_change_90d",
    )
    f.update(mood(texts, t, names))
    f["negative_ticket_share_90d"] = ratio(f["negative_tickets_90d"], f["tickets_90d"])
    f["negative_tickets_30d"] = sum(1 for at, s in texts if t - 30 * day <= at and s < -0.3)
    f["ticket_csat_mean_90d"] = mean(
        [
            r.csat
            for r in mine
            if pd.notna(r.resolved_at)
            and t - 90 * day <= r.resolved_at < t
            and not math.isnan(r.csat)
        ]
    )
    ces = [
        r.score
        for r in tables.surveys.itertuples()
        if r.account_id == account and r.kind == "ces" and t - 90 * day <= r.responded_at < t
    ]
    f["ces_mean_90d"] = mean(ces)
    f["days_since_last_ticket"] = min(((t - r.created_at) / day for r in mine), default=NAN)
    return f


def oracle_contract(tables, account, t):
    """Concurrent rows are one contract: MRR summed over the rows covering t, term from the main
    (largest MRR) row, change against the MRR covering the moment before the latest change."""
    day = pd.Timedelta(days=1)
    terms = [
        (r.start_date, i, r.end_date, r.mrr)
        for i, r in enumerate(tables.subscriptions.itertuples())
        if r.account_id == account and r.start_date < t
    ]

    def covers(x, moment):
        return x[0] < moment and (pd.isna(x[2]) or x[2] >= moment)

    def total(rows):
        values = [x[3] for x in rows if not pd.isna(x[3])]
        return sum(values) if values else NAN

    current = [x for x in terms if covers(x, t)]
    far = pd.Timestamp("2200-01-01")
    main = max(
        current,
        key=lambda x: (-np.inf if pd.isna(x[3]) else x[3], x[0], far if pd.isna(x[2]) else x[2]),
    )
    term_start, term_end = main[0], main[2]
    mrr = total(current)
    changes = [x[0] for x in terms] + [x[2] for x in terms if not pd.isna(x[2]) and x[2] < t]
    latest = max(changes)
    previous = total([x for x in terms if covers(x, latest)])
    year_ago = total([x for x in terms if covers(x, t - 365 * day)])
    # the term before the current one: the latest row that ended by the current start (the
    # largest MRR among rows ending then, then the last listed)
    ended = [x for x in terms if not pd.isna(x[2]) and x[2] <= term_start]
    before = max(
        ended, key=lambda x: (x[2], -np.inf if pd.isna(x[3]) else x[3], x[1]), default=None
    )
    return {
        "previous_term_days": NAN if before is None else (before[2] - before[0]) / day,
        "tenure_days": (t - min(x[0] for x in terms)) / day,
        "mrr": mrr,
        "mrr_change_pct": ratio(mrr - previous, previous),
        "mrr_change_12m": ratio(mrr - year_ago, year_ago),
        "days_to_term_end": NAN if pd.isna(term_end) else (term_end - t) / day,
        "term_length_days": NAN if pd.isna(term_end) else (term_end - term_start) / day,
        # whole months of 365.25 / 12 days, at least one (open-ended: none)
        "term_months": NAN
        if pd.isna(term_end)
        else max(round((term_end - term_start) / day / (365.25 / 12)), 1),
    }


def oracle_features(tables, t):
    """Every feature of every account active at t, one account at a time."""
    rows = event_rows(tables, t)
    catalogue = len({k for *_, k, _, _ in [(a, u, k, d, v) for a, u, k, d, v in rows]})
    core = core_types(rows, t)
    seats = dict(zip(tables.accounts["account_id"], tables.accounts["seats"], strict=True))
    out = {}
    for account in sorted(set(tables.subscriptions["account_id"])):
        subs = tables.subscriptions[tables.subscriptions["account_id"] == account]
        known = subs[subs["start_date"] < t]
        if not (known["end_date"].isna() | (known["end_date"] >= t)).any():
            continue
        out[account] = {
            **oracle_events(rows, account, t, seats[account], catalogue, core),
            **oracle_sentiment(tables, account, t),
            **oracle_support(tables, account, t, seats[account]),
            **oracle_contract(tables, account, t),
        }
    return pd.DataFrame.from_dict(out, orient="index")


def with_ces(tables):
    """The random tables with a customer effort (CES) answer 10 days after each survey answer."""
    surveys = tables.surveys
    ces = surveys.assign(
        kind="ces", responded_at=surveys["responded_at"] + pd.Timedelta(days=10), comment=None
    )
    surveys = pd.concat([surveys, ces], ignore_index=True)
    surveys = surveys.sort_values("responded_at", kind="stable", ignore_index=True)
    return dataclasses.replace(tables, surveys=surveys)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**31),
    days=st.lists(st.integers(30, 280), min_size=1, max_size=3, unique=True),
)
def test_fast_builders_agree_with_the_per_account_oracle(seed, days):
    tables = with_ces(random_tables(seed, n_accounts=5, n_events=120))
    dates = [as_of_day(d) for d in days]
    fast = build_features(tables, dates)
    for t in dates:
        expected = oracle_features(tables, t)
        got = fast[fast["as_of"] == t].set_index("account_id")
        assert sorted(got.index) == sorted(expected.index)
        got = got.loc[expected.index, expected.columns].astype(float)
        np.testing.assert_allclose(
            got.to_numpy(),
            expected.astype(float).to_numpy(),
            rtol=1e-9,
            atol=1e-12,
            equal_nan=True,
            err_msg=f"as of {t.date()}",
        )


def test_every_fast_feature_is_checked_by_the_oracle():
    """The oracle covers every built feature except the static account columns."""
    tables = random_tables(1, n_accounts=5, n_events=120)
    t = as_of_day(200)
    built = set(build_features(tables, [t]).columns) - {"account_id", "as_of", "seats", "plan"}
    assert built == set(oracle_features(tables, t).columns)
