"""Mutation score of the modules that hold the rules, per rule (mutmut; not part of CI).

    python benchmarks/mutation.py                      # every rule, then the table
    python benchmarks/mutation.py --rule labels        # one rule while working on it
    python benchmarks/mutation.py --report             # the table from the last run, no run
    python benchmarks/mutation.py --show               # also print each survivor's diff

mutmut (configured in pyproject.toml, ``[tool.mutmut]``) copies the project into ``mutants/``,
runs the selected fast tests once to learn which tests reach which function, then runs, for each
mutant, only those tests. Results are cached in ``mutants/``: a second run only tries mutants of
functions that changed. On the shared 2-core machine (2 children), every rule but the gate's
registry took 15 minutes from scratch (2026-12-04: labels 139 s, sentences 188 s, atomic outputs
87 s, the rest under 100 s each; two to four times that when the other workers were busy); the
gate registry, which trains and registers a champion per test, took 51 minutes with one child:
run it on its own. A change to the test selection in pyproject.toml makes mutmut drop every
cached result, so the next run starts from scratch.

A survivor is either killed by a new test or listed in ``EQUIVALENT`` with the reason no test can
tell it from the original. Score = killed / (mutants - equivalent); timeouts count as killed.

Mutant ids shift: mutmut numbers a function's mutants in order (``...__mutmut_N``), so any change
to a function renumbers them, and an ``EQUIVALENT`` entry can come to name another mutant. After
changing a rule's code, re-run that rule and re-check each of its entries against
``mutmut show NAME`` (``--report`` prints every entry's reason beside its name).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Each rule: the mutant names (module.function globs) that hold it.
RULES: dict[str, list[str]] = {
    "labels": ["features.labels.*"],
    "timeline": ["features.timeline.*"],
    "point-in-time cut": ["features.pointintime.*"],
    "split and gap": ["training.split.*", "training.config.xǁTrainConfigǁgap_days*"],
    "calibration": ["serving.calibration.*"],
    "champion gate": [
        "training.guard.x_logged_comparison*",
        "training.guard.x_unsettled*",
        "training.guard.x_scored_comparison*",
        "training.guard.x_champion_decision*",
        "training.train.x_validation_fingerprint*",
    ],
    # Reading the registry for those rules: which champion, its run, its model.
    "gate registry": ["training.train.x_champion_gate*", "training.train.x__champion_comparison*"],
    "bands": ["serving.bands.*"],
    "health points": [
        "serving.score.x_health_points*",
        "serving.score.x__sigmoid*",
        "serving.score.x_family_points*",
        "serving.score.x_probability_scores*",
    ],
    "sentences": ["serving.sentences.*"],
    "sentiment": ["features.sentiment.*"],
    "atomic outputs": ["serving.outputs.*", "training.train.x_save_matrix*"],
}

# The tests each rule's mutants run: its own fast test files (or tests, by node id prefix), never
# the whole selection (a band mutant need not train a model through the champion-gate tests).
RULE_TESTS: dict[str, list[str]] = {
    "labels": [
        "tests/features/test_label_boundaries.py",
        "tests/features/test_timeline.py",
        "tests/features/test_stay_label.py",
    ],
    "timeline": ["tests/features/test_timeline.py", "tests/features/test_label_boundaries.py"],
    # The cut by hand and the one build at the exact instant; the random-table properties of
    # test_point_in_time.py take over a minute per mutant on the shared machine.
    "point-in-time cut": [
        "tests/features/test_visible.py",
        "tests/features/test_label_boundaries.py",
        "tests/features/test_point_in_time.py::test_rows_stamped_exactly_at_the_as_of_instant",
    ],
    "split and gap": ["tests/training/test_split.py"],
    # The map and the choice, by hand (the pipeline tests fit boosters: minutes per mutant).
    "calibration": [
        "tests/training/test_calibration.py::test_isotonic_only",
        "tests/training/test_calibration.py::test_identity",
        "tests/training/test_calibration.py::test_calibrators_map",
        "tests/training/test_calibration.py::test_platt_fit_by_hand",
        "tests/training/test_calibration.py::test_platt_chosen_over_isotonic",
        "tests/training/test_calibration.py::test_cross_fitting_is_seeded",
        "tests/training/test_calibration.py::test_identity_when_a_map_only_ties",
        "tests/training/test_calibration.py::test_logit_keeps_the_ends_finite",
    ],
    # The decision by hand (pure, well under a second).
    "champion gate": ["tests/training/test_champion_decision.py"],
    # A real MLflow registry; each test trains and registers a champion (about 15 s a test on
    # the shared machine, so the rule takes tens of minutes: run it last or on its own).
    "gate registry": ["tests/training/test_champion_decision.py", "tests/training/test_gate.py"],
    "bands": ["tests/serving/test_bands.py"],
    "health points": ["tests/serving/test_bands.py"],
    "sentences": ["tests/serving/test_sentences.py"],
    "sentiment": ["tests/features/test_sentiment.py"],
    "atomic outputs": [
        "tests/serving/test_outputs.py",
        "tests/serving/test_published.py",
        "tests/training/test_save_matrix.py",
        "tests/serving/test_csv_safety.py",
    ],
}
STATS = ROOT / "mutants" / "mutmut-stats.json"

# Survivors no test can kill, with the reason (mutant name -> why it is equivalent).
EQUIVALENT: dict[str, str] = {
    **dict.fromkeys(
        [f"features.sentiment.x_sentiment_scores__mutmut_{n}" for n in (12, 26)],
        "str.slice(None, n) for slice(0, n): the same head",
    ),
    "features.sentiment.x_sentiment_scores__mutmut_33": (
        "to_numpy(dtype=None) for dtype=float: the looked-up scores are Python floats assigned "
        "into a float64 array, which converts them exactly as float does"
    ),
    **dict.fromkeys(
        [f"features.labels.x_coverage_spells__mutmut_{n}" for n in (18, 20, 25, 26)],
        "the sort kind of a sort on two columns: pandas ignores kind there (lexsort, stable)",
    ),
    **dict.fromkeys(
        [f"features.labels.x_coverage_spells__mutmut_{n}" for n in (30, 32, 35, 40, 42, 45)],
        "groupby sort=None/True/default before cummax or shift: a transform keeps row order "
        "whatever the group order",
    ),
    **dict.fromkeys(
        [f"features.labels.x_coverage_spells__mutmut_{n}" for n in (65, 67, 70)],
        "groupby('spell') sorted or not: spell ids are a cumulative sum, already increasing "
        "in row order",
    ),
    **dict.fromkeys(
        [f"features.labels.x_coverage_spells__mutmut_{n}" for n in (16, 27)],
        "reset_index keeping the old index as a column in the middle of the function: the "
        "column is never read",
    ),
    **dict.fromkeys(
        [f"features.labels.x_holding_spell_end__mutmut_{n}" for n in (10, 13)],
        "merge on=None: account_id is the only column the two frames share",
    ),
    "features.labels.x_holding_spell_end__mutmut_14": (
        "an inner instead of a left merge: rows without a spell drop out, and the reindex on "
        "every row brings them back as NaT, as the left merge does"
    ),
    "features.labels.x_holding_spell_end__mutmut_23": (
        "spell_start <= as_of: a spell starting on the as-of day cannot sit beside a holding "
        "spell (spells are more than the grace gap apart), and alone it holds nobody who is "
        "active then (a term starting on the as-of day is not known at it)"
    ),
    "features.labels.x_holding_spell_end__mutmut_33": (
        "drop_duplicates on every column: spells never overlap, so at most one holds a row"
    ),
    **dict.fromkeys(
        [f"features.labels.x_labels__mutmut_{n}" for n in (26, 47)],
        "astype(None) is numpy's default float64, the same as astype(float)",
    ),
    **dict.fromkeys(
        [f"features.labels.x_labels__mutmut_{n}" for n in (34, 55)],
        "None assigned into a float64 array is stored as NaN",
    ),
    "features.labels.x_stay_labels__mutmut_24": (
        "astype(None) is numpy's default float64, the same as astype(float)"
    ),
    "features.labels.x_stay_labels__mutmut_28": "None assigned into a float64 array is NaN",
    **dict.fromkeys(
        [f"features.labels.x_label_known_from__mutmut_{n}" for n in (18, 20)],
        "frame.get's default None for NaN without the column: pd.Series(None, dtype=float) on "
        "the frame's index is all NaN, as pd.Series(nan) is",
    ),
    **dict.fromkeys(
        [f"features.labels.x_label_known_from__mutmut_{n}" for n in (27, 30)],
        "dtype=float left out: days_to_term_end is a number column (float, int or nullable "
        "Int64, NaN filled with the horizon), and to_timedelta reads each the same",
    ),
    **dict.fromkeys(
        [
            *(f"serving.sentences.x__text__mutmut_{n}" for n in (3, 6)),
            *(f"serving.sentences.x__choose__mutmut_{n}" for n in (3, 6)),
            *(f"serving.sentences.x__mood_sentence__mutmut_{n}" for n in (39, 42)),
        ],
        "a Series of sentence parts typed str instead of object: every caller takes its "
        "values (.to_numpy() into an object array, or pd.array(dtype='str')), the same strings",
    ),
    **dict.fromkeys(
        [
            "serving.sentences.x__change_sentence__mutmut_21",
            "serving.sentences.x__change_sentence__mutmut_27",
            "serving.sentences.x__days_since_sentence__mutmut_20",
            "serving.sentences.x__generic__mutmut_30",
            "serving.sentences.x__generic__mutmut_36",
            "serving.sentences.x__term__mutmut_21",
            *(f"serving.sentences.x__type_usage__mutmut_{n}" for n in (39, 62, 110)),
            *(f"serving.sentences.x__reference_spec__mutmut_{n}" for n in (16, 20, 25, 32)),
            "serving.sentences.x__mood_sentence__mutmut_50",
        ],
        "format spec 'F' for 'f': they differ only in spelling inf and nan, and NaN is shown as "
        "'-' before any number is formatted (values and references are finite: counts, days, "
        "medians of training rows)",
    ),
    **dict.fromkeys(
        [f"serving.sentences.x__num__mutmut_{n}" for n in (2, 4)],
        "pd.Series(None) or no data on an index for pd.Series(nan): pandas makes both float64 NaN",
    ),
    "serving.sentences.x__num__mutmut_6": (
        "astype(None) is numpy's default float64, the same as astype(float)"
    ),
    "serving.sentences.x__sign__mutmut_2": (
        "to_numpy(dtype=None) for dtype=float: the values come from _num, already float64"
    ),
    "serving.sentences.x__generic__mutmut_8": (
        "to_numeric without errors='coerce': only numeric or bool columns get there (text is "
        "shown as it is), and they have nothing to coerce"
    ),
    "serving.sentences.x__is_text__mutmut_4": (
        "is_bool_dtype(None): is_numeric_dtype is already true for a bool column"
    ),
    "serving.sentences.x__price__mutmut_17": (
        "change >= 0 for > 0 choosing 'rose': where the change is 0 the sentence is replaced by "
        "'unchanged'"
    ),
    "serving.sentences.x__type_usage__mutmut_52": (
        "now <= before for < choosing 'down from': where now == before no trend is shown"
    ),
    **dict.fromkeys(
        [
            *(f"serving.sentences.x_movement__mutmut_{n}" for n in (20, 31, 42)),
            "serving.sentences.x_reason_sentences__mutmut_38",
        ],
        "x / d for x * d: d is a direction these sentences read (UP or DOWN, +1 or -1; a risk's "
        "+1 or a protective reason's -1), and dividing by +-1 is multiplying by it",
    ),
    **dict.fromkeys(
        [f"serving.sentences.x_reason_sentences__mutmut_{n}" for n in (45, 47)],
        "2 or -2 for 1 or -1 in the risk's orientation: only the sign of the product is read",
    ),
    **dict.fromkeys(
        [f"serving.sentences.x_reason_sentences__mutmut_{n}" for n in (14, 16)],
        "the reference's dtype=float left out: side_of_reference hands a float array",
    ),
    "serving.sentences.x_reason_sentences__mutmut_32": (
        "value <= reference for < choosing 'below': the side is written only for a reason on "
        "the worse (risk) or better (protective) side of the reference, which a value equal to "
        "it never is (side_of_reference gives 0 there, and rounding keeps order)"
    ),
    **dict.fromkeys(
        [f"serving.sentences.x_shown__mutmut_{n}" for n in (5, 10, 11, 13, 18)],
        "how the digits are read from the spec: every spec a sentence or reference is written "
        "with has exactly one '.' (split or rsplit, any maxsplit, the no-'.' branch never taken)",
    ),
    **dict.fromkeys(
        [f"serving.sentences.x_shown__mutmut_{n}" for n in (33, 35)],
        "the values' dtype=float left out: side_of_reference hands float arrays",
    ),
    **dict.fromkeys(
        [
            *(f"serving.sentences.x_sentences_for__mutmut_{n}" for n in (3, 6)),
            *(f"serving.sentences.x_reason_sentences_for__mutmut_{n}" for n in (3, 6)),
        ],
        "np.full's dtype=object left out: a None fill makes an object array anyway",
    ),
    "serving.sentences.x__change_sentence__mutmut_39": (
        "b >= 0 for b > 0 in the percentage: a 0 previous value gives inf there, but the "
        "percentage is only shown where b > 0"
    ),
    "serving.sentences.x__change_sentence__mutmut_52": (
        "a <= b for a < b choosing 'fell': where a == b the sentence is replaced by 'held at'"
    ),
    **dict.fromkeys(
        [
            *(f"serving.outputs.x_account_names__mutmut_{n}" for n in (9, 11)),
            *(f"serving.outputs.x_published_scores__mutmut_{n}" for n in (9, 11)),
        ],
        "pd.Series(None) or no data on an index for pd.Series(pd.NA): a float NaN column, which "
        "the str dtype the names are converted to reads as missing all the same",
    ),
    **dict.fromkeys(
        [
            *(f"serving.outputs.x_account_names__mutmut_{n}" for n in (15, 18)),
            "serving.outputs.x_published_scores__mutmut_22",
        ],
        "the names' dtype ('str', object) left out on the way: published_scores maps them and "
        "converts the column to pd.array(dtype='str') itself, the same strings and gaps",
    ),
    **dict.fromkeys(
        [f"serving.outputs.x_fixed_places__mutmut_{n}" for n in (3, 5, 6)],
        "to_numpy(zero_copy_only=None) or no dtype=float: the column is a float column, copied "
        "out as float64 either way",
    ),
    "serving.outputs.x_fixed_places__mutmut_14": (
        "the scaled values left float: Arrow casts a whole float to text without a fraction "
        "('12', not '12.0'), the same digits"
    ),
    "serving.outputs.x_fixed_places__mutmut_24": (
        "a gap scaled from 1 instead of 0: its text is replaced by null at the end"
    ),
    **dict.fromkeys(
        [
            *(f"serving.outputs.x_fixed_places__mutmut_{n}" for n in (31, 33)),
            *(f"serving.outputs.x_fixed_places__mutmut_{n}" for n in (77, 83, 85)),
        ],
        "the Arrow type of the sign or of the null left to inference: numpy text is inferred as "
        "string, and if_else casts the null to the text's string type",
    ),
    "serving.outputs.x_fixed_places__mutmut_41": (
        "v <= 0 for v < 0 beside scaled > 0: a value that scales to more than 0 is not 0"
    ),
    **dict.fromkeys(
        [f"serving.outputs.x_new_set_folder__mutmut_{n}" for n in (11, 13, 15, 16)],
        "the prefix of a set folder's random name: nothing reads the name but the pointer",
    ),
    **dict.fromkeys(
        [
            "serving.outputs.x__tidy__mutmut_4",
            "serving.outputs.x__tidy__mutmut_6",
            "serving.outputs.x__tidy__mutmut_7",
            "serving.outputs.xǁOutputWriterǁ__exit____mutmut_5",
            "serving.outputs.xǁOutputWriterǁ__exit____mutmut_7",
            "serving.outputs.xǁOutputWriterǁ__exit____mutmut_8",
        ],
        "rmtree(ignore_errors) off: removing a whole folder the writer made does not fail",
    ),
    **dict.fromkeys(
        [
            "serving.outputs.x__point__mutmut_13",
            "serving.outputs.x__point__mutmut_14",
            "serving.outputs.x__tidy__mutmut_16",
            "serving.outputs.x__tidy__mutmut_17",
        ],
        "unlink(missing_ok) off where the file is known to exist (the link just made, a "
        "dangling link found by is_symlink)",
    ),
    "serving.outputs.xǁOutputWriterǁ__init____mutmut_5": (
        "staging '' for None before __enter__: __exit__ only runs after __enter__ set it"
    ),
    **dict.fromkeys(
        [f"serving.calibration.x_cross_fitted_calibration__mutmut_{n}" for n in (31, 33)],
        "the shape of the X given to StratifiedKFold.split (1-D, or reshape(-2, 1), which numpy "
        "reads as -1): the splitter reads only its length",
    ),
    "serving.calibration.x_cross_fitted_calibration__mutmut_61": (
        "bincount without minlength=2: it differs only when y has one class, and then the Platt "
        "fits in the folds raise (LogisticRegression needs two classes) before eligibility"
    ),
    **dict.fromkeys(
        [f"serving.calibration.x_fit_calibrator__mutmut_{n}" for n in (12, 14)],
        "max_iter 100 or 1001 for 1000: lbfgs on one feature converges in far fewer than 100 "
        "iterations (separable data have no finite fit under any limit)",
    ),
    "serving.calibration.x_fit_calibrator__mutmut_13": (
        "C 1000001 for 1e6: both leave the fit unpenalised to 1e-6 (test_platt_fit_by_hand "
        "kills the default C=1)"
    ),
    "serving.calibration.x_fit_calibrator__mutmut_21": (
        "reshape(-2, 1) for reshape(-1, 1): numpy reads any negative size as the unknown one"
    ),
    **dict.fromkeys(
        [f"serving.calibration.x_fit_calibrator__mutmut_{n}" for n in (42, 43, 45, 46, 50)],
        "isotonic y_min/y_max 0 and 1 left out or 2: the outcomes are 0 and 1, so every step "
        "(a mean of outcomes) is inside [0, 1] anyway",
    ),
    "serving.calibration.x_fit_calibrator__mutmut_44": (
        "out_of_bounds='clip' left out: the Calibrator applies the steps with np.interp, which "
        "holds the end values; IsotonicRegression.predict is never called"
    ),
    **dict.fromkeys(
        [f"serving.calibration.x_logit__mutmut_{n}" for n in (10, 15, 16)],
        "the numerator's upper clip (1 - 1e-12) left out or raised: p is a probability (<= 1), "
        "so it moves logit(1) by 1e-12 only; the denominator's clip keeps it finite",
    ),
    **dict.fromkeys(
        [f"serving.calibration.x_logit__mutmut_{n}" for n in (20, 27)],
        "the denominator's upper clip (1) left out or 2: 1 - p is at most 1 for a probability",
    ),
    **dict.fromkeys(
        [f"features.timeline.x_active_terms__mutmut_{n}" for n in (9, 11)],
        "the terms frame's index=main.index left out: both columns are Series on that index, "
        "so the frame takes it from them",
    ),
    **dict.fromkeys(
        [f"features.timeline.x_observed_until__mutmut_{n}" for n in (21, 23, 24)],
        "concat without ignore_index: the repeated labels only index a mask built from the same "
        "Series, and only the maximum is read",
    ),
    **dict.fromkeys(
        [f"features.pointintime.x__joined_text__mutmut_{n}" for n in (21, 22, 23, 24, 26)],
        "stripping the joined text or not, keeping empty strings or not: the text only feeds "
        "sentiment_scores, which strips it and gives NaN for a blank one",
    ),
    **dict.fromkeys(
        [f"features.pointintime.x_prepare_tables__mutmut_{n}" for n in (12, 39, 58)],
        "sort kind 'STABLE' for 'stable': numpy reads a sort kind by its first letter, any case",
    ),
    **dict.fromkeys(
        [
            "features.pointintime.x_rows_before__mutmut_8",
            "features.pointintime.x_rows_between__mutmut_9",
            "features.pointintime.x_rows_between__mutmut_20",
        ],
        "searchsorted's side='left' left out: it is the default",
    ),
    **dict.fromkeys(
        [f"features.pointintime.x_visible_tables__mutmut_{n}" for n in (48, 49)],
        "status left out of the blanking: the next lines overwrite status with open/resolved",
    ),
    "features.pointintime.x_visible_tables__mutmut_83": (
        "events=None left out of the visible Tables: None is the field's default"
    ),
    **dict.fromkeys(
        [f"serving.bands.x_decision_months__mutmut_{n}" for n in (5, 7)],
        "the term lengths' dtype=float left out: term_months converts them itself "
        "(to_numeric with errors='coerce', then float)",
    ),
    **dict.fromkeys(
        [f"serving.bands.x_yearly_footing__mutmut_{n}" for n in (9, 11)],
        "the months' dtype=float left out: 12 / months is true division for integer or float "
        "months alike (decision_months hands float64)",
    ),
    **dict.fromkeys(
        [f"serving.score.x_health_points__mutmut_{n}" for n in (23, 25)],
        "errstate divide='ignore' left out: the move is divided by a zero total only where the "
        "margin equals the base, so the move is 0 too (0 / 0 is 'invalid', still ignored)",
    ),
    "training.split.x_early_stopping_split__mutmut_7": (
        "len(dates) >= 1 for > 1: with one date the time branch's inner rows (before the only "
        "date less the gap) are empty, so it falls through to the grouped split as before"
    ),
    "training.split.x_early_stopping_split__mutmut_46": (
        "bincount without minlength=2: it differs only when every label is 0, and then the "
        "grouped split has one class on each side and the both-classes check returns None"
    ),
    "training.split.x_early_stopping_split__mutmut_54": (
        "StratifiedGroupKFold's n_splits left out: its default is 5, the value given"
    ),
    "training.split.x_settled_before__mutmut_14": (
        "as_of <= date for < beside known_from < date: a label is known at least the grace days "
        "after its as-of date, so a row known before the date is dated before it"
    ),
    **dict.fromkeys(
        [f"training.train.x_save_matrix__mutmut_{n}" for n in (8, 11, 13, 14)],
        "the temporary's suffix: only its name changes",
    ),
    "training.train.x_save_matrix__mutmut_9": "delete=None for delete=False: both are false",
    "serving.outputs.xǁOutputWriterǁ__init____mutmut_8": (
        "_published None for False before commit: only its truth is read"
    ),
    "serving.sentences.x__trend__mutmut_21": (
        "slope <= 0 for < 0 choosing 'falling': a slope of 0 is written +0% and so reads 'flat'"
    ),
    "serving.outputs.xǁOutputWriterǁ_write_in_priority_order__mutmut_4": (
        "the held chunks let go as None for []: both release them, and commit reads only their truth"
    ),
    "serving.outputs.xǁOutputWriterǁ_table__mutmut_17": (
        "the frame's own schema metadata dropped from the first chunk's schema: from_pandas "
        "writes pandas' metadata again on every chunk"
    ),
    **dict.fromkeys(
        [f"serving.outputs.xǁOutputWriterǁ_table__mutmut_{n}" for n in (21, 24, 25)],
        "preserve_index on a chunk converted with the first chunk's schema: only the schema's "
        "fields are written, so no index column can appear",
    ),
    **dict.fromkeys(
        ["training.train.x_save_matrix__mutmut_12", "training.train.x_save_matrix__mutmut_15"],
        "delete=True (or the default) on the placeholder temporary: closing deletes it, and "
        "to_parquet writes it again before the rename",
    ),
}

# A mutant that crashes the test process (segfault) is caught as surely as a failing test.
KILLED = {"killed", "timeout", "segfault"}


LOG = ROOT / "mutants" / "mutation.log"


def mutmut(*args: str) -> subprocess.CompletedProcess:
    """mutmut in the project root; ``run`` output goes to mutants/mutation.log (follow it there)."""
    # One OpenMP thread: mutmut forks each mutant from a process whose tests ran LightGBM, and
    # GNU OpenMP's thread pool does not survive a fork (the child waits forever on threads it no
    # longer has: LightGBM's FAQ, "LightGBM hangs when multithreading (OpenMP) and using forking
    # in Linux at the same time"). That is why the champion gate's mutants used to idle.
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "mutmut", *args]
    if args[0] != "run":
        return subprocess.run(command, cwd=ROOT, env=env, text=True, capture_output=True)
    LOG.parent.mkdir(exist_ok=True)
    with LOG.open("a") as log:
        log.write(f"\n$ mutmut {' '.join(args)}\n")
        log.flush()
        return subprocess.run(command, cwd=ROOT, env=env, text=True, stdout=log, stderr=log)


def restrict_tests() -> None:
    """Point every rule function's mutants at all the tests of its rule's files, and only those.

    mutmut maps each function to the tests that reached it in its stats run; functions built at
    import time or added since are missing there, and heavy tests reach light rules.
    """
    stats = json.loads(STATS.read_text())
    known = set(stats["duration_by_test"])
    by_function = stats["tests_by_mangled_function_name"]
    for meta in (ROOT / "mutants").rglob("*.py.meta"):
        for key in json.loads(meta.read_text())["exit_code_by_key"]:
            rule = rule_of(key)
            if rule is not None:
                files = RULE_TESTS[rule]
                function = key.rsplit("__mutmut_", 1)[0]
                by_function[function] = sorted(
                    t for t in known if any(t.startswith(f) for f in files)
                )
    STATS.write_text(json.dumps(stats))


def run_rule(rule: str, max_children: int) -> float:
    """Run mutmut on one rule's mutants; returns the seconds it took."""
    started = time.perf_counter()
    # A first small run generates the mutants and collects (or updates) the stats.
    prepare = mutmut("run", "--max-children", str(max_children), "serving.bands.x_band_rules*")
    if prepare.returncode != 0 or not STATS.exists():
        raise SystemExit(f"mutmut could not prepare (exit {prepare.returncode}): see {LOG}")
    restrict_tests()
    done = mutmut("run", "--max-children", str(max_children), *RULES[rule])
    if done.returncode != 0:
        raise SystemExit(f"mutmut run failed for {rule!r} (exit {done.returncode}): see {LOG}")
    return time.perf_counter() - started


