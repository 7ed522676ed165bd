"""Scoring: exact SHAP, points that add up, vectorised drivers, changes, atomic outputs, errors,
and a health score that moving only the renewal date cannot change."""

from __future__ import annotations

import dataclasses
import math
import shutil

import mlflow
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import shap
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from features.catalogue import (
    FEATURES,
    POINTS_FAMILIES,
    Change,
    Mood,
    Plain,
    Worded,
    is_profile,
)
from features.matrix import build_features
from features.usage_types import chosen_types
from health.cli import main
from health.tracking import use_experiment
from serving.model import MissingFeaturesError
from serving.outputs import OutputWriter, published_scores, read_scores
from serving.score import (
    TIMING_FEATURES,
    LoadedModel,
    ScoreConfig,
    ScoringModels,
    band,
    chunks,
    load_previous,
    priority_order,
    score_changes,
    score_features,
    score_frames,
    score_job,
)
from training.train import TrainConfig, build_training_matrix, fit_target

AS_OF = pd.Timestamp("2025-10-01")


@pytest.fixture(scope="module")
def fitted(demo_tables):
    """Health, churn and renewal models fitted on the demo data (no MLflow), features at AS_OF."""
    matrix = build_training_matrix(demo_tables, TrainConfig())
    health = fit_target(matrix, "stayed", TrainConfig()).model
    churn = fit_target(matrix, "churned", TrainConfig()).model
    renewal = fit_target(matrix, "renewed", TrainConfig()).model
    frame = build_features(demo_tables, [AS_OF], event_types=chosen_types(churn.features))
    return (
        LoadedModel(health, "test:health", "5"),
        LoadedModel(churn, "test:churn", "7"),
        LoadedModel(renewal, "test:renewal", "3"),
        frame,
    )


@pytest.fixture(scope="module")
def scored(fitted):
    health, churn, renewal, frame = fitted
    return score_features(frame, health=health, churn=churn, renewal=renewal)


def test_shap_values_are_exact_treeshap_and_add_up_to_the_raw_margin(fitted, scored):
    health, _, _, frame = fitted
    _, explanations = scored
    model = health.model
    prepared = model.prepare(frame)
    ours = explanations.pivot(index="account_id", columns="feature", values="shap_value")
    ours = ours.loc[frame["account_id"], model.features].to_numpy()

    explainer = shap.TreeExplainer(model.booster)
    reference = np.asarray(explainer.shap_values(prepared))
    reference = reference[1] if reference.ndim == 3 else reference
    assert np.abs(ours - reference).max() < 1e-6

    margin = model.booster.predict(prepared, raw_score=True)
    base = np.atleast_1d(explainer.expected_value)[-1]
    assert np.abs(base + ours.sum(axis=1) - margin).max() < 1e-6


def test_health_points_sum_with_the_base_to_each_accounts_score(scored):
    scores, explanations = scored
    families = scores[[f"points_{f}" for f in POINTS_FAMILIES]].sum(axis=1)
    assert np.allclose(scores["base_score"] + families, 100 * scores["year_stay_probability"])
    per_feature = explanations.groupby("account_id")["health_points"].sum()
    assert np.allclose(per_feature.loc[scores["account_id"]].to_numpy(), families.to_numpy())
    assert (scores["health_score"] == np.rint(100 * scores["year_stay_probability"])).all()
    # the calendar is the churn model's: leaving within the horizon, ARR x that probability
    assert np.allclose(scores["arr_at_risk"], scores["churn_probability"] * scores["arr"])


def test_the_health_model_never_sees_when_the_term_ends(fitted):
    health, churn, _, _ = fitted
    assert not set(health.model.features) & (TIMING_FEATURES | {"tenure_days"})
    assert set(churn.model.features) >= TIMING_FEATURES  # the calendar's model does


def _written(name: str, value: float) -> float:
    """A value as its reason sentence writes it: the catalogue's format, by hand."""
    entry = FEATURES[name]
    sentence = entry.sentence
    if isinstance(sentence, Plain):
        spec, scale = sentence.spec, sentence.scale
    elif isinstance(sentence, Change):
        spec, scale = ("+.0%" if "change" in name else ",.0f"), 1.0
    elif isinstance(sentence, Mood):
        spec, scale = "+.2f", 1.0
    elif isinstance(sentence, Worded):
        spec, scale = "+.0%", 1.0
    else:
        spec, scale = ",.0f", 1.0
    return float(format(value * scale, spec.replace(",", "")).rstrip("%"))


