# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

"""Gross and net revenue retention by period (and segment), from ledger MRR: the customers with MRR the
day before a period starts, and what their MRR was on its last day."""

import frappe
from frappe import _
from frappe.utils import add_days, getdate

from cs_success.analytics import column, customer_attributes, interactive_report, periods, summary
from cs_success.base.permissions import require_revenue_access, segment_customers
from cs_success.engine.retention import revenue_retention
from cs_success.ledger.queries import mrr_on_days, period_retention
from cs_success.ledger_reports import report_company

SEGMENT_FIELDS = {"Customer Group": "customer_group", "Territory": "territory"}


@interactive_report("Revenue Retention")
@frappe.read_only()
def execute(filters=None):
	filters = frappe._dict(filters or {})
	require_revenue_access()
	filters.company = report_company(filters)  # a user restricted to other companies may not pick this one
	report_periods = periods(
		getdate(filters.from_date), getdate(filters.to_date), filters.periodicity or "Quarterly"
	)
	data = get_data(filters, report_periods)
	return get_columns(filters), data, get_message(), get_chart(data), get_summary(data)


def get_data(filters, report_periods) -> list[dict]:
	customers = segment_customers(filters)
	days = [day for start, end in report_periods for day in (add_days(start, -1), end)]
	mrr = mrr_on_days(filters.company, days, customers)
	segment_field = SEGMENT_FIELDS.get(filters.get("segment_by"))
	attributes = (
		customer_attributes({c for by_customer in mrr.values() for c in by_customer}, (segment_field,))
		if segment_field
		else {}
	)
	data = []
	for start, end in report_periods:
		before, after = mrr[getdate(add_days(start, -1))], mrr[getdate(end)]
		period = f"{start} – {end}"
		# The same function as the workspace's NRR card (ledger/queries.py).
		data.append({**row_for(period, _("All Customers"), period_retention(mrr, start, end)), "bold": 1})
		if not segment_field:
			continue
		segments = {}
		for customer in before:
			value = attributes[customer].get(segment_field) if customer in attributes else None
			segments.setdefault(value or _("Not Set"), set()).add(customer)
		for segment, members in sorted(segments.items()):
			result = revenue_retention(
				{c: before[c] for c in members}, {c: after.get(c, 0.0) for c in members}
			)
			data.append({**row_for(period, segment, result), "indent": 1})
	return data


def row_for(period: str, segment: str, result) -> dict:
	"""An empty period (no MRR at its start) shows empty rates, never 0 %."""
	return {
		"period": period,
		"segment": segment,
		"start_mrr": result.start,
		"expansion": result.expansion,
		"contraction": result.contraction,
		"churned": result.churned,
		"end_mrr": result.start + result.expansion - result.contraction - result.churned,
		"grr": result.grr,
		"nrr": result.nrr,
	}


def get_columns(filters) -> list[dict]:
	currency = "Company:company:default_currency"
	return [
		column("period", _("Period"), "Data", 190),
		column("segment", _(filters.get("segment_by") or "Segment"), "Data", 150),
		column("start_mrr", _("MRR at Start"), "Currency", 120, currency),
		column("expansion", _("Expansion"), "Currency", 110, currency),
		column("contraction", _("Contraction"), "Currency", 110, currency),
		column("churned", _("Churned"), "Currency", 110, currency),
		column("end_mrr", _("Their MRR at End"), "Currency", 130, currency),
		column("grr", _("GRR %"), "Percent", 90),
		column("nrr", _("NRR %"), "Percent", 90),
	]


def get_chart(data: list[dict]) -> dict | None:
	totals = [row for row in data if row.get("bold") and row["grr"] is not None]
	if not totals:
		return None
	return {
		"data": {
			"labels": [row["period"] for row in totals],
			"datasets": [
				{"name": _("GRR %"), "values": [round(row["grr"], 2) for row in totals]},
				{"name": _("NRR %"), "values": [round(row["nrr"], 2) for row in totals]},
			],
		},
		"type": "line",
		"colors": ["#e8590c", "#1c7ed6"],
	}


def get_summary(data: list[dict]) -> list[dict]:
	"""The latest period with MRR at its start; nothing at all when there is none."""
	totals = [row for row in data if row.get("bold") and row["start_mrr"]]
	if not totals:
		return []
	latest = totals[-1]
	return [
		summary(latest["start_mrr"], _("MRR at Start ({0})").format(latest["period"]), "Currency"),
		summary(round(latest["grr"], 2), _("Gross Revenue Retention %"), "Percent"),
		summary(round(latest["nrr"], 2), _("Net Revenue Retention %"), "Percent"),
	]


def get_message() -> str:
	return _(
		"From the revenue ledger, in the company's currency. For each period: the customers with MRR the day "
		"before it starts, and their MRR on its last day (customers acquired during the period are in neither). "
		"GRR = (start - contraction - churned) / start; NRR = (start + expansion - contraction - churned) / "
		"start, where a customer that left and came back within the period counts at its ending MRR."
	)
