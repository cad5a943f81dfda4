# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

"""Customer (logo) retention and churn by period, from the revenue ledger's active spans, with the
figures that make S, lost, N and E reconcile: S - lost + N - acquired_and_lost + reactivated = E."""

from bisect import bisect_left, bisect_right

import frappe
from frappe import _
from frappe.utils import add_days, getdate

from cs_success.analytics import column, interactive_report, periods, summary
from cs_success.base.permissions import segment_customers
from cs_success.engine.retention import period_counts
from cs_success.ledger.queries import active_on_days, events_between


@interactive_report("Retention and Churn")
@frappe.read_only()
def execute(filters=None):
	filters = frappe._dict(filters or {})
	from_date, to_date = getdate(filters.from_date), getdate(filters.to_date)
	report_periods = periods(from_date, to_date, filters.get("periodicity") or "Quarterly")
	customers = segment_customers(filters)
	# Every period's S and E in one pass: the day before each period and each period's last day.
	active = active_on_days(
		[day for start, end in report_periods for day in (add_days(start, -1), end)], customers
	)
	acquired = events_between(add_days(from_date, -1), to_date, "Acquired", customers)
	# Every acquisition by day, so that a period's are a slice (one pass over 100,000 customers per period
	# was a quarter of the report's time).
	acquisitions = sorted((day, customer) for customer, days in acquired.items() for day in days)
	acquisition_days = [day for day, _customer in acquisitions]

	def figures(start, end) -> dict:
		at_start, at_end = active[getdate(add_days(start, -1))], active[getdate(end)]
		first, last = bisect_left(acquisition_days, start), bisect_right(acquisition_days, end)
		new = {customer for _day, customer in acquisitions[first:last]}
		counts = period_counts(at_start, at_end, new)
		return {
			"period": f"{start} – {end}",
			"from_date": start,
			"to_date": end,
			"start_customers": counts.start,
			"lost": counts.lost,
			"retained": len(at_start & at_end),
			"acquired": counts.acquired,
			"acquired_and_lost": len(new - at_end),
			"reactivated": len(at_end - at_start - new),
			"end_customers": counts.end,
			"retention_rate": counts.retention_rate,
			"retained_rate": 100.0 * len(at_start & at_end) / counts.start if counts.start else None,
			"churn_rate": counts.churn_rate,
		}

	data = [figures(start, end) for start, end in report_periods]
	return get_columns(), data, get_message(), get_chart(data), get_summary(figures(from_date, to_date))


def get_columns() -> list[dict]:
	return [
		column("period", _("Period"), "Data", 190),
		column("start_customers", _("Customers at Start (S)"), "Int", 140),
		column("lost", _("Lost"), "Int", 70),
		column("retained", _("Retained (in S and E)"), "Int", 140),
		column("acquired", _("Acquired (N)"), "Int", 100),
		column("acquired_and_lost", _("Acquired and Lost"), "Int", 130),
		column("reactivated", _("Reactivated"), "Int", 100),
		column("end_customers", _("Customers at End (E)"), "Int", 140),
		column("retention_rate", _("Retention % ((E - N) / S)"), "Percent", 160),
		column("retained_rate", _("Retained % (Retained / S)"), "Percent", 160),
		column("churn_rate", _("Churn % (Lost / S)"), "Percent", 130),
	]


def get_chart(data: list[dict]) -> dict | None:
	rows = [row for row in data if row["start_customers"]]
	if not rows:
		return None
	return {
		"data": {
			"labels": [row["period"] for row in rows],
			"datasets": [
				{"name": _("Retention %"), "values": [round(row["retention_rate"], 2) for row in rows]},
				{"name": _("Churn %"), "values": [round(row["churn_rate"], 2) for row in rows]},
			],
		},
		"type": "line",
		"colors": ["#2f9e44", "#e03131"],
	}


def get_summary(overall: dict) -> list[dict]:
	"""The whole range as one period. Rates are empty, and uncoloured, when nobody was active at its start."""
	has_start = bool(overall["start_customers"])
	return [
		summary(overall["start_customers"], _("Customers at Start"), "Int"),
		summary(overall["acquired"], _("Acquired"), "Int"),
		summary(overall["lost"], _("Lost"), "Int", "Red"),
		summary(overall["reactivated"], _("Reactivated"), "Int"),
		summary(overall["end_customers"], _("Customers at End"), "Int"),
		summary(
			round(overall["retention_rate"], 2) if has_start else None,
			_("Retention %"),
			"Percent",
			rate_colour(overall["retention_rate"]) if has_start else None,
		),
		summary(
			round(overall["churn_rate"], 2) if has_start else None,
			_("Churn %"),
			"Percent",
			"Red" if has_start and overall["lost"] else None,
		),
	]


def rate_colour(rate: float) -> str:
	"""Green only for a retention a manager can be content with."""
	return "Green" if rate >= 90 else "Orange" if rate >= 70 else "Red"


def get_message() -> str:
	return _(
		"Active: the customer had recurring revenue or a signed agreement that day (revenue ledger). S: active "
		"the day before the period; E: active on its last day; N: acquired (first ever active day) within it. "
		"Retention % = (E - N) / S as the seed definition has it: customers who came back count in E, so it can "
		"pass 100 %. Retained % counts only S customers still active at the end. "
		"S - Lost + N - Acquired and Lost + Reactivated = E."
	)
