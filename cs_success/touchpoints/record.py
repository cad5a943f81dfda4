"""Creating touchpoints, by hand or from their sources, never twice for one source event."""

from __future__ import annotations

import frappe
from frappe.utils import now_datetime


def touchpoint_source_enabled(setting: str) -> bool:
	return bool(frappe.get_cached_doc("CS Settings").get(setting))


def record_touchpoint(
	customer: str,
	touchpoint_type: str,
	summary: str,
	*,
	source_key: str | None = None,
	reference: tuple[str, str] | None = None,
	touchpoint_date=None,
	contact: str | None = None,
	channel: str | None = None,
	direction: str | None = None,
	sentiment: str = "Neutral",
	owner: str | None = None,
) -> str | None:
	"""Insert a touchpoint; with a `source_key`, only once however often the source is saved."""
	if not customer or not frappe.db.exists("Customer", customer):
		return None
	if source_key and frappe.db.exists("Touchpoint", {"source_key": source_key}):
		return None
	doc = frappe.get_doc(
		{
			"doctype": "Touchpoint",
			"customer": customer,
			"contact": contact,
			"touchpoint_type": touchpoint_type,
			"channel": channel,
			"direction": direction,
			"touchpoint_date": touchpoint_date or now_datetime(),
			"sentiment": sentiment,
			"summary": (summary or touchpoint_type)[:1000],
			"touchpoint_owner": owner,
			"reference_doctype": reference[0] if reference else None,
			"reference_name": reference[1] if reference else None,
			"source_key": source_key,
			"is_automatic": int(bool(source_key)),
		}
	)
	try:
		doc.insert(ignore_permissions=True)
	except frappe.UniqueValidationError:
		return None  # the same source event, recorded by a concurrent job
	return doc.name
