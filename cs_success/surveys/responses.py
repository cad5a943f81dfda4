"""Accepting a survey answer: every check on the server, once per link, then closing the loop.

A link has at most one Survey Response. The score a respondent clicks in the email is stored as soon as
the survey page has loaded in a browser, as a *partial* response (`is_partial`): it is the answer most
respondents give, so it counts everywhere a response counts (response rate, health, reports). Until the
link expires the same page can complete it with the other answers and a comment; completing updates that
response. Every path (the page's endpoints, the web form's own submit, code) goes through
`accept_response`, run by the Survey Response controller."""

from __future__ import annotations

import json

import frappe
from frappe import _
from frappe.utils import cint, get_datetime, now_datetime

from cs_success.base.queue import queue_recompute
from cs_success.base.text import as_text
from cs_success.engine.survey_metrics import (
	SCALES,
	SINGLE_CHOICE,
	AnswerError,
	categorize,
	parse_score,
)
from cs_success.engine.tokens import ANSWERED, EXPIRED, OPEN, OPTED_OUT
from cs_success.surveys.i18n import in_language
from cs_success.surveys.links import find_invitation, state_of

MAX_TEXT_LENGTH = 5000
MAX_SUBMISSION_LENGTH = 64 * 1024


def link_state_message(state: str) -> str:
	return {
		ANSWERED: _("This survey has already been answered. Thank you!"),
		EXPIRED: _("This survey link has expired."),
		OPTED_OUT: _("You have opted out of our surveys."),
	}.get(state, _("This survey link is not valid."))


def answer_error_message(error: AnswerError) -> str:
	messages = {
		"score_missing": _("Please answer: {0}"),
		"score_not_a_number": _('The answer to "{0}" must be a number.'),
		"score_not_a_whole_number": _('The answer to "{0}" must be a whole number.'),
		"score_out_of_range": _('The answer to "{0}" is outside its scale.'),
		"choice_not_offered": _('The answer to "{0}" is not one of its choices.'),
		"text_too_long": _('The answer to "{0}" is too long (at most {1} characters).'),
		"answers_malformed": _("The survey answers could not be read. Please reload the page and try again."),
	}
	return messages.get(error.code, _("The survey answers could not be read.")).format(
		error.question, MAX_TEXT_LENGTH
	)


def parse_answers(template, raw_answers, partial: bool = False) -> list[dict]:
	"""Answers keyed by question number (1-based, as strings or ints) -> validated answer rows.
	A partial answer may leave required questions out (the caller still insists on the headline)."""
	if raw_answers in (None, ""):
		raw_answers = "{}"
	if not isinstance(raw_answers, str) or len(raw_answers) > MAX_SUBMISSION_LENGTH:
		raise AnswerError("answers_malformed")
	try:
		answers = json.loads(raw_answers)
	except ValueError:
		raise AnswerError("answers_malformed") from None
	if not isinstance(answers, dict):
		raise AnswerError("answers_malformed")

	rows = []
	for question in template.questions:
		label = _(question.question)
		value = answers.get(str(question.idx), answers.get(question.idx))
		row = {
			"idx": question.idx,
			"question": question.question,
			"question_type": question.question_type,
			"direction": question.direction,
		}
		if question.question_type in SCALES:
			if value in (None, "") and (partial or not question.is_required):
				continue
			try:
				score = parse_score(question.question_type, value)
			except AnswerError as error:
				raise AnswerError(error.code, label) from None
			scale = SCALES[question.question_type]
			row.update(has_score=1, score=score, scale_min=scale.minimum, scale_max=scale.maximum)
		else:
			text = value.strip() if isinstance(value, str) else ("" if value is None else None)
			if text is None:
				raise AnswerError("answers_malformed", label)
			if not text:
				if question.is_required and not partial:
					raise AnswerError("score_missing", label)
				continue
			if len(text) > MAX_TEXT_LENGTH:
				raise AnswerError("text_too_long", label)
			# Stored inert (cs_success/base/text.py), as the template's choices were when it was saved.
			text = as_text(text)
			if question.question_type == SINGLE_CHOICE and text not in choices(question):
				raise AnswerError("choice_not_offered", label)
			row["answer"] = text
		rows.append(row)
	return rows


def choices(question) -> list[str]:
	return [line.strip() for line in (question.options or "").splitlines() if line.strip()]


def answer_state(invitation, now=None, for_update: bool = False) -> tuple[str, str | None]:
	"""What a link can do now, and the partial response it would complete. A link whose only answer so far
	is the score clicked in the email stays open for the rest of the survey until it expires.

	`for_update` (with the invitation locked): a locking read, which sees a response another request has
	just committed, where a plain read in a repeatable-read transaction may see an older snapshot."""
	state = state_of(invitation, now)
	if state != ANSWERED:
		return state, None
	partial = frappe.db.get_value(
		"Survey Response", {"invitation": invitation.name, "is_partial": 1}, "name", for_update=for_update
	)
	if not partial:
		return ANSWERED, None
	if invitation.expires_on and (now or now_datetime()) >= get_datetime(invitation.expires_on):
		return EXPIRED, None
	return OPEN, partial


def accept_response(doc) -> None:
	"""Runs before a Survey Response is stored, a new one or a partial one being completed: the token
	decides who, what and whether at all.

	Values the browser sent for customer, campaign and the like are ignored; the invitation row is
	locked, so of two submissions racing on one token exactly one gets through, and a link never gets a
	second response: only its own partial response can be updated.
	"""
	token, raw_answers, comment = doc.token, doc.answers_json, doc.comment
	partial = bool(cint(doc.is_partial))
	doc.token = doc.answers_json = None  # never stored

	invitation = find_invitation(token, for_update=True)
	# Checked and answered in the respondent's language, which is given back afterwards: the same process
	# goes on to other work (the drain, the demo), whose stored texts must not take it on.
	with in_language(invitation.language if invitation else None):
		_accept(doc, invitation, raw_answers, comment, partial)