def test_reasons_match_a_row_by_row_reference(fitted, scored):
    """Each account's reasons worked out one feature at a time with plain floats: behaviour of a
    settled direction, a known value on the worse (risk) or better (protective) side of its
    plan's median among accounts that stayed, at least a point of the account's own score, and
    each fact once."""
    health, _, _, frame = fitted
    model = health.model
    reference = model.meta["reason_reference"]
    scores, _ = scored
    sample = frame.iloc[:150]
    raw = model.booster.predict(model.prepare(sample), pred_contrib=True)

    def health_of(margin: float, months: float) -> float:
        p = float(model.calibrator(np.array([1 / (1 + math.exp(-margin))]))[0])
        return 100 * p ** (12 / months)  # the yearly footing

    def stated(name: str) -> str:
        sentence = FEATURES[name].sentence
        return sentence.column if isinstance(sentence, Plain) and sentence.column else name

    def fact(name: str) -> str:
        sentence = FEATURES[name].sentence
        return sentence.now if isinstance(sentence, Change) else stated(name)

    checked = 0
    for i in range(len(sample)):
        row, margin = sample.iloc[i], float(raw[i].sum())
        days = 90 if pd.isna(row["term_length_days"]) else row["term_length_days"]
        months = max(round(days / (365.25 / 12)), 1)
        risks, helps = {}, {}
        for j, name in enumerate(model.features):
            entry = FEATURES.get(name)
            if entry is None or entry.kind == "profile" or name in TIMING_FEATURES:
                continue
            column = stated(name)
            if entry.direction == 0 or FEATURES[column].direction == 0 or pd.isna(row[name]):
                continue
            medians = reference["features"][column]
            ref = medians["groups"].get(str(row["current_plan"]), medians["all"])
            if ref is None:
                continue
            side = np.sign(_written(name, row[column]) - _written(name, ref))
            side *= FEATURES[column].direction
            worth = health_of(margin, months) - health_of(margin - raw[i, j], months)
            if worth <= -1.0 and side < 0:
                risks[name] = worth
            if worth >= 1.0 and side > 0:
                helps[name] = worth
        told = []
        for name in sorted(risks, key=lambda n: risks[n]):
            if fact(name) not in {fact(t) for t in told}:
                told.append(name)
        for k in range(3):
            got = scores[f"risk_feature_{k + 1}"][i]
            if k < len(told):
                assert got == told[k]
                assert scores[f"risk_impact_{k + 1}"][i] == pytest.approx(risks[told[k]])
                checked += 1
            else:
                assert pd.isna(got) and pd.isna(scores[f"risk_impact_{k + 1}"][i])
        got = scores["protective_feature"][i]
        if helps:
            assert got == max(helps, key=lambda n: helps[n])
        else:
            assert pd.isna(got)
    assert checked >= 20


def test_reasons_are_behaviour_with_a_known_value_and_none_near_100(fitted, scored):
    _, _, _, frame = fitted
    scores, _ = scored
    named = scores.filter(regex=r"^(risk|protective)_feature").stack().dropna()
    assert not {n for n in named if is_profile(n)} | (set(named) & TIMING_FEATURES)
    for column in scores.filter(regex=r"^(risk|protective)_feature"):
        chosen = np.flatnonzero(scores[column].notna().to_numpy())
        assert all(pd.notna(frame.iloc[i][scores[column][i]]) for i in chosen), column
    points = scores.filter(regex=r"^risk_impact_").to_numpy(dtype=float)
    assert np.all(np.isnan(points) | (points <= -1.0))
    assert scores.loc[scores["health_score"] >= 99, "risk_feature_1"].isna().all()
    least_healthy = scores.nsmallest(20, "year_stay_probability")["risk_feature_1"]
    assert least_healthy.notna().mean() >= 0.9


def test_renewal_probability_only_where_the_term_ends_in_the_window(scored):
    scores, _ = scored
    due = scores["renewal_due_in_days"].between(0, 120)
    assert scores.loc[due, "renewal_probability"].between(0, 1).all()
    assert scores.loc[~due, "renewal_probability"].isna().all()


def test_bands_follow_the_configured_thresholds():
    config = ScoreConfig(green_from=80, red_below=50)
    assert list(band(np.array([100, 80, 79, 50, 49, 0]), config)) == [
        "green",
        "green",
        "yellow",
        "yellow",
        "red",
        "red",
    ]
    with pytest.raises(ValueError, match="red_below"):
        ScoreConfig(green_from=40, red_below=60)


