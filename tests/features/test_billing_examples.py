"""The Stripe- and Chargebee-shaped example configs read a tiny export of that shape."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from features.loading import load_tables

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

EVENTS = pd.DataFrame(
    {
        "customer": ["cus_1", "cus_2", "cus_1"],
        "occurred_at": pd.to_datetime(["2024-01-05", "2024-02-03", "2024-04-20"]),
        "event": ["login", "login", "report"],
        "user_id": ["u1", "u2", "u1"],
    }
)


def _stripe(folder: Path) -> None:
    (folder / "stripe").mkdir()
    pd.DataFrame(
        {"id": ["cus_1", "cus_2"], "created": ["2024-01-01", "2024-01-02"],
         "delinquent": [False, False], "balance": [0, 0]}
    ).to_csv(folder / "stripe" / "customers.csv", index=False)  # fmt: skip
    pd.DataFrame(
        {
            "id": ["sub_1", "sub_2"],
            "customer": ["cus_1", "cus_2"],
            "start_date": ["2024-01-01", "2024-01-02"],
            "ended_at": [None, "2024-03-02"],
            "canceled_at": [None, "2024-02-20"],
            "current_period_end": ["2024-05-01", None],
            "plan.interval": ["month", "month"],
            "quantity": [5, 2],
            "plan.nickname": ["pro", "basic"],
            "status": ["active", "canceled"],
            "cancel_at_period_end": [False, True],
        }
    ).to_csv(folder / "stripe" / "subscriptions.csv", index=False)
    return EVENTS.rename(columns={"customer": "stripe_customer_id"})


def _chargebee(folder: Path) -> None:
    (folder / "chargebee").mkdir()
    pd.DataFrame(
        {"customer_id": ["cus_1", "cus_2"], "created_at": ["2024-01-01", "2024-01-02"],
         "company": ["Acme", "Globex"]}
    ).to_csv(folder / "chargebee" / "customers.csv", index=False)  # fmt: skip
    pd.DataFrame(
        {
            "subscription_id": ["sub_1", "sub_2"],
            "customer_id": ["cus_1", "cus_2"],
            "started_at": ["2024-01-01", "2024-01-02"],
            "cancelled_at": [None, "2024-03-02"],
            "current_term_end": ["2024-05-01", None],
            "billing_period_unit": ["month", "month"],
            "plan_quantity": [5, 2],
            "plan_id": ["pro", "basic"],
            "mrr": [50.0, 20.0],
            "status": ["active", "cancelled"],
            "cancel_reason": [None, "price"],
        }
    ).to_csv(folder / "chargebee" / "subscriptions.csv", index=False)
    return EVENTS.rename(columns={"customer": "customer_id"})


@pytest.mark.parametrize("name, write", [("stripe", _stripe), ("chargebee", _chargebee)])
def test_example_billing_config_reads_monthly_periods(tmp_path, name, write):
    events = write(tmp_path)
    (tmp_path / "product").mkdir()
    events.to_parquet(tmp_path / "product" / "events.parquet", index=False)
    shutil.copy(EXAMPLES / f"{name}.toml", tmp_path / f"{name}.toml")
    tables = load_tables(tmp_path / f"{name}.toml")
    subs = tables.subscriptions
    running = subs[subs["account_id"] == "cus_1"]
    # monthly periods from the start to the one holding the data's end (the last event)
    assert running["start_date"].dt.strftime("%m-%d").tolist() == ["01-01", "02-01", "03-01",
                                                                   "04-01"]  # fmt: skip
    ended = subs[subs["account_id"] == "cus_2"]
    assert ended["end_date"].iloc[-1] == pd.Timestamp("2024-03-02")
    assert "status" not in subs
