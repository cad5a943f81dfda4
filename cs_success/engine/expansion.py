"""Expansion: which existing customers have room to grow, and by how much, without Frappe (DOMAIN.md,
"Growth: expansion and advocacy").

Five signals, each a code and the figures that explain it (translated and worded on the Frappe side):
- SEAT_PRESSURE: the usage metric that counts seats is at or above a share of the seats paid for;
- GROWING: band Healthy and that usage up by at least a share over 30 or 90 days;
- PROMOTER: a recent top answer (NPS 9-10, CSAT 5) from the customer's decision-maker;
- WHITE_SPACE: item groups that enough of the customer's peers (same customer group and territory) buy
  and it does not;
- RENEWAL_ROOM: a renewal due soon for a customer with any of the above.

The uplift is what the next step would add to the MRR: the next plan up the ladder of its item group
(next plan's monthly unit price minus the current one's, times the seats), or, with no plan to climb, what
the peers pay a month for the missing item groups (their median). The propensity (the probability of an
Expansion movement within 90 days) is churn_risk.py's model with another label.
"""

from __future__ import annotations

import bisect
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

SEAT_PRESSURE = "seat_pressure"
GROWING = "growing"
PROMOTER = "promoter"
WHITE_SPACE = "white_space"
RENEWAL_ROOM = "renewal_room"
# In the order a person reads them: the strongest reason to call first.
SIGNAL_ORDER = (SEAT_PRESSURE, GROWING, PROMOTER, WHITE_SPACE, RENEWAL_ROOM)

# Months in each billing interval of an ERPNext Subscription Plan; a day or a week is 12/365 and 12/52.
MONTHS_PER_INTERVAL = {"Month": 1.0, "Year": 12.0, "Day": 12.0 / 365.0, "Week": 12.0 / 52.0}


@dataclass(frozen=True)
class Plan:
	"""A Subscription Plan on the ladder of its item group: its monthly price for one unit."""

	name: str
	item: str
	item_group: str
	monthly_unit_price: float


@dataclass(frozen=True)
class Seats:
	"""What the customer pays for now: the plan (None when billed otherwise) and the seats (its quantity)."""

	plan: str | None
	seats: float


@dataclass(frozen=True)
class Settings:
	seat_share: float = 0.9  # SEAT_PRESSURE at or above this share of the seats
	growth_share: float = 0.1  # GROWING: usage up by at least this share
	min_peers: int = 5  # WHITE_SPACE needs at least this many peers...
	peer_share: float = 0.3  # ...of whom at least this share buy the item group
	renewal_days: int = 90  # RENEWAL_ROOM: a renewal due within this many days


@dataclass
class CustomerFacts:
	"""What the signals read of one customer on the day; None where there is nothing to read."""

	band: str | None = None
	seats: Seats | None = None
	seats_used: float | None = None
	usage_now: float | None = None
	usage_30_days_ago: float | None = None
	usage_90_days_ago: float | None = None
	promoter_score: tuple[str, int] | None = None  # (question type, score) of the decision-maker's answer
	item_groups: frozenset = frozenset()
	days_to_renewal: float | None = None


@dataclass(frozen=True)
class Signal:
	kind: str
	values: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Assessment:
	signals: tuple[Signal, ...]
	next_plan: str | None = None
	item_groups: tuple[str, ...] = ()
	uplift_mrr: float | None = None


def seat_share(used: float | None, seats: float | None) -> float | None:
	"""Seats used over seats paid for; None without both (no seats is not full)."""
	if used is None or not seats or seats <= 0:
		return None
	return used / seats


def growth_share(now: float | None, before: float | None) -> float | None:
	"""Relative change from `before` to `now`; None when there was nothing before to grow from."""
	if now is None or before is None or before <= 0:
		return None
	return (now - before) / before


def monthly_unit_price(cost: float, interval: str | None, interval_count: int | None) -> float:
	months = MONTHS_PER_INTERVAL.get(interval or "Month", 1.0) * max(int(interval_count or 1), 1)
	return float(cost) / months


