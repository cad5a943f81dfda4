"""Survey endpoints: the guest survey page's calls (viewed, the score from the email, the answers), the
opt-out, and campaign actions for CS Managers."""

import frappe

from cs_success.base.roles import MANAGER_ROLES
from cs_success.growth.advocacy import refer_from_survey
from cs_success.surveys import opt_out as opt_outs
from cs_success.surveys import responses
from cs_success.surveys.links import find_invitation, link_status_url, opt_out_url
from cs_success.surveys.web import OPTED_OUT_DONE, mark_opened, rate_limited


@frappe.whitelist(allow_guest=True, methods=["GET", "POST"])
@rate_limited(limit=30, seconds=60)
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
@rate_limited(limit=60, seconds=60)
def survey_viewed(token: str) -> None:
	"""The survey page's script reports that a person's browser rendered it."""
	mark_opened(token)


@frappe.whitelist(allow_guest=True, methods=["POST"])
@rate_limited(limit=30, seconds=60)
def record_score(token: str | None = None, score: str | int | None = None) -> dict:
	"""The score clicked in the email, posted by the survey page's script once a browser has rendered
	it (never by the link's GET: mail scanners open every link). Stored as a partial response, which
	counts as the answer; posting again updates it, never adds a second one."""
	return _saved(responses.save_score(token, score))


@frappe.whitelist(allow_guest=True, methods=["POST"])
@rate_limited(limit=20, seconds=60)
def submit_answers(token: str | None = None, answers: str | None = None, comment: str | None = None) -> dict:
	"""The survey page's Send: all answers, as JSON keyed by question number, and the comment. Completes
	the link's partial response if the email's score made one."""
	return _saved(responses.save_answers(token, answers, comment))


@frappe.whitelist(allow_guest=True, methods=["POST"])
@rate_limited(limit=5, seconds=60)
def refer(
	token: str | None = None, name: str | None = None, company: str | None = None, email: str | None = None
) -> dict:
	"""The thank-you page's referral form, offered to a promoter: the person recommended becomes an ERPNext
	Lead, credited to the customer whose answer the token names (growth/advocacy.py refer_from_survey).
	The token is the permission: only a link with a promoter's answer may refer."""
	refer_from_survey(token, name, company, email)
	return {"recorded": True}


def _saved(response) -> dict:
	return {"partial": bool(response.is_partial), "score": response.headline_score}


def _redirect(location: str) -> None:
	frappe.local.response["type"] = "redirect"
	frappe.local.response["location"] = location


@frappe.whitelist(methods=["POST"])
def send_campaign_now(campaign: str) -> int:
	"""CS Manager: invite the campaign's audience now rather than at its next scheduled run."""
	frappe.only_for(list(MANAGER_ROLES))
	from cs_success.surveys.delivery import run_campaign

	return run_campaign(campaign)
