"""Demo data: a synthetic B2B SaaS company in the contract's five tables, plus its hidden truth.

Why: the pipeline needs realistic data to be demonstrated and tested on without a customer's data,
and its explanations need a known answer to be checked against. So the generator plants a hidden
process: every account has a latent health that drifts, and some accounts go through a decline
episode with one cause (usage decay, support pain, champion loss, a price increase) that shows in
the data *before* the contract ends. Most of those accounts churn at the term end, some recover.
Customers answer NPS, CSAT (1-5) and customer-effort (CES, 1-7) surveys, which dip with the same
causes. Noise everywhere (seasonality, bad weeks, random tickets, unexplained churn) keeps the problem from
being trivially separable. ``ground_truth`` records the planted cause per account; features never
read it.

Everything is vectorised across accounts (and generated in account chunks, so 100k accounts fit in
memory); the only Python loops run over chunks, weeks and template lists.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from features.subscriptions import add_months

__all__ = [
    "generate_demo_data",
    "write_demo_data",
    "plant_change",
    "Shapes",
    "CAUSE_FAMILY",
    "EVENT_TYPES",
]

PLANS = ("starter", "growth", "enterprise")
INDUSTRIES = (
    "software",
    "healthcare",
    "finance",
    "retail",
    "manufacturing",
    "education",
    "media",
    "logistics",
)
COUNTRIES = ("US", "GB", "DE", "FR", "NL", "CA", "AU", "SE")
COUNTRY_P = (0.38, 0.14, 0.12, 0.08, 0.07, 0.09, 0.07, 0.05)

CORE_FEATURES = (
    "dashboard_view",
    "report_view",
    "search",
    "record_edit",
    "comment",
    "notification_open",
    "filter_apply",
    "file_upload",
)
STANDARD_FEATURES = (
    "report_export",
    "share_link",
    "task_create",
    "calendar_view",
    "mobile_session",
)
ADVANCED_FEATURES = (
    "api_call",
    "integration_sync",
    "workflow_automation",
    "custom_field_edit",
    "bulk_import",
    "advanced_analytics",
    "admin_settings",
)
EVENT_TYPES = CORE_FEATURES + STANDARD_FEATURES + ADVANCED_FEATURES
_N_CORE, _N_STD = len(CORE_FEATURES), len(STANDARD_FEATURES)
# how popular each feature is relative to the others in its tier
_POPULARITY = np.array(
    [1.0, 0.8, 0.6, 0.9, 0.4, 0.5, 0.4, 0.25]
    + [0.6, 0.3, 0.8, 0.4, 0.5]
    + [0.9, 0.8, 0.6, 0.4, 0.2, 0.5, 0.3],
    dtype=np.float32,
)
# mean extra count per (user, feature, day) row on top of 1
_VALUE_LAMBDA = np.array(
    [3.0, 1.5, 2.0, 4.0, 1.0, 2.0, 1.5, 0.5]
    + [0.5, 0.3, 1.0, 0.5, 1.5]
    + [40.0, 6.0, 2.0, 1.0, 0.5, 1.5, 0.5],
    dtype=np.float64,
)

PRIORITIES = ("low", "normal", "high", "urgent")
CAUSES = ("usage_decay", "support_pain", "champion_loss", "price")
CAUSE_P = (0.30, 0.25, 0.20, 0.25)
# The planted causes, the signals each changes in ``_activity_chunk`` and the family of the
# feature catalogue (``features.catalogue``) they belong to. The first family is the cause's
# ground truth (``ground_truth.family``, what the explanations are checked against); the others
# move too, less, as they would in life.
# - usage_decay -> usage: every user is active on fewer days (daily chance x up to 0.3) and does
#   less each day (counts x up to 0.5): events, active days, events per seat and per user-day
#   and the weekly trend fall. Side effects: casual users drop out of the 30-day count
#   (adoption: active users), a few more tickets (x1.3), NPS -2.5, CSAT -1.
# - support_pain -> support: tickets 3-5x as often (a team under PAIN_TEAM_USERS users: as often
#   as a team of that size would file them), more of them high or urgent, slower first
#   responses (x2.5) and resolutions (x3.5), more escalations, tickets that read negative (the
#   mood of ticket text is support in the catalogue: angry tickets are support trouble), and
#   customer effort after tickets -3.2 (CES rates how hard it was to get help: support too).
#   Side effects: NPS -5, CSAT -2.2 (sentiment: what the customer says of the relationship).
# - champion_loss -> adoption: the power users (the champions) and half the others stop using the
#   product, and the advanced features they used fade (x0.1): the most active users gone (and
#   for how long), fewer weekly active users, fewer active users, lower seat use, fewer distinct
#   features. Who uses it is adoption, not usage: the catalogue counts active users, their weekly
#   trend, the most active users gone and seat utilisation there, and usage is how much is done
#   (events per user-day apart from how many users). Side effects: the events the champions made
#   are gone (usage), NPS -2.
# - price -> contract: a 20-40% price rise at a renewal one term (annual) or two to four terms
#   (monthly) before the churn (``mrr_change_pct``, the contract's one behaviour feature). Side
#   effects: NPS comments about price, NPS -4, CSAT -1.2, a few more tickets (x1.3).
CAUSE_FAMILY = {
    "usage_decay": "usage",
    "support_pain": "support",
    "champion_loss": "adoption",
    "price": "contract",
    "none": "",
    "looks_bad_stays": "",
}
_USAGE, _SUPPORT, _CHAMPION, _PRICE = range(4)

# the hidden process, tuned so a good model lands around 0.75-0.90 ROC AUC, not 0.99
P_EXISTING = 0.75  # accounts already customers at the start date
P_ROLLING = 0.03  # monthly accounts on an open-ended rolling contract (end_date null)
P_EPISODE = 0.32  # accounts that get a decline episode (if a suitable term end exists)
P_EPISODE_CHURN = 0.72  # churn at the term end that closes an episode; the rest recover
# Annual customers often drift away long before the renewal talk: this share of annual accounts'
# declines (all causes but price, whose increase already lands a term before) start 180-270 days
# before the term end (later only when the account is younger than that) and reach full strength
# within RISE_DAYS; the rest start 60-150 days before. Who churns, and when, is the same either way.
P_LONG_LEAD_ANNUAL = 0.5
LONG_LEAD_DAYS = (180, 271)
RISE_DAYS = 30
P_BASE_CHURN_ANNUAL = 0.04  # unexplained churn per annual renewal
P_BASE_CHURN_MONTHLY = 0.01  # unexplained churn per monthly renewal
P_BAD_WEEK = 0.04
SURVEY_EVERY_DAYS = 91
SURVEY_RESPONSE = 0.4
CSAT_RESPONSE = 0.3  # quarterly relationship CSAT (1-5), sent apart from the NPS survey
CES_RESPONSE = 0.25  # a customer-effort survey (1-7) after a ticket
# Everyday tickets (how-to questions) grow with the square root of an account's users, but the
# tickets of support pain are about the problem the customer keeps hitting and its follow-ups
# ("This is the third time...", "We already reported this last week"): a team smaller than this
# files them as often as a team of this size would, not at its own everyday rate.
PAIN_TEAM_USERS = 10
BASE_TICKETS_PER_USER_DAY = 0.012  # x sqrt(users) x a lognormal factor per account
CHUNK_ACCOUNTS = 2500

_NAME_A = (
    "Blue", "North", "Quantum", "Silver", "Bright", "Iron", "Green", "Summit", "Crimson", "Nova",
    "Atlas", "Cedar", "Harbor", "Pioneer", "Vertex", "Apex", "Golden", "Swift", "Lunar", "Prime",
)  # fmt: skip
_NAME_B = (
    "Data", "Logistics", "Health", "Analytics", "Foods", "Robotics", "Media", "Energy", "Cloud",
    "Works", "Finance", "Retail", "Labs", "Freight", "Systems", "Learning", "Motors", "Design",
)  # fmt: skip
_NAME_C = ("Inc", "Ltd", "GmbH", "Group", "Co", "BV", "AB", "LLC", "Partners", "")

_TOPICS = (
    "data sync",
    "CSV export",
    "single sign-on",
    "invoice",
    "user permissions",
    "API",
    "dashboard",
    "email notifications",
    "bulk import",
    "scheduled reports",
)
_SUBJECTS = {
    "neutral": ("Question about {t}", "How to configure {t}", "{T} setup"),
    "negative": ("{T} not working", "Problem with {t} again", "Urgent: {t} failing"),
    "positive": ("{T} issue resolved", "Thanks for the help with {t}", "{T} feedback"),
}
_LEADS = {
    "neutral": (
        "How do I set up the {t} for a new team?",
        "Is there a way to schedule the {t}?",
        "Could you point me to the documentation for the {t}?",
        "We would like to know whether the {t} supports custom fields.",
        "Can an admin change the {t} settings for all users?",
    ),
    "negative": (
        "This is the third time the {t} has failed, we are very frustrated.",
        "The {t} has been broken since yesterday and our team cannot work.",
        "We keep running into errors with the {t} and nobody has followed up.",
        "The {t} is extremely slow and keeps timing out.",
        "Again the {t} lost our changes, this is a serious problem for us.",
    ),
    "positive": (
        "Thanks, the {t} works great now.",
        "The fix for the {t} solved it, thank you for the quick help.",
        "Just wanted to say the new {t} is excellent.",
        "The {t} is working perfectly after your change.",
    ),
}
_SECONDS = {
    "neutral": ("", "Nothing urgent.", "We are rolling it out to another department.", ""),
    "negative": (
        "This is unacceptable for a paid product.",
        "We are considering other options if this is not fixed.",
        "Please escalate this, it is blocking our month-end close.",
        "We already reported this last week and still have no answer.",
        "",
    ),
    "positive": ("Great support as always.", "You can close this ticket.", "", "Much appreciated!"),
}
_CLOSERS = ("", "", "Thanks.", "Regards.", "Best regards.")

_COMMENTS_NEGATIVE = (
    "Support takes far too long to answer.",
    "Too many bugs lately, the sync keeps failing.",
    "The product has become hard to use for our team.",
    "We are disappointed with the reliability.",
    "Not worth the hassle anymore.",
    "Frustrating experience with recent changes.",
)
_COMMENTS_PRICE = (
    "Too expensive for what we get.",
    "The price increase is hard to justify.",
    "We are paying too much compared to alternatives.",
    "Good tool but the new pricing is too high.",
)
_COMMENTS_NEUTRAL = (
    "It does the job.",
    "Decent, some features are missing.",
    "OK overall.",
    "Reporting could be better.",
    "Fine for our needs.",
)
_COMMENTS_POSITIVE = (
    "Love the product, our team uses it every day.",
    "Great tool and excellent support.",
    "Very easy to use, highly recommend.",
    "The integrations save us hours every week.",
    "Fantastic, keeps getting better.",
)


@dataclass(frozen=True)
class Shapes:
    """Data of other shapes than the demo's, as real exports come (issues 13 and 19).

    All off by default, and off they change nothing: the same random draws, the same tables.
    Each shape is applied after the company is generated, from its own random stream.

    - ``monthly_only``: every account on monthly terms, each term a row.
    - ``addons``: the share of accounts that also buy an add-on product, a concurrent subscription
      row (``product`` = "addon") over some of their terms; accounts that go on to churn often
      drop it a few terms before.
    - ``feed_ends_days``: the subscription feed ends this many days before the events: rows
      starting later are missing (their renewals are not recorded), as are later ends.
    - ``event_types``: this many extra event types (``EXTRA_EVENT_TYPES``) whose use moves
      differently before a churn: a third fade, a sixth rise (exports, billing pages), the rest
      do not move.
    - ``subscriptions``: "terms" (a row per signed term) or "lives" (one row per subscription for
      its whole life, as billing systems export them: ``end_date`` only once it ended, a
      ``canceled_at`` some days before, the billing ``interval``).
    """

    monthly_only: bool = False
    addons: float = 0.0
    feed_ends_days: int = 0
    event_types: int = 0
    subscriptions: str = "terms"

    def __post_init__(self) -> None:
        if self.subscriptions not in ("terms", "lives"):
            raise ValueError(
                f"subscriptions must be 'terms' or 'lives', got {self.subscriptions!r}"
            )
        if not 0.0 <= self.addons <= 1.0:
            raise ValueError("addons is a share of accounts, between 0 and 1")
        if not 0 <= self.event_types <= len(EXTRA_EVENT_TYPES):
            raise ValueError(f"event_types must be between 0 and {len(EXTRA_EVENT_TYPES)}")


EXTRA_EVENT_TYPES = (
    "report_build", "integration_run", "export_csv", "dashboard_share", "alert_create",
    "billing_view", "api_token_use", "sso_login", "audit_view", "invoice_download",
    "template_use", "mention", "mobile_sync", "forecast_run", "goal_update", "survey_send",
    "chat_message", "calendar_sync", "approval_flow", "data_import", "webhook_call",
    "kanban_move", "time_log", "tag_edit", "pdf_render", "user_invite", "role_change",
    "backup_run", "sandbox_open", "custom_report",
)  # fmt: skip
# effect of each extra type before a churn: +1 fades, -1 rises, 0 does not move
_EXTRA_EFFECT = np.array([1, 1, -1, 0, 1, -1, 0, 1, 0, -1, 1, 0] * 3)[: len(EXTRA_EVENT_TYPES)]


def generate_demo_data(
    n_accounts: int = 2000,
    seed: int = 0,
    start: str = "2024-01-01",
    days: int = 730,
    change_at: str | None = None,
    shapes: Shapes = Shapes(),
) -> dict[str, pd.DataFrame]:
    """Return tables 'accounts', 'subscriptions', 'events', 'tickets', 'surveys', 'ground_truth'.

    Why: one call gives a realistic, reproducible company (same seed, same tables) whose churn has
    known, planted causes, so the whole pipeline can be demonstrated and its explanations checked.
    The data covers ``days`` days from ``start``; signed terms that end later keep their end date.
    ``change_at`` (a date, off by default) plants a change for monitoring to find: see
    ``plant_change``. Off, not one random draw differs.
    ``shapes`` gives the same company in other shapes (``Shapes``).
    """
    if n_accounts < 1:
        raise ValueError("n_accounts must be at least 1")
    if days < 180:
        raise ValueError("days must be at least 180 so that terms can renew inside the window")
    start_day = np.datetime64(pd.Timestamp(start).date(), "D")
    rng = np.random.default_rng([seed, 0])
    acc = _accounts_and_terms(
        rng, n_accounts, start_day, days, np.random.default_rng([seed, 3]), shapes.monthly_only
    )

    events, tickets, surveys = [], [], []
    user_offset = 0
    for chunk, lo in enumerate(range(0, n_accounts, CHUNK_ACCOUNTS)):
        hi = min(lo + CHUNK_ACCOUNTS, n_accounts)
        crng = np.random.default_rng([seed, 1, chunk])
        vrng = np.random.default_rng([seed, 4, chunk])  # CSAT and CES surveys: their own stream
        prng = np.random.default_rng([seed, 7, chunk])  # support pain's floor: its own stream
        ev, tk, sv = _activity_chunk(crng, acc, lo, hi, user_offset, start_day, days, vrng, prng)
        user_offset += int(acc["n_users"][lo:hi].sum())
        events.append(ev)
        tickets.append(tk)
        surveys.extend(sv)

    tables = {
        "accounts": acc["accounts"],
        "subscriptions": acc["subscriptions"],
        "events": _events_frame(events, acc, start_day),
        "tickets": _tickets_frame(tickets, acc["ids"], start_day, np.random.default_rng([seed, 2])),
        "surveys": _surveys_frame(surveys, acc["ids"], start_day),
        "ground_truth": acc["ground_truth"],
    }
    if change_at is not None:
        tables = plant_change(tables, change_at, np.random.default_rng([seed, 3]))
    return _reshape(tables, acc, shapes, seed, start_day, days)


# The planted change (``change_at``): a product release merges the standard features into one new
# workspace view, and a new segment of customers (a sector never sold to before) starts signing up.
MERGED_FEATURES = STANDARD_FEATURES
MERGED_INTO = "workspace_view"
MERGED_SHARE = 0.9
NEW_SEGMENT = {"industry": "public_sector"}
NEW_SEGMENT_SHARE = 0.8


def plant_change(
    tables: dict[str, pd.DataFrame], change_at: str, rng: np.random.Generator
) -> dict[str, pd.DataFrame]:
    """From ``change_at`` on: ``MERGED_SHARE`` of the standard features' events are the new
    ``workspace_view`` (usage totals unchanged, the mix of event types shifts), and
    ``NEW_SEGMENT_SHARE`` of the accounts created then are in a new industry.

    Only the event-type mix and the industry move: a monitor should find the adoption features
    that count event types, and industry, and nothing else. Uses its own random stream.
    """
    at = pd.Timestamp(change_at)
    events = tables["events"]
    types = events["event_type"].cat.add_categories([MERGED_INTO])
    after = (events["timestamp"] >= at).to_numpy()
    merged = after & types.isin(MERGED_FEATURES).to_numpy()
    moved = merged & (rng.random(len(events)) < MERGED_SHARE)
    types = types.where(~moved, MERGED_INTO)
    accounts = tables["accounts"].copy()
    joins = (accounts["created_at"] >= at).to_numpy()
    segment = joins & (rng.random(len(accounts)) < NEW_SEGMENT_SHARE)
    for column, value in NEW_SEGMENT.items():
        accounts.loc[segment, column] = value
    return {**tables, "events": events.assign(event_type=types), "accounts": accounts}


# ---------------------------------------------------------------------------------------------
# other shapes of the same company (Shapes)


def _reshape(tables, acc, shapes: Shapes, seed: int, start_day, days: int):
    if shapes.event_types:
        extra = _typed_events(
            np.random.default_rng([seed, 6]), acc, tables, shapes, start_day, days
        )
        events = tables["events"].astype({"account_id": str, "user_id": str, "event_type": str})
        merged = pd.concat([events, extra], ignore_index=True)
        tables["events"] = merged.sort_values("timestamp", kind="stable").reset_index(drop=True)
    if shapes.addons and shapes.subscriptions == "terms":
        tables["subscriptions"] = _with_addons(
            np.random.default_rng([seed, 4]), tables["subscriptions"], acc, shapes.addons
        )
    end = pd.Timestamp(start_day) + pd.Timedelta(days=days)
    if shapes.subscriptions == "lives":
        tables["subscriptions"] = _lives(np.random.default_rng([seed, 5]), tables, end)
    if shapes.feed_ends_days:
        cutoff = end - pd.Timedelta(days=shapes.feed_ends_days)
        subs = tables["subscriptions"]
        subs = subs[subs["start_date"] < cutoff].copy()
        if shapes.subscriptions == "lives":  # an end is written when it happens
            later = subs["end_date"] >= cutoff
            subs.loc[later, ["end_date", "canceled_at"]] = pd.NaT
        tables["subscriptions"] = subs.reset_index(drop=True)
    return tables


def _typed_events(rng, acc, tables, shapes: Shapes, start_day, days: int) -> pd.DataFrame:
    """Weekly counts per account and extra event type while subscribed; before a churn the types
    whose effect is +1 fade to a tenth over 75 days, those with -1 rise fourfold."""
    k = shapes.event_types
    ids, n_users = acc["ids"], acc["n_users"]
    n, weeks = ids.size, (days + 6) // 7
    subs = tables["subscriptions"]
    start = subs.groupby("account_id")["start_date"].min().reindex(ids) - pd.Timestamp(start_day)
    first_day = np.maximum(start.dt.days.to_numpy(), 0)
    truth = tables["ground_truth"].set_index("account_id").reindex(ids)
    churn = (truth["churn_date"] - pd.Timestamp(start_day)).dt.days.to_numpy(dtype=float)
    last_day = np.where(np.isnan(churn), days, churn)
    popularity = 1.0 / np.arange(1, k + 1) ** 0.8
    effect = _EXTRA_EFFECT[:k]
    level = rng.lognormal(0.0, 0.6, n) * np.sqrt(n_users)
    week_day = np.arange(weeks) * 7
    covered = (week_day[None, :] >= first_day[:, None]) & (week_day[None, :] < last_day[:, None])
    to_churn = churn[:, None] - week_day[None, :]
    ramp = np.clip(1.0 - to_churn / 75.0, 0.0, 1.0)
    ramp = np.where(np.isnan(ramp), 0.0, ramp)  # (n, weeks)
    rows = []
    for j in range(k):
        mult = np.where(
            effect[j] > 0, 1.0 - 0.9 * ramp, np.where(effect[j] < 0, 1.0 + 3.0 * ramp, 1.0)
        )
        lam = 2.5 * popularity[j] * level[:, None] * mult * covered
        count = rng.poisson(lam)
        acct, week = np.nonzero(count)
        seconds = week_day[week] * 86_400 + rng.uniform(0, 7 * 86_400, acct.size)
        seconds = np.minimum(seconds, (last_day[acct] - 1e-3) * 86_400)
        user = rng.integers(0, n_users[acct]) + 1
        rows.append(
            pd.DataFrame(
                {
                    "account_id": ids[acct],
                    "user_id": ids[acct] + np.char.add("-u", np.char.zfill(user.astype(str), 2)),
                    "timestamp": _to_time(start_day, 0, seconds),
                    "event_type": EXTRA_EVENT_TYPES[j],
                    "value": count[acct, week].astype(np.int32),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def _with_addons(rng, subs: pd.DataFrame, acc, share: float) -> pd.DataFrame:
    """An add-on row over a run of each chosen account's terms; churners often drop it early."""
    truth = acc["ground_truth"].set_index("account_id")["churned"]
    base = subs.assign(product="base")
    extra = []
    for account, rows in base.groupby("account_id", sort=False):
        if rng.random() >= share:
            continue
        n = len(rows)
        first = int(rng.integers(0, max(1, (n + 1) // 2)))
        last = n - 1
        if truth[account] and rng.random() < 0.6 and n - 1 - first >= 2:
            last = n - 1 - int(rng.integers(1, min(3, n - 1 - first) + 1))
        extra.append(
            {
                "subscription_id": f"{rows['subscription_id'].iloc[first]}-addon",
                "account_id": account,
                "start_date": rows["start_date"].iloc[first],
                "end_date": rows["end_date"].iloc[last],
                "mrr": round(float(rows["mrr"].iloc[first]) * rng.uniform(0.1, 0.3), 2),
                "plan": "addon",
                "billing": rows["billing"].iloc[first],
                "product": "addon",
            }
        )
    out = pd.concat([base, pd.DataFrame(extra, columns=base.columns)], ignore_index=True)
    return out.sort_values(["account_id", "start_date"], kind="stable").reset_index(drop=True)


def _lives(rng, tables, end: pd.Timestamp) -> pd.DataFrame:
    """One row per account's subscription life: first start, the end only if it happened before
    the data's end (with a cancellation 1-20 days before it), the price and interval at signup."""
    subs = tables["subscriptions"].sort_values(["account_id", "start_date"], kind="stable")
    grouped = subs.groupby("account_id", sort=False)
    first = grouped.first()
    last_end = grouped["end_date"].apply(lambda e: pd.NaT if e.isna().any() else e.max())
    ended = last_end.notna() & (last_end <= end)
    end_date = last_end.where(ended)
    cancel = end_date - pd.to_timedelta(rng.integers(1, 21, len(first)), unit="D")
    cancel = cancel.where(cancel > first["start_date"], first["start_date"])
    return pd.DataFrame(
        {
            "subscription_id": first["subscription_id"].to_numpy(),
            "account_id": first.index.to_numpy(),
            "start_date": first["start_date"].to_numpy(),
            "end_date": end_date.to_numpy(),
            "canceled_at": cancel.where(ended).to_numpy(),
            "mrr": first["mrr"].to_numpy(),
            "plan": first["plan"].to_numpy(),
            "interval": np.where(first["billing"] == "annual", "year", "month").astype(object),
        }
    )


def write_demo_data(tables: dict[str, pd.DataFrame], out_dir: str | Path) -> dict[str, Path]:
    """Write each table as Parquet (events, which are large) or CSV (the rest) named after the table; ground truth as ground_truth.csv. Return paths.

    Why: the result is a data directory the contract's loader reads as is. Each file is written to
    a temporary name in the same directory and then renamed, so a crash never leaves a half-written
    table behind.
    """  # noqa: E501
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for name, frame in tables.items():
        path = out / (f"{name}.parquet" if name == "events" else f"{name}.csv")
        tmp = out / f".{path.name}.{os.getpid()}.tmp"
        try:
            if path.suffix == ".parquet":
                frame.to_parquet(tmp, index=False)
            else:
                frame.to_csv(tmp, index=False, date_format="%Y-%m-%d %H:%M:%S")
            os.replace(tmp, path)
        finally:
            if tmp.exists():
                tmp.unlink()
        paths[name] = path
    return paths


# ---------------------------------------------------------------------------------------------
# accounts, contract terms and the hidden process


def _ramp(day, s, e, stays, rec, rise):
    """Episode intensity in [0, 1]: rises linearly from s over ``rise`` days, holds until e, then
    (for recoverers) fades."""
    up = np.clip((day - s) / np.maximum(rise, 1), 0.0, 1.0)
    down = np.clip(1.0 - (day - e) / rec, 0.0, 1.0)
    return np.where(day < e, up, np.where(stays, down, 0.0))


def _ids(prefix: str, n: int, width: int) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(np.arange(1, n + 1).astype(str), width)).astype(object)


def _to_time(start_day: np.datetime64, day, seconds=None) -> np.ndarray:
    """Day offsets (and seconds within the day) from the start date to datetime64[us]."""
    base = start_day.astype("datetime64[us]")
    us = np.asarray(day, dtype=np.int64) * 86_400_000_000
    if seconds is not None:
        us = us + np.floor(np.asarray(seconds, dtype=np.float64)).astype(np.int64) * 1_000_000
    return base + us.astype("timedelta64[us]")


def _accounts_and_terms(
    rng: np.random.Generator,
    n: int,
    start_day: np.datetime64,
    days: int,
    lead_rng,
    monthly_only: bool = False,
):
    """Accounts, terms and the hidden process; ``lead_rng`` draws only the long lead times, so
    adding them left every other draw of a seed as it was."""
    plan = rng.choice(3, n, p=[0.5, 0.35, 0.15])
    annual = rng.random(n) < np.array([0.25, 0.45, 0.75])[plan]
    if monthly_only:  # after the draw, so the other draws stay the same
        annual = np.zeros(n, dtype=bool)
    term_months = np.where(annual, 12, 1)
    seats = np.select(
        [plan == 0, plan == 1],
        [rng.integers(3, 16, n), rng.integers(10, 61, n)],
        np.round(np.exp(rng.uniform(np.log(40), np.log(400), n))).astype(np.int64),
    )
    n_users = np.minimum(seats, np.round(seats**0.6 * rng.uniform(0.6, 1.1, n))).astype(np.int64)
    n_users = np.clip(n_users, 1, 99)
    existing = rng.random(n) < P_EXISTING
    # first term start: existing customers' current term covers the start date; others sign up
    anchor = np.where(
        existing,
        -np.where(annual, rng.integers(0, 365, n), rng.integers(0, 28, n)),
        rng.integers(0, days - 45, n),
    )
    rolling = ~annual & (rng.random(n) < P_ROLLING)
    created = anchor - np.where(existing, rng.integers(0, 1100, n), rng.integers(1, 15, n))

    # term boundaries B[i, k] in days from the start date: term k is [B[i, k], B[i, k + 1])
    n_terms_max = (days + 31) // 28 + 3
    kk = np.arange(n_terms_max + 1)
    anchor_day = start_day + anchor.astype("timedelta64[D]")
    bounds = add_months(
        np.repeat(anchor_day, kk.size), (term_months[:, None] * kk[None, :]).ravel()
    )
    B = (bounds - start_day).astype(np.int64).reshape(n, kk.size)
    # renewal decisions happen at in-window term ends
    decision = (kk[None, :] >= 1) & (days > B) & ~rolling[:, None]

    # decline episodes: a cause, and the term end they lead up to
    cause = rng.choice(4, n, p=CAUSE_P)
    has_ep = (rng.random(n) < P_EPISODE) & ~rolling
    ep_len = rng.integers(60, 151, n)
    earliest = np.maximum(anchor, 0) + np.where(existing, 0, 45)
    elig_generic = decision & (B - ep_len[:, None] >= earliest[:, None])
    price_lag = np.where(annual, 1, rng.integers(2, 5, n))  # terms between increase and churn
    elig_price = decision & (kk[None, :] - price_lag[:, None] >= 1)
    no_price = (cause == _PRICE) & ~elig_price.any(1)
    cause = np.where(no_price, rng.choice([_USAGE, _SUPPORT, _CHAMPION], n), cause)
    elig = np.where((cause == _PRICE)[:, None], elig_price, elig_generic)
    has_ep &= elig.any(1)
    keys = np.where(elig, rng.random(elig.shape), -1.0)
    k_ep = keys.argmax(1)
    rows = np.arange(n)
    ep_end = B[rows, k_ep]
    k_inc = np.maximum(k_ep - price_lag, 0)
    ep_start = np.where(cause == _PRICE, B[rows, k_inc], ep_end - ep_len)
    severity = rng.uniform(0.7, 1.0, n)
    rec_len = rng.integers(30, 75, n)
    ep_churn = rng.random(n) < P_EPISODE_CHURN

    # unexplained churn at other renewals (not while an episode runs)
    p_base = np.where(annual, P_BASE_CHURN_ANNUAL, P_BASE_CHURN_MONTHLY)
    base = decision & (rng.random(B.shape) < p_base[:, None])
    block = has_ep[:, None] & (ep_start[:, None] <= B) & ((ep_end + rec_len)[:, None] >= B)
    base &= ~block
    first_base = np.where(base.any(1), base.argmax(1), n_terms_max + 1)
    has_ep &= first_base > k_ep  # churned for no visible reason before the episode would start
    ep_churns = has_ep & ep_churn
    churn_k = np.where(ep_churns, k_ep, first_base)
    churned = churn_k <= n_terms_max
    churn_day = np.where(churned, B[rows, np.minimum(churn_k, n_terms_max)], days)
    n_terms = np.where(churned, churn_k, np.where(rolling, 1, (days > B).sum(1)))
    stays = has_ep & ~ep_churn

    # long lead times: drawn after who churns when is settled, so they move only the activity
    long_lead = annual & (cause != _PRICE) & (lead_rng.random(n) < P_LONG_LEAD_ANNUAL)
    long_start = np.maximum(ep_end - lead_rng.integers(*LONG_LEAD_DAYS, n), earliest)
    ep_start = np.where(long_lead, np.minimum(ep_start, long_start), ep_start)
    rise = np.where(long_lead, RISE_DAYS, ep_end - ep_start)

    label = np.full(n, "none", dtype=object)
    label[ep_churns] = np.array(CAUSES, dtype=object)[cause[ep_churns]]
    label[stays & ~churned] = "looks_bad_stays"

    # prices: list price per seat, annual discount, yearly uplifts, seat changes, increases
    unit = np.array([29.0, 49.0, 79.0])[plan] * rng.uniform(0.85, 1.15, n)
    unit *= np.where(annual, 0.85, 1.0)
    shape = B.shape
    step = np.where(
        annual[:, None],
        np.where(rng.random(shape) < 0.6, rng.uniform(1.0, 1.08, shape), 1.0),
        np.where(rng.random(shape) < 0.03, rng.uniform(0.85, 1.2, shape), 1.0),
    )
    big = rng.random(shape) < np.where(annual, 0.05, 0.004)[:, None]
    step = np.where(big, rng.uniform(1.2, 1.4, shape), step)
    inc = has_ep & (cause == _PRICE)
    step[rows[inc], k_inc[inc]] = rng.uniform(1.2, 1.4, int(inc.sum()))
    step[:, 0] = 1.0
    mrr = np.round(seats[:, None] * unit[:, None] * np.cumprod(step, axis=1), 2)

    width = max(5, len(str(n)))
    ids = _ids("A", n, width)
    name = (
        np.array(_NAME_A, dtype=object)[rng.integers(0, len(_NAME_A), n)]
        + " "
        + np.array(_NAME_B, dtype=object)[rng.integers(0, len(_NAME_B), n)]
    )
    suffix = np.array(_NAME_C, dtype=object)[rng.integers(0, len(_NAME_C), n)]
    name = np.where(suffix == "", name, name + " " + suffix)
    accounts = pd.DataFrame(
        {
            "account_id": ids,
            "name": name,
            "created_at": _to_time(start_day, created, rng.integers(8 * 3600, 18 * 3600, n)),
            "plan": np.array(PLANS, dtype=object)[plan],
            "industry": np.array(INDUSTRIES, dtype=object)[rng.integers(0, len(INDUSTRIES), n)],
            "country": np.array(COUNTRIES, dtype=object)[
                rng.choice(len(COUNTRIES), n, p=COUNTRY_P)
            ],
            "seats": seats.astype(np.int64),
        }
    )

    ti, tk = np.nonzero(kk[None, :-1] < n_terms[:, None])
    end = _to_time(start_day, B[ti, tk + 1])
    end[rolling[ti]] = np.datetime64("NaT")
    subscriptions = pd.DataFrame(
        {
            "subscription_id": _ids("S", ti.size, max(6, len(str(ti.size)))),
            "account_id": ids[ti],
            "start_date": _to_time(start_day, B[ti, tk]),
            "end_date": end,
            "mrr": mrr[ti, tk],
            "plan": np.array(PLANS, dtype=object)[plan[ti]],
            "billing": np.where(annual[ti], "annual", "monthly").astype(object),
        }
    )
    churn_date = _to_time(start_day, churn_day)
    churn_date[~churned] = np.datetime64("NaT")
    decline_start = _to_time(start_day, np.maximum(ep_start, 0))
    decline_start[~np.isin(label, CAUSES + ("looks_bad_stays",))] = np.datetime64("NaT")
    ground_truth = pd.DataFrame(
        {
            "account_id": ids,
            "churned": churned,
            "churn_date": churn_date,
            "cause": label,
            "family": np.array([CAUSE_FAMILY[c] for c in label], dtype=object),
            "decline_start": decline_start,
        }
    )
    return {
        "accounts": accounts,
        "subscriptions": subscriptions,
        "ground_truth": ground_truth,
        "ids": ids,
        "plan": plan,
        "seats": seats,
        "n_users": n_users,
        "existing": existing,
        "sub_start": np.maximum(anchor, 0),
        "sub_end": churn_day,
        "has_ep": has_ep,
        "cause": cause,
        "ep_start": ep_start,
        "ep_end": ep_end,
        "rise": rise,
        "severity": severity,
        "stays": stays,
        "rec_len": rec_len,
    }


# ---------------------------------------------------------------------------------------------
# daily activity: events, tickets, surveys for one chunk of accounts


def _activity_chunk(rng, acc, lo, hi, user_offset, start_day, days, voice_rng, pain_rng):
    C = hi - lo
    sl = slice(lo, hi)
    d = np.arange(days)
    dg = d[None, :]
    sub = (dg >= acc["sub_start"][sl, None]) & (dg < acc["sub_end"][sl, None])
    cause = acc["cause"][sl]
    has_ep = acc["has_ep"][sl]
    ep_s, ep_e = acc["ep_start"][sl, None], acc["ep_end"][sl, None]
    rise = acc["rise"][sl, None]
    r = _ramp(dg, ep_s, ep_e, acc["stays"][sl, None], acc["rec_len"][sl, None], rise)
    r = (r * (acc["severity"][sl] * has_ep)[:, None]).astype(np.float32)
    r_usage = r * (cause == _USAGE)[:, None]
    r_support = r * (cause == _SUPPORT)[:, None]
    r_champ = r * (cause == _CHAMPION)[:, None]
    r_price = np.where(dg >= ep_s, 0.5 + 0.5 * r, 0.0) * (has_ep & (cause == _PRICE))[:, None]
    r_price = np.where(dg < ep_e + acc["rec_len"][sl, None], r_price, 0.0).astype(np.float32)

    # latent health: weekly AR(1) drift, random bad weeks
    n_weeks = days // 7 + 1
    week = d // 7
    z = np.empty((C, n_weeks), dtype=np.float32)
    z[:, 0] = rng.normal(0.0, 1.0, C)
    eps = rng.normal(0.0, 0.45, (C, n_weeks)).astype(np.float32)
    for w in range(1, n_weeks):
        z[:, w] = 0.9 * z[:, w - 1] + eps[:, w]
    bad = rng.random((C, n_weeks)) < P_BAD_WEEK
    zd, badd = z[:, week], bad[:, week]

    cal = start_day + d.astype("timedelta64[D]")
    weekend = ((cal.astype(np.int64) + 3) % 7) >= 5
    month = cal.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dom = (cal - cal.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    season = np.where((month == 12) & (dom >= 20) | (month == 1) & (dom <= 2), 0.55, 1.0)
    season = season * np.where(month == 8, 0.85, 1.0) * (1.0 + 0.05 * np.sin(2 * np.pi * d / 365))
    day_f = (season * np.where(weekend, 0.12, 1.0)).astype(np.float32)

    onboard = ~acc["existing"][sl, None]
    ramp_new = np.where(
        onboard, 0.4 + 0.6 * np.clip((dg - acc["sub_start"][sl, None]) / 30, 0, 1), 1
    )
    engagement = rng.lognormal(0.0, 0.25, C)
    acct_f = (
        sub
        * day_f[None, :]
        * np.exp(0.3 * zd)
        * np.where(badd, 0.45, 1.0)
        * (1.0 - 0.7 * r_usage)
        * ramp_new
        * engagement[:, None]
    ).astype(np.float32)

    # users: a few power users (the champions), the rest casual
    nu = acc["n_users"][sl]
    U = int(nu.sum())
    u_acct = np.repeat(np.arange(C), nu)
    u_rank = np.arange(U) - np.repeat(np.cumsum(nu) - nu, nu)
    n_power = np.maximum(1, np.round(nu * rng.uniform(0.15, 0.35, C))).astype(np.int64)
    power = u_rank < n_power[u_acct]
    p_user = np.where(power, rng.uniform(0.3, 0.6, U), rng.uniform(0.02, 0.15, U))
    P = p_user[:, None].astype(np.float32) * acct_f[u_acct]

    # champion loss: power users (and half the others) stop; recoverers get a new champion
    champ = (has_ep & (cause == _CHAMPION))[u_acct]
    leaves = champ & (power | (rng.random(U) < 0.5))
    if leaves.any():
        ua = u_acct[leaves]
        s, e = ep_s[ua, 0], ep_e[ua, 0]
        frac = np.where(power[leaves], rng.uniform(0, 0.5, ua.size), rng.uniform(0, 0.9, ua.size))
        stop_s = s + frac * (e - s)
        back = np.where(acc["stays"][sl][ua], e + rng.integers(10, 60, ua.size), days + 1)
        gone = (dg >= stop_s[:, None]) & (dg < back[:, None])
        P[leaves] *= np.where(gone, np.float32(0.03), np.float32(1.0))
    np.minimum(P, 0.95, out=P)
    uu, dd = np.nonzero(rng.random(P.shape, dtype=np.float32) < P)
    del P

    # feature affinities: core for everyone, advanced mostly for power users of broad accounts
    breadth = np.array([0.35, 0.65, 0.95])[acc["plan"][sl]] * rng.uniform(0.4, 1.0, C)
    n_f = len(EVENT_TYPES)
    q = np.empty((U, n_f), dtype=np.float32)
    q[:, :_N_CORE] = rng.uniform(0.02, 0.28, (U, _N_CORE))
    q[:, _N_CORE : _N_CORE + _N_STD] = rng.uniform(0.0, 0.15, (U, _N_STD))
    adv = (rng.random((U, n_f - _N_CORE - _N_STD)) < breadth[u_acct, None]) * rng.uniform(
        0.0, 1.0, (U, n_f - _N_CORE - _N_STD)
    )
    q[:, _N_CORE + _N_STD :] = adv * np.where(power, 0.45, 0.03)[:, None]
    q *= _POPULARITY
    q[:, 0] += 0.3
    probs = q[uu]
    pa = u_acct[uu]
    probs[:, _N_CORE + _N_STD :] *= (1.0 - 0.9 * r_champ[pa, dd])[:, None]
    sel = rng.random(probs.shape, dtype=np.float32) < probs
    sel[~sel.any(1), 0] = True  # an active user at least sees the dashboard
    del probs
    pi, feat = np.nonzero(sel)
    del sel
    eu, ed, ea = uu[pi], dd[pi], pa[pi]
    intensity = rng.lognormal(0.0, 0.4, U).astype(np.float32)
    lam = _VALUE_LAMBDA[feat] * intensity[eu] * (1.0 - 0.5 * r_usage[ea, ed])
    value = (1 + rng.poisson(lam)).astype(np.int32)
    hours = np.where(
        weekend[ed], rng.uniform(8, 22, ed.size), np.clip(rng.normal(13.5, 2.5, ed.size), 6, 21.9)
    )
    ts = ed.astype(np.int64) * 86_400 + (hours * 3600).astype(np.int64)
    order = np.lexsort((ts, ea))
    events = {
        "acct": (ea[order] + lo).astype(np.int32),
        "user": (eu[order] + user_offset).astype(np.int32),
        "sec": ts[order],
        "feat": feat[order].astype(np.int8),
        "value": value[order],
    }

    # tickets: a base rate for everyone, 3-5x and nastier during support pain
    base_t = BASE_TICKETS_PER_USER_DAY * np.sqrt(nu) * rng.lognormal(0.0, 0.5, C)
    pain_mult = rng.uniform(2.0, 4.0, C)
    other = r_usage + r_champ + r_price
    when = sub * np.where(weekend, 0.2, 1.0)[None, :] * np.where(badd, 1.8, 1.0)
    lam_t = base_t[:, None] * when * (1.0 + pain_mult[:, None] * r_support + 0.3 * other)
    ta, td = _ticket_days(rng, lam_t)
    tickets = _ticket_rows(rng, ta + lo, td, r_support[ta, td], other[ta, td], days)
    # support pain below PAIN_TEAM_USERS: the rest of a team of that size's pain tickets, from
    # their own stream, so every other draw of the chunk is as without them (only the ticket
    # ids and the ticket CSAT noise, drawn over all tickets in order, move)
    floor_t = np.maximum(BASE_TICKETS_PER_USER_DAY * np.sqrt(PAIN_TEAM_USERS) - base_t, 0.0)
    pa, pd_ = _ticket_days(pain_rng, floor_t[:, None] * when * pain_mult[:, None] * r_support)
    pain = _ticket_rows(pain_rng, pa + lo, pd_, r_support[pa, pd_], other[pa, pd_], days)
    tickets = {key: np.concatenate([tickets[key], pain[key]]) for key in tickets}

    # NPS surveys, roughly quarterly, ~40% answer
    n_s = days // SURVEY_EVERY_DAYS + 1
    send = rng.integers(0, SURVEY_EVERY_DAYS, C)[:, None] + SURVEY_EVERY_DAYS * np.arange(n_s)
    resp = send + rng.integers(0, 8, send.shape)
    ok = (rng.random(send.shape) < SURVEY_RESPONSE) & (resp < days)
    ok &= (resp >= acc["sub_start"][sl, None]) & (resp < acc["sub_end"][sl, None])
    sa, sk = np.nonzero(ok)
    sd = resp[sa, sk]
    nps_latent = rng.normal(8.0, 1.3, C)
    score = (
        nps_latent[sa]
        + 0.8 * zd[sa, sd]
        - 5.0 * r_support[sa, sd]
        - 4.0 * r_price[sa, sd]
        - 2.5 * r_usage[sa, sd]
        - 2.0 * r_champ[sa, sd]
        + rng.normal(0.0, 1.3, sa.size)
    )
    score = np.clip(np.round(score), 0, 10).astype(np.int64)
    nps = _survey_rows(rng, sa + lo, sd, score, r_price[sa, sd] > 0)
    # CSAT and CES from their own random stream, so every other table is as without them
    latent = (zd, r_support, r_price, r_usage)
    csat = _csat_rows(voice_rng, acc, sl, lo, days, latent)
    ces = _ces_rows(voice_rng, ta, td, lo, days, latent, acc["sub_end"][sl])
    pain_ces = _ces_rows(pain_rng, pa, pd_, lo, days, latent, acc["sub_end"][sl])
    return events, tickets, [nps, csat, ces, pain_ces]


def _ticket_days(rng, lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(account, day) of each ticket: Poisson counts of ``lam`` (accounts x days), one row each."""
    acct, day = np.nonzero(counts := rng.poisson(lam))
    rep = counts[acct, day]
    return np.repeat(acct, rep), np.repeat(day, rep)


def _csat_rows(rng, acc, sl, lo, days, latent) -> dict[str, np.ndarray]:
    """Quarterly relationship CSAT (1-5), ~30% answer, lower during support pain or a price rise."""
    zd, r_support, r_price, r_usage = latent
    C = zd.shape[0]
    n_s = days // SURVEY_EVERY_DAYS + 1
    send = rng.integers(0, SURVEY_EVERY_DAYS, C)[:, None] + SURVEY_EVERY_DAYS * np.arange(n_s)
    resp = send + rng.integers(0, 5, send.shape)
    ok = (rng.random(send.shape) < CSAT_RESPONSE) & (resp < days)
    ok &= (resp >= acc["sub_start"][sl, None]) & (resp < acc["sub_end"][sl, None])
    sa, sk = np.nonzero(ok)
    sd = resp[sa, sk]
    score = (
        rng.normal(4.1, 0.4, C)[sa]
        + 0.35 * zd[sa, sd]
        - 2.2 * r_support[sa, sd]
        - 1.2 * r_price[sa, sd]
        - 1.0 * r_usage[sa, sd]
        + rng.normal(0.0, 0.7, sa.size)
    )
    return _voice_rows(rng, sa + lo, sd, np.clip(np.round(score), 1, 5), "csat")


def _ces_rows(rng, ta, td, lo, days, latent, sub_end) -> dict[str, np.ndarray]:
    """Customer effort (1-7, higher = easier) a few days after ~25% of tickets, while subscribed."""
    zd, r_support, _, _ = latent
    sd = td + rng.integers(1, 6, ta.size)
    ok = (rng.random(ta.size) < CES_RESPONSE) & (sd < days) & (sd < sub_end[ta])
    sa, sd = ta[ok], sd[ok]
    score = 5.6 + 0.3 * zd[sa, sd] - 3.2 * r_support[sa, sd] + rng.normal(0.0, 1.0, sa.size)
    return _voice_rows(rng, sa + lo, sd, np.clip(np.round(score), 1, 7), "ces")


def _voice_rows(rng, acct, day, score, kind: str) -> dict[str, np.ndarray]:
    sec = day * 86_400 + rng.uniform(7, 21, acct.size) * 3600
    return {
        "acct": acct,
        "sec": sec,
        "score": score.astype(np.int64),
        "comment": np.full(acct.size, None, dtype=object),
        "kind": np.full(acct.size, kind, dtype=object),
    }


def _pick(rng, options, n) -> np.ndarray:
    return np.array(options, dtype=object)[rng.integers(0, len(options), n)]


def _fill(templates, topic: np.ndarray, rng) -> np.ndarray:
    """Pick one template per row and fill in the row's topic (and its capitalised form)."""
    table = np.array(
        [[t.format(t=x, T=x[0].upper() + x[1:]) for x in _TOPICS] for t in templates], dtype=object
    )
    return table[rng.integers(0, len(templates), topic.size), topic]


def _ticket_rows(rng, acct, day, r_sup, r_other, days) -> dict[str, np.ndarray]:
    n = acct.size
    r_sup = r_sup.astype(np.float64)
    # priority: low, normal, high, urgent; support pain shifts mass to high and urgent
    p = np.stack(
        [0.3 - 0.2 * r_sup, 0.5 - 0.15 * r_sup, 0.15 + 0.2 * r_sup, 0.05 + 0.15 * r_sup], axis=1
    )
    prio = (rng.random(n)[:, None] > np.cumsum(p, axis=1)).sum(1).clip(0, 3)
    p_neg = 0.12 + 0.6 * r_sup + 0.1 * r_other
    p_pos = 0.15 * (1.0 - r_sup)
    u = rng.random(n)
    sentiment = np.where(u < p_neg, 1, np.where(u < p_neg + p_pos, 2, 0))  # 0 neutral 1 neg 2 pos
    topic = rng.integers(0, len(_TOPICS), n)
    subject = np.empty(n, dtype=object)
    text = np.empty(n, dtype=object)
    for k, kind in enumerate(("neutral", "negative", "positive")):
        m = sentiment == k
        t = topic[m]
        subject[m] = _fill(_SUBJECTS[kind], t, rng)
        parts = [_fill(_LEADS[kind], t, rng), _pick(rng, _SECONDS[kind], t.size)]
        parts.append(_pick(rng, _CLOSERS, t.size))
        joined = parts[0]
        for extra in parts[1:]:
            joined = np.where(extra == "", joined, joined + " " + extra)
        text[m] = joined
    created = day * 86_400 + rng.uniform(7, 19, n) * 3600
    first = created + np.array([16.0, 6.0, 2.0, 0.7])[prio] * 3600 * rng.lognormal(0, 0.6, n) * (
        1 + 1.5 * r_sup
    )
    resolved = first + np.array([72.0, 36.0, 18.0, 8.0])[prio] * 3600 * rng.lognormal(0, 0.8, n) * (
        1 + 2.5 * r_sup
    )
    escalated = rng.random(n) < 0.02 + 0.1 * (prio == 3) + 0.35 * r_sup
    return {
        "acct": acct,
        "created": created,
        "first": first,
        "resolved": resolved,
        "prio": prio,
        "subject": subject,
        "text": text,
        "escalated": escalated,
        "horizon": np.full(n, days * 86_400.0),
    }


def _survey_rows(rng, acct, day, score, price_episode) -> dict[str, np.ndarray]:
    n = acct.size
    comment = np.full(n, None, dtype=object)
    det, pas, pro = score <= 6, (score >= 7) & (score <= 8), score >= 9
    price_talk = det & (price_episode & (rng.random(n) < 0.75) | (rng.random(n) < 0.12))
    comment[det] = _pick(rng, _COMMENTS_NEGATIVE, int(det.sum()))
    comment[price_talk] = _pick(rng, _COMMENTS_PRICE, int(price_talk.sum()))
    comment[pas] = _pick(rng, _COMMENTS_NEUTRAL, int(pas.sum()))
    comment[pro] = _pick(rng, _COMMENTS_POSITIVE, int(pro.sum()))
    comment[rng.random(n) < 0.35] = None
    sec = day * 86_400 + rng.uniform(7, 21, n) * 3600
    kind = np.full(n, "nps", dtype=object)
    return {"acct": acct, "sec": sec, "score": score, "comment": comment, "kind": kind}


# ---------------------------------------------------------------------------------------------
# assembling frames


def _cat(parts: list[dict], key: str) -> np.ndarray:
    return np.concatenate([p[key] for p in parts])


def _events_frame(parts: list[dict], acc, start_day) -> pd.DataFrame:
    ids = acc["ids"]
    nu = acc["n_users"]
    rank = np.arange(int(nu.sum())) - np.repeat(np.cumsum(nu) - nu, nu) + 1
    suffix = np.char.add("-u", np.char.zfill(rank.astype(str), 2)).astype(object)
    user_ids = np.repeat(ids, nu) + suffix
    return pd.DataFrame(
        {
            "account_id": pd.Categorical.from_codes(_cat(parts, "acct"), categories=ids),
            "user_id": pd.Categorical.from_codes(_cat(parts, "user"), categories=user_ids),
            "timestamp": _to_time(start_day, 0, _cat(parts, "sec")),
            "event_type": pd.Categorical.from_codes(_cat(parts, "feat"), categories=EVENT_TYPES),
            "value": _cat(parts, "value"),
        }
    )


def _tickets_frame(parts: list[dict], ids, start_day, rng) -> pd.DataFrame:
    acct = _cat(parts, "acct")
    created = _cat(parts, "created")
    horizon = _cat(parts, "horizon")
    order = np.lexsort((created, acct))
    acct, created, horizon = acct[order], created[order], horizon[order]
    first = _cat(parts, "first")[order]
    resolved = _cat(parts, "resolved")[order]
    open_ = resolved >= horizon
    first_at = _to_time(start_day, 0, first)
    first_at[first >= horizon] = np.datetime64("NaT")
    resolved_at = _to_time(start_day, 0, resolved)
    resolved_at[open_] = np.datetime64("NaT")
    # CSAT 1-5 on 40% of resolved tickets, lower when resolution was slow (own random stream,
    # so the other tables are the same as without it)
    slow_days = (resolved - created) / 86_400
    csat = np.clip(np.round(4.6 - 0.25 * slow_days + rng.normal(0, 0.8, acct.size)), 1, 5)
    csat[open_ | (rng.random(acct.size) >= 0.4)] = np.nan
    return pd.DataFrame(
        {
            "ticket_id": _ids("T", acct.size, max(6, len(str(acct.size)))),
            "account_id": ids[acct],
            "created_at": _to_time(start_day, 0, created),
            "first_response_at": first_at,
            "resolved_at": resolved_at,
            "priority": np.array(PRIORITIES, dtype=object)[_cat(parts, "prio")[order]],
            "status": np.where(open_, "open", "resolved").astype(object),
            "subject": _cat(parts, "subject")[order],
            "text": _cat(parts, "text")[order],
            "escalated": _cat(parts, "escalated")[order],
            "csat": csat,
        }
    )


def _surveys_frame(parts: list[dict], ids, start_day) -> pd.DataFrame:
    acct = _cat(parts, "acct")
    sec = _cat(parts, "sec")
    order = np.lexsort((sec, acct))
    return pd.DataFrame(
        {
            "account_id": ids[acct[order]],
            "responded_at": _to_time(start_day, 0, sec[order]),
            "score": _cat(parts, "score")[order],
            "kind": _cat(parts, "kind")[order],
            "comment": _cat(parts, "comment")[order],
        }
    )
