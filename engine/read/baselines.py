"""Baselines side by side: the one in force and the one proposed, level by level, for whoever decides (6.3)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from engine.read.steps import Step
from forms.baseline_adjustment import LEVEL_LABELS, LEVELS

LEVEL_ORDER = {level: n for n, level in enumerate(LEVELS)}
# Each level's (Chinese, English) name, as the forms label it.
LEVEL_NAMES = {level: tuple(label.split(" / ", 1)) for level, label in zip(LEVELS, LEVEL_LABELS, strict=True)}


@dataclass(frozen=True)
class BaselineLine:
    """One level's object in the old and the new baseline (None where a side has no such row)."""

    level: str
    object_name: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None

    @property
    def change_percent(self) -> str | None:
        """How much the base-year emissions move, in percent of the old figure."""
        try:
            old, new = Decimal(str(self.old["emissions"])), Decimal(str(self.new["emissions"]))  # type: ignore[index]
        except (TypeError, KeyError, InvalidOperation):
            return None
        return None if old == 0 else f"{(new - old) / old * 100:+.1f}"


def compare(old: Sequence[dict[str, Any]], new: Sequence[dict[str, Any]]) -> list[BaselineLine]:
    """The rows of both baselines matched by level and object name, enterprise first."""
    def key(row: dict[str, Any]) -> tuple[str, str]:
        return str(row.get("level", "")), " ".join(str(row.get("object_name", "")).split()).lower()

    olds, news = {key(r): r for r in old}, {key(r): r for r in new}
    keys = sorted(set(olds) | set(news), key=lambda k: (LEVEL_ORDER.get(k[0], 9), k[1]))
    return [BaselineLine(k[0], str((news.get(k) or olds.get(k) or {}).get("object_name", "")), olds.get(k), news.get(k))
            for k in keys]


def proposed_against_current(steps: Sequence[Step]) -> list[BaselineLine] | None:
    """The latest proposed baseline against the one it replaces, when the steps hold both (None otherwise)."""
    old = next((s.data["old_baseline"] for s in reversed(steps) if s.data.get("old_baseline")), None)
    new = next((s.data["new_baseline"] for s in reversed(steps) if s.data.get("new_baseline")), None)
    return compare(old, new) if old and new else None
