"""Tier 2: survey campaigns, invitations, the guest web form and closing the loop."""

import json
import re
from typing import ClassVar
from unittest.mock import patch

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, add_to_date, now_datetime, today

from cs_success.api.survey import opt_out
from cs_success.base.queue import queue_recompute
from cs_success.engine.tokens import derive_token, new_nonce
from cs_success.surveys.delivery import run_campaign, update_campaign_stats
from cs_success.surveys.portal import open_surveys_for_user
from cs_success.surveys.responses import MAX_TEXT_LENGTH
from cs_success.surveys.web import survey_page_context
from cs_success.tests.utils import (
	ensure_outgoing_email_account,
	invitation_email_html,
	make_campaign,
	make_contact,
	make_customer,
	make_issue,
	make_user,
	measure,
	reset_health_queue,
	run_pending_recomputes,
	token_from_email,
)


def submit(token, answers, comment=""):
	"""The web form's own endpoint, as the browser calls it."""
	from frappe.website.doctype.web_form.web_form import accept

	data = {
		"doctype": "Survey Response",
		"token": token,
		"answers_json": json.dumps(answers),
		"comment": comment,
	}
	try:
		return accept("survey", json.dumps(data))
	finally:
		frappe.set_user("Administrator")  # accept() turns the session into Guest for anonymous forms


