"""The split: no training label window reaches the validation period; K-fold keeps accounts whole."""

from __future__ import annotations

import numpy as np
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


def labelled(churned: list[float], dates: list[str] | None = None, accounts=None) -> pd.DataFrame:
    """A matrix of given labels: one row each, as-of dates and account ids as given (or one date
    and one account per row)."""
    n = len(churned)
    return pd.DataFrame(
        {
            "account_id": accounts if accounts is not None else [f"A{i:03d}" for i in range(n)],
            "as_of": pd.to_datetime(dates if dates is not None else ["2024-01-01"] * n),
            "churned": churned,
        }
    )


def test_early_stopping_holds_out_the_latest_fifth_of_the_dates(planted):
    # Ten dates: 10 // 5 = 2 hold out (not 1); inner dates keep the 30-day gap before the first.
    train = planted(accounts=30, dates=10, every_days=30)
    dates = sorted(pd.Timestamp(d) for d in train["as_of"].unique())
    inner, stop = early_stopping_split(train, "churned", gap_days=30)
    assert sorted(set(stop["as_of"])) == dates[8:]
    assert sorted(set(inner["as_of"])) == dates[:7]  # dates[7] is exactly 30 days before dates[8]
    assert len(stop) == 60 and len(inner) == 210
    # Two dates 30 days apart, no gap: the later one stops, the earlier one trains.
    two = planted(accounts=30, dates=2, every_days=30)
    inner, stop = early_stopping_split(two, "churned", gap_days=0)
    assert set(inner["as_of"]) == {dates[0]} and set(stop["as_of"]) == {dates[1]}
    # Six dates: 6 // 5 = 1 date holds out.
    six = planted(accounts=30, dates=6, every_days=30)
    inner, stop = early_stopping_split(six, "churned", gap_days=0)
    assert set(stop["as_of"]) == {dates[5]} and set(inner["as_of"]) == set(dates[:5])


def test_early_stopping_falls_back_to_an_80_20_split_grouped_by_account(planted):
    # One as-of date: no time to hold out, so one fold of five (about 100 of 500 rows) stops.
    train = planted(accounts=500, dates=1)
    inner, stop = early_stopping_split(train, "churned", gap_days=104)
    assert 90 <= len(stop) <= 110 and len(inner) + len(stop) == 500
    assert set(inner["account_id"]).isdisjoint(stop["account_id"])
    assert abs(stop["churned"].mean() - train["churned"].mean()) < 0.03  # stratified
    assert list(stop.columns) == list(train.columns)
    # Seeded: the default seed is 0, the same seed gives the same rows, another seed others.
    again, _ = early_stopping_split(train, "churned", gap_days=104, seed=0)
    other, _ = early_stopping_split(train, "churned", gap_days=104, seed=1)
    assert inner.index.equals(again.index) and not inner.index.equals(other.index)


def test_early_stopping_falls_back_when_the_latest_dates_lack_a_class():
    # Six dates of 20 accounts; the last date (the one that would stop) has no churn at all.
    # Accounts repeat across dates, so the fallback must keep each account on one side.
    dates = pd.date_range("2024-01-01", periods=6, freq="30D")
    churned = [float(i % 4 == 0) for i in range(100)] + [0.0] * 20
    frame = labelled(
        churned,
        dates=list(np.repeat(dates, 20)),
        accounts=[f"A{i:02d}" for i in range(20)] * 6,
    )
    inner, stop = early_stopping_split(frame, "churned", gap_days=0)
    assert set(stop["as_of"]) != {dates[-1]}  # not the time split
    assert set(inner["account_id"]).isdisjoint(stop["account_id"])
    assert len(stop) == 24 and len(inner) == 96  # 4 of 20 accounts, all six dates each
    # The same when the earlier dates lack a class and the last has both.
    churned = [0.0] * 100 + [float(i % 4 == 0) for i in range(20)]
    frame["churned"] = churned
    result = early_stopping_split(frame, "churned", gap_days=0)
    # 5 churns in all, at the last date: each fold gets one, so a split exists, grouped.
    assert result is not None
    inner, stop = result
    assert set(stop["as_of"]) != {dates[-1]}
    assert inner["churned"].sum() == 4 and stop["churned"].sum() == 1


def test_early_stopping_needs_five_rows_of_each_class_and_both_classes_on_each_side():
    # Exactly five churns among 50 accounts: one per fold, so both sides have both classes.
    five = labelled([1.0] * 5 + [0.0] * 45)
    inner, stop = early_stopping_split(five, "churned", gap_days=0)
    assert (inner["churned"].sum(), stop["churned"].sum()) == (4, 1)
    assert (len(inner), len(stop)) == (40, 10)
    # Four churns: fewer than five of a class, no split.
    assert early_stopping_split(labelled([1.0] * 4 + [0.0] * 46), "churned", gap_days=0) is None
    # Five churns all of one account: the account sits in one fold, so one side has no churn.
    accounts = ["A000"] * 5 + [f"A{i:03d}" for i in range(1, 46)]
    grouped = labelled([1.0] * 5 + [0.0] * 45, accounts=accounts)
    assert early_stopping_split(grouped, "churned", gap_days=0) is None


