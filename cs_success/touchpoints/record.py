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


def fold_customer_touchpoints(old_name: str, new_name: str) -> None:
	"""A merge: touchpoints move over; one email recorded once per customer (its source key names the
	customer) is kept once, the survivor's, and the moved ones take the survivor's key."""
	suffix = f":{old_name}"
	for row in frappe.get_all(
		"Touchpoint",
		filters={"customer": old_name, "source_key": ("like", f"Communication:%{suffix}")},
		fields=["name", "source_key"],
	):
		if not row.source_key.endswith(suffix):  # LIKE's _ and % in a customer name
			continue
		key = row.source_key[: -len(suffix)] + f":{new_name}"
		if frappe.db.exists("Touchpoint", {"source_key": key}):
			frappe.db.delete("Touchpoint", {"name": row.name})
		else:
			frappe.db.set_value("Touchpoint", row.name, "source_key", key, update_modified=False)


# Engagement is the team's contact with the customer. Ticket and survey touchpoints are the customer
# reaching out, with measures of their own; counted as contact, a customer in trouble (who opens
# tickets) would look engaged. The health measure, the No Touchpoint trigger and the cockpit's quiet
# customers all read contact through this one definition.
CUSTOMER_INITIATED_TYPES = ("Ticket", "Survey")


def team_contact_condition(column: str = "touchpoint_type") -> str:
	"""SQL: the touchpoint is the team's contact (not a ticket or survey answer)."""
	return f"{column} NOT IN ({', '.join(repr(t) for t in CUSTOMER_INITIATED_TYPES)})"


def last_team_contact(customers=None) -> dict:
	"""customer -> the datetime of its latest touchpoint by the team (none: never contacted). One grouped
	read, of the given customers or everyone."""
	filters = [["touchpoint_type", "not in", CUSTOMER_INITIATED_TYPES]]
	if customers is not None:
		filters.append(["customer", "in", list(customers) or [""]])
	return dict(
		frappe.get_all(
			"Touchpoint",
			filters=filters,
			fields=["customer", "max(touchpoint_date) as last"],
			group_by="customer",
			as_list=True,
		)
	)
