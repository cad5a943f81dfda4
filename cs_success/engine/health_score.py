"""Customer health scoring: pure arithmetic, no Frappe.

Overall = sum(w_i * s_i) / sum(w_i) over the measures that HAVE data. A measure without data drops
out and the remaining weights re-normalise; coverage is the share of weight that had data. Missing
data is never scored as neutral.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

LINEAR = "Linear"
BINS = "Bins"
METHODS = (LINEAR, BINS)

HEALTHY = "Healthy"
AT_RISK = "At Risk"
CRITICAL = "Critical"
NO_DATA = "No Data"
# Scored, but on too little of the scorecard's weight to call the customer healthy or not.
INSUFFICIENT_DATA = "Insufficient Data"
# No recurring revenue and no agreement any more (revenue ledger): gone, whatever the score says.
CHURNED = "Churned"
# Best first: a band later in this tuple is worse. The bands outside it rank nowhere, so moving
# into or out of them is never an alert of a worse band.
BAND_ORDER = (HEALTHY, AT_RISK, CRITICAL)
BANDS = (*BAND_ORDER, INSUFFICIENT_DATA, CHURNED, NO_DATA)

# A customer's health on a day D is its latest Daily snapshot on or before D and no more than this many days
# before it (cs_success/health/snapshots.py): a month, so that monthly back-filled history always has one, and
# an older snapshot says nothing about the day.
SNAPSHOT_LOOKBACK_DAYS = 31

# Score a "Bins" measure gives between its healthy and poor thresholds ("Concerning").
CONCERNING_SCORE = 50.0


class ScoringError(ValueError):
	"""A rule or override that cannot be scored. `code` names the problem for translation."""

	def __init__(self, code: str, detail: str = ""):
		super().__init__(f"{code}: {detail}" if detail else code)
		self.code = code
		self.detail = detail


@dataclass(frozen=True)
class MeasureRule:
	"""How one measure maps its raw value to 0-100 and how much it weighs.

	`score_100_at` is the raw value at (or beyond) which the measure scores 100, `score_0_at` the one
	at (or beyond) which it scores 0. Their order gives the direction: 100_at < 0_at means lower is
	better (open tickets), 100_at > 0_at means higher is better (NPS).
	"""

	key: str
	weight: float
	score_100_at: float
	score_0_at: float
	method: str = LINEAR

	def validate(self) -> None:
		if self.method not in METHODS:
			raise ScoringError("unknown_method", self.method)
		if not (self.weight >= 0 and math.isfinite(self.weight)):
			raise ScoringError("negative_weight", self.key)
		if not (math.isfinite(self.score_100_at) and math.isfinite(self.score_0_at)):
			raise ScoringError("threshold_not_finite", self.key)
		if self.score_100_at == self.score_0_at:
			raise ScoringError("equal_thresholds", self.key)

	@property
	def lower_is_better(self) -> bool:
		return self.score_100_at < self.score_0_at


class MeasureResult(NamedTuple):
	"""A tuple, not a frozen dataclass: a full recompute builds one per measure per customer, and
	tuples are several times cheaper to create."""

	key: str
	raw_value: float | None
	has_data: bool
	score: float | None
	weight: float
	effective_weight: float
	contribution: float


@dataclass(frozen=True)
class HealthResult:
	score: float | None
	coverage: float
	measures: tuple[MeasureResult, ...]

	def contributions(self) -> dict[str, float]:
		return {m.key: m.contribution for m in self.measures}

	def worst_measures(self, limit: int = 3) -> list[MeasureResult]:
		"""Measures with data, lowest score first: what pulls the customer down."""
		scored = [m for m in self.measures if m.has_data and m.effective_weight > 0]
		return sorted(scored, key=lambda m: (m.score, -m.effective_weight))[:limit]


def score_measure(rule: MeasureRule, raw_value: float) -> float:
	"""Map a raw value to 0-100 by the rule's thresholds."""
	good, bad = rule.score_100_at, rule.score_0_at
	if rule.lower_is_better:
		at_or_beyond_good, at_or_beyond_bad = raw_value <= good, raw_value >= bad
	else:
		at_or_beyond_good, at_or_beyond_bad = raw_value >= good, raw_value <= bad
	if at_or_beyond_good:
		return 100.0
	if at_or_beyond_bad:
		return 0.0
	if rule.method == BINS:
		return CONCERNING_SCORE
	# Clamped: the division can land a rounding error past either end.
	return _clamp(100.0 * (raw_value - bad) / (good - bad))


def _has_data(raw_value) -> bool:
	return raw_value is not None and isinstance(raw_value, int | float) and math.isfinite(raw_value)


