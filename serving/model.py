"""The packaged model: one MLflow pyfunc that owns everything scoring needs.

It holds the feature list, category levels, the LightGBM booster (as text) and the calibrator, so
serving needs no training code and the same object runs in MLflow's Spark UDF. Input columns are
plain strings and numbers; categories are restored here (LightGBM rejects mismatched categoricals).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import mlflow.pyfunc
import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Calibrator:
    """Maps a raw model probability to a calibrated one: Platt (logistic) or isotonic (step)."""

    kind: str
    a: float = 1.0
    b: float = 0.0
    x: tuple[float, ...] = field(default_factory=tuple)
    y: tuple[float, ...] = field(default_factory=tuple)

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        raw = np.asarray(raw, dtype=float)
        if self.kind == "identity":
            return raw
        if self.kind == "platt":
            logit = np.log(np.clip(raw, 1e-12, 1 - 1e-12) / np.clip(1 - raw, 1e-12, 1))
            return 1.0 / (1.0 + np.exp(-(self.a * logit + self.b)))
        if self.kind == "isotonic":
            return np.interp(raw, np.asarray(self.x), np.asarray(self.y))
        raise ValueError(f"unknown calibrator kind {self.kind!r}")


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


def category_values(column: pd.Series, levels: list[str]) -> pd.Categorical:
    """A column as the training categories: values compared as text, unknown levels become NaN."""
    if isinstance(column.dtype, pd.CategoricalDtype) and list(column.cat.categories) == levels:
        return column.array
    if not pd.api.types.is_string_dtype(column):
        text = column.astype(str).where(column.notna())
    else:
        text = column
    return pd.Categorical(text.where(text.isin(levels)), categories=levels)


def prepare_input(
    frame: pd.DataFrame, features: list[str], categories: dict[str, list[str]]
) -> pd.DataFrame:
    """Columns in model order: categoricals with the training levels, the rest as floats."""
    missing = missing_features(frame.columns, features)
    if missing:
        raise MissingFeaturesError(missing)
    out = {}
    for name in features:
        column = frame[name]
        if name in categories:
            out[name] = category_values(column, categories[name])
        elif column.dtype == np.float64:
            out[name] = column
        else:
            out[name] = pd.to_numeric(column, errors="coerce").astype(float)
    return pd.DataFrame(out, index=frame.index)


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
        return prepare_input(frame, self.features, self.categories)

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
