"""Binned reference distributions that a model stores at training time, so monitoring needs no
training data: per feature the shares of its training rows in each bin (numbers: decile edges,
right-closed; categories: each level), plus the missing share. ``shares_like`` puts today's rows in
the same bins and adds the share of category values the model never saw (``unseen``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from serving.model import category_text, model_input

BINS = 10


def numeric_reference(values: np.ndarray, bins: int = BINS) -> dict[str, Any]:
    """Quantile bins of the finite values (ties collapse to fewer bins) and each bin's share."""
    values = np.asarray(values, dtype=float)
    present = values[~np.isnan(values)]
    edges = (
        np.unique(np.quantile(present, np.linspace(0, 1, bins + 1)[1:-1])) if len(present) else []
    )
    reference = {"kind": "numeric", "edges": [float(e) for e in edges], "rows": int(len(values))}
    shares, missing = numeric_shares(values, reference)
    return {**reference, "shares": shares.tolist(), "missing": missing}


def numeric_shares(values: np.ndarray, reference: dict[str, Any]) -> tuple[np.ndarray, float]:
    """Share of all rows in each of the reference's bins ``(e[i-1], e[i]]``, and the missing share."""
    values = np.asarray(values, dtype=float)
    n = max(len(values), 1)
    missing = np.isnan(values)
    edges = np.asarray(reference["edges"], dtype=float)
    codes = np.searchsorted(edges, values[~missing], side="left")
    counts = np.bincount(codes, minlength=len(edges) + 1)
    return counts / n, float(missing.sum() / n)


def categorical_reference(text: pd.Series, levels: list[str]) -> dict[str, Any]:
    """Each training level's share and the missing share (``text`` as ``model_input`` gives it)."""
    n = max(len(text), 1)
    counts = text.value_counts().reindex(levels, fill_value=0).to_numpy()
    return {
        "kind": "categorical",
        "levels": list(levels),
        "rows": int(len(text)),
        "shares": (counts / n).tolist(),
        "missing": float(text.isna().sum() / n),
    }


def feature_references(
    frame: pd.DataFrame, features: list[str], categories: dict[str, list[str]]
) -> dict[str, dict[str, Any]]:
    """The reference of every model feature over ``frame`` (the model's training rows)."""
    inputs = model_input(frame, features, categories)
    out = {}
    for name in features:
        if name in categories:
            out[name] = categorical_reference(inputs[name], categories[name])
        else:
            out[name] = numeric_reference(inputs[name].to_numpy(dtype=float))
    return out


def shares_like(reference: dict[str, Any], values: pd.Series) -> dict[str, Any]:
    """Today's shares in the reference's bins, the missing share, and (categories) the share of
    values the model never saw. ``values`` is one column of ``model_input``."""
    n = max(len(values), 1)
    if reference["kind"] == "categorical":
        missing = values.isna()
        known = values.isin(reference["levels"])
        counts = values[known].value_counts().reindex(reference["levels"], fill_value=0)
        return {
            "shares": counts.to_numpy() / n,
            "missing": float(missing.sum() / n),
            "unseen": float((~missing & ~known).sum() / n),
        }
    shares, missing = numeric_shares(values.to_numpy(dtype=float), reference)
    return {"shares": shares, "missing": missing, "unseen": 0.0}


# ----- reason references ------------------------------------------------------------------------

# "Accounts like it": the same plan, where the model knows plans and the plan has enough rows;
# else every account.
REASON_GROUP = "current_plan"
MIN_GROUP_ROWS = 50


def reason_reference(
    frame: pd.DataFrame, healthy: np.ndarray, features: list[str]
) -> dict[str, Any]:
    """What a reason's value is set against: per feature, the median over the training rows of
    accounts that stayed (``healthy``), overall and per plan (``REASON_GROUP``) where a plan has
    at least ``MIN_GROUP_ROWS`` such rows with a value. Stored in the packaged model, so scoring
    needs nothing else."""
    healthy = np.asarray(healthy, dtype=bool)
    rows = frame[healthy]
    group = None
    if REASON_GROUP in frame:
        group = category_text(rows[REASON_GROUP])
    out: dict[str, Any] = {}
    for name in features:
        values = pd.to_numeric(rows[name], errors="coerce").astype(float)
        entry: dict[str, Any] = {"all": _median(values), "groups": {}}
        if group is not None:
            for level, part in values.groupby(group.to_numpy(), dropna=True):
                if part.notna().sum() >= MIN_GROUP_ROWS:
                    entry["groups"][str(level)] = _median(part)
        out[name] = entry
    return {
        "by": REASON_GROUP if group is not None else None,
        "rows": int(len(rows)),
        "features": out,
    }


def _median(values: pd.Series) -> float | None:
    present = values.dropna()
    return float(present.median()) if len(present) else None


def reference_values(reference: dict[str, Any], frame: pd.DataFrame, name: str) -> np.ndarray:
    """Each row's reference for feature ``name``: its plan's median, else the overall one; NaN
    where the reference has none."""
    entry = reference["features"].get(name)
    if entry is None:
        return np.full(len(frame), np.nan)
    overall = np.nan if entry["all"] is None else entry["all"]
    out = np.full(len(frame), overall, dtype=float)
    by = reference.get("by")
    if by and by in frame and entry["groups"]:
        levels = category_text(frame[by]).to_numpy()
        for level, value in entry["groups"].items():
            out[levels == level] = value
    return out
