"""What a logged-in customer contact sees of surveys in the portal."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import format_date, now_datetime

from cs_success.base.portal import contacts_of_user
from cs_success.surveys.links import survey_url, token_for


def open_surveys_for_user(user: str) -> list[dict]:
	contacts = contacts_of_user(user)
	if not contacts:
		return []
	invitations = frappe.get_all(
		"Survey Invitation",
		filters={
			"contact": ("in", contacts),
			"status": ("in", ("Sent", "Opened")),
			"expires_on": (">", now_datetime()),
		},
		fields=["name", "campaign", "expires_on", "token_nonce"],
		order_by="expires_on asc",
	)
	surveys = []
	for invitation in invitations:
		template = frappe.db.get_value("Survey Campaign", invitation.campaign, "template")
		surveys.append(
			{
				"title": _(template),
				"url": survey_url(token_for(invitation)),
				"expires_on": format_date(invitation.expires_on),
			}
		)
	return surveys
