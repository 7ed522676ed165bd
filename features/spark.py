"""Features on Apache Spark: the tables partitioned by account, each part built by the pandas code.

Why this shape: feature rows are independent across accounts, so the tables are partitioned by a
hash of ``account_id`` (``bucket``) and each partition runs ``features.matrix`` itself on its own
accounts (``groupBy(bucket).cogroup(...).applyInPandas``): the same validation, typing and
builders as the single-machine engine, so the two cannot drift apart. The few statistics that span
accounts are computed once up front, on Spark, and shipped to every partition with the function:
the end of observation (latest dated row) and the event-type catalogue and core types at each
as-of date (``features.events.TypeCatalogue``, summed from every partition's ``type_usage``).
Nothing but those small statistics reaches the driver.

The output schema is found by running the same partition function on zero rows of each table.
Needs ``pip install 'customer-health[spark]'`` and Java 17+; imports only ``features``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from features.contract import TABLES, Tables
from features.events import TypeCatalogue, as_of_day, type_usage
from features.labels import LabelConfig
from features.loading import (
    CONFIG_SUFFIXES,
    ID_COLUMNS,
    TEXT_COLUMNS,
    _coerce_table,
    tables_from_frames,
)
from features.matrix import as_of_days, build_feature_matrix, build_features
from features.table import PARQUET_SUFFIXES, check_columns, feature_rows, reads_as_numbers
from features.validation import ContractError, Problem, parse_dates

BUCKET = "_bucket"
TABLE = "_table"
SEP = "__"  # table__column in the stacked frame (a dot would read as a struct field)
OTHERS = tuple(name for name in TABLES if name != "events")
Partition = Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame]


def spark_session(master: str | None = None, app: str = "customer-health"):
    """The active Spark session, or a new one on ``master`` (``$SPARK_MASTER``, else the master
    ``spark-submit`` was given, else ``local[*]``)."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None and master is None:
        return active
    master = master or os.environ.get("SPARK_MASTER")
    # Under spark-submit the JVM starts first and holds --master (yarn, k8s, spark://): setting
    # one here would override it and run the whole job on the submitting machine.
    submitted = "PYSPARK_GATEWAY_PORT" in os.environ
    builder = SparkSession.builder
    if master or not submitted:
        builder = builder.master(master or "local[*]")
    # Python workers must run this interpreter (with pandas, LightGBM, MLflow), not the system
    # one; Spark reads the variable when the context starts, not the session config.
    python = os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    return (
        builder.appName(app)
        .config("spark.pyspark.python", python)
        .config("spark.pyspark.driver.python", python)
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )


# ----- reading ----------------------------------------------------------------------------------


def _exists(spark, path: str) -> bool:
    """Whether a path exists, on any file system Spark reads (local, HDFS, S3, DBFS)."""
    jvm = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    return hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()).exists(
        hadoop_path
    )


def _text_columns(table: str) -> set[str]:
    return {*ID_COLUMNS, *TABLES[table].dates, *TEXT_COLUMNS, *TABLES[table].texts}


def read_csv(spark, path: str, table: str, sep: str = ","):
    """A CSV table typed as pandas reads it for ``load_tables``: ids, dates and texts as text,
    other columns inferred (numbers, true/false); inferred dates stay text, as in pandas."""
    from pyspark.sql.types import DateType, StringType, StructField, StructType, TimestampType

    options = {"header": True, "multiLine": True, "escape": '"', "sep": sep}
    inferred = spark.read.options(inferSchema=True, **options).csv(path).schema
    text = _text_columns(table)
    fields = [
        StructField(f.name, StringType())
        if f.name in text or isinstance(f.dataType, DateType | TimestampType)
        else f
        for f in inferred.fields
    ]
    return spark.read.options(**options).schema(StructType(fields)).csv(path)


def read_spark_tables(spark, source: str) -> dict[str, Any]:
    """The contract's tables of a data folder as Spark DataFrames (``accounts.csv``,
    ``events.parquet`` or an ``events.parquet/`` folder, ...), on any path Spark reads."""
    if Path(source).suffix.lower() in CONFIG_SUFFIXES:
        raise ContractError(
            [Problem("source", None, "the Spark engine reads a data folder, not a config file")]
        )
    source = source.rstrip("/")
    out, problems = {}, []
    for name in TABLES:
        found = [s for s in (".parquet", ".csv") if _exists(spark, f"{source}/{name}{s}")]
        if len(found) > 1:
            problems.append(Problem(name, None, f"two files for one table in {source}"))
        elif found == [".parquet"]:
            out[name] = spark.read.parquet(f"{source}/{name}.parquet")
        elif found == [".csv"]:
            out[name] = read_csv(spark, f"{source}/{name}.csv", name)
    missing = [n for n in ("accounts", "subscriptions") if n not in out]
    problems += [Problem(n, None, f"mandatory table is missing in {source}") for n in missing]
    if problems:
        raise ContractError(problems)
    return out


