"""Plain-word sentences for drivers: what a customer-success manager reads next to a score.

Templates work on whole columns (a frame of the accounts whose driver is that feature), so a
million accounts get their sentences without a Python loop over rows.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
import pandas as pd

from features.catalogue import (
    FEATURES,
    Change,
    DaysSince,
    Mood,
    Plain,
    Worded,
    feature_phrase,
)
from features.usage_types import parse as parse_type

Template = Callable[[pd.DataFrame], pd.Series]


def _num(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame:
        return pd.Series(np.nan, index=frame.index)
    return pd.to_numeric(frame[name], errors="coerce").astype(float)


def _fmt(values: pd.Series, spec: str) -> pd.Series:
    """Each number formatted with ``spec``; NaN reads as a dash."""
    return values.map(lambda v: "-" if v != v else format(v, spec)).astype(object)


def _text(value: str, index: pd.Index) -> pd.Series:
    return pd.Series(value, index=index, dtype=object)


def _choose(condition, yes: str, no: str, index: pd.Index) -> pd.Series:
    return pd.Series(np.where(condition, yes, no), index=index, dtype=object)


# Templates are built when a sentence is made (``template``), not at import, so every line of
# them runs under the tests (and a mutant in them can be switched on).
def _change(now: str, before: str, noun: str, window: str) -> Template:
    """'Active users fell from 42 to 19 over the last 30 days (-55%)'."""
    return partial(_change_sentence, now=now, before=before, noun=noun, window=window)


def _change_sentence(frame: pd.DataFrame, now: str, before: str, noun: str, window: str):
    noun = noun[0].upper() + noun[1:]
    a, b = _num(frame, now), _num(frame, before)
    a_text, b_text = _fmt(a, ",.0f"), _fmt(b, ",.0f")
    pct = " (" + _fmt((a - b) / b.where(b > 0), "+.0%") + ")"
    verb = _choose(a < b, " fell from ", " rose from ", frame.index)
    out = noun + verb + b_text + " to " + a_text + " over " + window + pct.where(b > 0, "")
    out = out.where(a != b, noun + " held at " + a_text + " over " + window)
    return out.where(a.notna() & b.notna(), noun + ": " + a_text + " in " + window)


def _days_since(name: str, what: str) -> Template:
    return partial(_days_since_sentence, name=name, what=what)


def _days_since_sentence(frame: pd.DataFrame, name: str, what: str) -> pd.Series:
    days = _num(frame, name)
    out = "Last " + what + " " + _fmt(days, ",.0f") + " days ago"
    return out.where(days.notna(), f"No {what} on record")


def _plain(
    name: str, before: str, spec: str, after: str, scale: float, one: str | None
) -> Template:
    """'<before><value><after>' with the feature's value formatted by ``spec``."""
    return partial(
        _plain_sentence, name=name, before=before, spec=spec, after=after, scale=scale, one=one
    )


def _plain_sentence(
    frame: pd.DataFrame,
    name: str,
    before: str,
    spec: str,
    after: str,
    scale: float,
    one: str | None = None,
) -> pd.Series:
    shown = _fmt(_num(frame, name) * scale, spec)
    tail = after if one is None else _choose(shown == "1", one, after, frame.index)
    return before + shown + tail


def _mood(name: str, texts: str) -> Template:
    return partial(_mood_sentence, name=name, texts=texts)


def _mood_sentence(frame: pd.DataFrame, name: str, texts: str) -> pd.Series:
    """'Support tickets read negative over 90 days (sentiment -0.43 on -1..1)'."""
    mean = _num(frame, name)
    mood = np.where(mean < -0.05, "negative", np.where(mean > 0.05, "positive", "neutral"))
    return (
        texts
        + " read "
        + pd.Series(mood, index=frame.index, dtype=object)
        + " over 90 days (sentiment "
        + _fmt(mean, "+.2f")
        + " on -1..1)"
    )


def _slope(frame: pd.DataFrame) -> pd.Series:
    return _trend(frame, "usage_slope_12w", "Weekly usage is ")


def _users_slope(frame: pd.DataFrame) -> pd.Series:
    return _trend(frame, "active_users_slope_12w", "Weekly active users are ")


def _trend(frame: pd.DataFrame, name: str, subject: str) -> pd.Series:
    """'Weekly usage is falling over the last 12 weeks (-8% of the average per week)'; a slope
    the sentence writes as 0% reads as flat, so the word never claims more than the figure."""
    slope = _num(frame, name)
    figure = _fmt(slope, "+.0%")
    trend = _choose(slope < 0, "falling", "rising", frame.index)
    trend = trend.where(~figure.isin(["+0%", "-0%"]), "flat")
    return subject + trend + " over the last 12 weeks (" + figure + " of the average per week)"


