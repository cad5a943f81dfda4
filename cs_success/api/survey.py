"""Survey endpoints: the guest opt-out link, and campaign actions for CS Managers."""

from __future__ import annotations

import frappe
from frappe.rate_limiter import rate_limit

from cs_success.engine.tokens import ANSWERED
from cs_success.surveys.links import find_invitation, link_status_url, state_of
from cs_success.utils import commit_get_request


@frappe.whitelist(allow_guest=True, methods=["GET", "POST"])
@rate_limit(limit=30, seconds=60)
def opt_out(token: str | None = None) -> None:
	"""From the email: no more surveys for this contact. Idempotent; says plainly when the link is bad."""
	invitation = find_invitation(token)
	if not invitation:
		return _redirect(link_status_url("invalid"))
	if invitation.contact:
		frappe.db.set_value("Contact", invitation.contact, "cs_no_surveys", 1, update_modified=False)
	if state_of(invitation) != ANSWERED:
		frappe.db.set_value("Survey Invitation", invitation.name, "status", "Opted Out")
	commit_get_request()
	return _redirect(link_status_url("opted_out_done", invitation.language))


def _redirect(location: str) -> None:
	frappe.local.response["type"] = "redirect"
	frappe.local.response["location"] = location


@frappe.whitelist(methods=["POST"])
def send_campaign_now(campaign: str) -> int:
	"""CS Manager: invite the campaign's audience now rather than at its next scheduled run."""
	frappe.only_for(["CS Manager", "System Manager"])
	from cs_success.surveys.delivery import run_campaign

	return run_campaign(campaign)
