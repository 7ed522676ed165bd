"""The registered model's answer: what ``mlflow models serve`` returns for feature rows.

``ServedModel`` is the packaged ``HealthModel`` with an MLflow ``predict`` that answers as batch
scoring does. For the health model, each row gets its account, health score and band, points per
family and its reasons in words with their points. All of it comes from
``serving.score.score_features``, the one home of bands, points and sentences, so a change there
shows in the next served answer. A churn or renewal model still answers its probability.

The model carries our code (``features`` and ``serving``, as MLflow ``code_paths``) and names the
libraries it imports (``requirements``): it loads in a Python where this project is not installed.
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import pandas as pd
from mlflow.models import ModelSignature, infer_signature
from mlflow.types import ColSpec, Schema

import features
import serving
from features.catalogue import feature_family
from serving.model import HealthModel, model_input
from serving.score import HEALTH_TARGET, LoadedModel, ScoreConfig, score_features

# The distributions our packaged code imports when it loads and predicts (tests/serving/test_rest.py
# checks the list against the imports of the modules a fresh load runs).
REQUIREMENTS = ("mlflow", "lightgbm", "numpy", "pandas", "pyarrow", "scikit-learn")


class ServedModel(HealthModel):
    """A ``HealthModel`` whose ``predict`` is the served answer (``served_answer``) for the
    health model, and the probability (``HealthModel.predict``) for churn and renewal."""

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        if self.target != HEALTH_TARGET:
            return super().predict(context, model_input, params)
        return served_answer(model_input, self)


def served_answer(
    frame: pd.DataFrame, model: HealthModel, config: ScoreConfig = ScoreConfig()
) -> pd.DataFrame:
    """Per feature row: account, date, health score, band, points per family, and the reasons.

    ``reasons`` lists the risk reasons, worst first, and ``protective`` the reason that holds the
    score up (None where there is none). Each is ``{sentence, feature, family, points}``, with
    ``points`` what the reason moves the score by (negative pulls it down), as scoring says.
    """
    loaded = LoadedModel(
        model, uri="served", version="served"
    )  # names only scores' version columns
    scores, explanations = score_features(frame, health=loaded, config=config)
    points = feature_points(explanations, len(scores))
    out = pd.DataFrame(
        {
            "account_id": scores["account_id"].astype(str).to_numpy(),
            "as_of": pd.to_datetime(scores["as_of"]).dt.strftime("%Y-%m-%d").to_numpy(),
            "health_score": scores["health_score"].to_numpy(),
            "band": scores["band"].astype(str).to_numpy(),
            "stay_probability": scores["stay_probability"].to_numpy(),
            "base_score": scores["base_score"].to_numpy(),
        }
    )
    for name in [c for c in scores.columns if c.startswith("points_")]:
        out[name] = scores[name].to_numpy()
    ranks = sorted(
        int(c.removeprefix("risk_feature_")) for c in scores if c.startswith("risk_feature_")
    )
    risks = [_reasons(scores, "risk", f"_{k}", points) for k in ranks]
    rows = zip(*risks, strict=True) if risks else ([] for _ in range(len(out)))
    out["reasons"] = [[reason for reason in row if reason is not None] for row in rows]
    out["protective"] = _reasons(scores, "protective", "", points)
    return out


def _reasons(scores: pd.DataFrame, kind: str, rank: str, points: pd.DataFrame) -> list[dict | None]:
    """Row i's reason from columns ``{kind}_driver{rank}`` (its sentence), ``_feature`` and
    ``_impact`` (the points it costs or holds the score up by), None where it has none.

    Scores without an ``_impact`` column give the feature's health points instead (scoring
    before the reasons of issue 12).
    """
    features = scores[f"{kind}_feature{rank}"]
    impact = scores.get(f"{kind}_impact{rank}")
    rows = []
    for i, (text, name) in enumerate(zip(scores[f"{kind}_driver{rank}"], features, strict=True)):
        if pd.isna(name):
            rows.append(None)
            continue
        value = points.iat[i, points.columns.get_loc(name)] if impact is None else impact.iat[i]
        rows.append(
            {
                "sentence": str(text),
                "feature": str(name),
                "family": feature_family(str(name)),
                "points": float(value),
            }
        )
    return rows


def feature_points(explanations: pd.DataFrame, rows: int) -> pd.DataFrame:
    """Health points per feature, one row per scored row, from the long explanations, which hold
    row i's feature j at position ``i * features + j`` (``serving.score.long_explanations``)."""
    names = [str(name) for name in explanations["feature"].cat.categories]
    values = explanations["health_points"].to_numpy(dtype=float).reshape(rows, len(names))
    return pd.DataFrame(values, columns=names)


def served_input(frame: pd.DataFrame, columns: list[str], model: HealthModel) -> pd.DataFrame:
    """Feature rows as the served model takes them: the keys as text (the date as YYYY-MM-DD, as
    JSON carries it), text for categories (and any other text column), floats for the rest, in
    ``columns`` order after the keys."""
    text = {c: [] for c in columns if c in model.categories or not _numeric(frame[c])}
    body = model_input(frame, columns, {**text, **model.categories})
    dates = pd.to_datetime(frame["as_of"]).dt.strftime("%Y-%m-%d")
    keys = pd.DataFrame(
        {"account_id": frame["account_id"].astype(str), "as_of": dates}, index=frame.index
    ).astype(object)
    return pd.concat([keys, body], axis=1)


def _numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)


def served_signature(
    model: HealthModel, example: pd.DataFrame, columns: list[str]
) -> tuple[ModelSignature, pd.DataFrame]:
    """The signature and input example of ``model`` as served, from a few feature rows.

    The health model takes the whole feature row (keys and every feature column in ``columns``:
    the sentences read columns its booster does not) and answers ``served_answer``; churn and
    renewal take their features and answer a probability. Every input column is required (a value
    may be missing, the column may not), and every output column but ``protective``.
    """
    if model.target != HEALTH_TARGET:
        inputs = model.inputs(example)
        outputs = model.predict(None, example)
    else:
        inputs = served_input(example, columns, model)
        outputs = served_answer(inputs, model)
    inferred = infer_signature(inputs, outputs)
    return ModelSignature(
        _required(inferred.inputs), _required(inferred.outputs, optional={"protective"})
    ), inputs


def _required(schema: Schema, optional: set[str] = frozenset()) -> Schema:
    """``schema`` with each column required unless named in ``optional`` (inference calls a
    column optional when the example happens to miss a value in it)."""
    return Schema([ColSpec(c.type, c.name, required=c.name not in optional) for c in schema.inputs])


def code_paths() -> list[str]:
    """Our packages the served model imports, copied into it (never ``training`` or ``health``)."""
    return [str(Path(package.__file__).parent) for package in (features, serving)]


def requirements() -> list[str]:
    """``REQUIREMENTS`` pinned at the versions installed here (the versions it was trained with)."""
    return [f"{name}=={version(name)}" for name in REQUIREMENTS]


__all__ = ["ServedModel", "code_paths", "requirements", "served_answer", "served_signature"]
