"""Opting out of surveys: by address, so it holds whether or not the respondent is a Contact."""

from __future__ import annotations

from collections.abc import Iterable

import frappe
from frappe.utils import now_datetime


def opt_out(invitation) -> None:
	"""No more surveys to this invitation's address (and its Contact, if any). Idempotent."""
	email = (invitation.email or "").strip().lower()
	if email and not frappe.db.exists("Survey Opt Out", {"email": email}):
		frappe.get_doc(
			{
				"doctype": "Survey Opt Out",
				"email": email,
				"opted_out_on": now_datetime(),
				"contact": invitation.contact,
				"invitation": invitation.name,
			}
		).insert(ignore_permissions=True)
	if invitation.contact:
		frappe.db.set_value("Contact", invitation.contact, "cs_no_surveys", 1, update_modified=False)
	# Every open link of that address stops: no reminders, no answers.
	frappe.db.sql(
		"""UPDATE `tabSurvey Invitation` SET status = 'Opted Out', modified = %(now)s
		WHERE (name = %(name)s OR LOWER(email) = %(email)s) AND status IN ('Queued', 'Sent', 'Opened')""",
		{"name": invitation.name, "email": email, "now": now_datetime()},
	)


def opted_out(emails: Iterable[str]) -> set[str]:
	"""The given addresses (lower-case) that asked for no more surveys."""
	emails = {email.strip().lower() for email in emails if email}
	if not emails:
		return set()
	return set(frappe.get_all("Survey Opt Out", filters={"email": ("in", list(emails))}, pluck="email"))
