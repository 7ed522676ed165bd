"""The feature catalogue: one entry per feature name, read by the builders and by serving.

An entry says the feature's family (where it is computed and what it is about), the tables it
reads, the phrase a person understands, the template of the sentence that states it as a reason
(``serving.sentences`` words it), its kind and its direction:

- **kind**: ``behaviour`` (what the account does and what changed: usage, adoption, sentiment,
  support, a change to its contract such as a price rise) or ``profile`` (who it is: plan, size,
  industry, country, tenure, term, MRR, how long since it started using the product). Profile
  points count in the score as one figure (``PROFILE``) and are never offered as a reason.
- **direction**: ``UP`` where more of it never lowers health, ``DOWN`` where more of it never
  raises it, ``UNSETTLED`` where either can be true (the previous window on its own: a busy
  previous month is good news or the start of a fall, depending on this month). A settled
  direction is a LightGBM monotone constraint of every model (``monotone_directions``), and only
  a behaviour with a settled direction is offered as a reason, so its sentence can say which
  side of the reference is the worse one.

Adding a feature is one entry here plus its computation in the module of its family
(``features.usage``, ``adoption``, ``sentiment_features``, ``support``, ``account``);
``tests/features/test_catalogue.py`` fails on a column that has no entry. Per-event-type columns
(``features.usage_types``) and the accounts table's own columns are named by the data, so they
have no entry: per-type usage is usage behaviour of no settled direction (a rise in exports or
billing-page views can come before a churn), the accounts' own columns are profile.
"""

from __future__ import annotations

from dataclasses import dataclass

from features.usage_types import type_label

FAMILIES = ("usage", "adoption", "sentiment", "support", "contract")
# What the score's points add up in: the behaviour of each family, and the profile as one figure.
PROFILE = "profile"
POINTS_FAMILIES = (*FAMILIES, PROFILE)
BEHAVIOUR = "behaviour"
UP, DOWN, UNSETTLED = 1, -1, 0
# When the current term ends and how long it is: when an account *can* leave, not how it is doing.
# The health model never sees them (so moving a renewal date cannot move a health score); the
# calendar columns (renewal due, churn within the horizon) do.
TIMING_FEATURES = frozenset({"days_to_term_end", "term_length_days"})
# The contract's cadence (monthly, annual, open-ended): who the account is, and what puts its
# chance at the next decision on a yearly footing (``serving.bands``). The health model sees it, so
# a monthly and an annual decision get their own base rates; its share sits in the base score of
# an account on that cadence, never in the points (``serving.score.cadence_in_base``).
CADENCE_FEATURES = frozenset({"term_months"})


@dataclass(frozen=True)
class Plain:
    """'<before><value><after>', the value (of ``column``, default the feature) times ``scale``;
    ``one`` replaces ``after`` when the value reads 1 ('1 open support ticket')."""

    before: str
    spec: str
    after: str
    scale: float = 1.0
    column: str | None = None
    one: str | None = None


@dataclass(frozen=True)
class Change:
    """'Active users fell from 42 to 19 over the last 30 days (-55%)': a window against the one
    before; shared by the pair and their change, so all three read the same."""

    now: str
    before: str
    noun: str
    window: str = "the last 30 days"


@dataclass(frozen=True)
class DaysSince:
    """'Last support ticket 12 days ago', or 'No support ticket on record'."""

    what: str


@dataclass(frozen=True)
class Mood:
    """'Support tickets read negative over 90 days (sentiment -0.43 on -1..1)'."""

    texts: str


@dataclass(frozen=True)
class Worded:
    """A sentence with wording of its own in ``serving.sentences`` (the mood of texts, ...)."""

    key: str
    says_when_missing: bool = False


Sentence = Plain | Change | DaysSince | Mood | Worded


@dataclass(frozen=True)
class Feature:
    """What a feature column means: family, tables read, phrase, its reason sentence, whether it
    is behaviour or profile, and its direction (see the module docstring)."""

    family: str
    reads: tuple[str, ...]
    phrase: str
    sentence: Sentence | None = None  # None: "<Phrase>: <value>"
    kind: str = BEHAVIOUR
    direction: int = UNSETTLED


