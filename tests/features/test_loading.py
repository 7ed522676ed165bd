"""Reading tables from a directory or a config file, typing them, and the RavenStack example."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from features.contract import Tables
from features.loading import coerce_tables, load_tables, read_raw_tables
from features.validation import ContractError, validate_tables

REPO = Path(__file__).resolve().parents[2]
RAVENSTACK = Path(__file__).resolve().parents[3] / "shared/datasets/ravenstack"


def contract_tables() -> dict[str, pd.DataFrame]:
    """Tiny valid tables with contract column names (values as text, as in a CSV)."""
    return {
        "accounts": pd.DataFrame(
            {
                "account_id": ["A0001", "A0002", "007"],
                "created_at": ["2023-01-01", "2023-02-01", None],
                "seats": [10, 5, 3],
                "industry": ["retail", "tech", "tech"],
            }
        ),
        "subscriptions": pd.DataFrame(
            {
                "subscription_id": ["S1", "S2", "S3"],
                "account_id": ["A0001", "A0002", "007"],
                "start_date": ["2024-01-01", "2024-01-01", "2024-05-01"],
                "end_date": ["2024-12-31", None, "2025-04-30"],
                "mrr": [100.0, 250.5, 80.0],
            }
        ),
        "events": pd.DataFrame(
            {
                "account_id": ["A0001", "A0002", "007"],
                "timestamp": ["2024-02-01 10:00:00", "2024-02-02", "2024-01-01T10:00:00+02:00"],
                "event_type": ["login", "export", "login"],
            }
        ),
        "surveys": pd.DataFrame(
            {"account_id": ["A0001"], "responded_at": ["2024-04-01"], "score": [9]}
        ),
    }


def write(folder: Path, tables: dict[str, pd.DataFrame], fmt: str = "csv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        if fmt == "csv":
            frame.to_csv(folder / f"{name}.csv", index=False)
        else:
            frame.to_parquet(folder / f"{name}.parquet", index=False)
    return folder


def check_loaded(tables: Tables) -> None:
    assert tables.present() == ["accounts", "subscriptions", "events", "surveys"]
    assert tables.tickets is None
    accounts, subs, events, surveys = (
        tables.accounts,
        tables.subscriptions,
        tables.events,
        tables.surveys,
    )
    assert accounts["account_id"].tolist() == ["A0001", "A0002", "007"]
    assert pd.api.types.is_string_dtype(accounts["account_id"].dtype)
    assert accounts["created_at"].dtype == "datetime64[ns]"
    assert accounts["seats"].dtype == "float64"
    assert accounts["industry"].tolist() == ["retail", "tech", "tech"]
    assert subs["start_date"].dtype == "datetime64[ns]"
    assert subs["end_date"].dtype == "datetime64[ns]"
    assert subs["end_date"].isna().tolist() == [False, True, False]
    assert subs["mrr"].dtype == "float64"
    assert pd.api.types.is_string_dtype(subs["subscription_id"].dtype)
    assert events["timestamp"].dtype == "datetime64[ns]"
    assert events["value"].tolist() == [1.0, 1.0, 1.0]
    assert events["value"].dtype == "float64"
    # tz-aware input becomes naive UTC
    assert events["timestamp"].iloc[2] == pd.Timestamp("2024-01-01 08:00:00")
    assert surveys["kind"].tolist() == ["nps"]
    assert surveys["score"].dtype == "float64"


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_good_directory_loads(tmp_path, fmt):
    check_loaded(load_tables(write(tmp_path / "data", contract_tables(), fmt)))


def test_mixed_formats_in_one_directory(tmp_path):
    tables = contract_tables()
    folder = write(tmp_path / "data", {k: v for k, v in tables.items() if k != "events"})
    write(folder, {"events": tables["events"]}, "parquet")
    check_loaded(load_tables(folder))


def test_csv_and_parquet_for_one_table_is_an_error(tmp_path):
    tables = contract_tables()
    folder = write(tmp_path / "data", tables)
    write(folder, {"events": tables["events"]}, "parquet")
    with pytest.raises(ContractError, match=r"events: two files .*events\.csv and events\.parquet"):
        read_raw_tables(folder)


def test_missing_optional_tables_are_none(tmp_path):
    tables = contract_tables()
    folder = write(tmp_path / "data", {k: tables[k] for k in ("accounts", "subscriptions")})
    (folder / "notes.csv").write_text("x\n1\n")  # unknown files are ignored
    loaded = load_tables(folder)
    assert loaded.present() == ["accounts", "subscriptions"]
    assert loaded.events is None and loaded.tickets is None and loaded.surveys is None


def test_tz_aware_timestamps_become_naive_utc():
    raw = contract_tables()
    raw["events"] = raw["events"].assign(
        timestamp=pd.to_datetime(["2024-01-01T10:00:00+02:00"] * 3, utc=True).tz_convert(
            "Europe/Paris"
        )
    )
    events = coerce_tables(raw).events
    assert events["timestamp"].dtype == "datetime64[ns]"
    assert (events["timestamp"] == pd.Timestamp("2024-01-01 08:00:00")).all()


def renamed_files(folder: Path) -> None:
    """The contract tables written in a user's own shape and folder layout."""
    tables = contract_tables()
    (folder / "crm").mkdir(parents=True)
    tables["accounts"].rename(columns={"account_id": "AccountId", "created_at": "signup"}).to_csv(
        folder / "crm/accounts.csv", index=False
    )
    tables["subscriptions"].rename(
        columns={"account_id": "AccountId", "start_date": "from", "end_date": "to"}
    ).to_parquet(folder / "subs.parquet", index=False)
    tables["events"].rename(
        columns={"account_id": "acct", "timestamp": "ts", "event_type": "feature_name"}
    ).to_csv(folder / "usage.csv", index=False, sep=";")
    tables["surveys"].rename(columns={"responded_at": "date"}).to_csv(
        folder / "nps.csv", index=False
    )


