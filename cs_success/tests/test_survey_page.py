"""Tier 2: the guest survey page and the score clicked in the email, stored as a partial response."""

import contextlib
import json

import frappe
from frappe.utils import add_to_date, now_datetime

from cs_success.api.survey import record_score, submit_answers
from cs_success.surveys.web import SURVEY_PAGE_TEMPLATE, survey_page_context
from cs_success.tests.test_surveys import SurveyTestCase, submit
from cs_success.tests.utils import make_user, measure, run_pending_recomputes


def page(token, score=None) -> frappe._dict:
	"""The survey page's context, as its GET builds it."""
	frappe.form_dict.update({"token": token, "score": score})
	context = frappe._dict()
	survey_page_context(context)
	return context


@contextlib.contextmanager
def guest_post(method: str, ip: str):
	"""What frappe.rate_limiter sees of a real POST: a request, its method, its address and its cmd."""
	saved = {key: getattr(frappe.local, key, None) for key in ("request", "request_ip")}
	frappe.local.request = frappe._dict(method="POST")
	frappe.local.request_ip = ip
	frappe.form_dict.cmd = f"cs_success.api.survey.{method}"
	frappe.cache.delete_value(f"rl:{frappe.form_dict.cmd}:{ip}")
	try:
		yield
	finally:
		frappe.cache.delete_value(f"rl:{frappe.form_dict.cmd}:{ip}")
		for key, value in saved.items():
			setattr(frappe.local, key, value)
		frappe.form_dict.pop("cmd", None)


