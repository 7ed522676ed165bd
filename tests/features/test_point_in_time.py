"""Point-in-time correctness: rows dated on or after the as-of date change no feature.

Properties (hypothesis, on small random tables): rows appended or altered on or after the as-of
date change nothing; deleting a row before it changes only its own account. Plus the parity of
training and scoring rows. The oracle comparison lives in test_oracle.py.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from features.contract import Tables
from features.matrix import build_feature_matrix, build_features, feature_columns

AS_OF = pd.Timestamp("2025-03-01")

# -- small random tables ------------------------------------------------------------------

BASE = pd.Timestamp("2024-01-01")
EVENT_TYPES = ("login", "report", "export", "share", "api")
PRIORITIES = ("low", "normal", "high", "urgent")
PHRASES = (
    "Thanks, works great",
    "The export is broken again and we are furious",
    "How do I add a user?",
    "Outage, cancelling",
    "",
)


def moments(rng: np.random.Generator, n: int, first_day: int = 0, days: int = 260) -> pd.Series:
    """Random timestamps (with a time of day, sometimes exactly midnight) in the given days."""
    day = rng.integers(first_day, first_day + days, n)
    seconds = np.where(rng.random(n) < 0.2, 0, rng.integers(0, 86_400, n))
    return pd.Series(BASE + pd.to_timedelta(day, unit="D") + pd.to_timedelta(seconds, unit="s"))


def random_tables(seed: int, n_accounts: int = 4, n_events: int = 60) -> Tables:
    """Contract-typed tables with a few accounts, terms, events, tickets and surveys."""
    rng = np.random.default_rng(seed)
    ids = [f"A{i}" for i in range(n_accounts)]
    accounts = pd.DataFrame(
        {
            "account_id": pd.array(ids, dtype="str"),
            "seats": rng.choice([0.0, 3.0, 10.0, np.nan], n_accounts),
            "plan": pd.array(rng.choice(["basic", "pro"], n_accounts), dtype="str"),
        }
    )
    subs = []
    for account in ids:
        start = int(rng.integers(0, 60))
        for _ in range(int(rng.integers(1, 4))):
            length = int(rng.integers(0, 150))
            end = BASE + pd.Timedelta(days=start + length) if rng.random() < 0.85 else pd.NaT
            subs.append((account, BASE + pd.Timedelta(days=start), end, float(rng.integers(1, 9))))
            start += length + int(rng.integers(0, 20))
    subscriptions = pd.DataFrame(subs, columns=["account_id", "start_date", "end_date", "mrr"])
    subscriptions["end_date"] = subscriptions["end_date"].astype("datetime64[ns]")
    subscriptions["start_date"] = subscriptions["start_date"].astype("datetime64[ns]")
    subscriptions["account_id"] = subscriptions["account_id"].astype("str")
    return Tables(
        accounts=accounts,
        subscriptions=subscriptions,
        events=random_events(rng, ids, n_events),
        tickets=random_tickets(rng, ids, int(rng.integers(0, 15))),
        surveys=random_surveys(rng, ids, int(rng.integers(0, 10))),
    )


def random_events(
    rng: np.random.Generator, ids: list[str], n: int, first_day: int = 0, days: int = 260
) -> pd.DataFrame:
    account = rng.choice(ids, n)
    return pd.DataFrame(
        {
            "account_id": pd.array(account, dtype="str"),
            "user_id": pd.array(
                [f"{a}-u{u}" for a, u in zip(account, rng.integers(0, 4, n), strict=True)],
                dtype="str",
            ),
            "timestamp": moments(rng, n, first_day, days).astype("datetime64[ns]").to_numpy(),
            "event_type": pd.array(rng.choice(EVENT_TYPES, n), dtype="str"),
            "value": rng.choice([1.0, 2.0, 0.5, 3.25], n),
        }
    )


def random_tickets(
    rng: np.random.Generator, ids: list[str], n: int, first_day: int = 0, days: int = 260
) -> pd.DataFrame:
    created = moments(rng, n, first_day, days)
    resolved = created + pd.to_timedelta(rng.integers(1, 40 * 24, n), unit="h")
    responded = created + pd.to_timedelta(rng.integers(1, 48, n), unit="h")
    return pd.DataFrame(
        {
            "ticket_id": pd.array([f"T{first_day}-{i}" for i in range(n)], dtype="str"),
            "account_id": pd.array(rng.choice(ids, n), dtype="str"),
            "created_at": created.astype("datetime64[ns]").to_numpy(),
            "resolved_at": resolved.where(rng.random(n) < 0.8).astype("datetime64[ns]").to_numpy(),
            "first_response_at": responded.where(rng.random(n) < 0.9)
            .astype("datetime64[ns]")
            .to_numpy(),
            "priority": pd.array(rng.choice(PRIORITIES, n), dtype="str"),
            "text": pd.array(rng.choice(PHRASES, n), dtype="str"),
            "escalated": rng.random(n) < 0.2,
            "csat": np.where(rng.random(n) < 0.5, rng.integers(1, 6, n).astype(float), np.nan),
        }
    )


def random_surveys(
    rng: np.random.Generator, ids: list[str], n: int, first_day: int = 0, days: int = 260
) -> pd.DataFrame:
    kind = rng.choice(["nps", "nps", "csat"], n)
    score = np.where(kind == "nps", rng.integers(0, 11, n), rng.integers(1, 6, n)).astype(float)
    comment = pd.Series(rng.choice(PHRASES, n), dtype="object").where(rng.random(n) < 0.7)
    return pd.DataFrame(
        {
            "account_id": pd.array(rng.choice(ids, n), dtype="str"),
            "responded_at": moments(rng, n, first_day, days).astype("datetime64[ns]").to_numpy(),
            "score": score,
            "kind": pd.array(kind, dtype="str"),
            "comment": comment,
        }
    )


def future_rows(tables, as_of: pd.Timestamp):
    """A copy of the tables with many extra rows on or after ``as_of``, and later facts changed."""
    rng = np.random.default_rng(0)
    accounts = tables.accounts["account_id"].to_numpy()

    def dates(n):
        return as_of + pd.to_timedelta(rng.integers(0, 200 * 24, n), unit="h")

    n = 3000
    events = pd.concat(
        [
            tables.events,
            pd.DataFrame(
                {
                    "account_id": rng.choice(accounts, n),
                    "user_id": "intruder",
                    "timestamp": dates(n),
                    "event_type": "future_feature",
                    "value": 99.0,
                }
            ),
        ],
        ignore_index=True,
    )
    tickets = tables.tickets.copy()
    open_then = tickets["resolved_at"].isna() | (tickets["resolved_at"] >= as_of)
    tickets.loc[open_then, "resolved_at"] = as_of + pd.Timedelta(days=3)  # resolved later
    tickets.loc[open_then, "status"] = "resolved"
    no_answer = tickets["first_response_at"].isna() | (tickets["first_response_at"] >= as_of)
    tickets.loc[no_answer, "first_response_at"] = as_of  # answered later
    tickets = pd.concat(
        [
            tickets,
            pd.DataFrame(
                {
                    "ticket_id": [f"F{i}" for i in range(n)],
                    "account_id": rng.choice(accounts, n),
                    "created_at": dates(n),
                    "priority": "urgent",
                    "text": "outage, furious, cancelling",
                }
            ),
        ],
        ignore_index=True,
    )
    surveys = pd.concat(
        [
            tables.surveys,
            pd.DataFrame(
                {
                    "account_id": rng.choice(accounts, n),
                    "responded_at": dates(n),
                    "score": 0.0,
                    "kind": "nps",
                    "comment": "terrible",
                }
            ),
        ],
        ignore_index=True,
    )
    subscriptions = pd.concat(
        [
            tables.subscriptions,
            pd.DataFrame(
                {
                    "subscription_id": [f"FS{i}" for i in range(50)],
                    "account_id": rng.choice(accounts, 50),
                    "start_date": dates(50),
                    "end_date": as_of + pd.Timedelta(days=400),
                    "mrr": 1e6,
                }
            ),
        ],
        ignore_index=True,
    )
    return dataclasses.replace(
        tables, events=events, tickets=tickets, surveys=surveys, subscriptions=subscriptions
    )


@pytest.mark.parametrize("offset_days", [0, 45])
def test_rows_on_or_after_as_of_change_no_feature(demo_tables, offset_days):
    as_of = AS_OF + pd.Timedelta(days=offset_days)
    before = build_features(demo_tables, [as_of], top_types=8)  # per-type usage included
    after = build_features(future_rows(demo_tables, as_of), [as_of], top_types=8)
    assert len(before) > 100 and before.columns.str.startswith("type_").sum() == 32
    pd.testing.assert_frame_equal(before, after)


def test_rows_before_as_of_do_change_features(demo_tables):
    """The check above can fail: the same kind of rows one day earlier do move features."""
    as_of = AS_OF
    before = build_features(demo_tables, [as_of])
    shifted = future_rows(demo_tables, as_of - pd.Timedelta(days=1))
    after = build_features(shifted, [as_of])
    assert not before.equals(after)


def test_one_row_per_active_account_and_date(demo_tables):
    dates = [pd.Timestamp("2024-06-01"), pd.Timestamp("2025-06-01")]
    frame = build_features(demo_tables, dates)
    assert not frame.duplicated(["account_id", "as_of"]).any()
    assert set(frame["as_of"]) == set(dates)
    assert frame.columns.is_unique


# -- properties on random tables -----------------------------------------------------------

# Features defined relative to all accounts (the catalogue and the core event types): deleting
# another account's row may move them, by definition.
RELATIVE_TO_ALL = {
    "catalogue_share_90d",
    "core_features_used_30d",
    "core_depth_30d",
    "core_adoption_share",
    "days_since_core_adoption",
}
PROPERTY = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def as_of_day(day: int) -> pd.Timestamp:
    return BASE + pd.Timedelta(days=day)


def with_future(tables: Tables, as_of: pd.Timestamp, seed: int) -> Tables:
    """Rows on or after ``as_of`` appended everywhere, and later facts of earlier rows changed."""
    rng = np.random.default_rng(seed)
    ids = list(tables.accounts["account_id"])
    first = (as_of - BASE).days
    events = tables.events.copy()
    later = events["timestamp"] >= as_of
    events.loc[later, "value"] = events.loc[later, "value"] * 7
    events = pd.concat([events, random_events(rng, ids, 30, first, 60)], ignore_index=True)
    tickets = tables.tickets.copy()
    unknown = tickets["resolved_at"].isna() | (tickets["resolved_at"] >= as_of)
    tickets.loc[unknown, "resolved_at"] = as_of + pd.Timedelta(hours=5)  # resolved later
    tickets.loc[unknown, "csat"] = 1.0
    late = tickets["first_response_at"].isna() | (tickets["first_response_at"] >= as_of)
    tickets.loc[late, "first_response_at"] = as_of
    tickets = pd.concat([tickets, random_tickets(rng, ids, 8, first, 60)], ignore_index=True)
    surveys = pd.concat([tables.surveys, random_surveys(rng, ids, 5, first, 60)], ignore_index=True)
    extra = pd.DataFrame(
        {
            "account_id": pd.array(rng.choice(ids, 3), dtype="str"),
            "start_date": (as_of + pd.to_timedelta(rng.integers(0, 50, 3), unit="D")).astype(
                "datetime64[ns]"
            ),
            "end_date": pd.Series([as_of + pd.Timedelta(days=400)] * 3).astype("datetime64[ns]"),
            "mrr": 1000.0,
        }
    )
    subscriptions = pd.concat([tables.subscriptions, extra], ignore_index=True)
    return dataclasses.replace(
        tables, events=events, tickets=tickets, surveys=surveys, subscriptions=subscriptions
    )


def test_rows_on_or_after_as_of_never_change_features():
    checked = []

    @PROPERTY
    @given(seed=st.integers(0, 2**31), day=st.integers(20, 250), n_events=st.integers(0, 80))
    @example(seed=0, day=20, n_events=0)  # the first as-of day, no events at all
    @example(seed=11, day=250, n_events=80)  # the last day, the most events
    def prop(seed, day, n_events):
        tables = random_tables(seed, n_events=n_events)
        as_of = as_of_day(day)
        before = build_features(tables, [as_of])
        after = build_features(with_future(tables, as_of, seed + 1), [as_of])
        pd.testing.assert_frame_equal(before, after)
        checked.append(len(before) > 0)

    prop()
    # The comparison has active accounts to compare in most examples, not only empty frames.
    assert sum(checked) >= 0.7 * len(checked)


def stamped_at(tables: Tables, moment: pd.Timestamp) -> Tables:
    """One row in every dated table stamped exactly at ``moment``, for an account active then."""
    owner = str(tables.subscriptions["account_id"].iloc[0])
    one = {"account_id": pd.array([owner], dtype="str")}
    events = pd.DataFrame(
        {
            **one,
            "user_id": pd.array(["new-user"], dtype="str"),
            "timestamp": [moment],
            "event_type": pd.array(["brand_new"], dtype="str"),
            "value": [50.0],
        }
    )
    tickets = pd.DataFrame(
        {
            **one,
            "ticket_id": pd.array(["AT"], dtype="str"),
            "created_at": [moment],
            "priority": pd.array(["urgent"], dtype="str"),
            "text": pd.array(["Outage, cancelling"], dtype="str"),
        }
    )
    surveys = pd.DataFrame(
        {**one, "responded_at": [moment], "score": [0.0], "kind": pd.array(["nps"], dtype="str")}
    )
    return dataclasses.replace(
        tables,
        events=pd.concat([tables.events, events], ignore_index=True),
        tickets=pd.concat([tables.tickets, tickets], ignore_index=True),
        surveys=pd.concat([tables.surveys, surveys], ignore_index=True),
    )


def test_rows_stamped_exactly_at_the_as_of_instant_are_not_seen():
    """The edge the property meets only by chance: a row at midnight of the as-of day."""
    tables = long_lived(random_tables(5, n_events=60))
    as_of = as_of_day(120)
    before = build_features(tables, [as_of])
    assert len(before) > 0
    pd.testing.assert_frame_equal(before, build_features(stamped_at(tables, as_of), [as_of]))
    # One second earlier the same rows are seen.
    earlier = build_features(stamped_at(tables, as_of - pd.Timedelta(seconds=1)), [as_of])
    changed = [c for c in before.columns if not before[c].equals(earlier[c])]
    assert {"tickets_30d", "latest_nps", "events_7d"} <= set(changed)


def long_lived(tables: Tables) -> Tables:
    """The tables with the first account's terms replaced by one open-ended term from day 0."""
    subs = tables.subscriptions
    owner = subs["account_id"].iloc[0]
    term = subs[subs["account_id"] == owner].head(1).assign(start_date=BASE, end_date=pd.NaT)
    term["end_date"] = term["end_date"].astype("datetime64[ns]")
    rest = subs[subs["account_id"] != owner]
    return dataclasses.replace(tables, subscriptions=pd.concat([term, rest], ignore_index=True))


