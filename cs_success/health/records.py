"""Keeping our records in step with the Customer they describe."""

from __future__ import annotations

import frappe

# Our doctypes that point at a Customer through a `customer` field.
CUSTOMER_RECORD_DOCTYPES = (
	"Customer Health Snapshot",
	"Customer Health Change",
	"Customer Health Alert",
	"Customer Usage Record",
	"Survey Invitation",
	"Touchpoint",
	# The revenue ledger: rebuilt from documents, which go with the customer.
	"MRR Interval",
	"MRR Movement",
	"Customer Active Span",
	"Customer Lifecycle Event",
	"Agreement Renewal",
)


def rename_customer_records(old_name: str, new_name: str, merge: bool = False) -> None:
	"""Link fields follow a rename by themselves; Customer Health is *named* after the customer."""
	if not frappe.db.exists("Customer Health", old_name):
		return
	if merge or frappe.db.exists("Customer Health", new_name):
		_delete_health(old_name)
	else:
		frappe.rename_doc("Customer Health", old_name, new_name, force=True, show_alert=False)


def delete_customer_records(customer: str) -> None:
	_delete_health(customer)
	responses = frappe.get_all("Survey Response", filters={"customer": customer}, pluck="name")
	if responses:
		frappe.db.delete("Survey Answer", {"parent": ("in", responses), "parenttype": "Survey Response"})
		frappe.db.delete("Survey Response", {"name": ("in", responses)})
	for plan in frappe.get_all("Success Plan", filters={"customer": customer}, pluck="name"):
		frappe.delete_doc("Success Plan", plan, ignore_permissions=True, force=True)
	for doctype in CUSTOMER_RECORD_DOCTYPES:
		frappe.db.delete(doctype, {"customer": customer})


def _delete_health(name: str) -> None:
	frappe.db.delete("Customer Health Measure", {"parent": name, "parenttype": "Customer Health"})
	frappe.db.delete("Customer Health", {"name": name})
