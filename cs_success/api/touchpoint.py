"""Quick entry of a touchpoint from the Customer form."""

from __future__ import annotations

import frappe


@frappe.whitelist(methods=["POST"])
def log_touchpoint(
	customer: str,
	touchpoint_type: str,
	summary: str,
	sentiment: str = "Neutral",
	contact: str | None = None,
	notes: str | None = None,
	touchpoint_date: str | None = None,
) -> str:
	doc = frappe.get_doc(
		{
			"doctype": "Touchpoint",
			"customer": customer,
			"contact": contact,
			"touchpoint_type": touchpoint_type,
			"summary": summary,
			"notes": notes,
			"sentiment": sentiment,
			"touchpoint_date": touchpoint_date or frappe.utils.now_datetime(),
		}
	)
	doc.insert()  # permissions apply: CS Agent and CS Manager may create
	return doc.name
