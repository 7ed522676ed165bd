"""Reporting periods: calendar months or quarters, and which of them the data can settle.

A period is ``[start, end)`` between two consecutive boundaries (midnights on the first day of a
month or quarter). Snapshots "at a boundary" ``b`` follow the as-of convention of
``features.timeline.active_terms``: the contract in force just before ``b`` (a term ending on
``b`` still counts at ``b``, a term starting on ``b`` does not yet), so the ending figures of one
period are the starting figures of the next.

Reported periods run from the one holding the start of the data (``observation_start``: the first
product event, else the first term) to the last one whose end plus the grace gap is still inside
the data (``observation_end``): a churn in a later period could still be undone by a late renewal,
so it is not reported yet.
"""

from __future__ import annotations

import pandas as pd

from features.contract import Tables
from features.timeline import observation_end, observation_start

PERIOD_MONTHS = {"month": 1, "quarter": 3}


def _floor(moment: pd.Timestamp, period: str) -> pd.Timestamp:
    """The boundary at or before ``moment``."""
    moment = pd.Timestamp(moment)
    months = PERIOD_MONTHS[period]
    month = (moment.month - 1) // months * months + 1
    return pd.Timestamp(year=moment.year, month=month, day=1)


def boundaries(first: pd.Timestamp, last: pd.Timestamp, period: str) -> pd.DatetimeIndex:
    """Period boundaries from the one at or before ``first`` to the last at or before ``last``."""
    if period not in PERIOD_MONTHS:
        raise ValueError(f"period must be one of {', '.join(PERIOD_MONTHS)}, got {period!r}")
    start, stop = _floor(first, period), _floor(last, period)
    return pd.date_range(start, stop, freq=pd.DateOffset(months=PERIOD_MONTHS[period]))


def reporting_boundaries(tables: Tables, period: str, grace_days: int) -> pd.DatetimeIndex:
    """Boundaries ``b0 < ... < bn`` of the periods the data settles (see the module docstring).

    Fewer than two boundaries means no complete period: the result is then empty.
    """
    last = observation_end(tables) - pd.Timedelta(days=grace_days)
    found = boundaries(observation_start(tables), last, period)
    return found if len(found) >= 2 else pd.DatetimeIndex([])


def periods_frame(bounds: pd.DatetimeIndex) -> pd.DataFrame:
    """``period, period_end`` for each period between consecutive boundaries."""
    return pd.DataFrame({"period": bounds[:-1], "period_end": bounds[1:]})


def months_between_boundaries(period: str) -> int:
    """Months per period (1 or 3)."""
    return PERIOD_MONTHS[period]
