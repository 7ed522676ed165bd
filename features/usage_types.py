"""Per-event-type usage (DESIGN section 3): which columns exist for an event type, and what they mean.

For the most used event types (at most ``DEFAULT_TYPES``, chosen when a model is trained from the
training data, so the choice travels with the model's feature list): uses in the last 30 days,
their change against the 30 days before, uses per active user, and the type's share of the
account's events. Column names carry the type as a slug (``type_report_build_30d``), because
LightGBM rejects feature names with JSON punctuation.
"""

from __future__ import annotations

import re

DEFAULT_TYPES = 20
PREFIX = "type_"
SUFFIXES = ("_30d", "_change_30d", "_per_user_30d", "_share_30d")


def type_slug(name: str) -> str:
    """An event type as it appears in column names: lower case, runs of other characters as _."""
    slug = re.sub(r"[^0-9a-z]+", "_", str(name).lower()).strip("_")
    return slug or "unnamed"


def type_columns(slug: str, has_users: bool = True) -> list[str]:
    """The columns of one event type, in order (no per-user column without user ids)."""
    return [
        f"{PREFIX}{slug}{suffix}" for suffix in SUFFIXES if has_users or suffix != "_per_user_30d"
    ]


def chosen_types(feature_names) -> list[str]:
    """The event type slugs a feature list carries (from its ``type_*_share_30d`` columns)."""
    marker = SUFFIXES[-1]
    return [
        name[len(PREFIX) : -len(marker)]
        for name in feature_names
        if name.startswith(PREFIX) and name.endswith(marker)
    ]


def parse(feature: str) -> tuple[str, str] | None:
    """``(slug, suffix)`` of a per-type column, or None for any other feature."""
    if not feature.startswith(PREFIX):
        return None
    for suffix in sorted(SUFFIXES, key=len, reverse=True):
        if feature.endswith(suffix):
            return feature[len(PREFIX) : -len(suffix)], suffix
    return None


def type_label(feature: str) -> str | None:
    """A phrase for a per-type column ("uses of report build in the last 30 days"), or None."""
    parsed = parse(feature)
    if parsed is None:
        return None
    slug, suffix = parsed
    what = slug.replace("_", " ")
    return {
        "_30d": f"uses of {what} in the last 30 days",
        "_change_30d": f"change in uses of {what}, last 30 days vs the 30 before",
        "_per_user_30d": f"uses of {what} per active user (30 days)",
        "_share_30d": f"share of the account's events that are {what} (30 days)",
    }[suffix]
