"""The packaged model: one MLflow pyfunc that owns everything scoring needs.

It holds the feature list, category levels, the LightGBM booster (as text) and the calibrator, so
serving needs no training code and the same object runs in MLflow's Spark UDF. Input columns are
plain strings and numbers; categories are restored here (LightGBM rejects mismatched categoricals).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import lightgbm as lgb
import mlflow.pyfunc
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from serving.calibration import Calibrator


class MissingFeaturesError(ValueError):
    """The data lacks columns the model was trained on; ``missing`` names them all."""

    def __init__(self, missing: list[str]) -> None:
        self.missing = list(missing)
        shown = ", ".join(self.missing[:10]) + (" ..." if len(self.missing) > 10 else "")
        super().__init__(
            f"the model expects {len(self.missing)} feature(s) the data does not have: {shown}. "
            "Score with data that has the tables and columns the model was trained on, "
            "or retrain on this data."
        )


def missing_features(columns, features: list[str]) -> list[str]:
    """Model features absent from ``columns``, in model order."""
    present = set(columns)
    return [name for name in features if name not in present]


def model_input(
    frame: pd.DataFrame, features: list[str], categories: dict[str, list[str]]
) -> pd.DataFrame:
    """The model's inputs in model order: categories as text (None where missing), the rest as
    floats. The one coercion: the booster, the baseline, the MLflow signature and Spark read it.
    """
    return _inputs(frame, features, categories, lambda column, _levels: category_text(column))


def _inputs(
    frame: pd.DataFrame,
    features: list[str],
    categories: dict[str, list[str]],
    encode: Callable[[pd.Series, list[str]], Any],
) -> pd.DataFrame:
    """Each feature in model order: ``encode(column, levels)`` for a category, else floats."""
    missing = missing_features(frame.columns, features)
    if missing:
        raise MissingFeaturesError(missing)
    out = {}
    for name in features:
        column = frame[name]
        if name in categories:
            out[name] = encode(column, categories[name])
        elif column.dtype == np.float64:
            out[name] = column
        else:
            out[name] = pd.to_numeric(column, errors="coerce").astype(float)
    return pd.DataFrame(out, index=frame.index)


def category_text(column: pd.Series) -> pd.Series:
    """A categorical feature's values as text (as its levels were learned), None where missing."""
    return column.astype(str).astype(object).where(column.notna(), None)


def booster_input(
    frame: pd.DataFrame, features: list[str], categories: dict[str, list[str]]
) -> pd.DataFrame:
    """``model_input`` with each category restored to its training levels (unknown ones missing):
    LightGBM rejects categoricals whose levels differ from training's."""
    return _inputs(frame, features, categories, booster_category)


def booster_category(column: pd.Series, levels: list[str]) -> pd.Categorical:
    """A categorical feature on its training levels, from its text (``category_text``); values
    outside them are missing."""
    if isinstance(column.dtype, pd.CategoricalDtype) and list(column.cat.categories) == levels:
        return column.array
    if isinstance(column.dtype, pd.StringDtype) and all(isinstance(v, str) for v in levels):
        # text already: the same codes, looked up by Arrow without a Python string per row
        text = pa.array(column.array)
        codes = pc.index_in(text, value_set=pa.array(levels, text.type)).fill_null(-1)
        return pd.Categorical.from_codes(codes.to_numpy(), categories=levels)
    text = category_text(column)
    return pd.Categorical(text.where(text.isin(levels)), categories=levels)


class HealthModel(mlflow.pyfunc.PythonModel):
    """A calibrated LightGBM binary classifier for one target (``churned`` or ``renewed``)."""

    def __init__(
        self,
        booster_text: str,
        features: list[str],
        categories: dict[str, list[str]],
        calibrator: Calibrator,
        target: str,
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.booster_text = booster_text
        self.features = list(features)
        self.categories = {k: list(v) for k, v in categories.items()}
        self.calibrator = calibrator
        self.target = target
        self.meta = dict(meta or {})
        self._booster: lgb.Booster | None = None

    @property
    def booster(self) -> lgb.Booster:
        if self._booster is None:
            self._booster = lgb.Booster(model_str=self.booster_text)
        return self._booster

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_booster"] = None
        return state

    def prepare(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The booster's input for ``frame`` (``booster_input``)."""
        return booster_input(frame, self.features, self.categories)

    def inputs(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The plain inputs for ``frame`` as its MLflow signature records them (``model_input``)."""
        return model_input(frame, self.features, self.categories)

    def raw_probability(self, frame: pd.DataFrame) -> np.ndarray:
        """The booster's uncalibrated probability (what SHAP explains, on the log-odds scale)."""
        return self.booster.predict(self.prepare(frame))

    def probability(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of the target."""
        return self.calibrator(self.raw_probability(frame))

    def contributions(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Exact TreeSHAP values in log-odds, per feature, and the base value per row.

        ``base + contributions.sum(axis=1)`` equals the booster's raw margin.
        """
        contrib = self.booster.predict(self.prepare(frame), pred_contrib=True)
        return contrib[:, :-1], contrib[:, -1]

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:  # noqa: ARG002
        return pd.DataFrame({"probability": self.probability(model_input)})
