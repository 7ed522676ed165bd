"""Check raw input tables against the data contract and report every problem at once (DESIGN 1).

``validate_tables`` takes frames whose columns already carry contract names but whose values are
still as read (dates as strings from CSV, ids possibly numbers from Parquet, ...). It returns a
list of :class:`Problem`; each names the table, the column and up to five offending rows, indexed
by their row number in the table as read (0 = first data row). ``format_report`` turns the list
into the text a user reads; :class:`ContractError` carries it.

All checks are vectorised: they run on event tables with 100M rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from features.contract import TABLES, TableSpec

MAX_EXAMPLES = 5

# Required columns that may nonetheless hold nulls (a null end_date is a running subscription).
NULLABLE_REQUIRED: frozenset[tuple[str, str]] = frozenset({("subscriptions", "end_date")})
# Counts and money that cannot be below zero; no number of any table may be infinite.
NON_NEGATIVE: frozenset[tuple[str, str]] = frozenset(
    {("accounts", "seats"), ("subscriptions", "mrr"), ("subscriptions", "quantity"),
     ("events", "value")}
)  # fmt: skip
# Dates outside [EARLIEST, LATEST) are typing slips or a spreadsheet's zero date (1899-12-30,
# 1900-01-00): an as-of grid built from them would span a century. A term may end later.
EARLIEST, LATEST = pd.Timestamp("1990-01-01"), pd.Timestamp("2100-01-01")
OPEN_ENDED: frozenset[tuple[str, str]] = frozenset({("subscriptions", "end_date")})

_NS_MIN = pd.Timestamp.min.as_unit("ns")
_NS_MAX = pd.Timestamp.max.as_unit("ns")


@dataclass(frozen=True)
class Problem:
    """One contract problem: where it is, what it is, and up to 5 offending rows."""

    table: str
    column: str | None
    message: str
    examples: pd.DataFrame = field(default_factory=pd.DataFrame, compare=False)


class ContractError(ValueError):
    """Raised with every problem found; str() is the full human-readable report."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__(format_report(self.problems))


# ---------------------------------------------------------------------------------------------
# Value helpers shared with loading (one parser for validation and coercion)


def as_id(series: pd.Series) -> pd.Series:
    """Ids as strings: integral floats lose their ``.0``, blanks become missing.

    A categorical column stays categorical (its categories converted), so 100M-row event tables
    keep their ids as small integer codes.
    """
    s = series
    if isinstance(s.dtype, pd.CategoricalDtype):
        labels = as_id(pd.Series(s.cat.categories))
        if labels.notna().all() and labels.is_unique:
            return s.cat.rename_categories(labels.tolist())
        return as_id(s.astype("object"))
    if pd.api.types.is_float_dtype(s.dtype):
        values = s.to_numpy(dtype="float64", na_value=np.nan)
        finite = values[~np.isnan(values)]
        if finite.size == 0 or np.all(np.mod(finite, 1) == 0):
            s = s.astype("Int64")
    s = s.astype("str")
    blank = s.str.strip().eq("")
    if blank.any():
        s = s.mask(blank)
    return s


def parse_dates(series: pd.Series) -> pd.Series:
    """Naive UTC ``datetime64[ns]``; values that cannot be read (or fall outside it) become NaT.

    Strings are read as ISO 8601 first (offsets are converted to UTC, naive values taken as UTC);
    only the values that fail are retried with per-value format inference.
    """
    s = series
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        out = s.dt.tz_convert("UTC").dt.tz_localize(None)
    elif pd.api.types.is_datetime64_dtype(s.dtype):
        out = s
    elif pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        # Numbers are not dates (an epoch unit would be a guess): every non-null value is bad.
        return pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    else:
        text = s.astype("str")
        out = pd.to_datetime(text, errors="coerce", utc=True, format="ISO8601")
        failed = text.notna() & out.isna()
        if failed.any():
            retry = pd.to_datetime(text[failed], errors="coerce", utc=True, format="mixed")
            out = out.copy()
            out[failed] = retry
        out = out.dt.tz_localize(None)
    # Keep within the nanosecond range before casting (outside it counts as unreadable).
    unit = np.datetime_data(out.dtype)[0] if out.dtype.kind == "M" else "ns"
    if unit != "ns":
        in_range = out.isna() | ((out >= _NS_MIN) & (out <= _NS_MAX))
        if not in_range.all():
            out = out.mask(~in_range)
    return out.astype("datetime64[ns]")