def test_kfold_defaults_and_what_the_split_records(planted):
    matrix = planted(accounts=400, dates=1)
    split = kfold_split(matrix, "churned")  # the defaults: five folds, seed 0
    assert sorted(set(split.folds)) == [0, 1, 2, 3, 4] and split.folds.dtype.kind == "i"
    assert np.array_equal(split.folds, kfold_split(matrix, "churned", 5, seed=0).folds)
    assert not np.array_equal(split.folds, kfold_split(matrix, "churned", 5, seed=1).folds)
    assert split.train.equals(matrix) and split.validation.equals(matrix)  # index 0.., no column
    assert split.train_dates == [pd.Timestamp("2024-01-01")] == split.validation_dates
    assert split.gap_days == 0
    three = kfold_split(matrix, "churned", folds=3)
    assert sorted(set(three.folds)) == [0, 1, 2] and three.scheme == "stratified-3-fold"
    # validation_split passes its seed on (default 0).
    assert np.array_equal(validation_split(matrix, "churned", 104).folds, split.folds)
    seeded = validation_split(matrix, "churned", 104, seed=1).folds
    assert np.array_equal(seeded, kfold_split(matrix, "churned", 5, seed=1).folds)
    # Rows of an unknown label are left out and the rest renumbered from 0.
    gappy = matrix.copy()
    gappy.loc[:9, "churned"] = float("nan")
    split = kfold_split(gappy, "churned")
    assert len(split.train) == 390 and list(split.train.index) == list(range(390))
    assert list(split.train.columns) == list(matrix.columns)


def test_kfold_needs_as_many_rows_of_each_class_as_folds():
    # Exactly five churns for five folds: one in each.
    split = kfold_split(labelled([1.0] * 5 + [0.0] * 45), "churned", folds=5)
    assert sorted(split.folds[:5]) == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError) as error:
        kfold_split(labelled([1.0] * 4 + [0.0] * 46), "churned", folds=5)
    assert str(error.value) == (
        "stratified 5-fold validation needs at least 5 rows of each class of 'churned', "
        "found [46, 4]"
    )
    with pytest.raises(ValueError) as error:
        kfold_split(labelled([0.0] * 40), "churned", folds=5)
    assert str(error.value).endswith("found [40, 0]")


def test_out_of_time_validates_on_the_last_three_dates_by_default(planted):
    matrix = planted(accounts=10, dates=8, every_days=30)
    dates = sorted(pd.Timestamp(d) for d in matrix["as_of"].unique())
    assert out_of_time_split(matrix, "churned", gap_days=0).validation_dates == dates[5:]


def test_each_rows_own_known_date_decides_training_when_labels_settle_row_by_row():
    # The health label ("stayed") is known 14 grace days after each row's own decision point:
    # days_to_term_end after as_of, or the 90-day horizon for an open-ended term.
    from training.train import TrainConfig

    known_from = TrainConfig().known_from("stayed")
    to_end = {"open": np.nan, "a": 15.0, "b": 15.0, "edge": 16.0, "late": 300.0}
    stayed = {"open": 1.0, "a": 1.0, "b": 0.0, "late": 1.0}
    dates = pd.date_range("2024-01-01", periods=6, freq="MS")  # the 1st of January .. June
    matrix = pd.DataFrame(
        [
            {
                "account_id": account,
                "as_of": as_of,
                "days_to_term_end": days,
                "stayed": stayed.get(account, float(i % 2)),  # edge: 0, 1, 0, 1, ..
            }
            for i, as_of in enumerate(dates)
            for account, days in to_end.items()
        ]
    )
    # Validation from 2024-05-01. Known before it: open only at 01-01 (+104 days: 04-14; from
    # 02-01 it is 05-15); a and b at 01-01 .. 04-01 (+29 days: 04-30 at the latest); edge at
    # 01-01 .. 03-01 (+30 days), not at 04-01, known exactly on 05-01; late never (+314 days).
    expected = {("open", "2024-01-01")}
    expected |= {(a, f"2024-0{m}-01") for a in ("a", "b") for m in (1, 2, 3, 4)}
    expected |= {("edge", f"2024-0{m}-01") for m in (1, 2, 3)}

    def rows(frame):
        return {
            (a, str(d.date())) for a, d in zip(frame["account_id"], frame["as_of"], strict=True)
        }

    # gap_days is only the fallback of rows without their own date: 0 would let every row in.
    split = out_of_time_split(matrix, "stayed", 0, validation_dates=2, known_from=known_from)
    assert rows(split.train) == expected
    assert split.validation_dates == [pd.Timestamp("2024-05-01"), pd.Timestamp("2024-06-01")]
    assert len(split.validation) == 10
    # The recorded gap: the last training label known (a and b at 04-01, on 04-30) is 29 days
    # after the last training date (04-01).
    assert split.gap_days == 29
    # validation_split hands the dates on (a fixed 200-day gap would leave no training date).
    same = validation_split(matrix, "stayed", 200, validation_dates=2, known_from=known_from)
    assert rows(same.train) == expected and same.gap_days == 29

    # Early stopping inside training holds out its latest date (04-01: a and b, both classes)
    # and keeps the rows known before it: a, b and edge at 01-01 .. 03-01 (open's 04-14 is not).
    # The 29-day gap alone would keep open's 01-01 too.
    inner, stop = early_stopping_split(split.train, "stayed", 29, known_from=known_from)
    assert rows(stop) == {("a", "2024-04-01"), ("b", "2024-04-01")}
    assert rows(inner) == {(a, f"2024-0{m}-01") for a in ("a", "b", "edge") for m in (1, 2, 3)}
