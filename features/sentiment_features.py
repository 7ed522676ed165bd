"""The sentiment family: text sentiment over 90 days and its change, the NPS story, and CSAT.

Texts are the tickets' subject and text and the surveys' comments, scored in [-1, 1] once per build
by ``features.pointintime.prepare_tables`` (``features.sentiment``).
"""

from __future__ import annotations

import pandas as pd

from features.contract import Tables
from features.per_account import DAY, count_rows

NEGATIVE_TEXT = -0.3


def _texts(tables: Tables) -> pd.DataFrame:
    """Scored texts from tickets and survey comments: ``account_id, at, sentiment``."""
    parts = []
    if tables.tickets is not None and "sentiment" in tables.tickets:
        t = tables.tickets
        parts.append(
            pd.DataFrame(
                {"account_id": t["account_id"], "at": t["created_at"], "sentiment": t["sentiment"]}
            )
        )
    if tables.surveys is not None and "sentiment" in tables.surveys:
        s = tables.surveys
        parts.append(
            pd.DataFrame(
                {
                    "account_id": s["account_id"],
                    "at": s["responded_at"],
                    "sentiment": s["sentiment"],
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=["account_id", "at", "sentiment"])
    return pd.concat(parts, ignore_index=True).dropna(subset=["sentiment"])


def _has_text(tables: Tables) -> bool:
    return (tables.tickets is not None and "sentiment" in tables.tickets) or (
        tables.surveys is not None and "sentiment" in tables.surveys
    )


def _latest_two(frame: pd.DataFrame, column: str, accounts: pd.Index):
    """The last and the one-before-last value per account of a time-sorted frame."""
    by_account = frame.groupby("account_id", sort=False)[column]
    latest, before = by_account.nth(-1), by_account.nth(-2)
    latest = pd.Series(latest.to_numpy(), index=frame.loc[latest.index, "account_id"])
    before = pd.Series(before.to_numpy(), index=frame.loc[before.index, "account_id"])
    return latest.reindex(accounts).astype(float), before.reindex(accounts).astype(float)


def _csat_scores(tables: Tables, as_of: pd.Timestamp) -> pd.DataFrame:
    """CSAT answers of the last 90 days: ticket CSAT (dated by resolution) and CSAT surveys."""
    parts = []
    tickets = tables.tickets
    if tickets is not None and "csat" in tickets:
        when = tickets["resolved_at"] if "resolved_at" in tickets else tickets["created_at"]
        parts.append(
            pd.DataFrame({"account_id": tickets["account_id"], "at": when, "csat": tickets["csat"]})
        )
    surveys = tables.surveys
    if surveys is not None:
        csat = surveys[surveys["kind"].astype(str).str.lower() == "csat"]
        parts.append(
            pd.DataFrame(
                {
                    "account_id": csat["account_id"],
                    "at": csat["responded_at"],
                    "csat": csat["score"],
                }
            )
        )
    scores = pd.concat(parts, ignore_index=True).dropna()
    return scores[(scores["at"] >= as_of - 90 * DAY) & (scores["at"] < as_of)]


def sentiment(tables: Tables, as_of: pd.Timestamp, accounts: pd.Index) -> pd.DataFrame:
    """Text sentiment over 90 days and its change, the NPS story, and CSAT."""
    out = pd.DataFrame(index=accounts)
    if _has_text(tables):
        texts = _texts(tables)
        recent = texts[texts["at"] >= as_of - 90 * DAY]
        earlier = texts[(texts["at"] >= as_of - 180 * DAY) & (texts["at"] < as_of - 90 * DAY)]
        by_account = recent.groupby("account_id", sort=False)["sentiment"]
        out["sentiment_mean_90d"] = by_account.mean().reindex(accounts)
        out["sentiment_min_90d"] = by_account.min().reindex(accounts)
        negative = recent[recent["sentiment"] < NEGATIVE_TEXT]
        out["negative_texts_90d"] = count_rows(negative, accounts)
        before = earlier.groupby("account_id", sort=False)["sentiment"].mean()
        out["sentiment_change_90d"] = out["sentiment_mean_90d"] - before.reindex(accounts)
    surveys = tables.surveys
    if surveys is not None:
        nps = surveys[surveys["kind"].astype(str).str.lower() == "nps"]
        latest, before = _latest_two(nps, "score", accounts)
        out["latest_nps"] = latest
        out["nps_change"] = latest - before
        out["is_detractor"] = (latest <= 6).astype(float).where(latest.notna())
        out["is_promoter"] = (latest >= 9).astype(float).where(latest.notna())
    if surveys is not None or (tables.tickets is not None and "csat" in tables.tickets):
        csat = _csat_scores(tables, as_of)
        mean = csat.groupby("account_id", sort=False)["csat"].mean()
        out["csat_mean_90d"] = mean.reindex(accounts).astype(float)
    return out
