"""Browser: the guest survey page on a phone and a desktop, in English and Latvian, by mouse and by
keyboard; the score clicked in the email stored before anything is clicked on the page."""

import re
import threading
import time
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

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# Frappe's web form chrome and the site's navbar and footer, none of which a respondent should see.
CHROME = (".web-form-header", ".discard-btn", ".indicator-pill", "footer", "nav", ".web-footer")


def score_links(invitation: str) -> dict[str, str]:
	"""The email's links, as paths: the score buttons by score, and "open" for the plain link."""
	html = invitation_email_html(invitation).replace("&amp;", "&")
	links = {}
	for href in re.findall(r'href="([^"]*/survey/new\?[^"]+)"', html):
		url = urllib.parse.urlparse(href)
		score = urllib.parse.parse_qs(url.query).get("score", ["open"])[0]
		links[score] = f"{url.path}?{url.query}"
	return links


def post(base_url: str, method: str, **args) -> int:
	body = urllib.parse.urlencode(args).encode()
	request = urllib.request.Request(
		f"{base_url}/api/method/cs_success.api.survey.{method}",
		data=body,
		headers={"Accept": "application/json"},
	)
	try:
		with urllib.request.urlopen(request, timeout=30) as response:
			return response.status
	except urllib.error.HTTPError as error:
		return error.code


