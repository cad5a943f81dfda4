"""The guest survey page and the page that explains a link that cannot be used.

The survey keeps the route of the *survey* Web Form (links in emails already sent point at
/survey/new?token=...), but the form's context swaps Frappe's web form template for our own page
(SURVEY_PAGE_TEMPLATE; `context.template` is how a page's context names its template): the company's
name and logo, one short card of questions with large radio buttons, and none of the web form's chrome
(title badge, Discard, footer sign-up), whatever a Frappe update does to that template. Its script
(public/survey/cs_survey.bundle.js) posts to cs_success.api.survey; every answer is checked and stored by
surveys/responses.py."""

from __future__ import annotations

import json
from functools import wraps

import frappe
from frappe import _
from frappe.utils import now_datetime

from cs_success.base.text import as_typed
from cs_success.engine.survey_metrics import PROMOTER, SCALES, SINGLE_CHOICE, categorize
from cs_success.engine.tokens import ANSWERED, EXPIRED, INVALID, OPEN, OPTED_OUT
from cs_success.surveys.i18n import requested_language
from cs_success.surveys.links import find_invitation, link_status_url, state_of
from cs_success.surveys.responses import answer_state, choices, link_state_message

# Page views per IP and minute; a real respondent needs a handful.
PAGE_RATE_LIMIT = 60
OPTED_OUT_DONE = "opted_out_done"
SURVEY_PAGE_TEMPLATE = "cs_success/cs_success/web_form/survey/survey_page.html"
LINK_STATES = (ANSWERED, EXPIRED, INVALID, OPTED_OUT, OPTED_OUT_DONE)


def client_address() -> str:
	"""Who is asking, for rate limits: the LAST X-Forwarded-For hop, the one the proxy in front of Frappe
	added. Frappe 15's `request_ip` is the FIRST hop, which the client writes itself: a new made-up
	address per request would be a new bucket per request. Without the header, Frappe's address."""
	headers = getattr(getattr(frappe.local, "request", None), "headers", None)
	forwarded = (headers.get("X-Forwarded-For") if headers else None) or ""
	return forwarded.rsplit(",", 1)[-1].strip() or getattr(frappe.local, "request_ip", None) or "local"


def _count(key: str, seconds: int) -> int:
	"""Fixed window: the counter is created with its expiry and incremented in one transaction, so no
	crash between two calls can leave a counter that never expires."""
	key = frappe.cache.make_key(key)
	pipeline = frappe.cache.pipeline(transaction=True)
	pipeline.set(key, 0, ex=seconds, nx=True)
	pipeline.incr(key)
	return pipeline.execute()[-1]


def guest_rate_limit(bucket: str, limit: int, seconds: int = 60) -> None:
	"""Page views per address (`client_address`) and window."""
	if _count(f"cs_success:rl:{bucket}:{client_address()}", seconds) > limit:
		frappe.throw(_("Too many requests. Please try again in a minute."), frappe.TooManyRequestsError)


def rate_limited(limit: int, seconds: int = 60):
	"""Frappe's `rate_limit` for our guest endpoints, keyed on `client_address` instead of the first
	forwarded hop. Only inside a web request, as Frappe's; same key (`rl:<method>:<address>`) and error
	class."""

	def decorator(fn):
		method = f"{fn.__module__}.{fn.__name__}"

		@wraps(fn)
		def wrapper(*args, **kwargs):
			if (
				getattr(frappe.local, "request", None)
				and _count(f"rl:{method}:{client_address()}", seconds) > limit
			):
				frappe.throw(
					_("Too many requests. Please try again in a minute."), frappe.RateLimitExceededError
				)
			return fn(*args, **kwargs)

		return wrapper

	return decorator


def survey_page_context(context) -> None:
	"""/survey/new?token=...[&score=N]: the survey, or a redirect to the page that says why the link
	cannot be used. Rendering changes nothing: the page's script reports the view and stores the score
	from the email (a partial response); a link whose answer so far is that score stays open."""
	guest_rate_limit("survey_page", PAGE_RATE_LIMIT)
	context.no_cache = 1
	token = frappe.form_dict.get("token")
	invitation = find_invitation(token)
	state, partial = answer_state(invitation)
	if state != OPEN:
		frappe.redirect(link_status_url(state, invitation.language if invitation else None))

	frappe.local.lang = invitation.language or frappe.local.lang
	campaign = frappe.get_cached_doc("Survey Campaign", invitation.campaign)
	template = frappe.get_cached_doc("Survey Template", campaign.template)
	payload = survey_payload(template, token, frappe.form_dict.get("score"))
	payload["record_score"] = payload["preselected"] is not None
	if partial and payload["preselected"] is None:
		payload["preselected"] = frappe.db.get_value("Survey Response", partial, "headline_score")
	payload["saved"] = bool(partial)
	context.survey = payload
	context.survey_json = script_json(payload)
	context.company = survey_company(campaign)
	context.survey_lang = frappe.local.lang
	context.title = _("Customer Survey")
	context.template = SURVEY_PAGE_TEMPLATE