def _price(frame: pd.DataFrame) -> pd.Series:
    change = _num(frame, "mrr_change_pct")
    verb = _choose(change > 0, "Price rose ", "Price fell ", frame.index)
    out = verb + _fmt(change.abs(), ".0%") + " at the last renewal"
    out = out.where(change != 0, "Price was unchanged at the last renewal")
    return out.where(change.notna(), "First term: no earlier price to compare with")


def _term(frame: pd.DataFrame) -> pd.Series:
    days = _num(frame, "term_length_days")
    out = "On a " + _fmt(days / 30.4, ".0f") + "-month term"
    return out.where(~(days < 45), "On a monthly term")


WORDED: dict[str, Template] = {
    "trend": _slope,
    "users_trend": _users_slope,
    "price": _price,
    "term": _term,
}


def template(feature: str) -> Template | None:
    """The sentence function of ``feature``'s catalogue template (None: no template)."""
    entry = FEATURES.get(feature)
    sentence = entry.sentence if entry is not None else None
    if sentence is None:
        return None
    if isinstance(sentence, Plain):
        column = sentence.column or feature
        return _plain(
            column, sentence.before, sentence.spec, sentence.after, sentence.scale, sentence.one
        )
    if isinstance(sentence, Change):
        return _change(sentence.now, sentence.before, sentence.noun, sentence.window)
    if isinstance(sentence, DaysSince):
        return _days_since(feature, sentence.what)
    if isinstance(sentence, Mood):
        return _mood(feature, sentence.texts)
    return WORDED[sentence.key]


def _says_when_missing(feature: str) -> bool:
    """Whether ``feature``'s template words a missing value itself ("No support ticket on record")."""
    sentence = FEATURES[feature].sentence if feature in FEATURES else None
    return isinstance(sentence, DaysSince) or (
        isinstance(sentence, Worded) and sentence.says_when_missing
    )


def feature_label(feature: str) -> str:
    """The feature's phrase with a capital first letter ('Seats', 'Days as a customer')."""
    label = feature_phrase(feature) or feature.replace("_", " ")
    return label[0].upper() + label[1:]


def _type_usage(feature: str, frame: pd.DataFrame) -> pd.Series:
    """'Used report build 3 times in 30 days, down from 41' for any per-type usage column."""
    slug, suffix = parse_type(feature)
    what = slug.replace("_", " ")
    prefix = f"type_{slug}"
    now, change = _num(frame, f"{prefix}_30d"), _num(frame, f"{prefix}_change_30d")
    before = np.round(now / (1 + change))
    out = "Used " + what + " " + _fmt(now, ",.0f") + " times in 30 days"
    trend = _choose(now < before, ", down from ", ", up from ", frame.index) + _fmt(before, ",.0f")
    out = out + trend.where(change.notna() & (now != before), "")
    out = out.where(change.notna() | (now > 0), f"Did not use {what} in the last 60 days")
    out = out.where(~(change.isna() & (now > 0)), out + ", none in the 30 days before")
    if suffix == "_per_user_30d":
        per_user = _num(frame, feature)
        out = out + " (" + _fmt(per_user, ",.1f") + " per active user)"
    elif suffix == "_share_30d":
        share = _num(frame, feature)
        out = out + " (" + _fmt(share, ".0%") + " of its events)"
    return out


def _generic(feature: str, frame: pd.DataFrame) -> pd.Series:
    """'Plan: starter', 'Seats: 40': for static attributes and features without a template."""
    column = frame[feature]
    numbers = pd.to_numeric(column, errors="coerce") if not _is_text(column) else None
    if numbers is None:
        shown = column.astype(object).map(str)
    else:
        whole = numbers == np.round(numbers)
        shown = _fmt(numbers, ",.0f").where(whole, _fmt(numbers, ",.2f"))
    return feature_label(feature) + ": " + shown


def _is_text(column: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column))


def driver_sentences(feature: str, frame: pd.DataFrame) -> pd.Series:
    """One sentence per row stating the fact behind ``feature`` as a driver, with its numbers."""
    if feature not in frame:
        return _text(f"{feature_label(feature)}: not in the data", frame.index)
    make = template(feature)
    if make is None and parse_type(feature) is not None:
        return _type_usage(feature, frame)
    out = make(frame) if make is not None else _generic(feature, frame)
    if _says_when_missing(feature):
        return out
    return out.where(frame[feature].notna(), f"{feature_label(feature)}: none on record")


def sentences_for(features: np.ndarray, frame: pd.DataFrame) -> np.ndarray:
    """Row i's sentence for feature ``features[i]`` (None where it is None)."""
    out = np.full(len(frame), None, dtype=object)
    for name in pd.unique(features[pd.notna(features)]):
        rows = np.flatnonzero(features == name)
        out[rows] = driver_sentences(name, frame.iloc[rows]).to_numpy()
    return out


