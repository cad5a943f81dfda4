"""Retention, churn, renewal, revenue retention and lifetime value, without Frappe.

Definitions (DOMAIN.md):
- Customer retention rate = ((E - N) / S) * 100; S customers at the start, E at the end, N acquired.
- Churn rate = customers lost in the period / S.
- Renewal rate = renewed / due for renewal * 100 (by count or by value).
- GRR = (start revenue - churned - contraction) / start; NRR = (start + expansion - churned - contraction) / start.
- CLV = average revenue per account / churn rate; margin-adjusted CLV multiplies by gross margin.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class PeriodCounts:
	start: int  # S
	acquired: int  # N
	lost: int
	end: int  # E

	@property
	def retention_rate(self) -> float | None:
		return 100.0 * (self.end - self.acquired) / self.start if self.start else None

	@property
	def churn_rate(self) -> float | None:
		return 100.0 * self.lost / self.start if self.start else None


def period_counts(active_at_start: set, active_at_end: set, acquired: set) -> PeriodCounts:
	"""`acquired`: customers whose first activity began within the period."""
	return PeriodCounts(
		start=len(active_at_start),
		acquired=len(acquired),
		lost=len(active_at_start - active_at_end),
		end=len(active_at_end),
	)


def renewal_rate(renewed: float, due: float) -> float | None:
	return 100.0 * renewed / due if due else None


@dataclass(frozen=True)
class RevenueRetention:
	start: float
	expansion: float
	contraction: float
	churned: float

	@property
	def grr(self) -> float | None:
		return 100.0 * (self.start - self.churned - self.contraction) / self.start if self.start else None

	@property
	def nrr(self) -> float | None:
		if not self.start:
			return None
		return 100.0 * (self.start + self.expansion - self.churned - self.contraction) / self.start


def revenue_retention(previous: Mapping[str, float], current: Mapping[str, float]) -> RevenueRetention:
	"""Per customer revenue in the previous and the current period. Only customers with revenue in
	the previous period count: new customers' revenue is neither expansion nor retention."""
	start = expansion = contraction = churned = 0.0
	for customer, before in previous.items():
		if before <= 0:
			continue
		after = max(0.0, current.get(customer, 0.0))
		start += before
		if after == 0:
			churned += before
		elif after < before:
			contraction += before - after
		else:
			expansion += after - before
	return RevenueRetention(start, expansion, contraction, churned)


def lifetime_value(arpa: float, churn_rate_percent: float | None, gross_margin_percent: float | None = None):
	"""CLV = ARPA / churn rate (lifespan = 1 / churn), optionally times gross margin.
	None when nobody churned: the lifespan is unbounded by the data."""
	if not churn_rate_percent:
		return None
	value = arpa / (churn_rate_percent / 100.0)
	if gross_margin_percent is not None:
		value *= gross_margin_percent / 100.0
	return value
