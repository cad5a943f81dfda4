# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

import frappe
from frappe import _

from cs_success.analytics import column, interactive_report, segment_customers, summary


@interactive_report("Success Plan Progress")
def execute(filters=None):
	filters = frappe._dict(filters or {})
	conditions = {"status": filters.status} if filters.get("status") else {}
	customers = segment_customers(filters)
	if customers is not None:
		conditions["customer"] = ("in", customers or [""])
	data = frappe.get_all(
		"Success Plan",
		filters=conditions,
		fields=[
			"name",
			"plan_title",
			"customer",
			"status",
			"plan_owner",
			"start_date",
			"target_date",
			"progress",
			"overdue_items",
		],
		order_by="progress asc",
	)
	columns = [
		column("name", _("Plan"), "Link", 120, "Success Plan"),
		column("plan_title", _("Title"), "Data", 220),
		column("customer", _("Customer"), "Link", 170, "Customer"),
		column("status", _("Status"), "Data", 90),
		column("plan_owner", _("Owner"), "Link", 150, "User"),
		column("target_date", _("Target Date"), "Date", 110),
		column("progress", _("Progress"), "Percent", 100),
		column("overdue_items", _("Overdue Items"), "Int", 110),
	]
	buckets = {"0-25%": 0, "25-50%": 0, "50-75%": 0, "75-100%": 0}
	for plan in data:
		key = list(buckets)[min(3, int((plan.progress or 0) // 25))]
		buckets[key] += 1
	chart = {
		"data": {
			"labels": list(buckets),
			"datasets": [{"name": _("Plans"), "values": list(buckets.values())}],
		},
		"type": "bar",
	}
	average = sum(p.progress or 0 for p in data) / len(data) if data else 0
	report_summary = [
		summary(len(data), _("Plans"), "Int"),
		summary(round(average, 1), _("Average Progress"), "Percent"),
		summary(sum(p.overdue_items or 0 for p in data), _("Overdue Items"), "Int", "Red"),
	]
	return columns, data, None, chart, report_summary
