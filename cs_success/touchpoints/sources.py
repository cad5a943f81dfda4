"""Automatic touchpoints from tickets, emails and surveys. Hooks only note the work; the drain job
does it after commit (health.queue)."""

from __future__ import annotations

import frappe
from frappe import _

from cs_success.health.events import helpdesk_customer_to_customer, safe_hook
from cs_success.health.queue import queue_task
from cs_success.touchpoints.record import record_touchpoint, touchpoint_source_enabled

RESOLVED = ("Resolved", "Closed")


@safe_hook
def on_ticket_change(doc, method=None):
	created = doc.get_doc_before_save() is None
	if created and touchpoint_source_enabled("touchpoint_on_ticket_opened"):
		queue_task(
			"cs_success.touchpoints.sources.touchpoint_for_ticket",
			doctype=doc.doctype,
			name=doc.name,
			ticket_event="opened",
		)
	resolved_now = doc.status in RESOLVED and (created or doc.has_value_changed("status"))
	if resolved_now and touchpoint_source_enabled("touchpoint_on_ticket_resolved"):
		queue_task(
			"cs_success.touchpoints.sources.touchpoint_for_ticket",
			doctype=doc.doctype,
			name=doc.name,
			ticket_event="resolved",
		)


def touchpoint_for_ticket(doctype: str, name: str, ticket_event: str) -> str | None:
	ticket = frappe.db.get_value(
		doctype, name, ["subject", "customer", "contact", "creation", "modified"], as_dict=True
	)
	if not ticket or not ticket.customer:
		return None
	customer = helpdesk_customer_to_customer(ticket.customer) if doctype == "HD Ticket" else ticket.customer
	opened = ticket_event == "opened"
	summary = (_("Ticket opened: {0}") if opened else _("Ticket resolved: {0}")).format(ticket.subject)
	return record_touchpoint(
		customer,
		"Ticket",
		summary,
		source_key=f"{doctype}:{name}:{ticket_event}",
		reference=(doctype, name),
		touchpoint_date=ticket.creation if opened else ticket.modified,
		contact=ticket.contact,
		direction="Inbound" if opened else "Outbound",
	)


@safe_hook
def on_communication_insert(doc, method=None):
	if doc.communication_type == "Communication" and doc.communication_medium == "Email":
		if touchpoint_source_enabled("touchpoint_on_email"):
			queue_task("cs_success.touchpoints.sources.touchpoint_for_email", name=doc.name)


def touchpoint_for_email(name: str) -> list[str]:
	"""An email linked to a customer, or to one of its contacts, is a touchpoint with that customer."""
	email = frappe.get_doc("Communication", name)
	links = [(email.reference_doctype, email.reference_name)]
	links += [(link.link_doctype, link.link_name) for link in email.timeline_links]
	customers: dict[str, str | None] = {}
	for doctype, docname in links:
		if doctype == "Customer" and docname:
			customers.setdefault(docname, None)
		elif doctype == "Contact" and docname:
			for customer in frappe.get_all(
				"Dynamic Link",
				filters={"parenttype": "Contact", "parent": docname, "link_doctype": "Customer"},
				pluck="link_name",
			):
				customers[customer] = docname
	created = []
	for customer, contact in customers.items():
		touchpoint = record_touchpoint(
			customer,
			"Email",
			email.subject or _("Email"),
			source_key=f"Communication:{name}:{customer}",
			reference=("Communication", name),
			touchpoint_date=email.communication_date or email.creation,
			contact=contact,
			channel="Email",
			direction="Inbound" if email.sent_or_received == "Received" else "Outbound",
		)
		if touchpoint:
			created.append(touchpoint)
	return created


def touchpoint_for_survey_response(response) -> str | None:
	if not touchpoint_source_enabled("touchpoint_on_survey_answered"):
		return None
	sentiment = {"Promoter": "Positive", "Satisfied": "Positive", "Easy": "Positive"}.get(response.category)
	if response.category in ("Detractor", "Dissatisfied", "Difficult"):
		sentiment = "Negative"
	summary = _("{0} survey answered: {1} ({2})").format(
		response.headline_type, response.headline_score, _(response.category)
	)
	if response.comment:
		summary += " - " + response.comment
	return record_touchpoint(
		response.customer,
		"Survey",
		summary,
		source_key=f"Survey Response:{response.name}",
		reference=("Survey Response", response.name),
		touchpoint_date=response.submitted_on,
		contact=response.contact,
		channel="Email",
		direction="Inbound",
		sentiment=sentiment or "Neutral",
	)
