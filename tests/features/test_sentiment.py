"""Sentiment of support-ticket language, pinned on texts whose polarity was set by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.sentiment import sentiment_scores, text_sentiment

NEUTRAL = 0.05  # |score| below this reads as neutral (the sentence templates use the same band)

# Polarity decided by reading the text as a customer-success manager would, not by running it.
TICKETS = [
    ("still broken", -1),
    ("Still broken after the update", -1),
    ("Export not working", -1),
    ("We are considering other options if this is not fixed.", -1),
    ("The app is slow and unresponsive", -1),
    ("Outage again, this is unusable", -1),
    ("We are cancelling our subscription", -1),
    ("Too expensive for what we get", -1),
    ("thanks, fixed", 1),
    ("Works great now, thank you", 1),
    ("Great support, issue resolved quickly", 1),
    ("Seamless onboarding, very intuitive", 1),
    ("We would recommend it to other teams", 1),
    ("How do I add a user?", 0),
    ("Is there a way to schedule the report?", 0),
]


@pytest.mark.parametrize(("text", "polarity"), TICKETS)
def test_support_ticket_polarity_set_by_hand(text, polarity):
    score = text_sentiment(text)
    assert -1.0 <= score <= 1.0
    if polarity < 0:
        assert score < -NEUTRAL
    elif polarity > 0:
        assert score > NEUTRAL
    else:
        assert abs(score) < NEUTRAL


def test_the_domain_words_weigh_more_than_plain_ones():
    # "unusable" (domain lexicon -2.4) reads worse than "slow" (-1.2) in the same sentence.
    assert text_sentiment("The report is unusable") < text_sentiment("The report is slow") < 0
    assert text_sentiment("still not fixed") < 0 < text_sentiment("fixed")


def test_missing_or_blank_text_is_unknown_not_neutral():
    texts = pd.Series(
        ["thanks, fixed", None, "   ", "", "still broken"], index=[10, 11, 12, 13, 14]
    )
    scores = sentiment_scores(texts)
    assert list(scores.index) == [10, 11, 12, 13, 14] and scores.name == "sentiment"
    assert scores[10] > NEUTRAL and scores[14] < -NEUTRAL
    assert np.isnan(scores[[11, 12, 13]]).all()
    # A repeated text gets the same score as its first copy.
    again = sentiment_scores(pd.Series(["still broken", "still broken", np.nan]))
    assert again[0] == again[1] == scores[14] and np.isnan(again[2])


def test_a_text_longer_than_the_limit_is_scored_on_its_head():
    # The first 5,000 characters are read: an angry opening before 6,000 neutral characters
    # scores negative; the same words after 5,000 neutral characters are never read (0.0, the
    # score of the filler).
    angry = "Outage again, this is terrible and we are cancelling. "
    filler = "ab " * 2000
    scores = sentiment_scores(pd.Series([angry + filler, filler[:5000] + angry]))
    assert scores.iloc[0] < -0.5
    assert scores.iloc[1] == 0.0
