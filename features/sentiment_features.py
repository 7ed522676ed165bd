"""The sentiment family: what the customer says when asked: the mood of survey comments over 90
days and its change, the NPS story, and CSAT surveys (the CSAT of a resolved ticket rates the help
received, so it is support's, as customer effort is: ``features.support``).

Texts (the surveys' comments here, the tickets' subject and text in ``features.support``) are
scored in [-1, 1] once per build by ``features.pointintime.prepare_tables``
(``features.sentiment``); ``text_mood`` reduces either source the same way.
"""

from __future__ import annotations

import pandas as pd

from features.contract import Tables
from features.per_account import DAY, count_rows

NEGATIVE_TEXT = -0.3


# The four columns of the mood of one source of text: mean, most negative, count of negative
# texts and change of the mean, over 90 days. Ticket text is the support family's (a customer
# writing angry tickets is having support trouble: ``features.support``), survey comments are this
# family's (what the customer says about the product and the relationship when asked).
TICKET_MOOD = (
    "ticket_sentiment_mean_90d",
    "ticket_sentiment_min_90d",
    "negative_tickets_90d",
    "ticket_sentiment_change_90d",
)
COMMENT_MOOD = (
    "comment_sentiment_mean_90d",
    "comment_sentiment_min_90d",
    "negative_comments_90d",
    "comment_sentiment_change_90d",
)


def text_mood(
    texts: pd.DataFrame, at: str, as_of: pd.Timestamp, accounts: pd.Index, names: tuple[str, ...]
) -> pd.DataFrame:
    """The mood of scored texts (a ``sentiment`` column, dated by ``at``, all before ``as_of``):
    mean and minimum over 90 days, texts below ``NEGATIVE_TEXT`` then, and the mean's change
    against the 90 days before; ``names`` in that order."""
    mean, low, negative, change = names
    texts = texts.dropna(subset=["sentiment"])
    recent = texts[texts[at] >= as_of - 90 * DAY]
    earlier = texts[(texts[at] >= as_of - 180 * DAY) & (texts[at] < as_of - 90 * DAY)]
    by_account = recent.groupby("account_id", sort=False)["sentiment"]
    out = pd.DataFrame(index=accounts)
    out[mean] = by_account.mean().reindex(accounts)
    out[low] = by_account.min().reindex(accounts)
    out[negative] = count_rows(recent[recent["sentiment"] < NEGATIVE_TEXT], accounts)
    before = earlier.groupby("account_id", sort=False)["sentiment"].mean()
    out[change] = out[mean] - before.reindex(accounts)
    return out


def _latest_two(frame: pd.DataFrame, column: str, accounts: pd.Index):
    """The last and the one-before-last value per account of a time-sorted frame."""
    by_account = frame.groupby("account_id", sort=False)[column]
    latest, before = by_account.nth(-1), by_account.nth(-2)
    latest = pd.Series(latest.to_numpy(), index=frame.loc[latest.index, "account_id"])
    before = pd.Series(before.to_numpy(), index=frame.loc[before.index, "account_id"])
    return latest.reindex(accounts).astype(float), before.reindex(accounts).astype(float)


def sentiment(tables: Tables, as_of: pd.Timestamp, accounts: pd.Index) -> pd.DataFrame:
    """The mood of survey comments over 90 days and its change, the NPS story, and CSAT surveys."""
    out = pd.DataFrame(index=accounts)
    surveys = tables.surveys
    if surveys is not None and "sentiment" in surveys:
        out = text_mood(surveys, "responded_at", as_of, accounts, COMMENT_MOOD)
    if surveys is not None:
        nps = surveys[surveys["kind"].astype(str).str.lower() == "nps"]
        latest, before = _latest_two(nps, "score", accounts)
        out["latest_nps"] = latest
        out["nps_change"] = latest - before
        out["is_detractor"] = (latest <= 6).astype(float).where(latest.notna())
        out["is_promoter"] = (latest >= 9).astype(float).where(latest.notna())
    if surveys is not None:
        csat = surveys[surveys["kind"].astype(str).str.lower() == "csat"]
        csat = csat[csat["responded_at"] >= as_of - 90 * DAY].dropna(subset=["score"])
        mean = csat.groupby("account_id", sort=False)["score"].mean()
        out["csat_mean_90d"] = mean.reindex(accounts).astype(float)
    return out
