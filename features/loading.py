"""Read the input tables from a data directory or a config file, validate them, and type them.

Two kinds of source (DESIGN section 1):

**A data directory** holds one file per table, named after the table, as ``.csv`` or
``.parquet`` (``accounts.csv``, ``events.parquet``, ...). Column names must already be the
contract's. Files with other names are ignored; two files for one table are an error.

**A config file** (``.toml``, ``.yaml`` or ``.yml``) names each table's file and maps the user's
column names onto the contract's, so data in another shape is used without code. TOML and YAML
carry the same structure. A full example in TOML::

    [tables.accounts]
    path = "crm/accounts.csv"          # relative to the config file's folder (or absolute)
    columns = { account_id = "AccountId", created_at = "signup_date" }  # ours = the file's
    drop = ["churned_flag"]            # the file's columns to leave out (e.g. a label leak)

    [tables.subscriptions]
    path = "billing/subscriptions.parquet"
    columns = { account_id = "AccountId", start_date = "from", end_date = "to", mrr = "MRR" }

    [tables.events]
    path = "usage.csv"
    sep = ";"                          # CSV only; default ","
    columns = { timestamp = "ts", event_type = "feature_name", value = "usage_count" }

    [tables.events.lookup]             # bring account_id in from another file by a key column
    path = "billing/subscriptions.parquet"
    key = "subscription_id"            # column name in this table (after renaming) and there
    columns = { account_id = "AccountId" }   # ours = the lookup file's column

    [tables.tickets]
    path = "support/tickets.csv"
    columns = { created_at = "opened", resolved_at = "closed", csat = "satisfaction" }

    [tables.surveys]
    path = "nps.csv"
    columns = { responded_at = "date" }
    defaults = { kind = "nps" }        # constant columns to add when the file lacks them
    dayfirst = true                    # its dates are written 13/01/2024 (see Dates below)

The same in YAML::

    tables:
      accounts:
        path: crm/accounts.csv
        columns: {account_id: AccountId, created_at: signup_date}
        drop: [churned_flag]
      events:
        path: usage.csv
        columns: {timestamp: ts, event_type: feature_name, value: usage_count}
        lookup:
          path: billing/subscriptions.parquet
          key: subscription_id
          columns: {account_id: AccountId}
      ...

Keys per table: ``path`` (required), ``columns``, ``defaults``, ``sep``, ``drop``, ``lookup``
(with ``path``, ``key``, ``columns``, ``sep``), ``dayfirst``; the subscriptions also take
``reading`` and ``interval`` (``features.subscriptions``). Top-level keys besides ``tables``:
``observed_until`` and ``dayfirst`` (the default of every table that does not set its own).
``drop`` lists columns of the file (by the file's names) to leave out before anything else: every
extra accounts column becomes a feature, so a column that records the outcome (a churn flag) must
be dropped or the model learns the answer. Column mapping keys are the names the columns get (the
contract's, or any name for other columns); the values are the file's column names; unmapped
columns keep their names. A file whose name ends in ``.parquet``/``.pq`` (or a directory, as a
partitioned dataset) is read as Parquet, anything else as CSV. Lookup keys must be unique in the
lookup file; rows whose key is not found get a null (and so fail validation if the column is
required). When the table already has the looked-up column, the lookup only fills its nulls.

**Dates** (``features.validation.read_dates``) are read once per column, with one reading of
day and month for all its rows. ISO 8601 (``2024-01-13``, ``2024-01-13T14:30:00+01:00``) and typed
Parquet timestamps are never affected. Numeric dates with the day and month in either order
(``13/01/2024``, ``1.2.24``, ``01-02-2024 14:30``; a two-digit year is 1969-2068) are read month
first, unless ``dayfirst = true`` (day first) is set for the table or at the top. Without it, a
column holding dates valid only day first (``13/01/2024``) is an error asking for the option; a
column mixing both kinds (some valid only day first, others only month first) is an error in any
case. Dates with the month in words (``5 Jan 2024``) are read as written. Numbers (a spreadsheet's
serial day such as ``45291``, an epoch), a time without a date, or a date without its year are not
dates; blank cells are missing.

Unknown keys, unreadable or missing files are reported as :class:`ContractError` naming the
table and path. CSV values are read as text for ids and dates (so ``007`` stays ``007`` and dates
reach validation as written); other columns are inferred by pandas.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from features.contract import TABLES, Tables
from features.subscriptions import (
    READINGS,
    interval_steps,
    one_row_per_life,
    reading_question,
    renewing_periods,
)
from features.timeline import observation_end
from features.validation import (
    ContractError,
    Problem,
    as_id,
    check_tables,
    parse_dates,
    parse_numbers,
)

CONFIG_SUFFIXES = (".toml", ".yaml", ".yml")
DATA_SUFFIXES = (".csv", ".parquet")
PARQUET_SUFFIXES = (".parquet", ".pq")

OPTION_KEYS = ("observed_until", "dayfirst")  # top-level config keys besides `tables`
TABLE_KEYS = (
    "path", "columns", "defaults", "sep", "lookup", "drop", "reading", "interval", "dayfirst"
)  # fmt: skip
LOOKUP_KEYS = ("path", "key", "columns", "sep")

# Columns read as text from CSV (ids), besides each table's dates.
ID_COLUMNS = ("account_id", "subscription_id", "ticket_id", "user_id")
# Columns typed as strings after loading (ids and categorical texts of the contract).
TEXT_COLUMNS = ("event_type", "kind", "priority", "status", "plan", "product", "interval")


# ---------------------------------------------------------------------------------------------
# Reading


_DAYFIRST_TYPE = (
    "`dayfirst` in {where} must be true (13/01/2024 is 13 January) or false (01/13/2024 is "
    "13 January)"
)


def _fail(problems: list[Problem]) -> None:
    if problems:
        raise ContractError(problems)


def _read_file(
    path: Path, table: str, text_columns: set[str], sep: str | None, problems: list[Problem]
) -> pd.DataFrame | None:
    """One CSV or Parquet file; a Problem (and None) when it is missing or unreadable."""
    if not path.exists():
        problems.append(Problem(table, None, f"file not found: {path}"))
        return None
    try:
        if path.is_dir() or path.suffix.lower() in PARQUET_SUFFIXES:
            if sep is not None:
                problems.append(Problem(table, None, f"`sep` applies to CSV files only: {path}"))
                return None
            return pd.read_parquet(path)
        header = pd.read_csv(path, sep=sep or ",", nrows=0).columns
        dtype = {c: "str" for c in header if c in text_columns}
        return pd.read_csv(path, sep=sep or ",", dtype=dtype)
    except Exception as exc:  # any reader failure becomes a readable problem
        problems.append(Problem(table, None, f"could not read {path}: {exc}"))
        return None


def _text_columns(table: str, columns: dict[str, str] | None = None) -> set[str]:
    """File column names to read as text: ids and dates, under their contract or mapped names."""
    ours = set(ID_COLUMNS) | set(TABLES[table].dates)
    mapped = {columns[c] for c in ours if columns and c in columns}
    return ours | mapped


def _read_directory(
    folder: Path, skip: tuple[str, ...], problems: list[Problem]
) -> dict[str, pd.DataFrame]:
    raw: dict[str, pd.DataFrame] = {}
    for name in TABLES:
        if name in skip:
            continue
        found = [folder / f"{name}{suffix}" for suffix in DATA_SUFFIXES]
        found = [p for p in found if p.exists()]
        if len(found) > 1:
            names = " and ".join(p.name for p in found)
            problems.append(Problem(name, None, f"two files for one table in {folder}: {names}"))
            continue
        if found:
            frame = _read_file(found[0], name, _text_columns(name), None, problems)
            if frame is not None:
                raw[name] = frame
    return raw


def _load_config(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text) if path.suffix.lower() == ".toml" else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise ContractError([Problem("config", None, f"could not read {path}: {exc}")]) from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ContractError([Problem("config", None, f"{path}: expected a mapping at the top")])
    return data


def _check_mapping(
    value: Any, what: str, table: str, problems: list[Problem], values_str: bool = True
) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        problems.append(Problem(table, None, f"`{what}` must be a table of name = value"))
        return {}
    if values_str and not all(isinstance(v, str) for v in value.values()):
        problems.append(Problem(table, None, f"`{what}` values must be column names (text)"))
        return {}
    return value


def _check_keys(
    entry: Any, allowed: tuple[str, ...], where: str, table: str, problems: list[Problem]
) -> dict[str, Any] | None:
    if not isinstance(entry, dict):
        problems.append(Problem(table, None, f"{where} must be a table of settings"))
        return None
    unknown = [k for k in entry if k not in allowed]
    if unknown:
        problems.append(
            Problem(
                table,
                None,
                f"unknown key(s) in {where}: {', '.join(map(str, unknown))}; "
                f"expected: {', '.join(allowed)}",
            )
        )
    if not isinstance(entry.get("path"), str):
        problems.append(Problem(table, None, f"{where} needs `path` (a file path as text)"))
        return None
    if "sep" in entry and not isinstance(entry["sep"], str):
        problems.append(Problem(table, None, f"`sep` in {where} must be text"))
        return None
    return entry


def _rename(
    frame: pd.DataFrame, columns: dict[str, str], table: str, path: Path, problems: list[Problem]
) -> pd.DataFrame | None:
    """Rename the file's columns to ours; mapped columns must exist and not collide."""
    ok = True
    for ours, theirs in columns.items():
        if theirs not in frame.columns:
            found = ", ".join(map(str, frame.columns))
            problems.append(
                Problem(
                    table,
                    ours,
                    f"the config maps {ours} to column {theirs!r}, which is not in {path} "
                    f"(columns found: {found})",
                )
            )
            ok = False
        elif ours in frame.columns and ours not in columns.values():
            problems.append(
                Problem(
                    table,
                    ours,
                    f"{path} already has a column {ours!r}, and the config maps {theirs!r} "
                    f"onto that name; map the existing column to another name too",
                )
            )
            ok = False
    if not ok:
        return None
    return frame.rename(columns={theirs: ours for ours, theirs in columns.items()})


