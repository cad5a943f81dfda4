import frappe
from frappe import _

from cs_success.surveys.portal import open_surveys_for_user

no_cache = 1


def get_context(context):
	if frappe.session.user == "Guest":
		frappe.throw(_("Log in to see your surveys."), frappe.PermissionError)
	context.title = _("Your Surveys")
	context.show_sidebar = True
	context.surveys = open_surveys_for_user(frappe.session.user)
