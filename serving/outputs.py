"""Output sets written all or nothing: a reader sees the previous set whole or the new set whole.

Layout of an output folder (``OUT``)::

    OUT/.sets/<id>/scores.parquet ...   each committed set, complete, in its own folder
    OUT/.current -> .sets/<id>          the one pointer to the live set
    OUT/scores.parquet -> .current/scores.parquet    (and one such link per output name)

A new set is written into a fresh folder under ``.sets``; publishing it is one ``os.replace`` of
the ``.current`` pointer, which POSIX makes atomic. Every step before that rename leaves what a
reader sees unchanged, so a failure at any point leaves the previous set whole; after it the new
set is whole. Plain files of a folder from before this layout are first brought into the live set
by hard links, which changes nothing a reader sees either.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

SCORES, EXPLANATIONS, MANIFEST = "scores", "explanations", "scoring.json"
# Every name an output set can hold: a set lacking one of them shows it as absent.
OUTPUT_NAMES = (f"{SCORES}.parquet", f"{SCORES}.csv", f"{EXPLANATIONS}.parquet", MANIFEST)
SETS, CURRENT = ".sets", ".current"

# ----- the scores file as a customer-success team reads it ----------------------------------------

# Who the account is, its money, the score and when the renewal is due, then why: the columns a
# spreadsheet or a CRM shows first. The rest follow in the order scoring made them.
LEAD_COLUMNS = (
    "account_id",
    "account_name",
    "plan",
    "mrr",
    "arr",
    "health_score",
    "band",
    "renewal_date",
    "renewal_due_in_days",
    "risk_driver_1",
    "risk_driver_2",
    "risk_driver_3",
    "protective_driver",
    "arr_at_risk",
    "churn_probability",
)
# The to-do list's order (``serving.score.priority_order``): most ARR expected to be lost within
# the horizon first, then the least healthy; rows without revenue last.
PRIORITY = (
    ("arr_at_risk", "descending"),
    ("health_score", "ascending"),
    ("account_id", "ascending"),
)
PROBABILITIES = (
    "stay_probability",
    "year_stay_probability",
    "churn_probability",
    "renewal_probability",
)
MONEY = ("mrr", "arr", "arr_at_risk")
WHOLE_NUMBERS = ("health_score", "decision_months", "renewal_due_in_days", "health_change")
PROBABILITY_DECIMALS, POINTS_DECIMALS = 3, 1


def account_names(accounts: pd.DataFrame) -> pd.Series:
    """The accounts table's ``name`` by account id (empty where the table has no names)."""
    names = accounts["name"] if "name" in accounts else pd.Series(pd.NA, index=accounts.index)
    return pd.Series(names.to_numpy(), index=accounts["account_id"].to_numpy(), dtype="str")


def _points_columns(columns: pd.Index) -> list[str]:
    """Columns in health points: the base score, family points, reasons' impacts, changes."""
    prefixes = ("points_", "risk_impact_", "change_")
    return [
        c
        for c in columns
        if c in ("base_score", "protective_impact")
        or (c.startswith(prefixes) and c != "change_summary")
    ]


def published_scores(scores: pd.DataFrame, names: pd.Series | None = None) -> pd.DataFrame:
    """The scores as the file holds them, for a team to load as it is: the account's name
    (``names``: ``account_names``) beside its id, ``LEAD_COLUMNS`` first, numbers rounded as
    people read them (probabilities to 3 places, money to whole units, points to 1 decimal),
    and one type per column whatever the chunk holds (whole numbers as nullable ``Int64``).

    The explanations are never rounded: their SHAP values must add up exactly.
    """
    out = scores.copy()
    ids = out["account_id"].astype(str)
    name = pd.Series(pd.NA, index=out.index) if names is None else ids.map(names)
    out["account_name"] = pd.array(name.to_numpy(dtype=object), dtype="str")
    if "plan" not in out:
        out["plan"] = pd.array([pd.NA] * len(out), dtype="str")
    for column in [c for c in PROBABILITIES if c in out]:
        out[column] = pd.to_numeric(out[column]).round(PROBABILITY_DECIMALS)
    for column in [c for c in (*MONEY, *WHOLE_NUMBERS) if c in out]:
        out[column] = pd.to_numeric(out[column]).round().astype("Int64")
    for column in _points_columns(out.columns):
        out[column] = pd.to_numeric(out[column]).round(POINTS_DECIMALS)
    lead = [c for c in LEAD_COLUMNS if c in out]
    return out[[*lead, *[c for c in out.columns if c not in lead]]]