def statuses() -> dict[str, str]:
    """Every mutant's last result, from mutmut's cache."""
    out = {}
    for line in mutmut("results", "--all", "true").stdout.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if name:
            out[name] = status
    return out


def rule_of(name: str) -> str | None:
    for rule, patterns in RULES.items():
        if any(fnmatch.fnmatch(name, p) for p in patterns):
            return rule
    return None


def table(results: dict[str, str], seconds: dict[str, float]) -> list[str]:
    lines = [
        f"| {'rule':<18} | mutants | killed | survived | not run  | equivalent | score | seconds |",
        f"|{'-' * 20}|---------|--------|----------|----------|------------|-------|---------|",
    ]
    totals = [0, 0, 0, 0, 0]
    for rule in RULES:
        mine = {n: s for n, s in results.items() if rule_of(n) == rule}
        if not mine:
            continue
        killed = sum(s in KILLED for s in mine.values())
        equivalent = sum(n in EQUIVALENT and mine[n] == "survived" for n in mine)
        no_tests = sum(s in ("no tests", "not checked") for s in mine.values())
        survived = len(mine) - killed - no_tests - equivalent
        counted = len(mine) - equivalent
        score = 100 * killed / counted if counted else float("nan")
        took = f"{seconds[rule]:.0f}" if rule in seconds else "-"
        lines.append(
            f"| {rule:<18} | {len(mine):>7} | {killed:>6} | {survived:>8} | {no_tests:>8} | "
            f"{equivalent:>10} | {score:>4.0f}% | {took:>7} |"
        )
        for i, n in enumerate((len(mine), killed, survived, no_tests, equivalent)):
            totals[i] += n
    counted = totals[0] - totals[4]
    lines.append(
        f"| {'all rules':<18} | {totals[0]:>7} | {totals[1]:>6} | {totals[2]:>8} | "
        f"{totals[3]:>8} | {totals[4]:>10} | {100 * totals[1] / max(counted, 1):>4.0f}% | "
        f"{sum(seconds.values()):>7.0f} |"
    )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rule", action="append", choices=list(RULES), help="only this rule")
    parser.add_argument("--report", action="store_true", help="print the last results, no run")
    parser.add_argument("--show", action="store_true", help="print each survivor's diff")
    parser.add_argument("--max-children", type=int, default=2, help="parallel mutants (2 cores)")
    args = parser.parse_args(argv)
    seconds: dict[str, float] = {}
    if not args.report:
        for rule in args.rule or list(RULES):
            print(f"mutating {rule} ...", flush=True)
            seconds[rule] = run_rule(rule, args.max_children)
    results = statuses()
    wanted = set(args.rule or RULES)
    results = {n: s for n, s in results.items() if rule_of(n) in wanted}
    print("\n".join(table(results, seconds)))
    survivors = sorted(n for n, s in results.items() if s not in KILLED and n not in EQUIVALENT)
    if survivors:
        print(f"\n{len(survivors)} survivor(s) to kill or to list in EQUIVALENT:")
        for name in survivors:
            print(f"  {name}: {results[name]}")
            if args.show:
                print(mutmut("show", name).stdout)
    equivalent = sorted(n for n in results if n in EQUIVALENT and results[n] == "survived")
    if equivalent:
        print("\nEquivalent (not counted):")
        for name in equivalent:
            print(f"  {name}: {EQUIVALENT[name]}")
    # An entry whose mutant is killed (or gone) names another mutant now: ids shifted.
    stale = sorted(
        n
        for n in EQUIVALENT
        if rule_of(n) in wanted and results.get(n, "gone") not in ("survived", "not checked")
    )
    if stale:
        print(f"\n{len(stale)} EQUIVALENT entries name a mutant that is not a survivor (re-check):")
        for name in stale:
            print(f"  {name}: {results.get(name, 'no such mutant')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
