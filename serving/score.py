"""The scoring job: registered models + raw tables -> scores, drivers in words, SHAP explanations.

Scoring runs in chunks of accounts and writes each chunk as it goes (``OutputWriter``), so memory
is bounded by the chunk size, not by the number of accounts. The files form one set, published all
or nothing when the whole run has succeeded (``serving.outputs``).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
from mlflow.tracking import MlflowClient

from features.catalogue import (
    CADENCE_FEATURES,
    POINTS_FAMILIES,
    PROFILE,
    TIMING_FEATURES,
    points_family,
)
from features.contract import Tables
from features.events import TypeCatalogue
from features.labels import LabelConfig
from features.matrix import build_features
from features.timeline import observation_end
from features.usage_types import chosen_types
from serving.bands import (
    BANDS,
    YEAR_MONTHS,
    band,
    band_rules,
    decision_months,
    health_score,
    yearly_footing,
)
from serving.config import CHAMPION_URIS, ScoreConfig
from serving.model import HealthModel, MissingFeaturesError, missing_features
from serving.outputs import (
    EXPLANATIONS,
    PRIORITY,
    SCORES,
    OutputWriter,
    account_names,
    published_scores,
    read_scores,
)
from serving.reasons import choose_reasons, reason_points

# When the term ends says when an account *can* leave, not why it would: the health model never
# sees these features (``features.builders.TIMING_FEATURES``), and no model offers them as reasons.
# The due date is its own column instead.
__all__ = ["TIMING_FEATURES", "score_features", "score_job"]

HEALTH_TARGET = "stayed"  # the health model's label (``features.labels.stay_labels``)


@dataclass
class LoadedModel:
    model: HealthModel
    uri: str
    version: str


def default_as_of(tables: Tables) -> pd.Timestamp:
    """The day after the latest data: scores then see everything there is."""
    return observation_end(tables).normalize() + pd.Timedelta(days=1)


def model_event_types(*models: LoadedModel | None) -> list[str]:
    """The event types whose per-type usage the models use (chosen at training)."""
    features = [f for m in models if m is not None for f in m.model.features]
    return list(dict.fromkeys(chosen_types(features)))


class MissingModelError(LookupError):
    """No model at a URI; the message says which one and how to get one."""


def missing_model_message(uri: str) -> str:
    """Which model is missing and how to get one, in two sentences."""
    if uri.startswith("models:/") and "@" in uri:
        name, alias = uri.removeprefix("models:/").split("@", 1)
        return (
            f"No {name} model is registered as @{alias} ({uri}): train one with `health train "
            f"DATA`. A model that did not clear the floor or the leakage guard is registered "
            f"without the alias and its run says why; to score with it anyway, pass its version "
            f"(--model models:/{name}/VERSION)."
        )
    return f"No model at {uri}: check the URI, or train one with `health train DATA`."


def load_model(uri: str) -> LoadedModel:
    """Load a pyfunc by URI (``models:/churn@champion``) and note which version it is.

    Raises ``MissingModelError`` when there is no such model (no champion yet).
    """
    try:
        python_model = mlflow.pyfunc.load_model(uri).unwrap_python_model()
    except (mlflow.exceptions.MlflowException, OSError) as error:
        raise MissingModelError(missing_model_message(uri)) from error
    version = "?"
    if uri.startswith("models:/") and "@" in uri:
        name, alias = uri.removeprefix("models:/").split("@", 1)
        version = MlflowClient().get_model_version_by_alias(name, alias).version
    elif uri.startswith("models:/"):
        version = uri.rsplit("/", 1)[-1]
    return LoadedModel(python_model, uri, str(version))


def health_points(
    contributions: np.ndarray, base: np.ndarray, model: HealthModel, months: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """SHAP log-odds contributions mapped onto health-score points.

    Each feature gets its share of the move from the base score to the account's score, so the
    base score plus every feature's points equals the account's (unrounded) health score:
    ``100 x yearly_footing(P(stays), months)`` for the health model (``serving.bands``), so the
    base score is a typical account's on this account's term, and ``100 x (1 - P)`` for a model
    of leaving (churn). Returns (points per feature, base score per row).
    """
    margin = base + contributions.sum(axis=1)
    score = health_of_margin(model, margin, months)
    base_score = health_of_margin(model, base, months)
    total = contributions.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(np.abs(total) > 1e-12, (score - base_score) / total, 0.0)
    return contributions * scale[:, None], base_score


def cadence_in_base(
    contributions: np.ndarray, base: np.ndarray, features: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """The SHAP base per row with the cadence's value added (``CADENCE_FEATURES``), and the
    contributions with the cadence's set to 0: the base score is then a typical account's on
    this account's contract cadence, and the points spread the move from there.

    Why: the cadence sets both the footing (twelve decisions a year or one) and the base rate
    at each decision; as points it would show a monthly account +40 for being monthly, with the
    footing's -40 nowhere in sight. Its net effect is the base scores' spread between cadences.
    """
    cadence = [j for j, name in enumerate(features) if name in CADENCE_FEATURES]
    row_base = np.broadcast_to(np.asarray(base, dtype=float), (len(contributions),)).copy()
    if not cadence:
        return contributions, row_base
    row_base += contributions[:, cadence].sum(axis=1)
    rest = contributions.copy()
    rest[:, cadence] = 0.0
    return rest, row_base


def health_of_margin(model: HealthModel, margin: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Raw log-odds (per row, or rows x features) as unrounded 0-100 health: the calibrated
    probability of staying on the yearly footing (``months`` per row), or 100 x (1 - P) for a
    model of leaving."""
    probability = model.calibrator(_sigmoid(margin))
    if model.target != HEALTH_TARGET:
        return 100 * (1 - probability)
    per_row = np.asarray(months, dtype=float).reshape(-1, *([1] * (np.ndim(margin) - 1)))
    return 100 * yearly_footing(probability, per_row)