def read_scores(path: Path) -> pd.DataFrame:
    """A scores file (or a Spark engine's folder of parts) as pandas, typed as
    ``published_scores`` makes them: whole numbers as ``Int64`` whichever engine wrote them."""
    scores = pd.read_parquet(path)
    for column in [c for c in (*MONEY, *WHOLE_NUMBERS) if c in scores]:
        scores[column] = scores[column].astype("Int64")
    return scores


def priority_sorted(table: pa.Table) -> pa.Table:
    """A scores table in ``PRIORITY`` order (by the keys it has; rows without a key last)."""
    keys = [(name, order, "at_end") for name, order in PRIORITY if name in table.column_names]
    return table.sort_by(keys) if keys else table


def decimals(column: str) -> int | None:
    """How many decimal places the scores file gives a column (None: as it is)."""
    if column in PROBABILITIES:
        return PROBABILITY_DECIMALS
    if column in _points_columns(pd.Index([column])):
        return POINTS_DECIMALS
    return None


def scores_csv(table: pa.Table) -> pa.Table:
    """The scores as the CSV holds them: spreadsheet-safe (``_csv_table``), and each decimal
    column written with its places (``0.912``, ``80.0``), so that a column of decimals never
    reads back as whole numbers where every value happens to be whole."""
    table = _csv_table(table)
    for i, field in enumerate(table.schema):
        places = decimals(field.name)
        if places is None or not pa.types.is_floating(field.type):
            continue
        table = table.set_column(i, field.name, fixed_places(table.column(i), places))
    return table


def fixed_places(values: pa.ChunkedArray, places: int) -> pa.Array:
    """Decimals already rounded to ``places`` (``published_scores`` rounds them) as text with
    exactly that many places (``0.900``, ``-1.5``), a gap as null: whole and fractional parts in
    units of the last place, joined by Arrow, since formatting one Python float at a time cost
    more than the rest of scoring's writing. A value with more places may differ from Python's
    formatting in the last place at a half."""
    import pyarrow.compute as pc

    v = np.asarray(values.to_numpy(zero_copy_only=False), dtype=float)
    missing = np.isnan(v)
    unit = 10**places
    scaled = np.rint(np.abs(np.where(missing, 0.0, v)) * unit).astype(np.int64)
    whole = pa.array(scaled // unit).cast(pa.string())
    sign = pa.array(np.where((v < 0) & (scaled > 0), "-", ""), pa.string())
    text = pc.binary_join_element_wise(sign, whole, "")
    if places > 0:
        fraction = pc.utf8_lpad(pa.array(scaled % unit).cast(pa.string()), places, "0")
        text = pc.binary_join_element_wise(text, fraction, ".")
    return pc.if_else(pa.array(missing), pa.scalar(None, pa.string()), text)


def new_set_folder(out_dir: Path) -> Path:
    """An empty folder for a set being written (under ``out_dir/.sets``, so renames stay local)."""
    sets = Path(out_dir) / SETS
    sets.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="set-", dir=sets))


def publish(set_dir: Path, out_dir: Path) -> dict[str, Path]:
    """Make the complete set in ``set_dir`` the live one in ``out_dir``, in one rename.

    Returns the public path of every file in the set. Older sets are removed afterwards.
    """
    out_dir = Path(out_dir)
    names = sorted(p.name for p in set_dir.iterdir())
    adopt_plain_files(out_dir, sorted({*OUTPUT_NAMES, *names}))
    for name in names:
        _ensure_link(out_dir / name, Path(CURRENT) / name)
    _point(out_dir / CURRENT, Path(SETS) / set_dir.name)  # the commit: one atomic rename
    _tidy(out_dir, keep=set_dir.name)
    return {name: out_dir / name for name in names}