def _drop(
    frame: pd.DataFrame, drop: Any, table: str, path: Path, problems: list[Problem]
) -> pd.DataFrame | None:
    """Leave out the file's columns listed in ``drop`` (a label leak, a free-text column, ...)."""
    if drop is None:
        return frame
    if not isinstance(drop, list) or not all(isinstance(c, str) for c in drop):
        problems.append(Problem(table, None, "`drop` must be a list of column names"))
        return None
    missing = [c for c in drop if c not in frame.columns]
    if missing:
        problems.append(
            Problem(
                table,
                missing[0],
                f"the config drops column(s) not in {path}: {', '.join(missing)}",
            )
        )
        return None
    return frame.drop(columns=drop)


def _apply_lookup(
    frame: pd.DataFrame,
    lookup: dict[str, Any],
    folder: Path,
    table: str,
    problems: list[Problem],
) -> pd.DataFrame | None:
    key = lookup.get("key")
    columns = _check_mapping(lookup.get("columns"), "lookup.columns", table, problems)
    if not isinstance(key, str) or not columns:
        problems.append(
            Problem(table, None, "lookup needs `key` (a column name) and `columns` (ours = theirs)")
        )
        return None
    path = (folder / Path(lookup["path"]).expanduser()).resolve()
    other = _read_file(path, table, {key, *columns.values()}, lookup.get("sep"), problems)
    if other is None:
        return None
    missing = [c for c in (key, *columns.values()) if c not in other.columns]
    if key not in frame.columns:
        problems.append(Problem(table, key, f"lookup key {key!r} is not a column of this table"))
    if missing:
        problems.append(
            Problem(table, None, f"lookup file {path} lacks column(s): {', '.join(missing)}")
        )
    if missing or key not in frame.columns:
        return None
    sources = list(dict.fromkeys(columns.values()))
    other = other[list(dict.fromkeys([key, *sources]))].copy()
    other[key] = as_id(other[key])
    other = other.dropna(subset=[key]).drop_duplicates()
    dup = other[key].duplicated(keep=False)
    if dup.any():
        problems.append(
            Problem(
                table,
                key,
                f"lookup key {key!r} is not unique in {path} "
                f"({other.loc[dup, key].nunique():,} keys have several rows)",
                other.loc[dup].head(5).rename_axis("row"),
            )
        )
        return None
    indexed = other.set_index(key)
    keys = as_id(frame[key])
    out = frame.copy()
    for ours, theirs in columns.items():
        values = keys.map(indexed[theirs])
        out[ours] = out[ours].fillna(values) if ours in out.columns else values
    return out


