"""Model quality against the logistic baseline on the same split: demo data and two public tables.

Prints a markdown table. Not a test: a yardstick to rerun when the models change.

    python benchmarks/quality.py [--accounts 2000] [--datasets ../shared/datasets]
    python benchmarks/quality.py --constraints   # monotone and within-family constraints

Demo data: 2,000 generated accounts (seed 7, as ``health demo``), validated out of time, and the
same company in the shapes of issues 13 and 19 (``health.synthetic.Shapes``): a six-month monthly
history with a 30-day horizon, add-ons as concurrent rows, a subscription feed ending 30 days
before the events, 20 more event types, and one row per subscription life read as renewing.
ROC AUC and ECE are given with per-type usage and, in brackets, without it (same rows and split).
Telco and BankChurners are flat tables (one row per customer), so training falls back to
stratified 5-fold cross-validation; BankChurners' two ``Naive_Bayes_Classifier_*`` columns are
another model's outputs and leak the label, so they are dropped.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Case:
    dataset: str
    label: str
    reference: str


def demo_matrix(
    accounts: int, seed: int = 7, days: int = 730, shapes=None, horizon_days: int = 90
) -> pd.DataFrame:
    """The training matrix of a generated company (``health.synthetic.Shapes`` for other
    shapes; one-row-per-life subscriptions are read as renewing, as their config would say)."""
    import tempfile

    from features.labels import LabelConfig
    from features.loading import load_tables
    from health.synthetic import Shapes, generate_demo_data, write_demo_data
    from training.train import TrainConfig, build_training_matrix, resolve_config

    shapes = shapes or Shapes()
    with tempfile.TemporaryDirectory() as folder:
        write_demo_data(generate_demo_data(accounts, seed=seed, days=days, shapes=shapes), folder)
        source = folder
        if shapes.subscriptions == "lives":
            source = Path(folder) / "renewing.toml"
            source.write_text(_renewing_config(Path(folder)))
        tables = load_tables(source)
        config = resolve_config(tables, TrainConfig(labels=LabelConfig(horizon_days=horizon_days)))
        return build_training_matrix(tables, config), config


def _renewing_config(folder: Path) -> str:
    names = {"accounts": ".csv", "subscriptions": ".csv", "events": ".parquet",
             "tickets": ".csv", "surveys": ".csv"}  # fmt: skip
    parts = []
    for name, suffix in names.items():
        parts.append(f'[tables.{name}]\npath = "{folder / (name + suffix)}"')
        if name == "subscriptions":
            parts.append('reading = "renewing"')
    return "\n".join(parts) + "\n"


def public_matrix(path: Path, label: str, positive: str, drop: list[str]) -> pd.DataFrame:
    from training.table import feature_table_matrix, read_table

    table = read_table(path)
    drop += [c for c in table.columns if c.startswith("Naive_Bayes_Classifier_")]
    return feature_table_matrix(table, label, positive=positive, drop=drop)


def row(case: Case, matrix: pd.DataFrame, label: str, config=None) -> dict[str, str]:
    """One line: the model with and without per-type usage (same rows, same split)."""
    from features.usage_types import PREFIX
    from training.train import TrainConfig, fit_target

    config = config or TrainConfig()
    started = time.perf_counter()
    fitted = fit_target(matrix, label, config)
    m = fitted.metrics
    typed = [c for c in matrix.columns if c.startswith(PREFIX)]
    without = fit_target(matrix.drop(columns=typed), label, config).metrics if typed else None

    def pair(key: str, spec: str) -> str:
        return f"{m[key]:{spec}}" + (f" ({without[key]:{spec}})" if without else " (-)")

    return {
        "dataset": case.dataset,
        "target": case.label,
        "validation": fitted.split.scheme,
        "rows (val)": f"{int(m['val_rows']):,}",
        "ROC AUC (no per-type)": pair("val_roc_auc", ".3f"),
        "ECE (no per-type)": pair("val_ece", ".4f"),
        "baseline ROC AUC": f"{m['baseline_val_roc_auc']:.3f}",
        "Brier (base)": f"{m['val_brier']:.4f} ({m['baseline_val_brier']:.4f})",
        "per-type features": str(len(typed)),
        "published": case.reference,
        "seconds": f"{time.perf_counter() - started:.0f}",
    }


EVERY_LABEL = ("stayed", "churned", "renewed")
VARIANTS = {
    "unconstrained": {"monotone": False, "family_interactions": ()},
    "monotone": {"monotone": True, "family_interactions": ()},
    "within family": {"monotone": False, "family_interactions": EVERY_LABEL},
    "monotone + within family": {"monotone": True, "family_interactions": EVERY_LABEL},
}


def constraint_rows(case: Case, matrix: pd.DataFrame, label: str, config=None) -> dict[str, str]:
    """One line: ROC AUC (ECE) of the same rows and split under each set of constraints
    (``training.fit.BoosterParams``: monotone directions, trees within one family)."""
    import dataclasses

    from training.train import TrainConfig, fit_target

    config = config or TrainConfig()
    out = {"dataset": case.dataset, "target": case.label}
    for name, settings in VARIANTS.items():
        varied = dataclasses.replace(
            config, booster=dataclasses.replace(config.booster, **settings)
        )
        m = fit_target(matrix, label, varied).metrics
        out[name] = f"{m['val_roc_auc']:.4f} ({m['val_ece']:.4f})"
    return out


def constraints_main(args) -> None:
    """ROC AUC (ECE) of each model under each set of constraints: demo, Telco, BankChurners."""
    folder = Path(args.datasets)
    demo, config = demo_matrix(args.accounts)
    name = f"demo ({args.accounts:,} accounts, seed 7)"
    rows = []
    for target, label in (("health", "stayed"), ("churn", "churned"), ("renewal", "renewed")):
        rows.append(constraint_rows(Case(name, target, "-"), demo, label, config))
        print(markdown(rows[-1:]), flush=True)
    telco = public_matrix(folder / "Telco-Customer-Churn.csv", "Churn", "Yes", ["customerID"])
    rows.append(constraint_rows(Case("Telco", "Churn", "-"), telco, "churned"))
    bank = public_matrix(
        folder / "BankChurners.csv", "Attrition_Flag", "Attrited Customer", ["CLIENTNUM"]
    )
    rows.append(constraint_rows(Case("BankChurners", "Attrition_Flag", "-"), bank, "churned"))
    print("ROC AUC (ECE) on the validation rows, same rows and split in each column")
    print(markdown(rows))


def markdown(rows: list[dict[str, str]]) -> str:
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r[h] for h in header) + " |" for r in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--shape-accounts", type=int, default=2000)
    parser.add_argument("--datasets", default=str(REPO.parent / "shared" / "datasets"))
    parser.add_argument(
        "--constraints",
        action="store_true",
        help="only compare the constraint settings (demo, Telco, BankChurners)",
    )
    args = parser.parse_args()
    if args.constraints:
        constraints_main(args)
        return
    folder = Path(args.datasets)
    from health.synthetic import Shapes

    rows = []
    name = f"demo ({args.accounts:,} accounts, seed 7)"
    demo, config = demo_matrix(args.accounts)
    rows.append(row(Case(name, "churn", "-"), demo, "churned", config))
    rows.append(row(Case(name, "renewal", "-"), demo, "renewed", config))
    shapes = {
        "six months, monthly terms, 30-day horizon": (Shapes(monthly_only=True), 183, 30),
        "add-ons as concurrent rows (40%)": (Shapes(addons=0.4), 730, 90),
        "subscription feed ends 30 days early": (Shapes(feed_ends_days=30), 730, 90),
        "20 more event types, churn effects differ": (Shapes(event_types=20), 730, 90),
        "one row per life (renewing)": (Shapes(subscriptions="lives"), 730, 90),
    }
    for title, (shape, days, horizon) in shapes.items():
        matrix, config = demo_matrix(args.shape_accounts, days=days, shapes=shape,
                                     horizon_days=horizon)  # fmt: skip
        rows.append(row(Case(f"{title} ({args.shape_accounts:,})", "churn", "-"), matrix,
                        "churned", config))  # fmt: skip
        print(markdown(rows[-1:]), flush=True)
    telco = public_matrix(folder / "Telco-Customer-Churn.csv", "Churn", "Yes", ["customerID"])
    rows.append(row(Case("Telco", "Churn", "0.83-0.86"), telco, "churned"))
    bank = public_matrix(
        folder / "BankChurners.csv", "Attrition_Flag", "Attrited Customer", ["CLIENTNUM"]
    )
    rows.append(row(Case("BankChurners", "Attrition_Flag", "~0.99 (boosting)"), bank, "churned"))
    print(markdown(rows))


if __name__ == "__main__":
    main()
