"""Every reason of the whole demo scoring (``health demo`` as a user runs it: 2,000 accounts,
seed 7) read as a customer-success manager reads it: behaviour only, never a missing value, true in
the direction it is offered against the reference it names, and none for an account at 100."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from features.catalogue import FEATURES, TIMING_FEATURES, Change, Plain
from health.cli import main

pytestmark = pytest.mark.slow

RISKS = [f"risk_{k}" for k in (1, 2, 3)]
# Words that say a thing got better, by the feature's direction (more is better, more is worse).
IMPROVED = {1: (" rose from ", "is rising", " up from "), -1: (" fell from ", "Price fell ")}
WORSENED = {1: (" fell from ", "is falling", " down from "), -1: (" rose from ", "Price rose ")}
PLACEHOLDERS = ("on record", "First term", "not in the data", " - ", "nan")
REFERENCE = re.compile(r"accounts like it that stayed: ([+-]?[\d,.]+)(%| days? ago)?$")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    assert main(["demo", "--out", str(out)]) == 0
    scores = pd.read_parquet(out / "scores" / "scores.parquet")
    explanations = pd.read_parquet(out / "scores" / "explanations.parquet")
    return scores, explanations.set_index(["account_id", "feature"])["value"]


def reasons(scores: pd.DataFrame) -> pd.DataFrame:
    """One row per offered reason: account, feature, sentence, impact, risk or protective."""
    parts = []
    for k in (1, 2, 3):
        part = scores[["account_id", f"risk_feature_{k}", f"risk_driver_{k}", f"risk_impact_{k}"]]
        parts.append(part.set_axis(["account_id", "feature", "sentence", "impact"], axis=1))
    part = scores[["account_id", "protective_feature", "protective_driver", "protective_impact"]]
    parts.append(part.set_axis(["account_id", "feature", "sentence", "impact"], axis=1))
    out = pd.concat(parts, keys=[*RISKS, "protective"], names=["kind"]).reset_index("kind")
    return out[out["feature"].notna()].reset_index(drop=True)


def stated(feature: str) -> str:
    sentence = FEATURES[feature].sentence
    return sentence.column if isinstance(sentence, Plain) and sentence.column else feature


def test_reasons_are_behaviour_never_profile_or_a_missing_value(demo):
    scores, _ = demo
    offered = reasons(scores)
    assert len(offered) >= 300
    assert offered["feature"].isin(list(FEATURES)).all()  # per-type and static columns: never
    kinds = offered["feature"].map(lambda f: FEATURES[f].kind)
    assert (kinds == "behaviour").all()
    assert not offered["feature"].isin(TIMING_FEATURES).any()
    for placeholder in PLACEHOLDERS:
        assert not offered["sentence"].str.contains(placeholder, regex=False).any(), placeholder
    assert (offered["sentence"].str.len() > 20).all()


def test_each_reason_is_on_the_side_of_its_reference_that_it_is_offered_for(demo):
    scores, values = demo
    offered = reasons(scores)
    risk = offered["kind"] != "protective"
    assert (offered.loc[risk, "impact"] <= -1.0).all()
    assert (offered.loc[~risk, "impact"] >= 1.0).all()
    for row in offered.itertuples():
        found = REFERENCE.search(row.sentence)
        assert found, row.sentence
        number, unit = found.groups()
        reference = float(number.replace(",", "")) / (100 if unit == "%" else 1)
        column = stated(row.feature)
        value = values[(row.account_id, column)]
        sign = np.sign(value - reference) * FEATURES[column].direction
        assert sign == (-1 if row.kind != "protective" else 1), (row.sentence, value)


def test_no_risk_says_a_thing_improved_unless_it_is_still_worse(demo):
    scores, _ = demo
    offered = reasons(scores)
    for row in offered.itertuples():
        entry = FEATURES[row.feature]
        up = FEATURES[entry.sentence.now].direction if isinstance(entry.sentence, Change) else 0
        up = up or entry.direction
        risk = row.kind != "protective"
        moved = (IMPROVED if risk else WORSENED)[up]
        if any(word in row.sentence for word in moved):
            side = "below" if (up > 0) == risk else "above"
            assert f"; still {side} accounts like it that stayed: " in row.sentence, row.sentence


def test_an_account_at_100_has_no_reason_and_the_least_healthy_have_one(demo):
    scores, _ = demo
    top = scores[scores["health_score"] >= 100]
    assert top[[f"risk_feature_{k}" for k in (1, 2, 3)]].isna().all().all()
    least = scores.nsmallest(50, "year_stay_probability")
    assert least["risk_feature_1"].notna().mean() >= 0.9
    # the profile adds up in the score as one figure, beside the behaviour families
    points = scores.filter(regex=r"^points_").sum(axis=1) + scores["base_score"]
    # to the file's rounding: eight parts to 0.1 points, the chance to 0.001
    assert np.allclose(points, 100 * scores["year_stay_probability"], atol=0.5)
    assert "points_profile" in scores and scores["points_profile"].abs().sum() > 0