def _read_config(path: Path, problems: list[Problem]) -> dict[str, pd.DataFrame]:
    data = _load_config(path)
    folder = path.parent
    unknown = [k for k in data if k not in ("tables", *OPTION_KEYS)]
    if unknown:
        problems.append(
            Problem("config", None, f"{path}: unknown key(s): {', '.join(map(str, unknown))}")
        )
    if "dayfirst" in data and not isinstance(data["dayfirst"], bool):
        problems.append(Problem("config", None, _DAYFIRST_TYPE.format(where=path)))
    tables = data.get("tables")
    if not isinstance(tables, dict) or not tables:
        problems.append(Problem("config", None, f"{path}: needs a `tables` section"))
        raise ContractError(problems)
    raw: dict[str, pd.DataFrame] = {}
    for name, entry in tables.items():
        if name not in TABLES:
            problems.append(
                Problem(
                    str(name),
                    None,
                    f"unknown table in {path}; expected one of: {', '.join(TABLES)}",
                )
            )
            continue
        entry = _check_keys(entry, TABLE_KEYS, f"[tables.{name}]", name, problems)
        if entry is None:
            continue
        if "dayfirst" in entry and not isinstance(entry["dayfirst"], bool):
            problems.append(Problem(name, None, _DAYFIRST_TYPE.format(where=f"[tables.{name}]")))
        columns = _check_mapping(entry.get("columns"), "columns", name, problems)
        defaults = _check_mapping(entry.get("defaults"), "defaults", name, problems, False)
        lookup = entry.get("lookup")
        if lookup is not None:
            lookup = _check_keys(lookup, LOOKUP_KEYS, f"[tables.{name}.lookup]", name, problems)
            if lookup is None:
                continue
        file = (folder / Path(entry["path"]).expanduser()).resolve()
        frame = _read_file(file, name, _text_columns(name, columns), entry.get("sep"), problems)
        if frame is None:
            continue
        frame = _drop(frame, entry.get("drop"), name, file, problems)
        if frame is None:
            continue
        frame = _rename(frame, columns, name, file, problems)
        if frame is None:
            continue
        if lookup is not None:
            frame = _apply_lookup(frame, lookup, folder, name, problems)
            if frame is None:
                continue
        for col, value in defaults.items():
            if col not in frame.columns:
                frame[col] = value
        raw[name] = frame
    return raw


