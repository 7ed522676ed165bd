"""The to-do list as printed: names, priority order, and reasons that stay readable when the
console is narrow (a pipe, CI, an 80-column terminal)."""

import pandas as pd
from rich.console import Console

from health.tables import print_top_risk


def _scores(names: bool = True) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "account_id": ["A1", "A2", "A3"],
            "as_of": pd.Timestamp("2025-12-31"),
            "health_score": [90, 40, 70],
            "band": ["green", "red", "yellow"],
            "churn_probability": [0.05, 0.5, 0.2],
            "arr_at_risk": [500.0, 9_000.0, 2_000.0],
            "arr": [10_000, 18_000, 10_000],
            "renewal_due_in_days": [200.0, 18.0, None],
            "risk_driver_1": [None, "Active on 2 of the last 30 days", "3 open tickets"],
        }
    )
    if names:
        frame.insert(1, "account_name", ["Acme GmbH", "Globex Ltd", "Initech AB"])
    return frame


def _printed(scores: pd.DataFrame, width: int) -> list[str]:
    console = Console(width=width, record=True, highlight=False)
    print_top_risk(console, scores)
    return console.export_text().splitlines()


def test_narrow_console_lists_each_reason_whole_below_the_table_in_priority_order():
    lines = _printed(_scores(), 80)
    rows = [line for line in lines if line.startswith("│")]
    assert [row.split("│")[2].strip() for row in rows] == ["Globex Ltd", "Initech AB", "Acme GmbH"]
    start = lines.index("Top reason:")
    assert lines[start + 1 : start + 3] == [
        "  1. Globex Ltd: Active on 2 of the last 30 days",
        "  2. Initech AB: 3 open tickets",
    ]
    assert "open-ended" in rows[1]
    assert lines[start + 3].startswith("ARR in red: 18,000 (1 accounts); in yellow: 10,000")


def test_wide_console_keeps_the_reason_in_the_table_and_ids_stand_in_for_missing_names():
    lines = _printed(_scores(names=False), 160)
    assert "Top reason:" not in lines
    rows = [line for line in lines if line.startswith("│")]
    assert rows[0].split("│")[2].strip() == "A2"
    assert rows[0].split("│")[-2].strip() == "Active on 2 of the last 30 days"
    assert all(len(line) <= 160 for line in lines)
