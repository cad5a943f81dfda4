"""Choosing recipients, creating invitations and sending them through Frappe's email queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

import frappe
from frappe import _
from frappe.utils import add_days, add_months, add_to_date, get_datetime, getdate, now_datetime, today

from cs_success.base.helpdesk import RESOLVED_STATUSES, resolved_condition
from cs_success.base.permissions import enabled_customers_only
from cs_success.base.text import as_typed
from cs_success.engine.ledger import ACQUIRED, CHURNED
from cs_success.engine.survey_metrics import SCALES
from cs_success.engine.tokens import new_nonce
from cs_success.ledger.queries import events_between
from cs_success.surveys.i18n import in_language, respondent_language
from cs_success.surveys.links import opt_out_url, survey_url, token_for, token_hash_for_nonce
from cs_success.surveys.opt_out import opted_out

EMAIL_TEMPLATE = "templates/emails/survey_invitation.html"
RECURRENCE_MONTHS = {"Monthly": 1, "Quarterly": 3, "Yearly": 12}
# Event campaigns look back this far, so a day the scheduler missed is caught up.
EVENT_LOOKBACK_DAYS = 7


@dataclass(frozen=True)
class Recipient:
	customer: str
	contact: str | None
	email: str


def run_campaign(campaign_name: str) -> int:
	"""Invite the campaign's audience now. Returns the number of invitations sent."""
	campaign = frappe.get_doc("Survey Campaign", campaign_name)
	if campaign.status != "Active":
		frappe.throw(_("Only an active campaign can send invitations."))
	check_outgoing_email()
	if campaign.purpose == "Post-Ticket" and campaign.audience == "Event":
		sent = sum(invite_for_ticket(dt, name, campaign) for dt, name in recently_resolved_tickets())
	else:
		customers = audience_customers(campaign, getdate(today()))
		sent = invite(campaign, recipients_for(customers, campaign))
	schedule_next_run(campaign)
	update_campaign_stats(campaign.name)
	return sent


def check_outgoing_email() -> None:
	"""Refuse before creating invitations that could never be delivered."""
	from frappe.email.doctype.email_account.email_account import EmailAccount

	if not EmailAccount.find_outgoing(_raise_error=False):
		frappe.throw(
			_("Set up a default outgoing Email Account before sending survey invitations."),
			title=_("No Outgoing Email Account"),
		)


def schedule_next_run(campaign) -> None:
	if campaign.audience == "Event":
		return
	months = RECURRENCE_MONTHS.get(campaign.recurrence)
	if months:
		campaign.db_set("next_run_on", add_months(getdate(today()), months))
	else:
		campaign.db_set({"status": "Completed", "next_run_on": None})


def run_due_campaigns() -> None:
	"""Daily: periodic campaigns whose day has come, and every event campaign."""
	for name in frappe.get_all(
		"Survey Campaign",
		filters={"status": "Active", "start_date": ("<=", today())},
		or_filters={"audience": "Event", "next_run_on": ("<=", today())},
		pluck="name",
	):
		try:
			run_campaign(name)
			frappe.db.commit()
		except Exception:
			frappe.db.rollback()
			frappe.log_error(
				title=f"cs_success: survey campaign {name} failed",
				reference_doctype="Survey Campaign",
				reference_name=name,
			)


def audience_customers(campaign, on: date) -> list[str]:
	"""The customers a campaign invites on `on`. Never a disabled Customer (a Health Band audience would
	otherwise reach one through its last Customer Health row), except for an exit survey."""
	filters = {"disabled": 0}
	if campaign.audience == "Customer Group":
		filters["customer_group"] = ("descendants of (inclusive)", campaign.customer_group)
	elif campaign.audience == "Territory":
		filters["territory"] = ("descendants of (inclusive)", campaign.territory)
	elif campaign.audience == "Health Band":
		return frappe.get_all(
			"Customer Health",
			filters=enabled_customers_only({"band": campaign.health_band}),
			pluck="customer",
			order_by="customer",
		)
	elif campaign.audience == "Event":
		return event_customers(campaign, on)
	return frappe.get_all("Customer", filters=filters, pluck="name", order_by="name")


