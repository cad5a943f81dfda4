"""Browser: a CS Manager opens a Customer Health record and sees score, band, coverage and breakdown."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils.password import update_password

from cs_success.tests.browser import browser_page, live_server, screenshot
from cs_success.tests.utils import make_customer, make_issue, make_user, run_pending_recomputes

PASSWORD = "Cs-Test-Passw0rd!"


class TestCustomerHealthInBrowser(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		# The web server is another process: it sees only committed data, removed again below.
		cls.manager = make_user("CS Manager")
		update_password(cls.manager, PASSWORD)
		cls.customer = make_customer("Browser")
		for _ in range(3):
			make_issue(cls.customer)
		# The drain (touchpoints, then the recompute) before the commit the web server reads.
		run_pending_recomputes()
		frappe.db.commit()

	@classmethod
	def tearDownClass(cls):
		frappe.db.delete("Issue", {"customer": cls.customer})
		frappe.delete_doc("Customer", cls.customer, force=True, ignore_permissions=True)
		frappe.delete_doc("User", cls.manager, force=True, ignore_permissions=True)
		frappe.db.commit()
		super().tearDownClass()

	def test_manager_sees_score_band_and_breakdown(self):
		health = frappe.get_doc("Customer Health", self.customer)
		with live_server() as base_url, browser_page(base_url, self.manager, PASSWORD) as page:
			page.goto(f"/app/customer-health/{health.name}")
			indicator = page.locator(".page-head .indicator-pill").first
			indicator.wait_for(timeout=30000)
			self.assertEqual(indicator.inner_text().strip(), health.band)
			score = page.locator('.frappe-control[data-fieldname="score"] .control-value').first
			self.assertEqual(float(score.inner_text().strip()), health.score)
			rows = page.locator('.frappe-control[data-fieldname="measures"] .grid-body .grid-row')
			self.assertEqual(rows.count(), len(health.measures))
			self.assertTrue(page.get_by_role("button", name="Override Score").is_visible())
			screenshot(page, "customer_health_form")
