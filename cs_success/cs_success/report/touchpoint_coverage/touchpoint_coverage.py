# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.utils import add_days, date_diff, getdate, now_datetime, today

from cs_success.analytics import column, interactive_report, summary
from cs_success.base.permissions import customer_filter, segment_customers


@interactive_report("Touchpoint Coverage")
def execute(filters=None):
	filters = frappe._dict(filters or {})
	days = int(filters.get("days") or 30)
	customers = get_customers(filters)
	uncovered = get_data(customers, days)
	return (
		get_columns(),
		uncovered,
		None,
		get_chart(customers, uncovered),
		get_summary(customers, uncovered, days),
	)


def get_customers(filters) -> list:
	"""Every enabled customer in the segment with its last touchpoint, touchpoints in 90 days and band."""
	condition, params = customer_filter("c.name", segment_customers(filters))
	return frappe.db.sql(
		f"""
		SELECT c.name AS customer, c.customer_name, c.account_manager, h.band,
			MAX(t.touchpoint_date) AS last_touchpoint, SUM(t.touchpoint_date >= %(d90)s) AS touchpoints_90d
		FROM `tabCustomer` c
		LEFT JOIN `tabTouchpoint` t ON t.customer = c.name AND t.touchpoint_date <= %(now)s
		LEFT JOIN `tabCustomer Health` h ON h.customer = c.name
		WHERE c.disabled = 0 {condition}
		GROUP BY c.name, c.customer_name, c.account_manager, h.band
		""",
		{"d90": add_days(now_datetime(), -90), "now": now_datetime(), **params},
		as_dict=True,
	)


def get_data(customers: list, days: int) -> list:
	"""The customers not touched in `days` days: never touched first, then the longest untouched."""
	cutoff = add_days(getdate(today()), -days)
	uncovered = [r for r in customers if not r.last_touchpoint or getdate(r.last_touchpoint) < cutoff]
	for row in uncovered:
		row.days_since = date_diff(today(), row.last_touchpoint) if row.last_touchpoint else None
		row.touchpoints_90d = int(row.touchpoints_90d or 0)
	uncovered.sort(key=lambda r: (r.last_touchpoint is not None, r.last_touchpoint or ""))
	return uncovered


def get_columns() -> list[dict]:
	return [
		column("customer", _("Customer"), "Link", 180, "Customer"),
		column("customer_name", _("Customer Name"), "Data", 180),
		column("account_manager", _("Owner"), "Link", 160, "User"),
		column("last_touchpoint", _("Last Touchpoint"), "Datetime", 160),
		column("days_since", _("Days Since"), "Int", 100),
		column("touchpoints_90d", _("Touchpoints in 90 Days"), "Int", 150),
		column("band", _("Health Band"), "Data", 100),
	]


def get_chart(customers: list, uncovered: list) -> dict:
	never = sum(1 for r in uncovered if not r.last_touchpoint)
	return {
		"data": {
			"labels": [_("Covered"), _("Not Covered"), _("Never Touched")],
			"datasets": [
				{
					"name": _("Customers"),
					"values": [len(customers) - len(uncovered), len(uncovered) - never, never],
				}
			],
		},
		"type": "donut",
	}


def get_summary(customers: list, uncovered: list, days: int) -> list[dict]:
	covered = len(customers) - len(uncovered)
	return [
		# No customers: no coverage (shown empty), not 0 %.
		summary(covered, _("Touched in {0} Days").format(days), "Int", "Green"),
		summary(len(uncovered), _("Not Touched in {0} Days").format(days), "Int", "Red"),
		summary(
			round(100.0 * covered / len(customers), 1) if customers else None,
			_("Coverage %"),
			"Percent",
			precision=1,
		),
	]