CONFIG = {
    "tables": {
        "accounts": {
            "path": "crm/accounts.csv",
            "columns": {"account_id": "AccountId", "created_at": "signup"},
        },
        "subscriptions": {
            "path": "subs.parquet",
            "columns": {"account_id": "AccountId", "start_date": "from", "end_date": "to"},
        },
        "events": {
            "path": "usage.csv",
            "sep": ";",
            "columns": {"account_id": "acct", "timestamp": "ts", "event_type": "feature_name"},
        },
        "surveys": {
            "path": "nps.csv",
            "columns": {"responded_at": "date"},
            "defaults": {"kind": "nps"},
        },
    }
}

TOML = """
[tables.accounts]
path = "crm/accounts.csv"
columns = { account_id = "AccountId", created_at = "signup" }

[tables.subscriptions]
path = "subs.parquet"
columns = { account_id = "AccountId", start_date = "from", end_date = "to" }

[tables.events]
path = "usage.csv"
sep = ";"
columns = { account_id = "acct", timestamp = "ts", event_type = "feature_name" }

[tables.surveys]
path = "nps.csv"
columns = { responded_at = "date" }
defaults = { kind = "nps" }
"""


def assert_same_tables(a: Tables, b: Tables) -> None:
    assert a.present() == b.present()
    for name in a.present():
        left, right = a.get(name), b.get(name)
        pd.testing.assert_frame_equal(left[sorted(left.columns)], right[sorted(right.columns)])


def test_toml_and_yaml_configs_load_like_the_directory(tmp_path):
    expected = load_tables(write(tmp_path / "data", contract_tables()))
    renamed_files(tmp_path / "user")
    (tmp_path / "user/health.toml").write_text(TOML)
    (tmp_path / "user/health.yaml").write_text(yaml.safe_dump(CONFIG))
    from_toml = load_tables(tmp_path / "user/health.toml")
    from_yaml = load_tables(str(tmp_path / "user/health.yaml"))
    check_loaded(from_toml)
    assert_same_tables(from_toml, expected)
    assert_same_tables(from_yaml, expected)


