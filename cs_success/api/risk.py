"""Churn risk endpoints: a CS Manager refits the models now rather than at the monthly run."""

import frappe
from frappe import _

from cs_success.base.roles import MANAGER_ROLES


@frappe.whitelist(methods=["POST"])
def refit() -> None:
	"""Refit the churn risk models and score everyone again, in the background."""
	# Not frappe.only_for: it lets everyone through while tests run, so the check could not be tested.
	if set(MANAGER_ROLES).isdisjoint(frappe.get_roles()):
		raise frappe.PermissionError(_("Only a CS Manager may refit the churn risk model."))
	frappe.enqueue(
		"cs_success.risk.refit.refit_all",
		queue="long",
		job_id="cs_success:risk:refit",
		deduplicate=not frappe.flags.in_test,
		enqueue_after_commit=True,
		now=frappe.flags.in_test,
	)