def next_plan(plans: Mapping[str, Plan], current: str | None) -> Plan | None:
	"""The cheapest plan of the current plan's item group that costs more a month; None at the top."""
	plan = plans.get(current) if current else None
	if plan is None:
		return None
	dearer = [
		p
		for p in plans.values()
		if p.item_group == plan.item_group and p.monthly_unit_price > plan.monthly_unit_price + 1e-9
	]
	return min(dearer, key=lambda p: (p.monthly_unit_price, p.name)) if dearer else None


def white_space(
	bought: Iterable[str], peer_buyers: Mapping[str, int], peers: int, settings: Settings
) -> tuple[str, ...]:
	"""Item groups at least `peer_share` of at least `min_peers` peers buy and this customer does not."""
	if peers < settings.min_peers:
		return ()
	have = set(bought)
	return tuple(
		sorted(
			group
			for group, buyers in peer_buyers.items()
			if group not in have and buyers >= settings.peer_share * peers - 1e-9
		)
	)


def assess(
	facts: CustomerFacts,
	settings: Settings,
	plans: Mapping[str, Plan],
	peer_buyers: Mapping[str, int],
	peers: int,
	peer_monthly_spend: Mapping[str, Sequence[float]],
	healthy_band: str,
	top_scores: Mapping[str, int],
) -> Assessment:
	"""The customer's signals, the step up they suggest and its MRR. `peer_monthly_spend`: item group ->
	what each peer buying it pays for it a month; `top_scores`: question type -> the lowest top score."""
	signals = []
	share = seat_share(facts.seats_used, facts.seats.seats if facts.seats else None)
	if share is not None and share >= settings.seat_share - 1e-9:
		signals.append(
			Signal(SEAT_PRESSURE, {"used": facts.seats_used, "seats": facts.seats.seats, "share": share})
		)
	if facts.band == healthy_band:
		for days, before in ((30, facts.usage_30_days_ago), (90, facts.usage_90_days_ago)):
			change = growth_share(facts.usage_now, before)
			if change is not None and change >= settings.growth_share - 1e-9:
				signals.append(Signal(GROWING, {"days": days, "share": change, "now": facts.usage_now}))
				break
	if facts.promoter_score:
		question_type, score = facts.promoter_score
		if score >= top_scores.get(question_type, float("inf")):
			signals.append(Signal(PROMOTER, {"question_type": question_type, "score": score}))
	groups = white_space(facts.item_groups, peer_buyers, peers, settings)
	if groups:
		signals.append(Signal(WHITE_SPACE, {"item_groups": list(groups), "peers": peers}))
	if signals and facts.days_to_renewal is not None and 0 <= facts.days_to_renewal <= settings.renewal_days:
		signals.append(Signal(RENEWAL_ROOM, {"days": int(facts.days_to_renewal)}))

	if not signals:
		return Assessment(())
	current = facts.seats.plan if facts.seats else None
	step = next_plan(plans, current)
	if step is not None:
		uplift = (step.monthly_unit_price - plans[current].monthly_unit_price) * max(facts.seats.seats, 1)
		return Assessment(tuple(signals), next_plan=step.name, item_groups=groups, uplift_mrr=uplift)
	spends = [statistics.median(peer_monthly_spend[g]) for g in groups if peer_monthly_spend.get(g)]
	return Assessment(tuple(signals), item_groups=groups, uplift_mrr=sum(spends) if spends else None)


def expanded_within(
	expansion_days: Mapping[str, Sequence[int]], customer: str, day: int, horizon: int
) -> bool:
	"""Whether the customer had an Expansion movement in (day, day + horizon]; days as ordinals, sorted."""
	days = expansion_days.get(customer)
	if not days:
		return False
	i = bisect.bisect_right(days, day)
	return i < len(days) and days[i] <= day + horizon