def read_raw_tables(
    source: str | Path, skip: tuple[str, ...] = (), problems: list[Problem] | None = None
) -> dict[str, pd.DataFrame]:
    """A data directory (files named after tables: accounts.csv, events.parquet, ...) or a config
    file (.toml/.yaml/.yml). Columns carry contract names; values are as read (not validated).

    A table that cannot be read (a missing file, a column mapped from nowhere) raises
    ``ContractError`` naming every such table, or with ``problems`` given is added to it and left
    out, so that the tables that could be read are checked in the same run. A source that cannot
    be read at all (no such path, an unreadable config) raises in any case.
    """
    path = Path(source).expanduser()
    if path.is_dir() or path.suffix.lower() in CONFIG_SUFFIXES and path.exists():
        found: list[Problem] = []
        raw = _read_directory(path, skip, found) if path.is_dir() else _read_config(path, found)
        if problems is None:
            _fail(found)
        else:
            problems += found
        return raw
    if not path.exists():
        raise ContractError([Problem("source", None, f"no such data directory or file: {path}")])
    raise ContractError(
        [
            Problem(
                "source",
                None,
                f"{path} is neither a data directory nor a config file "
                f"({', '.join(CONFIG_SUFFIXES)})",
            )
        ]
    )


# ---------------------------------------------------------------------------------------------
# Typing


