"""``health score --engine spark``: features, scores and explanations on Spark, by account.

The tables are partitioned by account (``features.spark``); on the executors each partition
builds its features with the pandas engine's code and scores them with the pandas engine's own
per-chunk function (``serving.score.score_features``: probabilities from the packaged model,
health score, band, family points, reasons in words and the long TreeSHAP table), so both
engines write the same columns and values. The model travels to the executors inside the
partition function. Scores and explanations are written by Spark as Parquet datasets into a new
output set (``serving.outputs``) published only when the whole job has succeeded, so a failed job
leaves the previous set whole; the output folder must be on a file system with symbolic links
(local disk, a mounted volume). The run summary is aggregated on Spark (only the riskiest rows
reach the driver) and logged to MLflow.

``spark_score_table_job`` does the same for a ready feature table (``health score --table``):
bucketed by its id, each part typed as the whole table is (the typing decided once, from every
part) and scored by the same per-chunk function.

``spark_probability`` scores a ready Spark table of feature rows with MLflow's Spark UDF.
Needs ``pip install 'customer-health[spark]'`` and Java 17+.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd

from features.spark import (
    BUCKET,
    Population,
    empty_pandas,
    partition_tables,
    population,
    read_spark_tables,
    run_partitions,
    spark_session,
    stacked,
)
from serving.bands import BANDS
from serving.outputs import (
    EXPLANATIONS,
    MANIFEST,
    PRIORITY,
    SCORES,
    account_names,
    new_set_folder,
    publish,
    published_scores,
)
from serving.score import (
    CHAMPION_URIS,
    ScoreConfig,
    ScoreResult,
    ScoringModels,
    Summary,
    chunks,
    load_scoring_models,
    log_score_run,
    priority_order,
    run_manifest,
    score_changes,
    score_features,
)

OUTPUT = "_output"  # which output a row of the partition function belongs to
PREVIOUS = "previous"  # the previous scores, stacked with the tables by account

__all__ = ["spark_probability", "spark_score_job", "spark_score_table_job", "spark_session"]


def spark_probability(spark, features, model_uri: str, columns: list[str], name: str):
    """Add column ``name``: the registered model's probability, computed by MLflow's Spark UDF."""
    import mlflow.pyfunc
    from pyspark.sql import functions as F

    udf = mlflow.pyfunc.spark_udf(spark, model_uri, result_type="double", env_manager="local")
    return features.withColumn(name, udf(F.struct(*[F.col(c) for c in columns])))


def score_chunk(
    frame: pd.DataFrame,
    models: ScoringModels,
    config: ScoreConfig,
    previous: pd.DataFrame | None,
    since: pd.Timestamp | None,
    names: pd.Series | None = None,
) -> list[pd.DataFrame]:
    """``score_features`` (and the change since the previous scores) of one chunk of feature
    rows, as the pandas engine's ``score_frames`` computes them, the scores as published (with
    the accounts' ``names``); each output tagged."""
    scores, explanations = score_features(frame, **models.given(), config=config)
    if previous is not None:
        scores = scores.join(score_changes(scores, previous, since))
    scores = published_scores(scores, names)
    parts = [scores.assign(**{OUTPUT: SCORES})]
    if explanations is not None:
        parts.append(explanations.assign(**{OUTPUT: EXPLANATIONS}))
    return parts


def score_partition(
    people: Population,
    models: ScoringModels,
    config: ScoreConfig,
    since: pd.Timestamp | None,
    template: pd.DataFrame,
):
    """The per-partition job: features, then ``score_chunk`` chunk by chunk; scores and
    explanations in one frame shaped as ``template``, told apart by ``_output``."""

    def build(events: pd.DataFrame | None, others: pd.DataFrame) -> pd.DataFrame:
        previous = None
        if since is not None:
            previous = _previous_rows(others)
            others = others[others["_table"] != PREVIOUS]
        tables = partition_tables(events, others.drop(columns=_previous_columns(others)))
        frame = models.features(tables, people.dates, types=people.types)
        names = account_names(tables.accounts)
        parts = [template]
        for chunk in chunks(frame, config.chunk_rows):
            parts += score_chunk(chunk, models, config, previous, since, names)
        return pd.concat(parts, ignore_index=True) if len(parts) > 1 else template

    return build


