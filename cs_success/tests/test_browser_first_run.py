"""Browser: right after install on a site with history, while the first run is still building in the
background, a CS Manager opening the Customer Success workspace reads how far it is; once it is done the
line goes and the page shows the figures (the workspace reloads itself)."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils.password import update_password

from cs_success.jobs import FIRST_RUN_PROGRESS_KEY, _set_progress, first_run
from cs_success.tests.browser import browser_page, live_server, screenshot
from cs_success.tests.utils import delete_invoices, make_customer, make_sales_invoice, make_user

PASSWORD = "Cs-Test-Passw0rd!"


class TestFirstRunInTheWorkspace(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.manager = make_user("CS Manager")
		update_password(cls.manager, PASSWORD)
		# A customer with history that nothing of ours knows yet (as on a site before install).
		cls.customer = make_customer("First Run Browser")
		cls.invoice = make_sales_invoice(cls.customer, 1000).name
		frappe.db.delete("Customer Health", {"name": cls.customer})
		frappe.db.commit()

	@classmethod
	def tearDownClass(cls):
		frappe.cache.delete_value(FIRST_RUN_PROGRESS_KEY)
		delete_invoices([cls.invoice])
		frappe.delete_doc("Customer", cls.customer, force=True, ignore_permissions=True)
		frappe.delete_doc("User", cls.manager, force=True, ignore_permissions=True)
		frappe.db.commit()
		super().tearDownClass()

	def test_progress_line_then_figures(self):
		# The job is back-filling: 4,200 of 6,000 customers (progress lives in the cache, shared with the
		# web server).
		_set_progress("history", 4200, 6000)
		with live_server() as base_url, browser_page(base_url, self.manager, PASSWORD) as page:
			page.goto("/app/customer-success")
			line = page.locator(".cs-first-run")
			line.wait_for(timeout=30000)
			self.assertEqual(line.inner_text().strip(), "Building history: 4,200 of 6,000 customers.")
			screenshot(page, "first_run_progress")

			first_run()  # the job itself, to its end ("done")
			frappe.db.commit()
			# The next poll (every 5 s) sees it done and reloads the workspace: no line, the figures drawn.
			page.wait_for_event("load", timeout=30000)
			health = frappe.db.get_value("Customer Health", self.customer, "score")
			self.assertIsNotNone(health)
			page.locator(".number-widget-box .widget-content .number").first.wait_for(timeout=30000)
			page.wait_for_timeout(1500)  # the charts finish drawing
			self.assertEqual(page.locator(".cs-first-run").count(), 0)
			screenshot(page, "first_run_done")