def _coerce_table(
    name: str,
    frame: pd.DataFrame,
    parsed: dict[tuple[str, str], pd.Series],
    dayfirst: bool | None = None,
) -> pd.DataFrame:
    """One table typed per the contract (see ``coerce_tables``)."""
    spec = TABLES[name]
    frame = frame.copy()
    for col in spec.dates:
        if col in frame.columns:
            dates = parsed.get((name, col))
            frame[col] = dates if dates is not None else parse_dates(frame[col], dayfirst)
    for col in spec.numbers:
        if col in frame.columns:
            frame[col] = parse_numbers(frame[col])
    for col, value in spec.defaults.items():
        frame[col] = frame[col].fillna(value) if col in frame.columns else value
    for col in (*ID_COLUMNS, spec.unique_id):
        if col and col in frame.columns:
            frame[col] = as_id(frame[col])
    for col in (*TEXT_COLUMNS, *spec.texts):
        if col in frame.columns and not isinstance(frame[col].dtype, pd.CategoricalDtype):
            frame[col] = frame[col].astype("str")
    return frame


def _coerce(
    raw: dict[str, pd.DataFrame],
    parsed: dict[tuple[str, str], pd.Series] | None = None,
    dayfirst: dict[str, bool] | None = None,
) -> Tables:
    parsed = parsed or {}
    dayfirst = dayfirst or {}
    out: dict[str, pd.DataFrame | None] = {}
    for name in TABLES:
        frame = raw.get(name)
        if frame is None or isinstance(frame, EventFiles):
            out[name] = frame
            continue
        frame = _coerce_table(name, frame, parsed, dayfirst.get(name))
        out[name] = frame
    if out["accounts"] is None or out["subscriptions"] is None:
        missing = [n for n in ("accounts", "subscriptions") if out[n] is None]
        raise ContractError([Problem(n, None, "mandatory table is missing") for n in missing])
    return Tables(**out)


def coerce_tables(raw: dict[str, pd.DataFrame], dayfirst: dict[str, bool] | None = None) -> Tables:
    """Types per the contract: dates -> naive UTC datetime64[ns] (numeric dates day first for the
    tables ``dayfirst`` says so of), numbers -> float, account_id & ids -> str, defaults filled
    (events.value=1, surveys.kind='nps'); columns not in the contract are kept as they are
    (accounts' extra columns are static attributes). Expects valid input (unreadable values become
    NaT/NaN)."""
    return _coerce(raw, dayfirst=dayfirst)


def tables_from_frames(raw: dict[str, pd.DataFrame]) -> Tables:
    """Tables already read (by another reader: Spark) validated and typed as ``load_tables`` does.

    Raises ``ContractError`` listing every problem.
    """
    problems, parsed = check_tables(raw)
    _fail(problems)
    return _coerce(raw, parsed)


def read_options(source: str | Path) -> dict[str, Any]:
    """The config file's options besides table paths and columns: ``observed_until`` (top level),
    the subscriptions' ``reading`` and default ``interval``, and ``dayfirst`` per table (its own,
    else the top level's; tables with neither are absent); none for a data directory."""
    path = Path(source).expanduser()
    if path.is_dir() or path.suffix.lower() not in CONFIG_SUFFIXES or not path.exists():
        return {}
    data = _load_config(path)
    options = {k: v for k, v in data.items() if k in OPTION_KEYS and k != "dayfirst"}
    tables = data.get("tables") if isinstance(data.get("tables"), dict) else {}
    dayfirst = {}
    for name, entry in tables.items():
        value = entry.get("dayfirst", data.get("dayfirst")) if isinstance(entry, dict) else None
        if isinstance(value, bool):
            dayfirst[name] = value
    if dayfirst:
        options["dayfirst"] = dayfirst
    subscriptions = tables.get("subscriptions")
    if isinstance(subscriptions, dict):
        options.update({k: subscriptions[k] for k in ("reading", "interval") if k in subscriptions})
    return options


def _interval(subs: pd.DataFrame, options: dict[str, Any]) -> pd.Series:
    """Each subscription's billing interval: its column, else the config's default."""
    default = options.get("interval")
    interval = subs["interval"] if "interval" in subs else pd.Series(None, index=subs.index)
    if default is not None:
        interval = interval.where(interval.notna() & (interval.astype(str) != "nan"), default)
    return interval


