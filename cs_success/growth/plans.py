"""The plans customers pay for: the ladder of Subscription Plans (each plan's monthly price for one unit,
within its item's group) and each customer's main plan and seats on a day."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from frappe.utils import flt

from cs_success.engine.expansion import Plan, Seats, monthly_unit_price
from cs_success.ledger.sources import plan_seats_on, subscription_plans


def plan_ladder() -> dict[str, Plan]:
	"""Every Subscription Plan with its monthly price for one unit, on the ladder of its item's group."""
	return {
		name: Plan(name, item or "", group, monthly_unit_price(flt(price), interval, count))
		for name, item, group, price, _currency, interval, count in subscription_plans()
		if price is not None
	}


def current_seats(names: Sequence[str], day: date, plans: dict[str, Plan]) -> dict[str, Seats]:
	"""customer -> its main plan (the line worth most a month) and that line's quantity, on `day`."""
	best = {}
	for customer, plan, qty in plan_seats_on(day, names):
		worth = flt(qty or 1) * (plans[plan].monthly_unit_price if plan in plans else 0.0)
		if customer not in best or worth > best[customer][0]:
			best[customer] = (worth, Seats(plan, flt(qty or 1)))
	return {customer: seats for customer, (_worth, seats) in best.items()}