def test_lookup_brings_account_id_by_subscription(tmp_path):
    tables = contract_tables()
    folder = write(tmp_path, {k: tables[k] for k in ("accounts", "subscriptions")})
    pd.DataFrame(
        {
            "subscription_id": ["S2", "S1", "S3", "S2"],
            "usage_date": ["2024-02-01", "2024-02-02", "2024-06-01", "2024-06-02"],
            "feature_name": ["a", "b", "a", "c"],
            "usage_count": [3, 1, 2, 7],
        }
    ).to_csv(folder / "usage.csv", index=False)
    (folder / "cfg.toml").write_text(
        """
[tables.accounts]
path = "accounts.csv"
[tables.subscriptions]
path = "subscriptions.csv"
[tables.events]
path = "usage.csv"
columns = { timestamp = "usage_date", event_type = "feature_name", value = "usage_count" }
[tables.events.lookup]
path = "subscriptions.csv"
key = "subscription_id"
columns = { account_id = "account_id" }
"""
    )
    events = load_tables(folder / "cfg.toml").events
    assert events["account_id"].tolist() == ["A0002", "A0001", "007", "A0002"]
    assert events["value"].tolist() == [3.0, 1.0, 2.0, 7.0]


def test_lookup_with_unknown_key_reports_null_account_id(tmp_path):
    tables = contract_tables()
    folder = write(tmp_path, {k: tables[k] for k in ("accounts", "subscriptions")})
    pd.DataFrame(
        {"subscription_id": ["S9"], "timestamp": ["2024-01-01"], "event_type": ["a"]}
    ).to_csv(folder / "usage.csv", index=False)
    (folder / "cfg.yml").write_text(
        yaml.safe_dump(
            {
                "tables": {
                    "accounts": {"path": "accounts.csv"},
                    "subscriptions": {"path": "subscriptions.csv"},
                    "events": {
                        "path": "usage.csv",
                        "lookup": {
                            "path": "subscriptions.csv",
                            "key": "subscription_id",
                            "columns": {"account_id": "account_id"},
                        },
                    },
                }
            }
        )
    )
    with pytest.raises(ContractError, match=r"events\.account_id: 1 row without a value"):
        load_tables(folder / "cfg.yml")


def test_unknown_config_keys_are_clear_errors(tmp_path):
    write(tmp_path, contract_tables())
    (tmp_path / "cfg.toml").write_text(
        """
[tables.accounts]
path = "accounts.csv"
colums = { account_id = "id" }
[tables.subscriptions]
path = "subscriptions.csv"
[tables.event]
path = "events.csv"
"""
    )
    with pytest.raises(ContractError) as info:
        read_raw_tables(tmp_path / "cfg.toml")
    text = str(info.value)
    assert "unknown key(s) in [tables.accounts]: colums" in text
    assert "- event: unknown table" in text
    assert all(p.examples.empty for p in info.value.problems)


def test_missing_file_names_table_and_path(tmp_path):
    (tmp_path / "cfg.toml").write_text(
        '[tables.accounts]\npath = "nowhere/accounts.csv"\n'
        '[tables.subscriptions]\npath = "subs.parquet"\n'
    )
    with pytest.raises(ContractError) as info:
        read_raw_tables(tmp_path / "cfg.toml")
    assert [p.table for p in info.value.problems] == ["accounts", "subscriptions"]
    assert "- accounts: file not found:" in str(info.value)
    assert "nowhere/accounts.csv" in str(info.value)


def test_mapped_column_missing_from_file(tmp_path):
    write(tmp_path, contract_tables())
    (tmp_path / "cfg.toml").write_text(
        '[tables.accounts]\npath = "accounts.csv"\ncolumns = { account_id = "AccountId" }\n'
        '[tables.subscriptions]\npath = "subscriptions.csv"\n'
    )
    with pytest.raises(ContractError, match=r"accounts\.account_id: the config maps account_id"):
        read_raw_tables(tmp_path / "cfg.toml")


