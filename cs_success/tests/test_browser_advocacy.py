"""Browser: a promoter's thank-you page on a phone invites a referral, the form sends it, and what was typed
comes back as text; a detractor's thank-you page invites nothing."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils.password import update_password

from cs_success.surveys.delivery import run_campaign
from cs_success.tests.browser import browser_page, live_server, screenshot
from cs_success.tests.test_browser_survey_page import PHONE, score_links
from cs_success.tests.utils import (
	ensure_outgoing_email_account,
	make_campaign,
	make_contact,
	make_customer,
	make_customer_group,
	make_user,
)

XSS = '"<img src=x onerror=alert(1)>"'
DOMAIN = "advocacy-browser.example.com"
PASSWORD = "Cs-Advocacy-Passw0rd!"


class TestReferralFormInBrowser(FrappeTestCase):
	"""The web server is another process: the data is committed here and deleted in tearDownClass."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		cls.account = ensure_outgoing_email_account()
		cls.group = make_customer_group("Advocacy Browser")
		cls.customers = [make_customer("Advocacy Browser", customer_group=cls.group) for _ in range(2)]
		cls.contacts = [make_contact(customer) for customer in cls.customers]
		cls.campaign = make_campaign("Net Promoter Score", customer_group=cls.group, recontact_window_days=0)
		run_campaign(cls.campaign.name)
		cls.invitations = [
			frappe.get_value("Survey Invitation", {"campaign": cls.campaign.name, "customer": customer})
			for customer in cls.customers
		]
		cls.manager = make_user("CS Manager", "Accounts User")
		update_password(cls.manager, PASSWORD)
		frappe.db.commit()

	@classmethod
	def tearDownClass(cls):
		frappe.db.rollback()
		frappe.set_user("Administrator")
		frappe.db.delete("Advocacy Ask", {"customer": ("in", cls.customers)})
		for lead in frappe.get_all("Lead", {"email_id": ("like", f"%@{DOMAIN}")}, pluck="name"):
			frappe.delete_doc("Lead", lead, force=True, ignore_permissions=True)
		responses = frappe.get_all("Survey Response", {"campaign": cls.campaign.name}, pluck="name")
		for doctype in ("ToDo", "Touchpoint"):
			field = "reference_name"
			frappe.db.delete(doctype, {field: ("in", responses or [""])})
		frappe.db.delete("Survey Answer", {"parent": ("in", responses or [""])})
		frappe.db.delete("Survey Response", {"campaign": cls.campaign.name})
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
		frappe.delete_doc("User", cls.manager, force=True, ignore_permissions=True)
		frappe.db.commit()
		super().tearDownClass()

	def setUp(self):
		for method in ("record_score", "submit_answers", "survey_viewed", "refer"):
			frappe.cache.delete_keys(f"rl:cs_success.api.survey.{method}")

	def test_a_promoter_refers_someone_on_a_phone(self):
		with live_server() as base_url, browser_page(base_url) as page:
			page.set_viewport_size(PHONE)
			page.goto(score_links(self.invitations[0])["10"])
			page.locator(".cs-survey-saved").wait_for(state="visible", timeout=30000)
			page.locator(".cs-survey-submit").click()
			refer = page.locator(".cs-survey-refer")
			refer.wait_for(state="visible", timeout=30000)
			self.assertIn("Know someone who would benefit?", refer.inner_text())
			# On a phone every field and the button fit the screen and are easy to hit.
			for selector in ("#cs-survey-refer-name", "#cs-survey-refer-email", ".cs-survey-refer-submit"):
				box = page.locator(selector).bounding_box()
				self.assertLessEqual(box["x"] + box["width"], PHONE["width"], selector)
				self.assertGreaterEqual(box["height"], 44, selector)
			self.assertEqual(page.evaluate("document.documentElement.scrollWidth"), PHONE["width"])
			screenshot(page, "advocacy_referral_form_phone")

			# Send without a name: a clear message, focus on the field; nothing stored.
			page.locator("#cs-survey-refer-email").fill(f"erin@{DOMAIN}")
			page.locator(".cs-survey-refer-submit").click()
			error = page.locator(".cs-survey-refer-error")
			error.wait_for(state="visible")
			self.assertIn("name of the person", error.inner_text())
			self.assertEqual(page.evaluate("document.activeElement.id"), "cs-survey-refer-name")

			page.locator("#cs-survey-refer-name").fill(f"Erin {XSS}")
			page.locator("#cs-survey-refer-company").fill(XSS)
			page.locator(".cs-survey-refer-submit").click()
			done = page.locator(".cs-survey-refer-done")
			done.wait_for(state="visible", timeout=30000)
			# The name typed comes back as the characters typed, never as an element.
			self.assertIn(f"We will get in touch with Erin {XSS}.", done.inner_text())
			self.assertEqual(page.locator(".cs-survey-refer img, .cs-survey-thanks img").count(), 0)
			self.assertTrue(page.locator(".cs-survey-refer-form").is_hidden())
			screenshot(page, "advocacy_referral_sent_phone")

		frappe.db.rollback()  # see what the server committed
		lead = frappe.db.get_value(
			"Lead", {"email_id": f"erin@{DOMAIN}"}, ["name", "first_name"], as_dict=True
		)
		# Stored inert. (Frappe's guest input sanitiser has already dropped the handler on the way in.)
		self.assertTrue(lead.first_name.startswith('Erin "&lt;img src='), lead.first_name)
		self.assertNotIn("<", lead.first_name)
		self.assertEqual(
			frappe.db.get_value(
				"Advocacy Ask", {"result_lead": lead.name}, ["customer", "ask_type", "status"], as_dict=True
			),
			{"customer": self.customers[0], "ask_type": "Referral", "status": "Done"},
		)

		# A CS Manager reads the referral on the Advocacy report: one referral on the advocate, as text.
		with live_server() as base_url, browser_page(base_url, self.manager, PASSWORD) as page:
			page.goto("/app/query-report/Advocacy")
			report = page.locator('.page-container[data-page-route="query-report"]:visible')
			name = frappe.db.get_value("Customer", self.customers[0], "customer_name")
			row = report.locator(".dt-scrollable .dt-row", has_text=name)
			row.wait_for(timeout=30000)
			summary = report.locator(".report-summary").inner_text()
			self.assertRegex(summary, r"Referrals\s+1\b")
			self.assertRegex(summary, r"Advocates\s+1\b")
			self.assertEqual(report.locator(".dt-scrollable img").count(), 0)
			page.wait_for_timeout(1000)  # the chart draws in
			screenshot(page, "advocacy_report")

	def test_a_detractors_thank_you_page_invites_no_referral(self):
		with live_server() as base_url, browser_page(base_url) as page:
			page.set_viewport_size(PHONE)
			page.goto(score_links(self.invitations[1])["3"])
			page.locator(".cs-survey-saved").wait_for(state="visible", timeout=30000)
			page.locator(".cs-survey-submit").click()
			page.locator(".cs-survey-thanks").wait_for(state="visible", timeout=30000)
			self.assertTrue(page.locator(".cs-survey-refer").is_hidden())
			screenshot(page, "advocacy_detractor_thanks_phone")