def account_decision_months(frame: pd.DataFrame, model: HealthModel) -> np.ndarray:
    """Each row's months between decisions (``serving.bands.decision_months``) from its current
    term's length, a calendar fact every engine's feature rows carry; open-ended rows take the
    model's horizon. Rows that carry no term length at all (a ready table) are on the footing of
    the model's own label: the probability as it is (12 months)."""
    if "term_length_days" not in frame:
        return np.full(len(frame), float(YEAR_MONTHS))
    horizon = model.meta.get("horizon_days", LabelConfig().horizon_days)
    return decision_months(numeric_column(frame, "term_length_days"), horizon)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def family_codes(frame: pd.DataFrame, features: list[str]) -> np.ndarray:
    """Per account and feature, the position in ``POINTS_FAMILIES`` its points add up in: the
    feature's family (``features.catalogue.points_family``), but the profile where its value is
    missing. A missing value says what history the account has (a first term has no earlier
    price, an account that never answered a survey has no NPS): who it is, not what it does."""
    codes = np.array([POINTS_FAMILIES.index(points_family(f)) for f in features])
    missing = frame[features].isna().to_numpy()
    return np.where(missing, POINTS_FAMILIES.index(PROFILE), codes[None, :])


def family_points(points: np.ndarray, codes: np.ndarray) -> dict[str, np.ndarray]:
    """Health points per behaviour family (usage, adoption, ...) and the profile's one figure:
    the per-feature points summed by ``family_codes``."""
    return {
        family: np.where(codes == k, points, 0.0).sum(axis=1)
        for k, family in enumerate(POINTS_FAMILIES)
    }