class TestSurveyPageInBrowser(FrappeTestCase):
	"""The web server is another process: the data is committed here and deleted in tearDownClass."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.account = ensure_outgoing_email_account()
		group = frappe.get_doc(
			{
				"doctype": "Customer Group",
				"customer_group_name": f"_CS Survey Page {frappe.generate_hash(length=5)}",
				"parent_customer_group": "All Customer Groups",
			}
		).insert(ignore_permissions=True)
		cls.group = group.name
		cls.customers = [
			make_customer("Survey Page", customer_group=cls.group, language=language)
			for language in ("en", "en", "lv", "en")
		]
		cls.contacts = [make_contact(customer) for customer in cls.customers]
		cls.campaign = make_campaign("Net Promoter Score", customer_group=cls.group, recontact_window_days=0)
		run_campaign(cls.campaign.name)
		cls.invitations = [
			frappe.get_value("Survey Invitation", {"campaign": cls.campaign.name, "customer": customer})
			for customer in cls.customers
		]
		frappe.db.commit()

	@classmethod
	def tearDownClass(cls):
		frappe.set_user("Administrator")
		responses = frappe.get_all("Survey Response", {"campaign": cls.campaign.name}, pluck="name")
		if responses:
			frappe.db.delete(
				"ToDo", {"reference_type": "Survey Response", "reference_name": ("in", responses)}
			)
			frappe.db.delete(
				"Touchpoint", {"reference_doctype": "Survey Response", "reference_name": ("in", responses)}
			)
			frappe.db.delete("Survey Answer", {"parent": ("in", responses)})
			frappe.db.delete("Survey Response", {"name": ("in", responses)})
		frappe.db.delete(
			"Email Queue",
			{"reference_doctype": "Survey Invitation", "reference_name": ("in", cls.invitations)},
		)
		frappe.db.delete("Survey Invitation", {"campaign": cls.campaign.name})
		for customer in cls.customers:
			frappe.delete_doc("Customer", customer, force=True, ignore_permissions=True)
		for contact in cls.contacts:
			frappe.delete_doc("Contact", contact, force=True, ignore_permissions=True)
		frappe.delete_doc("Survey Campaign", cls.campaign.name, force=True, ignore_permissions=True)
		frappe.delete_doc("Customer Group", cls.group, force=True, ignore_permissions=True)
		frappe.delete_doc("Email Account", cls.account, force=True, ignore_permissions=True)
		frappe.db.commit()
		super().tearDownClass()

	def setUp(self):
		for method in ("record_score", "submit_answers", "survey_viewed"):
			frappe.cache.delete_keys(f"rl:cs_success.api.survey.{method}")

	def response(self, invitation: str) -> dict | None:
		frappe.db.rollback()  # see what the server committed
		name = frappe.db.get_value("Survey Response", {"invitation": invitation})
		if not name:
			return None
		doc = frappe.get_doc("Survey Response", name)
		return frappe._dict(
			name=doc.name,
			is_partial=doc.is_partial,
			score=doc.headline_score,
			comment=doc.comment,
			answers=[row.score if row.has_score else row.answer for row in doc.answers],
		)

	def wait_for_response(self, invitation: str, timeout: float = 15) -> dict:
		deadline = time.monotonic() + timeout
		while time.monotonic() < deadline:
			response = self.response(invitation)
			if response:
				return response
			time.sleep(0.3)
		self.fail("the page's script stored no response")

	def assert_no_chrome(self, page):
		for selector in CHROME:
			self.assertEqual(page.locator(selector).count(), 0, selector)
		text = page.locator("body").inner_text()
		for words in ("Not Saved", "Discard", "Get Updates", "Subscribe"):
			self.assertNotIn(words, text)

	def assert_large_targets(self, page):
		for label in page.locator(".cs-survey-score").all():
			box = label.bounding_box()
			self.assertGreaterEqual(min(box["width"], box["height"]), 44, label.inner_text())

	def test_a_score_clicked_in_the_email_is_stored_then_completed_on_a_phone(self):
		invitation = self.invitations[0]
		with live_server() as base_url, browser_page(base_url) as page:
			page.set_viewport_size(PHONE)
			page.goto(score_links(invitation)["9"])
			page.locator(".cs-survey-saved").wait_for(state="visible", timeout=30000)
			# Nothing clicked yet: the page's own POST stored the email's score as a partial response.
			response = self.wait_for_response(invitation)
			self.assertEqual((response.is_partial, response.score), (1, 9))
			self.assertTrue(page.locator("#cs-survey-q1-9").is_checked())
			self.assertEqual(page.locator("html").get_attribute("lang"), "en")
			company = frappe.db.get_value(
				"Company", frappe.defaults.get_global_default("company"), "company_name"
			)
			self.assertEqual(page.locator(".cs-survey-company").inner_text(), company)
			self.assert_no_chrome(page)
			self.assert_large_targets(page)
			screenshot(page, "survey_page_phone_en_saved")

			page.locator(".cs-survey-text").fill("Fast answers from support")
			page.locator("#cs-survey-comment").fill("Thanks, team!")
			page.locator(".cs-survey-submit").click()
			thanks = page.locator(".cs-survey-thanks")
			thanks.wait_for(state="visible", timeout=30000)
			self.assertIn("What happens next", thanks.inner_text())
			self.assertTrue(page.evaluate("document.activeElement.classList.contains('cs-survey-thanks')"))
			self.assertTrue(page.locator(".cs-survey-form").is_hidden())
			screenshot(page, "survey_page_phone_en_thanks")

			completed = self.response(invitation)
			self.assertEqual(completed.name, response.name)
			self.assertEqual(
				(completed.is_partial, completed.score, completed.comment, completed.answers),
				(0, 9, "Thanks, team!", [9, "Fast answers from support"]),
			)
			page.goto(score_links(invitation)["3"])
			page.locator(".cs-survey-link-message").wait_for(timeout=30000)
			self.assertIn("already been answered", page.locator(".cs-survey-link-message").inner_text())
			self.assert_no_chrome(page)
			screenshot(page, "survey_page_phone_en_already_answered")
		self.assertEqual(frappe.db.count("Survey Response", {"invitation": invitation}), 1)

	def test_keyboard_only_on_a_desktop(self):
		invitation = self.invitations[1]
		with live_server() as base_url, browser_page(base_url) as page:
			page.set_viewport_size(DESKTOP)
			page.goto(score_links(invitation)["open"])
			page.locator(".cs-survey-score").first.wait_for(timeout=30000)
			self.assertIsNone(self.response(invitation))  # opening is not answering
			self.assert_no_chrome(page)
			self.assert_large_targets(page)
			# Tab reaches the first question; arrow keys choose within it.
			page.keyboard.press("Tab")
			self.assertEqual(page.evaluate("document.activeElement.id"), "cs-survey-q1-0")
			for _ in range(8):
				page.keyboard.press("ArrowRight")
			self.assertEqual(page.evaluate("document.activeElement.id"), "cs-survey-q1-8")
			self.assertTrue(page.locator("#cs-survey-q1-8").is_checked())
			screenshot(page, "survey_page_desktop_en_keyboard")
			# A score chosen on the page is stored too, once the respondent stops on it.
			response = self.wait_for_response(invitation)
			self.assertEqual((response.is_partial, response.score), (1, 8))

			page.keyboard.press("Tab")
			self.assertEqual(page.evaluate("document.activeElement.classList[0]"), "cs-survey-text")
			page.keyboard.type("Clear onboarding")
			page.keyboard.press("Tab")
			self.assertEqual(page.evaluate("document.activeElement.id"), "cs-survey-comment")
			page.keyboard.press("Tab")
			self.assertEqual(page.evaluate("document.activeElement.classList[0]"), "cs-survey-submit")
			page.keyboard.press("Enter")
			page.locator(".cs-survey-thanks").wait_for(state="visible", timeout=30000)
			screenshot(page, "survey_page_desktop_en_thanks")
		completed = self.response(invitation)
		self.assertEqual((completed.name, completed.is_partial, completed.score), (response.name, 0, 8))
		self.assertEqual(completed.answers, [8, "Clear onboarding"])

	def test_latvian_on_a_phone_and_a_desktop(self):
		invitation = self.invitations[2]
		with live_server() as base_url, browser_page(base_url) as page:
			page.set_viewport_size(PHONE)
			page.goto(score_links(invitation)["open"])
			page.locator(".cs-survey-score").first.wait_for(timeout=30000)
			self.assertEqual(page.locator("html").get_attribute("lang"), "lv")
			self.assertIn(
				"Cik ticams ir, ka jūs mūs ieteiktu draugam vai kolēģim?",
				page.locator(".cs-survey-legend").first.inner_text(),
			)
			self.assertEqual(page.locator(".cs-survey-submit").inner_text(), "Nosūtīt")
			self.assert_no_chrome(page)
			self.assert_large_targets(page)
			# Send without the required score: a clear message in Latvian, focus on the question.
			page.locator(".cs-survey-submit").click()
			error = page.locator(".cs-survey-error[role='alert']")
			error.wait_for(state="visible")
			self.assertIn("Lūdzu, atbildiet", error.inner_text())
			self.assertEqual(page.evaluate("document.activeElement.id"), "cs-survey-q1-0")
			screenshot(page, "survey_page_phone_lv_missing")
			page.set_viewport_size(DESKTOP)
			page.locator("label[for='cs-survey-q1-10']").click()
			screenshot(page, "survey_page_desktop_lv")
			page.locator(".cs-survey-submit").click()
			page.locator(".cs-survey-thanks").wait_for(state="visible", timeout=30000)
			self.assertIn("Paldies", page.locator(".cs-survey-thanks-title").inner_text())
			screenshot(page, "survey_page_desktop_lv_thanks")
			# The opt-out question wears the same page, in the same language.
			page.set_viewport_size(PHONE)
			page.goto(
				re.search(r'href="[^"]*(/survey-opt-out\?[^"]+)"', invitation_email_html(invitation))[1]
			)
			page.locator(".cs-confirm-opt-out").wait_for(timeout=30000)
			self.assertEqual(page.locator("html").get_attribute("lang"), "lv")
			self.assert_no_chrome(page)
			screenshot(page, "survey_opt_out_phone_lv")
		self.assertEqual(self.response(invitation).score, 10)

	def test_a_late_score_never_reopens_a_completed_response(self):
		"""The page's score POST and its Send racing (a slow network): whichever comes first, the link
		ends with one complete response holding the answers sent."""
		invitation = self.invitations[3]
		token = urllib.parse.parse_qs(urllib.parse.urlparse(score_links(invitation)["open"]).query)["token"][
			0
		]
		with live_server() as base_url:
			self.assertEqual(post(base_url, "record_score", token=token, score=5), 200)
			barrier = threading.Barrier(2)
			statuses = {}

			def send(name, **args):
				barrier.wait()
				statuses[name] = post(base_url, name, token=token, **args)

			threads = [
				threading.Thread(target=send, args=("submit_answers",), kwargs={"answers": '{"1": 9}'}),
				threading.Thread(target=send, args=("record_score",), kwargs={"score": 3}),
			]
			for thread in threads:
				thread.start()
			for thread in threads:
				thread.join()
		self.assertEqual(statuses["submit_answers"], 200)
		response = self.response(invitation)
		self.assertEqual((response.is_partial, response.score), (0, 9))
		self.assertEqual(frappe.db.count("Survey Response", {"invitation": invitation}), 1)