# ----- partitioning -----------------------------------------------------------------------------


def with_bucket(frame, buckets: int):
    """Rows tagged with their account's bucket: a hash of ``account_id`` modulo ``buckets``."""
    from pyspark.sql import functions as F

    key = F.xxhash64(F.trim(F.col("account_id").cast("string")))
    return frame.withColumn(BUCKET, F.pmod(key, F.lit(buckets)).cast("int"))


def stacked(tables: dict[str, Any], buckets: int) -> tuple[Any, Any]:
    """Events by bucket, and every other table in one frame (columns ``table__column`` and
    ``_table``), so one cogroup hands each partition all its accounts' rows."""
    from pyspark.sql import functions as F

    events = tables.get("events")
    if events is not None:
        events = with_bucket(events, buckets)
    parts = []
    for name, frame in tables.items():
        if name == "events" or frame is None:
            continue
        renamed = [F.col(f"`{c}`").alias(f"{name}{SEP}{c}") for c in frame.columns]
        part = with_bucket(frame, buckets).select(F.col(BUCKET), F.lit(name).alias(TABLE), *renamed)
        parts.append(part)
    others = parts[0]
    for part in parts[1:]:
        others = others.unionByName(part, allowMissingColumns=True)
    return events, others


def unstacked(events: pd.DataFrame | None, others: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """One partition's raw tables back under their own names (an inverse of ``stacked``)."""
    raw = {}
    for name in OTHERS:
        prefix = f"{name}{SEP}"
        columns = [c for c in others.columns if c.startswith(prefix)]
        if columns:
            rows = others[others[TABLE] == name]
            frame = rows[columns].rename(columns={c: c.removeprefix(prefix) for c in columns})
            raw[name] = frame.reset_index(drop=True)
    if events is not None:
        raw["events"] = events.drop(columns=[BUCKET]).reset_index(drop=True)
    return raw


# ----- statistics over all accounts -------------------------------------------------------------


def data_end(tables: dict[str, Any]) -> pd.Timestamp:
    """``features.timeline.observation_end`` over every partition: the latest dated row, with
    dates parsed by the loader's own parser."""
    from pyspark.sql import functions as F

    latest = []
    for name, frame in tables.items():
        column = TABLES[name].time_column
        if column is None or column not in frame.columns:
            continue

        def latest_of(batches, column=column):
            for batch in batches:
                value = parse_dates(batch[column]).max()
                yield pd.DataFrame({"latest": [value]}, dtype="datetime64[us]")

        row = (
            frame.select(column)
            .mapInPandas(latest_of, "latest timestamp_ntz")
            .agg(F.max("latest").alias("latest"))
            .first()
        )
        if row is not None and row["latest"] is not None:
            latest.append(pd.Timestamp(row["latest"]))
    if not latest:
        raise ContractError([Problem("subscriptions", "start_date", "no dated row at all")])
    return max(latest)


def type_catalogue(events, dates: list[pd.Timestamp], buckets: int) -> TypeCatalogue:
    """``TypeCatalogue`` of all accounts at ``dates``: each partition's ``type_usage`` of its
    own events (typed as the loader types them), summed on Spark; small enough to broadcast."""
    from pyspark.sql import functions as F

    days = [as_of_day(d) for d in dates]

    def usage(frame: pd.DataFrame) -> pd.DataFrame:
        typed = _coerce_table("events", frame.drop(columns=[BUCKET]), {})
        out = type_usage(typed, days)
        # plain Python strings: Spark's Arrow writer rejects pandas' Arrow-backed text columns
        return out.assign(event_type=out["event_type"].astype(object))

    schema = "event_type string, as_of_day long, accounts_90d long, value_90d long, first_day long"
    if BUCKET not in events.columns:
        events = with_bucket(events, buckets)
    totals = (
        events.groupBy(BUCKET)
        .applyInPandas(usage, schema)
        .groupBy("as_of_day", "event_type")
        .agg(
            F.sum("accounts_90d").alias("accounts_90d"),
            F.sum("value_90d").alias("value_90d"),
            F.min("first_day").alias("first_day"),
        )
    )
    return TypeCatalogue.from_usage(totals.toPandas())


# ----- the partition function -------------------------------------------------------------------


@dataclass(frozen=True)
class Population:
    """What every partition is told about all accounts: dates, end of observation, event types."""

    dates: tuple[pd.Timestamp, ...]
    data_end: pd.Timestamp
    types: TypeCatalogue | None


def population(
    tables: dict[str, Any], dates: Iterable[pd.Timestamp] | None, buckets: int
) -> Population:
    """The statistics that span accounts, computed once (``dates`` default: the day after the
    latest data, as ``serving.score.default_as_of``)."""
    end = data_end(tables)
    dates = as_of_days(dates) if dates else [end.normalize() + pd.Timedelta(days=1)]
    events = tables.get("events")
    types = None if events is None else type_catalogue(events, dates, buckets)
    return Population(tuple(dates), end, types)


def partition_tables(events: pd.DataFrame | None, others: pd.DataFrame) -> Tables:
    """One partition's rows validated and typed by the loader (ContractError names problems)."""
    return tables_from_frames(unstacked(events, others))


def feature_partition(
    people: Population, labels: LabelConfig | None = None
) -> Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame]:
    """The per-partition feature build (with labels when ``labels`` is given)."""

    def build(events: pd.DataFrame, others: pd.DataFrame) -> pd.DataFrame:
        tables = partition_tables(events, others)
        if labels is None:
            return build_features(tables, people.dates, types=people.types)
        return build_feature_matrix(
            tables, people.dates, labels, types=people.types, data_end=people.data_end
        )

    return build


