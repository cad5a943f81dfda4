"""Success plan actions: from a template (desk) and task completion (portal)."""

from __future__ import annotations

import frappe

from cs_success.success_plans import planning


@frappe.whitelist(methods=["POST"])
def create_from_template(template: str, customer: str, start_date: str | None = None) -> str:
	frappe.has_permission("Success Plan", "create", throw=True)
	return planning.create_plan_from_template(template, customer, start_date).name


@frappe.whitelist(methods=["POST"])
def complete_task(plan: str, task: str) -> None:
	"""Portal: a customer's user marks one of the customer's own tasks done."""
	if frappe.session.user == "Guest":
		raise frappe.PermissionError
	planning.complete_customer_task(plan, task, frappe.session.user)
