"""Labels on a hand-made timeline (DESIGN section 2), checked date by date."""

import numpy as np
import pandas as pd
import pytest

from features.labels import LabelConfig, coverage_spells, labels
from features.timeline import active_grid

T = pd.Timestamp


def subs(rows):
    frame = pd.DataFrame(rows, columns=["account_id", "start_date", "end_date"])
    frame["start_date"] = pd.to_datetime(frame["start_date"])
    frame["end_date"] = pd.to_datetime(frame["end_date"])
    return frame


# A: annual terms, renews once, then leaves on 2025-01-01.
# B: monthly terms with a 10-day gap (within grace) then stops on 2024-06-11.
# C: one open-ended term from 2024-01-01.
# D: term ends 2024-04-01, comes back 2024-05-01 (30 days later: a churn, then a new spell).
TIMELINE = subs(
    [
        ("A", "2023-01-01", "2024-01-01"),
        ("A", "2024-01-01", "2025-01-01"),
        ("B", "2024-01-01", "2024-02-01"),
        ("B", "2024-02-01", "2024-03-01"),
        ("B", "2024-03-11", "2024-04-11"),
        ("B", "2024-04-11", "2024-05-11"),
        ("B", "2024-05-11", "2024-06-11"),
        ("C", "2024-01-01", None),
        ("D", "2024-01-01", "2024-04-01"),
        ("D", "2024-05-01", "2024-08-01"),
    ]
)
CONFIG = LabelConfig(horizon_days=90, renewal_window_days=120, grace_days=14)


def label_at(as_of, data_end="2026-01-01"):
    grid = active_grid(TIMELINE, [T(as_of)])
    out = labels(TIMELINE, grid, T(data_end), CONFIG).set_index("account_id")
    return out


def test_spells_merge_renewals_and_gaps_within_grace():
    spells = coverage_spells(TIMELINE, grace_days=14).set_index("account_id")
    assert spells.loc["A", "spell_end"] == T("2025-01-01")
    assert spells.loc["B", "spell_start"] == T("2024-01-01")
    assert spells.loc["B", "spell_end"] == T("2024-06-11")
    assert len(spells.loc[["D"]]) == 2  # a 30-day gap is longer than the grace


def test_active_accounts_need_a_known_term_reaching_the_date():
    grid = active_grid(TIMELINE, [T("2024-03-05")])
    # B is between terms (gap 2024-03-01..03-11) and its next term is not known yet.
    assert sorted(grid["account_id"]) == ["A", "C", "D"]
    # A term starting on the as-of date is not known at it.
    assert "B" not in set(active_grid(TIMELINE, [T("2024-01-01")])["account_id"])


def test_churn_label_by_hand():
    out = label_at("2024-04-01")
    assert out.loc["A", "churned"] == 0  # ends 2025-01-01, beyond 90 days
    assert out.loc["B", "churned"] == 1  # coverage ends 2024-06-11, within 90 days
    assert out.loc["C", "churned"] == 0  # open-ended
    assert out.loc["D", "churned"] == 1  # ends 2024-04-01 (on the date), back only after grace
    out = label_at("2024-10-15")
    assert out.loc["A", "churned"] == 1  # 2025-01-01 is 78 days later


def test_renewal_label_by_hand():
    out = label_at("2023-10-01")
    assert out.loc["A", "renewed"] == 1  # term ends 2024-01-01, the next term continues it
    out = label_at("2024-04-01")
    assert out.loc["B", "renewed"] == 1  # monthly term ends 04-11, continued on 04-11
    assert np.isnan(out.loc["A", "renewed"])  # term ends 2025-01-01: outside 120 days
    assert np.isnan(out.loc["C", "renewed"])  # no term end at all
    assert out.loc["D", "renewed"] == 0
    out = label_at("2024-06-01")
    assert out.loc["B", "renewed"] == 0  # last term ends 06-11, nothing follows


def test_labels_past_the_data_end_are_censored():
    out = label_at("2024-04-01", data_end="2024-06-01")
    # 2024-04-01 + 90 + 14 days is after the data end: churn unknown.
    assert out["churned"].isna().all()
    # B's term ends 04-11 and 04-11 + 14 < 06-01: renewal is known.
    assert out.loc["B", "renewed"] == 1


@pytest.mark.parametrize("as_of", ["2024-02-15", "2024-04-01", "2024-05-20"])
def test_renewal_and_churn_agree_when_the_term_ends_inside_the_horizon(as_of):
    out = label_at(as_of)
    both = out.dropna()
    ends_soon = both[both["renewed"] == 0]
    assert (ends_soon["churned"] == 1).all()