def compute_health(
	rules: Iterable[MeasureRule], raw_values: Mapping[str, float | None], validated: bool = False
) -> HealthResult:
	"""Combine the measures of one customer into a score, re-normalising over those with data.

	`validated=True` skips checking the rules, for callers that checked a scorecard once for many
	customers."""
	rules = list(rules)
	if not validated:
		for rule in rules:
			rule.validate()
	rules = [rule for rule in rules if rule.weight > 0]

	total_weight = sum(rule.weight for rule in rules)
	scored = []
	for rule in rules:
		raw = raw_values.get(rule.key)
		if _has_data(raw):
			scored.append((rule, float(raw), score_measure(rule, float(raw))))
		else:
			scored.append((rule, None, None))

	weight_with_data = sum(rule.weight for rule, raw, _ in scored if raw is not None)
	results = []
	for rule, raw, measure_score in scored:
		if raw is None or weight_with_data == 0:
			results.append(
				MeasureResult(rule.key, raw, raw is not None, measure_score, rule.weight, 0.0, 0.0)
			)
			continue
		effective = rule.weight / weight_with_data
		results.append(
			MeasureResult(
				rule.key, raw, True, measure_score, rule.weight, effective, effective * measure_score
			)
		)

	if weight_with_data == 0:
		return HealthResult(None, 0.0, tuple(results))
	score = _clamp(sum(r.contribution for r in results))
	coverage = 100.0 * weight_with_data / total_weight
	return HealthResult(score, coverage, tuple(results))


def _clamp(value: float) -> float:
	return min(100.0, max(0.0, value))


@dataclass(frozen=True)
class Bands:
	"""Score thresholds, and the coverage (percent of the scorecard's weight with data) below which a
	score is shown but no band is claimed: a customer nobody knows anything about is not Healthy."""

	healthy_min: float = 75.0
	at_risk_min: float = 50.0
	coverage_floor: float = 50.0

	def validate(self) -> None:
		if not (0 < self.at_risk_min < self.healthy_min <= 100):
			raise ScoringError("bands_out_of_order")
		if not (0 <= self.coverage_floor <= 100):
			raise ScoringError("coverage_floor_range")

	def band_for(self, score: float | None, coverage: float, churned: bool = False) -> str:
		if score is None:
			return NO_DATA
		if churned:
			return CHURNED
		if coverage < self.coverage_floor:
			return INSUFFICIENT_DATA
		return self.band_by_score(score)

	def band_by_score(self, score: float) -> str:
		if score >= self.healthy_min:
			return HEALTHY
		if score >= self.at_risk_min:
			return AT_RISK
		return CRITICAL


def band_rank(band: str) -> int | None:
	return BAND_ORDER.index(band) if band in BAND_ORDER else None


def entered_worse_band(previous_band: str | None, new_band: str) -> bool:
	"""True when a customer moves from a scored band into a worse one (not on the first score)."""
	before, after = band_rank(previous_band or ""), band_rank(new_band)
	return before is not None and after is not None and after > before


@dataclass(frozen=True)
class Override:
	score: float
	reason: str
	expires_on: datetime

	def is_active(self, now: datetime) -> bool:
		return now < self.expires_on


def validate_override(score, reason: str | None, expires_on: datetime | None, now: datetime) -> None:
	if score is None or isinstance(score, bool) or not isinstance(score, int | float):
		raise ScoringError("override_score_missing")
	if not (0 <= score <= 100):
		raise ScoringError("override_score_range")
	if not (reason or "").strip():
		raise ScoringError("override_reason_missing")
	if expires_on is None:
		raise ScoringError("override_expiry_missing")
	if expires_on <= now:
		raise ScoringError("override_expiry_past")


def effective_score(
	computed: float | None, override: Override | None, now: datetime
) -> tuple[float | None, bool]:
	"""The score people see: an active override wins; the computed score is always kept beside it."""
	if override is not None and override.is_active(now):
		return float(override.score), True
	return computed, False


@dataclass(frozen=True)
class Driver:
	"""One measure's share in a score change, in score points."""

	key: str
	before: float
	after: float

	@property
	def delta(self) -> float:
		return self.after - self.before


def change_drivers(
	previous: Mapping[str, float], current: Mapping[str, float], limit: int = 3, min_points: float = 0.05
) -> list[Driver]:
	"""The measures whose contribution moved most between two computations, largest first."""
	keys = set(previous) | set(current)
	drivers = [Driver(key, previous.get(key, 0.0), current.get(key, 0.0)) for key in keys]
	drivers = [d for d in drivers if abs(d.delta) >= min_points]
	return sorted(drivers, key=lambda d: (-abs(d.delta), d.key))[:limit]