def score_features(
    frame: pd.DataFrame,
    *,
    health: LoadedModel,
    churn: LoadedModel | None = None,
    renewal: LoadedModel | None = None,
    config: ScoreConfig = ScoreConfig(),
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Scores and long-format explanations for a feature frame (one row per account).

    The health score, its band, points and reasons come from the ``health`` model (staying at
    the next decision point); ``churn`` (leaving within the horizon) and ``renewal`` fill the
    calendar columns, NaN without them. With ``config.explain`` off, only probabilities, score
    and band are computed (no SHAP), and the explanations are None.
    """
    model = health.model
    if model.target != HEALTH_TARGET:
        raise ValueError(
            f"the health score needs a model of '{HEALTH_TARGET}' (staying at the next decision "
            f"point), got one of '{model.target}' ({health.uri})"
        )
    prepared = model.prepare(frame)
    p_stay = model.calibrator(model.booster.predict(prepared))
    p_churn = np.full(len(frame), np.nan) if churn is None else churn.model.probability(frame)
    months = account_decision_months(frame, model)
    scores = probability_scores(
        frame, p_stay, months, p_churn, renewal_probability(frame, renewal), config
    )
    explanations = None
    if config.explain:
        raw = model.booster.predict(prepared, pred_contrib=True)
        contributions, base = raw[:, :-1], raw[:, -1]
        behaviour, row_base = cadence_in_base(contributions, base, model.features)
        points, base_score = health_points(behaviour, row_base, model, months)
        scores["base_score"] = base_score
        codes = family_codes(frame, model.features)
        for family, values in family_points(points, codes).items():
            scores[f"points_{family}"] = values
        margin = base + contributions.sum(axis=1)
        effects = reason_points(lambda m: health_of_margin(model, m, months), margin, behaviour)
        for name, values in choose_reasons(
            frame,
            effects,
            model.features,
            config.top_drivers,
            config.min_reason_points,
            model.meta.get("reason_reference"),
        ).items():
            scores[name] = values
        explanations = long_explanations(
            frame, contributions, points, model.features, model.categories, codes
        )
    scores["health_model_version"] = model_versions(health, len(scores))
    scores["churn_model_version"] = model_versions(churn, len(scores))
    scores["renewal_model_version"] = model_versions(renewal, len(scores))
    return scores, explanations


def probability_scores(
    frame: pd.DataFrame,
    p_stay: np.ndarray,
    months: np.ndarray,
    p_churn: np.ndarray,
    p_renewal: np.ndarray,
    config: ScoreConfig,
) -> pd.DataFrame:
    """The columns every engine writes: the health score and its band, then the calendar.

    ``stay_probability`` (staying at the next decision point) on the yearly footing
    (``decision_months`` between decisions; ``year_stay_probability``) makes the health score; the
    calendar says who can leave soon: ``churn_probability`` (leaving within the horizon), when
    the renewal is due, and ``arr_at_risk`` (ARR x churn probability: the ARR expected to be lost
    within the horizon, the to-do list's order).
    """
    health = health_score(p_stay, months)
    mrr = numeric_column(frame, "mrr")
    days = numeric_column(frame, "days_to_term_end")
    as_of = pd.to_datetime(frame["as_of"]).to_numpy()
    due = as_of + pd.to_timedelta(np.rint(days), unit="D").to_numpy()
    return pd.DataFrame(
        {
            "account_id": frame["account_id"].to_numpy(),
            "as_of": frame["as_of"].to_numpy(),
            "stay_probability": p_stay,
            "decision_months": np.asarray(months, dtype=float),
            "year_stay_probability": yearly_footing(p_stay, months),
            "health_score": health,
            "band": band(health, config),
            "churn_probability": p_churn,
            "renewal_probability": p_renewal,
            "renewal_date": due,
            "renewal_due_in_days": days,
            "mrr": mrr,
            "arr": 12 * mrr,
            "arr_at_risk": p_churn * 12 * mrr,
            "plan": plan_names(frame),
        }
    )


def plan_names(frame: pd.DataFrame) -> pd.api.extensions.ExtensionArray:
    """Each account's plan as text: its main subscription's (``current_plan``), else the accounts
    table's ``plan`` column, empty where the data has neither."""
    plan = pd.Series(pd.NA, index=frame.index, dtype="string")
    for column in ("plan", "current_plan"):  # the subscription's plan wins where both exist
        if column in frame:
            text = frame[column].astype("string")
            plan = text.where(text.notna(), plan)
    return pd.array(plan.to_numpy(dtype=object, na_value=None), dtype="str")


def model_versions(loaded: LoadedModel | None, rows: int) -> pd.Series:
    return pd.Series(loaded.version if loaded else None, index=range(rows), dtype="str")


def renewal_due(frame: pd.DataFrame, renewal: LoadedModel | None) -> np.ndarray:
    """Accounts whose term ends inside the renewal model's window (the only ones it scores)."""
    if renewal is None or "days_to_term_end" not in frame:
        return np.zeros(len(frame), dtype=bool)
    window = renewal.model.meta.get("renewal_window_days", LabelConfig().renewal_window_days)
    days = pd.to_numeric(frame["days_to_term_end"], errors="coerce").to_numpy()
    return (days >= 0) & (days <= window)


def numeric_column(frame: pd.DataFrame, name: str) -> np.ndarray:
    """A column as floats, all NaN where the data has no such column (no revenue, no term end)."""
    if name not in frame:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)


def renewal_probability(frame: pd.DataFrame, renewal: LoadedModel | None) -> np.ndarray:
    """Renewal probability only for accounts whose term ends inside the model's renewal window."""
    out = np.full(len(frame), np.nan)
    due = renewal_due(frame, renewal)
    if due.any():
        out[due] = renewal.model.probability(frame[due])
    return out


def long_explanations(
    frame: pd.DataFrame,
    contributions: np.ndarray,
    points: np.ndarray,
    features: list[str],
    categories: dict[str, list[str]] | None = None,
    codes: np.ndarray | None = None,
) -> pd.DataFrame:
    """One row per account and feature: value, SHAP value (log-odds of the model's target:
    staying, for the health model), points, family (``family_codes``; computed when not given).

    ``value`` is the number the model saw (NaN for a categorical); ``category`` is a categorical
    feature's level. Feature and family are dictionary-encoded, so a million accounts stay small.
    """
    categories = categories or {}
    n, f = contributions.shape
    numeric = np.full((n, f), np.nan)
    texts: dict[int, pa.Array] = {}
    for j, name in enumerate(features):
        column = frame[name]
        if name in categories or not (
            pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)
        ):
            values = column.astype(object).where(column.notna(), None).to_numpy()
            texts[j] = pa.array(pd.array(values, dtype="str"))
        else:
            numeric[:, j] = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
    if codes is None:
        codes = family_codes(frame, features)
    family = codes.reshape(-1)
    codes = np.tile(np.arange(f), n)
    return pd.DataFrame(
        {
            "account_id": np.repeat(frame["account_id"].to_numpy(), f),
            "as_of": np.repeat(frame["as_of"].to_numpy(), f),
            "feature": pd.Categorical.from_codes(codes, categories=features),
            "family": pd.Categorical.from_codes(family, categories=list(POINTS_FAMILIES)),
            "value": numeric.reshape(-1),
            "category": long_texts(texts, n, f),
            "shap_value": contributions.reshape(-1),
            "health_points": points.reshape(-1),
        }
    )


