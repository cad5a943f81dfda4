"""Number cards for the Customer Success workspace."""

from __future__ import annotations

import frappe
from frappe.utils import add_days, now_datetime, today

from cs_success.engine.survey_metrics import csat_percent, nps


def _headline_scores(headline_type: str, days: int = 90) -> list[int]:
	return frappe.get_all(
		"Survey Response",
		filters={"headline_type": headline_type, "submitted_on": (">=", add_days(now_datetime(), -days))},
		pluck="headline_score",
	)


@frappe.whitelist()
def nps_last_90_days(filters=None) -> dict:
	frappe.has_permission("Survey Response", "read", throw=True)
	value = nps(_headline_scores("NPS"))
	return {"value": round(value, 1) if value is not None else 0, "fieldtype": "Float"}


@frappe.whitelist()
def csat_last_90_days(filters=None) -> dict:
	frappe.has_permission("Survey Response", "read", throw=True)
	value = csat_percent(_headline_scores("CSAT"))
	return {"value": round(value, 1) if value is not None else 0, "fieldtype": "Percent"}


@frappe.whitelist()
def renewals_due_in_30_days(filters=None) -> dict:
	frappe.has_permission("Customer Health", "read", throw=True)
	params = {"today": today(), "until": add_days(today(), 30)}
	count = frappe.db.sql(
		"""
		SELECT COUNT(*) FROM (
			SELECT name FROM `tabSubscription`
			WHERE party_type = 'Customer' AND status IN ('Active', 'Trialling', 'Past Due Date', 'Unpaid')
				AND end_date BETWEEN %(today)s AND %(until)s
			UNION ALL
			SELECT name FROM `tabContract`
			WHERE party_type = 'Customer' AND status = 'Active' AND docstatus < 2
				AND end_date BETWEEN %(today)s AND %(until)s
		) due
		""",
		params,
	)[0][0]
	return {"value": count, "fieldtype": "Int"}