# ----- a ready feature table (``health train --table`` / ``score --table``) ----------------------


@dataclass(frozen=True)
class TableTyping:
    """How the whole table is typed (``features.table.feature_rows``): its id column and, per
    column, whether it reads as numbers. Small, so it travels to every part."""

    id_column: str
    numbers: dict[str, bool]

    def rows(self, part: pd.DataFrame) -> pd.DataFrame:
        """One part's feature rows, typed as the whole table's."""
        return feature_rows(part.drop(columns=[BUCKET]), self.id_column, numbers=self.numbers)


@dataclass(frozen=True)
class TableRows:
    """A ready feature table on Spark, tagged with its accounts' buckets, with its typing and its
    latest as-of date."""

    table: Any
    typing: TableTyping
    latest: pd.Timestamp


def read_spark_table(spark, path: str):
    """A ready feature table as ``features.table.read_table`` reads it, on any path Spark reads:
    a Parquet file or folder, else a CSV file with every column as text."""
    if path.rstrip("/").lower().endswith(PARQUET_SUFFIXES) or _is_folder(spark, path):
        return spark.read.parquet(path)
    return spark.read.options(header=True, multiLine=True, escape='"').csv(path)


def _is_folder(spark, path: str) -> bool:
    jvm = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    system = hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    if not system.exists(hadoop_path):
        raise FileNotFoundError(f"no such file or folder: {path}")
    return bool(system.getFileStatus(hadoop_path).isDirectory())


def spark_table_rows(spark, path: str, id_column: str | None, buckets: int) -> TableRows:
    """The table at ``path`` bucketed by its id, with the typing decided on all of it: each part
    says which columns read as numbers and its latest as-of, and the parts are combined (one row
    per column reaches the driver)."""
    from pyspark.sql import functions as F

    table = read_spark_table(spark, path)
    check_columns(empty_pandas(table), [(id_column, "--id")])
    id_column = id_column or ("account_id" if "account_id" in table.columns else None)
    if id_column is None:
        raise ValueError(
            "the Spark engine needs the table's id column: pass --id COLUMN (or name it account_id)"
        )
    key = F.trim(F.col(f"`{id_column}`").cast("string"))
    table = table.withColumn(BUCKET, F.pmod(F.xxhash64(key), F.lit(buckets)).cast("int"))
    columns = [c for c in table.columns if c not in {id_column, BUCKET}]

    def decide(part: pd.DataFrame) -> pd.DataFrame:
        latest = feature_rows(part[[id_column, *columns]], id_column, skip=columns)["as_of"].max()
        names = [c for c in columns if c != "as_of"]
        return pd.DataFrame(
            {
                "name": [*names, None],
                "numbers": [reads_as_numbers(part[c]) for c in names] + [True],
                "latest": [pd.NaT] * len(names) + [latest],
            }
        )

    schema = "name string, numbers boolean, latest timestamp_ntz"
    decided = table.groupBy(BUCKET).applyInPandas(decide, schema)
    rows = decided.groupBy("name").agg(
        F.min(F.col("numbers").cast("int")).alias("numbers"), F.max("latest").alias("latest")
    )
    found = {row["name"]: row for row in rows.collect()}
    if None not in found:
        raise ValueError("the table has no rows: nothing to score")
    numbers = {name: bool(row["numbers"]) for name, row in found.items() if name is not None}
    return TableRows(table, TableTyping(id_column, numbers), pd.Timestamp(found[None]["latest"]))