def test_chunked_scoring_writes_the_same_as_one_pass(fitted, scored, tmp_path):
    health, churn, renewal, frame = fitted
    whole_scores, whole_explanations = scored
    config = ScoreConfig(chunk_rows=97)
    with OutputWriter(tmp_path) as writer:
        summary = score_frames(
            chunks(frame, 97), ScoringModels(health, churn, renewal), config, writer
        )
        writer.commit()
    scores = read_scores(tmp_path / "scores.parquet")
    explanations = pd.read_parquet(tmp_path / "explanations.parquet")
    published = priority_order(published_scores(whole_scores)).reset_index(drop=True)
    pd.testing.assert_frame_equal(scores, published, check_dtype=False)
    pd.testing.assert_frame_equal(explanations, whole_explanations, check_dtype=False)
    assert summary.accounts == len(frame) > 97
    assert (
        summary.bands
        == whole_scores["band"]
        .value_counts()
        .reindex(["green", "yellow", "red"], fill_value=0)
        .to_dict()
    )
    assert list(summary.top["account_id"][:5]) == list(published["account_id"][:5])
    csv = pd.read_csv(tmp_path / "scores.csv")
    assert len(csv) == len(frame) and (csv["as_of"] == str(AS_OF.date())).all()


def test_scores_without_explanations_skip_shap(fitted, scored):
    health, churn, renewal, frame = fitted
    scores, explanations = score_features(
        frame, health=health, churn=churn, renewal=renewal, config=ScoreConfig(explain=False)
    )
    assert explanations is None
    assert "risk_driver_1" not in scores
    assert np.array_equal(scores["stay_probability"], scored[0]["stay_probability"])
    assert np.array_equal(scores["churn_probability"], scored[0]["churn_probability"])


def test_only_a_model_of_staying_makes_the_health_score(fitted):
    _, churn, _, frame = fitted
    with pytest.raises(ValueError, match="needs a model of 'stayed'"):
        score_features(frame, health=churn)


def test_score_changes_name_the_families_that_moved():
    now = pd.DataFrame(
        {
            "account_id": ["a", "b", "c", "d"],
            "health_score": [70, 90, 80, 50],
            "base_score": [95.0] * 4,
            "points_usage": [-20.0, -2.0, 0.0, 0.0],
            "points_adoption": [0.0, 0.0, 0.0, 0.0],
            "points_sentiment": [0.0, 0.0, 0.0, 0.0],
            "points_support": [-5.0, -3.0, 0.0, 0.0],
            "points_contract": [0.0, 0.0, -15.0, 0.0],
        }
    )
    previous = now.iloc[:3].copy()
    previous["as_of"] = pd.Timestamp("2025-11-30")
    previous["health_score"] = [82, 90, 79]
    previous["points_usage"] = [-11.0, -2.0, 0.0]
    previous["points_support"] = [-1.0, -3.0, 0.0]
    previous["points_contract"] = [0.0, 0.0, -16.0]
    changes = score_changes(now, previous.set_index("account_id"))
    assert list(changes["health_change"].iloc[:3]) == [-12, 0, 1]
    assert np.isnan(changes["health_change"].iloc[3])
    assert changes["change_usage"].iloc[0] == -9 and changes["change_support"].iloc[0] == -4
    assert list(changes["change_summary"]) == [
        "Down 12 points since 2025-11-30: usage -9, support -4",
        "Unchanged since 2025-11-30",
        "Up 1 point since 2025-11-30: contract +1",
        "New since 2025-11-30",
    ]


def test_previous_scores_are_used_only_when_earlier(tmp_path):
    frame = pd.DataFrame({"account_id": ["a"], "as_of": [AS_OF], "health_score": [80]})
    frame.to_parquet(tmp_path / "scores.parquet")
    assert load_previous(tmp_path, AS_OF) is None
    assert load_previous(tmp_path, AS_OF + pd.Timedelta(days=30)).index.tolist() == ["a"]
    assert load_previous(tmp_path / "nowhere", AS_OF) is None


def _register(model, name):
    use_experiment("models")  # a fresh store: not the previous test's id; artifacts beside it
    with mlflow.start_run():
        info = mlflow.pyfunc.log_model(name="model", python_model=model)
    version = mlflow.register_model(info.model_uri, name).version
    mlflow.MlflowClient().set_registered_model_alias(name, "champion", version)


