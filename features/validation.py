"""Check raw input tables against the data contract and report every problem at once (DESIGN 1).

``validate_tables`` takes frames whose columns already carry contract names but whose values are
still as read (dates as strings from CSV, ids possibly numbers from Parquet, ...). It returns a
list of :class:`Problem`; each names the table, the column and up to five offending rows, indexed
by their row number in the table as read (0 = first data row). ``format_report`` turns the list
into the text a user reads; :class:`ContractError` carries it.

All checks are vectorised: they run on event tables with 100M rows.
"""

from __future__ import annotations

import datetime
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import dateutil.parser
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from dateutil.parser import UnknownTimezoneWarning

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


# Day and month as numbers, in either order: 13/01/2024, 1.2.24, 01-02-2024 14:30. Whatever
# follows the year (a time, an offset) is kept. Year first (2024/1/5) is always year-month-day.
# Both separators must be the same (checked after matching: pyarrow's regex has no \\2).
_DAY_MONTH = r"^(\d{1,2})([/.\- ])(\d{1,2})([/.\- ])(\d{4}|\d{2})(\D.*)?$"
_YEAR_FIRST = r"^(\d{4})([/.\- ])(\d{1,2})([/.\- ])(\d{1,2})(\D.*)?$"
# Two-digit years as C's strptime reads them: 00-68 are 2000-2068, 69-99 are 1969-1999.
_PIVOT = 69
# Two defaults that differ in every part: a text read alike under both names a whole date.
_DEFAULTS = (datetime.datetime(2001, 1, 1), datetime.datetime(2002, 2, 2))


@dataclass(frozen=True)
class DateColumn:
    """A date column read once, in one reading of day and month (see ``read_dates``)."""

    values: pd.Series  # naive UTC datetime64[ns]; NaT where missing or not a date
    unreadable: pd.Series  # a value is given but makes no date in the column's reading
    day_first_only: pd.Series  # numeric dates valid only day first (13/01/2024)
    month_first_only: pd.Series  # numeric dates valid only month first (01/13/2024)
    dayfirst: bool | None  # as configured; None: month first unless the rows say otherwise


def _false(index: pd.Index) -> pd.Series:
    return pd.Series(False, index=index)


def _iso(text: pd.Series) -> pd.Series:
    return pd.to_datetime(text, errors="coerce", utc=True, format="ISO8601")


def _by_dateutil(values: np.ndarray) -> list:
    """Texts with words (5 Jan 2024, Jan 5, 2024 2:30 PM): read only if they name a whole date
    (no part filled in from today) and any time zone is known; else NaT."""
    out = []
    for value in values:
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                first, second = (
                    dateutil.parser.parse(value, default=d, dayfirst=False) for d in _DEFAULTS
                )
        except (ValueError, OverflowError):
            out.append(pd.NaT)
            continue
        if first != second or any(w.category is UnknownTimezoneWarning for w in caught):
            out.append(pd.NaT)
            continue
        stamp = pd.Timestamp(first)
        out.append(stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp)
    return out


def _with_time(dates: pd.Series, rest: pd.Series) -> pd.Series:
    """``YYYY-MM-DD`` texts (NaN: not a date) with what followed the date, read as UTC."""
    text = dates + rest
    out = _iso(text).dt.tz_localize(None)
    retry = dates.notna() & out.isna() & rest.str.strip().ne("")
    if retry.any():
        out = out.astype("datetime64[ns]")
        read = pd.to_datetime(pd.Series(_by_dateutil(text[retry].to_numpy()), dtype=object))
        out[retry] = read.to_numpy()
    return out


def _iso_text(year: pd.Series, month: pd.Series, day: pd.Series) -> pd.Series:
    """``YYYY-MM-DD`` where year, month and day make a calendar date; NaN elsewhere."""
    text = year.str.zfill(4) + "-" + month.str.zfill(2) + "-" + day.str.zfill(2)
    valid = pd.to_datetime(text, errors="coerce", format="%Y-%m-%d").notna()
    return text.where(valid)


def _extract(values: pd.Series, pattern: str) -> pd.DataFrame:
    """Regex groups as text (NaN rows: no match, or two different separators)."""
    named = re.sub(r"\((?!\?)", lambda _, n=iter(range(6)): f"(?P<g{next(n)}>", pattern)
    found = pc.extract_regex(pa.array(values.to_numpy(dtype=object), pa.string()), named)
    parts = pd.DataFrame(
        {i: found.field(f"g{i}").to_pandas() for i in range(6)}, index=values.index
    ).astype("str")
    parts[5] = parts[5].fillna("")
    matched = found.is_valid().to_numpy(zero_copy_only=False)
    parts.loc[~matched | parts[1].ne(parts[3]).fillna(True).to_numpy(), 0] = None
    return parts


