"""Helpdesk's HD Customer and ERPNext's Customer: one mapping for every reader."""

import frappe


def helpdesk_customer_to_customer(hd_customer: str) -> str | None:
	"""HD Customer -> Customer: our link field when set, else a Customer of the same name."""
	if frappe.db.has_column("HD Customer", "cs_customer"):
		linked = frappe.get_cached_value("HD Customer", hd_customer, "cs_customer")
		if linked:
			return linked
	return hd_customer if frappe.db.exists("Customer", hd_customer, cache=True) else None
