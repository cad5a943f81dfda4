"""Helpdesk's HD Customer and ERPNext's Customer: one mapping for every reader."""

import frappe


def helpdesk_customer_to_customer(hd_customer: str) -> str | None:
	"""HD Customer -> Customer: our link field when set, else a Customer of the same name."""
	if frappe.db.has_column("HD Customer", "cs_customer"):
		linked = frappe.get_cached_value("HD Customer", hd_customer, "cs_customer")
		if linked:
			return linked
	return hd_customer if frappe.db.exists("Customer", hd_customer, cache=True) else None


# When a ticket counts as resolved, for every reader (the ticket measures, the post-ticket survey, the
# ticket's touchpoint). An Issue: its status is Resolved or Closed. An HD Ticket: Helpdesk's status
# category is Resolved (a site's own statuses map onto the categories), or, on a Helpdesk without
# categories, the status itself is Resolved or Closed.
RESOLVED_STATUSES = ("Resolved", "Closed")
RESOLVED_CATEGORY = "Resolved"


def ticket_is_resolved(doc) -> bool:
	"""The ticket document (Issue or HD Ticket) as it is now."""
	return doc.get("status") in RESOLVED_STATUSES or (
		doc.doctype == "HD Ticket" and doc.get("status_category") == RESOLVED_CATEGORY
	)


def resolved_condition(doctype: str, alias: str = "") -> str:
	"""SQL: the row of `doctype` (under `alias`, if given) is a resolved ticket."""
	prefix = f"{alias}." if alias else ""
	statuses = ", ".join(repr(s) for s in RESOLVED_STATUSES)
	condition = f"{prefix}status IN ({statuses})"
	if doctype == "HD Ticket" and frappe.db.has_column("HD Ticket", "status_category"):
		condition = f"({prefix}status_category = {RESOLVED_CATEGORY!r} OR {condition})"
	return condition
