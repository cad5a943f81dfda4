"""Survey endpoints: the guest opt-out and page-view calls, and campaign actions for CS Managers."""

import frappe
from frappe.rate_limiter import rate_limit

from cs_success.surveys import opt_out as opt_outs
from cs_success.surveys.links import find_invitation, link_status_url, opt_out_url
from cs_success.surveys.web import OPTED_OUT_DONE, mark_opened


@frappe.whitelist(allow_guest=True, methods=["GET", "POST"])
@rate_limit(limit=30, seconds=60)
def opt_out(token: str | None = None) -> None:
	"""The opt-out itself, by POST from its confirmation page. A GET (a link in an email sent before
	the confirmation page existed, or a mail scanner) only shows that page: it changes nothing."""
	request = getattr(frappe.local, "request", None)
	if request is not None and request.method != "POST":
		return _redirect(opt_out_url(token if isinstance(token, str) else ""))
	invitation = find_invitation(token)
	if not invitation:
		return _redirect(link_status_url("invalid"))
	opt_outs.opt_out(invitation)
	return _redirect(link_status_url(OPTED_OUT_DONE, invitation.language))


@frappe.whitelist(allow_guest=True, methods=["POST"])
@rate_limit(limit=60, seconds=60)
def survey_viewed(token: str) -> None:
	"""The survey page's script reports that a person's browser rendered it."""
	mark_opened(token)


def _redirect(location: str) -> None:
	frappe.local.response["type"] = "redirect"
	frappe.local.response["location"] = location


@frappe.whitelist(methods=["POST"])
def send_campaign_now(campaign: str) -> int:
	"""CS Manager: invite the campaign's audience now rather than at its next scheduled run."""
	frappe.only_for(["CS Manager", "System Manager"])
	from cs_success.surveys.delivery import run_campaign

	return run_campaign(campaign)
