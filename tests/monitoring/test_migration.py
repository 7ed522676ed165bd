"""Band migration between two scorings, checked account by account."""

from __future__ import annotations

import pandas as pd

from monitoring.migration import biggest_movers, migration_counts, migration_matrix


def scores(as_of: str, rows: dict[str, tuple[str, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": list(rows),
            "as_of": pd.Timestamp(as_of),
            "band": [band for band, _ in rows.values()],
            "health_score": [score for _, score in rows.values()],
        }
    )


BEFORE = scores(
    "2025-01-01", {"a": ("green", 95), "b": ("yellow", 80), "c": ("red", 60), "d": ("green", 92)}
)
AFTER = scores(
    "2025-02-01", {"a": ("yellow", 85), "b": ("yellow", 82), "c": ("green", 91), "e": ("red", 50)}
)


def test_matrix_counts_every_account_once():
    matrix = migration_matrix(BEFORE, AFTER)
    assert matrix.loc["green", "yellow"] == 1  # a
    assert matrix.loc["yellow", "yellow"] == 1  # b
    assert matrix.loc["red", "green"] == 1  # c
    assert matrix.loc["green", "lost"] == 1  # d
    assert matrix.loc["new", "red"] == 1  # e
    # a, b, c in both, d only before, e only after: 5 accounts in all
    assert matrix.to_numpy().sum() == 5
    assert matrix.loc["new", "lost"] == 0


def test_matrix_sums_to_the_union_on_random_scorings():
    import numpy as np

    rng = np.random.default_rng(0)
    bands = np.array(["green", "yellow", "red"])
    ids = np.array([f"A{i}" for i in range(300)])
    before_ids = ids[rng.random(300) < 0.8]
    after_ids = ids[rng.random(300) < 0.8]
    before = pd.DataFrame({"account_id": before_ids, "band": rng.choice(bands, len(before_ids))})
    after = pd.DataFrame({"account_id": after_ids, "band": rng.choice(bands, len(after_ids))})
    matrix = migration_matrix(before, after)
    union = len(set(before_ids) | set(after_ids))
    assert matrix.to_numpy().sum() == union
    assert matrix.loc["new"].sum() == len(set(after_ids) - set(before_ids))
    assert matrix["lost"].sum() == len(set(before_ids) - set(after_ids))


def test_counts_worse_and_better():
    counts = migration_counts(migration_matrix(BEFORE, AFTER))
    assert counts == {"same_band": 1, "worse_band": 1, "better_band": 1, "new": 1, "lost": 1}


def test_biggest_movers_first_with_their_summary():
    movers = biggest_movers(BEFORE, AFTER, top=2)
    # c +31, a -10, b +2: the two largest moves, largest first
    assert movers["account_id"].tolist() == ["c", "a"]
    assert movers["health_change"].tolist() == [31.0, -10.0]
    assert movers["band_before"].tolist() == ["red", "green"]
    assert movers["change_summary"].tolist() == [
        "Up 31 points since 2025-01-01",
        "Down 10 points since 2025-01-01",
    ]
