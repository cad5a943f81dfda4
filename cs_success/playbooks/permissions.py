"""Who may change a play run: CS Managers (and System Managers) any; a CS Agent only the runs they own or
those of customers they manage. Reading stays as the role permissions give it (the team sees the work)."""

import frappe

MANAGER_ROLES = {"CS Manager", "System Manager"}


def play_run_permission(doc, ptype: str | None = None, user: str | None = None) -> bool | None:
	if ptype in (None, "read", "report", "print", "export", "email", "share"):
		return None  # the role permissions decide
	user = user or frappe.session.user
	if user == "Administrator" or MANAGER_ROLES & set(frappe.get_roles(user)):
		return None
	if doc.run_owner == user:
		return None
	if doc.customer and frappe.db.get_value("Customer", doc.customer, "account_manager") == user:
		return None
	return False
