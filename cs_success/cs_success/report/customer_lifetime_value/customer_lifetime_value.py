# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.utils import add_days, date_diff, getdate

from cs_success.analytics import (
	acquired_between,
	active_at_period_bounds,
	active_definition,
	column,
	customer_attributes,
	describe_active,
	first_activity,
	revenue_by_customer,
	segment_customers,
	summary,
)
from cs_success.engine.retention import lifetime_value, period_counts


def execute(filters=None):
	filters = frappe._dict(filters or {})
	from_date, to_date = getdate(filters.from_date), getdate(filters.to_date)
	definition, window = active_definition(filters)
	margin = float(filters.gross_margin) if filters.get("gross_margin") not in (None, "") else None
	customers = segment_customers(filters)
	at_start, at_end = active_at_period_bounds(from_date, to_date, definition, window, customers)
	acquired = acquired_between(first_activity(definition, customers), add_days(from_date, -1), to_date)
	revenue = revenue_by_customer(from_date, to_date, customers)
	accounts = at_start | acquired
	groups = customer_attributes(accounts | set(revenue), ("customer_group",))
	years = (date_diff(to_date, from_date) + 1) / 365.0

	def segment_of(customer):
		return groups[customer].customer_group if customer in groups else _("Not Set")

	segments = sorted({segment_of(c) for c in accounts})
	data = []
	for segment in [*segments, None]:
		members = accounts if segment is None else {c for c in accounts if segment_of(c) == segment}
		counts = period_counts(
			{c for c in at_start if c in members},
			{c for c in at_end if c in members},
			{c for c in acquired if c in members},
		)
		total_revenue = sum(revenue.get(c, 0.0) for c in members)
		arpa = total_revenue / len(members) / years if members else 0.0
		churn = counts.churn_rate
		annual_churn = churn / years if churn is not None else None
		row = {
			"segment": segment or _("Total"),
			"accounts": len(members),
			"revenue": total_revenue,
			"arpa": arpa,
			"churn_rate": annual_churn,
			"lifespan_years": 100.0 / annual_churn if annual_churn else None,
			"clv": lifetime_value(arpa, annual_churn),
			"margin_clv": lifetime_value(arpa, annual_churn, margin) if margin is not None else None,
		}
		if segment is None:
			row["bold"] = 1
		data.append(row)

	columns = [
		column("segment", _("Customer Group"), "Data", 180),
		column("accounts", _("Accounts"), "Int", 90),
		column("revenue", _("Revenue"), "Currency", 130),
		column("arpa", _("ARPA (per Year)"), "Currency", 130),
		column("churn_rate", _("Churn % (per Year)"), "Percent", 130),
		column("lifespan_years", _("Lifespan (Years)"), "Float", 120),
		column("clv", _("CLV"), "Currency", 130),
		column("margin_clv", _("Margin-Adjusted CLV"), "Currency", 160),
	]
	chart = {
		"data": {
			"labels": [r["segment"] for r in data[:-1]],
			"datasets": [{"name": _("CLV"), "values": [round(r["clv"] or 0, 2) for r in data[:-1]]}],
		},
		"type": "bar",
	}
	total = data[-1]
	report_summary = [
		summary(total["arpa"], _("ARPA per Year"), "Currency"),
		summary(round(total["churn_rate"] or 0, 2), _("Churn % per Year"), "Percent"),
		summary(total["clv"] or 0, _("CLV"), "Currency", "Green"),
	]
	message = (
		describe_active(definition, window)
		+ " "
		+ _(
			"ARPA: revenue in the period per account active in it, per year. CLV = ARPA / yearly churn; empty when nobody churned."
		)
	)
	return columns, data, message, chart, report_summary
