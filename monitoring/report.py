"""The monitoring report: one self-contained HTML page (figures inline) and its PNG figures."""

from __future__ import annotations

import base64
import html
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from serving.bands import BAND_COLOURS, BANDS  # noqa: E402

STATUS_COLOURS = {"drifted": "#d62728", "moderate": "#e8b600", "stable": "#7f9fbf"}
VERDICT_COLOURS = {"retrain": "#d62728", "watch": "#b58900", "ok": "#2ca02c"}
SHOWN_FEATURES = 30
PSI_AXIS = 1.0


def drift_figure(report) -> Figure:
    """PSI of the churn model's features, largest first, against the two thresholds.

    Bars stop at ``PSI_AXIS`` (the value is written beside them); features the verdict does not
    judge (they move with the calendar) are hatched grey.
    """
    drift = report.drift
    rows = drift[drift["model"] == "churn"].head(SHOWN_FEATURES).iloc[::-1] if len(drift) else drift
    fig, ax = plt.subplots(figsize=(8.5, 0.26 * max(len(rows), 4) + 1.4))
    for y, (_, row) in enumerate(rows.iterrows()):
        judged = bool(row["judged"])
        colour = STATUS_COLOURS.get(row["status"], "#999") if judged else "#cccccc"
        ax.barh(y, min(row["psi"], PSI_AXIS), color=colour, hatch="" if judged else "//")
        note = f" {row['psi']:.2f}"
        note += f"  ({row['unseen_now']:.0%} unseen)" if row["unseen_now"] > 0 else ""
        note += "" if judged else "  not judged (calendar)"
        ax.text(min(row["psi"], PSI_AXIS), y, note, va="center", fontsize=7)
    ax.set_yticks(range(len(rows)), rows["feature"], fontsize=7)
    config = report.config
    for x, status in ((config.psi_moderate, "moderate"), (config.psi_drifted, "drifted")):
        ax.axvline(x, color=STATUS_COLOURS[status], ls="--", lw=1)
    ax.set_xlim(0, PSI_AXIS * 1.35)
    ax.set_xlabel(f"population stability index, training rows vs today (axis cut at {PSI_AXIS:g})")
    ax.set_title(
        f"Feature drift of churn v{report.versions.get('churn')} on {report.as_of.date()} "
        f"(top {min(len(rows), SHOWN_FEATURES)} features)",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


def score_figure(report) -> Figure:
    """Share of accounts per churn-probability bin: held-out rows at training vs today."""
    score = report.score
    fig, ax = plt.subplots(figsize=(8.5, 3.2))
    edges = score["edges"]
    labels = [f"<={edges[0]:.3g}"] + [
        f"{a:.3g}-{b:.3g}" for a, b in zip(edges[:-1], edges[1:], strict=True)
    ]
    labels += [f">{edges[-1]:.3g}"]

    x = np.arange(len(labels))
    ax.bar(
        x - 0.2, score["reference_shares"], 0.4, label="training (held-out rows)", color="#7f9fbf"
    )
    ax.bar(x + 0.2, score["shares"], 0.4, label=f"today ({report.as_of.date()})", color="#1f4e79")
    ax.set_xticks(x, labels, rotation=35, ha="right", fontsize=7)
    ax.set_ylabel("share of accounts")
    ax.set_title(f"Churn probability distribution (PSI {score['psi']:.3f})", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def realised_figure(report) -> Figure | None:
    """Predicted against realised churn per band, for each scoring whose outcomes are known."""
    done = [r for r in report.realised if r["status"] == "realised"]
    if not done:
        return None
    fig, axes = plt.subplots(1, len(done), figsize=(3.2 * len(done) + 1, 3.2), squeeze=False)
    for ax, r in zip(axes[0], done, strict=True):
        bands = r["bands"].set_index("band").reindex(list(BANDS))
        x = np.arange(len(bands))
        ax.bar(x - 0.2, bands["predicted_churn"].fillna(0), 0.4, color="#bbbbbb", label="predicted")
        ax.bar(
            x + 0.2,
            bands["realised_churn"].fillna(0),
            0.4,
            color=[BAND_COLOURS[b] for b in bands.index],
            label="realised",
        )
        ax.set_xticks(
            x,
            [f"{b}\n({n})" for b, n in zip(bands.index, bands["churn_known"], strict=True)],
            fontsize=8,
        )
        auc = r["churn"]["roc_auc"]
        ax.set_title(f"{r['as_of']}: AUC {auc:.2f}" if pd.notna(auc) else r["as_of"], fontsize=9)
        ax.set_ylabel("churn share")
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def migration_figure(report) -> Figure | None:
    """The band migration matrix as a heat map with counts."""
    matrix = report.migration
    if matrix is None:
        return None
    fig, ax = plt.subplots(figsize=(4.8, 3.8))
    ax.imshow(matrix.to_numpy(), cmap="Blues")
    ax.set_xticks(range(matrix.shape[1]), matrix.columns)
    ax.set_yticks(range(matrix.shape[0]), matrix.index)
    top = matrix.to_numpy().max()
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            value = matrix.iat[i, j]
            ax.text(
                j,
                i,
                f"{value:,}",
                ha="center",
                va="center",
                color="white" if value > top / 2 else "black",
            )
    before, after = report.between
    ax.set_xlabel(f"band on {after}")
    ax.set_ylabel(f"band on {before}")
    ax.set_title("Band migration", fontsize=10)
    fig.tight_layout()
    return fig


def figures(report) -> dict[str, Figure]:
    """Every figure the report shows, by file name (``drift`` is the main one)."""
    out = {"drift": drift_figure(report)}
    if report.score is not None:
        out["scores"] = score_figure(report)
    for name, make in (("realised", realised_figure), ("migration", migration_figure)):
        figure = make(report)
        if figure is not None:
            out[name] = figure
    return out


def png_bytes(fig: Figure) -> bytes:
    """A figure as PNG, drawn once: the report embeds the same bytes it writes beside itself."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def _uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _table(frame: pd.DataFrame, index: bool = False) -> str:
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            out[column] = out[column].round(3)
    return out.to_html(index=index, na_rep="-", border=0)


def _performance_table(report) -> pd.DataFrame:
    rows = []
    for r in report.realised:
        for target in ("churn", "renewal"):
            now, then = r[target], report.training.get(target, {})
            rows.append(
                {
                    "scoring": r["as_of"],
                    "status": r["status"]
                    if r["status"] == "realised"
                    else f"pending until {r['outcomes_known_from']}",
                    "target": target,
                    "outcomes known": int(now["accounts"]),
                    "realised rate": now["realised_rate"],
                    "mean predicted": now["mean_predicted"],
                    "ROC AUC": now["roc_auc"],
                    "ROC AUC at training": then.get("val_roc_auc", np.nan),
                    "Brier": now["brier"],
                    "Brier at training": then.get("val_brier", np.nan),
                }
            )
    return pd.DataFrame(rows)


def monitor_html(report, pictures: dict[str, bytes]) -> str:
    """The whole report: verdict and reasons, drift, realised performance, migration, movers.

    ``pictures`` are the PNGs of ``figures``, by name."""
    v = report.verdict
    images = {name: _uri(png) for name, png in pictures.items()}
    items = "".join(f"<li>{html.escape(x)}</li>" for x in v.reasons)
    notes = "".join(f"<li>{html.escape(x)}</li>" for x in v.notes + v.info)
    versions = ", ".join(f"{k} v{x}" for k, x in report.versions.items())
    as_of = report.as_of.date()
    parts = [
        f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Model monitoring, {as_of}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1150px; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.85em; }}
th, td {{ border: 1px solid #ccc; padding: 3px 8px; text-align: right; }}
img {{ max-width: 100%; }} .verdict {{ font-size: 1.3em; font-weight: bold; }}
</style></head><body>
<h1>Is the champion still fit? Monitoring on {as_of}</h1>
<p class="verdict" style="color:{VERDICT_COLOURS[v.status]}">{html.escape(v.text)}</p>
<p>Models: {html.escape(versions)}.</p>
{f"<p>Reasons to retrain:</p><ul>{items}</ul>" if items else ""}
{f"<p>Also noted:</p><ul>{notes}</ul>" if notes else ""}
<h2>Data drift</h2>
<p>Population stability index of each feature between the champion's training rows (binned at
training and stored with the model) and the accounts scored on {as_of}; below
{report.config.psi_moderate:g} stable, up to {report.config.psi_drifted:g} moderate, past it
drifted. Missing values and category values never seen in training are bins of their own.</p>
<img alt="feature drift" src="{images["drift"]}">""",
    ]
    if "scores" in images:
        parts.append(f'<img alt="score distribution" src="{images["scores"]}">')
    shown = report.drift.head(60)
    parts.append(_table(shown) if len(shown) else "<p>No training reference stored.</p>")
    parts.append("<h2>Realised performance of earlier scorings</h2>")
    if report.realised:
        parts.append(_table(_performance_table(report)))
        if "realised" in images:
            parts.append(f'<img alt="realised churn per band" src="{images["realised"]}">')
    else:
        parts.append("<p>No earlier scoring given (--scores DIR).</p>")
    if report.migration is not None:
        before, after = report.between
        parts.append(f"<h2>Band migration, {before} to {after}</h2>")
        parts.append(f'<img alt="band migration" src="{images["migration"]}">')
        parts.append(_table(report.migration, index=True))
        parts.append("<h3>Biggest movers</h3>")
        parts.append(_table(report.movers))
    parts.append("</body></html>\n")
    return "\n".join(parts)
