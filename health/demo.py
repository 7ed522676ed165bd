"""``health demo``: generate a company, train, score and show the riskiest accounts.

The demo keeps its own tracking store in ``<--out>/mlflow.db`` (``--tracking-uri`` overrides it;
``$MLFLOW_TRACKING_URI`` never does), so demo models never land on a team's server.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

from health.console import Steps, make_console, print_command
from health.tables import TOP_ACCOUNTS


@dataclass(frozen=True)
class DemoConfig:
    """The demo company's size and seed, where it goes, and how many accounts to print."""

    accounts: int = 2000
    seed: int = 7
    out: str = "health-demo"
    top: int = TOP_ACCOUNTS


def demo_health_model(console, results) -> str:
    """The health model the demo scores with: the champion, or else the version just trained.

    A small demo company can leave the health model under the floor (too few outcomes to beat
    the baseline); the demo still shows a scoring, with that version, and says so.
    """
    from serving.score import CHAMPION_URIS

    trained = [r for r in results if r.target == "health" and r.trained and r.version]
    if not trained or trained[0].promoted:
        return CHAMPION_URIS["health"]
    uri = f"models:/health/{trained[0].version}"
    console.print(
        f"Scoring with {uri}, which is not @champion (see its reason above): a real scoring "
        "would wait for a model that clears the floor.",
        markup=False,
        soft_wrap=True,
    )
    return uri


def cmd_demo(args: argparse.Namespace) -> int:
    from features.loading import load_tables
    from health.errors import DataError
    from health.synthetic import generate_demo_data, write_demo_data
    from health.tables import print_top_risk, print_training
    from health.tracking import (
        ENV,
        configure_tracking,
        export_line,
        sqlite_uri,
        ui_command,
        use_experiment,
    )
    from serving.score import MissingModelError, default_as_of, score_job
    from training.train import TrainConfig, prepare_training, train_from_matrix

    console = make_console()
    out = Path(args.out)
    foreign = os.environ.get(ENV)  # read first: MLflow sets it to the URI it is pointed at
    uri = configure_tracking(args.tracking_uri or sqlite_uri(out))
    if foreign and foreign != uri:
        console.print(f"${ENV} ({foreign}) is left untouched: the demo uses {uri}.", soft_wrap=True)
    use_experiment(args.experiment)
    steps = Steps(console, 4, args.started)
    data_dir = out / "data"
    with steps.step(f"Generating {args.accounts:,} demo accounts over two years") as step:
        write_demo_data(generate_demo_data(n_accounts=args.accounts, seed=args.seed), data_dir)
        tables = load_tables(data_dir)
        step.done = f"Demo data in {data_dir}"
    config = TrainConfig(experiment=args.experiment)
    with steps.step("Building features on the as-of grid") as step:
        config, matrix = prepare_training(tables, config, step.as_of_progress())
        step.done = f"Built {len(matrix):,} training rows"
    with steps.step("Training health, churn and renewal models (LightGBM, baseline)") as step:
        results = train_from_matrix(matrix, config)
        step.done = "Trained and registered the health, churn and renewal models"
    print_training(console, results)
    health_uri = demo_health_model(console, results)
    as_of = default_as_of(tables)
    with steps.step(f"Scoring every active account as of {as_of.date()}") as step:
        try:
            result = score_job(tables, out / "scores", as_of, health_uri=health_uri)
        except MissingModelError as error:
            raise DataError(str(error)) from None
        step.done = f"Scored {len(result.scores):,} active accounts"
    summary = result.summary
    print_top_risk(
        console, result.scores, args.top, summary.bands, summary.accounts, summary.band_arr
    )
    console.print("Outputs:")
    for path in result.files.values():
        console.print(f"  {path}")
    console.print(f"  ground truth (never read by the model): {data_dir / 'ground_truth.csv'}")
    console.print(f"MLflow runs and models: {uri}")
    console.print("Point the next commands (health score, backtest, mlflow run) at them:")
    print_command(console, export_line(uri))
    console.print("Open the MLflow UI:")
    print_command(console, ui_command(uri))
    console.print(f"Done in {steps.elapsed()}.")
    return 0
