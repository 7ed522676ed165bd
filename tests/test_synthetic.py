"""The demo generator: contract shape, reproducibility, planted signal, and file round trip."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from health.synthetic import generate_demo_data, write_demo_data

N = 200
COLUMNS = {
    "accounts": ["account_id", "name", "created_at", "plan", "industry", "country", "seats"],
    "subscriptions": [
        "subscription_id",
        "account_id",
        "start_date",
        "end_date",
        "mrr",
        "plan",
        "billing",
    ],
    "events": ["account_id", "user_id", "timestamp", "event_type", "value"],
    "tickets": [
        "ticket_id",
        "account_id",
        "created_at",
        "first_response_at",
        "resolved_at",
        "priority",
        "status",
        "subject",
        "text",
        "escalated",
        "csat",
    ],
    "surveys": ["account_id", "responded_at", "score", "kind", "comment"],
    "ground_truth": ["account_id", "churned", "churn_date", "cause", "family", "decline_start"],
}
DATES = {
    "accounts": ["created_at"],
    "subscriptions": ["start_date", "end_date"],
    "tickets": ["created_at", "first_response_at", "resolved_at"],
    "surveys": ["responded_at"],
    "ground_truth": ["churn_date", "decline_start"],
}


def _assert_same(got: pd.DataFrame, want: pd.DataFrame, name: str) -> None:
    """assert_frame_equal, comparing categoricals by categories and codes (much faster)."""
    got, want = got.copy(), want.copy()
    for col in want.columns:
        if isinstance(want[col].dtype, pd.CategoricalDtype):
            assert list(got[col].cat.categories) == list(want[col].cat.categories), (name, col)
            got[col] = got[col].cat.codes
            want[col] = want[col].cat.codes
    pd.testing.assert_frame_equal(got, want, obj=name)


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return generate_demo_data(n_accounts=N, seed=3)


@pytest.fixture(scope="module")
def big() -> dict[str, pd.DataFrame]:
    """Enough accounts that every planted cause has several churners."""
    return generate_demo_data(n_accounts=800, seed=11)


def test_same_seed_same_tables_and_other_seed_differs(tables):
    again = generate_demo_data(n_accounts=N, seed=3)
    for name, frame in tables.items():
        _assert_same(again[name], frame, name)
    other = generate_demo_data(n_accounts=N, seed=4)
    assert not other["events"].equals(tables["events"])
    assert not other["subscriptions"].equals(tables["subscriptions"])


def test_columns_ids_and_references(tables):
    for name, columns in COLUMNS.items():
        assert list(tables[name].columns) == columns, name
        assert len(tables[name]) > 0, name
    accounts = tables["accounts"]
    assert len(accounts) == N and accounts["account_id"].is_unique
    known = set(accounts["account_id"])
    for name in ("subscriptions", "events", "tickets", "surveys", "ground_truth"):
        assert set(tables[name]["account_id"].astype(str)) <= known, name
    assert tables["subscriptions"]["subscription_id"].is_unique
    assert tables["tickets"]["ticket_id"].is_unique
    assert set(accounts["plan"]) == {"starter", "growth", "enterprise"}
    assert set(tables["subscriptions"]["billing"]) == {"monthly", "annual"}
    assert tables["surveys"]["score"].between(0, 10).all()
    assert (tables["events"]["value"] >= 1).all()
    users = tables["events"][["user_id", "account_id"]].astype(str).drop_duplicates()
    assert users["user_id"].is_unique  # a user belongs to one account
    assert (users["user_id"].str.split("-").str[0] == users["account_id"]).all()


def test_terms_are_contiguous_and_never_overlap(tables):
    subs = tables["subscriptions"].sort_values(["account_id", "start_date"])
    ended = subs["end_date"].notna()
    assert (subs.loc[ended, "end_date"] > subs.loc[ended, "start_date"]).all()
    assert subs["end_date"].isna().mean() < 0.1
    nxt = subs.groupby("account_id")["start_date"].shift(-1)
    has_next = nxt.notna()
    # a renewal starts exactly where the previous term ends: no overlap, no gap
    assert (subs.loc[has_next, "end_date"] == nxt[has_next]).all()
    assert not subs.loc[~ended].duplicated("account_id").any()
    months = (subs["end_date"] - subs["start_date"]).dt.days
    assert months[ended].between(28, 366).all()


def test_events_only_while_subscribed(tables):
    subs = tables["subscriptions"]
    cover = subs.groupby("account_id").agg(
        first=("start_date", "min"),
        last=("end_date", lambda s: s.max() if s.notna().all() else pd.NaT),
    )
    ev = tables["events"].assign(account_id=lambda f: f["account_id"].astype(str))
    ev = ev.join(cover, on="account_id")
    assert (ev["timestamp"] >= ev["first"]).all()
    assert ((ev["timestamp"] < ev["last"]) | ev["last"].isna()).all()
    for name, col in (("tickets", "created_at"), ("surveys", "responded_at")):
        t = tables[name].join(cover, on="account_id")
        assert (t[col] >= t["first"]).all() and ((t[col] < t["last"]) | t["last"].isna()).all()


def test_churned_accounts_have_no_term_after_churn(tables):
    gt = tables["ground_truth"]
    subs = tables["subscriptions"]
    last = subs.groupby("account_id")["end_date"].max()
    churned = gt[gt["churned"]].set_index("account_id")
    assert len(churned) > 0
    assert (last[churned.index] == churned["churn_date"]).all()
    starts = subs.merge(churned["churn_date"], left_on="account_id", right_index=True)
    assert (starts["start_date"] < starts["churn_date"]).all()
    assert gt.loc[~gt["churned"], "churn_date"].isna().all()
    assert set(gt["cause"]) <= {
        "usage_decay",
        "support_pain",
        "champion_loss",
        "price",
        "none",
        "looks_bad_stays",
    }
    assert not gt.loc[gt["cause"] == "looks_bad_stays", "churned"].any()


def _window_counts(frame, time_col, gt, cause, lo, hi):
    """Rows (or summed value) per churned account of a cause in (churn - hi, churn - lo] days."""
    acc = gt[(gt["cause"] == cause) & gt["churned"]].set_index("account_id")["churn_date"]
    f = frame.assign(account_id=frame["account_id"].astype(str))
    f = f[f["account_id"].isin(acc.index)]
    age = (f["account_id"].map(acc) - f[time_col]).dt.days
    inside = (age >= lo) & (age < hi)
    weight = f["value"] if "value" in f else pd.Series(1, index=f.index)
    return (
        weight[inside].groupby(f.loc[inside, "account_id"]).sum().reindex(acc.index, fill_value=0)
    )


def test_usage_decay_shows_before_churn(big):
    gt = big["ground_truth"]
    recent = _window_counts(big["events"], "timestamp", gt, "usage_decay", 0, 60)
    # against the 60 days before the decline began (60-150 days before the churn, or 180-270 for
    # half of the annual accounts, whose usage is already down 60-120 days before the churn)
    decay = gt[(gt["cause"] == "usage_decay") & gt["churned"]].set_index("account_id")
    events = big["events"].assign(account_id=lambda f: f["account_id"].astype(str))
    events = events[events["account_id"].isin(decay.index)]
    age = (events["account_id"].map(decay["decline_start"]) - events["timestamp"]).dt.days
    inside = (age >= 0) & (age < 60)
    before = (
        events.loc[inside, "value"]
        .groupby(events.loc[inside, "account_id"])
        .sum()
        .reindex(decay.index, fill_value=0)
    )
    # only accounts that existed for the whole comparison window
    full = before > 0
    assert full.sum() >= 10
    assert recent[full].sum() < 0.75 * before[full].sum()
    assert (recent[full] < before[full]).mean() > 0.7


def test_support_pain_shows_before_churn(big):
    gt = big["ground_truth"]
    recent = _window_counts(big["tickets"], "created_at", gt, "support_pain", 0, 90)
    before = _window_counts(big["tickets"], "created_at", gt, "support_pain", 90, 180)
    assert len(recent) >= 10
    assert recent.sum() > 1.5 * before.sum()
    assert (recent > before).mean() > 0.6


def test_support_pain_shows_in_small_teams_too(big):
    """A team of a few users in support pain files its pain tickets as a team of
    ``PAIN_TEAM_USERS`` would: hardly one goes through its last 90 days with two tickets or
    fewer (28% did at its own everyday rate), and nearly every one files more than before."""
    gt = big["ground_truth"]
    recent = _window_counts(big["tickets"], "created_at", gt, "support_pain", 0, 90)
    before = _window_counts(big["tickets"], "created_at", gt, "support_pain", 90, 180)
    seats = big["accounts"].set_index("account_id")["seats"].reindex(recent.index)
    small = seats <= 15  # 3-15 seats: at most 5 users
    assert small.sum() >= 10
    assert (recent[small] <= 2).mean() < 0.15
    assert (recent[small] > before[small]).mean() > 0.9


def test_cause_mix_and_families(big):
    gt = big["ground_truth"]
    causes = gt.loc[gt["churned"], "cause"].value_counts()
    for cause in ("usage_decay", "support_pain", "champion_loss", "price"):
        assert causes.get(cause, 0) >= 10, cause
    assert (gt["cause"] == "looks_bad_stays").sum() >= 10
    expected = {"usage_decay": "usage", "support_pain": "support", "price": "contract"}
    for cause, family in expected.items():
        assert (gt.loc[gt["cause"] == cause, "family"] == family).all()
    assert (gt.loc[gt["cause"].isin(["none", "looks_bad_stays"]), "family"] == "").all()
    assert 0.1 < gt["churned"].mean() < 0.6


def test_write_demo_data_round_trip(tables, tmp_path):
    paths = write_demo_data(tables, tmp_path / "demo")
    assert set(paths) == set(tables)
    assert paths["events"].name == "events.parquet"
    assert paths["ground_truth"].name == "ground_truth.csv"
    assert not [p for p in (tmp_path / "demo").iterdir() if p.name.endswith(".tmp")]
    events = pd.read_parquet(paths["events"])
    _assert_same(events, tables["events"], "events")
    for name, dates in DATES.items():
        back = pd.read_csv(paths[name], parse_dates=dates)
        want = tables[name]
        if name == "ground_truth":
            back["family"] = back["family"].fillna("")
        for col in dates:
            back[col] = back[col].astype("datetime64[us]")
        pd.testing.assert_frame_equal(back, want, check_dtype=False, obj=name)
    # writing again replaces the files in place
    again = write_demo_data(tables, tmp_path / "demo")
    assert again == paths
    assert np.isclose(
        pd.read_csv(paths["subscriptions"])["mrr"].sum(), tables["subscriptions"]["mrr"].sum()
    )


def _annual(tables) -> pd.Index:
    subs = tables["subscriptions"]
    return pd.Index(subs.loc[subs["billing"] == "annual", "account_id"].astype(str).unique())


def test_some_annual_declines_start_six_to_nine_months_before_the_term_end(big):
    """And the long leads move only the activity: who churns, and when, is as without them."""
    gt = big["ground_truth"].assign(account_id=lambda f: f["account_id"].astype(str))
    planted = gt[gt["churned"] & gt["cause"].isin(["usage_decay", "support_pain", "champion_loss"])]
    annual = planted[planted["account_id"].isin(_annual(big))]
    lead = (annual["churn_date"] - annual["decline_start"]).dt.days
    assert lead.notna().all() and len(lead) >= 20
    assert lead.between(60, 270).all()
    # half of them by design (P_LONG_LEAD_ANNUAL), less those younger than their drawn lead
    assert 0.25 < (lead >= 180).mean() < 0.75


def test_long_lead_usage_decay_shows_half_a_year_before_the_churn(big):
    gt = big["ground_truth"].assign(account_id=lambda f: f["account_id"].astype(str))
    decay = gt[gt["churned"] & (gt["cause"] == "usage_decay")]
    decay = decay[decay["account_id"].isin(_annual(big))]
    decay = decay[(decay["churn_date"] - decay["decline_start"]).dt.days >= 200]
    events = big["events"].assign(account_id=lambda f: f["account_id"].astype(str))
    events = events[events["account_id"].isin(decay["account_id"])]
    start = events["account_id"].map(decay.set_index("account_id")["decline_start"])
    churn = events["account_id"].map(decay.set_index("account_id")["churn_date"])
    # 150-180 days before the churn (the decline under way) against the 30 days before it began
    during = events[((churn - events["timestamp"]).dt.days.between(150, 179))]
    before = events[((start - events["timestamp"]).dt.days.between(1, 30))]
    d = during.groupby("account_id")["value"].sum()
    b = before.groupby("account_id")["value"].sum()
    both = b.index.intersection(d.index)
    assert len(both) >= 5
    assert d[both].sum() < 0.6 * b[both].sum()


def test_csat_and_ces_surveys_on_their_scales_and_hurt_by_support_pain(tables, big):
    surveys = tables["surveys"]
    assert set(surveys["kind"]) == {"nps", "csat", "ces"}
    assert surveys.loc[surveys["kind"] == "csat", "score"].between(1, 5).all()
    assert surveys.loc[surveys["kind"] == "ces", "score"].between(1, 7).all()
    ces = big["surveys"][big["surveys"]["kind"] == "ces"]
    gt = big["ground_truth"].set_index("account_id")
    last_90 = ces.join(gt, on="account_id")
    pain = last_90[
        (last_90["cause"] == "support_pain")
        & (last_90["responded_at"] >= last_90["churn_date"] - pd.Timedelta(days=90))
    ]
    calm = last_90[last_90["cause"] == "none"]
    assert len(pain) >= 20
    assert pain["score"].mean() < calm["score"].mean() - 1.0
