# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

import frappe
from frappe import _

from cs_success.analytics import column, interactive_report, summary
from cs_success.base.permissions import segment_customers

PROGRESS_BUCKETS = ("0-25%", "25-50%", "50-75%", "75-100%")


@interactive_report("Success Plan Progress")
def execute(filters=None):
	filters = frappe._dict(filters or {})
	data = get_data(filters)
	return get_columns(), data, None, get_chart(data), get_summary(data)


def get_data(filters) -> list:
	"""The plans in the chosen status and segment, least progress first."""
	conditions = {"status": filters.status} if filters.get("status") else {}
	customers = segment_customers(filters)
	if customers is not None:
		conditions["customer"] = ("in", customers or [""])
	return frappe.get_all(
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


def get_columns() -> list[dict]:
	return [
		column("name", _("Plan"), "Link", 120, "Success Plan"),
		column("plan_title", _("Title"), "Data", 220),
		column("customer", _("Customer"), "Link", 170, "Customer"),
		column("status", _("Status"), "Data", 90),
		column("plan_owner", _("Owner"), "Link", 150, "User"),
		column("target_date", _("Target Date"), "Date", 110),
		column("progress", _("Progress"), "Percent", 100),
		column("overdue_items", _("Overdue Items"), "Int", 110),
	]


def get_chart(data: list) -> dict:
	"""Plans per quarter of progress (100 % falls in the last bucket)."""
	buckets = dict.fromkeys(PROGRESS_BUCKETS, 0)
	for plan in data:
		buckets[PROGRESS_BUCKETS[min(3, int((plan.progress or 0) // 25))]] += 1
	return {
		"data": {
			"labels": list(buckets),
			"datasets": [{"name": _("Plans"), "values": list(buckets.values())}],
		},
		"type": "bar",
	}


def get_summary(data: list) -> list[dict]:
	# No plans: no average (shown empty), not 0 %.
	average = round(sum(p.progress or 0 for p in data) / len(data), 1) if data else None
	overdue = sum(p.overdue_items or 0 for p in data)
	return [
		summary(len(data), _("Plans"), "Int"),
		summary(average, _("Average Progress"), "Percent", precision=1),
		summary(overdue, _("Overdue Items"), "Int", "Red"),
	]