def adopt_plain_files(out_dir: Path, names: list[str]) -> None:
    """Bring plain files named like outputs (a folder from before this layout) into the live set,
    without changing what a reader sees.

    Each plain file is hard-linked (copied where links are impossible) into the live set folder
    (a new one if there is none yet), and only then replaced by a link to that same content.
    """
    plain = [
        out_dir / n for n in names if (out_dir / n).is_file() and not (out_dir / n).is_symlink()
    ]
    if not plain:
        return
    if not (out_dir / CURRENT).is_symlink():
        _point(out_dir / CURRENT, Path(SETS) / new_set_folder(out_dir).name)
    live = out_dir / os.readlink(out_dir / CURRENT)
    for path in plain:
        temporary = live / f".{path.name}.{os.getpid()}.tmp"
        temporary.unlink(missing_ok=True)
        try:
            os.link(path, temporary)
        except OSError:
            shutil.copy2(path, temporary)
        os.replace(temporary, live / path.name)
        _ensure_link(path, Path(CURRENT) / path.name)


def _ensure_link(path: Path, target: Path) -> None:
    """``path`` becomes a symbolic link to ``target`` (relative to its folder), by a rename."""
    if path.is_symlink() and Path(os.readlink(path)) == target:
        return
    _point(path, target)


def _point(path: Path, target: Path) -> None:
    """Replace ``path`` with a link to ``target`` in one rename (a reader never sees it missing)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    os.symlink(target, temporary)
    try:
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _tidy(out_dir: Path, keep: str) -> None:
    """After the commit: delete every set but the live one, and the links to names it lacks."""
    for folder in (out_dir / SETS).iterdir():
        if folder.name != keep:
            shutil.rmtree(folder, ignore_errors=True)
    for path in out_dir.iterdir():
        through_current = path.is_symlink() and Path(os.readlink(path)).parts[0] == CURRENT
        if through_current and not path.exists():
            path.unlink(missing_ok=True)


def live_files(out_dir: Path) -> dict[str, bytes]:
    """The bytes of every file of the live set, by name (what a reader of ``out_dir`` sees)."""
    out_dir = Path(out_dir)
    return {n: (out_dir / n).read_bytes() for n in OUTPUT_NAMES if (out_dir / n).is_file()}


class OutputWriter:
    """Writes explanations (Parquet) chunk by chunk into a new set folder and holds the scores
    (one row per account) until ``commit``, which writes them in priority order with their CSV
    and publishes the whole set.

    Use as a context manager: leaving it with an exception, or without ``commit``, deletes the
    unfinished set and leaves the live set in ``out_dir`` as it was.
    """

    def __init__(self, out_dir: Path, metadata: dict[str, str] | None = None) -> None:
        self.out_dir = Path(out_dir)
        self.metadata = {k.encode(): v.encode() for k, v in (metadata or {}).items()}
        self.staging: Path | None = None
        self._writers: dict[str, Any] = {}
        self._schemas: dict[str, pa.Schema] = {}
        self._published = False
        self.rows: dict[str, int] = {}
        self._held: list[pa.Table] = []

    def __enter__(self) -> OutputWriter:
        self.staging = new_set_folder(self.out_dir)
        return self

    def __exit__(self, *exc_info) -> None:
        try:
            self._close()  # may fail too (a full disk fails the flush): the set goes all the same
        finally:
            if self.staging is not None and not self._published:
                shutil.rmtree(self.staging, ignore_errors=True)

    def write(self, name: str, frame: pd.DataFrame) -> None:
        """Append a chunk to output ``name`` (every chunk has the first chunk's columns)."""
        table = self._table(name, frame)
        self.rows[name] = self.rows.get(name, 0) + len(frame)
        if name == SCORES:  # held until commit, which writes them once in priority order
            self._held.append(table)
            return
        if name not in self._writers:
            self._writers[name] = pq.ParquetWriter(self.staging / f"{name}.parquet", table.schema)
        self._writers[name].write_table(table)

    def _table(self, name: str, frame: pd.DataFrame) -> pa.Table:
        schema = self._schemas.get(name)
        if schema is None:
            table = pa.Table.from_pandas(frame, preserve_index=False)
            schema = pa.schema(
                [f.with_type(pa.string()) if pa.types.is_null(f.type) else f for f in table.schema]
            ).with_metadata({**(table.schema.metadata or {}), **self.metadata})
            self._schemas[name] = schema
        return pa.Table.from_pandas(frame, schema=schema, preserve_index=False)

    def _write_in_priority_order(self) -> None:
        """The scores, held chunk by chunk, written whole in ``PRIORITY`` order, with their CSV
        beside them (the file's rows are the to-do list's; memory holds the scores, one row per
        account, never the explanations)."""
        table = priority_sorted(pa.concat_tables(self._held))
        self._held = []
        pq.write_table(table, self.staging / f"{SCORES}.parquet")
        pacsv.write_csv(scores_csv(table), self.staging / f"{SCORES}.csv")

    def _close(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def commit(self, manifest: dict[str, Any] | None = None) -> dict[str, Path]:
        """Finish every file, put the scores in priority order, add the manifest, and publish
        the set (see ``publish``)."""
        self._close()
        if self._held:
            self._write_in_priority_order()
        if manifest is not None:
            text = json.dumps(manifest, indent=2, default=str) + "\n"
            (self.staging / MANIFEST).write_text(text)
        written = publish(self.staging, self.out_dir)
        self._published = True
        return written


# A cell starting with one of these is a formula to a spreadsheet (=HYPERLINK(...) runs).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """Text cells that a spreadsheet would run as a formula, prefixed with ``'`` (OWASP's rule)."""
    import pyarrow.compute as pc

    risky = pc.match_substring_regex(values, _FORMULA_PATTERN)
    if not pc.any(risky).as_py():  # the common case: one pass, nothing rebuilt
        return values
    quote, empty = pa.scalar("'", type=values.type), pa.scalar("", type=values.type)
    return pc.if_else(risky, pc.binary_join_element_wise(quote, values, empty), values)


# A cell starting with one of FORMULA_START, as one regular expression ("-" last: a literal).
_FORMULA_PATTERN = "^[=+@\t\r-]"


def _csv_table(table: pa.Table) -> pa.Table:
    """The scores as a spreadsheet reads them: dates without a time of day, and no text cell
    (ids included) that a spreadsheet would run."""
    for i, column in enumerate(table.schema):
        if pa.types.is_timestamp(column.type):
            table = table.set_column(i, column.name, table.column(i).cast(pa.date32()))
        elif pa.types.is_dictionary(column.type):
            text = table.column(i).cast(pa.string())
            table = table.set_column(i, column.name, spreadsheet_safe(text))
        elif pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            table = table.set_column(i, column.name, spreadsheet_safe(table.column(i)))
    return table


def write_csv(frame: pd.DataFrame, path: Path, index: bool = False) -> None:
    """A frame as a CSV that is safe to open in a spreadsheet (the scores' rule), for the side
    tables other jobs write (drift, movers)."""
    table = pa.Table.from_pandas(frame.reset_index() if index else frame, preserve_index=False)
    pacsv.write_csv(_csv_table(table), path)


def write_outputs(outputs: dict[str, pd.DataFrame], out_dir: Path) -> dict[str, Path]:
    """Write a whole set of outputs and publish it: a failure leaves the previous set whole."""
    with OutputWriter(Path(out_dir)) as writer:
        for name, frame in outputs.items():
            writer.write(name, frame)
        return writer.commit()
