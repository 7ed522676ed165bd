"""One function per subcommand, each one call to its library job.

Here, at the edge, the dates, the experiment and the tracking store are chosen; the jobs below
take everything explicitly.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from health.console import Steps, make_console, print_command, seconds
from health.errors import DataError, UsageError


def load(source: str, observed_until: str | None = None):
    """The contract's tables, or a DataError naming every problem."""
    from features.loading import load_tables
    from features.validation import ContractError
    from health.checks import data_source

    data_source(source)
    try:
        tables = load_tables(source, observed_until=observed_until)
    except ContractError as error:
        raise DataError(f"the input data does not meet the contract ({source}):\n{error}") from None
    if len(tables.subscriptions) == 0:
        raise DataError(
            f"the subscriptions table of {source} has no rows: no account is ever active, so "
            "there is nothing to learn or score (expected one row per contract term)"
        )
    return tables


def tracking(args: argparse.Namespace) -> str:
    """Point MLflow at the store this command uses (see ``health.tracking``); return its URI."""
    from health.tracking import configure_tracking, resolve_uri, use_experiment

    uri = configure_tracking(resolve_uri(args.tracking_uri))
    if args.parent_run_id is None:  # under ``mlflow run`` the project's run holds ours
        use_experiment(args.experiment)
    return uri


