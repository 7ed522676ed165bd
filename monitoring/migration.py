"""Band migration between two scorings: who moved between green, yellow and red, who is new,
who is gone, and whose score moved most (with the scoring's own change summary)."""

from __future__ import annotations

import pandas as pd

from serving.bands import BANDS
from serving.score import score_changes

NEW, LOST = "new", "lost"


def migration_matrix(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Accounts by band before (rows, plus ``new``) and band after (columns, plus ``lost``).

    Every account in either scoring is counted once, so the matrix sums to their union.
    """
    was = before.set_index(before["account_id"].astype(str))["band"].astype(str)
    now = after.set_index(after["account_id"].astype(str))["band"].astype(str)
    both = pd.concat({"before": was, "after": now}, axis=1)
    both["before"] = both["before"].fillna(NEW)
    both["after"] = both["after"].fillna(LOST)
    matrix = pd.crosstab(both["before"], both["after"])
    matrix = matrix.reindex(index=[*BANDS, NEW], columns=[*BANDS, LOST], fill_value=0)
    matrix.index.name, matrix.columns.name = "before", "after"
    return matrix.astype(int)


def biggest_movers(before: pd.DataFrame, after: pd.DataFrame, top: int = 20) -> pd.DataFrame:
    """The accounts in both scorings whose health score moved most, up or down.

    Each with its bands and the change summary ("Down 12 points since 2025-11-30: usage -9,
    support -4"), computed as scoring computes it (from the points per family when both scorings
    have them).
    """
    columns = ["account_id", "band_before", "band_after", "health_before", "health_after"]
    columns += ["health_change", "change_summary"]
    now = after.assign(account_id=after["account_id"].astype(str))
    then = before.assign(account_id=before["account_id"].astype(str)).set_index("account_id")
    now = now[now["account_id"].isin(then.index)].reset_index(drop=True)
    if now.empty:
        return pd.DataFrame(columns=columns)
    changes = score_changes(now, then)
    out = pd.DataFrame(
        {
            "account_id": now["account_id"],
            "band_before": then.loc[now["account_id"], "band"].to_numpy(),
            "band_after": now["band"].to_numpy(),
            "health_before": then.loc[now["account_id"], "health_score"].to_numpy(),
            "health_after": now["health_score"].to_numpy(),
            "health_change": changes["health_change"].to_numpy(),
            "change_summary": changes["change_summary"].to_numpy(),
        }
    )
    order = out["health_change"].abs().sort_values(ascending=False, kind="stable").index
    return out.loc[order].head(top).reset_index(drop=True)[columns]


def migration_counts(matrix: pd.DataFrame) -> dict[str, int]:
    """Headline counts: accounts that stayed in their band, moved to a worse or better band, new,
    lost."""
    worse = {name: i for i, name in enumerate(BANDS)}  # worst first: red 0, yellow 1, green 2
    counts = {"same_band": 0, "worse_band": 0, "better_band": 0}
    for was in BANDS:
        for now in BANDS:
            key = (
                "same_band"
                if was == now
                else "worse_band"
                if worse[now] < worse[was]
                else "better_band"
            )
            counts[key] += int(matrix.loc[was, now])
    counts["new"] = int(matrix.loc[NEW].sum())
    counts["lost"] = int(matrix[LOST].sum())
    return counts
