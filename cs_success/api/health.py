"""Whitelisted endpoints for Customer Health."""

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import now_datetime

from cs_success.base.queue import queue_recompute
from cs_success.base.roles import MANAGER_ROLES
from cs_success.health import overrides


@frappe.whitelist(methods=["POST"])
def set_override(customer: str, score: float, reason: str, expires_on: str) -> dict:
	"""CS Manager only: pin a customer's score until `expires_on`, with a reason (audited). Frappe
	turns `score` into a float (or refuses it) from the type hint."""
	overrides.check_can_override()
	check_may_change_health(customer)
	overrides.set_override(customer, score, reason, expires_on)
	return get_customer_health(customer)


@frappe.whitelist(methods=["POST"])
def clear_override(customer: str, reason: str | None = None) -> dict:
	overrides.check_can_override()
	check_may_change_health(customer)
	overrides.clear_override(customer, reason)
	return get_customer_health(customer)


def check_may_change_health(customer: str) -> None:
	"""The role is not enough: a manager whose User Permissions limit them to other customers may not
	touch this one. Checked on the record itself, whose Customer link carries the User Permission (or on
	the record the first recompute will make). Nobody writes Customer Health through its form, so the
	record-level check is read: who may not see a customer's health may not change it."""
	doc = (
		frappe.get_doc("Customer Health", customer)
		if frappe.db.exists("Customer Health", customer)
		else frappe.get_doc({"doctype": "Customer Health", "customer": customer})
	)
	if not frappe.has_permission("Customer Health", "read", doc):
		frappe.throw(_("You are not permitted to change this customer's health."), frappe.PermissionError)


@frappe.whitelist(methods=["POST"])
def record_usage(
	customer: str,
	value: float,
	metric: str = "usage",
	recorded_on: str | None = None,
	source: str | None = None,
) -> str:
	"""For product systems: push a usage figure (0-100 by default thresholds) for a customer."""
	# Permission before existence: a caller who may not record usage learns nothing about names.
	frappe.has_permission("Customer Usage Record", "create", throw=True)
	if not frappe.db.exists("Customer", customer):
		frappe.throw(_("Customer {0} does not exist.").format(customer), frappe.DoesNotExistError)
	record = frappe.get_doc(
		{
			"doctype": "Customer Usage Record",
			"customer": customer,
			"metric": metric,
			"value": value,
			"recorded_on": recorded_on or now_datetime(),
			"source": source,
		}
	).insert()
	return record.name


@frappe.whitelist(methods=["POST"])
def recompute(customer: str | None = None) -> None:
	"""CS Manager: refresh one customer now-ish, or everyone in the background."""
	frappe.only_for(list(MANAGER_ROLES))
	if customer:
		queue_recompute([customer])
	else:
		from cs_success.health.recompute import enqueue_full_recompute

		enqueue_full_recompute()


@frappe.whitelist()
def get_health_for_document(doctype: str, name: str | int) -> dict:
	"""The badge for a Customer, Issue or HD Ticket form: the health of the customer behind it.

	Health data is for desk users who may read that Customer Health record. Reading the ticket is not
	enough: whoever raised an HD Ticket can read it and set its customer to any company. Anyone else
	gets an empty answer, the same whether or not the customer exists."""
	if doctype not in ("Customer", "Issue", "HD Ticket"):
		frappe.throw(_("Health badges are shown for Customers, Issues and HD Tickets only."))
	if not may_read_health():
		return {}
	name = str(name)  # Helpdesk's agent UI sends an HD Ticket's name as the number it is
	frappe.has_permission(doctype, "read", name, throw=True)
	if doctype == "Customer":
		customer = name
	elif doctype == "Issue":
		customer = frappe.db.get_value("Issue", name, "customer")
	else:
		from cs_success.base.helpdesk import helpdesk_customer_to_customer

		hd_customer = frappe.db.get_value("HD Ticket", name, "customer")
		customer = hd_customer and helpdesk_customer_to_customer(hd_customer)
	if not customer or not may_read_health(customer):
		return {}
	return health_summary(customer)


@frappe.whitelist()
def get_customer_health(customer: str) -> dict:
	if not may_read_health(customer):
		raise frappe.PermissionError(_("You are not permitted to see this customer's health."))
	return health_summary(customer)


def may_read_health(customer: str | None = None) -> bool:
	"""A desk (System) user with read permission on Customer Health, and on this customer's record
	when it exists (User Permissions on Customer apply to it)."""
	if frappe.session.user == "Guest" or frappe.get_cached_value(
		"User", frappe.session.user, "user_type"
	) != ("System User"):
		return False
	if not frappe.has_permission("Customer Health", "read"):
		return False
	if customer and frappe.db.exists("Customer Health", customer):
		return frappe.has_permission("Customer Health", "read", customer)
	return True


def health_summary(customer: str) -> dict:
	"""Score, band, trend, the churn risk in 90 days (None: unknown) and the three weakest measures: what a
	badge shows."""
	if not frappe.db.exists("Customer Health", customer):
		return {"customer": customer, "band": "No Data", "score": None, "churn_risk": None, "measures": []}
	health = frappe.get_doc("Customer Health", customer)
	weakest = sorted(
		(m for m in health.measures if m.has_data and m.effective_weight),
		key=lambda m: (m.measure_score, -m.effective_weight),
	)[:3]
	return {
		"customer": customer,
		"score": health.score,
		"band": health.band,
		"computed_score": health.computed_score,
		"data_coverage": health.data_coverage,
		"trend_delta": health.trend_delta if health.has_trend else None,
		"churn_risk": health.churn_risk_90 if health.has_churn_risk_90 else None,
		"override_active": health.override_active,
		"last_change_summary": health.last_change_summary,
		"measures": [
			{
				"measure": m.measure,
				"label": _(m.measure_label),
				"score": m.measure_score,
				"raw_value": m.raw_value,
			}
			for m in weakest
		],
	}


# Helpdesk's portal endpoints (hooks.py override_whitelisted_methods). Frappe's own APIs leave out a field
# the user may not read at its permission level; these two return whole ticket rows (the new document,
# and a SELECT *), so the agents-only health band (install.py HEALTH_BAND_PERMLEVEL) is taken out here.


@frappe.whitelist()
def new_helpdesk_ticket(doc: dict, attachments: list[dict] | None = None) -> Document:
	"""helpdesk.helpdesk.doctype.hd_ticket.api.new, without the fields the caller may not read."""
	from helpdesk.helpdesk.doctype.hd_ticket.api import new

	ticket = new(doc, attachments or [])
	ticket.apply_fieldlevel_read_permissions()
	return ticket


@frappe.whitelist()
def get_helpdesk_ticket(name: str | int, is_customer_portal: bool = False) -> dict:
	"""helpdesk.helpdesk.doctype.hd_ticket.api.get_one, without the fields the caller may not read."""
	from helpdesk.helpdesk.doctype.hd_ticket.api import get_one

	return without_unreadable_fields("HD Ticket", get_one(name, is_customer_portal))


def without_unreadable_fields(doctype: str, row: dict) -> dict:
	"""`row` less the fields at a permission level the session user may not read."""
	meta = frappe.get_meta(doctype)
	readable = set(meta.get_permlevel_access("read"))
	for df in meta.fields:
		if df.permlevel and df.permlevel not in readable:
			row.pop(df.fieldname, None)
	return row
