import frappe
from frappe import _

from cs_success.base.portal import customers_of_user
from cs_success.success_plans.planning import (
	PORTAL_EDITABLE_STATUSES,
	PORTAL_VISIBLE_STATUSES,
	portal_plan,
)

no_cache = 1


def get_context(context):
	if frappe.session.user == "Guest":
		frappe.throw(_("Log in to see your success plans."), frappe.PermissionError)
	customers = customers_of_user(frappe.session.user)
	context.show_sidebar = True
	context.title = _("Success Plans")
	name = frappe.form_dict.get("plan")
	if name:
		# Another customer's plan, a draft or a cancelled one looks exactly like one that does not exist.
		plan = portal_plan(name, frappe.session.user)
		if not plan:
			# Set here rather than raising PageDoesNotExistError, which Frappe's web server answers
			# with 200 until it has cached that URL as not found: users always get a 404.
			context.http_status_code = 404
			context.not_found = True
			context.title = _("Not Found")
			return
		context.plan = plan
		context.can_complete = plan.status in PORTAL_EDITABLE_STATUSES
		context.title = plan.plan_title
		return
	context.plans = (
		frappe.get_all(
			"Success Plan",
			filters={"customer": ("in", customers), "status": ("in", PORTAL_VISIBLE_STATUSES)},
			fields=["name", "plan_title", "status", "progress", "overdue_items"],
			order_by="start_date desc",
		)
		if customers
		else []
	)