def event_customers(campaign, on: date) -> list[str]:
	"""Onboarding: N days after the customer was acquired. Exit: the customer churned. Both as the revenue
	ledger's lifecycle events say (ledger/queries.py), the one definition every report uses: a customer
	whose contract ended but who still pays has not left; one whose invoices just stopped has. Each
	customer once per campaign, within EVENT_LOOKBACK_DAYS of its event (a daily run that was missed)."""
	if campaign.purpose == "Onboarding":
		until = getdate(add_days(on, -(campaign.days_after_first_invoice or 0)))
		customers = events_between(add_days(until, -EVENT_LOOKBACK_DAYS + 1), until, ACQUIRED)
		# A disabled customer is not onboarded.
		customers = set(customers) - set(frappe.get_all("Customer", filters={"disabled": 1}, pluck="name"))
	elif campaign.purpose == "Exit":
		# Exit surveys go to customers who just left, who are often disabled on leaving: no filter on that.
		customers = set(events_between(add_days(on, -EVENT_LOOKBACK_DAYS + 1), on, CHURNED))
	else:
		return []
	invited = set(frappe.get_all("Survey Invitation", filters={"campaign": campaign.name}, pluck="customer"))
	return sorted(customers - invited)


def recipients_for(customers: list[str], campaign) -> list[Recipient]:
	"""Each customer's contacts (`linked_contacts`: the one rule for every audience), who have not opted
	out and were not surveyed within the recontact window by any campaign."""
	if not customers:
		return []
	rows = linked_contacts(customers)
	emails = {row.email.strip().lower() for row in rows}
	recently = recently_surveyed(emails, campaign.recontact_window_days)
	refused = opted_out(emails)
	chosen, seen = [], set()
	for row in rows:
		email = row.email.strip().lower()
		if email in recently or email in seen or email in refused:
			continue
		seen.add(email)
		chosen.append(Recipient(row.customer, row.contact, row.email.strip()))
	return chosen


def linked_contacts(customers: list[str], contacts: list[str] | None = None) -> list[frappe._dict]:
	"""Who may be surveyed about a customer, for every audience (campaigns, onboarding, exit,
	post-ticket): a Contact linked to that Customer (its Dynamic Link), or with Helpdesk to an HD Customer
	mapped to it (`helpdesk_customer_to_customer`: our link field, else the same name), with an email and
	not unsubscribed. A ticket names its customer and contact as whoever raised it typed them, so being
	on the ticket is not enough: an outsider naming another company would get that company's survey.
	Rows (customer, contact, email), a customer's primary contact first; `contacts` narrows to those.

	Raw SQL: one UNION over the two kinds of link, which the query builder would split in two."""
	if not customers:
		return []
	params = {"customers": tuple(customers)}
	only_contacts = ""
	if contacts is not None:
		if not contacts:
			return []
		params["contacts"] = tuple(contacts)
		only_contacts = "AND c.name IN %(contacts)s"
	eligible = f"IFNULL(c.email_id, '') != '' AND c.unsubscribed = 0 AND c.cs_no_surveys = 0 {only_contacts}"
	queries = [
		f"""SELECT dl.link_name AS customer, c.name AS contact, c.email_id AS email, c.is_primary_contact
		FROM `tabDynamic Link` dl JOIN `tabContact` c ON c.name = dl.parent
		WHERE dl.parenttype = 'Contact' AND dl.link_doctype = 'Customer' AND dl.link_name IN %(customers)s
			AND {eligible}"""
	]
	if "helpdesk" in frappe.get_installed_apps() and frappe.db.table_exists("HD Customer"):
		mapped = (
			"COALESCE(NULLIF(hdc.cs_customer, ''), hdc.name)"
			if frappe.db.has_column("HD Customer", "cs_customer")
			else "hdc.name"
		)
		queries.append(
			f"""SELECT {mapped} AS customer, c.name AS contact, c.email_id AS email, c.is_primary_contact
			FROM `tabDynamic Link` dl JOIN `tabContact` c ON c.name = dl.parent
			JOIN `tabHD Customer` hdc ON hdc.name = dl.link_name
			WHERE dl.parenttype = 'Contact' AND dl.link_doctype = 'HD Customer'
				AND {mapped} IN %(customers)s AND {eligible}"""
		)
	return frappe.db.sql(
		f"""SELECT customer, contact, email, is_primary_contact FROM ({" UNION ".join(queries)}) linked
		ORDER BY customer, is_primary_contact DESC, contact""",
		params,
		as_dict=True,
	)


