"""The catalogue names every feature the builders make, with its family, tables and sentence."""

from __future__ import annotations

import pandas as pd

from features.builders import BUILDERS
from features.catalogue import FAMILIES, FEATURES, Change, Plain, feature_family
from features.contract import TABLES
from features.events import event_features
from features.matrix import build_features, feature_columns
from features.pointintime import prepare_tables, visible_tables
from features.timeline import active_terms
from features.usage_types import parse as parse_type
from serving.sentences import template

T = pd.Timestamp("2025-03-01")


def test_each_entry_is_well_formed():
    for name, entry in FEATURES.items():
        assert entry.family in FAMILIES, name
        assert entry.reads and set(entry.reads) <= set(TABLES), name
        assert entry.phrase and entry.phrase == entry.phrase.strip(), name
        if isinstance(entry.sentence, Change):
            assert name in (entry.sentence.now, entry.sentence.before) or "change" in name, name
            assert {entry.sentence.now, entry.sentence.before} <= set(FEATURES), name
        if isinstance(entry.sentence, Plain) and entry.sentence.column:
            assert entry.sentence.column in FEATURES, name
        # every template is built (a Worded key names a sentence function) and none is made up
        assert (template(name) is not None) == (entry.sentence is not None), name
    assert template("not_a_feature") is None


def test_every_built_column_has_an_entry_of_its_builders_family(demo_tables):
    """A builder's columns are its family's (or the data's own: event types, account columns)."""
    matrix = build_features(demo_tables, [T], top_types=5)
    static = {f"account_{c}" for c in demo_tables.accounts} | set(demo_tables.accounts)
    built = set(feature_columns(matrix))
    named = {c for c in built if c in FEATURES}
    assert built - named <= static | {c for c in built if parse_type(c) is not None}
    assert {c for c in built if parse_type(c) is not None}, "no per-type column was built"
    # Every family is built from the demo's five tables, and each entry's family is its builder's.
    assert {FEATURES[c].family for c in named} == set(FAMILIES)
    families = {"usage": "usage", "adoption": "adoption", "usage_types": "usage"}
    families |= {"sentiment": "sentiment", "support_tickets": "support", "contract": "contract"}
    assert [name for name, _, _ in BUILDERS] == list(families)
    by_builder = _columns_by_builder(demo_tables)
    for name, columns in by_builder.items():
        assert {feature_family(c) for c in columns} == {families[name]}, name


def _columns_by_builder(tables) -> dict[str, list[str]]:
    """The columns each builder makes at ``T``, each called as ``features.matrix`` calls it."""
    prepared = prepare_tables(tables)
    visible = visible_tables(prepared, T)
    accounts = pd.Index(active_terms(visible.subscriptions, T)["account_id"], name="account_id")
    events = event_features(prepared.events, {T: accounts}, top_types=5)[T]
    return {
        name: list(builder(visible, T, accounts, *([events] if "events" in needs else [])))
        for name, builder, needs in BUILDERS
    }


def test_every_entry_is_behaviour_or_profile_with_the_issues_directions():
    from features.catalogue import DOWN, PROFILE, UNSETTLED, UP, direction, is_profile

    for name, entry in FEATURES.items():
        assert entry.kind in ("behaviour", PROFILE), name
        assert entry.direction in (UP, DOWN, UNSETTLED), name
        assert entry.kind == "behaviour" or entry.direction == UNSETTLED, name
    # who the account is: never a reason, never constrained
    for name in (
        "tenure_days",
        "mrr",
        "term_length_days",
        "term_months",
        "current_plan",
        "days_since_first_event",
    ):
        assert is_profile(name) and direction(name) == UNSETTLED, name
    assert is_profile("industry") and is_profile("country") and is_profile("seats")
    assert not is_profile("type_report_build_30d") and direction("type_report_build_30d") == 0
    # more active users, better sentiment, a higher NPS never raise risk; a price rise never helps
    for name in (
        "active_users_30d",
        "comment_sentiment_mean_90d",
        "ticket_sentiment_mean_90d",
        "latest_nps",
        "seat_utilisation_30d",
    ):
        assert direction(name) == UP, name
    for name in ("open_tickets", "is_detractor", "mrr_change_pct", "days_since_last_event"):
        assert direction(name) == DOWN, name
    # a previous window alone has no settled direction
    assert direction("events_prev_30d") == direction("active_users_prev_30d") == UNSETTLED
