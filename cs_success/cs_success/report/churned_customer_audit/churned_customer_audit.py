# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.utils import add_days, getdate

from cs_success.analytics import (
	active_at_period_bounds,
	active_definition,
	column,
	customer_attributes,
	describe_active,
	revenue_by_customer,
	segment_customers,
	summary,
)


def execute(filters=None):
	filters = frappe._dict(filters or {})
	from_date, to_date = getdate(filters.from_date), getdate(filters.to_date)
	definition, window = active_definition(filters)
	customers = segment_customers(filters)
	at_start, at_end = active_at_period_bounds(from_date, to_date, definition, window, customers)
	churned = at_start - at_end
	attributes = customer_attributes(churned)
	revenue = revenue_by_customer(add_days(from_date, -365), add_days(from_date, -1), list(churned) or [""])
	health = {
		row.customer: row
		for row in frappe.get_all(
			"Customer Health",
			filters={"customer": ("in", list(churned) or [""])},
			fields=["customer", "score", "band"],
		)
	}
	last_nps = latest_nps(churned)
	exit_answers = exit_survey_answers(churned)
	medium_from, large_from = (
		float(filters.get("medium_from") or 10000),
		float(filters.get("large_from") or 100000),
	)

	data = []
	for customer in sorted(churned):
		annual = revenue.get(customer, 0.0)
		size = _("Large") if annual >= large_from else _("Medium") if annual >= medium_from else _("Small")
		attrs = attributes.get(customer) or frappe._dict()
		data.append(
			{
				"customer": customer,
				"customer_name": attrs.customer_name,
				"customer_group": attrs.customer_group,
				"territory": attrs.territory,
				"size_band": size,
				"annual_revenue": annual,
				"last_health_score": health[customer].score
				if customer in health and health[customer].band != "No Data"
				else None,
				"last_health_band": health[customer].band if customer in health else None,
				"last_nps": last_nps.get(customer),
				"exit_answers": exit_answers.get(customer),
			}
		)
	chart_field = {"Territory": "territory", "Size Band": "size_band"}.get(
		filters.get("group_by"), "customer_group"
	)
	counts = {}
	for row in data:
		counts[row[chart_field] or _("Not Set")] = counts.get(row[chart_field] or _("Not Set"), 0) + 1
	columns = [
		column("customer", _("Customer"), "Link", 170, "Customer"),
		column("customer_group", _("Customer Group"), "Link", 140, "Customer Group"),
		column("territory", _("Territory"), "Link", 130, "Territory"),
		column("size_band", _("Size"), "Data", 80),
		column("annual_revenue", _("Revenue in the Year Before"), "Currency", 150),
		column("last_health_score", _("Last Health Score"), "Float", 120),
		column("last_health_band", _("Last Band"), "Data", 90),
		column("last_nps", _("Last NPS Answer"), "Int", 110),
		column("exit_answers", _("Exit Survey"), "Data", 300),
	]
	chart = {
		"data": {
			"labels": list(counts),
			"datasets": [{"name": _("Churned Customers"), "values": list(counts.values())}],
		},
		"type": "bar",
		"colors": ["#e24c4c"],
	}
	report_summary = [summary(len(data), _("Churned Customers"), "Int", "Red")]
	message = (
		describe_active(definition, window)
		+ " "
		+ _("Churned: active the day before the period, not active on its last day.")
	)
	return columns, data, message, chart, report_summary


def latest_nps(customers) -> dict:
	if not customers:
		return {}
	rows = frappe.get_all(
		"Survey Response",
		filters={"customer": ("in", list(customers)), "headline_type": "NPS"},
		fields=["customer", "headline_score"],
		order_by="submitted_on desc",
	)
	latest = {}
	for row in rows:
		latest.setdefault(row.customer, row.headline_score)
	return latest


def exit_survey_answers(customers) -> dict:
	"""The latest exit-survey answers per customer, as one line."""
	if not customers:
		return {}
	rows = frappe.db.sql(
		"""
		SELECT r.customer, r.name, a.question, a.score, a.has_score, a.answer, r.comment
		FROM `tabSurvey Response` r
		JOIN `tabSurvey Campaign` c ON c.name = r.campaign AND c.purpose = 'Exit'
		JOIN `tabSurvey Answer` a ON a.parent = r.name AND a.parenttype = 'Survey Response'
		WHERE r.customer IN %(customers)s
		ORDER BY r.submitted_on DESC, a.idx
		""",
		{"customers": tuple(customers)},
		as_dict=True,
	)
	first_response, lines = {}, {}
	for row in rows:
		response = first_response.setdefault(row.customer, row.name)
		if response != row.name:
			continue
		value = row.score if row.has_score else row.answer
		lines.setdefault(row.customer, []).append(f"{_(row.question)} {value}")
		if row.comment and f"{_('Comment')}: {row.comment}" not in lines[row.customer]:
			lines[row.customer].append(f"{_('Comment')}: {row.comment}")
	return {customer: " · ".join(parts) for customer, parts in lines.items()}