def long_texts(texts: dict[int, pa.Array], n: int, f: int) -> pd.api.extensions.ExtensionArray:
    """The long table's text column: row ``i * f + j`` holds account i's text of feature j (one
    of ``texts``, by feature position), missing for every other feature; gathered by Arrow, as
    most of the ``n * f`` cells are missing."""
    index = np.full((n, f), -1, dtype=np.int64)
    for k, j in enumerate(texts):
        index[:, j] = np.arange(n) + k * n
    flat = index.reshape(-1)
    values = pa.concat_arrays(list(texts.values())) if texts else pa.array([], pa.large_string())
    return pd.array(values.take(pa.array(flat, mask=flat < 0)), dtype="str")


# ----- score changes ----------------------------------------------------------------------------

CHANGE_PARTS = (*POINTS_FAMILIES, "model")


def load_previous(path: Path, as_of: pd.Timestamp) -> pd.DataFrame | None:
    """A previous run's scores (a folder or its scores.parquet) if they are from an earlier date."""
    path = Path(path)
    file = path / f"{SCORES}.parquet" if path.is_dir() else path
    if not file.exists():
        return None
    available = set(ds.dataset(file, format="parquet").schema.names)  # a file or a Spark folder
    wanted = ["account_id", "as_of", "health_score", "base_score"]
    wanted += [f"points_{family}" for family in POINTS_FAMILIES]
    previous = pd.read_parquet(file, columns=[c for c in wanted if c in available])
    if previous.empty or pd.Timestamp(previous["as_of"].max()) >= as_of:
        return None
    return previous.set_index("account_id")