def driver_sentence(feature: str, row: pd.Series) -> str:
    """One account's sentence for one driver (a row of the feature frame)."""
    return str(driver_sentences(feature, row.to_frame().T.infer_objects()).iloc[0])


# ----- reasons against a reference --------------------------------------------------------------


def stated_column(feature: str) -> str:
    """The column a feature's sentence states (``is_detractor`` states the latest NPS)."""
    entry = FEATURES.get(feature)
    if entry is not None and isinstance(entry.sentence, Plain) and entry.sentence.column:
        return entry.sentence.column
    return feature


def sentence_key(feature: str) -> str:
    """Features whose sentences tell the same fact share a key (the pair and change of a window,
    a flag and the score it is read from), so an account is told a fact once."""
    entry = FEATURES.get(feature)
    if entry is not None and isinstance(entry.sentence, Change):
        return entry.sentence.now
    return stated_column(feature)


def shown(feature: str, values: np.ndarray) -> np.ndarray:
    """Values as the feature's sentence and its reference write them (rounded to the digits shown),
    so 'worse than the reference' holds for the numbers a reader sees."""
    spec, scale, _ = _reference_spec(feature)
    digits = int(spec.rsplit(".", 1)[1][0]) if "." in spec else 0
    percent = 100 if spec.endswith("%") else 1
    return np.round(np.asarray(values, dtype=float) * scale * percent, digits)


def _sign(values: pd.Series) -> np.ndarray:
    return np.sign(values.to_numpy(dtype=float))


def movement(feature: str, frame: pd.DataFrame) -> np.ndarray:
    """Which way the sentence says a thing moved, in health terms: +1 better, -1 worse, 0 no move
    (or a sentence that states a level only). 'Active users rose from 3 to 5' is +1; 'Price rose
    10%' is -1."""
    entry = FEATURES.get(feature)
    none = np.zeros(len(frame))
    if entry is None or entry.sentence is None:
        return none
    sentence, up = entry.sentence, entry.direction
    if isinstance(sentence, Change):
        moved = _num(frame, sentence.now) - _num(frame, sentence.before)
        return np.nan_to_num(_sign(moved) * FEATURES[sentence.now].direction)
    if isinstance(sentence, Worded) and sentence.key in ("trend", "users_trend", "price"):
        return np.nan_to_num(_sign(_num(frame, feature)) * up)
    if isinstance(sentence, Plain) and "change" in feature:
        return np.nan_to_num(_sign(_num(frame, feature)) * up)
    return none


def _reference_spec(feature: str) -> tuple[str, float, str]:
    """How a reference is written: the format, the scale and the unit of the value it sits by."""
    entry = FEATURES.get(stated_column(feature))
    sentence = entry.sentence if entry is not None else None
    if isinstance(sentence, Plain):
        return sentence.spec, sentence.scale, ""
    if isinstance(sentence, Change):
        return ("+.0%" if "change" in feature else ",.0f"), 1.0, ""
    if isinstance(sentence, DaysSince):
        return ",.0f", 1.0, " days ago"
    if isinstance(sentence, Mood):
        return "+.2f", 1.0, ""
    if isinstance(sentence, Worded):
        return "+.0%", 1.0, ""
    return ",.2f", 1.0, ""


def reason_sentences(
    feature: str, frame: pd.DataFrame, reference: np.ndarray, risk: bool
) -> pd.Series:
    """The reason in words with the reference it is weighed against: 'Active on 7 of the last
    30 days; accounts like it that stayed: 21'. Where the sentence says a thing moved the good
    way for a risk (or the bad way for a protective reason), it says the account is still on the
    other side: 'Active users rose from 3 to 5 over the last 30 days (+67%); still below
    accounts like it that stayed: 12'. No reference (NaN): the sentence alone."""
    fact = driver_sentences(feature, frame)
    spec, scale, unit = _reference_spec(feature)
    ref = pd.Series(np.asarray(reference, dtype=float), index=frame.index)
    value = _num(frame, stated_column(feature))
    side = _choose(value < ref, "below", "above", frame.index)
    against = movement(feature, frame) * (1 if risk else -1) > 0
    lead = ("; still " + side + " accounts").where(against, "; accounts")
    number = _fmt(ref * scale, spec)
    if unit:
        unit = _choose(number == "1", unit.replace("days", "day"), unit, frame.index)
    clause = lead + " like it that stayed: " + number + unit
    return (fact + clause).where(ref.notna(), fact)


def reason_sentences_for(
    features: np.ndarray, frame: pd.DataFrame, reference: np.ndarray, risk: bool
) -> np.ndarray:
    """Row i's reason for ``features[i]`` against ``reference[i]`` (None where it is None)."""
    out = np.full(len(frame), None, dtype=object)
    for name in pd.unique(features[pd.notna(features)]):
        rows = np.flatnonzero(features == name)
        out[rows] = reason_sentences(name, frame.iloc[rows], reference[rows], risk).to_numpy()
    return out
