"""The ``health`` command line: one parser, every default read from the job's config dataclass.

``--help``, ``MLproject`` and the README show these defaults; ``tests/test_cli_defaults.py`` checks
that they agree.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from importlib import metadata

from features.labels import LabelConfig
from health.checks import STALE_DAYS
from health.demo import DemoConfig
from health.tables import TOP_ACCOUNTS
from monitoring.verdict import RETRAIN_EXIT, MonitorConfig
from serving.config import CHAMPION_URIS, ScoreConfig
from training.config import DEFAULT_EXPERIMENT, MODEL_KINDS, BacktestConfig, TrainConfig

DATA_HELP = (
    "a folder with one file per table (accounts, subscriptions, events, tickets, surveys; CSV "
    "or Parquet, e.g. health-demo/data) or a TOML/YAML config naming each table's file and "
    "mapping your column names onto ours (see examples/)"
)
TRACKING_HELP = (
    "MLflow tracking store (default: $MLFLOW_TRACKING_URI if set, else sqlite:///./mlflow.db)"
)
START = (
    ("health demo", "everything end to end on a generated company (about 40 s)"),
    ("health validate DATA", "then check your own data against the contract"),
)


class Formatter(argparse.HelpFormatter):
    """Shows a default once, and only where there is one (never "(default: None)")."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (
            "%(default)" in text
            or "default" in text
            or action.required
            or not action.option_strings
            or default in (None, False, "", [], argparse.SUPPRESS)
        ):
            return text
        return f"{text} (default: %(default)s)"

    def _get_default_metavar_for_optional(self, action: argparse.Action) -> str:
        return "N" if action.type in (whole, count) else action.dest.upper()


