"""Model quality against the logistic baseline on the same split: demo data and two public tables.

Prints a markdown table. Not a test: a yardstick to rerun when the models change.

    python benchmarks/quality.py [--accounts 2000] [--datasets ../shared/datasets]

Demo data: 2,000 generated accounts (seed 7, as ``health demo``), validated out of time.
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


def demo_matrix(accounts: int, seed: int = 7) -> pd.DataFrame:
    import tempfile

    from features.loading import load_tables
    from health.synthetic import generate_demo_data, write_demo_data
    from training.train import TrainConfig, build_training_matrix

    with tempfile.TemporaryDirectory() as folder:
        write_demo_data(generate_demo_data(n_accounts=accounts, seed=seed), folder)
        tables = load_tables(folder)
    return build_training_matrix(tables, TrainConfig())


def public_matrix(path: Path, label: str, positive: str, drop: list[str]) -> pd.DataFrame:
    from training.table import feature_table_matrix, read_table

    table = read_table(path)
    drop += [c for c in table.columns if c.startswith("Naive_Bayes_Classifier_")]
    return feature_table_matrix(table, label, positive=positive, drop=drop)


def row(case: Case, matrix: pd.DataFrame, label: str) -> dict[str, str]:
    from training.train import TrainConfig, fit_target

    started = time.perf_counter()
    fitted = fit_target(matrix, label, TrainConfig())
    m = fitted.metrics
    return {
        "dataset": case.dataset,
        "target": case.label,
        "validation": fitted.split.scheme,
        "rows (val)": f"{int(m['val_rows']):,}",
        "LightGBM ROC AUC": f"{m['val_roc_auc']:.3f}",
        "baseline ROC AUC": f"{m['baseline_val_roc_auc']:.3f}",
        "PR AUC (base)": f"{m['val_pr_auc']:.3f} ({m['baseline_val_pr_auc']:.3f})",
        "Brier (base)": f"{m['val_brier']:.4f} ({m['baseline_val_brier']:.4f})",
        "ECE (base)": f"{m['val_ece']:.4f} ({m['baseline_val_ece']:.4f})",
        "calibrator": fitted.model.calibrator.kind,
        "published": case.reference,
        "seconds": f"{time.perf_counter() - started:.0f}",
    }


def markdown(rows: list[dict[str, str]]) -> str:
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r[h] for h in header) + " |" for r in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--datasets", default=str(REPO.parent / "shared" / "datasets"))
    args = parser.parse_args()
    folder = Path(args.datasets)
    rows = []
    demo = demo_matrix(args.accounts)
    rows.append(row(Case("demo (2,000 accounts, seed 7)", "churn", "-"), demo, "churned"))
    rows.append(row(Case("demo (2,000 accounts, seed 7)", "renewal", "-"), demo, "renewed"))
    telco = public_matrix(folder / "Telco-Customer-Churn.csv", "Churn", "Yes", ["customerID"])
    rows.append(row(Case("Telco", "Churn", "0.83-0.86"), telco, "churned"))
    bank = public_matrix(
        folder / "BankChurners.csv", "Attrition_Flag", "Attrited Customer", ["CLIENTNUM"]
    )
    rows.append(row(Case("BankChurners", "Attrition_Flag", "~0.99 (boosting)"), bank, "churned"))
    print(markdown(rows))


if __name__ == "__main__":
    main()
