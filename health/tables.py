"""The tables the commands print: models trained, accounts most at risk, a backtest's bands."""

from __future__ import annotations

import pandas as pd
from rich.console import Console
from rich.table import Table

from serving.bands import BAND_COLOURS

TOP_ACCOUNTS = 10
# Narrower than this, the to-do list's reasons would wrap a few words a line inside the table, so
# they follow it, one line each, numbered like its rows.
WIDE_CONSOLE = 140


def account_label(row: pd.Series) -> str:
    """The account's name where the scores carry one (the CS team knows accounts by name), else
    its id."""
    name = row.get("account_name")
    return str(row["account_id"]) if name is None or pd.isna(name) else str(name)


def print_training(console: Console, results) -> None:
    table = Table(title="Models (validated on later dates, or by K-fold for a flat table)")
    for column in ("model", "val ROC AUC", "baseline AUC", "Brier", "ECE", "version", "champion"):
        table.add_column(column)
    notes, reasons = [], []
    for r in results:
        m = r.metrics
        notes += r.warnings
        if not r.trained:
            table.add_row(r.target, "-", "-", "-", "-", "-", "not trained")
            reasons.append(r.reason)
            continue
        table.add_row(
            r.target,
            f"{m['val_roc_auc']:.3f}",
            f"{m['baseline_val_roc_auc']:.3f}",
            f"{m['val_brier']:.4f}",
            f"{m['val_ece']:.4f}",
            str(r.version),
            "yes" if r.promoted else "no",
        )
        if not r.promoted:
            reasons.append(f"{r.target} {r.reason}")
    console.print(table)
    for reason in reasons:  # whole sentences below the table, not wrapped in a narrow column
        console.print(reason, markup=False)
    for note in notes:
        console.print(f"[yellow]Warning:[/yellow] {note}", markup=False)


def print_top_risk(
    console: Console,
    scores: pd.DataFrame,
    top: int = TOP_ACCOUNTS,
    bands: dict[str, int] | None = None,
    accounts: int | None = None,
    band_arr: dict[str, float] | None = None,
) -> None:
    """The to-do list: accounts in priority order (most ARR expected to be lost within the
    horizon first), with health, band, the calendar and the first reason in words; then the ARR
    of the accounts in red and yellow.

    ``bands``, ``accounts`` and ``band_arr`` give the whole run's figures when ``scores`` holds
    only the first rows.
    """
    from serving.score import priority_order

    counts = bands if bands is not None else scores["band"].value_counts().to_dict()
    accounts = len(scores) if accounts is None else accounts
    if band_arr is None and "arr" in scores:
        band_arr = scores.groupby("band")["arr"].sum().to_dict()
    as_of = pd.Timestamp(scores["as_of"].iloc[0]).date()
    table = Table(
        title=f"To do as of {as_of}: most ARR at risk first "
        f"({accounts:,} scored: {counts.get('red', 0)} red, "
        f"{counts.get('yellow', 0)} yellow, {counts.get('green', 0)} green)"
    )
    changes = "health_change" in scores
    inline = console.width >= WIDE_CONSOLE  # else each reason gets its own line below the table
    columns = [("#", "right"), ("account", "left"), ("health", "right"), ("band", "left")]
    columns += [("change", "right")] if changes else []
    columns += [("leaves in 90d", "right"), ("ARR at risk", "right"), ("renewal", "right")]
    columns += [("top reason", "left")] if inline else []
    for column, justify in columns:
        table.add_column(column, justify=justify)
    below = []
    for rank, (_, row) in enumerate(priority_order(scores).head(top).iterrows(), start=1):
        arr = row.get("arr_at_risk")
        cells = [
            str(rank),
            account_label(row),
            str(row["health_score"]),
            f"[{BAND_COLOURS[row['band']]}]{row['band']}[/]",
        ]
        if changes:
            change = row["health_change"]
            cells.append("new" if pd.isna(change) else f"{change:+.0f}")
        reason = row.get("risk_driver_1")
        reason = "" if pd.isna(reason) else str(reason)
        churn, days = row.get("churn_probability"), row.get("renewal_due_in_days")
        cells += [
            "" if pd.isna(churn) else f"{churn:.0%}",
            "" if pd.isna(arr) else f"{arr:,.0f}",
            "open-ended" if pd.isna(days) else f"in {days:.0f} days",
        ]
        if inline:
            cells.append(reason)
        elif reason:
            below.append(f"{rank:>3}. {account_label(row)}: {reason}")
        table.add_row(*cells)
    console.print(table)
    if below:
        console.print("Top reason:")
        for line in below:
            console.print(line, markup=False, overflow="fold")
    if band_arr:
        red, yellow = band_arr.get("red", 0.0), band_arr.get("yellow", 0.0)
        console.print(
            f"ARR in red: {red:,.0f} ({counts.get('red', 0):,} accounts); in yellow: "
            f"{yellow:,.0f} ({counts.get('yellow', 0):,} accounts). ARR at risk is each "
            "account's ARR times its chance of leaving within the horizon."
        )


def print_backtest(console: Console, result) -> None:
    """The backtest's story per band, in account-dates, and how early red or yellow showed."""
    m, story = result.summary.metrics, result.summary.story
    title = f"Backtest over {int(m['backtest_dates'])} dates: per band, in account-dates"
    table = Table(title=title)
    columns = (
        "band",
        "account-dates",
        "share",
        "not stayed (95% CI)",
        "lift",
        "recall",
        "yearly lift",
        "yearly recall",
    )
    for column in columns:
        table.add_column(column, justify="right")
    for name, row in story.iterrows():
        rate = (
            "-"
            if pd.isna(row["not_stay_rate"])
            else (
                f"{row['not_stay_rate']:.1%} ({row['not_stay_low']:.1%}-{row['not_stay_high']:.1%})"
            )
        )
        lift = "-" if pd.isna(row["lift"]) else f"{row['lift']:.1f}x"
        recall = "-" if pd.isna(row["recall"]) else f"{row['recall']:.0%}"
        share = f"{row['share_of_account_dates']:.0%}"
        year_lift = "-" if pd.isna(row["year_lift"]) else f"{row['year_lift']:.1f}x"
        year_recall = f"{row['year_recall']:.0%}"
        count = f"{int(row['account_dates']):,}"
        table.add_row(name, count, share, rate, lift, recall, year_lift, year_recall)
    console.print(table)
    early = m["median_warning_days_red_or_yellow"]
    warning = "n/a" if pd.isna(early) else f"{early:.0f}"
    console.print(
        f"Base rate of not staying {m['base_not_stay_rate']:.1%} (account-dates). Churns: red or "
        f"yellow caught {int(m['churns_caught_by_red_or_yellow'])} of {int(m['churns'])}, "
        f"first showing a median of {warning} days before the churn; red alone caught "
        f"{int(m['churns_caught_by_red'])}."
    )
