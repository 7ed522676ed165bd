"""The to-do list's order: most ARR at risk first, then the least healthy, rows without revenue
last; and the chunked summary's first rows equal a sort of everything."""

import numpy as np
import pandas as pd

from serving.score import Summary, first_in_priority, priority_order


def _scores(arr_at_risk, health, ids) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": ids,
            "arr_at_risk": pd.array(arr_at_risk, dtype="Float64"),
            "health_score": health,
            "band": ["green"] * len(ids),
        }
    )


def test_order_by_arr_at_risk_then_health_then_id_and_no_revenue_last():
    frame = _scores([500.0, None, 900.0, 500.0, 500.0], [80, 10, 95, 60, 60], list("abcde"))
    assert priority_order(frame)["account_id"].tolist() == ["c", "d", "e", "a", "b"]


def _random_chunk(rng: np.random.Generator, rows: int, start: int) -> pd.DataFrame:
    risk = rng.choice([0.0, 100.0, 250.0, 250.0, 1_000.0, np.nan], rows)  # many ties, some NaN
    health = rng.integers(40, 100, rows)
    ids = [f"A{i:05d}" for i in rng.permutation(np.arange(start, start + rows))]
    return _scores(np.where(np.isnan(risk), None, risk), health, ids)


def test_first_rows_without_sorting_everything_equal_the_full_sort():
    rng = np.random.default_rng(3)
    for rows, n in [(500, 20), (500, 1), (90, 20), (30, 20), (2_000, 50)]:
        chunk = _random_chunk(rng, rows, 0)
        expected = priority_order(chunk).head(n)
        pd.testing.assert_frame_equal(first_in_priority(chunk, n), expected)


def test_first_rows_when_few_rows_have_a_figure():
    chunk = _scores(
        [None] * 97 + [5.0, 7.0, 1.0], list(range(100)), [f"A{i:03d}" for i in range(100)]
    )
    first = first_in_priority(chunk, 5)
    assert first["account_id"].tolist() == ["A098", "A097", "A099", "A000", "A001"]


def test_summary_over_chunks_keeps_the_first_rows_of_the_whole():
    rng = np.random.default_rng(4)
    parts = [_random_chunk(rng, 400, start) for start in (0, 400, 800)]
    summary = Summary(top_n=20)
    for part in parts:
        summary.add(part)
    whole = priority_order(pd.concat(parts, ignore_index=True)).head(20)
    assert summary.top["account_id"].tolist() == whole["account_id"].tolist()
    assert summary.accounts == 1_200


def test_first_rows_when_no_row_has_a_figure_come_by_health():
    rng = np.random.default_rng(5)
    chunk = _random_chunk(rng, 600, 0)
    chunk["arr_at_risk"] = pd.array([None] * 600, dtype="Float64")
    expected = priority_order(chunk).head(20)
    pd.testing.assert_frame_equal(first_in_priority(chunk, 20), expected)
    assert expected["health_score"].is_monotonic_increasing
