"""ECE and top-decile lift on rows small enough to work out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from training.metrics import expected_calibration_error, top_decile_lift


def test_ece_on_two_equal_bins():
    # sorted by p: bin 1 = (0.1, 0.3) with no positive, gap |0 - 0.2| = 0.2 over 2 rows;
    # bin 2 = (0.6, 0.8), both positive, gap |1 - 0.7| = 0.3 over 2 rows -> (0.4 + 0.6) / 4
    y, p = np.array([0, 0, 1, 1]), np.array([0.1, 0.3, 0.6, 0.8])
    assert expected_calibration_error(y, p, bins=2) == pytest.approx(0.25)


def test_ece_weights_unequal_bins_by_their_rows():
    # 5 rows in 2 bins of 3 and 2. By p: (0.1, 0.2, 0.4) with labels (0, 0, 1): |1/3 - 0.7/3| =
    # 0.1 over 3 rows; (0.7, 0.9) with labels (1, 1): |1 - 0.8| = 0.2 over 2 -> (0.3 + 0.4) / 5
    y, p = np.array([0, 1, 0, 1, 1]), np.array([0.2, 0.4, 0.1, 0.9, 0.7])
    assert expected_calibration_error(y, p, bins=2) == pytest.approx(0.14)


def test_ece_is_zero_when_each_bin_predicts_its_rate():
    # two bins of 4: predicted 0.25 where 1 of 4 is positive, 0.75 where 3 of 4 are
    y = np.array([0, 1, 0, 0, 1, 1, 0, 1])
    p = np.array([0.25] * 4 + [0.75] * 4)
    assert expected_calibration_error(y, p, bins=2) == pytest.approx(0.0)


def test_top_decile_lift_is_the_top_tenths_rate_over_the_base_rate():
    # 20 rows, 4 positives (base rate 0.2); the top 10% is the 2 highest scores
    y = np.zeros(20)
    y[[0, 5, 10, 15]] = 1
    p = np.linspace(0.01, 0.2, 20)[::-1].copy()  # row 0 scores highest, row 1 next
    assert top_decile_lift(y, p) == pytest.approx(0.5 / 0.2)  # rows 0 and 1: one positive
    p[5] = 0.5  # row 5 (positive) now tops the list, row 0 second: both positive
    assert top_decile_lift(y, p) == pytest.approx(1.0 / 0.2)


def test_top_decile_rounds_up_to_whole_rows_and_keeps_ties_in_order():
    # 15 rows: 10% is 1.5, so the top 2 rows count; equal scores keep their order (rows 0, 1)
    y = np.array([0, 1] + [0] * 12 + [1])
    p = np.full(15, 0.3)
    assert top_decile_lift(y, p) == pytest.approx((1 / 2) / (2 / 15))


def test_top_decile_lift_without_positives_is_undefined():
    assert np.isnan(top_decile_lift(np.zeros(10), np.linspace(0, 1, 10)))
