"""Choosing the scorecard that applies to a customer (segment and lifecycle), without Frappe."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cs_success.engine.health_score import MeasureRule


@dataclass(frozen=True)
class CustomerSegment:
	customer_group: str | None
	territory: str | None
	age_days: int


@dataclass(frozen=True)
class Scorecard:
	"""A scorecard and the customers it applies to.

	`customer_groups` / `territories` hold the chosen tree node and all its descendants (None: any);
	`max_age_days` 0 means no upper limit. Lower `priority` is tried first; the default applies when
	no other scorecard matches.
	"""

	name: str
	rules: tuple[MeasureRule, ...]
	priority: int = 0
	is_default: bool = False
	customer_groups: frozenset[str] | None = None
	territories: frozenset[str] | None = None
	min_age_days: int = 0
	max_age_days: int = 0

	def applies_to(self, segment: CustomerSegment) -> bool:
		if self.customer_groups is not None and segment.customer_group not in self.customer_groups:
			return False
		if self.territories is not None and segment.territory not in self.territories:
			return False
		if segment.age_days < self.min_age_days:
			return False
		if self.max_age_days and segment.age_days > self.max_age_days:
			return False
		return True


def select_scorecard(scorecards: Sequence[Scorecard], segment: CustomerSegment) -> Scorecard | None:
	for scorecard in sorted_by_priority(s for s in scorecards if not s.is_default):
		if scorecard.applies_to(segment):
			return scorecard
	return next((s for s in scorecards if s.is_default), None)


def sorted_by_priority(scorecards: Iterable[Scorecard]) -> list[Scorecard]:
	return sorted(scorecards, key=lambda s: (s.priority, s.name))
