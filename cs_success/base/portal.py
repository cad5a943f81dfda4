"""Who a logged-in portal user is, in customer terms. Every portal page and endpoint goes through here."""

from __future__ import annotations

import frappe


def contacts_of_user(user: str) -> list[str]:
	if not user or user == "Guest":
		return []
	email = frappe.db.get_value("User", user, "email") or user
	return frappe.get_all("Contact", or_filters={"user": user, "email_id": email}, pluck="name")


def customers_of_user(user: str) -> list[str]:
	contacts = contacts_of_user(user)
	if not contacts:
		return []
	return frappe.get_all(
		"Dynamic Link",
		filters={"parenttype": "Contact", "parent": ("in", contacts), "link_doctype": "Customer"},
		pluck="link_name",
		distinct=True,
	)