def score_changes(
    scores: pd.DataFrame, previous: pd.DataFrame, since: pd.Timestamp | None = None
) -> pd.DataFrame:
    """Each account's change in health since the previous scores, and which families moved it.

    ``change_<family>`` is the family's points now minus then; ``change_model`` is the move of the
    base score (nonzero only when the model changed). Together they sum to the unrounded change.
    ``since`` is the previous scores' date (by default their latest; given when ``previous`` holds
    only some accounts' rows, as a Spark partition's).
    """
    before = previous.reindex(scores["account_id"].to_numpy())
    since = pd.Timestamp(previous["as_of"].max() if since is None else since).date()
    out = pd.DataFrame(index=scores.index)
    out["previous_as_of"] = pd.Series(pd.Timestamp(since), index=scores.index)
    then = before["health_score"].to_numpy(dtype=float, na_value=np.nan)  # Int64 in the file
    out["health_change"] = scores["health_score"].to_numpy(dtype=float) - then
    for family in POINTS_FAMILIES:
        now = scores.get(f"points_{family}")
        then = before.get(f"points_{family}")
        change = np.nan if now is None or then is None else now.to_numpy() - then.to_numpy()
        out[f"change_{family}"] = change
    if "base_score" in scores and "base_score" in before:
        out["change_model"] = scores["base_score"].to_numpy() - before["base_score"].to_numpy()
    else:
        out["change_model"] = np.nan
    out["change_summary"] = change_sentences(out, since)
    return out


def change_sentences(changes: pd.DataFrame, since) -> np.ndarray:
    """'Down 12 points since 2025-11-30: usage -9, support -4', biggest movers first."""
    total = changes["health_change"].to_numpy(dtype=float)
    parts = changes[[f"change_{p}" for p in CHANGE_PARTS]].to_numpy(dtype=float)
    order = np.argsort(-np.nan_to_num(np.abs(parts)), axis=1, kind="stable")
    rows = np.arange(len(changes))
    labels = np.array([*POINTS_FAMILIES, "model update"])
    movers = pd.Series("", index=changes.index, dtype=object)
    for k in range(3):
        value = np.rint(parts[rows, order[:, k]])
        shown = np.abs(value) >= 1
        text = pd.Series(labels[order[:, k]], index=changes.index, dtype=object) + " "
        text = text + pd.Series(value, index=changes.index).map(lambda v: f"{v:+.0f}")
        separator = "" if k == 0 else ", "
        movers = movers + (separator + text).where(shown, "")
    movers = movers.str.lstrip(", ")
    direction = np.where(total > 0, "Up ", "Down ")
    head = pd.Series(direction, index=changes.index, dtype=object)
    head = head + pd.Series(np.abs(total), index=changes.index).map(lambda v: f"{v:.0f}")
    head = head + np.where(np.abs(total) == 1, " point", " points") + f" since {since}"
    out = head + pd.Series(np.where(movers != "", ": ", ""), index=changes.index) + movers
    out = out.where(total != 0, f"Unchanged since {since}")
    out = out.where(~np.isnan(total), f"New since {since}")
    return pd.array(out.to_numpy(), dtype="str")


# ----- writing ----------------------------------------------------------------------------------


# ----- the job ----------------------------------------------------------------------------------


def priority_order(scores: pd.DataFrame) -> pd.DataFrame:
    """Rows in the to-do list's order (``serving.outputs.PRIORITY``, which the scores file keeps
    too): most ARR expected to be lost within the horizon first (``arr_at_risk``), then the least
    healthy; rows without revenue last."""
    return scores.sort_values(
        [name for name, _ in PRIORITY],
        ascending=[order == "ascending" for _, order in PRIORITY],
        na_position="last",
        kind="stable",
    )


