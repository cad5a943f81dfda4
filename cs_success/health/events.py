"""doc_events handlers. Each only notes which customers changed; the work happens after commit.

Every handler is wrapped so that an error in our code is logged and never stops the host document
from saving.
"""

from __future__ import annotations

import functools

import frappe

from cs_success.health.queue import queue_recompute


def safe_hook(handler):
	@functools.wraps(handler)
	def wrapper(doc, method=None, *args, **kwargs):
		try:
			handler(doc, method, *args, **kwargs)
		except Exception as error:
			if transaction_lost(error):
				raise
			frappe.log_error(
				title=f"cs_success: {handler.__name__} failed on {doc.doctype}",
				reference_doctype=doc.doctype,
				reference_name=doc.name,
			)

	return wrapper


def transaction_lost(error: Exception) -> bool:
	"""A deadlock rolls back the whole transaction and a dropped connection loses it: the host
	document's earlier writes are gone too, so carrying on would save it half-done. Those errors go
	to the host (Frappe retries deadlocked jobs); every other error of ours is logged and swallowed."""
	if not error.args:  # raised without arguments (a bare assert): not a database error
		return False
	return frappe.db.is_deadlocked(error) or frappe.db.is_interface_error(error)


def event_recompute_enabled() -> bool:
	# The cached document, as the touchpoint sources read it: no query on a ticket save.
	return bool(frappe.get_cached_doc("CS Settings").enable_event_recompute)


def _with_previous(doc, fieldname: str) -> set[str]:
	"""The customer now and, when the link moved, the one it moved away from."""
	customers = {doc.get(fieldname)}
	previous = doc.get_doc_before_save()
	if previous:
		customers.add(previous.get(fieldname))
	return customers


def _queue(customers) -> None:
	if event_recompute_enabled():
		queue_recompute(customers)


@safe_hook
def on_customer_document_change(doc, method=None):
	"""Issue and Sales Invoice: the customer is a plain link."""
	_queue(_with_previous(doc, "customer"))


@safe_hook
def on_party_document_change(doc, method=None):
	"""Subscription (party) and Contract (party_name), when the party is a Customer."""
	fieldname = "party_name" if doc.doctype == "Contract" else "party"
	if doc.get("party_type") == "Customer":
		_queue(_with_previous(doc, fieldname))


@safe_hook
def on_payment_entry_change(doc, method=None):
	customers = {doc.party} if doc.party_type == "Customer" else set()
	invoices = [
		r.reference_name for r in doc.get("references") or [] if r.reference_doctype == "Sales Invoice"
	]
	if invoices:
		customers.update(
			frappe.get_all(
				"Sales Invoice", filters={"name": ("in", invoices)}, pluck="customer", distinct=True
			)
		)
	_queue(customers)


@safe_hook
def on_hd_ticket_change(doc, method=None):
	hd_customers = _with_previous(doc, "customer") - {None, ""}
	_queue(helpdesk_customer_to_customer(name) for name in hd_customers)


def helpdesk_customer_to_customer(hd_customer: str) -> str | None:
	"""HD Customer -> Customer: our link field when set, else a Customer of the same name."""
	if frappe.db.has_column("HD Customer", "cs_customer"):
		linked = frappe.get_cached_value("HD Customer", hd_customer, "cs_customer")
		if linked:
			return linked
	return hd_customer if frappe.db.exists("Customer", hd_customer, cache=True) else None


@safe_hook
def set_ticket_health_band(doc, method=None):
	"""Issue and HD Ticket lists show and filter by the customer's band; the recompute keeps it current."""
	if doc.meta.has_field("cs_health_band") and (doc.is_new() or doc.has_value_changed("customer")):
		customer = doc.customer
		if customer and doc.doctype == "HD Ticket":
			customer = helpdesk_customer_to_customer(customer)
		doc.cs_health_band = customer and frappe.db.get_value("Customer Health", customer, "band")


@safe_hook
def on_customer_update(doc, method=None):
	_queue([doc.name])


@safe_hook
def on_customer_before_rename(doc, method=None, old_name=None, new_name=None, merge=False):
	"""A merge folds our records into the survivor's first (health.records.prepare_customer_merge,
	all or nothing). Should that fail it is logged; a merge with nothing to fold still goes through."""
	if merge and old_name and new_name and old_name != new_name:
		from cs_success.health.records import prepare_customer_merge

		prepare_customer_merge(old_name, new_name)


@safe_hook
def on_customer_rename(doc, method=None, old_name=None, new_name=None, merge=False):
	from cs_success.health.records import rename_customer_records

	rename_customer_records(old_name, new_name, merge)
	_queue([new_name])


# Set on a Customer being deleted (frappe.delete_doc(..., flags={DELETE_PERMANENTLY: True})) to keep no
# Deleted Document copies of our records about it: the demo's clear, which removes only its own data.
DELETE_PERMANENTLY = "cs_success_delete_permanently"


@safe_hook
def on_customer_trash(doc, method=None):
	from cs_success.health.records import delete_customer_records

	# All or nothing: should a copy fail (logged; the Customer still goes), no record is left deleted
	# without its Deleted Document, nor copied and still there.
	frappe.db.savepoint("cs_success_customer_trash")
	try:
		delete_customer_records(doc.name, keep_copies=not doc.flags.get(DELETE_PERMANENTLY))
	except Exception as error:
		if not transaction_lost(error):  # a lost transaction has no savepoint left to go back to
			frappe.db.rollback(save_point="cs_success_customer_trash")
		raise
