"""Growth endpoints: an expansion opportunity made from a customer's signals, and the propensity refit."""

import frappe
from frappe import _

from cs_success.base.permissions import require_any_role
from cs_success.base.queue import enqueue_once_after_commit
from cs_success.base.roles import MANAGER_ROLES, ROLES


@frappe.whitelist(methods=["POST"])
def create_expansion_opportunity(customer: str) -> dict:
	"""The customer's expansion opportunity in ERPNext's pipeline: its open one, or a new one from its
	signals. For a CS user who may read the customer's health and create Opportunities."""
	require_any_role(ROLES, _("Only customer success users may open expansion opportunities."))
	if not isinstance(customer, str) or not frappe.db.exists("Customer Health", customer):
		frappe.throw(_("No health record for customer {0}.").format(customer), frappe.DoesNotExistError)
	if not frappe.has_permission("Customer Health", "read", customer):
		raise frappe.PermissionError(_("You may not see this customer's health."))
	from cs_success.growth.opportunities import create_expansion_opportunity as create
	from cs_success.growth.pipeline import sales_pipeline

	doctype = sales_pipeline().doctype
	if not frappe.has_permission(doctype, "create"):
		raise frappe.PermissionError(_("You may not create a {0}.").format(_(doctype)))
	name, created = create(customer)
	return {"opportunity": name, "doctype": doctype, "created": created}


@frappe.whitelist(methods=["POST"])
def refit_propensity() -> None:
	"""Refit the expansion propensity model and evaluate everyone again, in the background."""
	require_any_role(MANAGER_ROLES, _("Only a CS Manager may refit the expansion propensity model."))
	enqueue_once_after_commit("cs_success.growth.refit.refit_propensity", "cs_success:growth:refit")
