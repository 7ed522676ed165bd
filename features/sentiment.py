"""Offline text sentiment in [-1, 1]: VADER's lexicon ships inside its PyPI package, so nothing is downloaded."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

# Words that carry sentiment in customer-success text but are neutral in VADER's general lexicon.
DOMAIN_LEXICON: dict[str, float] = {
    "expensive": -1.6,
    "overpriced": -2.2,
    "pricey": -1.2,
    "cancel": -1.5,
    "cancelling": -1.8,
    "canceling": -1.8,
    "churn": -1.5,
    "outage": -2.0,
    "downtime": -1.8,
    "broken": -1.8,
    "bug": -1.2,
    "bugs": -1.2,
    "crash": -1.8,
    "crashes": -1.8,
    "slow": -1.2,
    "unresponsive": -1.8,
    "escalate": -1.2,
    "competitor": -0.8,
    "unusable": -2.4,
    "workaround": -0.6,
    # Neutral in VADER, so "not working" and "still not fixed" scored 0; as positives, VADER's
    # negation turns them negative.
    "working": 1.0,
    "fixed": 1.2,
    "seamless": 1.8,
    "intuitive": 1.6,
    "recommend": 1.5,
}


@cache
def _analyzer():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    analyzer.lexicon.update(DOMAIN_LEXICON)
    return analyzer


# Sentiment reads a text's first MAX_TEXT_CHARS characters: VADER's time grows faster than the
# length (a 1 MB ticket body took minutes), and a ticket's tone is set in its opening lines.
MAX_TEXT_CHARS = 5_000


@cache
def text_sentiment(text: str) -> float:
    """VADER compound score of a text's first ``MAX_TEXT_CHARS`` characters; cached."""
    return float(_analyzer().polarity_scores(text[:MAX_TEXT_CHARS])["compound"])


def sentiment_scores(texts: pd.Series) -> pd.Series:
    """Score each text in [-1, 1]; missing or blank text gives NaN (unknown, not neutral)."""
    as_text = texts.astype("object")
    present = as_text.notna() & as_text.astype(str).str.strip().ne("")
    unique = pd.unique(as_text[present].astype(str).str.slice(0, MAX_TEXT_CHARS))
    lookup = {t: text_sentiment(t) for t in unique}
    scores = np.full(len(texts), np.nan)
    heads = as_text[present].astype(str).str.slice(0, MAX_TEXT_CHARS)
    scores[present.to_numpy()] = heads.map(lookup).to_numpy(dtype=float)
    return pd.Series(scores, index=texts.index, name="sentiment")