def survey_company(campaign=None) -> dict:
	"""Who is asking: the campaign's company (where the campaign has one), else the default company.
	Its logo only if a guest can load it (a public file or an https address), never a private file."""
	company = (campaign.get("company") if campaign else None) or frappe.defaults.get_global_default("company")
	if not company or not frappe.db.exists("Company", company):
		company = frappe.get_all("Company", pluck="name", limit=1, order_by="creation asc")
		company = company[0] if company else None
	if not company:
		return {"name": frappe.db.get_single_value("Website Settings", "app_name") or "", "logo": None}
	name, logo = frappe.db.get_value("Company", company, ["company_name", "company_logo"])
	if not (logo and (logo.startswith("/files/") or logo.startswith("https://"))):
		logo = None
	return {"name": name or company, "logo": logo}


def script_json(value) -> str:
	"""JSON that is safe inside a <script> element: no character of it can close the element or open
	a comment, whatever the translated texts contain (json.dumps already escapes non-ASCII)."""
	return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def mark_opened(token) -> None:
	"""Called by the survey page's script once it has rendered in a browser: mail scanners fetch
	every link in an email but run no script, so a plain GET never counts as opened."""
	invitation = find_invitation(token)
	if invitation and invitation.status == "Sent" and state_of(invitation) == OPEN:
		# Only while still Sent, in one statement: an answer stored meanwhile is never set back to Opened.
		frappe.db.set_value(
			"Survey Invitation",
			{"name": invitation.name, "status": "Sent"},
			{"status": "Opened", "opened_on": now_datetime()},
		)


def survey_payload(template, token: str, preselected) -> dict:
	ends = {
		"NPS": [_("Not at all likely"), _("Extremely likely")],
		"CSAT": [_("Very dissatisfied"), _("Very satisfied")],
		"CES": [_("Very difficult"), _("Very easy")],
	}
	questions = []
	for question in template.questions:
		scale = SCALES.get(question.question_type)
		questions.append(
			{
				"key": str(question.idx),
				"text": as_typed(_(question.question)),
				"type": question.question_type,
				"min": scale.minimum if scale else None,
				"max": scale.maximum if scale else None,
				"ends": ends.get(question.question_type, ["", ""]),
				"choices": [{"value": as_typed(c), "label": as_typed(_(c))} for c in choices(question)]
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
	scale = (headline["min"], headline["max"]) if headline["min"] is not None else (0, -1)
	if preselected is not None and not scale[0] <= preselected <= scale[1]:
		preselected = None
	return {
		"token": token,
		"introduction": as_typed(_(template.introduction)) if template.introduction else "",
		"questions": questions,
		"preselected": preselected,
		# The headline scores of a promoter: the thank-you state invites them to recommend someone (the
		# referral endpoint checks the stored answer again).
		"refer_scores": [
			score
			for score in range(headline["min"] or 0, (headline["max"] or -1) + 1)
			if categorize(headline["type"], score) == PROMOTER
		],
		"labels": {
			"required": _("Please answer: {0}"),
			"saved": _("Thank you, your score is saved. You can close this page, or tell us more below."),
			"sending": _("Sending..."),
			"failed": _("Your answers could not be sent. Please check your connection and try again."),
			"refer_name": _("Please enter the name of the person you recommend."),
			"refer_email": _("Please enter a valid email address."),
			"refer_done": _("Thank you! We will get in touch with {0}."),
			"refer_failed": _(
				"Your recommendation could not be sent. Please check your connection and try again."
			),
		},
	}


def link_status_context(context) -> None:
	"""/survey-link?state=...: says plainly why a link cannot be used, in the respondent's language.
	Only known states and shipped languages are taken from the query string."""
	context.no_cache = 1
	frappe.local.lang = requested_language(frappe.form_dict.get("lang")) or frappe.local.lang
	state = frappe.form_dict.get("state")
	if state not in LINK_STATES:
		state = INVALID
	context.state = state
	if state == OPTED_OUT_DONE:
		context.heading = _("You will not receive our surveys any more")
		context.message = _("Sorry for the interruption. You can still reach us any time by email.")
	else:
		context.heading = _("Survey")
		context.message = link_state_message(state)
	context.title = context.heading
	context.company = survey_company()
	context.survey_lang = frappe.local.lang


def opt_out_page_context(context) -> None:
	"""/survey-opt-out?token=...: asks before opting out; only the button's POST changes anything."""
	guest_rate_limit("survey_page", PAGE_RATE_LIMIT)
	context.no_cache = 1
	token = frappe.form_dict.get("token")
	invitation = find_invitation(token)
	context.valid = bool(invitation)
	if invitation:
		frappe.local.lang = invitation.language or frappe.local.lang
		context.token = token
		# A logged-in contact's POST must carry the session's CSRF token, as Frappe's own forms do (a
		# guest's session has none and needs none). Read, never made here: a new one would not be saved.
		context.csrf_token = frappe.session.data.get("csrf_token") or ""
		context.email = masked_email(invitation.email)
		context.company = survey_company(frappe.get_cached_doc("Survey Campaign", invitation.campaign))
	else:
		context.message = link_state_message(INVALID)
		context.company = survey_company()
	context.survey_lang = frappe.local.lang


def masked_email(email: str | None) -> str:
	"""Enough of the address to recognise it, not enough to harvest it from a forwarded link."""
	local, _at, domain = (email or "").partition("@")
	return f"{local[:1]}***@{domain}" if domain else "***"
