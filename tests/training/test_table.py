"""A ready feature table as a matrix, and ``health train --table``."""

from __future__ import annotations

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from health.cli import main
from training.table import feature_table_matrix, label_values, read_table


def _telco_like(rows: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    tenure = rng.integers(0, 72, size=rows)
    contract = rng.choice(["Month-to-month", "One year", "Two year"], size=rows)
    logit = 0.5 - 0.06 * tenure + np.where(contract == "Month-to-month", 1.2, -0.8)
    churn = np.where(rng.random(rows) < 1 / (1 + np.exp(-logit)), "Yes", "No")
    total = (tenure * 50.0).astype(str)
    total[:7] = " "  # blanks, as in Telco's TotalCharges
    return pd.DataFrame(
        {
            "customerID": [f"{i:04d}-X" for i in range(rows)],
            "tenure": tenure.astype(str),
            "Contract": contract,
            "TotalCharges": total,
            "leak": churn,
            "Churn": churn,
        }
    )


def test_feature_table_types_labels_and_drops(tmp_path):
    path = tmp_path / "telco.csv"
    _telco_like().to_csv(path, index=False)
    matrix = feature_table_matrix(
        read_table(path), "Churn", id_column="customerID", positive="Yes", drop=["leak"]
    )
    assert list(matrix.columns) == [
        "account_id",
        "as_of",
        "tenure",
        "Contract",
        "TotalCharges",
        "churned",
    ]
    assert matrix["as_of"].nunique() == 1
    assert matrix["TotalCharges"].dtype == float and matrix["TotalCharges"].isna().sum() == 7
    assert matrix["tenure"].dtype == float
    assert matrix["Contract"].dtype == object
    assert set(matrix["churned"]) == {0.0, 1.0}


def test_label_values_map_words_and_refuse_to_guess():
    assert label_values(pd.Series(["Yes", "No", ""])).tolist()[:2] == [1.0, 0.0]
    assert np.isnan(label_values(pd.Series(["Yes", "No", ""]))[2])
    flags = pd.Series(["Attrited Customer", "Existing Customer"])
    with pytest.raises(ValueError, match="--positive"):
        label_values(flags)
    assert label_values(flags, positive="Attrited Customer").tolist() == [1.0, 0.0]
    with pytest.raises(ValueError, match="no row has the positive label"):
        label_values(flags, positive="Churned")


def test_unknown_columns_are_named():
    with pytest.raises(ValueError, match="--drop 'nope'"):
        feature_table_matrix(_telco_like(), "Churn", positive="Yes", drop=["nope"])


@pytest.mark.slow
def test_health_train_table_runs_kfold_and_says_so(tmp_path, tracking, capsys):
    path = tmp_path / "telco.csv"
    _telco_like(rows=400).to_csv(path, index=False)
    argv = ["train", "--table", str(path), "--label", "Churn", "--positive", "Yes"]
    # 400 rows of a near-linear table: the logistic baseline ties LightGBM, so the floor's
    # baseline part is waived here (tests/training/test_guard.py tests it)
    argv += ["--no-baseline-floor"]
    assert main([*argv, "--id", "customerID", "--drop", "leak", "--experiment", "t"]) == 0
    assert "churn" in capsys.readouterr().out
    # registered under the name scoring looks for, whatever the table calls its label
    version = MlflowClient().get_model_version_by_alias("churn", "champion")
    run = MlflowClient().get_run(version.run_id)
    assert run.data.tags["validation"] == "stratified-5-fold"
    assert "flat table" in run.data.tags["validation_note"]
    assert run.data.params["validation"] == "stratified-5-fold"
    assert run.data.metrics["val_roc_auc"] > 0.7
    model = mlflow.pyfunc.load_model("models:/churn@champion")
    frame = feature_table_matrix(_telco_like(rows=10, seed=9), "Churn", positive="Yes")
    assert (
        model.predict(frame[["tenure", "Contract", "TotalCharges"]])["probability"]
        .between(0, 1)
        .all()
    )
    features = mlflow.artifacts.load_dict(f"runs:/{version.run_id}/features.json")["features"]
    assert "leak" not in features and "customerID" not in features


@pytest.mark.slow
def test_what_train_table_trained_score_table_scores_through_the_command_line(
    tmp_path, tracking, capsys
):
    """The round trip a team with its own feature table makes: train --table --target health,
    then score --table on fresh rows of the same shape, through the command line."""
    train = tmp_path / "train.csv"
    _telco_like(rows=400).to_csv(train, index=False)
    # the health model's positive is staying: a Churn column's "No"
    argv = ["train", "--table", str(train), "--label", "Churn", "--positive", "No"]
    argv += ["--target", "health", "--id", "customerID", "--drop", "leak"]
    assert main([*argv, "--no-baseline-floor", "--experiment", "t"]) == 0
    fresh = tmp_path / "fresh.csv"
    rows = _telco_like(rows=25, seed=9).drop(columns=["leak", "Churn"])
    rows.to_csv(fresh, index=False)
    out = tmp_path / "scores"
    capsys.readouterr()
    argv = ["score", "--table", str(fresh), "--id", "customerID", "--out", str(out)]
    assert main([*argv, "--experiment", "t"]) == 0
    scores = pd.read_parquet(out / "scores.parquet")
    assert sorted(scores["account_id"].astype(str)) == sorted(rows["customerID"])
    assert scores["health_score"].between(0, 100).all()
    assert scores["band"].isin(["green", "yellow", "red"]).all()
    # a longer tenure on a longer contract is the planted way to stay: it must score higher
    loyal = rows["tenure"].astype(int).gt(48) & rows["Contract"].eq("Two year")
    new = rows["tenure"].astype(int).lt(12) & rows["Contract"].eq("Month-to-month")
    by_id = scores.set_index(scores["account_id"].astype(str))["health_score"]
    if loyal.any() and new.any():
        assert (
            by_id[rows.loc[loyal, "customerID"]].mean() > by_id[rows.loc[new, "customerID"]].mean()
        )
    assert (out / "scores.csv").exists() and (out / "explanations.parquet").exists()
    assert "health" in capsys.readouterr().out.lower()
