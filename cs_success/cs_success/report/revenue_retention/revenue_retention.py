# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.utils import add_days, date_diff, getdate

from cs_success.analytics import column, customer_attributes, revenue_by_customer, segment_customers, summary
from cs_success.engine.retention import revenue_retention


def execute(filters=None):
	filters = frappe._dict(filters or {})
	from_date, to_date = getdate(filters.from_date), getdate(filters.to_date)
	length = date_diff(to_date, from_date)
	previous_to = add_days(from_date, -1)
	previous_from = add_days(previous_to, -length)
	customers = segment_customers(filters)
	previous = revenue_by_customer(previous_from, previous_to, customers)
	current = revenue_by_customer(from_date, to_date, customers)
	groups = customer_attributes(set(previous) | set(current), ("customer_group",))

	data = []
	by_group = {}
	for customer in set(previous) | set(current):
		group = groups[customer].customer_group if customer in groups else None
		by_group.setdefault(group or _("Not Set"), ({}, {}))
		by_group[group or _("Not Set")][0][customer] = previous.get(customer, 0.0)
		by_group[group or _("Not Set")][1][customer] = current.get(customer, 0.0)
	for group, (before, after) in sorted(by_group.items()):
		data.append(row_for(group, revenue_retention(before, after)))
	total = revenue_retention(previous, current)
	data.append({**row_for(_("Total"), total), "bold": 1})

	columns = [
		column("segment", _("Customer Group"), "Data", 180),
		column("start_revenue", _("Start Revenue"), "Currency", 130),
		column("expansion", _("Expansion"), "Currency", 120),
		column("contraction", _("Contraction"), "Currency", 120),
		column("churned", _("Churned"), "Currency", 120),
		column("grr", _("GRR %"), "Percent", 90),
		column("nrr", _("NRR %"), "Percent", 90),
	]
	chart = {
		"data": {
			"labels": [row["segment"] for row in data[:-1]],
			"datasets": [
				{"name": _("GRR %"), "values": [round(row["grr"] or 0, 2) for row in data[:-1]]},
				{"name": _("NRR %"), "values": [round(row["nrr"] or 0, 2) for row in data[:-1]]},
			],
		},
		"type": "bar",
	}
	report_summary = [
		summary(total.start, _("Start Revenue"), "Currency"),
		summary(round(total.grr or 0, 2), _("Gross Revenue Retention %"), "Percent"),
		summary(round(total.nrr or 0, 2), _("Net Revenue Retention %"), "Percent", "Green"),
	]
	message = _(
		"Invoiced revenue (net, company currency, returns subtracted) from {0} to {1}, compared with the "
		"{2} days before ({3} to {4}). New customers' revenue is not counted."
	).format(from_date, to_date, length + 1, previous_from, previous_to)
	return columns, data, message, chart, report_summary


def row_for(segment, result) -> dict:
	return {
		"segment": segment,
		"start_revenue": result.start,
		"expansion": result.expansion,
		"contraction": result.contraction,
		"churned": result.churned,
		"grr": result.grr,
		"nrr": result.nrr,
	}