class TestSurveyPageAndPartialResponses(SurveyTestCase):
	def responses(self, invitation):
		return frappe.get_all(
			"Survey Response",
			filters={"invitation": invitation},
			fields=["name", "is_partial", "headline_type", "headline_score", "category", "comment"],
		)

	def test_the_pages_get_changes_nothing(self):
		_customer, _contact, campaign, invitation, token = self.campaign_with_one_invitation()
		context = page(token, "9")
		self.assertEqual(context.template, SURVEY_PAGE_TEMPLATE)
		payload = json.loads(context.survey_json)
		self.assertEqual(
			(payload["preselected"], payload["record_score"], payload["saved"]), (9, True, False)
		)
		# A mail scanner's GET: no response, no status change, nothing in the statistics.
		self.assertEqual(self.responses(invitation), [])
		self.assertEqual(frappe.db.get_value("Survey Invitation", invitation, "status"), "Sent")
		self.assertEqual(frappe.db.get_value("Survey Campaign", campaign.name, "answered_count"), 0)
		# A score off the scale is not preselected, so the page's script posts nothing.
		payload = json.loads(page(token, "11").survey_json)
		self.assertEqual((payload["preselected"], payload["record_score"]), (None, False))

	def test_the_pages_post_stores_a_partial_response_that_counts(self):
		customer, contact, campaign, invitation, token = self.campaign_with_one_invitation()
		run_pending_recomputes()
		self.assertEqual(record_score(token, "9"), {"partial": True, "score": 9})
		(response,) = self.responses(invitation)
		self.assertEqual(
			(response.is_partial, response.headline_type, response.headline_score, response.category),
			(1, "NPS", 9, "Promoter"),
		)
		doc = frappe.get_doc("Survey Response", response.name)
		self.assertEqual((doc.customer, doc.contact, doc.campaign), (customer, contact, campaign.name))
		self.assertEqual([(row.question_type, row.score) for row in doc.answers], [("NPS", 9)])
		self.assertFalse(doc.token or doc.answers_json)
		# It is the answer: response rate, campaign NPS and the customer's health count it.
		self.assertEqual(frappe.db.get_value("Survey Invitation", invitation, "status"), "Answered")
		stats = frappe.get_doc("Survey Campaign", campaign.name)
		self.assertEqual(
			(stats.invited_count, stats.answered_count, stats.response_rate, stats.nps_score),
			(1, 1, 100, 100),
		)
		run_pending_recomputes()
		self.assertEqual(measure(customer, "account_nps").raw_value, 100)
		# The link stays open for the rest of the survey, with the stored score chosen.
		payload = json.loads(page(token).survey_json)
		self.assertEqual(
			(payload["preselected"], payload["saved"], payload["record_score"]), (9, True, False)
		)

	def test_completing_updates_the_same_response(self):
		_customer, _contact, campaign, invitation, token = self.campaign_with_one_invitation()
		record_score(token, 9)
		(partial,) = self.responses(invitation)
		self.assertEqual(
			submit_answers(token, json.dumps({"1": 10, "2": "Fast support"}), "  Thanks, team!  "),
			{"partial": False, "score": 10},
		)
		(response,) = self.responses(invitation)
		self.assertEqual(response.name, partial.name)
		self.assertEqual(
			(response.is_partial, response.headline_score, response.comment), (0, 10, "Thanks, team!")
		)
		doc = frappe.get_doc("Survey Response", response.name)
		self.assertEqual([row.score or row.answer for row in doc.answers], [10, "Fast support"])
		self.assertEqual(frappe.db.get_value("Survey Campaign", campaign.name, "answered_count"), 1)
		# One touchpoint for the answer, however often it was saved: made by the drain after commit.
		run_pending_recomputes()
		self.assertEqual(
			frappe.db.count("Touchpoint", {"source_key": f"Survey Response:{response.name}"}),
			1 if frappe.db.get_single_value("CS Settings", "touchpoint_on_survey_answered") else 0,
		)
		# Now the link is used: the page, another score and another submission are all refused.
		with self.assertRaises(frappe.Redirect):
			page(token, "3")
		self.assertIn("state=answered", frappe.flags.redirect_location)
		for attempt in (lambda: record_score(token, 3), lambda: submit_answers(token, '{"1": 2}')):
			with self.assertRaisesRegex(frappe.ValidationError, "already been answered"):
				attempt()
		self.assertEqual(len(self.responses(invitation)), 1)

	def test_a_second_post_updates_the_partial_response(self):
		_customer, _contact, _campaign, invitation, token = self.campaign_with_one_invitation()
		record_score(token, 9)
		record_score(token, 9)  # the page reloaded
		record_score(token, "6")  # another button in the email, or on the page
		(response,) = self.responses(invitation)
		self.assertEqual(
			(response.is_partial, response.headline_score, response.category), (1, 6, "Detractor")
		)
		# The web form's own submit cannot add a second response beside it either.
		with self.assertRaisesRegex(frappe.ValidationError, "already been answered"):
			submit(token, {"1": 8})
		self.assertEqual(len(self.responses(invitation)), 1)

	def test_a_partial_response_may_leave_required_questions_but_not_the_score(self):
		_customer, _contact, _campaign, invitation, token = self.campaign_with_one_invitation("Exit Survey")
		record_score(token, 4)  # Exit Survey: every question required; the score alone is stored
		with self.assertRaisesRegex(frappe.ValidationError, "Please answer"):
			submit_answers(token, json.dumps({"1": 4}))
		(response,) = self.responses(invitation)
		self.assertEqual((response.is_partial, response.headline_score), (1, 4))

	def test_invalid_token_or_score_is_refused_clearly_in_the_respondents_language(self):
		_customer, _contact, _campaign, invitation, token = self.campaign_with_one_invitation()
		for bad_token in ("nonsense", "x" * 43, None):
			with self.assertRaisesRegex(frappe.ValidationError, "not valid"):
				record_score(bad_token, 9)
		for score, message in (
			(11, "outside its scale"),
			(-1, "outside its scale"),
			("ten", "must be a number"),
			("7.5", "whole number"),
			(None, "Please answer"),
		):
			with self.subTest(score=score), self.assertRaisesRegex(frappe.ValidationError, message):
				record_score(token, score)
		self.assertEqual(self.responses(invitation), [])
		self.assertEqual(frappe.db.get_value("Survey Invitation", invitation, "status"), "Sent")

		_customer, _contact, _campaign, invitation, token = self.campaign_with_one_invitation(language="lv")
		try:
			with self.assertRaisesRegex(frappe.ValidationError, "ārpus skalas"):
				record_score(token, 12)
		finally:
			frappe.local.lang = "en"
		self.assertEqual(self.responses(invitation), [])

	def test_an_expired_link_keeps_its_partial_answer_but_takes_no_more(self):
		_customer, _contact, _campaign, invitation, token = self.campaign_with_one_invitation()
		record_score(token, 8)
		frappe.db.set_value(
			"Survey Invitation", invitation, "expires_on", add_to_date(now_datetime(), minutes=-1)
		)
		with self.assertRaises(frappe.Redirect):
			page(token)
		self.assertIn("state=expired", frappe.flags.redirect_location)
		with self.assertRaisesRegex(frappe.ValidationError, "expired"):
			submit_answers(token, json.dumps({"1": 10}), "late")
		(response,) = self.responses(invitation)
		self.assertEqual((response.is_partial, response.headline_score), (1, 8))

	def test_a_detractors_follow_up_shows_the_completed_answer(self):
		manager = make_user("CS Manager")
		_customer, _contact, _campaign, invitation, token = self.campaign_with_one_invitation(
			account_manager=manager
		)
		record_score(token, 2)
		run_pending_recomputes()  # the shipped play "Unhappy Survey Answer" follows up, after commit
		(response,) = self.responses(invitation)
		todo = frappe.db.get_value("Survey Response", response.name, "follow_up")
		self.assertTrue(todo, "the clicked score alone asks for a follow-up")
		submit_answers(token, json.dumps({"1": 3, "2": "Too many outages"}), "Call me")
		run_pending_recomputes()
		run = frappe.db.get_value("ToDo", todo, "reference_name")
		self.assertEqual(frappe.db.count("Play Run", {"source_name": response.name}), 1)
		self.assertEqual(frappe.db.count("ToDo", {"reference_type": "Play Run", "reference_name": run}), 1)
		description = frappe.db.get_value("ToDo", todo, "description")
		for text in ("3/10", "Too many outages", "Call me"):
			self.assertIn(text, description)

	def test_the_page_names_the_company(self):
		_customer, _contact, _campaign, _invitation, token = self.campaign_with_one_invitation()
		company = frappe.defaults.get_global_default("company")
		context = page(token)
		self.assertEqual(context.company["name"], frappe.db.get_value("Company", company, "company_name"))
		previous = frappe.db.get_value("Company", company, "company_logo")
		for logo, shown in (
			("/files/logo.png", "/files/logo.png"),
			("/private/files/logo.png", None),
			("javascript:alert(1)", None),
		):
			frappe.db.set_value("Company", company, "company_logo", logo)
			self.assertEqual(page(token).company["logo"], shown)
		frappe.db.set_value("Company", company, "company_logo", previous)

	def test_guest_posts_are_rate_limited(self):
		_customer, _contact, _campaign, invitation, token = self.campaign_with_one_invitation()
		outcomes = []
		with guest_post("record_score", "198.51.100.23"):
			for _ in range(32):
				try:
					record_score(token, 9)
					outcomes.append("ok")
				except frappe.RateLimitExceededError:
					outcomes.append("limited")
		self.assertEqual(outcomes[:30], ["ok"] * 30)
		self.assertEqual(outcomes[30:], ["limited"] * 2)
		self.assertEqual(len(self.responses(invitation)), 1)
		with guest_post("submit_answers", "198.51.100.23"):
			for _ in range(20):
				with contextlib.suppress(frappe.ValidationError):
					submit_answers("x" * 43, "{}")
			self.assertRaises(frappe.RateLimitExceededError, submit_answers, token, '{"1": 9}')
		self.assertEqual(self.responses(invitation)[0].is_partial, 1)

	def test_the_page_escapes_every_text_it_shows(self):
		attack = '"><img src=x onerror=alert(1)>'
		template = frappe.get_doc(
			{
				"doctype": "Survey Template",
				"template_name": f"_CS Test Escaping {frappe.generate_hash(length=5)}",
				"introduction": attack,
				"questions": [
					{"question": f"Score {attack}", "question_type": "CSAT", "is_required": 1},
					{
						"question": f"Pick {attack}",
						"question_type": "Single Choice",
						"options": f"A {attack}\nB",
					},
				],
			}
		).insert(ignore_permissions=True)
		_customer, _contact, _campaign, _invitation, token = self.campaign_with_one_invitation(template.name)
		html = frappe.get_template(SURVEY_PAGE_TEMPLATE).render(page(token, "4"))
		self.assertNotIn("<img", html)  # stored inert, shown as the text typed: escaped once by the page
		self.assertEqual(html.count("&lt;img src="), 5)  # introduction, two questions, a choice twice
		self.assertRegex(html, r'id="cs-survey-q1-4"[^>]* checked>')  # the email's score, chosen