def reading_problems(subscriptions: pd.DataFrame, options: dict[str, Any]) -> list[Problem]:
    """What stops reading typed subscriptions as configured (``features.subscriptions``): an
    unknown ``reading``; unconfigured, the one-row-per-life shape (a question naming
    ``subscriptions.end_date`` and the option, instead of a guess); renewing rows without an
    interval."""
    reading = options.get("reading")
    if reading is not None and reading not in READINGS:
        return [
            Problem(
                "subscriptions", None, f"reading = {reading!r} is not one of: {', '.join(READINGS)}"
            )
        ]
    if reading is None:
        shape = one_row_per_life(subscriptions)
        return (
            [] if shape is None else [Problem("subscriptions", "end_date", reading_question(shape))]
        )
    if reading == "terms":
        return []
    _, _, unknown = interval_steps(_interval(subscriptions, options))
    if not len(unknown):
        return []
    return [
        Problem(
            "subscriptions",
            "interval",
            f"{len(unknown):,} renewing subscription(s) have no billing interval this "
            f"reads (month, quarter, year, week); give an interval column or "
            f'interval = "month" under [tables.subscriptions]',
            subscriptions.loc[unknown.index].head(5),
        )
    ]


def apply_reading(tables: Tables, options: dict[str, Any]) -> Tables:
    """The subscriptions read as configured (``features.subscriptions``): ``renewing`` rows become
    one row per billing period. Raises ``ContractError`` with ``reading_problems``."""
    _fail(reading_problems(tables.subscriptions, options))
    if options.get("reading") != "renewing":
        return tables
    subs = tables.subscriptions
    periods = renewing_periods(
        subs.assign(interval=_interval(subs, options)), observation_end(tables)
    )
    return dataclasses.replace(tables, subscriptions=periods)


def _observed_until(value: Any, where: str) -> pd.Timestamp | None:
    if value is None or value == "":
        return None
    parsed = parse_dates(pd.Series([str(value)])).iloc[0]  # the columns' own parser
    if pd.isna(parsed):
        raise ContractError(
            [
                Problem(
                    "config",
                    None,
                    f"{where}: observed_until must be a date, got {value!r} (e.g. 2025-06-30)",
                )
            ]
        )
    return pd.Timestamp(parsed)


@dataclass
class Checked:
    """A source read and checked (``check_source``): the tables as read (events possibly left on
    disk), every problem found, and what typing them needs."""

    source: str | Path
    raw: dict[str, Any]
    problems: list[Problem]
    parsed: dict[tuple[str, str], pd.Series]
    options: dict[str, Any]

    def rows(self) -> dict[str, int]:
        """Rows per table as read."""
        raw = {name: self.raw[name] for name in TABLES if name in self.raw}
        return {n: f.rows() if isinstance(f, EventFiles) else len(f) for n, f in raw.items()}

    def tables(self, observed_until: str | None = None) -> Tables:
        """The typed tables; ``ContractError`` listing every problem when there is any."""
        _fail(self.problems)
        tables = apply_reading(_coerce(self.raw, self.parsed), self.options)
        until = _observed_until(observed_until, "--observed-until") or _observed_until(
            self.options.get("observed_until"), str(self.source)
        )
        return dataclasses.replace(tables, observed_until=until) if until is not None else tables


def check_source(source: str | Path, events_on_disk: bool = False) -> Checked:
    """Read a source and find every problem of it in one pass, before any work: tables that
    cannot be read, the contract of those that can (events left on disk checked batch by batch),
    the subscriptions' reading and the config's ``observed_until``. A source that cannot be read
    at all raises ``ContractError``."""
    path = Path(source).expanduser()
    files = None
    if events_on_disk and path.is_dir():
        found = [path / f"events{suffix}" for suffix in PARQUET_SUFFIXES]
        found = [p for p in found if p.exists()]
        if len(found) == 1 and not (path / "events.csv").exists():
            files = EventFiles(found[0])
    problems: list[Problem] = []
    raw = read_raw_tables(source, skip=("events",) if files else (), problems=problems)
    options = read_options(source)
    found_, parsed = check_tables(raw, options.get("dayfirst"))
    unread = {p.table for p in problems}  # already named: not also "missing"
    problems += [p for p in found_ if not (p.table in unread and p.column is None)]
    if files is not None:
        problems += files.problems(raw.get("accounts"))
        raw["events"] = files
    subs = raw.get("subscriptions")
    if subs is not None and not any(p.table == "subscriptions" for p in problems):
        typed = _coerce_table("subscriptions", subs, parsed)
        problems += reading_problems(typed, options)
    try:
        _observed_until(options.get("observed_until"), str(source))
    except ContractError as error:
        problems += error.problems
    return Checked(source, raw, problems, parsed, options)


