"""Set-based reads of the revenue ledger for reports, cards and health: who was active and what MRR each
customer had on given days, and the lifecycle events in a range. Every report figure on revenue,
retention and renewal comes through here.

A conditional aggregate per day, so a report with many periods still scans each ledger table once."""

from collections.abc import Sequence
from datetime import date

import frappe
from frappe.utils import add_days, getdate

from cs_success.engine.retention import RevenueRetention, revenue_retention

FAR_FUTURE = "9999-12-31"


def _customer_condition(column: str, customers: Sequence[str] | None) -> tuple[str, dict]:
	if customers is None:
		return "", {}
	return f" AND {column} IN %(segment)s", {"segment": tuple(customers) or ("",)}


def _days(days) -> list[date]:
	return sorted({getdate(day) for day in days})


def mrr_on_days(company: str, days, customers: Sequence[str] | None = None) -> dict[date, dict[str, float]]:
	"""day -> {customer: MRR at `company` on that day}, customers with MRR only."""
	days = _days(days)
	if not days:
		return {}
	condition, params = _customer_condition("customer", customers)
	sums = ", ".join(
		f"SUM(CASE WHEN from_date <= %(day{i})s AND IFNULL(to_date, %(far)s) >= %(day{i})s THEN mrr ELSE 0 END)"
		for i in range(len(days))
	)
	rows = frappe.db.sql(
		f"""SELECT customer, {sums} FROM `tabMRR Interval`
		WHERE company = %(company)s AND from_date <= %(last)s AND IFNULL(to_date, %(far)s) >= %(first)s
			{condition}
		GROUP BY customer""",
		{
			**{f"day{i}": day for i, day in enumerate(days)},
			**params,
			"company": company,
			"far": FAR_FUTURE,
			"first": days[0],
			"last": days[-1],
		},
	)
	result = {day: {} for day in days}
	for customer, *amounts in rows:
		for day, amount in zip(days, amounts, strict=True):
			if amount and amount > 0:
				result[day][customer] = float(amount)
	return result


def active_on_days(days, customers: Sequence[str] | None = None) -> dict[date, set[str]]:
	"""day -> customers active that day (recurring revenue or a signed agreement, any company)."""
	days = _days(days)
	if not days:
		return {}
	condition, params = _customer_condition("customer", customers)
	flags = ", ".join(
		f"MAX(from_date <= %(day{i})s AND IFNULL(to_date, %(far)s) >= %(day{i})s)" for i in range(len(days))
	)
	rows = frappe.db.sql(
		f"""SELECT customer, {flags} FROM `tabCustomer Active Span`
		WHERE from_date <= %(last)s AND IFNULL(to_date, %(far)s) >= %(first)s {condition}
		GROUP BY customer""",
		{
			**{f"day{i}": day for i, day in enumerate(days)},
			**params,
			"far": FAR_FUTURE,
			"first": days[0],
			"last": days[-1],
		},
	)
	result = {day: set() for day in days}
	for customer, *flags in rows:
		for day, flag in zip(days, flags, strict=True):
			if flag:
				result[day].add(customer)
	return result


def events_between(
	start: date, end: date, event_type: str, customers: Sequence[str] | None = None
) -> dict[str, list[date]]:
	"""customer -> dates of its lifecycle events of this type within [start, end]."""
	condition, params = _customer_condition("customer", customers)
	rows = frappe.db.sql(
		f"""SELECT customer, event_date FROM `tabCustomer Lifecycle Event`
		WHERE event_type = %(event_type)s AND event_date BETWEEN %(start)s AND %(end)s {condition}""",
		{**params, "event_type": event_type, "start": getdate(start), "end": getdate(end)},
	)
	result: dict[str, list[date]] = {}
	for customer, on in rows:
		result.setdefault(customer, []).append(getdate(on))
	return result


def ledger_is_empty() -> bool:
	return not frappe.db.sql("SELECT 1 FROM `tabCustomer Active Span` LIMIT 1")


# Readers for the workspace's revenue cards. They answer what the revenue reports answer for the same day or
# period, through the same functions (MRR Movements: MRR on a day; Revenue Retention: period_retention).


def company_has_mrr(company: str, customers: Sequence[str] | None = None) -> bool:
	"""Whether the ledger holds any MRR at `company` (of `customers`), ever: without it a total is "no data",
	not 0."""
	filters = {"company": company}
	if customers is not None:
		filters["customer"] = ("in", list(customers) or [""])
	return bool(frappe.db.exists("MRR Interval", filters))


def total_mrr_on(company: str, day, customers: Sequence[str] | None = None) -> float:
	"""The MRR of every customer at `company` on `day` (with `customers`: of those only)."""
	day = getdate(day)
	return sum(mrr_on_days(company, [day], customers)[day].values())


def period_retention(mrr: dict[date, dict[str, float]], start, end) -> RevenueRetention:
	"""Revenue retention of the period [start, end], as the Revenue Retention report computes each of its
	periods: the customers with MRR the day before it starts, and their MRR on its last day. `mrr`: an
	mrr_on_days answer that holds both days."""
	return revenue_retention(mrr[getdate(add_days(start, -1))], mrr[getdate(end)])


def revenue_retention_over(
	company: str, start, end, customers: Sequence[str] | None = None
) -> RevenueRetention:
	"""period_retention of one period, read from the ledger."""
	return period_retention(mrr_on_days(company, [add_days(start, -1), end], customers), start, end)
