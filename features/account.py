"""The contract family: tenure, price and its change, the current term, the accounts' own columns.

Also the licensed seats that usage and adoption divide by.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.catalogue import FEATURES
from features.contract import Tables
from features.flags import is_flag_column, truthy
from features.per_account import in_days, relative_change
from features.subscriptions import contract_mrr, current_rows, main_rows, mrr_at
from features.timeline import active_terms

STATIC_EXCLUDED = ("account_id", "name", "created_at")
MONTH_DAYS = 365.25 / 12


def licensed_seats(
    tables: Tables, accounts: pd.Index, as_of: pd.Timestamp | None = None
) -> pd.Series:
    """Licensed seats: the main subscription row's ``quantity`` where there is one (at
    ``as_of``), else the accounts table's ``seats``."""
    seats = pd.Series(np.nan, index=accounts)
    if "seats" in tables.accounts:
        seats = tables.accounts.set_index("account_id")["seats"].astype(float).reindex(accounts)
    subs = tables.subscriptions
    if as_of is not None and "quantity" in subs:
        quantity = main_rows(current_rows(subs, as_of))["quantity"].astype(float)
        seats = quantity.reindex(accounts).fillna(seats)
    return seats.where(lambda s: s > 0)


def contract(tables: Tables, as_of: pd.Timestamp, accounts: pd.Index) -> pd.DataFrame:
    """Tenure, current price and its change, the current term, and static account attributes.

    Concurrent rows are one contract (``features.subscriptions``): MRR is their sum, term and
    plan are the main row's (largest MRR), and an add-on bought or dropped changes the MRR.
    """
    subs = tables.subscriptions
    terms = active_terms(subs, as_of).set_index("account_id").reindex(accounts)
    first_start = subs.groupby("account_id", sort=False)["start_date"].min().reindex(accounts)
    out = pd.DataFrame(index=accounts)
    out["tenure_days"] = in_days(as_of - first_start)
    if "mrr" in subs:
        current, previous = contract_mrr(subs, as_of, accounts)
        out["mrr"] = current
        out["mrr_change_pct"] = relative_change(current, previous)
        year_ago = mrr_at(subs, as_of - pd.Timedelta(days=365), accounts)
        out["mrr_change_12m"] = relative_change(current, year_ago)
    out["days_to_term_end"] = in_days(terms["term_end"] - as_of)
    out["term_length_days"] = in_days(terms["term_end"] - terms["term_start"])
    out["term_months"] = term_months(out["term_length_days"])
    out["previous_term_days"] = previous_term_days(subs, terms["term_start"])
    if "plan" in subs:
        plan = main_rows(current_rows(subs, as_of))["plan"].reindex(accounts)
        levels = sorted(set(subs["plan"].dropna().astype(str)))
        out["current_plan"] = pd.Categorical(plan.astype("object"), categories=levels)
    return out.join(static_attributes(tables.accounts, accounts))


def term_months(term_length_days: pd.Series) -> pd.Series:
    """The current term's length in whole months, at least 1 (NaN: open-ended): the contract's
    cadence (monthly, annual), which a renewal date moved by up to two weeks leaves as it is.

    Whether an account decides twelve times a year or once is who it is; when the decision falls
    (``days_to_term_end``) is not. Serving puts the health score on a yearly footing with it.
    """
    days = pd.to_numeric(term_length_days, errors="coerce").astype(float)
    return np.maximum(np.rint(days / MONTH_DAYS), 1.0).where(days.notna())


def previous_term_days(subscriptions: pd.DataFrame, term_start: pd.Series) -> pd.Series:
    """The length of the term before the current one (the latest row that ended by the current
    term's start; the main one, by MRR, among rows ending then), NaN in a first term.

    Whether a customer signs for a month or a year is who it is; the current term's own length
    says when it can leave (``TIMING_FEATURES``), but the previous one does not move when the
    current term's end does.
    """
    rows = subscriptions[subscriptions["end_date"].notna()]
    cut = term_start.reindex(rows["account_id"]).to_numpy()
    ended = rows[(rows["end_date"].to_numpy() <= cut)]
    if "mrr" in ended:
        ended = ended.assign(_mrr=ended["mrr"].fillna(-np.inf))
    order = ["account_id", "end_date", *(["_mrr"] if "_mrr" in ended else [])]
    latest = ended.sort_values(order, kind="stable").drop_duplicates("account_id", keep="last")
    length = in_days(latest["end_date"] - latest["start_date"])
    return pd.Series(length.to_numpy(), index=latest["account_id"].to_numpy()).reindex(
        term_start.index
    )


def static_attribute(column: pd.Series) -> pd.Series:
    """One accounts column typed for a model: flags and numbers as floats, the rest categorical.

    Categories are the column's sorted values over the whole accounts table, so every as-of date
    (and training and scoring) share one set of levels.
    """
    if pd.api.types.is_bool_dtype(column.dtype) or pd.api.types.is_numeric_dtype(column.dtype):
        return column.astype(float)
    if is_flag_column(column):
        return pd.Series(truthy(column), index=column.index).astype(float).where(column.notna())
    as_text = (
        column.astype("object").where(column.notna()).map(lambda v: v if pd.isna(v) else str(v))
    )
    levels = sorted(set(as_text.dropna()))
    return pd.Series(pd.Categorical(as_text, categories=levels), index=column.index)


def static_attributes(accounts_table: pd.DataFrame, accounts: pd.Index) -> pd.DataFrame:
    """The accounts table's own columns (plan, industry, seats, ...) as features.

    Dates are left out (a calendar date is no attribute of health); names and ids too.
    """
    columns = [
        c
        for c in accounts_table.columns
        if c not in STATIC_EXCLUDED
        and not pd.api.types.is_datetime64_any_dtype(accounts_table[c].dtype)
    ]
    table = accounts_table.set_index("account_id")
    static = pd.DataFrame({c: static_attribute(table[c]) for c in columns}, index=table.index)
    static = static.reindex(accounts)
    renamed = {c: f"account_{c}" for c in columns if c in FEATURES}
    return static.rename(columns=renamed)
