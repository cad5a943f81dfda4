"""The guest survey page (a Web Form) and the page that explains a link that cannot be used."""

from __future__ import annotations

import json

import frappe
from frappe import _
from frappe.utils import now_datetime

from cs_success.engine.survey_metrics import SCALES, SINGLE_CHOICE
from cs_success.engine.tokens import OPEN
from cs_success.surveys.links import find_invitation, link_status_url, state_of
from cs_success.surveys.responses import choices, link_state_message
from cs_success.utils import commit_get_request

# Page views per IP and minute; a real respondent needs a handful.
PAGE_RATE_LIMIT = 60


def guest_rate_limit(bucket: str, limit: int, seconds: int = 60) -> None:
	key = frappe.cache.make_key(f"cs_success:rl:{bucket}:{frappe.local.request_ip or 'local'}")
	count = frappe.cache.incr(key)
	if count == 1:
		frappe.cache.expire(key, seconds)
	if count > limit:
		frappe.throw(_("Too many requests. Please try again in a minute."), frappe.TooManyRequestsError)


def survey_page_context(context) -> None:
	guest_rate_limit("survey_page", PAGE_RATE_LIMIT)
	context.no_cache = 1
	token = frappe.form_dict.get("token")
	invitation = find_invitation(token)
	state = state_of(invitation)
	if state != OPEN:
		frappe.redirect(link_status_url(state, invitation.language if invitation else None))

	frappe.local.lang = invitation.language or frappe.local.lang
	mark_opened(invitation)
	campaign = frappe.get_cached_doc("Survey Campaign", invitation.campaign)
	template = frappe.get_cached_doc("Survey Template", campaign.template)
	context.survey_json = json.dumps(survey_payload(template, token, frappe.form_dict.get("score"))).replace(
		"</", "<\\/"
	)


def mark_opened(invitation) -> None:
	if invitation.status == "Sent":
		frappe.db.set_value(
			"Survey Invitation", invitation.name, {"status": "Opened", "opened_on": now_datetime()}
		)
		commit_get_request()


def survey_payload(template, token: str, preselected) -> dict:
	questions = []
	for question in template.questions:
		scale = SCALES.get(question.question_type)
		questions.append(
			{
				"key": str(question.idx),
				"text": _(question.question),
				"type": question.question_type,
				"min": scale.minimum if scale else None,
				"max": scale.maximum if scale else None,
				"choices": [{"value": c, "label": _(c)} for c in choices(question)]
				if question.question_type == SINGLE_CHOICE
				else [],
				"required": bool(question.is_required),
			}
		)
	headline = questions[0]
	try:
		preselected = int(preselected) if preselected not in (None, "") else None
	except ValueError:
		preselected = None
	if preselected is not None and not headline["min"] <= preselected <= headline["max"]:
		preselected = None
	return {
		"token": token,
		"introduction": _(template.introduction) if template.introduction else "",
		"questions": questions,
		"preselected": preselected,
		"labels": {
			"NPS": [_("Not at all likely"), _("Extremely likely")],
			"CSAT": [_("Very dissatisfied"), _("Very satisfied")],
			"CES": [_("Very difficult"), _("Very easy")],
			"required": _("Please answer: {0}"),
			"choose": _("Choose one"),
		},
	}


def link_status_context(context) -> None:
	"""/survey-link?state=...: says plainly why a link cannot be used, in the respondent's language."""
	context.no_cache = 1
	if frappe.form_dict.get("lang"):
		frappe.local.lang = frappe.form_dict.lang
	state = frappe.form_dict.get("state")
	context.state = state
	if state == "opted_out_done":
		context.heading = _("You will not receive our surveys any more")
		context.message = _("Sorry for the interruption. You can still reach us any time by email.")
	else:
		context.heading = _("Survey")
		context.message = link_state_message(state)
	context.title = context.heading