def output_template(
    features: pd.DataFrame,
    as_of: pd.Timestamp,
    models: ScoringModels,
    config: ScoreConfig,
    previous: pd.DataFrame | None,
    since: pd.Timestamp | None,
) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Zero rows with the columns and types of the partition output, and each output's columns:
    found by scoring one all-missing row of ``features`` (zero rows with the feature columns)."""
    probe = features.reindex([0]).assign(account_id="probe", as_of=as_of)
    parts = score_chunk(probe, models, config, previous, since)
    columns = {part[OUTPUT].iloc[0]: [c for c in part.columns if c != OUTPUT] for part in parts}
    dtypes: dict[str, Any] = {}
    for part in parts:
        for name in part.columns:
            dtypes.setdefault(name, part[name].dtype)
    template = pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in dtypes.items()})
    return template, columns


def _previous_columns(others: pd.DataFrame) -> list[str]:
    return [c for c in others.columns if c.startswith(f"{PREVIOUS}__")]


def _previous_rows(others: pd.DataFrame) -> pd.DataFrame:
    """This partition's previous scores, indexed by account (as ``load_previous`` gives them)."""
    columns = _previous_columns(others)
    rows = others.loc[others["_table"] == PREVIOUS, columns]
    rows = rows.rename(columns={c: c.removeprefix(f"{PREVIOUS}__") for c in columns})
    return rows.set_index("account_id")


def previous_scores(spark, path: str, as_of: pd.Timestamp):
    """The previous run's scores (a scoring folder, or its scores dataset) as a Spark DataFrame
    and their date, if they are from before ``as_of``; else (None, None)."""
    from pyspark.sql import functions as F

    from features.catalogue import POINTS_FAMILIES
    from features.spark import _exists

    path = path.rstrip("/")
    file = f"{path}/{SCORES}.parquet"
    if not _exists(spark, file):
        if not (path.endswith(".parquet") and _exists(spark, path)):
            return None, None
        file = path
    frame = spark.read.parquet(file)
    wanted = ["account_id", "as_of", "health_score", "base_score"]
    wanted += [f"points_{family}" for family in POINTS_FAMILIES]
    frame = frame.select(*[c for c in wanted if c in frame.columns])
    latest = frame.agg(F.max("as_of").alias("as_of")).first()["as_of"]
    if latest is None or pd.Timestamp(latest) >= as_of:
        return None, None
    return frame, pd.Timestamp(latest)


def spark_summary(scores, top_n: int = 20) -> Summary:
    """The run's summary figures, aggregated on Spark; only the ``top_n`` first rows in priority
    order (``serving.score.priority_order``) are collected."""
    from pyspark.sql import functions as F

    arr = F.col("arr_at_risk")
    figures = scores.agg(
        F.count(F.lit(1)).alias("accounts"),
        F.sum("health_score").alias("health"),
        F.sum(F.when(~F.isnan(arr), arr)).alias("arr"),
    ).first()
    by_band = scores.groupBy("band").agg(
        F.count(F.lit(1)).alias("count"), F.sum(F.when(~F.isnan("arr"), F.col("arr"))).alias("arr")
    )
    rows = by_band.collect()
    bands = {row["band"]: row["count"] for row in rows}
    summary = Summary(top_n=top_n)
    summary.accounts = int(figures["accounts"])
    summary.health_sum = float(figures["health"] or 0)
    summary.arr_at_risk = float(figures["arr"] or 0.0)
    summary.bands = {b: int(bands.get(b, 0)) for b in BANDS}
    arr = {row["band"]: row["arr"] for row in rows}
    summary.band_arr = {b: float(arr.get(b) or 0.0) for b in BANDS}
    if "health_change" in scores.columns:
        change = F.col("health_change")
        counts = scores.agg(
            F.count(F.when(change.isNotNull() & ~F.isnan(change), 1)).alias("changed"),
            F.count(F.when(change <= -10, 1)).alias("down"),
        ).first()
        summary.changed, summary.down_10 = int(counts["changed"]), int(counts["down"])
    summary.top = priority_order(scores.orderBy(*spark_priority()).limit(top_n).toPandas())
    return summary


def spark_score_job(
    source: str,
    out_dir: str | Path,
    as_of: pd.Timestamp | None = None,
    churn_uri: str | None = CHAMPION_URIS["churn"],
    renewal_uri: str | None = CHAMPION_URIS["renewal"],
    config: ScoreConfig = ScoreConfig(),
    log_run: bool = True,
    previous: str | Path | None = None,
    spark=None,
    buckets: int | None = None,
    parent_run_id: str | None = None,
    health_uri: str = CHAMPION_URIS["health"],
) -> ScoreResult:
    """``score_job`` on Spark: the tables of ``source`` (a data folder on any path Spark reads)
    partitioned by account into ``buckets`` (default: Spark's default parallelism)."""
    spark = spark or spark_session()
    models = load_scoring_models(health_uri, churn_uri, renewal_uri)
    tables = read_spark_tables(spark, str(source))
    buckets = buckets or spark.sparkContext.defaultParallelism
    spark.conf.set("spark.sql.shuffle.partitions", str(buckets))
    people = population(tables, [pd.Timestamp(as_of)] if as_of is not None else None, buckets)
    as_of = people.dates[0]
    before, since = previous_scores(spark, str(previous or out_dir), as_of)
    if before is not None:
        tables = {**tables, PREVIOUS: before}
    events, others = stacked(tables, buckets)
    empty = models.features(partition_tables(*_empty(events, others)), people.dates)
    models.check(empty)  # before any work: the data has the models' features
    empty_previous = None if before is None else empty_pandas(before).set_index("account_id")
    template, columns = output_template(empty, as_of, models, config, empty_previous, since)
    build = score_partition(people, models, config, since, template)
    outputs = run_partitions(events, others, build, template)
    manifest = run_manifest(
        as_of, models, config, None if since is None else pd.DataFrame({"as_of": [since]})
    )
    manifest["engine"] = "spark"
    manifest["partitions"] = buckets
    nothing = f"no account is active on {as_of.date()}: nothing to score"
    return _publish(
        spark, outputs, columns, Path(out_dir), manifest, nothing, log_run, parent_run_id
    )


