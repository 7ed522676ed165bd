"""``health monitor`` and ``health retrain``: the retraining loop at the edge.

``retrain_job`` is one parent MLflow run holding the monitoring run and, when the verdict says
retrain (or ``force``), the training runs of both models, each gated into the registry as usual.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, field
from pathlib import Path

import mlflow
import pandas as pd

from features.contract import Tables
from monitoring.job import MonitorResult, OutFolderError, ScoringError, monitor_job
from monitoring.verdict import MonitorConfig
from serving.config import CHAMPION_URIS


@dataclass
class RetrainResult:
    monitor: MonitorResult
    trained: bool
    reason: str
    run_id: str
    models: list = field(default_factory=list)


def retrain_job(
    tables: Tables,
    scoring_dirs: list[str | Path],
    out_dir: Path,
    monitor_config: MonitorConfig = MonitorConfig(),
    train_config=None,
    force: bool = False,
    parent_run_id: str | None = None,
) -> RetrainResult:
    """Monitor, then train and gate both models only if the verdict is retrain or ``force``.

    One parent run (``parent_run_id``, the ``mlflow run`` project's run, when given) says whether it trained
    and why; the monitoring run and each model's run are nested under it.
    """
    from mlflow.tracking import MlflowClient

    from training.train import TrainConfig, build_training_matrix, train_target

    train_config = train_config or TrainConfig()
    start = (
        mlflow.start_run(run_id=parent_run_id)
        if parent_run_id
        else mlflow.start_run(run_name=f"retrain-{pd.Timestamp.now(tz='UTC'):%Y%m%d-%H%M%S}")
    )
    with start as run:
        mlflow.set_tag("job", "retrain")
        monitored = monitor_job(tables, scoring_dirs, out_dir, monitor_config)
        verdict = monitored.report.verdict
        trained = force or verdict.status == "retrain"
        if force:
            reason = f"forced (--force); the verdict was {verdict.text}"
        else:
            reason = verdict.text if trained else f"not retrained: {verdict.text}"
        mlflow.set_tags(
            {
                "verdict": verdict.status,
                "retrain_reason": reason[:5000],
                "retrained": str(trained).lower(),
                **{f"{k}_model_version_before": v for k, v in monitored.report.versions.items()},
            }
        )
        models = []
        if trained:
            matrix = build_training_matrix(tables, train_config)
            client = MlflowClient()
            for label in ("stayed", "churned", "renewed"):
                if label in matrix and matrix[label].notna().any():
                    models.append(train_target(matrix, label, train_config, client, nested=True))
            mlflow.set_tags(
                {
                    f"{r.target}_promoted": f"v{r.version} " + ("yes" if r.promoted else "no")
                    for r in models
                }
            )
    return RetrainResult(monitored, trained, reason, run.info.run_id, models)


# ----- commands ----------------------------------------------------------------------------------


def monitor_config(args: argparse.Namespace) -> MonitorConfig:
    return MonitorConfig(
        psi_moderate=args.psi_moderate,
        psi_drifted=args.psi_drifted,
        drifted_features=args.drifted_features,
        auc_drop=args.auc_drop,
        brier_rise=args.brier_rise,
        min_known=args.min_known,
    )


def scoring_dirs(values: list[str] | None) -> list[str]:
    """--scores given several times, or as a comma-separated list (as MLflow passes one value)."""
    return [v.strip() for value in values or [] for v in value.split(",") if v.strip()]


def print_monitor(console, result: MonitorResult) -> None:
    """The verdict first, then drift, realised performance and migration in a few lines."""
    from rich.table import Table

    report = result.report
    colour = {"retrain": "red", "watch": "yellow", "ok": "green"}[report.verdict.status]
    versions = ", ".join(f"{k} v{v}" for k, v in report.versions.items())
    console.print(f"Monitoring on {report.as_of.date()} ({versions})")
    drift = report.drift
    if len(drift):
        churn = drift[drift["model"] == "churn"]
        table = Table(
            title="Feature drift of the churn model (PSI vs training rows), largest first",
            caption="* not judged: counts days from a moment, so moves with the calendar",
        )
        table.add_column("feature", no_wrap=True)
        table.add_column("family")
        for column in ("PSI", "status", "missing", "unseen"):
            table.add_column(column, justify="right")
        for _, row in churn.head(10).iterrows():
            status = row["status"] if row["judged"] else f"{row['status']}*"
            table.add_row(
                row["feature"],
                row["family"],
                f"{row['psi']:.3f}",
                status,
                f"{row['missing_now']:.1%}",
                f"{row['unseen_now']:.1%}",
            )
        console.print(table)
    for r in report.realised:
        churn = r["churn"]
        if r["status"] == "pending":
            console.print(f"  scoring {r['as_of']}: pending until {r['outcomes_known_from']}")
            continue
        then = report.training.get("churn", {})
        console.print(
            f"  scoring {r['as_of']}: {churn['accounts']:.0f} outcomes, churned "
            f"{churn['realised_rate']:.1%} (predicted {churn['mean_predicted']:.1%}), ROC AUC "
            f"{churn['roc_auc']:.3f} (training {then.get('val_roc_auc', float('nan')):.3f}), "
            f"Brier {churn['brier']:.4f} (training {then.get('val_brier', float('nan')):.4f})"
        )
    if report.migration is not None:
        from monitoring.migration import migration_counts

        counts = migration_counts(report.migration)
        before, after = report.between
        console.print(
            f"  bands {before} -> {after}: {counts['same_band']:,} same, {counts['worse_band']:,} "
            f"worse, {counts['better_band']:,} better, {counts['new']:,} new, "
            f"{counts['lost']:,} lost"
        )
    # never wrapped: the verdict is one line a person or a log search can copy
    console.print(f"[bold {colour}]{report.verdict.text}[/]", highlight=False, soft_wrap=True)
    for path in result.files.values():
        console.print(f"  wrote {path}")


def cmd_monitor(args: argparse.Namespace) -> int:
    from health.commands import load
    from health.console import make_console
    from health.tracking import configure_tracking, project_run, resolve_uri, use_experiment

    console = make_console()
    configure_tracking(resolve_uri(args.tracking_uri))
    if args.parent_run_id is None:  # under ``mlflow run`` the project's run holds ours
        use_experiment(args.experiment)
    dirs = scoring_dirs(args.scores)
    if not dirs:
        console.print("[red]health monitor needs at least one --scores DIR[/red]")
        return 2
    tables = load(args.data)
    renewal = None if args.no_renewal else args.renewal_model or CHAMPION_URIS["renewal"]
    started = time.perf_counter()
    try:
        with console.status("Monitoring..."), project_run(args.parent_run_id):
            result = monitor_job(
                tables,
                dirs,
                Path(args.out),
                monitor_config(args),
                args.model or CHAMPION_URIS["churn"],
                renewal,
            )
    except ScoringError as error:
        console.print(f"[red]Not a scoring output:[/red] {error}", markup=False)
        return 2
    except OutFolderError as error:
        console.print(f"[red]{error}[/red]", markup=False)
        return 2
    except mlflow.exceptions.MlflowException as error:
        console.print(
            f"[red]Cannot load the models to monitor:[/red] {error.message}", markup=False
        )
        return 1
    print_monitor(console, result)
    console.print(
        f"Report: [bold]{result.files['report.html']}[/bold]  MLflow run: {result.run_id} "
        f"({time.perf_counter() - started:.0f}s)"
    )
    return 0 if args.exit_zero else result.report.verdict.exit_code


def cmd_retrain(args: argparse.Namespace) -> int:
    from features.labels import LabelConfig
    from health.commands import load
    from health.console import make_console
    from health.tracking import configure_tracking, resolve_uri, use_experiment
    from training.train import TrainConfig

    console = make_console()
    configure_tracking(resolve_uri(args.tracking_uri))
    if args.parent_run_id is None:  # under ``mlflow run`` the project's run holds ours
        use_experiment(args.experiment)
    tables = load(args.data)
    config = TrainConfig(
        labels=LabelConfig(horizon_days=args.horizon_days),
        every_days=args.every_days,
        experiment=args.experiment,
    )
    started = time.perf_counter()
    try:
        with console.status("Monitoring, then retraining if the verdict says so..."):
            result = retrain_job(
                tables, scoring_dirs(args.scores), Path(args.out), monitor_config(args), config,
                force=args.force, parent_run_id=args.parent_run_id,
            )  # fmt: skip
    except ScoringError as error:
        console.print(f"[red]Not a scoring output:[/red] {error}", markup=False)
        return 2
    except OutFolderError as error:
        console.print(f"[red]{error}[/red]", markup=False)
        return 2
    except mlflow.exceptions.MlflowException as error:
        console.print(
            f"[red]Cannot load the models to monitor:[/red] {error.message}", markup=False
        )
        return 1
    print_monitor(console, result.monitor)
    if result.trained:
        for model in result.models:
            if not model.trained:
                console.print(f"  {model.reason}")
                continue
            state = "now @champion" if model.promoted else model.reason
            console.print(
                f"  retrained {model.target}: v{model.version}, val ROC AUC "
                f"{model.metrics['val_roc_auc']:.3f}, {state}"
            )
    else:
        console.print(f"  {result.reason}")
    console.print(f"MLflow parent run: {result.run_id} ({time.perf_counter() - started:.0f}s)")
    return 0
