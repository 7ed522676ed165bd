"""``health metrics``: portfolio health metrics over time, as tidy Parquet tables, one HTML report
and an MLflow run whose metrics are the headline figures.

The job (``metrics_job``) takes everything explicitly; ``cmd_metrics`` is the command-line edge
(loading, exit codes, console output) and ``add_parser`` its arguments.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from features.contract import Tables
from portfolio.compute import MetricsConfig, PortfolioMetrics, portfolio_metrics
from training.config import DEFAULT_EXPERIMENT

REPORT, MANIFEST = "report.html", "portfolio.json"


@dataclass
class MetricsResult:
    metrics: PortfolioMetrics
    files: dict[str, Path]
    run_id: str | None


def read_scores(path: str | Path) -> pd.DataFrame:
    """A scoring or backtest output: a folder with ``scores.parquet`` (or ``.csv``), or the file."""
    from portfolio.bands import ScoresError, check_scores

    path = Path(path)
    candidates = [path / "scores.parquet", path / "scores.csv"] if path.is_dir() else [path]
    found = next((p for p in candidates if p.exists()), None)
    if found is None:
        raise ScoresError(f"no scores found at {path} (expected scores.parquet or scores.csv)")
    try:
        frame = pd.read_parquet(found) if found.suffix == ".parquet" else pd.read_csv(found)
    except (OSError, ValueError) as error:
        raise ScoresError(f"could not read scores {found}: {error}") from error
    return check_scores(frame, str(found))


def write_outputs(metrics: PortfolioMetrics, out_dir: Path) -> dict[str, Path]:
    """Every table as Parquet, the report and a manifest; staged, then moved into place, so a
    failure leaves the previous outputs whole."""
    from health.portfolio_report import report_html
    from serving.score import OutputWriter

    with OutputWriter(Path(out_dir)) as writer:
        for name, frame in metrics.tables.items():
            writer.write(name, frame)
        (writer.staging / REPORT).write_text(report_html(metrics), encoding="utf-8")
        manifest = {
            "config": asdict(metrics.config),
            "first_period": str(metrics.periods["period"].iloc[0].date()),
            "last_period": str(metrics.periods["period"].iloc[-1].date()),
            "rows": {name: len(frame) for name, frame in metrics.tables.items()},
            "headline": {k: (None if pd.isna(v) else v) for k, v in metrics.headline.items()},
            "warnings": metrics.warnings,
        }
        (writer.staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        return writer.commit()


def log_run(metrics: PortfolioMetrics, files: dict[str, Path]) -> str:
    """One MLflow run: the config as params, the headline figures as metrics, the files."""
    import mlflow

    nested = mlflow.active_run() is not None  # under ``mlflow run``, the project's run holds it
    with mlflow.start_run(run_name="portfolio-metrics", nested=nested) as run:
        mlflow.set_tag("job", "metrics")
        mlflow.log_params({k: str(v) for k, v in asdict(metrics.config).items()})
        mlflow.log_metrics({k: float(v) for k, v in metrics.headline.items() if not pd.isna(v)})
        for path in files.values():
            mlflow.log_artifact(str(path), artifact_path="portfolio")
        return run.info.run_id


def metrics_job(
    tables: Tables,
    out_dir: Path,
    config: MetricsConfig = MetricsConfig(),
    scores: pd.DataFrame | None = None,
    track: bool = True,
) -> MetricsResult:
    """Compute, write, and (with ``track``) log to the configured MLflow experiment."""
    metrics = portfolio_metrics(tables, config, scores)
    files = write_outputs(metrics, out_dir)
    run_id = log_run(metrics, files) if track else None
    return MetricsResult(metrics, files, run_id)


def cmd_metrics(args: argparse.Namespace) -> int:
    """The command-line edge: exit 0 done, 1 bad data, 2 bad usage."""
    from rich.console import Console

    from features.loading import load_tables
    from features.validation import ContractError
    from health.tracking import configure_tracking, project_run, resolve_uri, use_experiment
    from portfolio.bands import ScoresError
    from portfolio.compute import NoPeriodsError
    from portfolio.segments import SegmentError

    console = Console(highlight=False)
    try:
        config = MetricsConfig(
            period=args.period, by=args.by or None, min_responses=args.min_responses
        )
    except ValueError as error:
        console.print(f"[red]{error}[/red]")
        return 2
    try:
        tables = load_tables(args.data, events_on_disk=True)  # metrics stream over event batches
        scores = read_scores(args.scores) if args.scores else None
    except ContractError as error:
        console.print(f"[red]The input data does not meet the contract[/red] ({args.data}):")
        console.print(str(error), markup=False)
        return 1
    except ScoresError as error:
        console.print(f"[red]{error}[/red]", markup=False)
        return 1
    uri = configure_tracking(resolve_uri(args.tracking_uri))
    if args.parent_run_id is None:  # under ``mlflow run`` the project's run holds ours
        use_experiment(args.experiment)
    try:
        with console.status("Computing portfolio metrics..."), project_run(args.parent_run_id):
            result = metrics_job(tables, Path(args.out), config, scores)
    except SegmentError as error:
        console.print(f"[red]{error}[/red]", markup=False)
        return 2
    except NoPeriodsError as error:
        console.print(f"[red]Cannot compute portfolio metrics:[/red] {error}", markup=False)
        return 1
    from health.portfolio_report import lead_sentence

    console.print(lead_sentence(result.metrics), markup=False)
    for warning in result.metrics.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}", markup=False)
    for path in result.files.values():
        console.print(f"  wrote {path}")
    console.print(f"MLflow run {result.run_id} in {uri}")
    return 0


def _whole(value: str) -> int:
    """A whole number, also as MLflow passes float parameters ("30.0")."""
    number = float(value)
    if number != int(number):
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value}")
    return int(number)


def add_parser(sub, formatter) -> None:
    """``health metrics DATA [--scores DIR] [--by COLUMN] [--period month|quarter] --out DIR``."""
    p = sub.add_parser(
        "metrics",
        formatter_class=formatter,
        help="portfolio health metrics over time (MRR bridge, GRR/NRR, NPS, CSAT, CES, ...)",
        description="For every complete period in the data: the MRR bridge, logo churn, GRR and "
        "NRR (per period and trailing twelve months), renewal rates, expansion and contraction, "
        "NPS, CSAT and CES with 90%% intervals, response rates, usage, feature adoption, support "
        "tickets and cohort retention; per segment with --by, per health band with --scores. "
        "Writes tidy Parquet tables and report.html to --out and logs the headline figures as "
        "an MLflow run.",
    )
    p.add_argument("data", metavar="DATA", help="a data folder or config file, as for health score")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument(
        "--scores", metavar="DIR", help="a scoring or backtest output: metrics per health band"
    )
    p.add_argument("--by", metavar="COLUMN", help="an accounts column to segment by (e.g. plan)")
    p.add_argument(
        "--period", choices=("month", "quarter"), default="month", help="length of a period"
    )
    p.add_argument(
        "--min-responses",
        type=_whole,
        default=MetricsConfig().min_responses,
        help="fewer NPS/CSAT/CES responses than this in a period are flagged",
    )
    p.add_argument("--experiment", default=DEFAULT_EXPERIMENT, help="MLflow experiment name")
    p.set_defaults(func=cmd_metrics)