def parse_numbers(series: pd.Series) -> pd.Series:
    """Float64 values; anything non-numeric becomes NaN."""
    s = series
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.astype("float64")
    if pd.api.types.is_numeric_dtype(s.dtype):
        return s.astype("float64")
    text = s.astype("str").str.strip()
    return pd.to_numeric(text, errors="coerce").astype("float64")


# ---------------------------------------------------------------------------------------------
# Validation


def _plural(n: int, singular: str, plural: str | None = None) -> str:
    return f"{n:,} {singular if n == 1 else (plural or singular + 's')}"


def _verb(n: int, singular: str, plural: str) -> str:
    return singular if n == 1 else plural


def _example(
    frame: pd.DataFrame, spec: TableSpec, mask: pd.Series, columns: list[str]
) -> pd.DataFrame:
    """Up to MAX_EXAMPLES offending rows: the table's ids plus the columns at fault."""
    ids = [c for c in ("account_id", spec.unique_id) if c and c in frame.columns]
    shown = list(dict.fromkeys(ids + [c for c in columns if c in frame.columns]))
    rows = frame.loc[mask.to_numpy(), shown].head(MAX_EXAMPLES)
    rows.index.name = "row"
    return rows


def check_tables(
    raw: dict[str, pd.DataFrame],
) -> tuple[list[Problem], dict[tuple[str, str], pd.Series]]:
    """Every problem, plus the parsed date columns (reused by loading to avoid parsing twice)."""
    problems: list[Problem] = []
    parsed: dict[tuple[str, str], pd.Series] = {}

    def add(table: str, column: str | None, message: str, examples: pd.DataFrame | None = None):
        problems.append(
            Problem(table, column, message, examples if examples is not None else pd.DataFrame())
        )

    for name, spec in TABLES.items():
        if spec.mandatory and raw.get(name) is None:
            add(name, None, "mandatory table is missing")

    ids: dict[str, pd.Series] = {}
    for name, spec in TABLES.items():
        frame = raw.get(name)
        if frame is None:
            continue
        if frame.columns.duplicated().any():
            dupes = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
            add(name, dupes[0], f"duplicate column names: {', '.join(dupes)}")
            continue
        for col in spec.required:
            if col not in frame.columns:
                found = ", ".join(map(str, frame.columns)) or "none"
                add(name, col, f"required column is missing (columns found: {found})")

        if "account_id" in frame.columns:
            ids[name] = as_id(frame["account_id"])

        # Nulls in required columns (account_id included).
        for col in spec.required:
            if col not in frame.columns or (name, col) in NULLABLE_REQUIRED:
                continue
            values = ids[name] if col == "account_id" else frame[col]
            null = values.isna()
            if null.any():
                add(
                    name,
                    col,
                    f"{_plural(int(null.sum()), 'row')} without a value ({col} is required)",
                    _example(frame, spec, null, [col]),
                )

        # Dates.
        for col in spec.dates:
            if col not in frame.columns:
                continue
            values = parse_dates(frame[col])
            parsed[(name, col)] = values
            bad = frame[col].notna() & values.isna()
            if bad.any():
                add(
                    name,
                    col,
                    f"{_plural(int(bad.sum()), 'unparseable date')}",
                    _example(frame, spec, bad, [col]),
                )
            late = values >= LATEST if (name, col) not in OPEN_ENDED else False
            odd = ((values < EARLIEST) | late).fillna(False)
            if odd.any():
                add(
                    name,
                    col,
                    f"{_plural(int(odd.sum()), 'implausible date')} (before "
                    f"{EARLIEST.date()} or from {LATEST.date()} on: a typing slip or a "
                    "spreadsheet's zero date?)",
                    _example(frame, spec, odd, [col]),
                )

        # Numbers.
        for col in spec.numbers:
            if col not in frame.columns:
                continue
            raw_col = frame[col]
            numbers = (
                raw_col.astype("float64")
                if pd.api.types.is_numeric_dtype(raw_col.dtype)
                else parse_numbers(raw_col)
            )
            bad = raw_col.notna() & numbers.isna()
            if bad.any():
                add(
                    name,
                    col,
                    f"{_plural(int(bad.sum()), 'non-numeric value')}",
                    _example(frame, spec, bad, [col]),
                )
            infinite = np.isinf(numbers.to_numpy(dtype="float64", na_value=np.nan))
            if infinite.any():
                mask = pd.Series(infinite, index=frame.index)
                add(
                    name,
                    col,
                    f"{_plural(int(infinite.sum()), 'infinite value')}",
                    _example(frame, spec, mask, [col]),
                )
            if (name, col) in NON_NEGATIVE:
                negative = (numbers < 0).fillna(False)
                if negative.any():
                    add(
                        name,
                        col,
                        f"{_plural(int(negative.sum()), 'negative value')} ({col} cannot be "
                        "below zero)",
                        _example(frame, spec, negative, [col]),
                    )

        # Unique ids.
        unique_cols = list(dict.fromkeys(c for c in ("account_id", spec.unique_id) if c))
        if name != "accounts":
            unique_cols = [c for c in unique_cols if c != "account_id"]
        for col in unique_cols:
            if col not in frame.columns:
                continue
            values = ids[name] if col == "account_id" else as_id(frame[col])
            dup = values.notna() & values.duplicated(keep=False)
            if dup.any():
                n_ids = values[dup].nunique()
                add(
                    name,
                    col,
                    f"{_plural(int(n_ids), 'id')} {_verb(int(n_ids), 'appears', 'appear')} "
                    f"more than once ({int(dup.sum()):,} rows)",
                    _example(frame, spec, dup, [col]),
                )

        # Cross-column rules.
        if name == "subscriptions" and {"start_date", "end_date"} <= set(frame.columns):
            start, end = parsed[(name, "start_date")], parsed[(name, "end_date")]
            # A term ending the day it starts covers no day and is harmless; only end < start is.
            bad = (end < start).fillna(False)
            if bad.any():
                add(
                    name,
                    "end_date",
                    f"{_plural(int(bad.sum()), 'row')} "
                    + _verb(int(bad.sum()), "ends before it starts", "end before they start"),
                    _example(frame, spec, bad, ["start_date", "end_date"]),
                )
        if name == "tickets" and {"created_at", "resolved_at"} <= set(frame.columns):
            created, resolved = parsed[(name, "created_at")], parsed[(name, "resolved_at")]
            bad = (resolved < created).fillna(False)
            if bad.any():
                add(
                    name,
                    "resolved_at",
                    f"{_plural(int(bad.sum()), 'ticket')} resolved before "
                    + _verb(int(bad.sum()), "it was created", "they were created"),
                    _example(frame, spec, bad, ["created_at", "resolved_at"]),
                )
        if name == "surveys" and "score" in frame.columns:
            score = parse_numbers(frame["score"])
            if "kind" in frame.columns:
                kind = frame["kind"].astype("str").str.strip().str.lower().fillna("nps")
                is_nps = kind.eq("nps")
            else:
                is_nps = pd.Series(True, index=frame.index)
            bad = is_nps & ((score < 0) | (score > 10)).fillna(False)
            if bad.any():
                add(
                    name,
                    "score",
                    f"{_plural(int(bad.sum()), 'NPS score')} outside 0..10",
                    _example(frame, spec, bad, ["kind", "score"]),
                )

    # Orphans: account ids used elsewhere but absent from accounts.
    if "accounts" in ids:
        known = ids["accounts"].dropna().unique()
        for name, values in ids.items():
            if name == "accounts":
                continue
            orphan = values.notna() & ~values.isin(known)
            if orphan.any():
                n_ids = values[orphan].nunique()
                add(
                    name,
                    "account_id",
                    f"{_plural(int(orphan.sum()), 'row')} ({_plural(int(n_ids), 'account')}) "
                    + _verb(int(orphan.sum()), "refers", "refer")
                    + " to an account_id not in accounts",
                    _example(raw[name], TABLES[name], orphan, ["account_id"]),
                )
    return problems, parsed


def validate_tables(raw: dict[str, pd.DataFrame]) -> list[Problem]:
    """Every contract problem in the raw tables (empty list = valid). Unknown tables are ignored."""
    return check_tables(raw)[0]


def format_report(problems: list[Problem]) -> str:
    """The human-readable report: one entry per problem with its example rows."""
    if not problems:
        return "No problems in the input data."
    lines = [f"{_plural(len(problems), 'problem')} in the input data:"]
    for p in problems:
        where = p.table if p.column is None else f"{p.table}.{p.column}"
        if p.examples is None or p.examples.empty:
            lines.append(f"- {where}: {p.message}")
            continue
        lines.append(f"- {where}: {p.message}, e.g.")
        table = p.examples.astype(object).where(p.examples.notna(), "<null>")
        table = table.rename_axis("row").reset_index()
        lines.extend("    " + line for line in table.to_string(index=False).splitlines())
    return "\n".join(lines)