def without_one_row(
    tables: Tables, as_of: pd.Timestamp, pick: int, owners: set[str]
) -> tuple[Tables, str] | None:
    """The tables less one row dated before ``as_of`` (any table) of one of ``owners``, and that
    row's account."""
    dated = [
        ("events", "timestamp"),
        ("tickets", "created_at"),
        ("surveys", "responded_at"),
        ("subscriptions", "start_date"),
    ]
    candidates = [
        (name, index)
        for name, column in dated
        for index in tables.get(name).index[
            (tables.get(name)[column] < as_of) & tables.get(name)["account_id"].isin(owners)
        ]
    ]
    if not candidates:
        return None
    name, index = candidates[pick % len(candidates)]
    frame = tables.get(name)
    return dataclasses.replace(tables, **{name: frame.drop(index)}), frame.loc[index, "account_id"]


def test_deleting_a_row_before_as_of_changes_only_its_account():
    checked = []

    @PROPERTY
    @given(seed=st.integers(0, 2**31), day=st.integers(20, 200), pick=st.integers(0, 10_000))
    @example(seed=3, day=20, pick=0)  # the first as-of day
    @example(seed=3, day=200, pick=10_000)  # the last
    def prop(seed, day, pick):
        tables = random_tables(seed)
        as_of = as_of_day(day)
        before = build_features(tables, [as_of]).set_index("account_id")
        # The row deleted belongs to an account active at the date: one whose features it can move.
        dropped = without_one_row(tables, as_of, pick, set(before.index))
        if dropped is None:
            checked.append(False)
            return
        smaller, owner = dropped
        after = build_features(smaller, [as_of]).set_index("account_id")
        own = [c for c in before.columns if c not in RELATIVE_TO_ALL]
        others_before = before.drop(index=owner, errors="ignore")[own]
        others_after = after.drop(index=owner, errors="ignore")[own]
        pd.testing.assert_frame_equal(others_before, others_after)
        checked.append(owner in before.index and len(others_before) > 0)

    prop()
    # An active account lost a row and other active accounts were compared in most examples.
    assert sum(checked) >= 0.5 * len(checked)