def first_in_priority(scores: pd.DataFrame, n: int) -> pd.DataFrame:
    """``priority_order(scores).head(n)`` without sorting the whole chunk. Only rows whose ARR at
    risk reaches the n-th largest (ties included) can be first; when fewer than n rows have the
    figure, they all come first, then the least healthy of the rest (ties included)."""
    risk = scores["arr_at_risk"].to_numpy(dtype=float, na_value=np.nan)
    health = scores["health_score"].to_numpy(dtype=float, na_value=np.nan)
    known = ~np.isnan(risk)
    if len(scores) <= 4 * n or np.isnan(health).any():
        return priority_order(scores).head(n)
    if known.sum() >= n:
        keep = known & (risk >= -_nth_smallest(-risk[known], n))
    else:
        keep = known | (health <= _nth_smallest(health[~known], n - known.sum()))
    return priority_order(scores[keep]).head(n)


def _nth_smallest(values: np.ndarray, n: int) -> float:
    return float(np.partition(values, n - 1)[n - 1])


@dataclass
class Summary:
    """Figures accumulated over chunks: band counts and ARR, mean score, ARR at risk, and the
    first rows in priority order (``priority_order``)."""

    top_n: int = 20
    accounts: int = 0
    health_sum: float = 0.0
    arr_at_risk: float = 0.0
    bands: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BANDS, 0))
    band_arr: dict[str, float] = field(default_factory=lambda: dict.fromkeys(BANDS, 0.0))
    changed: int = 0
    down_10: int = 0
    top: pd.DataFrame | None = None

    def add(self, scores: pd.DataFrame) -> None:
        self.accounts += len(scores)
        self.health_sum += float(scores["health_score"].sum())
        self.arr_at_risk += float(scores["arr_at_risk"].sum(skipna=True))
        for name, count in scores["band"].value_counts().items():
            self.bands[str(name)] += int(count)
        if "arr" in scores:
            for name, arr in scores.groupby("band", observed=True)["arr"].sum().items():
                self.band_arr[str(name)] += float(arr)
        if "health_change" in scores:
            self.changed += int(scores["health_change"].notna().sum())
            self.down_10 += int((scores["health_change"] <= -10).sum())
        first = first_in_priority(scores, self.top_n)
        both = first if self.top is None else pd.concat([self.top, first])
        self.top = priority_order(both).head(self.top_n)

    def metrics(self) -> dict[str, float]:
        out = {
            "accounts": float(self.accounts),
            "mean_health_score": self.health_sum / max(self.accounts, 1),
            "arr_at_risk": self.arr_at_risk,
            **{f"band_{b}": float(self.bands[b]) for b in BANDS},
            **{f"arr_{b}": float(self.band_arr[b]) for b in BANDS},
        }
        if self.changed:
            out["accounts_down_10_points"] = float(self.down_10)
        return out


@dataclass
class ScoreResult:
    summary: Summary
    files: dict[str, Path]
    run_id: str | None
    manifest: dict[str, Any]

    @property
    def top(self) -> pd.DataFrame:
        """The first accounts in priority order (``priority_order``)."""
        return self.summary.top

    @property
    def scores(self) -> pd.DataFrame:
        """Every account's scores, read back from the written file (typed as published)."""
        return read_scores(self.files[f"{SCORES}.parquet"])

    @property
    def explanations(self) -> pd.DataFrame:
        return pd.read_parquet(self.files[f"{EXPLANATIONS}.parquet"])


def chunks(frame: pd.DataFrame, rows: int) -> Iterator[pd.DataFrame]:
    """Consecutive slices of at most ``rows`` rows."""
    for start in range(0, len(frame), max(rows, 1)):
        yield frame.iloc[start : start + rows]


def check_features(frame: pd.DataFrame, *models: LoadedModel | None) -> None:
    """Fail before any work if a model expects features the data does not have."""
    for loaded in models:
        if loaded is not None:
            missing = missing_features(frame.columns, loaded.model.features)
            if missing:
                raise MissingFeaturesError(missing)


