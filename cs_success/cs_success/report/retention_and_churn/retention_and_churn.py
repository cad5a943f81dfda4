# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.utils import add_days, getdate

from cs_success.analytics import (
	acquired_between,
	active_definition,
	active_on_days,
	column,
	describe_active,
	first_activity,
	periods,
	segment_customers,
	summary,
)
from cs_success.engine.retention import period_counts


def execute(filters=None):
	filters = frappe._dict(filters or {})
	definition, window = active_definition(filters)
	customers = segment_customers(filters)
	first = first_activity(definition, customers)
	from_date, to_date = getdate(filters.from_date), getdate(filters.to_date)
	report_periods = periods(from_date, to_date, filters.get("periodicity") or "Quarterly")
	# Every period's S and E in one pass: the day before each period and each period's last day.
	active = active_on_days(
		[day for start, end in report_periods for day in (add_days(start, -1), end)],
		definition,
		window,
		customers,
	)

	def counts_for(start, end):
		before = add_days(start, -1)
		return period_counts(active[before], active[end], acquired_between(first, before, end))

	data = []
	for start, end in report_periods:
		counts = counts_for(start, end)
		data.append(
			{
				"period": f"{start} – {end}",
				"from_date": start,
				"to_date": end,
				"start_customers": counts.start,
				"acquired": counts.acquired,
				"lost": counts.lost,
				"end_customers": counts.end,
				"retention_rate": counts.retention_rate,
				"churn_rate": counts.churn_rate,
			}
		)
	overall = counts_for(from_date, to_date)
	columns = [
		column("period", _("Period"), "Data", 200),
		column("start_customers", _("Customers at Start (S)"), "Int", 150),
		column("acquired", _("Acquired (N)"), "Int", 110),
		column("lost", _("Lost"), "Int", 90),
		column("end_customers", _("Customers at End (E)"), "Int", 150),
		column("retention_rate", _("Retention % ((E - N) / S)"), "Percent", 170),
		column("churn_rate", _("Churn % (Lost / S)"), "Percent", 140),
	]
	chart = {
		"data": {
			"labels": [row["period"] for row in data],
			"datasets": [
				{"name": _("Retention %"), "values": [round(row["retention_rate"] or 0, 2) for row in data]},
				{"name": _("Churn %"), "values": [round(row["churn_rate"] or 0, 2) for row in data]},
			],
		},
		"type": "line",
	}
	report_summary = [
		summary(overall.start, _("Customers at Start"), "Int"),
		summary(overall.acquired, _("Acquired"), "Int"),
		summary(overall.lost, _("Lost"), "Int", "Red"),
		summary(overall.end, _("Customers at End"), "Int"),
		summary(round(overall.retention_rate or 0, 2), _("Retention %"), "Percent", "Green"),
		summary(round(overall.churn_rate or 0, 2), _("Churn %"), "Percent", "Red"),
	]
	message = (
		describe_active(definition, window)
		+ " "
		+ _(
			"S: active the day before the period; E: active on its last day; N: first became active within it."
		)
	)
	return columns, data, message, chart, report_summary