def test_deleting_rows_before_as_of_can_change_features():
    """The property above has teeth: the deleted rows do move their own account's features."""
    tables = random_tables(7, n_events=80)
    as_of = as_of_day(200)
    before = build_features(tables, [as_of]).set_index("account_id")
    events = tables.events
    owner = events.loc[events["account_id"].isin(before.index), "account_id"].iloc[0]
    smaller = dataclasses.replace(
        tables, events=events[(events["account_id"] != owner) | (events["timestamp"] >= as_of)]
    )
    after = build_features(smaller, [as_of]).set_index("account_id")
    assert owner in before.index and owner in after.index
    assert not before.loc[owner].equals(after.loc[owner])


def test_training_rows_equal_scoring_rows(demo_tables):
    """Parity: a date's rows in the training matrix equal a scoring build for that date alone."""
    dates = [pd.Timestamp("2024-09-01"), pd.Timestamp("2025-01-01"), pd.Timestamp("2025-05-01")]
    training = build_feature_matrix(demo_tables, dates)
    features = feature_columns(training)
    for as_of in dates:
        scoring = build_features(demo_tables, [as_of])
        rows = training[training["as_of"] == as_of].reset_index(drop=True)
        pd.testing.assert_frame_equal(rows[["account_id", "as_of", *features]], scoring)


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 2**31))
def test_dates_are_computed_independently(seed):
    """Parity on random data: building several dates at once equals building each alone."""
    tables = random_tables(seed)
    dates = [as_of_day(d) for d in (60, 130, 250)]
    together = build_features(tables, dates)
    for as_of in dates:
        alone = build_features(tables, [as_of])
        rows = together[together["as_of"] == as_of].reset_index(drop=True)
        pd.testing.assert_frame_equal(rows, alone)


def test_as_of_must_be_a_day(demo_tables):
    with pytest.raises(ValueError, match="midnight"):
        build_features(demo_tables, [pd.Timestamp("2025-03-01 12:00")])