@dataclass
class ScoringModels:
    """The models a scoring job runs (either engine): ``health`` makes the score; ``churn`` and
    ``renewal`` the calendar columns (either may be missing: those columns are then empty);
    ``notes`` say which one it runs without, and why."""

    health: LoadedModel
    churn: LoadedModel | None = None
    renewal: LoadedModel | None = None
    notes: list[str] = field(default_factory=list)

    def given(self) -> dict[str, LoadedModel | None]:
        """The models as ``score_features`` takes them."""
        return {"health": self.health, "churn": self.churn, "renewal": self.renewal}

    def all(self) -> list[LoadedModel]:
        return [m for m in (self.health, self.churn, self.renewal) if m is not None]

    def features(
        self, tables: Tables, dates: list[pd.Timestamp], types: TypeCatalogue | None = None
    ) -> pd.DataFrame:
        """Feature rows for these models: the training code, with the event types they chose."""
        event_types = model_event_types(*self.all())
        return build_features(tables, dates, types=types, event_types=event_types)

    def check(self, frame: pd.DataFrame) -> None:
        """Fail before any work if the feature rows lack a feature the models use."""
        check_features(frame, *self.all())


def load_scoring_models(
    health_uri: str = CHAMPION_URIS["health"],
    churn_uri: str | None = CHAMPION_URIS["churn"],
    renewal_uri: str | None = CHAMPION_URIS["renewal"],
) -> ScoringModels:
    """The health model (required) and the calendar's models.

    A missing calendar champion is a note, not an error (a young product may have no renewal
    outcomes yet); a model named by version must exist.
    """
    models = ScoringModels(load_model(health_uri))
    for kind, uri in (("churn", churn_uri), ("renewal", renewal_uri)):
        if not uri:
            continue
        try:
            setattr(models, kind, load_model(uri))
        except MissingModelError as missing:
            if uri != CHAMPION_URIS[kind]:
                raise
            models.notes.append(f"Scored without a {kind} model. {missing}")
    return models


def score_frames(
    frames: Iterator[pd.DataFrame],
    models: ScoringModels,
    config: ScoreConfig,
    writer: OutputWriter,
    previous: pd.DataFrame | None = None,
    names: pd.Series | None = None,
) -> Summary:
    """Score, explain and write each chunk of feature rows (the scores as published, with the
    accounts' ``names``); return the run's summary figures, from the published numbers."""
    summary = Summary()
    for frame in frames:
        scores, explanations = score_features(frame, **models.given(), config=config)
        if previous is not None:
            scores = scores.join(score_changes(scores, previous))
        scores = published_scores(scores, names)
        writer.write(SCORES, scores)
        if explanations is not None:
            writer.write(EXPLANATIONS, explanations)
        summary.add(scores)
    return summary


def score_job(
    tables: Tables,
    out_dir: Path,
    as_of: pd.Timestamp | None = None,
    churn_uri: str | None = CHAMPION_URIS["churn"],
    renewal_uri: str | None = CHAMPION_URIS["renewal"],
    config: ScoreConfig = ScoreConfig(),
    log_run: bool = True,
    previous: Path | None = None,
    parent_run_id: str | None = None,
    health_uri: str = CHAMPION_URIS["health"],
) -> ScoreResult:
    """Compute features at ``as_of`` with the training code, score, explain, write, log.

    Score changes are computed against ``previous`` (a scoring folder) or, if not given, against
    the scores already in ``out_dir`` when they are from an earlier date. ``parent_run_id`` (the
    project's run under ``mlflow run``) holds the scoring run as a nested run.
    """
    out_dir = Path(out_dir)
    as_of = pd.Timestamp(as_of) if as_of is not None else default_as_of(tables)
    models = load_scoring_models(health_uri, churn_uri, renewal_uri)
    frame = models.features(tables, [as_of])
    if frame.empty:
        raise ValueError(f"no account is active on {as_of.date()}: nothing to score")
    before = load_previous(previous if previous is not None else out_dir, as_of)
    names = account_names(tables.accounts)
    return score_and_write(
        frame, out_dir, as_of, models, config, before, log_run, parent_run_id, names
    )


def score_table_job(
    rows: pd.DataFrame,
    out_dir: Path,
    churn_uri: str | None = None,
    renewal_uri: str | None = None,
    config: ScoreConfig = ScoreConfig(),
    log_run: bool = True,
    parent_run_id: str | None = None,
    health_uri: str = CHAMPION_URIS["health"],
) -> ScoreResult:
    """Score a ready feature table (``features.table.feature_rows``): what ``health train
    --table`` trained scores rows typed the same way; the as-of date is the table's latest."""
    models = ScoringModels(
        load_model(health_uri),
        load_model(churn_uri) if churn_uri else None,
        load_model(renewal_uri) if renewal_uri else None,
    )
    if rows.empty:
        raise ValueError("the table has no rows: nothing to score")
    as_of = pd.Timestamp(rows["as_of"].max())
    return score_and_write(rows, Path(out_dir), as_of, models, config, None, log_run, parent_run_id)