def recently_surveyed(emails: set[str], window_days: int | None) -> set[str]:
	if not emails or not window_days:
		return set()
	since = add_days(now_datetime(), -window_days)
	return {
		email.lower()
		for email in frappe.get_all(
			"Survey Invitation",
			filters={"email": ("in", list(emails)), "creation": (">=", since), "status": ("!=", "Bounced")},
			pluck="email",
		)
	}


def invite(campaign, recipients: list[Recipient], reference: tuple[str, str] | None = None) -> int:
	for recipient in recipients:
		invitation = create_invitation(campaign, recipient, reference)
		send_invitation(invitation, campaign)
	return len(recipients)


def create_invitation(campaign, recipient: Recipient, reference: tuple[str, str] | None = None):
	nonce = new_nonce()
	return frappe.get_doc(
		{
			"doctype": "Survey Invitation",
			"campaign": campaign.name,
			"customer": recipient.customer,
			"contact": recipient.contact,
			"email": recipient.email,
			"language": respondent_language(recipient.customer),
			"status": "Queued",
			"token_nonce": nonce,
			"token_hash": token_hash_for_nonce(nonce),
			"reference_doctype": reference[0] if reference else None,
			"reference_name": reference[1] if reference else None,
		}
	).insert(ignore_permissions=True)


def send_invitation(invitation, campaign, reminder: bool = False) -> None:
	now = now_datetime()
	expires_on = invitation.expires_on or add_to_date(now, days=campaign.link_lifetime_days or 14)
	subject, message = render_email(invitation, campaign, get_datetime(expires_on), reminder)
	frappe.sendmail(
		recipients=[invitation.email],
		subject=subject,
		message=message,
		reference_doctype="Survey Invitation",
		reference_name=invitation.name,
		add_unsubscribe_link=0,  # the email carries its own survey opt-out link
	)
	if reminder:
		invitation.db_set({"reminders_sent": (invitation.reminders_sent or 0) + 1, "last_reminder_on": now})
	else:
		invitation.db_set({"status": "Sent", "sent_on": now, "expires_on": expires_on})


def render_email(invitation, campaign, expires_on, reminder: bool) -> tuple[str, str]:
	template = frappe.get_cached_doc("Survey Template", campaign.template)
	headline = template.questions[0]
	token = token_for(invitation)
	with in_language(invitation.language):
		scale = SCALES[headline.question_type]
		# Names and texts are escaped here as well as by our own template's autoescape, so an Email
		# Template a user writes (rendered without autoescape) cannot be fed markup either.
		context = {
			"customer_name": escape(frappe.db.get_value("Customer", invitation.customer, "customer_name")),
			"contact_name": invitation.contact
			and escape(frappe.db.get_value("Contact", invitation.contact, "first_name") or ""),
			"company": escape(frappe.defaults.get_global_default("company") or ""),
			# Template texts are stored inert (cs_success/base/text.py): escaped once here, from the text typed.
			"introduction": escape(as_typed(_(template.introduction))) if template.introduction else "",
			"question": escape(as_typed(_(headline.question))),
			"question_type": headline.question_type,
			"scores": [
				{"score": score, "url": survey_url(token, score)}
				for score in range(scale.minimum, scale.maximum + 1)
			],
			"survey_url": survey_url(token),
			"opt_out_url": opt_out_url(token),
			"expires_on": frappe.utils.format_date(expires_on),
			"reminder": reminder,
		}
		if campaign.email_template:
			email_template = frappe.get_cached_doc("Email Template", campaign.email_template)
			# A subject is plain text: the names go in as they are.
			subject = frappe.render_template(
				email_template.subject,
				{
					key: value.unescape() if isinstance(value, Markup) else value
					for key, value in context.items()
				},
			)
			body = email_template.response_html if email_template.use_html else email_template.response
			message = frappe.render_template(body or "", context)
		else:
			subject = (_("Reminder: {0}") if reminder else "{0}").format(
				_("A quick question from {0}").format(
					frappe.defaults.get_global_default("company") or _("us")
				)
			)
			message = frappe.render_template(EMAIL_TEMPLATE, context)
	return subject, message