class Parser(argparse.ArgumentParser):
    """Usage errors in one line: what was wrong, and where to read more."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message} (see '{self.prog} --help')\n")
        raise SystemExit(2)


# ----- argument types: each says what it expected and gives an example --------------------------


def whole(value: str, minimum: int = 1) -> int:
    """A whole number >= ``minimum``, also as MLflow passes float parameters ("90.0")."""
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number != int(number) or number < minimum:
        kind = "a positive whole number" if minimum == 1 else f"a whole number >= {minimum}"
        raise argparse.ArgumentTypeError(f"expected {kind}, e.g. 30; got {value!r}")
    return int(number)


def whole_or_adaptive(value: str) -> int | None:
    """A positive whole number, or "" (as MLflow passes "not given"): adapt to the data."""
    return None if value == "" else whole(value)


def count(value: str) -> int:
    """A whole number >= 0."""
    return whole(value, minimum=0)


def iso_date(value: str) -> str:
    """A calendar date written ``YYYY-MM-DD``; returned as that string."""
    import pandas as pd

    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise argparse.ArgumentTypeError(
            f"expected a date as YYYY-MM-DD, e.g. 2025-06-30; got {value!r}"
        )
    try:
        pd.Timestamp(value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a calendar date (expected YYYY-MM-DD, e.g. 2025-06-30)"
        ) from None
    return value.strip()


def as_of_or_latest(value: str) -> str | None:
    """A date, or 'latest' / empty for the default (the day after the latest data)."""
    return None if value.strip() in ("", "latest") else iso_date(value)


def version() -> str:
    try:
        return metadata.version("customer-health")
    except metadata.PackageNotFoundError:  # run from a source tree that is not installed
        return "unknown"


# ----- the parser -------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The whole command line; each subcommand's ``func`` is its job's one call."""
    from health import commands, demo

    parser = Parser(
        prog="health",
        formatter_class=Formatter,
        description="Churn and renewal probabilities, health scores and their reasons, per "
        "account.",
        epilog="Start with 'health demo'. Every command explains its options: "
        "health COMMAND --help.",
    )
    parser.add_argument("--version", action="version", version=f"health {version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    common = Parser(add_help=False)
    common.add_argument(
        "--verbose", action="store_true", help="show library log lines, and a traceback on errors"
    )
    tracked = Parser(add_help=False)
    tracked.add_argument("--tracking-uri", metavar="URI", help=TRACKING_HELP)

    def command(name: str, help: str, description: str, parents=(common,), **kw):
        return sub.add_parser(
            name,
            help=help,
            description=description,
            formatter_class=Formatter,
            parents=list(parents),
            **kw,
        )

    demo_defaults = DemoConfig()
    train_defaults = TrainConfig()
    score_defaults = ScoreConfig()
    backtest_defaults = BacktestConfig()

    p = command(
        "demo",
        "generate demo data, train, score and show the riskiest accounts",
        "End to end on a generated SaaS company: write its tables, train the churn and renewal "
        "models (MLflow runs, registered as @champion), score every active account and print "
        "those most at risk with their reasons. Uses its own tracking store, <--out>/mlflow.db "
        "(never $MLFLOW_TRACKING_URI), and prints the export line the next commands need.",
        parents=(common, tracked),
    )
    p.add_argument("--accounts", type=whole, default=demo_defaults.accounts, help="demo accounts")
    p.add_argument("--seed", type=count, default=demo_defaults.seed, help="seed of the demo data")
    p.add_argument(
        "--out", default=demo_defaults.out, metavar="DIR", help="folder for data, scores, mlflow.db"
    )
    p.add_argument(
        "--experiment", default=train_defaults.experiment, metavar="NAME", help="MLflow experiment"
    )
    p.add_argument(
        "--top",
        type=whole,
        default=demo_defaults.top,
        metavar="N",
        help="at-risk accounts to print",
    )
    p.set_defaults(func=demo.cmd_demo, mlflow=True)

    p = command(
        "generate",
        "write demo data tables",
        "Write a generated B2B SaaS company's data in the contract's tables, plus "
        "ground_truth.csv (each account's true churn cause; never read by features).",
    )
    p.add_argument("--accounts", type=whole, default=demo_defaults.accounts, help="accounts")
    p.add_argument("--seed", type=count, default=demo_defaults.seed, help="random seed")
    p.add_argument("--days", type=whole, default=generator_default("days"), help="days of history")
    p.add_argument(
        "--change-at",
        type=iso_date,
        metavar="DATE",
        help="plant a change from this date on, for 'health monitor' to find: a product "
        "release shifts the mix of event types, and a new segment (industry public_sector) "
        "signs up (without it the data is exactly as without the option)",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.set_defaults(func=commands.cmd_generate, mlflow=False)

    p = command(
        "validate",
        "check input data against the contract",
        "Report every contract problem (table, column, example rows); exit 1 if there is any.",
    )
    p.add_argument("data", metavar="DATA", help=DATA_HELP)
    p.set_defaults(func=commands.cmd_validate, mlflow=False)

    p = command(
        "features",
        "build the point-in-time feature matrix",
        "One row per active account per as-of date: features from data strictly before the "
        "date, then the churned, renewed and stayed labels (empty where the data ends too soon "
        "to know).",
    )
    p.add_argument("data", metavar="DATA", help=DATA_HELP)
    p.add_argument(
        "--as-of",
        type=iso_date,
        action="append",
        required=True,
        metavar="DATE",
        help="as-of date, YYYY-MM-DD; repeat for several",
    )
    p.add_argument(
        "--horizon-days",
        type=whole,
        default=LabelConfig().horizon_days,
        help="churn label horizon in days",
    )
    p.add_argument(
        "--out",
        required=True,
        metavar="FILE.parquet",
        help="output file; with --engine spark a Parquet folder (train --table reads it)",
    )
    p.add_argument(
        "--engine",
        choices=ENGINES,
        default="pandas",
        help="spark: built on Spark, partitioned by account, the same code per partition",
    )
    add_spark_options(p)
    p.set_defaults(func=commands.cmd_features, mlflow=False)

    p = command(
        "train",
        "train churn and renewal models as MLflow runs",
        "Build features on a grid of as-of dates, train LightGBM and a logistic baseline on "
        "earlier dates, validate on later ones, calibrate, log to MLflow and register; a model "
        "becomes @champion only if it beats the current one.",
        parents=(common, tracked),
    )
    p.add_argument("data", metavar="DATA", nargs="?", help=DATA_HELP + "; or use --table")
    p.add_argument(
        "--horizon-days",
        type=whole,
        default=train_defaults.labels.horizon_days,
        help="churn horizon",
    )
    p.add_argument(
        "--every-days",
        type=whole_or_adaptive,
        default=train_defaults.every_days,
        help="spacing of the as-of grid in days (default: 30, or 7 when the history is short)",
    )
    p.add_argument(
        "--warmup-days",
        type=whole_or_adaptive,
        default=train_defaults.warmup_days,
        help="days of data before the first as-of date (default: 90, or 30 when short)",
    )
    p.add_argument(
        "--validation-dates",
        type=whole_or_adaptive,
        default=train_defaults.validation_dates,
        help="latest as-of dates that validate (default: 3 monthly, or 4 weekly)",
    )
    p.add_argument(
        "--observed-until",
        metavar="DATE",
        help="the day through which subscription changes are recorded; labels whose window "
        "passes it are censored (default: the config's observed_until, else the latest "
        "subscription start in the data)",
    )
    p.add_argument(
        "--min-auc",
        type=float,
        default=train_defaults.gate.min_auc,
        help="a model becomes @champion only with at least this validation ROC AUC",
    )
    p.add_argument(
        "--no-baseline-floor",
        action="store_true",
        help="let a model become @champion without beating its logistic baseline",
    )
    p.add_argument(
        "--data-is-easy",
        action="store_true",
        help="the data really separates that well: let a model the leakage guard flags (a "
        "feature alone above ROC AUC 0.95, or the model above 0.98) become @champion",
    )
    p.add_argument(
        "--experiment", default=train_defaults.experiment, metavar="NAME", help="MLflow experiment"
    )
    p.add_argument(
        "--model-kind",
        choices=MODEL_KINDS,
        default=train_defaults.model_kind,
        help="the model the run packages: lightgbm is registered behind the champion gate; "
        "logistic logs the baseline as the run's model for comparison, unregistered (scoring "
        "explains with TreeSHAP, which needs LightGBM). Both are always fitted and measured.",
    )
    p.add_argument(
        "--tune",
        type=count,
        default=train_defaults.tune_trials,
        metavar="N",
        help="Optuna trials of LightGBM settings, scored inside the training period (nested "
        "MLflow runs); 0 keeps the built-in settings",
    )
    p.add_argument(
        "--seed",
        type=count,
        default=train_defaults.booster.seed,
        help="seed of every random choice",
    )
    p.add_argument(
        "--table",
        metavar="FILE",
        help="train from a ready feature table (Parquet/CSV) instead of DATA: one row per "
        "account, or per account and as_of date; with one date only, validation is stratified "
        "5-fold",
    )
    p.add_argument("--label", metavar="COLUMN", help="with --table: the label column")
    p.add_argument(
        "--target",
        choices=("health", "churn", "renewal"),
        default="churn",
        help="with --table: what the label means, and so the registered model's name (scoring "
        "uses models:/health@champion for the score, models:/churn@champion and "
        "models:/renewal@champion for the calendar; health: stays at its next decision point)",
    )
    p.add_argument(
        "--positive",
        metavar="VALUE",
        help="with --table: the label value that means the --target happened: churn: left, "
        "renewal: renewed, health: stayed (so a Churn column of Yes/No trains the health model "
        "with --positive No); without it, 0/1, true/false or yes/no",
    )
    p.add_argument(
        "--id", metavar="COLUMN", help="with --table: the id column (account_id if present)"
    )
    p.add_argument(
        "--drop",
        action="append",
        metavar="COLUMN",
        help="with --table: a column not to use, e.g. one that leaks the label; repeat, or "
        "separate with commas",
    )
    p.set_defaults(func=commands.cmd_train, mlflow=True)

    p = command(
        "score",
        "score active accounts with the registered models",
        "Compute features as of a date with the training code, score every active account and "
        "write scores (Parquet and CSV) and SHAP explanations (Parquet) into --out.",
        parents=(common, tracked),
    )
    p.add_argument("data", metavar="DATA", nargs="?", help=DATA_HELP + "; or use --table")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument(
        "--table",
        metavar="FILE",
        help="score a ready feature table (CSV, Parquet file or folder) instead of DATA: what "
        "'health train --table' trained",
    )
    p.add_argument(
        "--id", metavar="COLUMN", help="with --table: the id column (account_id if present)"
    )
    p.add_argument(
        "--as-of",
        type=as_of_or_latest,
        metavar="DATE",
        help="as-of date, YYYY-MM-DD (without it, or 'latest': the day after the latest data)",
    )
    p.add_argument(
        "--model",
        default=CHAMPION_URIS["health"],
        metavar="URI",
        help="health model URI (staying at the next decision point: the health score)",
    )
    p.add_argument(
        "--churn-model",
        default=CHAMPION_URIS["churn"],
        metavar="URI",
        help="churn model URI (leaving within the horizon: the calendar's columns)",
    )
    p.add_argument(
        "--renewal-model",
        default=CHAMPION_URIS["renewal"],
        metavar="URI",
        help="renewal model URI",
    )
    p.add_argument("--no-renewal", action="store_true", help="skip the renewal model")
    p.add_argument(
        "--green-from",
        type=count,
        default=score_defaults.green_from,
        metavar="SCORE",
        help="health score from which an account is green",
    )
    p.add_argument(
        "--red-below",
        type=count,
        default=score_defaults.red_below,
        metavar="SCORE",
        help="health score below which an account is red",
    )
    p.add_argument(
        "--previous",
        metavar="DIR",
        help="earlier scoring output to report changes against (without it: the scores "
        "already in --out, if from an earlier date)",
    )
    p.add_argument(
        "--engine",
        choices=ENGINES,
        default="pandas",
        help="pandas: stream on this machine; spark: features, scores and explanations on "
        "Spark, partitioned by account (pip install 'customer-health[spark]')",
    )
    add_spark_options(p)
    p.add_argument("--no-explain", action="store_true", help="scores only, no SHAP (faster)")
    p.add_argument(
        "--allow-stale",
        action="store_true",
        help=f"score at an --as-of more than {STALE_DAYS} days after the data's latest activity",
    )
    p.add_argument(
        "--chunk-rows",
        type=whole,
        default=score_defaults.chunk_rows,
        metavar="N",
        help="accounts scored at a time",
    )
    p.add_argument(
        "--experiment", default=train_defaults.experiment, metavar="NAME", help="MLflow experiment"
    )
    p.add_argument(
        "--top", type=whole, default=TOP_ACCOUNTS, metavar="N", help="at-risk accounts to print"
    )
    p.set_defaults(func=commands.cmd_score, mlflow=True)

    p = command(
        "backtest",
        "replay scoring at past dates and report how bands foretold churn",
        "At past as-of dates, train a churn model only on data settled before each date, score "
        "every active account and compare with what happened next: accounts and churn/renewal "
        "share per band, red's lift over the base rate, and how early red showed before the "
        "churns it caught. Writes an HTML report and logs it to MLflow.",
        parents=(common, tracked),
    )
    p.add_argument("data", metavar="DATA", help=DATA_HELP)
    p.add_argument("--out", default="backtest.html", metavar="FILE.html", help="report file")
    p.add_argument(
        "--every-days",
        type=whole,
        default=backtest_defaults.every_days,
        help="spacing of backtest dates in days",
    )
    p.add_argument(
        "--lookback-days",
        type=whole,
        default=backtest_defaults.lookback_days,
        help="how far back the backtest dates go",
    )
    p.add_argument(
        "--date",
        type=iso_date,
        action="append",
        metavar="DATE",
        help="a backtest date, YYYY-MM-DD; repeat for several (instead of the spacing)",
    )
    p.add_argument(
        "--horizon-days",
        type=whole,
        default=backtest_defaults.train.labels.horizon_days,
        help="churn horizon in days",
    )
    p.add_argument(
        "--green-from",
        type=count,
        default=backtest_defaults.score.green_from,
        metavar="SCORE",
        help="health score from which green",
    )
    p.add_argument(
        "--red-below",
        type=count,
        default=backtest_defaults.score.red_below,
        metavar="SCORE",
        help="health score below which red",
    )
    p.add_argument(
        "--experiment", default=backtest_defaults.train.experiment, help="MLflow experiment"
    )
    p.set_defaults(func=commands.cmd_backtest, mlflow=True)

    from health.metrics_job import add_parser as add_metrics_parser

    add_metrics_parser(sub, Formatter)
    add_retraining_commands(sub)
    for name in ("metrics", "monitor", "retrain"):
        for option in (common, tracked):
            for action in option._actions:
                sub.choices[name]._add_action(action)
        sub.choices[name].set_defaults(mlflow=True)
    return parser


ENGINES = ("pandas", "spark")


def add_spark_options(p: argparse.ArgumentParser) -> None:
    """``--master`` and ``--partitions`` of the commands with ``--engine spark``."""
    p.add_argument(
        "--master",
        metavar="URL",
        help="with --engine spark: the Spark master (without it: $SPARK_MASTER, else the one "
        "spark-submit was given, else local[*])",
    )
    p.add_argument(
        "--partitions",
        type=whole,
        metavar="N",
        help="with --engine spark: account partitions (without it: Spark's default parallelism)",
    )


EXIT_STATUS = (
    f"Exit status: 0 when the verdict is ok or watch, {RETRAIN_EXIT} when it is retrain, "
    "1 for bad data or a failed job, 2 for bad usage; so a scheduler can run "
    f"'health monitor ...; [ $? -eq {RETRAIN_EXIT} ] && health retrain DATA'."
)


def truthy(value: str) -> bool:
    """A yes/no word (features.flags' rule), as MLflow passes a boolean parameter; '' is no."""
    from features.flags import FALSE_WORDS, TRUE_WORDS

    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS or text == "":
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {value!r}")


def add_monitor_options(p: argparse.ArgumentParser) -> None:
    """The thresholds of the verdict, defaults read from ``MonitorConfig``."""
    d = MonitorConfig()
    p.add_argument("--model", help="churn model URI (default: models:/churn@champion)")
    p.add_argument("--renewal-model", help="renewal model URI (default: models:/renewal@champion)")
    p.add_argument("--no-renewal", action="store_true", help="monitor the churn model only")
    p.add_argument(
        "--psi-moderate",
        type=float,
        default=d.psi_moderate,
        help="PSI from which a shift is moderate",
    )
    p.add_argument(
        "--psi-drifted",
        type=float,
        default=d.psi_drifted,
        help="PSI past which a feature has drifted",
    )
    p.add_argument(
        "--drifted-features",
        type=whole,
        default=d.drifted_features,
        help="drifted features that call for retraining",
    )
    p.add_argument(
        "--auc-drop",
        type=float,
        default=d.auc_drop,
        help="fall of realised ROC AUC below training's that calls for retraining",
    )
    p.add_argument(
        "--brier-rise",
        type=float,
        default=d.brier_rise,
        help="rise of realised Brier score over training's that calls for retraining",
    )
    p.add_argument(
        "--min-known",
        type=whole,
        default=d.min_known,
        help="outcomes needed to judge realised performance",
    )
    p.add_argument(
        "--exit-zero",
        nargs="?",
        const=True,
        default=False,
        type=truthy,
        help=f"exit 0 even when the verdict is retrain (not {RETRAIN_EXIT}); the verdict stays in "
        "monitor.json and the run's tags. For 'mlflow run', which marks a non-zero exit failed",
    )
    p.add_argument("--experiment", default=DEFAULT_EXPERIMENT, help="MLflow experiment name")


def cmd_monitor(args: argparse.Namespace) -> int:
    """``health monitor``, imported when it runs (its module imports MLflow)."""
    from health.retraining import cmd_monitor

    return cmd_monitor(args)


def cmd_retrain(args: argparse.Namespace) -> int:
    """``health retrain``, imported when it runs (its module imports MLflow)."""
    from health.retraining import cmd_retrain

    return cmd_retrain(args)


def add_retraining_commands(sub) -> None:
    """``monitor`` and ``retrain`` (their jobs live in ``health.retraining``)."""
    p = sub.add_parser(
        "monitor",
        formatter_class=Formatter,
        epilog=EXIT_STATUS,
        help="is the champion still fit? drift, realised performance, band migration, verdict",
        description="Realised performance of earlier scorings whose horizon has passed (per "
        "band, ROC AUC, Brier, against the champion's training figures), feature drift (PSI "
        "against the references stored with the model), band migration between the last two "
        "scorings, and a verdict with its reasons. Writes an HTML report and logs an MLflow run.",
    )
    p.add_argument("data", metavar="DATA", help=DATA_HELP)
    p.add_argument(
        "--scores",
        action="append",
        metavar="DIR",
        help="a scoring output folder (health score --out); repeat, or separate with commas",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the report")
    add_monitor_options(p)
    p.set_defaults(func=cmd_monitor)

    p = sub.add_parser(
        "retrain",
        formatter_class=Formatter,
        help="monitor, then train and gate both models when the verdict says so",
        description="One parent MLflow run: the monitoring run, then (only when the verdict is "
        "retrain, or with --force) the churn and renewal training runs, gated into the registry "
        "as 'health train' does. Scorings are optional: without them only drift is measured, on "
        "the day after the data.",
    )
    p.add_argument("data", metavar="DATA", help=DATA_HELP)
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
    train = TrainConfig()
    p.add_argument(
        "--horizon-days", type=whole, default=train.labels.horizon_days, help="churn horizon"
    )
    p.add_argument(
        "--every-days", type=whole, default=train.every_days, help="spacing of the as-of grid"
    )
    add_monitor_options(p)
    p.set_defaults(func=cmd_retrain)


def generator_default(name: str):
    """A default of the demo data generator's own signature (its one home)."""
    import inspect

    from health.synthetic import generate_demo_data

    return inspect.signature(generate_demo_data).parameters[name].default


def overview(parser: argparse.ArgumentParser) -> str:
    """What bare ``health`` prints: every command in one line, and the two to start with."""
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    width = max(len(name) for name in sub.choices) + 2
    lines = [parser.description or "", "", "Commands:"]
    lines += [f"  {c.dest:<{width}}{c.help}" for c in sub._choices_actions]
    lines += ["", "Start with:"]
    lines += [f"  {command:<22}# {what}" for command, what in START]
    lines += ["", "Every command explains its options: health COMMAND --help"]
    return "\n".join(lines) + "\n"


def subcommands(
    parser: argparse.ArgumentParser | None = None,
) -> dict[str, argparse.ArgumentParser]:
    """Each subcommand's name and parser (tests walk them)."""
    parser = parser or build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)