def cmd_generate(args: argparse.Namespace) -> int:
    from health.checks import output_folder
    from health.synthetic import generate_demo_data, write_demo_data

    output_folder(args.out)
    console = make_console()
    steps = Steps(console, 1, args.started)
    with steps.step(f"Generating {args.accounts:,} accounts (seed {args.seed})") as step:
        tables = generate_demo_data(
            n_accounts=args.accounts, seed=args.seed, days=args.days, change_at=args.change_at
        )
        paths = write_demo_data(tables, args.out)
        step.done = f"Wrote demo data to {args.out}"
    for name, path in paths.items():
        rows = len(tables[name]) if name in tables else 0
        console.print(f"  {name:<14} {rows:>10,} rows  {path}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from features.coverage import coverage, coverage_lines, coverage_warning
    from features.loading import check_source
    from features.validation import ContractError, format_report
    from health.checks import data_source

    data_source(args.data)
    console = make_console()
    try:  # every problem of the dataset in one run; Parquet events are checked in batches
        checked = check_source(args.data, events_on_disk=True)
    except ContractError as error:  # nothing could be read at all
        raise DataError(str(error)) from None
    if checked.problems:
        console.print(format_report(checked.problems), markup=False)
        return 1
    sizes = ", ".join(f"{name} {rows:,}" for name, rows in checked.rows().items())
    console.print(f"[green]OK[/green]: {args.data} meets the contract ({sizes} rows).")
    table = coverage(checked.tables())
    console.print("Coverage (first and last date):", markup=False)
    console.print("\n".join(coverage_lines(table)), markup=False)
    warning = coverage_warning(table)
    if warning:
        console.print(f"[yellow]Warning:[/yellow] {warning}")
    return 0


def cmd_features(args: argparse.Namespace) -> int:
    import pandas as pd

    from features.labels import LabelConfig
    from features.matrix import build_feature_matrix
    from health.checks import output_file
    from training.train import save_matrix

    output_file(args.out, "features.parquet")
    console = make_console()
    dates = [pd.Timestamp(d) for d in args.as_of]
    if args.engine == "spark":
        from features.spark import spark_session, write_spark_features

        labels = LabelConfig(horizon_days=args.horizon_days)
        with Steps(console, 1, args.started).step("Building features on Spark") as step:
            spark = spark_session(args.master or None)
            rows = spark_job(
                write_spark_features, spark, args.data, dates, args.out, args.partitions, labels
            )
            step.done = f"Wrote {rows:,} rows to {args.out} (a Parquet folder)"
        return 0
    tables = load(args.data)
    with Steps(console, 1, args.started).step("Building features") as step:
        matrix = build_feature_matrix(
            tables,
            dates,
            LabelConfig(horizon_days=args.horizon_days),
            progress=step.as_of_progress(),
        )
        save_matrix(matrix, Path(args.out))
        step.done = f"Wrote {len(matrix):,} rows x {matrix.shape[1]} columns to {args.out}"
    return 0


def train_config(args: argparse.Namespace):
    from features.labels import LabelConfig
    from training.config import BoosterParams, GateConfig
    from training.train import TrainConfig

    return TrainConfig(
        labels=LabelConfig(horizon_days=args.horizon_days),
        every_days=args.every_days,
        warmup_days=args.warmup_days,
        validation_dates=args.validation_dates,
        observed_until=args.observed_until or None,
        experiment=args.experiment,
        model_kind=args.model_kind,
        tune_trials=args.tune,
        booster=BoosterParams(seed=args.seed),
        gate=GateConfig(
            min_auc=args.min_auc,
            beat_baseline=not args.no_baseline_floor,
            data_is_easy=args.data_is_easy,
        ),
    )


def cmd_train(args: argparse.Namespace) -> int:
    from health.tables import print_training
    from health.tracking import resolve_uri, store_lock, ui_command

    console = make_console()
    data, table = args.data or None, args.table or None  # MLflow passes "" for "not given"
    if table and not args.label:
        raise UsageError("--table needs --label COLUMN, e.g. --table features.csv --label churned")
    if not table and not data:
        raise UsageError("health train needs DATA, or --table FILE --label COLUMN")
    config = train_config(args)
    if table:
        try:
            matrix = _table_matrix(args)
        except (ValueError, OSError) as error:
            raise UsageError(f"cannot use {table} as a feature table: {error}") from None
        labels = [matrix.columns[-1]]  # the label, renamed churned or renewed by --target
        tables = None
    else:
        tables = load(data, observed_until=args.observed_until or None)
        matrix, labels = None, None
    uri = resolve_uri(args.tracking_uri)
    with store_lock(uri, lambda: console.print(f"Waiting for another job on {uri} to end...")):
        tracking(args)
        results = _train(console, args, config, matrix if table else None, tables, labels)
    print_training(console, results)
    console.print(f"MLflow: {uri}")
    console.print("Open the MLflow UI:")
    print_command(console, ui_command(uri))
    return 0


def _train(console, args, config, matrix, tables, labels):
    """Features on the grid (unless given a table), then one run per model."""
    from training.train import TrainingImpossible, prepare_training, train_from_matrix

    table = matrix is not None
    steps = Steps(console, 1 if table else 2, args.started)
    if not table:
        with steps.step("Building features on the as-of grid") as step:
            try:
                config, matrix = prepare_training(tables, config, step.as_of_progress())
            except TrainingImpossible as error:
                raise DataError(str(error)) from None
            step.done = f"Built {len(matrix):,} training rows"
    with steps.step(f"Training on {len(matrix):,} rows (LightGBM, baseline, MLflow)") as step:
        results = train_from_matrix(matrix, config, labels=labels, parent_run_id=args.parent_run_id)
        step.done = "Trained and registered " + " and ".join(r.target for r in results)
    return results


def _table_matrix(args: argparse.Namespace):
    """``--table FILE --label COLUMN [--id] [--positive] [--drop ...]`` as a training matrix."""
    from training.table import feature_table_matrix, read_table
    from training.train import TARGETS

    drop = [name.strip() for value in args.drop or [] for name in value.split(",") if name.strip()]
    return feature_table_matrix(
        read_table(args.table),
        args.label,
        id_column=args.id or None,
        positive=args.positive or None,
        drop=drop,
        target={name: label for label, name in TARGETS.items()}[args.target],
    )


def calendar_model(console, store: str, uri: str | None, kind: str, what: str) -> str | None:
    """A calendar model's URI if it is registered; a default champion that is not is skipped
    with a note (a young product may have none), one named explicitly must exist."""
    from health.tracking import require_registered
    from serving.score import CHAMPION_URIS

    if not uri:
        return None
    if uri != CHAMPION_URIS[kind]:
        require_registered(store, uri)
        return uri
    try:
        require_registered(store, uri)
    except DataError:
        console.print(
            f"note: no {uri} in the store, so scores carry no {what} probability (train one "
            "with 'health train DATA' once terms have ended)",
            markup=False,
            soft_wrap=True,
        )
        return None
    return uri


def cmd_score(args: argparse.Namespace) -> int:
    import pandas as pd

    from health.checks import existing_folder, model_uri, output_folder, scoring_date
    from health.tables import print_top_risk
    from health.tracking import require_registered, resolve_uri
    from serving.model import MissingFeaturesError
    from serving.score import CHAMPION_URIS, ScoreConfig, score_job

    console = make_console()
    if bool(args.data) == bool(args.table):
        raise UsageError("health score needs DATA or --table FILE (one of them)")
    output_folder(args.out)
    previous = existing_folder(args.previous, "--previous") if args.previous else None
    try:
        config = ScoreConfig(
            green_from=args.green_from,
            red_below=args.red_below,
            chunk_rows=args.chunk_rows,
            explain=not args.no_explain,
        )
    except ValueError as error:
        raise UsageError(str(error)) from None
    health_uri = args.model or CHAMPION_URIS["health"]  # MLflow passes "" for "not given"
    churn_uri = args.churn_model or CHAMPION_URIS["churn"]
    renewal_uri = None if args.no_renewal else args.renewal_model or CHAMPION_URIS["renewal"]
    if args.table:
        churn_uri = renewal_uri = None  # a ready table holds the health model's features
    model_uri(health_uri, "--model")
    if churn_uri:
        model_uri(churn_uri, "--churn-model")
    if renewal_uri:
        model_uri(renewal_uri, "--renewal-model")
    store = resolve_uri(args.tracking_uri)
    require_registered(store, health_uri)  # before anything touches the store
    churn_uri = calendar_model(console, store, churn_uri, "churn", "churn within the horizon")
    renewal_uri = calendar_model(console, store, renewal_uri, "renewal", "renewal")
    tables = None
    if not args.table and args.engine != "spark":
        tables = load(args.data)  # only once every argument is known to be good
        today = pd.Timestamp.now().normalize()
        date = scoring_date(tables, args.as_of, today, args.allow_stale)
        for note in date.notes:
            console.print(f"note: {note}", markup=False, soft_wrap=True)
        readable_previous(Path(args.out) if previous is None else previous)
    tracking(args)
    steps = Steps(console, 1, args.started)
    try:
        if args.table and args.engine == "spark":
            from features.spark import spark_session
            from serving.spark import spark_score_table_job

            with steps.step(f"Scores and explanations of {args.table} on Spark") as s:
                spark = spark_session(args.master or None)
                result = spark_job(
                    spark_score_table_job,
                    args.table,
                    args.out,
                    args.id or None,
                    config,
                    spark=spark,
                    buckets=args.partitions,
                    parent_run_id=args.parent_run_id,
                    health_uri=health_uri,
                )
                s.done = (
                    f"Scored {result.summary.accounts:,} rows in "
                    f"{result.manifest['partitions']} partitions"
                )
        elif args.table:
            from features.table import feature_rows, read_table
            from serving.score import score_table_job

            rows = feature_rows(read_table(args.table), args.id or None)
            with steps.step(f"Scoring and explaining {len(rows):,} rows of {args.table}") as s:
                result = score_table_job(  # a table holds the health model's features only
                    rows,
                    Path(args.out),
                    config=config,
                    parent_run_id=args.parent_run_id,
                    health_uri=health_uri,
                )
                s.done = f"Scored {result.summary.accounts:,} rows"
        elif args.engine == "spark":
            from features.spark import spark_session
            from serving.spark import spark_score_job

            as_of = pd.Timestamp(args.as_of) if args.as_of else None
            with steps.step("Features, scores and explanations on Spark") as s:
                spark = spark_session(args.master or None)
                result = spark_job(
                    spark_score_job,
                    args.data,
                    args.out,
                    as_of,
                    churn_uri,
                    renewal_uri,
                    config,
                    previous=previous,
                    spark=spark,
                    buckets=args.partitions,
                    parent_run_id=args.parent_run_id,
                    health_uri=health_uri,
                )
                s.done = (
                    f"Scored {result.summary.accounts:,} active accounts as of "
                    f"{result.manifest['as_of']} in {result.manifest['partitions']} partitions"
                )
        else:
            as_of = date.as_of
            with steps.step(f"Scoring and explaining as of {as_of.date()}") as s:
                result = score_job(
                    tables,
                    Path(args.out),
                    as_of,
                    churn_uri,
                    renewal_uri,
                    config,
                    previous=previous,
                    parent_run_id=args.parent_run_id,
                    health_uri=health_uri,
                )
                s.done = f"Scored {result.summary.accounts:,} active accounts as of {as_of.date()}"
    except MissingFeaturesError as error:
        raise UsageError(f"cannot score with {health_uri}: {error}") from None
    except ValueError as error:  # a table that cannot be read as features, no active account
        raise DataError(str(error)) from None
    summary = result.summary
    for note in result.manifest.get("notes", []):
        console.print(f"[yellow]Note:[/yellow] {note}", markup=False)
    print_top_risk(console, result.top, args.top, summary.bands, summary.accounts, summary.band_arr)
    if result.manifest.get("previous_as_of"):
        console.print(
            f"Compared with the scores of {result.manifest['previous_as_of']}: "
            f"{summary.down_10:,} account(s) fell 10 points or more."
        )
    for path in result.files.values():
        console.print(f"  wrote {path}")
    return 0


def spark_job(job, *args, **kwargs):
    """Run a Spark job; a contract problem or error raised in a partition becomes a DataError
    with the Python error's own message, not the JVM's stack."""
    from features.validation import ContractError

    try:
        return job(*args, **kwargs)
    except ContractError as error:
        raise DataError(f"the input data does not meet the contract:\n{error}") from None
    except Exception as error:
        if not type(error).__module__.startswith(("pyspark", "py4j")):
            raise
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        named = [line for line in lines if "Error:" in line or "Exception:" in line]
        reason = (named or lines or [type(error).__name__])[-1]
        raise DataError(f"the Spark job failed: {reason}") from None


def readable_previous(folder: Path) -> None:
    """Earlier scores that scoring compares with must be readable (or absent)."""
    import pyarrow.parquet as pq

    path = folder / "scores.parquet"
    if not path.exists():
        return
    try:
        pq.read_schema(path)
    except Exception as error:  # noqa: BLE001 - any unreadable file gets the same sentence
        raise DataError(
            f"{path} cannot be read ({type(error).__name__}: {error}); it is what this "
            "scoring would compare with: move it away, or pass --previous DIR or another --out"
        ) from None


def cmd_backtest(args: argparse.Namespace) -> int:
    from features.labels import LabelConfig
    from health.tables import print_backtest
    from serving.score import ScoreConfig
    from training.backtest import BacktestConfig, run_backtest
    from training.train import TrainConfig

    console = make_console()
    try:
        config = BacktestConfig(
            every_days=args.every_days,
            lookback_days=args.lookback_days,
            dates=tuple(args.date or ()),
            train=TrainConfig(
                labels=LabelConfig(horizon_days=args.horizon_days), experiment=args.experiment
            ),
            score=ScoreConfig(green_from=args.green_from, red_below=args.red_below),
        )
    except ValueError as error:
        raise UsageError(str(error)) from None
    from health.checks import output_file

    output_file(args.out, "backtest.html")
    tables = load(args.data)
    tracking(args)
    started = time.perf_counter()
    with Steps(console, 1, args.started).step("Backtesting") as step:
        result = run_backtest(
            tables,
            Path(args.out),
            config,
            progress=step.update,
            parent_run_id=args.parent_run_id,
        )
        step.done = f"Backtested {int(result.summary.metrics['backtest_dates'])} dates"
    print_backtest(console, result)
    console.print(f"Report: {result.report} (open it in a browser)")
    console.print(f"MLflow run: {result.run_id}  ({seconds(time.perf_counter() - started)})")
    return 0