def load_tables(
    source: str | Path, events_on_disk: bool = False, observed_until: str | None = None
) -> Tables:
    """read -> validate (raise ContractError listing every problem, before any work) -> coerce.

    ``observed_until`` (the day subscription changes are recorded to) overrides the config's.

    With ``events_on_disk``, an events table stored as Parquet in a data directory is validated
    in batches and left on disk (``EventFiles``): the feature build reads it in batches, so event
    tables larger than memory work. Other tables, and events from CSV or a config, load as usual.
    """
    return check_source(source, events_on_disk).tables(observed_until)


def _kind(message: str) -> str:
    """A problem's message without its counts, and so without the plurals they choose ("1 row
    refers", "2 rows refer"): one kind of problem whatever the counts of each batch."""
    return re.sub(r"s\b", "", re.sub(r"\d[\d,]*", "#", message))


class EventFiles:
    """An events table left on disk (Parquet file or directory, contract column names).

    ``batches()`` yields contract-typed DataFrames of about ``batch_rows`` rows each, coerced
    like an in-memory table; ``features.events`` reduces them one at a time.
    """

    def __init__(self, path: str | Path, batch_rows: int = 8_000_000):
        import pyarrow.dataset as ds

        self.path = Path(path)
        self.batch_rows = batch_rows
        self._dataset = ds.dataset(self.path, format="parquet")
        self.columns = tuple(self._dataset.schema.names)
        self._range: tuple[pd.Timestamp, pd.Timestamp] | None = None

    def __contains__(self, column: object) -> bool:
        return column in self.columns

    def __repr__(self) -> str:
        return f"EventFiles({str(self.path)!r})"

    def rows(self) -> int:
        """Rows on disk (from the Parquet metadata)."""
        return self._dataset.count_rows()

    def raw_batches(self):
        """Batches as stored (columns as read, not yet typed)."""
        import pyarrow as pa

        pending, rows = [], 0
        for batch in self._dataset.to_batches(batch_size=min(self.batch_rows, 1 << 20)):
            pending.append(batch)
            rows += batch.num_rows
            if rows >= self.batch_rows:
                yield pa.Table.from_batches(pending).to_pandas()
                pending, rows = [], 0
        if pending:
            yield pa.Table.from_batches(pending).to_pandas()

    def batches(self):
        """Contract-typed batches."""
        for frame in self.raw_batches():
            yield _coerce_table("events", frame, {})

    def problems(self, accounts: pd.DataFrame | None) -> list[Problem]:
        """Every contract problem of the events, checked batch by batch through the whole file.

        A kind of problem found in several batches is reported once, with its first batch's
        count and example rows (numbered within that batch) and how many batches have it.
        """
        found: dict[tuple[str | None, str], list] = {}
        base = {} if accounts is None else {"accounts": accounts}
        for frame in self.raw_batches():
            problems, _ = check_tables({**base, "events": frame})
            for problem in problems:
                if problem.table != "events":
                    continue
                kind = (problem.column, _kind(problem.message))
                if kind in found:
                    found[kind][1] += 1
                else:
                    found[kind] = [problem, 1]
        return [
            problem
            if batches == 1
            else Problem(
                problem.table,
                problem.column,
                f"{problem.message} (in the first of {batches} batches of "
                f"{self.batch_rows:,} rows that have it; example rows numbered within it)",
                problem.examples,
            )
            for problem, batches in found.values()
        ]

    def time_range(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """The first and last event timestamps (one pass over the timestamp column)."""
        if self._range is None:
            low, high = [], []
            for frame in self.batches():
                low.append(frame["timestamp"].min())
                high.append(frame["timestamp"].max())
            self._range = (min(low, default=pd.NaT), max(high, default=pd.NaT))
        return self._range