# ----- from pandas frames to a Spark schema and back --------------------------------------------


def spark_type(dtype) -> str:
    """The Spark SQL type a pandas column is written as (categories and text as strings)."""
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "bigint"
    if pd.api.types.is_float_dtype(dtype):
        return "double"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "timestamp_ntz"
    return "string"


def frame_schema(frame: pd.DataFrame) -> str:
    """A DDL schema for a frame's columns, in order."""
    return ", ".join(f"`{name}` {spark_type(frame[name].dtype)}" for name in frame.columns)


def conformed(frame: pd.DataFrame, schema: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with exactly ``schema``'s columns, in order, as the types Spark expects."""
    out = {}
    for name in schema.columns:
        kind = spark_type(schema[name].dtype)
        column = frame[name] if name in frame else pd.Series(np.nan, index=frame.index)
        if kind == "string":
            values = column.astype(object).where(column.notna(), None)
            out[name] = values.map(lambda v: v if v is None else str(v))
        elif kind == "double":
            out[name] = pd.to_numeric(column, errors="coerce").astype(float)
        elif kind == "timestamp_ntz":
            out[name] = pd.to_datetime(column)
        elif kind == "bigint":  # nullable: rows of another output in a union carry none
            out[name] = column.astype("Int64")
        else:
            out[name] = column.astype("boolean")
    return pd.DataFrame(out, index=frame.index)


def empty_pandas(frame) -> pd.DataFrame:
    """Zero rows of a Spark DataFrame as pandas, with its column types."""
    return frame.limit(0).toPandas()


def run_partitions(events, others, build: Partition, template: pd.DataFrame | None = None):
    """``build`` applied to every bucket (events and other tables cogrouped), its output shaped as
    ``template`` (zero rows with the output's columns and types; by default what ``build`` gives
    on zero rows)."""
    empty_events = None if events is None else empty_pandas(events)
    empty_others = empty_pandas(others)
    if template is None:
        template = build(empty_events, empty_others)
    schema = frame_schema(template)

    def apply(left: pd.DataFrame | None, right: pd.DataFrame) -> pd.DataFrame:
        # a bucket without rows on one side of the cogroup gets a frame without columns
        if left is not None and len(left.columns) == 0:
            left = empty_events
        if len(right.columns) == 0:
            right = empty_others
        return conformed(build(left, right), template)

    if events is None:
        return others.groupBy(BUCKET).applyInPandas(lambda right: apply(None, right), schema)
    return events.groupBy(BUCKET).cogroup(others.groupBy(BUCKET)).applyInPandas(apply, schema)


def spark_features(
    spark,
    source: str,
    as_of_dates: Iterable[pd.Timestamp],
    buckets: int | None = None,
    labels: LabelConfig | None = None,
):
    """The feature matrix as a Spark DataFrame (lazy): the tables of ``source`` partitioned by
    account into ``buckets`` (default: Spark's default parallelism)."""
    tables = read_spark_tables(spark, source)
    buckets = buckets or spark.sparkContext.defaultParallelism
    spark.conf.set("spark.sql.shuffle.partitions", str(buckets))
    people = population(tables, as_of_dates, buckets)
    events, others = stacked(tables, buckets)
    return run_partitions(events, others, feature_partition(people, labels))


def write_spark_features(
    spark,
    source: str,
    as_of_dates: Iterable[pd.Timestamp],
    out: str,
    buckets: int | None = None,
    labels: LabelConfig | None = LabelConfig(),
) -> int:
    """``health features --engine spark``: the matrix written by Spark as a Parquet folder,
    staged beside ``out`` and moved into place only when complete; returns the row count."""
    import uuid

    from pyspark.sql import functions as F

    out = str(out).rstrip("/")
    staging = f"{out}.staging-{uuid.uuid4().hex[:12]}"
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path
    fs = path(out).getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    try:
        spark_features(spark, source, as_of_dates, buckets, labels).write.parquet(staging)
        rows = spark.read.parquet(staging).agg(F.count(F.lit(1))).first()[0]
        if fs.exists(path(out)):
            fs.delete(path(out), True)
        fs.rename(path(staging), path(out))
        return int(rows)
    finally:
        fs.delete(path(staging), True)