@pytest.mark.slow
def test_score_job_and_cli_with_registered_models(
    fitted, demo_tables, demo_tables_dir, tracking, tmp_path, capsys
):
    health, churn, renewal, _ = fitted
    _register(health.model, "health")
    _register(churn.model, "churn")
    _register(renewal.model, "renewal")
    out = tmp_path / "scores"
    first = score_job(demo_tables, out, AS_OF, config=ScoreConfig(chunk_rows=150))
    manifest = first.manifest
    assert manifest["bands"]["red"] == "health_score < 60" and manifest["previous_as_of"] is None
    schema = pq.read_schema(out / "scores.parquet")
    assert b"customer_health" in schema.metadata
    # the file a CS team loads: names and plans beside the ids, rows in the to-do list's order
    written = first.scores
    names = demo_tables.accounts.set_index("account_id")["name"]
    assert (written["account_name"] == names.loc[written["account_id"]].to_numpy()).all()
    assert written["plan"].notna().all()
    ordered = priority_order(written)["account_id"].tolist()
    assert written["account_id"].tolist() == ordered
    run = mlflow.MlflowClient().get_run(first.run_id)
    assert run.data.params["score_green_from"] == "80"
    assert run.data.metrics["accounts"] == first.summary.accounts
    assert {"band_red", "band_yellow", "band_green", "mean_health_score"} <= set(run.data.metrics)

    previous = first.scores.set_index("account_id")
    later = AS_OF + pd.Timedelta(days=30)
    assert (
        main(["score", str(demo_tables_dir), "--as-of", str(later.date()), "--out", str(out)]) == 0
    )
    printed = capsys.readouterr().out
    assert "Compared with the scores of 2025-10-01" in printed
    scores = pd.read_parquet(out / "scores.parquet")
    assert (scores["previous_as_of"] == AS_OF).all()
    kept = scores["health_change"].notna()
    assert kept.mean() > 0.8
    changes = scores.filter(like="change_").drop(columns="change_summary")
    parts = changes.sum(axis=1)
    now = 100 * scores["year_stay_probability"]
    then = previous["base_score"] + previous.filter(like="points_").sum(axis=1)
    expected = now.to_numpy() - then.reindex(scores["account_id"]).to_numpy()
    # to the file's rounding: each change and each earlier part to 0.05 points, the chance to
    # 0.0005 (0.05 points)
    slack = 0.05 * (changes.shape[1] + previous.filter(like="points_").shape[1] + 2) + 1e-9
    assert np.abs(parts[kept] - expected[kept]).max() <= slack


@pytest.mark.slow
def test_cli_names_missing_features_and_exits_non_zero(
    fitted, demo_tables_dir, tracking, tmp_path, capsys
):
    health, _, _, _ = fitted
    _register(health.model, "health")
    data = tmp_path / "data"
    shutil.copytree(demo_tables_dir, data)
    for table in data.glob("tickets.*"):
        table.unlink()
    out = tmp_path / "scores"
    args = ["score", str(data), "--as-of", str(AS_OF.date()), "--out", str(out), "--no-renewal"]
    assert main(args) == 2
    captured = capsys.readouterr()
    printed = " ".join((captured.out + captured.err).split())
    assert "expects" in printed and "tickets_30d" in printed
    assert not out.exists() or not list(out.glob("*.parquet"))
    with pytest.raises(MissingFeaturesError) as error:
        health.model.prepare(pd.DataFrame({"account_id": ["a"]}))
    assert "tickets_30d" in error.value.missing


def test_cli_scores_without_a_renewal_champion_and_says_so(
    fitted, demo_tables_dir, tracking, tmp_path, capsys
):
    """A young product may have no renewal model: the default renewal champion is optional."""
    health, churn, _, _ = fitted
    _register(health.model, "health")
    _register(churn.model, "churn")
    out = tmp_path / "scores"
    args = ["score", str(demo_tables_dir), "--as-of", str(AS_OF.date()), "--out", str(out)]
    assert main(args) == 0
    captured = capsys.readouterr()
    printed = " ".join((captured.out + captured.err).split())
    assert "no models:/renewal@champion in the store" in printed
    scores = pd.read_parquet(out / "scores.parquet")
    assert len(scores) > 0 and scores["churn_probability"].notna().all()
    assert "renewal_probability" not in scores or scores["renewal_probability"].isna().all()
    explicit = [*args, "--renewal-model", "models:/renewal/1"]
    assert main(explicit) == 1  # named explicitly, a missing model is an error


def moved_renewal(subscriptions: pd.DataFrame, account: str, as_of, days: int) -> pd.DataFrame:
    """``account``'s current term ends ``days`` later (earlier when negative) and its later terms
    move with it: the renewal date is all that changes, the customer's behaviour is the same."""
    subs = subscriptions.copy()
    own = subs["account_id"] == account
    current = own & (subs["start_date"] < as_of) & (subs["end_date"] >= as_of)
    old_end = subs.loc[current, "end_date"].max()
    shift = pd.Timedelta(days=days)
    later = own & (subs["start_date"] >= old_end)
    subs.loc[later, "start_date"] += shift
    subs.loc[own & (subs["end_date"] >= old_end), "end_date"] += shift
    return subs


