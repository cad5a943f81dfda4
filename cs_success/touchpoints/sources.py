"""Automatic touchpoints from tickets, emails and surveys. Hooks only note the work; the drain job
does it after commit (health.queue)."""

from __future__ import annotations

import re

import frappe
from frappe import _

from cs_success.base.helpdesk import helpdesk_customer_to_customer, ticket_is_resolved
from cs_success.base.isolation import safe_hook
from cs_success.base.queue import queue_task
from cs_success.base.text import as_text
from cs_success.touchpoints.record import record_touchpoint, touchpoint_source_enabled


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
	resolved_now = ticket_is_resolved(doc) and (created or doc.has_value_changed("status"))
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


# Sent mail about these documents is the billing process itself (the invoice, a receipt, a payment
# request, a dunning letter, a statement of account), whoever pressed Send: not a relationship signal.
# A customer's reply to it is a person writing and counts.
BILLING_DOCTYPES = frozenset(
	{
		"Sales Invoice",
		"POS Invoice",
		"Payment Entry",
		"Payment Request",
		"Dunning",
		"Process Statement Of Accounts",
		"Journal Entry",
	}
)
# Mail a process sends on its own behalf, in either direction: bulk mail, scheduled documents,
# digests, alerts and our own survey invitations and reminders.
MACHINE_DOCTYPES = frozenset(
	{
		"Survey Invitation",
		"Survey Campaign",
		"Survey Response",
		"Newsletter",
		"Email Campaign",
		"Auto Repeat",
		"Auto Email Report",
		"Email Digest",
		"Notification",
	}
)
# The accounts background jobs, the scheduler, imports and web forms act as.
SYSTEM_USERS = frozenset({"Administrator", "Guest"})
# Mailboxes no person writes from: bounces and auto-replies arrive from these.
AUTOMATED_SENDER = re.compile(
	r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|bounces?|notifications?|auto-?reply)([+._-]|@|$)",
	re.IGNORECASE,
)
# Communication medium -> (touchpoint type, channel). Chat, SMS, a plain calendar Event and Other are
# not touchpoints: SMS and chat here are mostly sent by ERPNext itself.
MEDIUMS = {
	"Email": ("Email", "Email"),
	"Phone": ("Call", "Phone"),
	"Meeting": ("Meeting", None),
	"Visit": ("Meeting", "In Person"),
}


def personal_communication(doc) -> tuple[str, str | None] | None:
	"""(touchpoint type, channel) if this Communication is a person's interaction with the customer,
	else None. Automated mail is not a touchpoint: it would make a customer whose only contact is a
	stream of invoices and reminders look engaged. The rule, on Frappe's Communication fields:

	1. `communication_type` is "Communication". Frappe stores mail from a *Notification* as
	   "Automated Message"; Comment, Chat, Notification (in-app) and Feedback are not mail at all.
	2. `communication_medium` is Email, Phone, Meeting or Visit (a call or meeting logged, e.g. from a
	   categorised Event with the customer as participant).
	3. The document it is about (`reference_doctype`) is not a machine source (bulk mail, Auto Repeat,
	   digests, our own survey invitations), and a *sent* one is not a billing document.
	4. Sent (or logged) by us: a person made it. `user` (else `owner`) is not Administrator or Guest,
	   which is who the scheduler, background jobs, Auto Repeat and imports run as.
	5. Received: the sender is an address (Guest-sent web forms leave it empty), not a mailbox no
	   person writes from (mailer-daemon, postmaster, no-reply, notifications, auto-reply), and the
	   mail was not filed as spam or trash.

	Needs no database: the hook decides before queueing and the job decides again on the stored row.
	"""
	if doc.get("communication_type") != "Communication":
		return None
	kind = MEDIUMS.get(doc.get("communication_medium") or "")
	if not kind:
		return None
	reference = doc.get("reference_doctype")
	received = doc.get("sent_or_received") == "Received"
	if reference in MACHINE_DOCTYPES or (reference in BILLING_DOCTYPES and not received):
		return None
	if received:
		sender = (doc.get("sender") or "").strip()
		if not sender or AUTOMATED_SENDER.match(sender) or doc.get("email_status") in ("Spam", "Trash"):
			return None
	elif (doc.get("user") or doc.get("owner") or "Guest") in SYSTEM_USERS:
		return None
	return kind


@safe_hook
def on_communication_insert(doc, method=None):
	if personal_communication(doc) and touchpoint_source_enabled("touchpoint_on_email"):
		queue_task("cs_success.touchpoints.sources.touchpoint_for_email", name=doc.name)


def touchpoint_for_email(name: str) -> list[str]:
	"""A person's email, call or meeting (see `personal_communication`) linked to a customer, or to
	one of its contacts, is a touchpoint with that customer."""
	email = frappe.get_doc("Communication", name)
	kind = personal_communication(email)
	if not kind:
		return []
	touchpoint_type, channel = kind
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
	direction = "Inbound" if email.sent_or_received == "Received" else "Outbound"
	if touchpoint_type == "Meeting":
		direction = None  # a meeting has no sender
	created = []
	for customer, contact in customers.items():
		touchpoint = record_touchpoint(
			customer,
			touchpoint_type,
			email.subject or _(touchpoint_type),
			source_key=f"Communication:{name}:{customer}",
			reference=("Communication", name),
			touchpoint_date=email.communication_date or email.creation,
			contact=contact,
			channel=channel,
			direction=direction,
		)
		if touchpoint:
			created.append(touchpoint)
	return created


def queue_survey_touchpoint(response: str) -> None:
	"""A survey answer's touchpoint, made by the drain after this transaction commits (the answer is
	stored by a guest's request; the touchpoint is the system's record of it)."""
	if touchpoint_source_enabled("touchpoint_on_survey_answered"):
		queue_task("cs_success.touchpoints.sources.touchpoint_for_survey_answer", response=response)


def touchpoint_for_survey_answer(response: str) -> str | None:
	"""The deferred task: the response as stored now (a partial answer completed since is shown whole)."""
	if not frappe.db.exists("Survey Response", response):
		return None  # deleted before the drain came round
	return touchpoint_for_survey_response(frappe.get_doc("Survey Response", response))


def touchpoint_for_survey_response(response) -> str | None:
	"""Its contact is the respondent's; the record is owned by whoever runs this (the drain: Administrator)."""
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
	# A partial answer (a score clicked in the email) made the touchpoint; completing it updates it.
	existing = frappe.db.get_value("Touchpoint", {"source_key": f"Survey Response:{response.name}"}, "name")
	if existing:
		frappe.db.set_value(
			"Touchpoint", existing, {"summary": as_text(summary[:1000]), "sentiment": sentiment or "Neutral"}
		)
		return existing
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
