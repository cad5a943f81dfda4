"""doc_events handlers. Each only notes which customers changed; the work happens after commit.

Every handler is wrapped so that an error in our code is logged and never stops the host document
from saving.
"""

from __future__ import annotations

import frappe

from cs_success.base.helpdesk import helpdesk_customer_to_customer
from cs_success.base.isolation import safe_hook
from cs_success.base.queue import queue_recompute


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


@safe_hook
def set_ticket_health_band(doc, method=None):
	"""Issue and HD Ticket lists show and filter by the customer's band; the recompute keeps it current."""
	if doc.meta.has_field("cs_health_band") and (doc.is_new() or doc.has_value_changed("customer")):
		customer = doc.customer
		if customer and doc.doctype == "HD Ticket":
			customer = helpdesk_customer_to_customer(customer)
		doc.cs_health_band = customer and frappe.db.get_value("Customer Health", customer, "band")