@pytest.fixture(scope="module")
def term_accounts(fitted):
    """Accounts on a term contract at AS_OF, with the days left in their current term."""
    *_, frame = fitted
    terms = frame.dropna(subset=["days_to_term_end"])
    return terms.set_index("account_id")["days_to_term_end"].sort_index()


def moved_scores(fitted, term_accounts, demo_tables, pick: int, days: int):
    """Scores and explanations before and after moving one term account's renewal by ``days``
    (kept active at AS_OF), the row of that account, and the days it moved by."""
    health, churn, _, frame = fitted
    account = term_accounts.index[pick % len(term_accounts)]
    left = int(term_accounts.iloc[pick % len(term_accounts)])
    days = max(days, 1 - left)  # the term still reaches AS_OF: the account stays active
    moved = dataclasses.replace(
        demo_tables, subscriptions=moved_renewal(demo_tables.subscriptions, account, AS_OF, days)
    )
    after = build_features(moved, [AS_OF], event_types=chosen_types(health.model.features))
    assert (after["account_id"] == frame["account_id"]).all()
    old = score_features(frame, health=health, churn=churn)
    new = score_features(after, health=health, churn=churn)
    row = np.flatnonzero(frame["account_id"].to_numpy() == account)[0]
    assert new[0]["renewal_due_in_days"].iloc[row] == old[0]["renewal_due_in_days"].iloc[row] + days
    return old, new, row, days


MODEL_COLUMNS = ["stay_probability", "decision_months", "health_score", "band", "base_score"]


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pick=st.integers(min_value=0, max_value=10_000), days=st.integers(-14, 14))
def test_moving_the_renewal_date_by_two_weeks_leaves_the_health_score_exactly_as_it_was(
    fitted, term_accounts, demo_tables, pick, days
):
    """The bound is 0, exactly, for a move of up to 14 days: no input of the health model
    depends on when the term ends (``features.catalogue.TIMING_FEATURES`` are not among them),
    and the contract's cadence (``term_months``, which also sets the yearly footing) is the
    term's length in whole months, which two weeks leave as they were for a monthly (28-31 days)
    or an annual (365-366) term. Any tolerance would hide a timing feature creeping back in. The
    calendar columns do move, so the test did move the renewal."""
    (old, _), (new, _), _, _ = moved_scores(fitted, term_accounts, demo_tables, pick, days)
    points = [c for c in old if c.startswith("points_")]
    for column in [*MODEL_COLUMNS, *points]:
        assert (new[column].to_numpy() == old[column].to_numpy()).all(), column


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pick=st.integers(min_value=0, max_value=10_000), days=st.integers(-400, 400))
def test_a_renewal_moved_further_changes_the_score_only_through_the_contracts_cadence(
    fitted, term_accounts, demo_tables, pick, days
):
    """A move of more than two weeks can change the contract itself (a monthly term stretched
    to three months is a quarterly one), and with it the cadence the model sees and the footing.
    Bound: every other account is untouched, exactly; the moved account's behaviour (every
    feature outside the profile) is exactly as it was, and so are its points in log-odds while
    its cadence is (trees keep within one family and the cadence); its months between decisions
    are its term's new whole months, and its score is its chance at the next decision on that
    footing. A new cadence may weigh the same behaviour otherwise: a month's decision is not a
    year's (``training.fit.constraints``)."""
    (old, old_x), (new, new_x), row, moved = moved_scores(
        fitted, term_accounts, demo_tables, pick, days
    )
    others = np.arange(len(old)) != row
    points = [c for c in old if c.startswith("points_")]
    for column in [*MODEL_COLUMNS, *points]:
        assert (new[column].to_numpy()[others] == old[column].to_numpy()[others]).all(), column
    account = old["account_id"].iloc[row]
    behaviour = [f for f in fitted[0].model.features if not is_profile(f)]

    def mine(explanations: pd.DataFrame, column: str) -> np.ndarray:
        rows = explanations[explanations["account_id"] == account]
        return rows.set_index(rows["feature"].astype(str))[column].loc[behaviour].to_numpy()

    assert np.array_equal(mine(new_x, "value"), mine(old_x, "value"), equal_nan=True)
    *_, frame = fitted
    length = frame["term_length_days"].iloc[row] + moved
    months = max(round(length / (365.25 / 12)), 1)
    assert new["decision_months"].iloc[row] == months
    if months == old["decision_months"].iloc[row]:
        assert (mine(new_x, "shap_value") == mine(old_x, "shap_value")).all()
    p = new["stay_probability"].iloc[row]
    assert new["health_score"].iloc[row] == round(100 * p ** (12 / months))
