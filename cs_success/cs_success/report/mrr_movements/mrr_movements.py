# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

"""Monthly recurring revenue month by month: where it came from and where it went. Every figure from
the revenue ledger; each month's ending MRR is its starting MRR plus its movements, always."""

import frappe
from frappe import _
from frappe.utils import add_days, get_first_day, getdate

from cs_success.analytics import column, interactive_report, periods, summary
from cs_success.base.permissions import require_revenue_access, segment_customers
from cs_success.ledger.queries import movements_by_month, mrr_on_days
from cs_success.ledger_reports import report_company

MOVEMENTS = ("New", "Expansion", "Reactivation", "Contraction", "Churn")
SUBTRACTED = ("Contraction", "Churn")


@interactive_report("MRR Movements")
@frappe.read_only()
def execute(filters=None):
	filters = frappe._dict(filters or {})
	require_revenue_access()
	company = report_company(filters)  # a user restricted to other companies may not pick this one
	months = periods(get_first_day(getdate(filters.from_date)), getdate(filters.to_date), "Monthly")
	customers = segment_customers(filters)
	data = get_data(company, months, customers)
	return get_columns(), data, get_message(), get_chart(data), get_summary(data)


def get_data(company: str, months, customers) -> list[dict]:
	if not months:
		return []
	start_mrr = sum(
		mrr_on_days(company, [add_days(months[0][0], -1)], customers)[add_days(months[0][0], -1)].values()
	)
	by_month = movements_by_month(company, months[0][0], months[-1][1], customers)
	data, mrr = [], start_mrr
	for start, end in months:
		moved = by_month.get((start.year, start.month), {})
		row = {"month": start.strftime("%Y-%m"), "from_date": start, "to_date": end, "starting_mrr": mrr}
		for kind in MOVEMENTS:
			row[frappe.scrub(kind)] = moved.get(kind, 0.0)
		mrr = mrr + sum(moved.get(kind, 0.0) * (-1 if kind in SUBTRACTED else 1) for kind in MOVEMENTS)
		row.update(
			ending_mrr=round(mrr, 2), arr=round(12 * mrr, 2), net_change=round(mrr - row["starting_mrr"], 2)
		)
		data.append(row)
	return data


def get_columns() -> list[dict]:
	currency = "Company:company:default_currency"
	return [
		column("month", _("Month"), "Data", 90),
		column("starting_mrr", _("Starting MRR"), "Currency", 130, currency),
		column("new", _("New"), "Currency", 110, currency),
		column("expansion", _("Expansion"), "Currency", 110, currency),
		column("reactivation", _("Reactivation"), "Currency", 110, currency),
		column("contraction", _("Contraction"), "Currency", 110, currency),
		column("churn", _("Churn"), "Currency", 110, currency),
		column("net_change", _("Net Change"), "Currency", 110, currency),
		column("ending_mrr", _("Ending MRR"), "Currency", 130, currency),
		column("arr", _("ARR"), "Currency", 130, currency),
	]


def get_chart(data: list[dict]) -> dict | None:
	"""A bridge per month: what came in above the axis, what went out below it, ending MRR as a line."""
	if not data:
		return None
	return {
		"data": {
			"labels": [row["month"] for row in data],
			"datasets": [
				*(
					{
						"name": _(kind),
						"chartType": "bar",
						"values": [
							# 0 - x, not -1 * x: no "-0" below the axis for an empty month
							0 - row[frappe.scrub(kind)] if kind in SUBTRACTED else row[frappe.scrub(kind)]
							for row in data
						],
					}
					for kind in MOVEMENTS
				),
				{"name": _("Ending MRR"), "chartType": "line", "values": [row["ending_mrr"] for row in data]},
			],
		},
		"type": "axis-mixed",
		"barOptions": {"stacked": 1},
		"colors": ["#2f9e44", "#74b816", "#1c7ed6", "#f59f00", "#e03131", "#495057"],
	}


def get_summary(data: list[dict]) -> list[dict]:
	if not data:
		return []
	first, last = data[0], data[-1]
	total = {kind: sum(row[frappe.scrub(kind)] for row in data) for kind in MOVEMENTS}
	currency = "Currency"
	return [
		summary(first["starting_mrr"], _("Starting MRR"), currency),
		summary(total["New"] + total["Expansion"] + total["Reactivation"], _("Added"), currency),
		summary(total["Contraction"] + total["Churn"], _("Lost"), currency),
		summary(last["ending_mrr"], _("Ending MRR"), currency),
		summary(last["arr"], _("ARR"), currency),
	]


def get_message() -> str:
	return _(
		"MRR: recurring revenue normalised to a month, in the company's currency (subscriptions, invoices "
		"spread over the period they pay for, contract values), from the revenue ledger. Ending MRR = "
		"starting + new + expansion + reactivation - contraction - churn."
	)
