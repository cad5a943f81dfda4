"""Browser and HTTP: a customer answers from the email link; racing and flooding submissions."""

import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request

import frappe
from frappe.tests.utils import FrappeTestCase

from cs_success.surveys.delivery import run_campaign
from cs_success.tests.browser import browser_page, live_server, screenshot
from cs_success.tests.utils import (
	ensure_outgoing_email_account,
	invitation_email_html,
	make_campaign,
	make_contact,
	make_customer,
)

ACCEPT = "/api/method/frappe.website.doctype.web_form.web_form.accept"


def post_submission(base_url: str, token: str, answers: dict) -> int:
	data = {"doctype": "Survey Response", "token": token, "answers_json": json.dumps(answers), "comment": ""}
	body = urllib.parse.urlencode({"web_form": "survey", "data": json.dumps(data)}).encode()
	request = urllib.request.Request(base_url + ACCEPT, data=body, headers={"Accept": "application/json"})
	try:
		with urllib.request.urlopen(request, timeout=30) as response:
			return response.status
	except urllib.error.HTTPError as error:
		return error.code


class TestSurveyInBrowser(FrappeTestCase):
	"""The web server is another process: the data is committed here and deleted in tearDownClass."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.account = ensure_outgoing_email_account()
		cls.customers = [make_customer("Browser Survey") for _ in range(3)]
		cls.contacts = [make_contact(customer) for customer in cls.customers]
		cls.campaign = make_campaign("Net Promoter Score", audience="All Customers", recontact_window_days=0)
		frappe.db.set_value("Survey Campaign", cls.campaign.name, "audience", "Customer Group")
		cls.campaign.reload()
		cls.invitations = []
		for customer in cls.customers:
			group = frappe.db.get_value("Customer", customer, "customer_group")
			cls.campaign.db_set("customer_group", group)
			run_campaign(cls.campaign.name)
			cls.campaign.db_set("status", "Active")
			cls.invitations += frappe.get_all(
				"Survey Invitation",
				filters={"campaign": cls.campaign.name, "customer": customer},
				pluck="name",
			)
		frappe.db.commit()

	@classmethod
	def tearDownClass(cls):
		frappe.set_user("Administrator")
		for customer in cls.customers:
			frappe.delete_doc("Customer", customer, force=True, ignore_permissions=True)
		for contact in cls.contacts:
			frappe.delete_doc("Contact", contact, force=True, ignore_permissions=True)
		frappe.db.delete(
			"Email Queue",
			{"reference_doctype": "Survey Invitation", "reference_name": ("in", cls.invitations)},
		)
		frappe.db.delete("ToDo", {"reference_type": "Survey Response"})
		responses = frappe.get_all("Survey Response", {"campaign": cls.campaign.name}, pluck="name")
		frappe.db.delete(
			"Survey Answer", {"parenttype": "Survey Response", "parent": ("in", responses or [""])}
		)
		frappe.db.delete("Survey Response", {"campaign": cls.campaign.name})
		frappe.delete_doc("Survey Campaign", cls.campaign.name, force=True, ignore_permissions=True)
		frappe.delete_doc("Email Account", cls.account, force=True, ignore_permissions=True)
		frappe.db.commit()
		super().tearDownClass()

	def setUp(self):
		# Each test starts with the guest rate limits unspent.
		frappe.cache.delete_keys("rl:frappe.website.doctype.web_form.web_form.accept")
		frappe.cache.delete_keys("rl:cs_success.api.survey.")

	def link_from_email(self, invitation: str, score: int) -> str:
		html = invitation_email_html(invitation).replace("&amp;", "&")
		match = re.search(r'href="([^"]*/survey/new\?token=[^"&]+&score=' + str(score) + ')"', html)
		self.assertTrue(match, "the email has a button for the score")
		return match.group(1)

	def test_answer_from_the_email_then_the_link_is_used(self):
		invitation = self.invitations[0]
		link = urllib.parse.urlparse(self.link_from_email(invitation, 9))
		path = f"{link.path}?{link.query}"
		with live_server() as base_url, browser_page(base_url) as page:
			page.goto(path)
			page.locator(".cs-survey-score").first.wait_for(timeout=30000)
			self.assertTrue(page.locator("#cs-survey-q1-9").is_checked())  # the email's button chose it
			page.locator(".cs-survey-saved").wait_for(state="visible", timeout=30000)  # and it is stored
			page.locator(".cs-survey-score[data-score='10']").click()
			page.locator(".cs-survey-text").fill("Fast answers from support")
			page.locator("#cs-survey-comment").fill("Thanks, team!")
			screenshot(page, "survey_form")
			page.locator(".cs-survey-submit").click()
			page.locator(".cs-survey-thanks").wait_for(state="visible", timeout=30000)
			self.assertIn("Thank you", page.locator(".cs-survey-thanks-title").inner_text())
			screenshot(page, "survey_thanks")

			page.goto(path)
			page.locator(".cs-survey-link-message").wait_for(timeout=30000)
			self.assertIn("already been answered", page.locator(".cs-survey-link-message").inner_text())
			screenshot(page, "survey_already_answered")

		frappe.db.rollback()  # see what the server committed
		response = frappe.get_doc("Survey Response", {"invitation": invitation})
		self.assertEqual(
			(response.headline_score, response.comment, response.is_partial), (10, "Thanks, team!", 0)
		)
		self.assertEqual(response.answers[1].answer, "Fast answers from support")

	def test_two_racing_submissions_store_exactly_one_response(self):
		invitation = self.invitations[1]
		token = urllib.parse.parse_qs(urllib.parse.urlparse(self.link_from_email(invitation, 0)).query)[
			"token"
		][0]
		statuses = []
		with live_server() as base_url:
			barrier = threading.Barrier(2)

			def submit(score):
				barrier.wait()
				statuses.append(post_submission(base_url, token, {"1": score}))

			threads = [threading.Thread(target=submit, args=(score,)) for score in (6, 7)]
			for thread in threads:
				thread.start()
			for thread in threads:
				thread.join()
		frappe.db.rollback()
		self.assertEqual(sorted(statuses)[0], 200)
		self.assertNotEqual(sorted(statuses)[1], 200)
		self.assertEqual(frappe.db.count("Survey Response", {"invitation": invitation}), 1)

	def test_guest_submissions_are_rate_limited(self):
		statuses = []
		with live_server() as base_url:
			for _ in range(12):
				statuses.append(post_submission(base_url, "x" * 43, {"1": 9}))
		self.assertIn(429, statuses)
		self.assertNotIn(200, statuses)