def score_and_write(
    frame: pd.DataFrame,
    out_dir: Path,
    as_of: pd.Timestamp,
    models: ScoringModels,
    config: ScoreConfig,
    before: pd.DataFrame | None,
    log_run: bool,
    parent_run_id: str | None = None,
    names: pd.Series | None = None,
) -> ScoreResult:
    """Score, explain and write feature rows chunk by chunk, then commit and log the run;
    ``models.notes`` (a model scored without, and why) go into the manifest; ``names`` are the
    accounts' names (``serving.outputs.account_names``; None: a ready table has none)."""
    models.check(frame)
    manifest = run_manifest(as_of, models, config, before)
    metadata = {"customer_health": json.dumps(manifest, default=str)}
    with OutputWriter(out_dir, metadata) as writer:
        summary = score_frames(
            chunks(frame, config.chunk_rows), models, config, writer, before, names
        )
        manifest["summary"] = summary.metrics()
        files = writer.commit(manifest)
    run_id = log_score_run(manifest, summary, files, parent_run_id) if log_run else None
    return ScoreResult(summary, files, run_id, manifest)


def run_manifest(
    as_of: pd.Timestamp,
    models: ScoringModels,
    config: ScoreConfig,
    previous: pd.DataFrame | None,
) -> dict[str, Any]:
    """What a set of outputs was made from: date, models, band thresholds, settings; ``notes``
    say which model it was made without, and why."""

    def named(loaded: LoadedModel | None) -> dict[str, str] | None:
        return {"uri": loaded.uri, "version": loaded.version} if loaded else None

    return {
        "as_of": str(as_of.date()),
        "health_model": named(models.health),
        "churn_model": named(models.churn),
        "renewal_model": named(models.renewal),
        "bands": band_rules(config),
        "config": asdict(config),
        "excluded_from_reasons": sorted(TIMING_FEATURES),
        "previous_as_of": None
        if previous is None
        else str(pd.Timestamp(previous["as_of"].max()).date()),
        "written_at": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
        "notes": list(models.notes),
    }


def log_score_run(
    manifest: dict[str, Any],
    summary: Summary,
    files: dict[str, Path],
    parent_run_id: str | None = None,
) -> str:
    """One MLflow run per scoring: settings as params, summary figures as metrics, outputs.

    Under a parent run (given, or active) it is a nested run, so its params never collide with
    the parent's (``mlflow run`` logs the entry point's ``as_of=latest`` there).
    """
    with contextlib.ExitStack() as stack:
        if parent_run_id and mlflow.active_run() is None:
            stack.enter_context(mlflow.start_run(run_id=parent_run_id))
        nested = mlflow.active_run() is not None
        run = stack.enter_context(
            mlflow.start_run(run_name=f"score-{manifest['as_of']}", nested=nested)
        )
        mlflow.set_tags(
            {
                "job": "score",
                "as_of": manifest["as_of"],
                "health_model": f"{manifest['health_model']['uri']} "
                f"(v{manifest['health_model']['version']})",
            }
        )
        mlflow.log_params({f"score_{k}": v for k, v in manifest["config"].items()})
        mlflow.log_params(
            {
                "as_of": manifest["as_of"],
                "previous_as_of": manifest["previous_as_of"] or "none",
                "health_model_version": manifest["health_model"]["version"],
                "churn_model_version": (manifest["churn_model"] or {}).get("version", "none"),
            }
        )
        mlflow.log_metrics(summary.metrics())
        for path in files.values():
            if Path(path).is_dir():  # a Parquet dataset written by Spark
                mlflow.log_artifacts(str(path), f"outputs/{Path(path).name}")
            else:
                mlflow.log_artifact(str(path), "outputs")
        return run.info.run_id
