"""Browser: a CS Manager with no sales role opens Expansion Opportunities, reads a customer's signal in words,
opens the opportunity from the report, and reads it in ERPNext's Opportunity form (the amount and the
probability worked out by hand); the Customer Health form shows the room to grow and links to it. An item
group name with quotes and an ampersand shows as text."""

import json

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils.password import update_password

from cs_success.growth.pipeline import EXPANSION_TYPE
from cs_success.growth.propensity import MODEL_DOCTYPE
from cs_success.growth.signals import evaluate
from cs_success.tests.browser import browser_page, live_server, screenshot
from cs_success.tests.test_growth import SEATS_METRIC, ladder, subscribe, usage
from cs_success.tests.utils import make_customer, make_user, run_pending_recomputes

PASSWORD = "Cs-Growth-Passw0rd!"


class TestExpansionInBrowser(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		cls.settings = frappe.db.get_single_value("CS Settings", "seat_usage_metric")
		frappe.db.set_single_value("CS Settings", "seat_usage_metric", SEATS_METRIC)
		frappe.clear_document_cache("CS Settings", "CS Settings")
		team, _pro = ladder()
		cls.customer = make_customer("Growth Browser")
		subscribe(cls.customer, team, 10)
		usage(cls.customer, 9)
		run_pending_recomputes()
		# An unusable model: no propensity shown, the opportunity takes its base rate (12 %).
		cls.previous_models = frappe.get_all(MODEL_DOCTYPE, filters={"is_current": 1}, pluck="name")
		frappe.db.set_value(MODEL_DOCTYPE, {"is_current": 1}, "is_current", 0)
		cls.model = (
			frappe.get_doc(
				{
					"doctype": MODEL_DOCTYPE,
					"verdict": "No Better Than Chance",
					"is_current": 1,
					"base_rate": 12,
					"n_train": 1000,
					"model": json.dumps({"intercept": 0, "features": [], "coefficients": {}}),
				}
			)
			.insert(ignore_permissions=True)
			.name
		)
		evaluate([cls.customer])
		# CS Manager with no sales role: the Opportunity rule install grants (create, and read their own);
		# Accounts User: revenue columns.
		cls.manager = make_user("CS Manager", "Accounts User")
		update_password(cls.manager, PASSWORD)
		frappe.db.commit()

	@classmethod
	def tearDownClass(cls):
		frappe.set_user("Administrator")
		for name in frappe.get_all("Opportunity", filters={"party_name": cls.customer}, pluck="name"):
			frappe.delete_doc("Opportunity", name, force=True, ignore_permissions=True)
		for name in frappe.get_all("Subscription", filters={"party": cls.customer}, pluck="name"):
			frappe.delete_doc("Subscription", name, force=True, ignore_permissions=True)
		frappe.db.delete("Customer Usage Record", {"customer": cls.customer})
		frappe.delete_doc(MODEL_DOCTYPE, cls.model, force=True, ignore_permissions=True)
		for name in cls.previous_models:
			frappe.db.set_value(MODEL_DOCTYPE, name, "is_current", 1)
		frappe.delete_doc("Customer", cls.customer, force=True, ignore_permissions=True)
		frappe.delete_doc("User", cls.manager, force=True, ignore_permissions=True)
		frappe.db.set_single_value("CS Settings", "seat_usage_metric", cls.settings)
		frappe.db.commit()
		super().tearDownClass()

	def test_manager_opens_the_opportunity_from_the_report_and_reads_it(self):
		with live_server() as base_url, browser_page(base_url, self.manager, PASSWORD) as page:
			page.goto("/app/query-report/Expansion Opportunities")
			report = page.locator('.page-container[data-page-route="query-report"]:visible')
			row = report.locator(".dt-scrollable .dt-row", has_text="9 of 10 seats in use (90%).")
			row.wait_for(timeout=30000)
			self.assertIn("_CS Test Pro", row.inner_text())  # the next plan
			self.assertIn("150", row.inner_text())  # (40 - 25) x 10 seats a month
			self.assertIn("1,800", row.inner_text())  # and a year
			summary = report.locator(".report-summary").inner_text()
			self.assertIn("No Better Than Chance", summary)
			page.wait_for_timeout(1000)  # the chart draws in
			screenshot(page, "growth_expansion_report")

			row.locator("button.cs-open-expansion").click()
			link = report.locator(".dt-scrollable .dt-row", has_text="9 of 10 seats").locator(
				"a", has_text="CRM-OPP"
			)
			link.wait_for(timeout=30000)
			name = frappe.db.get_value(
				"Opportunity", {"party_name": self.customer, "opportunity_type": EXPANSION_TYPE}
			)
			self.assertEqual(link.inner_text().strip(), name)

			# ERPNext's own form, opened by a user whose only way in is the rule install granted (their own).
			page.goto(f"/app/opportunity/{name}")
			form = page.locator(".page-container:visible")

			def value(fieldname: str) -> str:
				field = form.locator(f'.frappe-control[data-fieldname="{fieldname}"] input').first
				field.wait_for(timeout=30000)
				return field.input_value()

			self.assertEqual(value("opportunity_amount"), "1,800.00")
			self.assertEqual(value("probability"), "12.000")  # ERPNext would have put 100
			self.assertEqual(value("opportunity_type"), "Expansion")
			self.assertEqual(value("source"), "Customer Success")
			screenshot(page, "growth_opportunity_form")

			page.goto(f"/app/customer-health/{self.customer}")
			explained = page.locator('.frappe-control[data-fieldname="expansion_explained"]')
			explained.locator("li").first.wait_for(timeout=30000)
			self.assertIn("9 of 10 seats in use (90%).", explained.inner_text())
			self.assertGreater(page.locator("button", has_text="Expansion Opportunity").count(), 0)
			explained.scroll_into_view_if_needed()
			screenshot(page, "growth_customer_health")
