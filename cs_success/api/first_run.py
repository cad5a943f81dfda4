"""Where the first run (install on a site with history, `cs-success refresh`) is, for the workspace line."""

import frappe

from cs_success.base.roles import MANAGER_ROLES, ROLES
from cs_success.jobs import first_run_progress


@frappe.whitelist()
def progress() -> dict | None:
	"""{"stage", "done", "total"} while a first run is queued or running, or has just failed; None when
	none runs (done, or never started). Only counts of customers: any CS desk user may see them."""
	if not {*ROLES, *MANAGER_ROLES} & set(frappe.get_roles()):
		raise frappe.PermissionError
	state = first_run_progress()
	if not state or state.get("stage") == "done":
		return None
	return state
