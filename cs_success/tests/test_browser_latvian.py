"""Browser: a CS Manager who works in Latvian sees the Desk in Latvian: a Customer Health form (its
labels, buttons and band), the Customer Health Overview report and the workspace cards."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils.password import update_password

from cs_success.health.recompute import recompute_customers
from cs_success.tests.browser import browser_page, live_server, screenshot
from cs_success.tests.utils import make_customer, make_issue, make_user

PASSWORD = "Cs-Latvian-Passw0rd!"


class TestDeskInLatvian(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		cls.manager = make_user("CS Manager")
		frappe.db.set_value("User", cls.manager, "language", "lv")
		update_password(cls.manager, PASSWORD)
		cls.customer = make_customer("Latvian")
		cls.issue = make_issue(cls.customer).name
		recompute_customers([cls.customer], raise_alerts=False)
		frappe.db.commit()

	@classmethod
	def tearDownClass(cls):
		frappe.set_user("Administrator")
		frappe.db.delete("Issue", {"name": cls.issue})
		frappe.delete_doc("Customer", cls.customer, force=True, ignore_permissions=True)
		frappe.delete_doc("User", cls.manager, force=True, ignore_permissions=True)
		frappe.db.commit()
		super().tearDownClass()

	def test_form_report_and_workspace_speak_latvian(self):
		with live_server() as base_url, browser_page(base_url, self.manager, PASSWORD) as page:
			page.goto(f"/app/customer-health/{self.customer}")
			form = page.locator(".form-layout:visible").first
			form.wait_for(timeout=30000)
			text = page.locator(".page-container:visible").first.inner_text()
			for latvian in ("Veselības vērtējums", "Datu pārklājums", "Pārrēķināt", "Atvērtie pieteikumi"):
				self.assertIn(latvian, text)
			self.assertNotIn("Data Coverage", text)
			# A measure without data is empty in the breakdown, not 0: CSAT has no answers here.
			csat = page.locator(".grid-row", has_text="Vidējais CSAT").first
			self.assertEqual(csat.locator('[data-fieldname="measure_score"]').inner_text().strip(), "")
			screenshot(page, "customer_health_form_lv")

			page.goto("/app/query-report/Customer Health Overview")
			report = page.locator('.page-container[data-page-route="query-report"]:visible')
			report.locator(".title-text", has_text="Klientu veselības pārskats").first.wait_for(timeout=30000)
			report.locator(".dt-scrollable .dt-row").first.wait_for(timeout=30000)
			self.assertIn("Vidējais vērtējums", report.inner_text())
			screenshot(page, "customer_health_overview_lv")

			page.goto("/app/customer-success")
			# The coverage card, its label in Latvian and its figure loaded (a percentage, or "-").
			card = page.locator(".number-widget-box", has_text="Veselības datu pārklājums")
			card.locator(".number", has_text="%").or_(card.locator(".number", has_text="-")).first.wait_for(
				timeout=30000
			)
			screenshot(page, "workspace_lv")