_EVENTS_MOVED = Change("events_30d", "events_prev_30d", "product usage (events)")
_USERS_MOVED = Change("active_users_30d", "active_users_prev_30d", "active users")
_TICKETS_MOVED = Change("tickets_90d", "tickets_prev_90d", "support tickets", "the last 90 days")
_TICKETS_30_MOVED = Change("tickets_30d", "tickets_prev_30d", "support tickets")

FEATURES: dict[str, Feature] = {
    # usage frequency. "Last N days" = the N days before the as-of date.
    "events_7d": Feature(
        "usage",
        ("events",),
        "product events in the last 7 days",
        Plain(
            "",
            ",.0f",
            " product events in the last 7 days",
            one=" product event in the last 7 days",
        ),
        direction=UP,
    ),
    "events_30d": Feature(
        "usage",
        ("events",),
        "product events in the last 30 days",
        _EVENTS_MOVED,
        direction=UP,
    ),
    "events_90d": Feature(
        "usage",
        ("events",),
        "product events in the last 90 days",
        Plain(
            "",
            ",.0f",
            " product events in the last 90 days",
            one=" product event in the last 90 days",
        ),
        direction=UP,
    ),
    "events_prev_30d": Feature(
        "usage",
        ("events",),
        "product events 31-60 days ago",
        _EVENTS_MOVED,
        direction=UNSETTLED,
    ),
    "events_change_30d": Feature(
        "usage",
        ("events",),
        "change in events, last 30 days vs the 30 before",
        _EVENTS_MOVED,
        direction=UP,
    ),
    "active_days_7d": Feature(
        "usage",
        ("events",),
        "days with any activity in the last 7 days",
        Plain("Active on ", ".0f", " of the last 7 days"),
        direction=UP,
    ),
    "active_days_30d": Feature(
        "usage",
        ("events",),
        "days with any activity in the last 30 days",
        Plain("Active on ", ".0f", " of the last 30 days"),
        direction=UP,
    ),
    "active_days_90d": Feature(
        "usage",
        ("events",),
        "days with any activity in the last 90 days",
        Plain("Active on ", ".0f", " of the last 90 days"),
        direction=UP,
    ),
    # How much, apart from how many: events per licensed seat would be seat utilisation (who uses
    # it: adoption) times each user's activity, so usage keeps the second factor alone.
    "events_per_user_day_30d": Feature(
        "usage",
        ("events",),
        "events per active user per day they were active (30 days)",
        Plain(
            "Each active user made ",
            ",.1f",
            " product events a day on the days they used it (last 30 days)",
        ),
        direction=UP,
    ),
    "usage_slope_12w": Feature(
        "usage",
        ("events",),
        "weekly usage trend over 12 weeks (share of mean per week)",
        Worded("trend"),
        direction=UP,
    ),
    "days_since_last_event": Feature(
        "usage",
        ("events",),
        "days since the last product activity",
        DaysSince("product activity"),
        direction=DOWN,
    ),
    # adoption: who uses the product and how broadly. Catalogue = every event type any account used
    # before the as-of date; core = the quarter of the recently used types that the most accounts
    # used (features.events.TypeCatalogue).
    "active_users_7d": Feature(
        "adoption",
        ("events",),
        "active users in the last 7 days",
        Plain("", ".0f", " active users in the last 7 days", one=" active user in the last 7 days"),
        direction=UP,
    ),
    "active_users_30d": Feature(
        "adoption",
        ("events",),
        "active users in the last 30 days",
        _USERS_MOVED,
        direction=UP,
    ),
    "active_users_90d": Feature(
        "adoption",
        ("events",),
        "active users in the last 90 days",
        Plain(
            "", ".0f", " active users in the last 90 days", one=" active user in the last 90 days"
        ),
        direction=UP,
    ),
    "active_users_prev_30d": Feature(
        "adoption",
        ("events",),
        "active users 31-60 days ago",
        _USERS_MOVED,
        direction=UNSETTLED,
    ),
    "active_users_change_30d": Feature(
        "adoption",
        ("events",),
        "change in active users vs the 30 days before",
        _USERS_MOVED,
        direction=UP,
    ),
    "active_users_slope_12w": Feature(
        "adoption",
        ("events",),
        "weekly active users trend over 12 weeks (share of mean per week)",
        Worded("users_trend"),
        direction=UP,
    ),
    # Who uses it, apart from how much: an account's most active users are its champions, and
    # when they stop coming the account has lost the people who carried it (the count of events
    # falls too, but the cause a person names is the people gone, not the clicks).
    "top_users_gone_share_30d": Feature(
        "adoption",
        ("events",),
        "share of the most active users of days 31-180 before with no activity in the last 30 days",
        Plain(
            "",
            ".0%",
            " of its most active users (31-180 days ago) were not active in the last 30 days",
        ),
        direction=DOWN,
    ),
    "days_since_top_users_active": Feature(
        "adoption",
        ("events",),
        "days since the most active users of days 31-180 before were last active (average)",
        Plain(
            "Its most active users (31-180 days ago) were last active ",
            ".0f",
            " days ago on average",
        ),
        direction=DOWN,
    ),
    "features_used_30d": Feature(
        "adoption",
        ("events",),
        "distinct product features used in the last 30 days",
        Plain(
            "Used ",
            ".0f",
            " product features in the last 30 days",
            one=" product feature in the last 30 days",
        ),
        direction=UP,
    ),
    "features_used_90d": Feature(
        "adoption",
        ("events",),
        "distinct product features used in the last 90 days",
        Plain(
            "Used ",
            ".0f",
            " product features in the last 90 days",
            one=" product feature in the last 90 days",
        ),
        direction=UP,
    ),
    "catalogue_share_90d": Feature(
        "adoption",
        ("events",),
        "share of the feature catalogue used in 90 days",
        Plain("Uses ", ".0%", " of the product's features"),
        direction=UP,
    ),
    "features_new_30d": Feature(
        "adoption",
        ("events",),
        "features first used in the last 30 days",
        Plain(
            "Started using ",
            ".0f",
            " product features new to it in the last 30 days",
            one=" product feature new to it in the last 30 days",
        ),
        direction=UP,
    ),
    "features_dropped_30d": Feature(
        "adoption",
        ("events",),
        "features used 31-60 days ago but not since",
        Plain(
            "Stopped using ",
            ".0f",
            " product features in the last 30 days",
            one=" product feature in the last 30 days",
        ),
        direction=DOWN,
    ),
    "core_features_used_30d": Feature(
        "adoption",
        ("events",),
        "core features used in the last 30 days",
        Plain("Used ", ".0f", " of the core features in the last 30 days"),
        direction=UP,
    ),
    "core_depth_30d": Feature(
        "adoption",
        ("events",),
        "share of the last 30 days on which core features were used (average)",
        Plain("Used its core features on ", ".0%", " of the last 30 days (average per feature)"),
        direction=UP,
    ),
    "core_adoption_share": Feature(
        "adoption",
        ("events",),
        "share of the core features ever used",
        Plain("Has used ", ".0%", " of the core features"),
        direction=UP,
    ),
    "days_since_core_adoption": Feature(
        "adoption",
        ("events",),
        "days since first use of the core features (average over those used)",
        kind=PROFILE,
    ),
    "seat_utilisation_30d": Feature(
        "adoption",
        ("events",),
        "active users per licensed seat (30 days)",
        Plain("", ".0%", " of licensed seats were active in the last 30 days"),
        direction=UP,
    ),
    "days_since_first_event": Feature(
        "adoption",
        ("events",),
        "days since the account first used the product",
        Plain("Using the product for ", ".0f", " months", scale=1 / 30.4),
        kind=PROFILE,
    ),
    # sentiment: what the customer says when asked: survey comments scored in [-1, 1], NPS and
    # CSAT surveys. The text of tickets and the CSAT they are given are support's (below).
    "comment_sentiment_mean_90d": Feature(
        "sentiment",
        ("surveys",),
        "average sentiment of survey comments (90 days)",
        Mood("Survey comments"),
        direction=UP,
    ),
    "comment_sentiment_min_90d": Feature(
        "sentiment",
        ("surveys",),
        "most negative survey comment (90 days)",
        Plain("Most negative survey comment in 90 days scored ", "+.2f", ""),
        direction=UP,
    ),
    "negative_comments_90d": Feature(
        "sentiment",
        ("surveys",),
        "negative survey comments in 90 days",
        Plain(
            "",
            ".0f",
            " negative survey comments in the last 90 days",
            one=" negative survey comment in the last 90 days",
        ),
        direction=DOWN,
    ),
    "comment_sentiment_change_90d": Feature(
        "sentiment",
        ("surveys",),
        "change in average sentiment of survey comments, last 90 days vs the 90 before",
        Plain("Sentiment of survey comments moved ", "+.2f", " against the 90 days before"),
        direction=UP,
    ),
    "latest_nps": Feature(
        "sentiment",
        ("surveys",),
        "latest NPS score",
        Plain("Latest NPS score is ", ".0f", " out of 10"),
        direction=UP,
    ),
    "nps_change": Feature(
        "sentiment",
        ("surveys",),
        "change between the last two NPS scores",
        Plain("NPS moved ", "+.0f", " points since the previous survey"),
        direction=UP,
    ),
    "is_detractor": Feature(
        "sentiment",
        ("surveys",),
        "latest NPS is a detractor (0-6)",
        Plain("Latest NPS score is ", ".0f", " out of 10", column="latest_nps"),
        direction=DOWN,
    ),
    "is_promoter": Feature(
        "sentiment",
        ("surveys",),
        "latest NPS is a promoter (9-10)",
        Plain("Latest NPS score is ", ".0f", " out of 10", column="latest_nps"),
        direction=UP,
    ),
    "csat_mean_90d": Feature(
        "sentiment",
        ("surveys",),
        "average score of CSAT surveys (1-5; 90 days)",
        Plain("Average CSAT in surveys in the last 90 days: ", ".1f", " out of 5"),
        direction=UP,
    ),
    # support tickets (dated by creation; resolution and first response as known at the as-of)
    "tickets_30d": Feature(
        "support",
        ("tickets",),
        "support tickets in the last 30 days",
        _TICKETS_30_MOVED,
        direction=DOWN,
    ),
    "tickets_prev_30d": Feature(
        "support",
        ("tickets",),
        "support tickets 31-60 days ago",
        _TICKETS_30_MOVED,
        direction=UNSETTLED,
    ),
    "tickets_change_30d": Feature(
        "support",
        ("tickets",),
        "change in tickets, last 30 days vs the 30 before",
        _TICKETS_30_MOVED,
        direction=DOWN,
    ),
    "tickets_90d": Feature(
        "support",
        ("tickets",),
        "support tickets in the last 90 days",
        _TICKETS_MOVED,
        direction=DOWN,
    ),
    # volume for the account's size: a small team's three tickets are as many as a large one's ten
    "tickets_per_seat_90d": Feature(
        "support",
        ("tickets", "accounts"),
        "support tickets per licensed seat in the last 90 days",
        Plain("", ",.2f", " support tickets per licensed seat in the last 90 days"),
        direction=DOWN,
    ),
    # Against the account's own usual rate (its tickets of days 91-365, per 90 days), one ticket
    # added to each side: a small team's rise shows as plainly as a large one's. A younger
    # account's usual counts the days before it was a customer as quiet ones.
    "tickets_vs_usual_90d": Feature(
        "support",
        ("tickets",),
        "support tickets in the last 90 days against the account's own rate of days 91-365 "
        "(one ticket added to each)",
        Plain(
            "Support tickets in the last 90 days ran at ",
            ".1f",
            " times the account's own rate of days 91-365",
        ),
        direction=DOWN,
    ),
    "tickets_prev_90d": Feature(
        "support",
        ("tickets",),
        "support tickets 91-180 days ago",
        _TICKETS_MOVED,
        direction=UNSETTLED,
    ),
    "open_tickets": Feature(
        "support",
        ("tickets",),
        "tickets still open",
        Plain("", ".0f", " open support tickets", one=" open support ticket"),
        direction=DOWN,
    ),
    "high_priority_share_90d": Feature(
        "support",
        ("tickets",),
        "share of high or urgent tickets (90 days)",
        Plain("", ".0%", " of tickets in 90 days were high priority"),
        direction=DOWN,
    ),
    "mean_resolution_days_90d": Feature(
        "support",
        ("tickets",),
        "mean days to resolve a ticket (90 days)",
        Plain("Tickets took ", ".1f", " days to resolve on average"),
        direction=DOWN,
    ),
    "resolution_days_change_90d": Feature(
        "support",
        ("tickets",),
        "mean days to resolve a ticket (90 days) minus the same for the tickets of days 91-365",
        Plain("Time to resolve a ticket moved ", "+.1f", " days against days 91-365"),
        direction=DOWN,
    ),
    "mean_first_response_hours_90d": Feature(
        "support",
        ("tickets",),
        "mean hours to the first response to a ticket (90 days)",
        Plain("First responses to tickets took ", ".1f", " hours on average"),
        direction=DOWN,
    ),
    "escalations_90d": Feature(
        "support",
        ("tickets",),
        "escalated tickets in 90 days",
        Plain("", ".0f", " escalated tickets in 90 days", one=" escalated ticket in 90 days"),
        direction=DOWN,
    ),
    "escalated_share_90d": Feature(
        "support",
        ("tickets",),
        "share of the tickets of the last 90 days that were escalated",
        Plain("", ".0%", " of tickets in 90 days were escalated"),
        direction=DOWN,
    ),
    # The mood of the tickets' text (subject + text, scored in [-1, 1]) is support, not sentiment:
    # a customer writing angry, frustrated tickets is a customer whose support is failing, and
    # what a CSM does about it (escalate, fix the ticket queue) is a support action. Sentiment
    # keeps what the customer says when asked (survey comments, NPS, CSAT).
    "ticket_sentiment_mean_90d": Feature(
        "support",
        ("tickets",),
        "average sentiment of support tickets (90 days)",
        Mood("Support tickets"),
        direction=UP,
    ),
    "ticket_sentiment_min_90d": Feature(
        "support",
        ("tickets",),
        "most negative support ticket (90 days)",
        Plain("Most negative support ticket in 90 days scored ", "+.2f", ""),
        direction=UP,
    ),
    "negative_tickets_90d": Feature(
        "support",
        ("tickets",),
        "support tickets that read negative in 90 days",
        Plain(
            "",
            ".0f",
            " support tickets read negative in the last 90 days",
            one=" support ticket read negative in the last 90 days",
        ),
        direction=DOWN,
    ),
    "negative_tickets_30d": Feature(
        "support",
        ("tickets",),
        "support tickets that read negative in 30 days",
        Plain(
            "",
            ".0f",
            " support tickets read negative in the last 30 days",
            one=" support ticket read negative in the last 30 days",
        ),
        direction=DOWN,
    ),
    "negative_ticket_share_90d": Feature(
        "support",
        ("tickets",),
        "share of support tickets that read negative (90 days)",
        Plain("", ".0%", " of support tickets in the last 90 days read negative"),
        direction=DOWN,
    ),
    "ticket_sentiment_change_90d": Feature(
        "support",
        ("tickets",),
        "change in average sentiment of tickets, last 90 days vs the 90 before",
        Plain("Sentiment of support tickets moved ", "+.2f", " against the 90 days before"),
        direction=UP,
    ),
    # Customer effort (CES, 1-7, higher = easier) is asked after an issue is handled: how hard it
    # was to get help rates the support, so it is support's, as the mood of the tickets is.
    "ces_mean_90d": Feature(
        "support",
        ("surveys",),
        "average customer effort score (CES, 1-7, higher = easier; 90 days)",
        Plain("Customer effort (CES) in the last 90 days: ", ".1f", " out of 7 (higher = easier)"),
        direction=UP,
    ),
    # The CSAT a customer gives a resolved ticket rates the help it received (as CES does): a
    # support measure. CSAT surveys sent apart from any ticket rate the relationship: sentiment.
    "ticket_csat_mean_90d": Feature(
        "support",
        ("tickets",),
        "average CSAT of resolved support tickets (1-5, dated by resolution; 90 days)",
        Plain("Resolved support tickets were rated ", ".1f", " out of 5 on average (90 days)"),
        direction=UP,
    ),
    "days_since_last_ticket": Feature(
        "support",
        ("tickets",),
        "days since the last support ticket",
        DaysSince("support ticket"),
        direction=UNSETTLED,
    ),
    # contract (plus the accounts table's own columns, see features.account.static_attributes)
    "tenure_days": Feature(
        "contract",
        ("subscriptions",),
        "days as a customer",
        Plain("Customer for ", ".0f", " months", scale=1 / 30.4),
        kind=PROFILE,
    ),
    "mrr": Feature(
        "contract",
        ("subscriptions",),
        "monthly recurring revenue",
        Plain("Pays ", ",.0f", " a month"),
        kind=PROFILE,
    ),
    "mrr_change_pct": Feature(
        "contract",
        ("subscriptions",),
        "price change of the current term vs the previous one",
        Worded("price", says_when_missing=True),
        direction=DOWN,
    ),
    # The price a year ago against today's: a monthly contract renews every month at the new
    # price, so a rise three renewals back no longer shows in mrr_change_pct (the latest renewal
    # against the one before) but is still what the customer pays more than it did. Like
    # mrr_change_pct it reads an add-on or more seats as a rise.
    "mrr_change_12m": Feature(
        "contract",
        ("subscriptions",),
        "change in monthly recurring revenue against 12 months before",
        Plain("Price moved ", "+.0%", " against 12 months before"),
        direction=DOWN,
    ),
    "days_to_term_end": Feature(
        "contract",
        ("subscriptions",),
        "days until the current term ends",
        Plain("Renewal is due in ", ".0f", " days"),
        kind=PROFILE,
    ),
    "term_length_days": Feature(
        "contract",
        ("subscriptions",),
        "length of the current term in days",
        Worded("term"),
        kind=PROFILE,
    ),
    "term_months": Feature(
        "contract",
        ("subscriptions",),
        "length of the current term in whole months (the contract's cadence; empty: open-ended)",
        kind=PROFILE,
    ),
    "previous_term_days": Feature(
        "contract",
        ("subscriptions",),
        "length of the term before the current one in days",
        kind=PROFILE,
    ),
    "current_plan": Feature(
        "contract",
        ("subscriptions",),
        "plan of the main subscription (largest MRR)",
        kind=PROFILE,
    ),
}


