import frappe
from frappe import _

from cs_success.portal import customers_of_user

no_cache = 1


def get_context(context):
	if frappe.session.user == "Guest":
		frappe.throw(_("Log in to see your success plans."), frappe.PermissionError)
	customers = customers_of_user(frappe.session.user)
	context.show_sidebar = True
	context.title = _("Success Plans")
	name = frappe.form_dict.get("plan")
	if name:
		plan = frappe.db.exists("Success Plan", name) and frappe.get_doc("Success Plan", name)
		# Another customer's plan looks exactly like one that does not exist.
		if not plan or plan.customer not in customers or plan.status == "Draft":
			raise frappe.PageDoesNotExistError
		context.plan = plan
		context.title = plan.plan_title
		return
	context.plans = (
		frappe.get_all(
			"Success Plan",
			filters={"customer": ("in", customers), "status": ("!=", "Draft")},
			fields=["name", "plan_title", "status", "progress", "overdue_items"],
			order_by="start_date desc",
		)
		if customers
		else []
	)