def _accept(doc, invitation, raw_answers, comment, partial: bool) -> None:
	state, partial_response = answer_state(invitation, for_update=True)
	if state == OPEN and partial_response != (None if doc.is_new() else doc.name):
		# One response per link: a new one only while there is none, and only its own partial one updated.
		state = ANSWERED
	if state != OPEN:
		frappe.throw(link_state_message(state), title=_("Survey"))

	template = frappe.get_cached_doc(
		"Survey Template", frappe.db.get_value("Survey Campaign", invitation.campaign, "template")
	)
	try:
		rows = parse_answers(template, raw_answers, partial)
	except AnswerError as error:
		frappe.throw(answer_error_message(error), title=_("Please check your answers"))
	if comment is not None and not isinstance(comment, str):
		frappe.throw(answer_error_message(AnswerError("answers_malformed", _("Comment"))))
	comment = (comment or "").strip()
	if len(comment) > MAX_TEXT_LENGTH:
		frappe.throw(answer_error_message(AnswerError("text_too_long", _("Comment"))))
	# The headline is the FIRST question's answer, never whichever answered question comes first.
	first = template.questions[0]
	headline = next((row for row in rows if row["idx"] == first.idx), None)
	if first.question_type not in SCALES or not headline or not headline.get("has_score"):
		frappe.throw(answer_error_message(AnswerError("score_missing", _(first.question))))

	doc.update(
		{
			"customer": invitation.customer,
			"contact": invitation.contact,
			"campaign": invitation.campaign,
			"invitation": invitation.name,
			"template": template.name,
			"language": invitation.language,
			"submitted_on": now_datetime(),
			"headline_type": headline["question_type"],
			"headline_score": headline["score"],
			"category": categorize(headline["question_type"], headline["score"]),
			"comment": as_text(comment),
			"is_partial": int(partial),
		}
	)
	doc.set("answers", [{key: value for key, value in row.items() if key != "idx"} for row in rows])
	if invitation.status != "Answered":  # a partial answer already counts as answered
		frappe.db.set_value(
			"Survey Invitation", invitation.name, {"status": "Answered", "answered_on": doc.submitted_on}
		)
	doc.flags.answer_accepted = True


def save_answers(token, raw_answers, comment=None, partial: bool = False):
	"""The survey page's submissions, the score clicked in the email (`partial`) and the full answers:
	a new response, or the link's partial response updated. Checked and stored by `accept_response`."""
	invitation = find_invitation(token, for_update=True)  # held until commit: one response per link
	_state, partial_response = answer_state(invitation, for_update=True) if invitation else (None, None)
	values = {"token": token, "answers_json": raw_answers, "comment": comment, "is_partial": int(partial)}
	if partial_response:
		doc = frappe.get_doc("Survey Response", partial_response, for_update=True)
		doc.update(values)
		doc.save(ignore_permissions=True)
	else:
		doc = frappe.get_doc({"doctype": "Survey Response", **values}).insert(ignore_permissions=True)
	return doc


def save_score(token, score):
	"""The score from the email link, as a partial response answering the headline question only. A score
	off its scale, or a link that cannot be used, is refused as any answer is."""
	invitation = find_invitation(token)
	key = "1"
	if invitation:
		template = frappe.db.get_value("Survey Campaign", invitation.campaign, "template")
		key = str(frappe.get_cached_doc("Survey Template", template).questions[0].idx)
	return save_answers(token, json.dumps({key: score}), None, partial=True)


def close_the_loop(doc) -> None:
	"""After a response is stored or completed: refresh health, follow up on an unhappy answer (once),
	update statistics, record the touchpoint."""
	queue_recompute([doc.customer])
	# An unhappy answer is followed up by a play (the shipped "Unhappy Survey Answer"), in the drain after
	# this commit; a follow-up made for an earlier, partial answer shows the answer as it is now.
	refresh_follow_up(doc)
	from cs_success.surveys.delivery import update_campaign_stats
	from cs_success.touchpoints.sources import queue_survey_touchpoint

	update_campaign_stats(doc.campaign)
	# Made by the drain after commit, as the system, not in the respondent's (guest) request; it names the
	# respondent's contact. The drain runs tasks before recomputes, so the new score sees it.
	queue_survey_touchpoint(doc.name)


def refresh_follow_up(doc) -> None:
	"""An open follow-up shows the response as it is now, score, answers and comment."""
	todo = frappe.db.get_value("Survey Response", doc.name, "follow_up")
	if todo and frappe.db.get_value("ToDo", todo, "status") == "Open":
		frappe.db.set_value("ToDo", todo, "description", follow_up_description(doc))


def follow_up_description(doc) -> str:
	customer_name = frappe.db.get_value("Customer", doc.customer, "customer_name")
	lines = [
		_("{0} answered {1} {2}/{3} ({4}).").format(
			customer_name,
			doc.headline_type,
			doc.headline_score,
			SCALES[doc.headline_type].maximum,
			_(doc.category),
		)
	]
	lines += [f"{_(row.question)}: {row.answer}" for row in doc.answers if row.answer]
	if doc.comment:
		lines.append(_("Comment: {0}").format(doc.comment))
	# Answers and comment were stored inert; the customer's name and the labels are made so here.
	return "<br>".join(as_text(line) for line in lines)
