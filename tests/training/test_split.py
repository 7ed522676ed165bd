"""The split: no training label window reaches the validation period; K-fold keeps accounts whole."""

from __future__ import annotations

import pandas as pd
import pytest

from training.split import early_stopping_split, kfold_split, out_of_time_split, validation_split


@pytest.mark.parametrize("gap_days", [0, 29, 30, 104, 134, 200])
def test_no_training_label_window_overlaps_validation(planted, gap_days):
    matrix = planted(accounts=50, dates=14)
    split = out_of_time_split(matrix, "churned", gap_days, validation_dates=3)
    first_validation = min(split.validation["as_of"])
    assert (split.train["as_of"] + pd.Timedelta(days=gap_days) < first_validation).all()
    assert split.train_dates == sorted(split.train["as_of"].unique())
    assert set(split.validation["as_of"]) == set(split.validation_dates)
    assert len(split.validation_dates) == 3


def test_the_gap_drops_dates_whose_labels_reach_validation(planted):
    matrix = planted(accounts=20, dates=10, every_days=30)
    split = out_of_time_split(matrix, "churned", gap_days=104, validation_dates=2)
    dates = sorted(matrix["as_of"].unique())
    # validation starts at dates[8]; 104 days before it is between dates[4] and dates[5]
    assert split.train_dates == [pd.Timestamp(d) for d in dates[:5]]


def test_too_little_history_is_an_error_that_says_so(planted):
    matrix = planted(accounts=20, dates=5)
    with pytest.raises(ValueError, match="too little history"):
        out_of_time_split(matrix, "churned", gap_days=200, validation_dates=3)


def test_censored_rows_are_left_out(planted):
    matrix = planted(accounts=30, dates=8)
    matrix.loc[matrix["as_of"] == matrix["as_of"].max(), "churned"] = float("nan")
    split = out_of_time_split(matrix, "churned", gap_days=30, validation_dates=2)
    assert split.validation["churned"].notna().all()
    assert matrix["as_of"].max() not in set(split.validation["as_of"])


def test_early_stopping_split_keeps_the_gap_inside_training(planted):
    matrix = planted(accounts=60, dates=14)
    train = out_of_time_split(matrix, "churned", 60, 3).train
    inner, stop = early_stopping_split(train, "churned", gap_days=60)
    assert (inner["as_of"] + pd.Timedelta(days=60) < stop["as_of"].min()).all()
    assert stop["as_of"].max() == train["as_of"].max()


def test_one_as_of_date_falls_back_to_stratified_kfold_grouped_by_account(planted):
    matrix = planted(accounts=400, dates=1)
    # A repeated account must never sit in two folds.
    matrix = pd.concat([matrix, matrix.head(40).assign(as_of=matrix["as_of"])], ignore_index=True)
    matrix.loc[400:, "account_id"] = matrix.loc[:39, "account_id"].to_numpy()
    split = kfold_split(matrix, "churned", folds=5, seed=0)
    assert split.scheme == "stratified-5-fold" and not split.is_out_of_time
    assert sorted(set(split.folds)) == [0, 1, 2, 3, 4]
    folds_per_account = pd.Series(split.folds).groupby(split.validation["account_id"]).nunique()
    assert (folds_per_account == 1).all()
    rates = pd.Series(split.validation["churned"].to_numpy()).groupby(split.folds).mean()
    assert rates.max() - rates.min() < 0.05  # stratified
    assert validation_split(matrix, "churned", 104).scheme == "stratified-5-fold"


def test_the_gap_is_the_label_window_plus_the_grace_days():
    from features.labels import LabelConfig
    from training.train import TrainConfig

    assert TrainConfig().gap_days("churned") == 90 + 14
    assert TrainConfig().gap_days("renewed") == 120 + 14
    custom = TrainConfig(labels=LabelConfig(horizon_days=30, renewal_window_days=60, grace_days=7))
    assert (custom.gap_days("churned"), custom.gap_days("renewed")) == (37, 67)


def test_a_date_exactly_one_gap_before_validation_is_left_out(planted):
    # Dates every 26 days; the first validation date is dates[8], 8 x 26 = 208 days in.
    # A gap of 104 days puts the cut exactly on dates[4] (104 days in): it is left out.
    matrix = planted(accounts=20, dates=10, every_days=26)
    dates = sorted(pd.Timestamp(d) for d in matrix["as_of"].unique())
    split = out_of_time_split(matrix, "churned", gap_days=104, validation_dates=2)
    assert split.validation_dates == dates[8:]
    assert split.train_dates == dates[:4]
    split = out_of_time_split(matrix, "churned", gap_days=103, validation_dates=2)
    assert split.train_dates == dates[:5]


def test_several_dates_validate_out_of_time_by_default_on_the_last_three(planted):
    matrix = planted(accounts=20, dates=6, every_days=30)
    dates = sorted(pd.Timestamp(d) for d in matrix["as_of"].unique())
    split = validation_split(matrix, "churned", gap_days=30)
    assert split.is_out_of_time and split.gap_days == 30
    assert split.validation_dates == dates[3:]
    assert split.train_dates == dates[:2]  # dates[2] is exactly 30 days before validation
    assert len(split.validation) == 60 and set(split.train["as_of"]) == set(dates[:2])
    # Two dates are already a time series; one is not.
    two = planted(accounts=50, dates=2, every_days=30)
    assert validation_split(two, "churned", 0, validation_dates=1).is_out_of_time


def test_the_history_errors_name_what_is_needed(planted):
    four = planted(accounts=20, dates=4, every_days=30)
    assert len(out_of_time_split(four, "churned", 0, validation_dates=3).train_dates) == 1
    three = planted(accounts=20, dates=3, every_days=30)
    with pytest.raises(ValueError) as error:
        out_of_time_split(three, "churned", 0, validation_dates=3)
    assert str(error.value) == (
        "out-of-time validation needs at least 4 as-of dates with a known 'churned' label, "
        "found 3: use more history or a shorter horizon"
    )
    with pytest.raises(ValueError) as error:
        out_of_time_split(four, "churned", 30, validation_dates=3)
    assert str(error.value) == (
        "no as-of date is more than 30 days before the validation period starting 2024-01-31: "
        "the data covers too little history for 'churned'"
    )