def spark_score_table_job(
    path: str,
    out_dir: str | Path,
    id_column: str | None = None,
    config: ScoreConfig = ScoreConfig(),
    log_run: bool = True,
    spark=None,
    buckets: int | None = None,
    parent_run_id: str | None = None,
    health_uri: str = CHAMPION_URIS["health"],
) -> ScoreResult:
    """``score_table_job`` on Spark: a ready feature table (what ``health train --table``
    trained) bucketed by its id; each part typed as the whole table is and scored by
    ``score_chunk``, so both engines write the same rows."""
    from features.spark import conformed, frame_schema, spark_table_rows

    spark = spark or spark_session()
    models = load_scoring_models(health_uri, None, None)
    buckets = buckets or spark.sparkContext.defaultParallelism
    rows = spark_table_rows(spark, path, id_column, buckets)
    typing = rows.typing  # not ``rows``: the partition function must not hold a Spark frame
    empty = typing.rows(empty_pandas(rows.table))
    models.check(empty)  # before any work: the table has the model's features
    template, columns = output_template(empty, rows.latest, models, config, None, None)

    def score(part: pd.DataFrame) -> pd.DataFrame:
        parts = [template]
        for chunk in chunks(typing.rows(part), config.chunk_rows):
            parts += score_chunk(chunk, models, config, None, None)
        return conformed(pd.concat(parts, ignore_index=True), template)

    outputs = rows.table.groupBy(BUCKET).applyInPandas(score, frame_schema(template))
    manifest = run_manifest(rows.latest, models, config, None)
    manifest["engine"] = "spark"
    manifest["partitions"] = buckets
    nothing = "the table has no rows: nothing to score"
    return _publish(
        spark, outputs, columns, Path(out_dir), manifest, nothing, log_run, parent_run_id
    )


def _publish(
    spark,
    outputs,
    columns: dict[str, list[str]],
    out_dir: Path,
    manifest: dict[str, Any],
    nothing: str,
    log_run: bool,
    parent_run_id: str | None,
) -> ScoreResult:
    """Write the partitions' outputs into a new set, summarise it on Spark, publish it with one
    atomic rename and log the run; any failure removes the new set and leaves the old one."""
    set_dir = new_set_folder(out_dir)
    try:
        outputs = outputs.persist()
        try:
            _write(outputs, set_dir, columns)
        finally:
            outputs.unpersist()
        summary = spark_summary(spark.read.parquet(str(set_dir / f"{SCORES}.parquet")))
        if summary.accounts == 0:
            raise ValueError(nothing)
        manifest["summary"] = summary.metrics()
        text = json.dumps(manifest, indent=2, default=str) + "\n"
        (set_dir / MANIFEST).write_text(text)
        files = publish(set_dir, out_dir)  # the commit: one atomic rename (serving.outputs)
    except BaseException:
        shutil.rmtree(set_dir, ignore_errors=True)
        raise
    logged = {name: path for name, path in files.items() if name != f"{EXPLANATIONS}.parquet"}
    run_id = log_score_run(manifest, summary, logged, parent_run_id) if log_run else None
    return ScoreResult(summary, files, run_id, manifest)


def _empty(events, others) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    """Zero rows of the stacked tables (without the previous scores) as pandas."""
    frame = empty_pandas(others)
    frame = frame.drop(columns=_previous_columns(frame))
    return (None if events is None else empty_pandas(events)), frame


def spark_priority() -> list:
    """``serving.outputs.PRIORITY`` as Spark sort columns (missing values last)."""
    from pyspark.sql import functions as F

    return [
        F.col(name).desc_nulls_last() if order == "descending" else F.col(name).asc_nulls_last()
        for name, order in PRIORITY
    ]


def _write(outputs, set_dir: Path, columns: dict[str, list[str]]) -> None:
    """Each output (scores, and explanations when asked for) as a Parquet dataset in the set;
    the scores' parts in priority order, as the pandas engine's file."""
    from pyspark.sql import functions as F

    for kind in (SCORES, EXPLANATIONS):
        if kind in columns:
            rows = outputs.filter(F.col(OUTPUT) == kind).select(*[f"`{c}`" for c in columns[kind]])
            if kind == SCORES:
                rows = rows.orderBy(*spark_priority())
            rows.write.parquet(str(set_dir / f"{kind}.parquet"))