def _read_unique(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """Stripped texts, each once: month-first and day-first readings (NaT where invalid),
    day-first-only and month-first-only masks. Numeric dates are read both ways, others once."""
    index = values.index
    # ISO 8601 starts with its year (pandas would also read "now" and "today" as ISO).
    iso = _iso(values.where(values.str.match(r"\d"))).dt.tz_localize(None)
    month_first = iso.astype("datetime64[ns]")
    day_first = month_first.copy()
    values = values[iso.isna()]
    parts = _extract(values, _DAY_MONTH)
    numeric = parts[0].notna().reindex(index, fill_value=False)
    if numeric.any():
        p = parts[numeric[values.index]]
        year = p[4].where(p[4].str.len() == 4, None)
        short = p[4].str.len() == 2
        if short.any():
            two = p[4][short].astype(int)
            year = year.fillna((two + np.where(two < _PIVOT, 2000, 1900)).astype(str))
        month_first[p.index] = _with_time(_iso_text(year, p[0], p[2]), p[5])
        day_first[p.index] = _with_time(_iso_text(year, p[2], p[0]), p[5])
    rest = ~numeric[values.index]
    year_first = _extract(values[rest], _YEAR_FIRST)
    ymd = year_first[0].notna()
    if ymd.any():
        p = year_first[ymd]
        read = _with_time(_iso_text(p[0], p[2], p[4]), p[5])
        month_first[read.index] = read
        day_first[read.index] = read
    words = values[rest][~ymd]
    words = words[words.str.contains(r"[A-Za-z]", regex=True)]
    if len(words):
        read = pd.to_datetime(pd.Series(_by_dateutil(words.to_numpy()), dtype=object))
        month_first[words.index] = read.to_numpy()
        day_first[words.index] = read.to_numpy()
    mf, df = month_first.notna(), day_first.notna()
    return month_first, day_first, numeric & df & ~mf, numeric & mf & ~df


def read_dates(series: pd.Series, dayfirst: bool | None = None) -> DateColumn:
    """A date column read once, with one reading of day and month for all its rows.

    Typed dates are taken as they are (time zones converted to UTC, naive values taken as UTC);
    numbers are not dates (an epoch or a spreadsheet's serial day would be a guess). Texts are
    stripped, blanks are missing, ISO 8601 is read first. Of the rest, numeric dates (13/01/2024,
    1.2.24, 01-02-2024 14:30; a two-digit year is 1969-2068) are read day first with ``dayfirst``,
    month first without it; with ``dayfirst=None`` the masks say which rows only one reading
    accepts (the caller reports a column of day-first-only rows, or of both kinds). Texts with
    words (5 Jan 2024) are read when they name a whole date; anything else is unreadable.
    """
    s = series
    index = s.index
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        out = s.dt.tz_convert("UTC").dt.tz_localize(None)
    elif pd.api.types.is_datetime64_dtype(s.dtype):
        out = s
    elif pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        none = pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
        return DateColumn(none, s.notna(), _false(index), _false(index), dayfirst)
    else:
        given = s.notna()
        text = s.astype("str")
        # ISO as written first: all rows at C speed (but "now" and "today" are not dates).
        out = _iso(text).dt.tz_localize(None)
        words = text.isin(("now", "today"))
        if words.any():
            out = out.mask(words)
        todo = given & out.isna()
        df_only = mf_only = _false(index)
        if todo.any():
            stripped = text[todo].str.strip()
            blank = stripped.eq("")
            given[blank.index[blank.to_numpy()]] = False
            todo &= given
            codes, uniques = pd.factorize(stripped[~blank.to_numpy()])
            mf, df, df_u, mf_u = _read_unique(pd.Series(uniques, dtype="str"))
            chosen = df if dayfirst else mf
            out = out.astype("datetime64[ns]")
            out[todo] = chosen.to_numpy()[codes]
            df_only, mf_only = _false(index), _false(index)
            df_only[todo] = df_u.to_numpy()[codes]
            mf_only[todo] = mf_u.to_numpy()[codes]
        out = _in_ns_range(out)
        return DateColumn(out, given & out.isna(), df_only, mf_only, dayfirst)
    out = _in_ns_range(out)
    return DateColumn(out, s.notna() & out.isna(), _false(index), _false(index), dayfirst)


def _in_ns_range(out: pd.Series) -> pd.Series:
    """Within the nanosecond range (outside it counts as unreadable), as ``datetime64[ns]``."""
    unit = np.datetime_data(out.dtype)[0] if out.dtype.kind == "M" else "ns"
    if unit != "ns":
        in_range = out.isna() | ((out >= _NS_MIN) & (out <= _NS_MAX))
        if not in_range.all():
            out = out.mask(~in_range)
    return out.astype("datetime64[ns]")


def parse_dates(series: pd.Series, dayfirst: bool | None = None) -> pd.Series:
    """Naive UTC ``datetime64[ns]`` (``read_dates``'s values); what cannot be read is NaT."""
    return read_dates(series, dayfirst).values


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


def _first(mask: pd.Series, n: int) -> pd.Series:
    """``mask`` with only its first ``n`` true rows kept."""
    keep = mask.copy()
    keep[keep.to_numpy().cumsum() > n] = False
    return keep


def _blank(values: pd.Series) -> pd.Series:
    """Text cells holding only spaces (a missing value, as an empty cell is)."""
    if pd.api.types.is_object_dtype(values.dtype) or pd.api.types.is_string_dtype(values.dtype):
        return values.notna() & values.astype("str").str.strip().eq("")
    return pd.Series(False, index=values.index)


def _serial_hint(values: pd.Series, bad: pd.Series) -> str:
    """Why numbers in a date column are refused, when they are numbers."""
    why = (
        ": a spreadsheet's serial day or an epoch would be a guess; write the dates as dates, "
        "e.g. 2024-01-31"
    )
    if pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        return f" (numbers are not dates{why})"
    if values[bad].astype("str").str.strip().str.fullmatch(r"\d+(\.\d+)?").any():
        return f" (numbers such as 45291 are not dates{why})"
    return ""


def _reading_problem(column: DateColumn) -> tuple[str, pd.Series] | None:
    """The message and rows when a column's numeric dates do not all fit one reading."""
    df, mf = column.day_first_only, column.month_first_only
    if column.dayfirst is None:
        if df.any() and mf.any():
            return (
                f"{_plural(int(df.sum() + mf.sum()), 'date')} mix the two readings of day and "
                f"month: {int(df.sum()):,} valid only day first (13/01/2024), {int(mf.sum()):,} "
                "only month first (01/13/2024); a column has one format, so correct the rows "
                "that do not follow it",
                _first(df, 3) | _first(mf, 2),
            )
        if df.any():
            return (
                f"{_plural(int(df.sum()), 'date')} valid only day first (13/01/2024 as 13 "
                "January), where numeric dates are read month first: if the column is "
                "day-first, set dayfirst = true for this table in a config file (README: Your "
                "own data)",
                df,
            )
        return None
    wrong, reading, other = (mf, "day", "month") if column.dayfirst else (df, "month", "day")
    if not wrong.any():
        return None
    return (
        f"{_plural(int(wrong.sum()), 'date')} valid only {other} first, where "
        f"dayfirst = {str(column.dayfirst).lower()} reads this table {reading} first: a column "
        "has one format, so correct the rows that do not follow it",
        wrong,
    )


def check_tables(
    raw: dict[str, pd.DataFrame], dayfirst: Mapping[str, bool] | None = None
) -> tuple[list[Problem], dict[tuple[str, str], pd.Series]]:
    """Every problem, plus the parsed date columns (reused by loading to avoid parsing twice).

    ``dayfirst`` maps a table to its configured reading of numeric dates (``read_dates``).
    """
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
            null = values.isna() | (_blank(values) if col in spec.dates else False)
            if null.any():
                add(
                    name,
                    col,
                    f"{_plural(int(null.sum()), 'row')} without a value ({col} is required)",
                    _example(frame, spec, null, [col]),
                )

        # Dates: one reading of day and month per column.
        unsettled: set[str] = set()  # columns whose rows do not all fit one reading
        for col in spec.dates:
            if col not in frame.columns:
                continue
            column = read_dates(frame[col], (dayfirst or {}).get(name))
            values = column.values
            parsed[(name, col)] = values
            one_way = column.day_first_only | column.month_first_only
            bad = column.unreadable & ~one_way
            if bad.any():
                add(
                    name,
                    col,
                    f"{_plural(int(bad.sum()), 'unparseable date')}{_serial_hint(frame[col], bad)}",
                    _example(frame, spec, bad, [col]),
                )
            reading = _reading_problem(column)
            if reading is not None:
                message, mask = reading
                add(name, col, message, _example(frame, spec, mask, [col]))
                unsettled.add(col)
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

        # Cross-column rules, on dates whose reading is settled (else they compare guesses).
        settled = set(frame.columns) - unsettled
        if name == "subscriptions" and {"start_date", "end_date"} <= settled:
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
        if name == "tickets" and {"created_at", "resolved_at"} <= settled:
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


def validate_tables(
    raw: dict[str, pd.DataFrame], dayfirst: Mapping[str, bool] | None = None
) -> list[Problem]:
    """Every contract problem in the raw tables (empty list = valid). Unknown tables are ignored.

    ``dayfirst``: per table, numeric dates are day first (True) or month first (False).
    """
    return check_tables(raw, dayfirst)[0]


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