def send_reminders() -> None:
	"""Daily: one more email to those who have not answered, at most the campaign's maximum.

	Each invitation in its own savepoint and each campaign committed on its own: one that fails is
	logged and undone (it is still due, so tomorrow's run tries it again) and the others go out."""
	from cs_success.base.isolation import transaction_lost

	now = now_datetime()
	for campaign in frappe.get_all(
		"Survey Campaign",
		filters={"status": "Active", "reminder_after_days": (">", 0), "max_reminders": (">", 0)},
		fields=["name", "reminder_after_days", "max_reminders"],
	):
		frappe.db.savepoint("cs_success_reminders")
		try:
			due_before = add_days(now, -campaign.reminder_after_days)
			for name in frappe.db.sql_list(
				"""
				SELECT name FROM `tabSurvey Invitation`
				WHERE campaign = %(campaign)s AND status IN ('Sent', 'Opened') AND expires_on > %(now)s
					AND reminders_sent < %(max)s AND COALESCE(last_reminder_on, sent_on) <= %(due_before)s
				""",
				{
					"campaign": campaign.name,
					"now": now,
					"max": campaign.max_reminders,
					"due_before": due_before,
				},
			):
				frappe.db.savepoint("cs_success_reminder")
				try:
					send_invitation(
						frappe.get_doc("Survey Invitation", name),
						frappe.get_cached_doc("Survey Campaign", campaign.name),
						reminder=True,
					)
				except Exception as error:
					if transaction_lost(error):
						raise  # the savepoint went with the transaction: the campaign handler rolls back
					frappe.db.rollback(save_point="cs_success_reminder")
					frappe.log_error(
						title=f"cs_success: survey reminder {name} failed",
						reference_doctype="Survey Invitation",
						reference_name=name,
					)
		except Exception as error:
			if transaction_lost(error):
				frappe.db.rollback()
			else:
				frappe.db.rollback(save_point="cs_success_reminders")
			frappe.log_error(
				title=f"cs_success: survey reminders for campaign {campaign.name} failed",
				reference_doctype="Survey Campaign",
				reference_name=campaign.name,
			)
			continue
		if not frappe.flags.in_test:
			frappe.db.commit()


def expire_invitations() -> None:
	frappe.db.sql(
		"""UPDATE `tabSurvey Invitation` SET status = 'Expired', modified = %(now)s
		WHERE status IN ('Sent', 'Opened') AND expires_on <= %(now)s""",
		{"now": now_datetime()},
	)


def mark_bounced() -> None:
	"""Invitations whose email the queue could not deliver."""
	frappe.db.sql(
		"""
		UPDATE `tabSurvey Invitation` si
		JOIN `tabEmail Queue` q ON q.reference_doctype = 'Survey Invitation' AND q.reference_name = si.name
		SET si.status = 'Bounced', si.modified = %(now)s
		WHERE q.status = 'Error' AND si.status IN ('Queued', 'Sent')
		""",
		{"now": now_datetime()},
	)


def post_ticket_campaigns() -> list[str]:
	"""Active event-driven post-ticket campaigns; cached, as ticket hooks ask on every resolution."""
	return frappe.cache.get_value(
		"cs_success:post_ticket_campaigns",
		generator=lambda: frappe.get_all(
			"Survey Campaign",
			filters={"status": "Active", "purpose": "Post-Ticket", "audience": "Event"},
			pluck="name",
		),
	)


