"""The scoring job's settings and the models it reads, apart from the code that scores.

The command line reads these defaults (``health --help``, argument errors), so this module imports
none of the model libraries.
"""

from __future__ import annotations

from dataclasses import dataclass

from serving.bands import BandConfig

# One point is the smallest move the 0-100 health score shows: a push worth less cannot change
# the score a person reads, so it is no reason to call.
MIN_REASON_POINTS = 1.0

CHAMPION_URIS = {
    "health": "models:/health@champion",
    "churn": "models:/churn@champion",
    "renewal": "models:/renewal@champion",
}


@dataclass(frozen=True)
class ScoreConfig(BandConfig):
    """The band thresholds (``serving.bands.BandConfig``), the reasons to write and the points a
    reason must move the score by (``serving.reasons``), and the chunk size."""

    top_drivers: int = 3
    min_reason_points: float = MIN_REASON_POINTS
    chunk_rows: int = 50_000
    explain: bool = True
