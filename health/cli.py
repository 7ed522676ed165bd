"""``health``: one command, a subcommand per job. Each job is a function the tests call directly.

The command line is the edge: it sets the tracking URI, picks default dates and reports progress;
the jobs below it take everything explicitly.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

EPILOG_DATA = (
    "DATA is a folder with one file per table (accounts.csv, subscriptions.csv, events.parquet, "
    "tickets.csv, surveys.csv; CSV or Parquet) or a TOML/YAML config that names each table's "
    "file and maps your column names onto ours (see examples/)."
)


def _console():
    from rich.console import Console

    return Console(stderr=False, highlight=False)


def _progress(console, total_label: str):
    """A progress callback for as-of dates, drawn with rich."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn(f"[bold]{total_label}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
    task = bar.add_task("", total=None)

    def update(done: int, total: int, as_of) -> None:
        bar.update(
            task, completed=done, total=total, description=f"as of {pd.Timestamp(as_of).date()}"
        )

    return bar, update


def _load(source: str, console):
    from features.loading import load_tables
    from features.validation import ContractError

    try:
        return load_tables(source)
    except ContractError as error:
        console.print(f"[red]The input data does not meet the contract[/red] ({source}):")
        console.print(str(error), markup=False)
        raise SystemExit(2) from None


# ----- jobs -----------------------------------------------------------------------------------