class SurveyTestCase(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		reset_health_queue()
		ensure_outgoing_email_account()
		self.group = frappe.get_doc(
			{
				"doctype": "Customer Group",
				"customer_group_name": f"_CS Survey Group {frappe.generate_hash(length=5)}",
				"parent_customer_group": "All Customer Groups",
			}
		).insert(ignore_permissions=True)

	def invited(self, campaign, customer):
		return frappe.get_all(
			"Survey Invitation", filters={"campaign": campaign, "customer": customer}, pluck="name"
		)

	def campaign_with_one_invitation(self, template="Net Promoter Score", **customer_fields):
		customer = make_customer("Survey", customer_group=self.group.name, **customer_fields)
		contact = make_contact(customer)
		campaign = make_campaign(template, customer_group=self.group.name)
		run_campaign(campaign.name)
		(invitation,) = self.invited(campaign.name, customer)
		return customer, contact, campaign, invitation, token_from_email(invitation)


class TestCampaigns(SurveyTestCase):
	def restore_accounts(self, accounts):
		for account in accounts:
			frappe.db.set_value(
				"Email Account",
				account.name,
				{"enable_outgoing": 1, "default_outgoing": account.default_outgoing},
			)
		frappe.clear_cache()

	def test_no_outgoing_email_account_is_a_clear_error(self):
		campaign = make_campaign(customer_group=self.group.name)
		outgoing = frappe.get_all(
			"Email Account", filters={"enable_outgoing": 1}, fields=["name", "default_outgoing"]
		)
		frappe.db.set_value(
			"Email Account", {"enable_outgoing": 1}, {"enable_outgoing": 0, "default_outgoing": 0}
		)
		self.addCleanup(self.restore_accounts, outgoing)
		frappe.local.outgoing_email_account = {}  # Frappe caches the account per request
		# Tests mute emails, and muted sites get a dummy account: unmute for this check.
		with (
			patch("frappe.email.doctype.email_account.email_account.are_emails_muted", return_value=False),
			self.assertRaisesRegex(frappe.ValidationError, "outgoing Email Account"),
		):
			run_campaign(campaign.name)
		self.assertEqual(frappe.db.count("Survey Invitation", {"campaign": campaign.name}), 0)

	def test_invitations_queued_with_email_and_recontact_window(self):
		fresh, recent = (
			make_customer(label, customer_group=self.group.name) for label in ("Fresh", "Recent")
		)
		fresh_contact = make_contact(fresh)
		make_contact(recent)
		make_contact(fresh, first_name="NoSurveys", cs_no_surveys=1)

		earlier = make_campaign(customer_group=self.group.name)
		frappe.db.set_value("Contact", fresh_contact, "cs_no_surveys", 1)
		run_campaign(earlier.name)  # surveys the "recent" contact only
		frappe.db.set_value("Contact", fresh_contact, "cs_no_surveys", 0)
		self.assertEqual(len(self.invited(earlier.name, recent)), 1)

		campaign = make_campaign("Customer Effort", customer_group=self.group.name, recontact_window_days=30)
		sent = run_campaign(campaign.name)
		self.assertEqual(sent, 1)
		(invitation,) = self.invited(campaign.name, fresh)
		self.assertEqual(self.invited(campaign.name, recent), [])  # surveyed by another campaign this month
		doc = frappe.get_doc("Survey Invitation", invitation)
		self.assertEqual((doc.status, doc.contact), ("Sent", fresh_contact))
		self.assertGreater(doc.expires_on, now_datetime())
		self.assertTrue(
			frappe.db.exists(
				"Email Queue", {"reference_doctype": "Survey Invitation", "reference_name": invitation}
			)
		)
		self.assertEqual(
			frappe.db.get_value("Survey Campaign", campaign.name, "status"), "Completed"
		)  # recurrence Once

	def test_email_carries_headline_buttons_and_opt_out(self):
		_customer, _contact, _campaign, invitation, token = self.campaign_with_one_invitation()
		html = invitation_email_html(invitation)
		scores = sorted(int(s) for s in re.findall(r"token=" + token + r"&amp;score=(\d+)", html))
		self.assertEqual(scores, list(range(0, 11)))
		self.assertIn("/survey-opt-out?token=" + token, html)  # a confirmation page, not the action
		doc = frappe.get_doc("Survey Invitation", invitation)
		self.assertNotIn(token, json.dumps(doc.as_dict(), default=str))  # only a hash is stored

	def test_opt_out_by_get_changes_nothing(self):
		"""Mail scanners open every link in an email: a GET only shows the confirmation page."""
		_customer, contact, _campaign, invitation, token = self.campaign_with_one_invitation()
		# frappe.local is a werkzeug Local: set and restore by hand (patch.object would delete them).
		request, request_ip = (
			getattr(frappe.local, "request", None),
			getattr(frappe.local, "request_ip", None),
		)
		frappe.local.request, frappe.local.request_ip = frappe._dict(method="GET"), "127.0.0.1"
		try:
			opt_out(token)
		finally:
			frappe.local.request, frappe.local.request_ip = request, request_ip
		self.assertIn("/survey-opt-out?token=" + token, frappe.local.response.get("location"))
		self.assertEqual(frappe.db.get_value("Contact", contact, "cs_no_surveys"), 0)
		self.assertEqual(frappe.db.get_value("Survey Invitation", invitation, "status"), "Sent")
		self.assertFalse(frappe.db.exists("Survey Opt Out", {"invitation": invitation}))

	def test_opt_out_page_asks_first(self):
		from cs_success.surveys.web import opt_out_page_context

		_customer, _contact, _campaign, invitation, token = self.campaign_with_one_invitation()
		frappe.form_dict.update({"token": token})
		context = frappe._dict()
		opt_out_page_context(context)
		email = frappe.db.get_value("Survey Invitation", invitation, "email")
		self.assertTrue(context.valid)
		self.assertEqual(context.email, f"{email[0]}***@{email.split('@')[1]}")
		self.assertEqual(frappe.db.get_value("Survey Invitation", invitation, "status"), "Sent")
		frappe.form_dict.update({"token": "x" * 43})
		context = frappe._dict()
		opt_out_page_context(context)
		self.assertFalse(context.valid)

	def test_opt_out_is_kept_by_address(self):
		"""A post-ticket survey goes to whoever raised the ticket only if they are a contact of its
		customer; an opt-out holds for the address, whichever contact carries it later."""
		campaign = make_campaign("Post-Ticket Satisfaction", purpose="Post-Ticket", audience="Event")
		customer = make_customer("Ticket Address")
		stranger = make_issue(customer, raised_by=f"cs-stranger-{frappe.generate_hash(length=6)}@example.com")
		stranger.status = "Resolved"
		stranger.save(ignore_permissions=True)
		sender = f"cs-sender-{frappe.generate_hash(length=6)}@example.com"
		make_contact(customer, sender)
		first = make_issue(customer, raised_by=sender)
		first.status = "Resolved"
		first.save(ignore_permissions=True)
		run_pending_recomputes()
		self.assertEqual(
			frappe.get_all("Survey Invitation", filters={"reference_name": stranger.name}, pluck="name"), []
		)
		(invitation,) = frappe.get_all(
			"Survey Invitation",
			filters={"campaign": campaign.name, "reference_name": first.name},
			pluck="name",
		)
		opt_out(token_from_email(invitation))
		self.assertTrue(frappe.db.exists("Survey Opt Out", {"email": sender}))
		# The same address, any case, on another contact of the customer that never opted out itself.
		second = make_issue(
			customer, raised_by=sender.upper(), contact=make_contact(customer, sender.upper())
		)
		second.status = "Resolved"
		second.save(ignore_permissions=True)
		run_pending_recomputes()
		self.assertEqual(
			frappe.db.count("Survey Invitation", {"campaign": campaign.name, "reference_name": second.name}),
			0,
		)

	def test_opt_out_link(self):
		customer, contact, _campaign, invitation, token = self.campaign_with_one_invitation()
		opt_out(token)  # outside a request, as by the confirmation page's POST
		self.assertEqual(frappe.db.get_value("Contact", contact, "cs_no_surveys"), 1)
		self.assertEqual(frappe.db.get_value("Survey Invitation", invitation, "status"), "Opted Out")
		self.assertIn("opted_out_done", frappe.local.response.get("location"))
		again = make_campaign(customer_group=self.group.name, recontact_window_days=0)
		run_campaign(again.name)
		self.assertEqual(self.invited(again.name, customer), [])

	def test_portal_user_sees_open_survey(self):
		_customer, contact, _campaign, _invitation, token = self.campaign_with_one_invitation()
		user = make_user("Customer")
		frappe.db.set_value("Contact", contact, "user", user)
		(survey,) = open_surveys_for_user(user)
		self.assertIn(token, survey["url"])
		self.assertEqual(open_surveys_for_user(make_user("Customer")), [])


class TestGuestSubmission(SurveyTestCase):
	def test_accepted_once_then_refused(self):
		customer, contact, campaign, invitation, token = self.campaign_with_one_invitation()
		submit(token, {"1": 9, "2": "Great onboarding"}, comment="Keep it up")
		response = frappe.get_doc("Survey Response", {"invitation": invitation})
		self.assertEqual(
			(response.customer, response.contact, response.campaign), (customer, contact, campaign.name)
		)
		self.assertEqual(
			(response.headline_type, response.headline_score, response.category), ("NPS", 9, "Promoter")
		)
		headline = response.answers[0]
		self.assertEqual((headline.question_type, headline.score, headline.scale_max), ("NPS", 9, 10))
		self.assertEqual(response.answers[1].answer, "Great onboarding")
		self.assertFalse(response.token or response.answers_json)
		self.assertEqual(frappe.db.get_value("Survey Invitation", invitation, "status"), "Answered")

		with self.assertRaisesRegex(frappe.ValidationError, "already been answered"):
			submit(token, {"1": 3})
		self.assertEqual(frappe.db.count("Survey Response", {"invitation": invitation}), 1)

	def test_client_supplied_identity_is_ignored(self):
		customer, _contact, _campaign, invitation, token = self.campaign_with_one_invitation()
		other = make_customer("Other")
		from frappe.website.doctype.web_form.web_form import accept

		data = {"token": token, "answers_json": json.dumps({"1": 10}), "customer": other, "headline_score": 0}
		accept("survey", json.dumps(data))
		frappe.set_user("Administrator")
		response = frappe.get_doc("Survey Response", {"invitation": invitation})
		self.assertEqual((response.customer, response.headline_score), (customer, 10))

	def test_expired_and_forged_tokens_are_refused_and_nothing_is_written(self):
		_customer, _contact, _campaign, invitation, token = self.campaign_with_one_invitation()
		before = frappe.db.count("Survey Response")
		forged = derive_token(b"not-the-site-secret", new_nonce())
		for bad in (forged, "short", token[:-2] + "zz", ""):
			with self.assertRaisesRegex(frappe.ValidationError, "not valid"):
				submit(bad, {"1": 9})
		frappe.db.set_value(
			"Survey Invitation", invitation, "expires_on", add_to_date(now_datetime(), minutes=-1)
		)
		with self.assertRaisesRegex(frappe.ValidationError, "expired"):
			submit(token, {"1": 9})
		self.assertEqual(frappe.db.count("Survey Response"), before)

	def test_bad_values_are_refused_clearly_and_lose_nothing(self):
		_customer, _contact, _campaign, invitation, token = self.campaign_with_one_invitation()
		cases = [
			({"1": 11}, "", "outside its scale"),
			({"1": -1}, "", "outside its scale"),
			({"1": "ten"}, "", "must be a number"),
			({"1": 7.5}, "", "whole number"),
			({}, "", "Please answer"),
			({"1": 8}, "x" * (1024 * 1024), "too long"),
			({"1": 8, "2": "y" * (MAX_TEXT_LENGTH + 1)}, "", "too long"),
		]
		for answers, comment, message in cases:
			with (
				self.subTest(answers=str(answers)[:40]),
				self.assertRaisesRegex(frappe.ValidationError, message),
			):
				submit(token, answers, comment)
		self.assertEqual(frappe.db.count("Survey Response", {"invitation": invitation}), 0)
		self.assertEqual(frappe.db.get_value("Survey Invitation", invitation, "status"), "Sent")
		submit(token, {"1": 8})  # the link still works after the refusals
		self.assertEqual(frappe.db.count("Survey Response", {"invitation": invitation}), 1)

	def test_a_comment_that_is_not_text_is_refused_clearly(self):
		_customer, _contact, _campaign, invitation, token = self.campaign_with_one_invitation()
		for comment in (123, ["a"], {"b": 1}):
			with (
				self.subTest(comment=comment),
				self.assertRaisesRegex(frappe.ValidationError, "could not be read"),
			):
				submit(token, {"1": 8}, comment)
		self.assertEqual(frappe.db.get_value("Survey Invitation", invitation, "status"), "Sent")

	def test_a_skipped_optional_first_question_never_promotes_a_later_score(self):
		template = frappe.get_doc(
			{
				"doctype": "Survey Template",
				"template_name": f"_CS Test Optional First {frappe.generate_hash(length=5)}",
				"questions": [
					{
						"question": "How likely are you to recommend us?",
						"question_type": "NPS",
						"is_required": 0,
					},
					{
						"question": "How satisfied are you with support?",
						"question_type": "CSAT",
						"is_required": 1,
					},
				],
			}
		).insert(ignore_permissions=True)
		_customer, _contact, _campaign, invitation, token = self.campaign_with_one_invitation(template.name)
		# Naive code took the first answered row (the CSAT 2) as the NPS headline: a detractor.
		with self.assertRaisesRegex(frappe.ValidationError, "Please answer"):
			submit(token, {"2": 2})
		self.assertEqual(frappe.db.count("Survey Response", {"invitation": invitation}), 0)
		submit(token, {"1": 9, "2": 2})
		response = frappe.get_doc("Survey Response", {"invitation": invitation})
		self.assertEqual((response.headline_type, response.headline_score), ("NPS", 9))

	def test_single_choice_must_be_offered(self):
		_customer, _contact, _campaign, _invitation, token = self.campaign_with_one_invitation("Exit Survey")
		with self.assertRaisesRegex(frappe.ValidationError, "not one of its choices"):
			submit(token, {"1": 5, "2": "Because"})
		submit(token, {"1": 5, "2": "Price", "3": "Acme Ltd"})


class TestAccountNPS(SurveyTestCase):
	def test_every_respondent_of_the_year_counts_once(self):
		from cs_success.base.bulk import insert_rows
		from cs_success.health.recompute import recompute_customers

		customer = make_customer("AccountNPS")
		first, second, third = (make_contact(customer) for _ in range(3))
		now, user = now_datetime(), frappe.session.user

		columns = [
			"name", "creation", "modified", "owner", "modified_by", "docstatus", "customer", "contact",
			"headline_type", "headline_score", "submitted_on",
		]  # fmt: skip

		def answer(contact, score, days_ago):
			return (frappe.generate_hash(length=20), now, now, user, user, 0, customer, contact, "NPS", score,
				add_to_date(now, days=-days_ago))  # fmt: skip

		insert_rows(
			"Survey Response",
			columns,
			[
				answer(first, 3, 200),  # replaced by the same contact's later answer
				answer(first, 10, 20),  # promoter
				answer(second, 6, 40),  # detractor
				answer(third, 10, 400),  # more than a year ago: not counted
				answer(None, 8, 10),  # no contact: a respondent of its own, passive
			],
		)
		recompute_customers([customer], raise_alerts=False)
		# Respondents 3: 1 promoter, 1 detractor, 1 passive: NPS = (1 - 1) / 3 = 0; scored 50 on
		# the line from -50 (0) to +50 (100). The latest single answer (8) would have said 33.
		self.assertEqual(measure(customer, "account_nps").raw_value, 0)
		self.assertEqual(measure(customer, "account_nps").measure_score, 50)


class TestClosingTheLoop(SurveyTestCase):
	def test_response_updates_health_and_campaign_statistics(self):
		customer, _contact, campaign, _invitation, token = self.campaign_with_one_invitation()
		run_pending_recomputes()
		self.assertFalse(measure(customer, "account_nps").has_data)
		submit(token, {"1": 10})
		run_pending_recomputes()
		# One respondent, a promoter: NPS 100, scored 100 (100 at +50).
		self.assertEqual(measure(customer, "account_nps").raw_value, 100)
		self.assertEqual(measure(customer, "account_nps").measure_score, 100)
		stats = frappe.get_doc("Survey Campaign", campaign.name)
		self.assertEqual(
			(stats.invited_count, stats.answered_count, stats.response_rate, stats.nps_score),
			(1, 1, 100, 100),
		)

	def test_detractor_creates_one_follow_up_for_the_account_owner(self):
		manager = make_user("CS Manager")
		_customer, _contact, _campaign, invitation, token = self.campaign_with_one_invitation(
			account_manager=manager
		)
		submit(token, {"1": 3, "2": "Too many outages"}, comment="Call me")
		run_pending_recomputes()  # the shipped play "Unhappy Survey Answer" follows up, after commit
		response = frappe.get_doc("Survey Response", {"invitation": invitation})
		self.assertEqual(response.category, "Detractor")
		todo = frappe.get_doc("ToDo", response.follow_up)
		self.assertEqual(todo.allocated_to, manager)
		self.assertIn("Too many outages", todo.description)
		self.assertIn("Call me", todo.description)
		(run,) = frappe.get_all("Play Run", filters={"source_name": response.name}, pluck="name")
		self.assertEqual((todo.reference_type, todo.reference_name), ("Play Run", run))

		# Scored again (another change of the customer): the same answer is not followed up twice.
		queue_recompute([response.customer])
		run_pending_recomputes()
		self.assertEqual(frappe.db.count("Play Run", {"source_name": response.name}), 1)
		self.assertEqual(frappe.db.count("ToDo", {"reference_type": "Play Run", "reference_name": run}), 1)

	def test_promoter_gets_no_follow_up(self):
		_customer, _contact, _campaign, invitation, token = self.campaign_with_one_invitation(
			account_manager="Administrator"
		)
		submit(token, {"1": 9})
		self.assertFalse(frappe.db.get_value("Survey Response", {"invitation": invitation}, "follow_up"))

	def test_statistics_across_several_answers(self):
		customers = [make_customer(f"Stats {i}", customer_group=self.group.name) for i in range(4)]
		for customer in customers:
			make_contact(customer)
		campaign = make_campaign(customer_group=self.group.name)
		run_campaign(campaign.name)
		invitations = frappe.get_all("Survey Invitation", filters={"campaign": campaign.name}, pluck="name")
		for invitation, score in zip(invitations[:3], (10, 9, 2), strict=True):
			submit(token_from_email(invitation), {"1": score})
		update_campaign_stats(campaign.name)
		stats = frappe.get_doc("Survey Campaign", campaign.name)
		self.assertEqual((stats.invited_count, stats.answered_count), (4, 3))
		self.assertAlmostEqual(stats.response_rate, 75)
		self.assertAlmostEqual(stats.nps_score, 100 * (2 - 1) / 3, places=1)


class TestEventCampaigns(SurveyTestCase):
	def test_post_ticket_survey_once_per_ticket(self):
		campaign = make_campaign("Post-Ticket Satisfaction", purpose="Post-Ticket", audience="Event")
		customer = make_customer("Ticket")
		contact = make_contact(customer)
		issue = make_issue(customer, contact=contact)
		issue.status = "Resolved"
		issue.save(ignore_permissions=True)
		run_pending_recomputes()  # the commit: the drain sends the invitation
		invitations = frappe.get_all(
			"Survey Invitation",
			filters={"campaign": campaign.name, "reference_name": issue.name},
			pluck="name",
		)
		self.assertEqual(len(invitations), 1)
		self.assertEqual(frappe.db.get_value("Survey Invitation", invitations[0], "contact"), contact)
		issue.reload()
		issue.status = "Open"
		issue.save(ignore_permissions=True)
		issue.status = "Closed"
		issue.save(ignore_permissions=True)
		run_pending_recomputes()
		self.assertEqual(
			frappe.db.count("Survey Invitation", {"campaign": campaign.name, "reference_name": issue.name}), 1
		)

	def test_onboarding_after_first_invoice(self):
		from cs_success.tests.utils import make_sales_invoice

		campaign = make_campaign(
			"Onboarding Check-in", purpose="Onboarding", audience="Event", days_after_first_invoice=30
		)
		due, early = make_customer("Onboard Due"), make_customer("Onboard Early")
		make_contact(due), make_contact(early)
		make_sales_invoice(due, 100, posting_date=add_days(today(), -31))
		make_sales_invoice(early, 100, posting_date=add_days(today(), -5))
		run_pending_recomputes()  # the drain builds their ledger: acquired on their first invoice
		run_campaign(campaign.name)
		self.assertEqual(len(self.invited(campaign.name, due)), 1)
		self.assertEqual(self.invited(campaign.name, early), [])
		run_campaign(campaign.name)  # each customer once per campaign
		self.assertEqual(len(self.invited(campaign.name, due)), 1)

	def test_exit_survey_goes_to_who_the_ledger_says_left(self):
		"""Exit is the ledger's churn, not a document's status: the leaver's last invoice covered up to 5
		days ago (churned 4 days ago, within the 7-day window) though no contract or subscription ended;
		the other's contract ended 3 days ago but its invoice covers it up to 10 days from now: it has not
		left, and gets no exit survey."""
		from cs_success.tests.utils import make_contract, make_sales_invoice

		campaign = make_campaign("Exit Survey", purpose="Exit", audience="Event")
		leaver, still_paying = make_customer("Exit Leaver"), make_customer("Exit Still Paying")
		make_contact(leaver), make_contact(still_paying)
		make_sales_invoice(
			leaver,
			100,
			posting_date=add_days(today(), -40),
			period=(add_days(today(), -40), add_days(today(), -5)),
		)
		make_contract(still_paying, add_days(today(), -33), add_days(today(), -3))
		make_sales_invoice(
			still_paying,
			100,
			posting_date=add_days(today(), -20),
			period=(add_days(today(), -20), add_days(today(), 10)),
		)
		run_pending_recomputes()  # the drain builds their ledger
		run_campaign(campaign.name)
		self.assertEqual(len(self.invited(campaign.name, leaver)), 1)
		self.assertEqual(self.invited(campaign.name, still_paying), [])


class TestSurveyPage(SurveyTestCase):
	def test_page_preselects_score_and_only_its_script_marks_opened(self):
		from cs_success.api.survey import survey_viewed

		_customer, _contact, _campaign, invitation, token = self.campaign_with_one_invitation()
		frappe.form_dict.update({"token": token, "score": "7"})
		context = frappe._dict()
		survey_page_context(context)
		payload = json.loads(context.survey_json)
		self.assertEqual(payload["preselected"], 7)
		self.assertEqual(payload["questions"][0]["type"], "NPS")
		# Rendering the page (a scanner's GET) is not an open; the page's script reporting back is.
		self.assertEqual(frappe.db.get_value("Survey Invitation", invitation, "status"), "Sent")
		survey_viewed(token)
		self.assertEqual(frappe.db.get_value("Survey Invitation", invitation, "status"), "Opened")

	def test_survey_json_cannot_close_its_script_element(self):
		from cs_success.surveys.web import script_json

		text = script_json({"text": "</script><script>alert(1)</script><!-- & -->"})
		for fragment in ("<", ">", "&"):
			self.assertNotIn(fragment, text)
		self.assertEqual(json.loads(text)["text"], "</script><script>alert(1)</script><!-- & -->")

	def test_link_status_page_takes_only_known_states_and_languages(self):
		from cs_success.surveys.web import link_status_context

		frappe.form_dict.update({"state": '"><img src=x onerror=alert(1)>', "lang": "../../etc/passwd"})
		context = frappe._dict()
		lang = frappe.local.lang
		link_status_context(context)
		self.assertEqual(context.state, "invalid")
		self.assertEqual(frappe.local.lang, lang)
		frappe.form_dict.update({"state": "expired", "lang": "lv"})
		link_status_context(context)
		self.assertEqual(context.state, "expired")
		self.assertEqual(frappe.local.lang, "lv")
		frappe.local.lang = lang

	def test_bad_link_redirects_to_a_page_that_says_which(self):
		frappe.form_dict.update({"token": "nonsense", "score": None})
		with self.assertRaises(frappe.Redirect):
			survey_page_context(frappe._dict())
		self.assertIn("state=invalid", frappe.flags.redirect_location)


class TestLanguages(SurveyTestCase):
	CASES: ClassVar = {
		"lv": ("Atvērt aptauju", "Cik ticams ir, ka jūs mūs ieteiktu draugam vai kolēģim?", "ārpus skalas"),
		"lt": (
			"Atidaryti apklausą",
			"Kiek tikėtina, kad rekomenduotumėte mus draugui ar kolegai?",
			"už skalės ribų",
		),
		"ru": (
			"Открыть опрос",
			"Насколько вероятно, что вы порекомендуете нас другу или коллеге?",
			"за пределы шкалы",
		),
		"tr": (
			"Anketi aç",
			"Bizi bir arkadaşınıza veya meslektaşınıza tavsiye etme olasılığınız nedir?",
			"ölçeğin dışında",
		),
	}

	def test_email_page_and_errors_in_the_customers_language(self):
		for language, (open_link, question, out_of_scale) in self.CASES.items():
			with self.subTest(language=language):
				_customer, _contact, _campaign, invitation, token = self.campaign_with_one_invitation(
					language=language
				)
				html = invitation_email_html(invitation)
				self.assertIn(open_link, html)
				self.assertIn(question, html)
				frappe.form_dict.update({"token": token, "score": None})
				context = frappe._dict()
				survey_page_context(context)
				frappe.local.lang = "en"
				self.assertEqual(json.loads(context.survey_json)["questions"][0]["text"], question)
				with self.assertRaisesRegex(frappe.ValidationError, out_of_scale):
					submit(token, {"1": 11})
				frappe.local.lang = "en"

	def test_an_answer_gives_the_language_back(self):
		"""A Latvian answer is checked in Latvian, and the process's language is English again afterwards:
		the drain or the demo that goes on in the same process must not store Latvian texts."""
		_customer, _contact, _campaign, _invitation, token = self.campaign_with_one_invitation(language="lv")
		frappe.local.lang = "en"
		submit(token, {"1": 9})
		self.assertEqual(frappe.local.lang, "en")
		_customer, _contact, _campaign, _invitation, token = self.campaign_with_one_invitation(language="lv")
		with self.assertRaises(frappe.ValidationError):
			submit(token, {"1": 11})
		self.assertEqual(frappe.local.lang, "en")


class TestReminderAndExpiry(SurveyTestCase):
	def test_reminder_reuses_the_link_at_most_max_times(self):
		from cs_success.surveys.delivery import send_reminders

		_customer, _contact, campaign, invitation, token = self.campaign_with_one_invitation()
		frappe.db.set_value(
			"Survey Campaign",
			campaign.name,
			{"status": "Active", "reminder_after_days": 3, "max_reminders": 1},
		)
		send_reminders()
		self.assertEqual(
			frappe.db.get_value("Survey Invitation", invitation, "reminders_sent"), 0
		)  # too soon
		frappe.db.set_value("Survey Invitation", invitation, "sent_on", add_days(now_datetime(), -4))
		send_reminders()
		send_reminders()  # at most one
		self.assertEqual(frappe.db.get_value("Survey Invitation", invitation, "reminders_sent"), 1)
		emails = frappe.get_all(
			"Email Queue",
			filters={"reference_doctype": "Survey Invitation", "reference_name": invitation},
			pluck="name",
		)
		self.assertEqual(len(emails), 2)
		self.assertEqual(token_from_email(invitation), token)  # the same link, rebuilt from the secret

	def test_expired_and_bounced_invitations(self):
		from cs_success.surveys.delivery import expire_invitations, mark_bounced

		_customer, _contact, _campaign, invitation, _token = self.campaign_with_one_invitation()
		frappe.db.set_value(
			"Email Queue",
			{"reference_doctype": "Survey Invitation", "reference_name": invitation},
			"status",
			"Error",
		)
		frappe.db.set_value("Survey Invitation", invitation, "status", "Queued")
		mark_bounced()
		self.assertEqual(frappe.db.get_value("Survey Invitation", invitation, "status"), "Bounced")
		_customer, _contact, _campaign, other, _token = self.campaign_with_one_invitation()
		frappe.db.set_value("Survey Invitation", other, "expires_on", add_days(now_datetime(), -1))
		expire_invitations()
		self.assertEqual(frappe.db.get_value("Survey Invitation", other, "status"), "Expired")