def clear_campaign_cache() -> None:
	frappe.cache.delete_value("cs_success:post_ticket_campaigns")


def recently_resolved_tickets() -> list[tuple[str, str]]:
	since = add_days(now_datetime(), -2)
	tickets = [("Issue", name) for name in frappe.get_all(
		"Issue", filters={"status": ("in", RESOLVED_STATUSES), "modified": (">=", since)}, pluck="name"
	)]  # fmt: skip
	if "helpdesk" in frappe.get_installed_apps():
		tickets += [("HD Ticket", name) for name in frappe.db.sql_list(
			f"SELECT name FROM `tabHD Ticket` WHERE {resolved_condition('HD Ticket')} AND modified >= %(since)s",
			{"since": since},
		)]  # fmt: skip
	return tickets


def invite_for_ticket(doctype: str, name: str, campaign=None) -> int:
	"""Post-ticket: survey the person who raised a resolved ticket, once per ticket and campaign."""
	campaigns = (
		[campaign] if campaign else [frappe.get_doc("Survey Campaign", c) for c in post_ticket_campaigns()]
	)
	if not campaigns:
		return 0
	recipient = ticket_recipient(doctype, name)
	sent = 0
	for campaign in campaigns:
		if not recipient or frappe.db.exists(
			"Survey Invitation",
			{"campaign": campaign.name, "reference_doctype": doctype, "reference_name": name},
		):
			continue
		if recipient.email.lower() in recently_surveyed(
			{recipient.email.lower()}, campaign.recontact_window_days
		):
			continue
		sent += invite(campaign, [recipient], reference=(doctype, name))
	return sent


def ticket_recipient(doctype: str, name: str) -> Recipient | None:
	"""The person who raised the ticket, if they are one of its customer's contacts (`linked_contacts`):
	the ticket's contact, else a contact whose email raised it."""
	ticket = frappe.db.get_value(doctype, name, ["customer", "contact", "raised_by"], as_dict=True)
	if not ticket or not ticket.customer:
		return None
	customer = ticket.customer
	if doctype == "HD Ticket":
		from cs_success.base.helpdesk import helpdesk_customer_to_customer

		customer = helpdesk_customer_to_customer(customer)
	if not customer or frappe.db.get_value("Customer", customer, "disabled"):
		return None  # a disabled customer is in no audience
	raised_by = (ticket.raised_by or "").strip().lower()
	contacts = [ticket.contact] if ticket.contact else None
	for row in linked_contacts([customer], contacts):
		if contacts or row.email.strip().lower() == raised_by:
			email = row.email.strip()
			return None if opted_out([email]) else Recipient(customer, row.contact, email)
	return None


def update_campaign_stats(campaign_name: str) -> None:
	from cs_success.engine.survey_metrics import response_rate, summarize

	counts = frappe.db.sql(
		"""
		SELECT SUM(status NOT IN ('Queued')) AS invited,
			SUM(opened_on IS NOT NULL OR status = 'Answered') AS opened,
			SUM(status = 'Answered') AS answered
		FROM `tabSurvey Invitation` WHERE campaign = %s
		""",
		campaign_name,
		as_dict=True,
	)[0]
	scores = summarize(
		frappe.get_all(
			"Survey Response",
			filters={"campaign": campaign_name},
			fields=["headline_type", "headline_score"],
			as_list=True,
		)
	)
	invited, answered = int(counts.invited or 0), int(counts.answered or 0)
	frappe.db.set_value(
		"Survey Campaign",
		campaign_name,
		{
			"invited_count": invited,
			"opened_count": int(counts.opened or 0),
			"answered_count": answered,
			"response_rate": response_rate(answered, invited) or 0,
			"nps_score": scores["nps"] or 0,
			"csat_percent": scores["csat_percent"] or 0,
			"ces_mean": scores["ces_mean"] or 0,
			"ces_easy_percent": scores["ces_easy_percent"] or 0,
		},
		update_modified=False,
	)