def cmd_generate(args: argparse.Namespace) -> int:
    from health.synthetic import generate_demo_data, write_demo_data

    console = _console()
    started = time.perf_counter()
    with console.status(f"Generating {args.accounts:,} accounts (seed {args.seed})..."):
        tables = generate_demo_data(
            n_accounts=args.accounts, seed=args.seed, days=args.days, change_at=args.change_at
        )
        paths = write_demo_data(tables, args.out)
    console.print(
        f"Wrote demo data to [bold]{args.out}[/bold] in {time.perf_counter() - started:.1f}s:"
    )
    for name, path in paths.items():
        rows = len(tables[name]) if name in tables else 0
        console.print(f"  {name:<14} {rows:>10,} rows  {path}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from features.loading import read_raw_tables
    from features.validation import ContractError, format_report, validate_tables

    console = _console()
    try:
        raw = read_raw_tables(args.data)
    except ContractError as error:
        console.print(str(error), markup=False)
        return 2
    problems = validate_tables(raw)
    if problems:
        console.print(format_report(problems), markup=False)
        return 1
    sizes = ", ".join(f"{name} {len(frame):,}" for name, frame in raw.items())
    console.print(f"[green]OK[/green]: {args.data} meets the contract ({sizes} rows).")
    return 0


def cmd_features(args: argparse.Namespace) -> int:
    from features.labels import LabelConfig
    from features.matrix import build_feature_matrix
    from training.train import save_matrix

    console = _console()
    tables = _load(args.data, console)
    dates = [pd.Timestamp(d) for d in args.as_of]
    bar, update = _progress(console, "features")
    with bar:
        matrix = build_feature_matrix(
            tables, dates, LabelConfig(horizon_days=args.horizon_days), progress=update
        )
    save_matrix(matrix, Path(args.out))
    console.print(f"Wrote {len(matrix):,} rows x {matrix.shape[1]} columns to {args.out}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from features.labels import LabelConfig
    from health.tracking import configure_tracking, ui_command, use_experiment
    from training.fit import BoosterParams
    from training.train import TrainConfig, train_from_matrix, train_models

    console = _console()
    uri = configure_tracking(".")
    if "MLFLOW_RUN_ID" not in os.environ:  # under ``mlflow run`` the project's run is used
        use_experiment(args.experiment)
    config = TrainConfig(
        labels=LabelConfig(horizon_days=args.horizon_days),
        every_days=args.every_days,
        experiment=args.experiment,
        model_kind=args.model_kind,
        tune_trials=args.tune,
        booster=BoosterParams(seed=args.seed),
    )
    data, table = args.data or None, args.table or None  # MLflow passes "" for "not given"
    if table:
        if not args.label:
            console.print("[red]--table needs --label COLUMN[/red]")
            return 2
        try:
            matrix = _table_matrix(args)
        except (ValueError, OSError) as error:
            console.print(
                f"[red]Cannot use {table} as a feature table:[/red] {error}", markup=False
            )
            return 2
        with console.status(f"Training on {len(matrix):,} rows of {table}..."):
            results = train_from_matrix(matrix, config, labels=[matrix.columns[-1]])
    elif data:
        tables = _load(data, console)
        bar, update = _progress(console, "features")
        with bar:
            matrix, results = train_models(tables, config, progress=update)
    else:
        console.print("[red]health train needs DATA or --table FILE --label COLUMN[/red]")
        return 2
    _print_training(console, results)
    console.print(f"MLflow: {uri}\nOpen the UI: [bold]{ui_command(uri)}[/bold]")
    return 0


def _table_matrix(args: argparse.Namespace) -> pd.DataFrame:
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


def _print_training(console, results) -> None:
    from rich.table import Table

    table = Table(title="Models (validated on later dates, or by K-fold for a flat table)")
    for column in ("model", "val ROC AUC", "baseline AUC", "Brier", "ECE", "version", "champion"):
        table.add_column(column)
    for r in results:
        m = r.metrics
        table.add_row(
            r.target,
            f"{m['val_roc_auc']:.3f}",
            f"{m['baseline_val_roc_auc']:.3f}",
            f"{m['val_brier']:.4f}",
            f"{m['val_ece']:.4f}",
            str(r.version),
            "yes" if r.promoted else f"no: {r.reason}",
        )
    console.print(table)


def cmd_score(args: argparse.Namespace) -> int:
    from health.tracking import configure_tracking, use_experiment
    from serving.model import MissingFeaturesError
    from serving.score import CHAMPION_URIS, ScoreConfig, score_job

    console = _console()
    configure_tracking(".")
    if "MLFLOW_RUN_ID" not in os.environ:  # under ``mlflow run`` the project's run is used
        use_experiment(args.experiment)
    tables = _load(args.data, console)
    try:
        config = ScoreConfig(
            green_from=args.green_from,
            red_below=args.red_below,
            chunk_rows=args.chunk_rows,
            explain=not args.no_explain and args.engine == "pandas",
        )
    except ValueError as error:
        console.print(f"[red]{error}[/red]")
        return 2
    churn_uri = args.model or CHAMPION_URIS["churn"]
    renewal_uri = None if args.no_renewal else args.renewal_model or CHAMPION_URIS["renewal"]
    previous = Path(args.previous) if args.previous else None
    if args.engine == "spark":
        from serving.spark import spark_score_job as job
    else:
        job = score_job
    try:
        with console.status("Scoring and explaining..."):
            result = job(
                tables,
                Path(args.out),
                _as_of(args.as_of),
                churn_uri,
                renewal_uri,
                config,
                previous=previous,
            )
    except MissingFeaturesError as error:
        console.print(f"[red]Cannot score with {churn_uri}:[/red] {error}", markup=False)
        return 2
    summary = result.summary
    print_top_risk(console, result.top, args.top, summary.bands, summary.accounts)
    if result.manifest.get("previous_as_of"):
        console.print(
            f"Compared with the scores of {result.manifest['previous_as_of']}: "
            f"{summary.down_10:,} account(s) fell 10 points or more."
        )
    for path in result.files.values():
        console.print(f"  wrote {path}")
    return 0


def _as_of(value: str | None):
    return None if value in (None, "", "latest") else pd.Timestamp(value)


def print_top_risk(
    console,
    scores: pd.DataFrame,
    top: int = 10,
    bands: dict[str, int] | None = None,
    accounts: int | None = None,
) -> None:
    """The accounts most at risk, with their score, band and first reason in words.

    ``bands`` and ``accounts`` give the whole run's counts when ``scores`` holds only the riskiest.
    """
    from rich.table import Table

    counts = bands if bands is not None else scores["band"].value_counts().to_dict()
    accounts = len(scores) if accounts is None else accounts
    as_of = pd.Timestamp(scores["as_of"].iloc[0]).date()
    table = Table(
        title=f"Accounts most at risk as of {as_of} "
        f"({accounts:,} scored: {counts.get('red', 0)} red, "
        f"{counts.get('yellow', 0)} yellow, {counts.get('green', 0)} green)"
    )
    changes = "health_change" in scores
    columns = [("account", "left"), ("health", "right"), ("band", "left")]
    columns += [("change", "right")] if changes else []
    columns += [("churn p", "right"), ("ARR at risk", "right"), ("top reason", "left")]
    for column, justify in columns:
        table.add_column(column, justify=justify)
    colours = {"red": "red", "yellow": "yellow", "green": "green"}
    for _, row in scores.nlargest(top, "churn_probability").iterrows():
        arr = row.get("arr_at_risk")
        cells = [
            str(row["account_id"]),
            str(row["health_score"]),
            f"[{colours[row['band']]}]{row['band']}[/]",
        ]
        if changes:
            change = row["health_change"]
            cells.append("new" if pd.isna(change) else f"{change:+.0f}")
        reason = row.get("risk_driver_1")
        cells += [
            f"{row['churn_probability']:.0%}",
            "" if pd.isna(arr) else f"{arr:,.0f}",
            "" if pd.isna(reason) else str(reason),
        ]
        table.add_row(*cells)
    console.print(table)


def cmd_demo(args: argparse.Namespace) -> int:
    from features.loading import load_tables
    from health.synthetic import generate_demo_data, write_demo_data
    from health.tracking import configure_tracking, ui_command, use_experiment
    from serving.score import score_job
    from training.train import TrainConfig, train_models

    console = _console()
    started = time.perf_counter()
    out = Path(args.out)
    uri = configure_tracking(out)
    use_experiment(args.experiment)
    data_dir = out / "data"
    with console.status(f"Generating demo data: {args.accounts:,} accounts over two years..."):
        write_demo_data(generate_demo_data(n_accounts=args.accounts, seed=args.seed), data_dir)
    console.print(f"[1/4] demo data in {data_dir}  ({time.perf_counter() - started:.0f}s)")
    tables = load_tables(data_dir)
    config = TrainConfig(experiment=args.experiment)
    bar, update = _progress(console, "[2/4] features")
    with bar:
        _, results = train_models(tables, config, progress=update)
    console.print(
        f"[3/4] trained and registered churn and renewal models "
        f"({time.perf_counter() - started:.0f}s)"
    )
    _print_training(console, results)
    with console.status("Scoring every active account..."):
        result = score_job(tables, out / "scores")
    console.print(
        f"[4/4] scored {len(result.scores):,} active accounts "
        f"({time.perf_counter() - started:.0f}s)"
    )
    print_top_risk(console, result.scores, args.top)
    console.print("Outputs:")
    for path in result.files.values():
        console.print(f"  {path}")
    console.print(f"  ground truth (never read by the model): {data_dir / 'ground_truth.csv'}")
    console.print(f"MLflow runs and models: {uri}")
    console.print(f"Open the MLflow UI: [bold]{ui_command(uri)}[/bold]")
    console.print(f"Done in {time.perf_counter() - started:.0f}s.")
    return 0


def cmd_backtest(args: argparse.Namespace) -> int:
    from features.labels import LabelConfig
    from health.tracking import configure_tracking, use_experiment
    from serving.score import ScoreConfig
    from training.backtest import BacktestConfig, run_backtest
    from training.train import TrainConfig

    console = _console()
    configure_tracking(".")
    if "MLFLOW_RUN_ID" not in os.environ:
        use_experiment(args.experiment)
    tables = _load(args.data, console)
    config = BacktestConfig(
        every_days=args.every_days,
        lookback_days=args.lookback_days,
        dates=tuple(args.date or ()),
        train=TrainConfig(
            labels=LabelConfig(horizon_days=args.horizon_days), experiment=args.experiment
        ),
        score=ScoreConfig(**_given(green_from=args.green_from, red_below=args.red_below)),
    )
    started = time.perf_counter()
    with console.status("Backtesting...") as status:
        result = run_backtest(
            tables, Path(args.out), config, progress=lambda text: status.update(text)
        )
    _print_backtest(console, result)
    console.print(f"Report: [bold]{result.report}[/bold] (open it in a browser)")
    console.print(f"MLflow run: {result.run_id}  ({time.perf_counter() - started:.0f}s)")
    return 0


def _given(**values):
    """Only the options set on the command line, so the rest keep their dataclass defaults."""
    return {k: v for k, v in values.items() if v is not None}


def _print_backtest(console, result) -> None:
    from rich.table import Table

    m = result.summary.metrics
    table = Table(title=f"Backtest over {int(m['backtest_dates'])} dates: outcome per band")
    for column in ("band", "account-dates", "churned", "renewed (of due)"):
        table.add_column(column, justify="right")
    by_band = result.summary.by_band
    for name, row in by_band.iterrows():
        churn = "-" if pd.isna(row["churn_rate"]) else f"{row['churn_rate']:.1%}"
        renew = "-" if pd.isna(row["renewal_rate"]) else f"{row['renewal_rate']:.1%}"
        due = int(row["renewal_due"])
        table.add_row(name, f"{int(row['accounts']):,}", churn, f"{renew} of {due:,}")
    console.print(table)
    lift = "n/a" if pd.isna(m["red_lift"]) else f"{m['red_lift']:.1f}x"
    warning = "n/a" if pd.isna(m["median_warning_days"]) else f"{m['median_warning_days']:.0f}"
    console.print(
        f"Base churn rate {m['base_churn_rate']:.1%}; red lift {lift}; red caught "
        f"{int(m['churns_caught_by_red'])} of {int(m['churns'])} churns, median warning "
        f"{warning} days."
    )


# ----- parser ---------------------------------------------------------------------------------


def _whole(value: str) -> int:
    """An integer, also written as MLflow passes float parameters ("90.0")."""
    number = float(value)
    if number != int(number):
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value}")
    return int(number)


def build_parser() -> argparse.ArgumentParser:
    formatter = argparse.ArgumentDefaultsHelpFormatter
    parser = argparse.ArgumentParser(
        prog="health",
        description="Churn and renewal probabilities, health scores and their reasons, per "
        "account. Start with 'health demo'.",
        epilog="Runs and models go to MLflow: $MLFLOW_TRACKING_URI if set, else a SQLite file "
        "(./mlflow.db; for demo, inside its --out folder).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "demo",
        formatter_class=formatter,
        help="generate demo data, train, score and show the riskiest accounts",
        description="End to end on built-in demo data: generate a SaaS company's "
        "tables, train the churn and renewal models (MLflow runs, "
        "registered as @champion), score every active account and "
        "print those most at risk with their reasons.",
    )
    p.add_argument("--accounts", type=_whole, default=2000, help="number of demo accounts")
    p.add_argument("--seed", type=_whole, default=7, help="random seed of the demo data")
    p.add_argument("--out", default="health-demo", help="folder for data, scores and mlflow.db")
    p.add_argument("--experiment", default="customer-health", help="MLflow experiment name")
    p.add_argument("--top", type=_whole, default=10, help="how many at-risk accounts to print")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser(
        "generate",
        formatter_class=formatter,
        help="write demo data tables",
        description="Write a synthetic B2B SaaS company's data in the contract's "
        "tables, plus ground_truth.csv (each account's true churn "
        "cause; never read by features).",
    )
    p.add_argument("--accounts", type=_whole, default=2000, help="number of accounts")
    p.add_argument("--seed", type=_whole, default=7, help="random seed")
    p.add_argument("--days", type=_whole, default=730, help="days of history from 2024-01-01")
    p.add_argument(
        "--change-at",
        metavar="DATE",
        help="plant a change from this date on, for 'health monitor' to find: a product "
        "release shifts the mix of event types, and a new segment (industry public_sector) "
        "signs up (default: none; the data is then exactly as without the option)",
    )
    p.add_argument("--out", required=True, help="output folder")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser(
        "validate",
        formatter_class=formatter,
        epilog=EPILOG_DATA,
        help="check input data against the contract",
        description="Report every contract problem (table, column, example rows); "
        "exit 1 if there is any.",
    )
    p.add_argument("data", metavar="DATA")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser(
        "features",
        formatter_class=formatter,
        epilog=EPILOG_DATA,
        help="build the point-in-time feature matrix",
        description="One row per active account per as-of date: features from "
        "data strictly before the date, then the churned and renewed "
        "labels (empty where the data ends too soon to know).",
    )
    p.add_argument("data", metavar="DATA")
    p.add_argument(
        "--as-of",
        action="append",
        required=True,
        metavar="DATE",
        help="as-of date, ISO (2025-06-30); repeat for several",
    )
    p.add_argument("--horizon-days", type=_whole, default=90, help="churn label horizon")
    p.add_argument("--out", required=True, metavar="FILE.parquet")
    p.set_defaults(func=cmd_features)

    p = sub.add_parser(
        "train",
        formatter_class=formatter,
        epilog=EPILOG_DATA,
        help="train churn and renewal models as MLflow runs",
        description="Build features on a grid of as-of dates, train LightGBM and a "
        "logistic baseline on earlier dates, validate on later ones, "
        "calibrate, log to MLflow and register; a model becomes "
        "@champion only if it beats the current one.",
    )
    p.add_argument("data", metavar="DATA", nargs="?")
    p.add_argument("--horizon-days", type=_whole, default=90, help="churn horizon in days")
    p.add_argument("--every-days", type=_whole, default=30, help="spacing of the as-of grid")
    p.add_argument("--experiment", default="customer-health", help="MLflow experiment name")
    p.add_argument(
        "--model-kind",
        choices=["lightgbm", "logistic"],
        default="lightgbm",
        help="the model the run packages: lightgbm is registered behind the champion gate; "
        "logistic logs the baseline as the run's model for comparison, unregistered (scoring "
        "explains with TreeSHAP, which needs LightGBM). Both are always fitted and measured.",
    )
    p.add_argument(
        "--tune",
        type=_whole,
        default=0,
        metavar="N",
        help="Optuna trials of LightGBM settings, scored inside the training period "
        "(nested MLflow runs); 0 keeps the defaults",
    )
    p.add_argument("--seed", type=_whole, default=0, help="seed of every random choice")
    p.add_argument(
        "--table",
        help="train from a ready feature table (Parquet/CSV) instead: one row per account, or "
        "per account and as_of date; with one date only, validation is stratified 5-fold",
    )
    p.add_argument("--label", help="with --table: the label column")
    p.add_argument(
        "--target",
        choices=("churn", "renewal"),
        default="churn",
        help="with --table: what the label means, and so the registered model's name (scoring "
        "uses models:/churn@champion and models:/renewal@champion)",
    )
    p.add_argument(
        "--positive",
        metavar="VALUE",
        help="with --table: the label value that means positive (e.g. 'Yes', 'Attrited "
        "Customer'); by default 0/1, true/false or yes/no",
    )
    p.add_argument("--id", help="with --table: the id column (default account_id, else row number)")
    p.add_argument(
        "--drop",
        action="append",
        metavar="COLUMN",
        help="with --table: a column not to use, e.g. one that leaks the label; repeat, or "
        "separate with commas",
    )
    p.set_defaults(func=cmd_train)

    p = sub.add_parser(
        "score",
        formatter_class=formatter,
        epilog=EPILOG_DATA,
        help="score active accounts with the registered models",
        description="Compute features as of a date with the training code, score "
        "every active account and write scores (Parquet and CSV) and "
        "SHAP explanations (Parquet).",
    )
    p.add_argument("data", metavar="DATA")
    p.add_argument(
        "--as-of", help="as-of date (default or 'latest': the day after the latest data)"
    )
    p.add_argument("--model", help="churn model URI (default: models:/churn@champion)")
    p.add_argument("--renewal-model", help="renewal model URI (default: models:/renewal@champion)")
    p.add_argument("--no-renewal", action="store_true", help="skip the renewal model")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--green-from", type=_whole, default=90, help="health score from which green")
    p.add_argument("--red-below", type=_whole, default=75, help="health score below which red")
    p.add_argument(
        "--previous",
        metavar="DIR",
        help="earlier scoring output to report changes against (default: the scores already in "
        "--out, if from an earlier date)",
    )
    p.add_argument(
        "--engine",
        choices=("pandas", "spark"),
        default="pandas",
        help="pandas: stream on this machine, with explanations; spark: probabilities through "
        "MLflow's Spark UDF (pip install 'customer-health[spark]'), without SHAP explanations",
    )
    p.add_argument("--no-explain", action="store_true", help="scores only, no SHAP (faster)")
    p.add_argument("--chunk-rows", type=_whole, default=50_000, help="accounts scored at a time")
    p.add_argument("--experiment", default="customer-health", help="MLflow experiment name")
    p.add_argument("--top", type=_whole, default=10, help="at-risk accounts to print")
    p.set_defaults(func=cmd_score)

    p = sub.add_parser(
        "backtest",
        formatter_class=formatter,
        epilog=EPILOG_DATA,
        help="replay scoring at past dates and report how bands foretold churn",
        description="At past as-of dates, train a churn model only on data settled before "
        "each date, score every active account and compare with what happened next: accounts "
        "and churn/renewal share per band, red's lift over the base rate, and how early red "
        "showed before the churns it caught. Writes an HTML report and logs it to MLflow.",
    )
    p.add_argument("data", metavar="DATA")
    p.add_argument("--out", default="backtest.html", metavar="FILE.html", help="report file")
    p.add_argument("--every-days", type=_whole, default=60, help="spacing of backtest dates")
    p.add_argument(
        "--lookback-days", type=_whole, default=365, help="how far back the backtest dates go"
    )
    p.add_argument(
        "--date",
        action="append",
        metavar="DATE",
        help="an explicit backtest date, ISO; repeat for several (overrides the spacing)",
    )
    p.add_argument("--horizon-days", type=_whole, default=90, help="churn horizon in days")
    p.add_argument(
        "--green-from", type=_whole, help="health score from which green (default: scoring's)"
    )
    p.add_argument(
        "--red-below", type=_whole, help="health score below which red (default: scoring's)"
    )
    p.add_argument("--experiment", default="customer-health", help="MLflow experiment name")
    p.set_defaults(func=cmd_backtest)

    from health.metrics_job import add_parser as add_metrics_parser

    add_metrics_parser(sub, formatter)
    add_retraining_commands(sub, formatter)
    return parser


def add_retraining_commands(sub, formatter) -> None:
    """``monitor`` and ``retrain`` (their jobs live in ``health.retraining``)."""
    from health.retraining import EXIT_STATUS, add_monitor_options, cmd_monitor, cmd_retrain, truthy

    p = sub.add_parser(
        "monitor",
        formatter_class=formatter,
        epilog=f"{EXIT_STATUS} {EPILOG_DATA}",
        help="is the champion still fit? drift, realised performance, band migration, verdict",
        description="Realised performance of earlier scorings whose horizon has passed (per "
        "band, ROC AUC, Brier, against the champion's training figures), feature drift (PSI "
        "against the references stored with the model), band migration between the last two "
        "scorings, and a verdict with its reasons. Writes an HTML report and logs an MLflow run.",
    )
    p.add_argument("data", metavar="DATA")
    p.add_argument(
        "--scores",
        action="append",
        metavar="DIR",
        help="a scoring output folder (health score --out); repeat, or separate with commas",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the report")
    add_monitor_options(p, _whole)
    p.set_defaults(func=cmd_monitor)

    p = sub.add_parser(
        "retrain",
        formatter_class=formatter,
        epilog=EPILOG_DATA,
        help="monitor, then train and gate both models when the verdict says so",
        description="One parent MLflow run: the monitoring run, then (only when the verdict is "
        "retrain, or with --force) the churn and renewal training runs, gated into the registry "
        "as 'health train' does. Scorings are optional: without them only drift is measured, on "
        "the day after the data.",
    )
    p.add_argument("data", metavar="DATA")
    p.add_argument("--scores", action="append", metavar="DIR", help="as for health monitor")
    p.add_argument("--out", default="monitoring", metavar="DIR", help="folder for the report")
    p.add_argument(
        "--force",
        nargs="?",
        const=True,
        default=False,
        type=truthy,
        help="train whatever the verdict (also --force true/false)",
    )
    p.add_argument("--horizon-days", type=_whole, default=90, help="churn horizon in days")
    p.add_argument("--every-days", type=_whole, default=30, help="spacing of the as-of grid")
    add_monitor_options(p, _whole)
    p.set_defaults(func=cmd_retrain)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
