"""The feature builders, in order: one pure function per family, each seeing only the past.

A builder takes the tables as visible just before the as-of date (``features.pointintime``), the
date and the active accounts, and returns one row per account with the value that is true for it
(0 events when there were none; NaN where a thing is unknown, such as sentiment with no text).
What each column means is in ``features.catalogue``.

Event tables run to 100M rows, so they are not cut date by date: ``features.events`` reduces them
once for every as-of date of a build, and a builder that needs ``events`` is handed that date's
event features as a fourth argument (computed from days before the date only).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from features.account import contract
from features.adoption import adoption
from features.sentiment_features import sentiment
from features.support import support_tickets
from features.usage import per_type_usage, usage

Builder = Callable[..., pd.DataFrame]

# (name, builder, tables it needs); a builder runs only when the tables it needs are present.
BUILDERS: list[tuple[str, Builder, tuple[str, ...]]] = [
    ("usage", usage, ("events",)),
    ("adoption", adoption, ("events",)),
    ("usage_types", per_type_usage, ("events",)),
    ("sentiment", sentiment, ()),
    ("support_tickets", support_tickets, ("tickets",)),
    ("contract", contract, ()),
]