def feature_family(name: str) -> str:
    """The family of a feature; per-type usage counts as usage, static attributes as contract."""
    if name in FEATURES:
        return FEATURES[name].family
    return "usage" if type_label(name) is not None else "contract"


def is_profile(name: str) -> bool:
    """Whether a feature says who the account is (the accounts' own columns do) rather than what
    it does."""
    if name in FEATURES:
        return FEATURES[name].kind == PROFILE
    return type_label(name) is None


def points_family(name: str) -> str:
    """Where a feature's points add up in the score: ``profile``, or its behaviour family."""
    return PROFILE if is_profile(name) else feature_family(name)


def direction(name: str) -> int:
    """``UP``, ``DOWN`` or ``UNSETTLED`` (profile features, per-type usage, unknown columns)."""
    entry = FEATURES.get(name)
    return entry.direction if entry is not None and entry.kind == BEHAVIOUR else UNSETTLED


def monotone_directions(features: list[str], target_is_good: bool = True) -> list[int]:
    """LightGBM ``monotone_constraints`` for a model of these features: each settled direction,
    flipped for a model of leaving (``target_is_good`` False: churn)."""
    sign = 1 if target_is_good else -1
    return [sign * direction(name) for name in features]


def feature_phrase(name: str) -> str | None:
    """The phrase of a feature (per-type columns worded from their name); None when unknown."""
    return FEATURES[name].phrase if name in FEATURES else type_label(name)