def test_unreadable_config_and_bad_source(tmp_path):
    (tmp_path / "cfg.toml").write_text("[tables\n")
    with pytest.raises(ContractError, match="could not read"):
        read_raw_tables(tmp_path / "cfg.toml")
    with pytest.raises(ContractError, match="no such data directory or file"):
        read_raw_tables(tmp_path / "absent")
    (tmp_path / "data.json").write_text("{}")
    with pytest.raises(ContractError, match="neither a data directory nor a config file"):
        read_raw_tables(tmp_path / "data.json")


def test_validation_runs_before_coercion(tmp_path):
    tables = contract_tables()
    tables["events"].loc[0, "timestamp"] = "garbage"
    with pytest.raises(ContractError, match=r"events\.timestamp: 1 unparseable date"):
        load_tables(write(tmp_path, tables))


@pytest.mark.skipif(not RAVENSTACK.is_dir(), reason=f"RavenStack data not found at {RAVENSTACK}")
def test_ravenstack_example_config():
    config = REPO / "examples/ravenstack.toml"
    raw = read_raw_tables(config)
    assert set(raw) == {"accounts", "subscriptions", "events", "tickets"}
    assert "churn_flag" not in raw["accounts"]  # dropped by the config: a label leak
    # 13 same-day subscriptions (end_date == start_date) are accepted: they cover no day.
    subs = raw["subscriptions"]
    assert (subs["start_date"] == subs["end_date"]).sum() == 13
    assert validate_tables(raw) == []
    tables = load_tables(config)
    assert tables.events["account_id"].notna().all()
    assert len(tables.events) == 25_000 and tables.accounts["account_id"].is_unique
    assert tables.tickets["resolved_at"].dtype == "datetime64[ns]"
    assert tables.surveys is None


def test_config_drop_leaves_columns_out(tmp_path):
    write(tmp_path, contract_tables())
    (tmp_path / "cfg.toml").write_text(
        '[tables.accounts]\npath = "accounts.csv"\ndrop = ["industry"]\n'
        '[tables.subscriptions]\npath = "subscriptions.csv"\n'
    )
    raw = read_raw_tables(tmp_path / "cfg.toml")
    assert "industry" not in raw["accounts"] and "seats" in raw["accounts"]
    (tmp_path / "bad.toml").write_text(
        '[tables.accounts]\npath = "accounts.csv"\ndrop = ["nope"]\n'
        '[tables.subscriptions]\npath = "subscriptions.csv"\n'
    )
    with pytest.raises(ContractError, match=r"accounts\.nope: the config drops column\(s\) not in"):
        read_raw_tables(tmp_path / "bad.toml")


def test_events_left_on_disk_build_the_same_features(demo_tables_dir, demo_tables, tmp_path):
    """Parquet events read in batches from disk give the features of the in-memory table."""
    from features.loading import EventFiles
    from features.matrix import build_feature_matrix

    folder = tmp_path / "data"
    folder.mkdir()
    for path in Path(demo_tables_dir).iterdir():
        if path.name != "events.parquet" and path.suffix in (".csv", ".parquet"):
            (folder / path.name).write_bytes(path.read_bytes())
    events = demo_tables.events
    parts = folder / "events.parquet"  # a partitioned directory, read in small batches
    parts.mkdir()
    half = len(events) // 2
    events.iloc[:half].to_parquet(parts / "0.parquet")
    events.iloc[half:].to_parquet(parts / "1.parquet")
    lazy = load_tables(folder, events_on_disk=True)
    assert isinstance(lazy.events, EventFiles) and "user_id" in lazy.events
    lazy.events.batch_rows = 7_000
    dates = [pd.Timestamp("2024-09-01"), pd.Timestamp("2025-03-01")]
    on_disk = build_feature_matrix(lazy, dates)
    pd.testing.assert_frame_equal(on_disk, build_feature_matrix(demo_tables, dates))


def test_events_left_on_disk_are_validated(tmp_path):
    tables = contract_tables()
    tables["events"].loc[2, "account_id"] = "A9999"
    folder = write(tmp_path, tables, "parquet")
    with pytest.raises(ContractError, match="account_id not in accounts"):
        load_tables(folder, events_on_disk=True)
