"""The champion gate's decision by hand, on its pure functions (no registry, no model).

Every branch: the same rows (the validation fingerprint), the registry settles it (same rows, K-fold), the champion's labels settle before the
window or not, the champion scored on the challenger's rows, and beat / tie / below. Each expected
AUC and sentence is worked out here; ``tests/training/test_gate.py`` runs the same branches
through a real MLflow registry.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from training.guard import (
    Comparison,
    champion_decision,
    logged_comparison,
    scored_comparison,
    unsettled,
)
from training.split import OUT_OF_TIME as OUT_OF_TIME_SCHEME
from training.split import Split
from training.train import validation_fingerprint

SAME_ROWS = "validated on the same rows and labels"
SCORED = "champion scored on these rows"
KFOLD = "was validated on other rows (K-fold results compare only on the same rows)"
NO_END = "does not record when its training labels end"
# Trained out of time to 2024-05-30 with a 104-day gap: labels settle by 2024-05-30 + 104 days
# = 2024-09-11 (May 31 is +1, June 30 +31, July 31 +62, August 31 +93, September 11 +104).
OUT_OF_TIME = {"validation": "out-of-time", "train_end": "2024-05-30", "gap_days": 104}


def test_a_champion_validated_on_the_same_rows_brings_its_logged_auc():
    for out_of_time in (True, False):  # the same rows compare whatever the split
        assert logged_comparison(True, 0.8125, out_of_time) == Comparison(0.8125, SAME_ROWS)


def test_a_kfold_challenger_compares_only_on_the_same_rows():
    assert logged_comparison(False, 0.8125, False) == Comparison(None, KFOLD)
    # The same fingerprint but nothing logged is no comparison either.
    assert logged_comparison(True, None, False) == Comparison(None, KFOLD)


def test_an_out_of_time_challenger_on_other_rows_needs_the_champion_scored():
    assert logged_comparison(False, 0.8125, True) is None
    assert logged_comparison(True, None, True) is None


def test_the_champions_labels_must_settle_before_the_window():
    assert unsettled(OUT_OF_TIME, pd.Timestamp("2024-09-12")) is None
    assert unsettled(OUT_OF_TIME, pd.Timestamp("2024-09-11")) == (
        "trained on labels up to 2024-09-11, inside this window (2024-09-11..)"
    )
    assert unsettled(OUT_OF_TIME, pd.Timestamp("2024-07-01")) == (
        "trained on labels up to 2024-09-11, inside this window (2024-07-01..)"
    )
    # A shorter gap settles earlier: 2024-05-30 + 30 days = 2024-06-29.
    shorter = {**OUT_OF_TIME, "gap_days": 30}
    assert unsettled(shorter, pd.Timestamp("2024-06-30")) is None
    assert unsettled(shorter, pd.Timestamp("2024-06-29")) is not None


def test_a_champion_that_does_not_say_when_its_labels_end_is_not_scored():
    first = pd.Timestamp("2025-01-01")
    assert unsettled({}, first) == NO_END
    assert unsettled({**OUT_OF_TIME, "validation": "5-fold"}, first) == NO_END
    no_end = {"validation": "out-of-time", "gap_days": 104}
    assert unsettled(no_end, first) == NO_END


def test_the_champion_scored_on_the_challengers_rows_by_hand():
    # Positives score 0.4 and 0.8, negatives 0.1 and 0.6: 3 of the 4 (positive, negative) pairs
    # are ordered right, AUC 3/4.
    labels = np.array([0, 0, 1, 1])
    assert scored_comparison(labels, np.array([0.1, 0.6, 0.4, 0.8])) == Comparison(0.75, SCORED)
    # A tie between a positive and a negative counts half: positives 0.2 and 0.9 against
    # negatives 0.2 and 0.1 give 0.5 + 1 + 1 + 1 = 3.5 of 4 pairs, AUC 0.875.
    tied = scored_comparison(np.array([0, 1, 0, 1]), np.array([0.2, 0.2, 0.1, 0.9]))
    assert tied == Comparison(0.875, SCORED)
    # Ranked backwards: AUC 0.
    backwards = scored_comparison(labels, np.array([0.9, 0.8, 0.2, 0.1]))
    assert backwards == Comparison(0.0, SCORED)


def test_the_challenger_must_beat_the_champion_scored_on_its_rows():
    champion = Comparison(0.75, SCORED)  # the 3-of-4-pairs champion above
    assert champion_decision(0.875, "2", champion) == (
        True,
        "val_roc_auc 0.8750 beats champion v2's 0.7500 on the same validation window "
        "(champion scored on these rows)",
    )
    assert champion_decision(0.75, "2", champion) == (
        False,
        "not promoted: val_roc_auc 0.7500 ties champion v2's 0.7500 on the same validation "
        "window (champion scored on these rows)",
    )
    assert champion_decision(0.5, "2", champion) == (
        False,
        "not promoted: val_roc_auc 0.5000 is below champion v2's 0.7500 on the same validation "
        "window (champion scored on these rows)",
    )


def test_a_tie_keeps_the_champion_and_only_strictly_more_promotes():
    logged = Comparison(0.8125, SAME_ROWS)
    promoted, reason = champion_decision(0.8125, "7", logged)
    assert not promoted
    assert reason == (
        "not promoted: val_roc_auc 0.8125 ties champion v7's 0.8125 on the same validation "
        "window (validated on the same rows and labels)"
    )
    # Above by less than the printed precision still beats it (and says so at four places).
    assert champion_decision(0.81251, "7", logged) == (
        True,
        "val_roc_auc 0.8125 beats champion v7's 0.8125 on the same validation window "
        "(validated on the same rows and labels)",
    )
    # Below by as little is below, not a tie.
    promoted, reason = champion_decision(0.81249, "7", logged)
    assert not promoted and " is below champion v7's 0.8125 " in reason


def test_no_comparison_keeps_the_champion_and_says_why():
    for how in (KFOLD, NO_END, "trained on labels up to 2024-09-11, inside this window"):
        assert champion_decision(0.99, "3", Comparison(None, how)) == (
            False,
            f"not promoted: champion v3 {how}, so the two cannot be compared on the same "
            "validation window; champion kept (move the alias by hand to override)",
        )


def window(
    accounts=("A1", "A2", "A3", "A4"), first="2024-09-12", scheme=OUT_OF_TIME_SCHEME, folds=None
):
    """A validation split of four rows at one as-of date, built by hand."""
    as_of = pd.Timestamp(first)
    validation = pd.DataFrame({"account_id": list(accounts), "as_of": [as_of] * len(accounts)})
    return Split(
        train=validation.iloc[:0],
        validation=validation,
        train_dates=[as_of - pd.Timedelta(days=200)],
        validation_dates=[as_of],
        gap_days=104,
        scheme=scheme,
        folds=folds,
    )


LABELS = np.array([0, 1, 0, 1])
PINNED = "c5f5b7f2c79b4626-out-of-time"  # window() with LABELS, as every release has written it


def test_the_same_rows_and_labels_give_the_same_fingerprint_across_releases():
    # Champions registered by an earlier release are found on the same rows by this string: it
    # is pinned, so a change to what is hashed (or how) shows here, not as champions that
    # silently stop comparing on the same rows.
    assert validation_fingerprint(window(), LABELS) == PINNED
    assert validation_fingerprint(window(), LABELS.copy()) == PINNED
    # Account ids read as numbers in one run and as text in another are the same accounts.
    numbers = validation_fingerprint(window(accounts=(1, 2, 3, 4)), LABELS)
    assert numbers == validation_fingerprint(window(accounts=("1", "2", "3", "4")), LABELS)


def test_one_account_one_day_one_label_or_one_fold_makes_another_window():
    others = {
        validation_fingerprint(window(), np.array([0, 1, 1, 1])),
        validation_fingerprint(window(accounts=("A1", "A2", "A3", "A5")), LABELS),
        validation_fingerprint(window(first="2024-09-13"), LABELS),
        validation_fingerprint(window(scheme="stratified-4-fold", folds=np.arange(4)), LABELS),
        validation_fingerprint(
            window(scheme="stratified-4-fold", folds=np.array([1, 0, 2, 3])), LABELS
        ),
    }
    assert len(others) == 5 and PINNED not in others
    # The scheme alone (the same rows, folds and labels) tells two windows apart too.
    one_fold = validation_fingerprint(window(folds=np.zeros(4, dtype=int)), LABELS)
    assert one_fold.split("-")[0] == PINNED.split("-")[0] and one_fold.endswith("-out-of-time")
    assert validation_fingerprint(window(scheme="stratified-4-fold"), LABELS) == (
        PINNED.split("-")[0] + "-stratified-4-fold"
    )
