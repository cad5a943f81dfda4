"""Churn risk endpoints: a CS Manager refits the models now rather than at the monthly run."""

import frappe
from frappe import _

from cs_success.base.permissions import require_any_role
from cs_success.base.queue import enqueue_once_after_commit
from cs_success.base.roles import MANAGER_ROLES


@frappe.whitelist(methods=["POST"])
def refit() -> None:
	"""Refit the churn risk models and score everyone again, in the background."""
	require_any_role(MANAGER_ROLES, _("Only a CS Manager may refit the churn risk model."))
	enqueue_once_after_commit("cs_success.risk.refit.refit_all", "cs_success:risk:refit")
